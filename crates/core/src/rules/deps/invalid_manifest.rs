use super::{judged_kind, parsed_files, project, span, wants};
use crate::context::{Context, ReadError};
use crate::finding::{Level, Violation};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "deps/invalid-manifest",
    summary: "Dependency manifests and lockfiles parse",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    rule: InvalidManifest,
    what: "Every manifest and lockfile the `deps/*` rules read (`Cargo.toml`, \
           `Cargo.lock`, `package.json`, `package-lock.json`, `npm-shrinkwrap.json`, \
           `pnpm-lock.yaml`, `yarn.lock`, `go.mod`, `go.sum`, `pyproject.toml`, \
           `requirements*.txt`, `poetry.lock`, `uv.lock`) must parse; a file that does not \
           is reported at the line and column where parsing stopped, with the parser's \
           message; a file that is not UTF-8 text is reported at its first invalid byte. \
           The other `deps/*` rules cannot judge such a file, so this rule is \
           what keeps it from passing silently. Files under `node_modules/`, \
           `site-packages/` and `.venv/` are installed code and are not read, and so \
           are test fixtures that belong to no workspace (a manifest under `tests/`, \
           `test/`, `testdata/`, `fixtures/` or `__fixtures__/` that no workspace's \
           members, path dependency or go.work reaches: docs/deps.md). A key \
           written twice in one object of `package.json` is reported as a warning at the \
           second occurrence: npm accepts the file but keeps only the last value, so the \
           first (a dependency's version, a script) is silently ignored.",
    why: "A manifest the package manager cannot read breaks every build, and a lockfile \
          it cannot read is regenerated or ignored, so the versions it was meant to pin \
          are not the ones installed. Either way the dependency rules would otherwise \
          judge nothing and report nothing.",
    example: "`[dependencies]\\nserde = 1` in Cargo.toml is reported at 2:9: `Cargo.toml \
              does not parse: dependency `serde` must be a string or a table, not \
              integer`.",
    fix: "Fix the syntax at the reported position; for a lockfile, regenerate it with the \
          package manager (`cargo generate-lockfile`, `npm install`, `pnpm install`, \
          `yarn`, `go mod tidy`, `uv lock`, `poetry lock`) rather than editing it by hand.",
}

impl Rule for InvalidManifest {
    fn wants(&self) -> Vec<String> {
        wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let project = project(cx);
        for file in cx.wanted() {
            if judged_kind(&project, file).is_none() || !matches!(cx.text(file), Err(ReadError::NotUtf8))
            {
                continue;
            }
            let Ok(bytes) = cx.read(file) else {
                continue;
            };
            let valid = std::str::from_utf8(&bytes).map_or_else(|e| e.valid_up_to(), str::len);
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let mut at = crate::span::LineIndex::new(prefix).span(valid, valid);
            at.end_column = at.column + 1;
            at.end_byte = valid + 1;
            let name = file.path.rsplit('/').next().unwrap_or(&file.path);
            out.push(
                Violation::file(
                    &file.path,
                    format!(
                        "{name} is not valid UTF-8 text: the byte here is not part of a character"
                    ),
                )
                .span(at)
                .help("save the file as UTF-8")
                .key("not-utf8"),
            );
        }
        for (file, parsed) in parsed_files(cx) {
            let error = match parsed.as_ref() {
                Ok(manifest) => {
                    for (message, position) in &manifest.warnings {
                        out.push(
                            Violation::file(&file.path, message.clone())
                                .span(span(position))
                                .level(Level::Warning)
                                .help("remove the first occurrence, or merge the two")
                                .key(format!("warning:{message}")),
                        );
                    }
                    continue;
                }
                Err(error) => error,
            };
            let name = file.path.rsplit('/').next().unwrap_or(&file.path);
            out.push(
                Violation::file(
                    &file.path,
                    format!("{name} does not parse: {}", error.message),
                )
                .span(span(&error.position))
                .help(
                    if judged_kind(&project, file).is_some_and(|kind| kind.is_lockfile()) {
                        "fix the syntax here, or regenerate the lockfile with its package manager"
                    } else {
                        "fix the syntax here"
                    },
                )
                .key("invalid"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"deps/invalid-manifest\"]\n";

    #[test]
    fn reports_parse_errors_at_their_position() {
        let findings = check(
            POLICY,
            &[
                ("Cargo.toml", "[dependencies]\nserde = 1\n"),
                ("web/package.json", "{\"dependencies\": {\"a\": \"^1\"}}"),
                (
                    "web/pnpm-lock.yaml",
                    "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: [\n",
                ),
                ("go.mod", "module m\nfrobnicate x\n"),
                ("node_modules/x/package.json", "{"),
            ],
        );
        let got: Vec<_> = findings
            .iter()
            .filter(|f| f.rule == "deps/invalid-manifest")
            .map(|f| {
                (
                    f.path.clone().unwrap_or_default(),
                    f.span.map(|s| (s.line, s.column)),
                )
            })
            .collect();
        assert_eq!(got.len(), 3, "{findings:?}");
        assert_eq!(got[0], ("Cargo.toml".into(), Some((2, 9))));
        assert_eq!(got[1], ("go.mod".into(), Some((2, 1))));
        assert_eq!(got[2].0, "web/pnpm-lock.yaml");
        assert!(got[2].1.is_some_and(|(line, _)| line >= 3));
        assert!(findings[0]
            .message
            .starts_with("Cargo.toml does not parse: "));
    }

    #[test]
    fn duplicate_keys_in_package_json_are_warnings() {
        let findings = check(
            POLICY,
            &[(
                "package.json",
                "{\"dependencies\": {\"a\": \"^1\"},\n \"dependencies\": {}}",
            )],
        );
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].level, crate::finding::Level::Warning);
        assert_eq!(findings[0].span.map(|s| (s.line, s.column)), Some((2, 2)));
        assert_eq!(
            findings[0].message,
            "duplicate key `dependencies` (first at line 1): npm keeps the last value and \
             ignores the first"
        );
    }

    #[test]
    fn reports_text_that_is_not_utf8_at_its_first_invalid_byte() {
        let snapshot = crate::MemorySnapshot::new()
            .with_file("Cargo.lock", b"version = 4\n# caf\xe9\n".to_vec())
            .with_file("docs/notes.txt", b"\xff".to_vec());
        let findings = crate::testing::check_snapshot(POLICY, &snapshot);
        let got: Vec<_> = findings
            .iter()
            .map(|f| {
                (
                    f.path.clone(),
                    f.span.map(|s| (s.line, s.column)),
                    f.message.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [(
                Some("Cargo.lock".to_owned()),
                Some((2, 6)),
                "Cargo.lock is not valid UTF-8 text: the byte here is not part of a character"
                    .to_owned()
            )]
        );
    }
}
