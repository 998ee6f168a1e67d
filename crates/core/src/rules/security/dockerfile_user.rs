use super::dockerfile::{self, Dockerfile, Instruction, Stage};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::glob::GlobList;
use crate::rule::{declare_rule, Rule};
use crate::span::LineIndex;

declare_rule! {
    id: "security/dockerfile-user",
    summary: "The final stage of every Dockerfile runs as a non-root USER",
    level: Error,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [{
        name: "nonroot-images",
        kind: "array of globs",
        help: "More base images that run as a non-root user, as globs over `name:tag` \
               (`registry.acme.io/base/*:*`), added to the built-in list.",
    }],
    what: "In every `Dockerfile`, `*.Dockerfile`, `Dockerfile.*` and `Containerfile`, the \
           last `USER` instruction of the final stage names a user other than root (`root`, \
           `0`, `root:group` and `0:group` are root; any other name or number, such as \
           `USER 65532` or `USER 1000:1000`, is not). A final stage built `FROM` an earlier \
           stage inherits that stage's last `USER`. Without any `USER`, a stage built from \
           a base image that already runs as a non-root user passes: distroless \
           `:nonroot` and `:debug-nonroot` tags, Chainguard images except their `-dev` \
           variants, `nginx-unprivileged`, .NET's chiseled images (the list is data, \
           `nonroot_images.toml`; `nonroot-images` adds to it). With no `USER` and any \
           other base the finding is at the final `FROM`; with a root `USER` it is at that \
           user. A user or image given by a build argument is resolved with the argument's \
           default; a user that cannot be resolved is given the benefit of the doubt. Line \
           continuations, comments, parser directives and heredocs are read as Docker reads \
           them.",
    why: "A container runs as root unless told otherwise, and root in a container is one \
          kernel bug or mounted socket away from root on the host. A non-root user is the \
          cheapest line of defence (CIS Docker Benchmark 4.1).",
    example: "```dockerfile\nFROM node:20\nCOPY . /app\nCMD [\"node\", \"/app/index.js\"]\n\
              ```\nis reported at `FROM node:20`; adding `USER node` before `CMD` fixes \
              it, while `USER root` as the last `USER` is reported at `root`.",
    fix: "Create or pick an unprivileged user and switch to it at the end of the final \
          stage: `RUN useradd --system app` then `USER app` (distroless images ship \
          `nonroot`, Node images `node`). Do the steps that need root before the `USER` \
          line.",
}

struct DockerfileUser {
    nonroot: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let nonroot = params.take_globs("nonroot-images")?.unwrap_or_default();
    Ok(Box::new(DockerfileUser { nonroot }))
}

/// `nonroot_images.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NonrootData {
    nonroot: Vec<String>,
    except: Vec<String>,
}

const NONROOT_TEXT: &str = include_str!("nonroot_images.toml");

fn parse_nonroot() -> Result<(GlobList, GlobList), String> {
    let data: NonrootData = toml::from_str(NONROOT_TEXT).map_err(|e| e.to_string())?;
    Ok((
        GlobList::from_patterns(&data.nonroot)?,
        GlobList::from_patterns(&data.except)?,
    ))
}

/// The embedded list, parsed once per process (a unit test parses it, so the empty fallback
/// only keeps a broken build from panicking).
fn nonroot_data() -> &'static (GlobList, GlobList) {
    static DATA: OnceLock<(GlobList, GlobList)> = OnceLock::new();
    DATA.get_or_init(|| {
        parse_nonroot().unwrap_or_else(|e| {
            tracing::error!("security/nonroot_images.toml: {e}");
            (GlobList::default(), GlobList::default())
        })
    })
}

/// An image reference as the non-root list matches it: `name:tag`, lower-cased, without
/// digest and Docker Hub's default registry and namespace, `latest` when untagged.
pub(crate) fn normalise_image(reference: &str) -> String {
    let lower = reference.trim().to_ascii_lowercase();
    let without_digest = lower.split('@').next().unwrap_or(&lower);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match without_digest[last_slash..].rfind(':') {
        Some(colon) => (
            &without_digest[..last_slash + colon],
            &without_digest[last_slash + colon + 1..],
        ),
        None => (without_digest, "latest"),
    };
    let mut name = name;
    for prefix in ["index.docker.io/", "docker.io/", "registry-1.docker.io/"] {
        name = name.strip_prefix(prefix).unwrap_or(name);
    }
    name = name.strip_prefix("library/").unwrap_or(name);
    format!("{name}:{tag}")
}

impl DockerfileUser {
    fn nonroot_base(&self, image: &str) -> bool {
        let image = normalise_image(image);
        let (known, except) = nonroot_data();
        self.nonroot.is_match(&image) || (known.is_match(&image) && !except.is_match(&image))
    }
}

/// Whether a `USER` argument (`name[:group]`) is root.
pub(crate) fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || name == "0"
}

/// Who a stage runs as, as far as the Dockerfile says.
enum RunsAs<'a> {
    /// Its last `USER`, or the one it inherits from an earlier stage.
    User(&'a Instruction),
    /// No `USER` up the chain of stages: the base image's default user. The reference is
    /// resolved with the global build arguments when it can be.
    Base(String),
    /// No `USER`, and no base image to judge (`FROM` without an image).
    Unknown,
}

/// The last `USER` of a stage, following `FROM <earlier stage>` when it has none.
fn runs_as<'a>(
    stages: &'a [Stage<'a>],
    index: usize,
    depth: usize,
    args: &HashMap<String, Option<String>>,
) -> RunsAs<'a> {
    let Some(stage) = stages.get(index) else {
        return RunsAs::Unknown;
    };
    if let Some(user) = stage.body.iter().rev().find(|i| i.keyword == "USER") {
        return RunsAs::User(user);
    }
    let Some((reference, _)) = stage.image.as_ref() else {
        return RunsAs::Unknown;
    };
    let resolved =
        dockerfile::substitute(reference, args).unwrap_or_else(|_| (*reference).to_owned());
    let lower = resolved.to_ascii_lowercase();
    let parent = stages[..index]
        .iter()
        .rposition(|s| s.alias.as_deref() == Some(lower.as_str()));
    match parent {
        Some(parent) if depth <= stages.len() => runs_as(stages, parent, depth + 1, args),
        _ => RunsAs::Base(resolved),
    }
}

impl Rule for DockerfileUser {
    fn wants(&self) -> Vec<String> {
        super::dockerfile_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        for file in cx.wanted() {
            if !super::is_dockerfile(&file.path) {
                continue;
            }
            let Ok(text) = cx.text(file) else { continue };
            let instructions = dockerfile::parse(&text);
            let parsed = Dockerfile::new(&instructions);
            let Some(last) = parsed.stages.len().checked_sub(1) else {
                continue;
            };
            let index = LineIndex::new(&text);
            let final_from = parsed.stages[last].from;
            let base = match runs_as(&parsed.stages, last, 0, &parsed.global_args) {
                RunsAs::User(user) => Ok(user),
                RunsAs::Base(image) if self.nonroot_base(&image) => continue,
                // The digest says which build, not who it runs as: shown without it.
                RunsAs::Base(image) => {
                    Err(Some(image.split('@').next().unwrap_or(&image).to_owned()))
                }
                RunsAs::Unknown => Err(None),
            };
            match base {
                Err(image) => {
                    let range = final_from.file_range(0..final_from.args.len());
                    // The message stays the same whatever the base (fingerprints, baselines);
                    // the help names the base that was judged.
                    let help = match image {
                        Some(image) => format!(
                            "add `USER <unprivileged user>` at the end of the final stage, or \
                             build FROM a base that runs as a non-root user (`{image}` is not \
                             one known to: docs/rules.md#securitydockerfile-user)"
                        ),
                        None => "add `USER <unprivileged user>` at the end of the final stage"
                            .to_owned(),
                    };
                    out.push(
                        Violation::file(
                            &file.path,
                            "the final stage has no USER instruction: the container runs as root",
                        )
                        .span(index.span(final_from.start, range.end))
                        .key("no-user")
                        .help(help),
                    );
                }
                Ok(user) => {
                    let Some((word, range)) = user.words().into_iter().next() else {
                        continue;
                    };
                    let mut args = parsed.global_args.clone();
                    for stage in &parsed.stages {
                        for instruction in stage.body.iter().filter(|i| i.keyword == "ARG") {
                            for (arg, _) in instruction.words() {
                                if let Some((name, value)) = arg.split_once('=') {
                                    args.insert(name.to_owned(), Some(value.to_owned()));
                                }
                            }
                        }
                    }
                    let resolved =
                        dockerfile::substitute(word, &args).unwrap_or_else(|_| String::new());
                    if is_root(&resolved) {
                        let bytes = user.file_range(range);
                        out.push(
                            Violation::file(
                                &file.path,
                                format!(
                                    "the final stage runs as root (`USER {word}`): the container \
                                     runs as root"
                                ),
                            )
                            .span(index.span(bytes.start, bytes.end))
                            .key("root-user")
                            .help("switch to an unprivileged user after the steps that need root"),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"security/dockerfile-user\"]\n";

    fn got(files: &[(&str, &str)]) -> Vec<(String, u32, u32, String)> {
        check(POLICY, files)
            .into_iter()
            .map(|f| {
                let s = f.span.unwrap();
                (f.path.unwrap(), s.line, s.column, f.message)
            })
            .collect()
    }

    #[test]
    fn no_user_is_reported_at_the_final_from() {
        let text = "FROM golang AS build\nUSER app\nFROM alpine\nCOPY --from=build /a /a\n";
        let findings = got(&[("Dockerfile", text)]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!((findings[0].1, findings[0].2), (3, 1));
        assert!(findings[0].3.contains("no USER"));
    }

    #[test]
    fn root_users_are_reported_at_the_user() {
        for (user, bad) in [
            ("root", true),
            ("0", true),
            ("root:root", true),
            ("0:1000", true),
            ("app", false),
            ("1000:1000", false),
            ("rooty", false),
        ] {
            let text = format!("FROM a\nUSER app\nRUN x\nUSER   {user}\n");
            let findings = got(&[("Dockerfile", &text)]);
            assert_eq!(findings.len(), usize::from(bad), "{user}: {findings:#?}");
            if bad {
                assert_eq!((findings[0].1, findings[0].2), (4, 8));
            }
        }
    }

    #[test]
    fn users_are_inherited_from_earlier_stages_and_arguments_resolved() {
        let inherited = "FROM a AS base\nUSER nobody\nFROM base\nRUN x\n";
        assert!(got(&[("Dockerfile", inherited)]).is_empty());
        let root_base = "FROM a AS base\nUSER root\nFROM base\n";
        assert_eq!(got(&[("Dockerfile", root_base)])[0].1, 2);
        let by_arg = "ARG U=root\nFROM a\nUSER $U\n";
        assert_eq!(got(&[("Dockerfile", by_arg)]).len(), 1);
        let unknown = "FROM a\nARG U\nUSER ${U}\n";
        assert!(got(&[("Dockerfile", unknown)]).is_empty());
    }

    #[test]
    fn heredocs_comments_and_continuations() {
        let text = "# syntax=docker/dockerfile:1\nFROM a\nRUN <<EOF\nUSER app\nEOF\n# USER app\nUSER \\\n  root\n";
        let findings = got(&[("Containerfile", text)]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!((findings[0].1, findings[0].2), (8, 3));
        let heredoc_user = "FROM a\nRUN <<EOF\nUSER app\nEOF\n";
        assert!(got(&[("Dockerfile", heredoc_user)])[0]
            .3
            .contains("no USER"));
        assert!(got(&[("Dockerfile", "# only a comment\n")]).is_empty());
    }

    #[test]
    fn the_nonroot_image_list_parses() {
        let (known, except) = super::parse_nonroot().unwrap_or_else(|e| panic!("{e}"));
        assert!(!known.is_empty() && !except.is_empty());
    }

    #[test]
    fn references_are_normalised_for_matching() {
        use super::normalise_image;
        assert_eq!(normalise_image("Alpine"), "alpine:latest");
        assert_eq!(
            normalise_image("docker.io/library/node:20@sha256:abc"),
            "node:20"
        );
        assert_eq!(
            normalise_image("gcr.io/distroless/static-debian12:nonroot@sha256:1b7b"),
            "gcr.io/distroless/static-debian12:nonroot"
        );
        assert_eq!(
            normalise_image("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
    }

    #[test]
    fn bases_that_run_as_nonroot_need_no_user() {
        for text in [
            "FROM golang AS build\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /a /a\n",
            "FROM gcr.io/distroless/base-debian12:debug-nonroot\n",
            "FROM gcr.io/distroless/java17-debian12:nonroot@sha256:06484c2a9dcc9070aeafbc0fe752cb9f73bc0cea5c311f6a516e9010061998ad\n",
            // The tag from a build argument's default, as Docker resolves it.
            "ARG ARCH=\"amd64\"\nFROM gcr.io/distroless/static-debian13:nonroot-${ARCH}\nCOPY a /a\n",
            "FROM cgr.dev/chainguard/static:latest\n",
            "FROM cgr.dev/chainguard/python\n",
            "FROM docker.io/nginxinc/nginx-unprivileged:1.29-alpine\n",
            "FROM mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled\n",
            // Through an earlier stage built on a non-root base.
            "FROM gcr.io/distroless/static:nonroot AS runtime\nFROM golang AS build\nFROM runtime\nCOPY --from=build /a /a\n",
            // A user by number, or a non-root name, at the end.
            "FROM alpine\nUSER 65532\n",
            "FROM alpine\nUSER 1000:1000\n",
        ] {
            assert!(got(&[("Dockerfile", text)]).is_empty(), "{text}");
        }
    }

    #[test]
    fn bases_that_run_as_root_are_still_reported() {
        for text in [
            "FROM gcr.io/distroless/static:debug\n",
            "FROM gcr.io/distroless/static-debian12\n",
            "FROM cgr.dev/chainguard/python:latest-dev\n",
            "FROM cgr.dev/chainguard/wolfi-base\n",
            "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n",
            "FROM scratch\nCOPY app /app\n",
            "ARG BASE\nFROM $BASE\n",
        ] {
            let findings = got(&[("Dockerfile", text)]);
            assert_eq!(findings.len(), 1, "{text}");
            assert!(
                findings[0].3.contains("no USER instruction"),
                "{findings:?}"
            );
        }
        let help = |text: &str| {
            check(POLICY, &[("Dockerfile", text)])
                .into_iter()
                .map(|f| f.help.unwrap_or_default())
                .collect::<Vec<_>>()
        };
        let named = help("FROM gcr.io/distroless/static:debug\n");
        assert!(
            named[0].contains("(`gcr.io/distroless/static:debug` is not one known to"),
            "{named:?}"
        );
        // The digest says which build, not who it runs as.
        let pinned = help(&format!("FROM alpine:3.22@sha256:{}\n", "a".repeat(64)));
        assert!(pinned[0].contains("(`alpine:3.22` is not"), "{pinned:?}");
        // A non-root base does not excuse switching back to root.
        let back = got(&[(
            "Dockerfile",
            "FROM gcr.io/distroless/static:nonroot\nUSER root\n",
        )]);
        assert_eq!((back.len(), back[0].1), (1, 2));
    }

    #[test]
    fn policies_add_their_own_nonroot_images() {
        let policy = "[rules.\"security/dockerfile-user\"]\nnonroot-images = [\"registry.acme.io/base/*:*\"]\n";
        let text = "FROM registry.acme.io/base/runtime:3\n";
        assert!(check(policy, &[("Dockerfile", text)]).is_empty());
        assert_eq!(got(&[("Dockerfile", text)]).len(), 1);
    }
}
