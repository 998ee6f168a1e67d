//! security/dockerfile-user

use super::dockerfile::{self, Dockerfile, Instruction, Stage};
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, Rule, RuleDef, Scope};
use crate::span::LineIndex;

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "security/dockerfile-user",
    summary: "The final stage of every Dockerfile runs as a non-root USER",
    default_level: Level::Error,
    tier: Tier::Gold,
    scope: Scope::PerFile,
    fixable: false,
    options: &[],
    docs: Docs {
        what: "In every `Dockerfile`, `*.Dockerfile`, `Dockerfile.*` and `Containerfile`, the \
               last `USER` instruction of the final stage names a user other than root (`root`, \
               `0`, `root:group` and `0:group` are root). A final stage built `FROM` an earlier \
               stage inherits that stage's last `USER`. With no `USER` at all the finding is at \
               the final `FROM`; with a root `USER` it is at that user. A user given by a build \
               argument is resolved with the argument's default; one that cannot be resolved is \
               given the benefit of the doubt. Line continuations, comments, parser directives \
               and heredocs are read as Docker reads them.",
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
    },
};

struct DockerfileUser;

fn build(_params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(DockerfileUser))
}

/// Whether a `USER` argument (`name[:group]`) is root.
pub(crate) fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || name == "0"
}

/// The last `USER` of a stage, following `FROM <earlier stage>` when it has none.
fn last_user<'a>(stages: &'a [Stage<'a>], index: usize, depth: usize) -> Option<&'a Instruction> {
    let stage = stages.get(index)?;
    if let Some(user) = stage.body.iter().rev().find(|i| i.keyword == "USER") {
        return Some(user);
    }
    if depth > stages.len() {
        return None;
    }
    let (reference, _) = stage.image.as_ref()?;
    let reference = reference.to_ascii_lowercase();
    let parent = stages[..index]
        .iter()
        .rposition(|s| s.alias.as_deref() == Some(reference.as_str()))?;
    last_user(stages, parent, depth + 1)
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
            match last_user(&parsed.stages, last, 0) {
                None => {
                    let range = final_from.file_range(0..final_from.args.len());
                    out.push(
                        Violation::file(
                            &file.path,
                            "the final stage has no USER instruction: the container runs as root",
                        )
                        .span(index.span(final_from.start, range.end))
                        .key("no-user")
                        .help("add `USER <unprivileged user>` at the end of the final stage"),
                    );
                }
                Some(user) => {
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
}
