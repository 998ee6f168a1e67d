use super::dockerfile::{self, Dockerfile};
use crate::context::{Context, ReadError};
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::span::LineIndex;

declare_rule! {
    id: "security/dockerfile-pinned",
    summary: "Every Dockerfile FROM names its image by digest (@sha256:…)",
    level: Error,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [{
        name: "allow",
        kind: "array of globs",
        help: "Images that may stay on a tag, matched against the reference without tag or \
               digest (`registry.acme.com/base/*`). Default: none.",
    }],
    what: "In every `Dockerfile`, `*.Dockerfile`, `Dockerfile.*` and `Containerfile`, each \
           `FROM` names its image with a digest (`image@sha256:<64 hex>`, with or without a \
           tag before it). `FROM scratch` and `FROM` an earlier stage's name (`FROM build`) \
           are not images and pass; `--platform=` and other flags are skipped. Build \
           arguments are read conservatively: `FROM $BASE` is resolved with the defaults of \
           `ARG`s declared before the first `FROM` (and `${X:-default}`), and reported when \
           a variable has no default, since nothing proves what it will be. The finding \
           points at the image reference. A `FROM` without an image, a Dockerfile without any \
           `FROM`, and one that is not UTF-8 text are reported too: docker cannot build them \
           and nothing can be judged in them.",
    why: "A tag such as `python:3.12` or `latest` moves: a rebuild of the same commit pulls \
          a different image, and whoever can push to the tag can change what you ship. A \
          digest names exactly one image. OpenSSF Scorecard's Pinned-Dependencies check \
          asks for the same.",
    example: "`FROM python:3.12-slim` is reported; \
              `FROM python:3.12-slim@sha256:2a6c…` (64 hex digits) is not, nor is \
              `FROM build AS test` after `FROM golang@sha256:… AS build`.",
    fix: "Resolve the tag's digest (`docker buildx imagetools inspect python:3.12-slim`, or \
          `crane digest`) and write `FROM python:3.12-slim@sha256:…`; keep the tag for \
          readers. Dependabot and Renovate update pinned digests.",
}

struct DockerfilePinned {
    allow: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let allow = params.take_globs("allow")?.unwrap_or_default();
    Ok(Box::new(DockerfilePinned { allow }))
}

/// Whether a reference carries a `sha256` digest of 64 hex digits.
pub(crate) fn has_digest(reference: &str) -> bool {
    reference
        .rsplit_once("@sha256:")
        .is_some_and(|(_, hex)| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The reference without digest or tag (the tag is after the last `:` of the last segment).
fn image_name(reference: &str) -> &str {
    let reference = reference.split('@').next().unwrap_or(reference);
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(colon) => &reference[..last_slash + colon],
        None => reference,
    }
}

impl Rule for DockerfilePinned {
    fn wants(&self) -> Vec<String> {
        super::dockerfile_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        for file in cx.wanted() {
            if !super::is_dockerfile(&file.path) {
                continue;
            }
            let text = match cx.text(file) {
                Ok(text) => text,
                // Too large or unreadable files are noted by the engine; a Dockerfile that is
                // not text cannot be judged, and docker cannot build it either.
                Err(ReadError::NotUtf8) => {
                    out.push(
                        Violation::file(
                            &file.path,
                            "not valid UTF-8 text: no FROM can be read from it (docker build \
                             rejects it too)",
                        )
                        .key("not-text"),
                    );
                    continue;
                }
                Err(_) => continue,
            };
            let instructions = dockerfile::parse(&text);
            let parsed = Dockerfile::new(&instructions);
            let index = LineIndex::new(&text);
            if parsed.stages.is_empty() {
                let what = if text.contains('\0') {
                    "holds binary data and no `FROM` instruction"
                } else {
                    "has no `FROM` instruction"
                };
                out.push(
                    Violation::file(
                        &file.path,
                        format!("{what}: docker build needs at least one build stage"),
                    )
                    .key("no-stage"),
                );
                continue;
            }
            let mut stages: Vec<&str> = Vec::new();
            for stage in &parsed.stages {
                if stage.image.is_none() {
                    let end = stage.from.start + "FROM".len();
                    out.push(
                        Violation::file(
                            &file.path,
                            "`FROM` names no image: docker build rejects it",
                        )
                        .span(index.span(stage.from.start, end))
                        .key(format!("{}:no-image", stages.len()))
                        .help("write the base image, pinned by digest: `FROM image:tag@sha256:…`"),
                    );
                }
                if let Some((reference, range)) = &stage.image {
                    if let Some(v) = self.judge(reference, &stages, &parsed) {
                        let bytes = stage.from.file_range(range.clone());
                        out.push(
                            Violation::file(&file.path, v.0)
                                .span(index.span(bytes.start, bytes.end))
                                .key(format!("{}:{reference}", stages.len()))
                                .help(v.1),
                        );
                    }
                }
                if let Some(alias) = &stage.alias {
                    stages.push(alias);
                }
            }
        }
    }
}

impl DockerfilePinned {
    /// `Some((message, help))` when the reference is not pinned.
    fn judge(
        &self,
        reference: &str,
        stages: &[&str],
        parsed: &Dockerfile<'_>,
    ) -> Option<(String, String)> {
        let lower = reference.to_ascii_lowercase();
        if lower == "scratch" || stages.contains(&lower.as_str()) {
            return None;
        }
        let resolved = match dockerfile::substitute(reference, &parsed.global_args) {
            Ok(resolved) => resolved,
            Err(name) => {
                return Some((
                    format!(
                        "image `{reference}` depends on build argument `{name}`, which has no \
                         default: it cannot be shown to be pinned by digest"
                    ),
                    format!(
                        "give `ARG {name}` a default pinned by digest before the first FROM, or \
                         write the digest in the FROM line"
                    ),
                ));
            }
        };
        let resolved_lower = resolved.to_ascii_lowercase();
        if has_digest(&resolved)
            || resolved_lower == "scratch"
            || stages.contains(&resolved_lower.as_str())
            || self.allow.is_match(image_name(&resolved))
        {
            return None;
        }
        let shown = if resolved == reference {
            format!("`{reference}`")
        } else {
            format!("`{reference}` (`{resolved}`)")
        };
        Some((
            format!("image {shown} is not pinned by digest"),
            format!(
                "pin it: `{}@sha256:<digest>` (`docker buildx imagetools inspect {resolved}` \
                 prints the digest)",
                resolved.split('@').next().unwrap_or(&resolved)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"security/dockerfile-pinned\"]\n";
    const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn positions(findings: &[crate::Finding]) -> Vec<(&str, u32, u32, u32)> {
        findings
            .iter()
            .map(|f| {
                let s = f.span.unwrap();
                (f.path.as_deref().unwrap(), s.line, s.column, s.end_column)
            })
            .collect()
    }

    #[test]
    fn reports_tags_at_the_image_column() {
        let text = format!(
            "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN go build\n\
             FROM build AS test\nFROM gcr.io/distroless/static@sha256:{DIGEST}\n\
             COPY --from=build /app /app\nfrom   python\n"
        );
        let findings = check(POLICY, &[("Dockerfile", &text)]);
        assert_eq!(
            positions(&findings),
            [("Dockerfile", 1, 32, 43), ("Dockerfile", 6, 8, 14)],
            "{findings:#?}"
        );
        assert_eq!(
            findings[0].message,
            "image `golang:1.22` is not pinned by digest"
        );
    }

    #[test]
    fn unbuildable_dockerfiles_are_reported_not_skipped() {
        let findings = check(
            POLICY,
            &[
                ("a/Dockerfile", "FROM\nUSER app\n"),
                ("b/Dockerfile", "# only a comment\nRUN true\n"),
                ("c/Dockerfile", "\x7fELF\x02\0\0"),
                ("d/Dockerfile", ""),
            ],
        );
        /// (path, (line, column, end column), message).
        type Seen<'f> = (&'f str, Option<(u32, u32, u32)>, &'f str);
        let got: Vec<Seen> = findings
            .iter()
            .map(|f| {
                (
                    f.path.as_deref().unwrap_or_default(),
                    f.span.map(|s| (s.line, s.column, s.end_column)),
                    f.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "a/Dockerfile",
                    Some((1, 1, 5)),
                    "`FROM` names no image: docker build rejects it"
                ),
                (
                    "b/Dockerfile",
                    None,
                    "has no `FROM` instruction: docker build needs at least one build stage"
                ),
                (
                    "c/Dockerfile",
                    None,
                    "holds binary data and no `FROM` instruction: docker build needs at least \
                     one build stage"
                ),
                (
                    "d/Dockerfile",
                    None,
                    "has no `FROM` instruction: docker build needs at least one build stage"
                ),
            ]
        );
        // Not text at all.
        let snapshot = crate::MemorySnapshot::new().with_file("Dockerfile", vec![0xff, 0xfe, 0x00]);
        let findings = crate::testing::check_snapshot(POLICY, &snapshot);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.starts_with("not valid UTF-8 text"));
    }

    #[test]
    fn scratch_stages_and_file_names() {
        let pinned = format!("FROM alpine:3@sha256:{DIGEST} AS base\nFROM BASE\nFROM scratch\n");
        let files = [
            ("Dockerfile", pinned.as_str()),
            ("svc/api.Dockerfile", "FROM node:20\n"),
            ("svc/Dockerfile.dev", "FROM node\n"),
            ("Containerfile", "FROM fedora\n"),
            ("Dockerfile.dockerignore", "FROM x\n"),
            ("docs/Dockerfile.md.txt", "FROM x\n"),
        ];
        let findings = check(POLICY, &files);
        let paths: Vec<_> = findings
            .iter()
            .map(|f| f.path.as_deref().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "Containerfile",
                "docs/Dockerfile.md.txt",
                "svc/Dockerfile.dev",
                "svc/api.Dockerfile"
            ]
        );
    }

    #[test]
    fn build_arguments_are_resolved_conservatively() {
        let text = format!(
            "ARG BASE=alpine@sha256:{DIGEST}\nARG TAG=3.19\nARG OPEN\n\
             FROM $BASE\nFROM alpine:${{TAG}}\nFROM ${{OPEN}}\nFROM ${{OPEN:-debian@sha256:{DIGEST}}}\n"
        );
        let findings = check(POLICY, &[("Dockerfile", &text)]);
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.span.unwrap().line, f.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (5, "image `alpine:${TAG}` (`alpine:3.19`) is not pinned by digest"),
                (
                    6,
                    "image `${OPEN}` depends on build argument `OPEN`, which has no default: it cannot be shown to be pinned by digest"
                ),
            ]
        );
    }

    #[test]
    fn allow_exempts_images_and_continuations_keep_columns() {
        let policy = format!("{POLICY}allow = [\"registry.acme.com/base/*\"]\n");
        let text =
            "FROM \\\n    registry.acme.com/base/rust:1 AS a\nFROM \\\n  # note\n  redis:7\n";
        let findings = check(&policy, &[("Dockerfile", text)]);
        assert_eq!(positions(&findings), [("Dockerfile", 5, 3, 10)]);
    }

    #[test]
    fn short_or_odd_digests_do_not_count() {
        assert!(super::has_digest(&format!("a@sha256:{DIGEST}")));
        assert!(!super::has_digest("a@sha256:abc"));
        assert!(!super::has_digest("a:sha256"));
        assert_eq!(
            super::image_name("localhost:5000/a/b:1@sha256:x"),
            "localhost:5000/a/b"
        );
        assert_eq!(super::image_name("localhost:5000/a"), "localhost:5000/a");
    }
}
