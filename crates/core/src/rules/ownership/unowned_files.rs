use goldpath_codeowners::{CodeOwners, Ownership};

use super::{
    analysis, check_work, codeowners, owners_of_all, pattern_text, wants, CodeownersFile, Owned,
    WorkLimit,
};
use crate::context::Context;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ownership/unowned-files",
    summary: "Every file has a code owner",
    level: Error,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "ignore",
            kind: "array of globs",
            help: "Files that need no owner (generated files, lockfiles). Default: none.",
        },
        {
            name: "max-findings",
            kind: "integer",
            help: "At most this many files are reported one by one (the first in path order); \
                   the rest are counted in one repository-wide finding, so a repository \
                   without coverage does not produce a finding per file. Default 200; 0 \
                   reports every file.",
        },
    ],
    what: "Each file is owned according to the effective CODEOWNERS file read in the \
           platform's dialect. A file is unowned when no line matches it (\"no CODEOWNERS \
           rule matches\") or when the line that decides it has no owners (\"the last \
           matching rule (`.github/CODEOWNERS:12`, `/legacy/`) has no owners\"); on GitLab, \
           when none of the sections that match it gives it an owner (a section's \
           exclusion counts as no owner). Reported at the file. In `--staged` and \
           pull-request mode only changed and added files are judged. When there is no \
           CODEOWNERS file, or GitHub would not load it, or it cannot be read, one \
           repository-wide finding says so instead of one per file (not for a change: \
           the missing file is `ownership/codeowners-missing`'s finding, reported when a \
           change removes it). Vendored and \
           generated files (`vendor/`, `node_modules/`, `.gitattributes` \
           `linguist-vendored`/`linguist-generated`: see `[settings] include-vendored`) \
           are skipped like excluded ones and not reported. When matching the file against the tree takes more pattern checks than the limit of \
           CODEOWNERS work (100,000,000, see docs/limits.md) the tree is not matched and one \
           finding on the CODEOWNERS file names the limit instead.",
    why: "A file without an owner gets no required review: a change to it merges with \
          whoever happens to approve, and when it breaks there is no one to ask.",
    example: "With `/src/ @acme/dev` as the only line, `README.md` is reported (no rule \
              matches) and `src/a.rs` is not. With `* @acme/all` and `/legacy/` (no \
              owners) below it, `legacy/lib.c` is reported: the line that decides it has \
              no owners.",
    fix: "Add a default owner on the first line (`* @org/team`) and more specific lines \
          below it, or give the pattern that decides the file an owner. `goldpath owners \
          --unowned` lists every unowned file; `ignore` exempts files that need no owner.",
}

/// Per-file findings before the rest are summed up in one.
const DEFAULT_MAX_FINDINGS: usize = 200;

struct UnownedFiles {
    ignore: GlobList,
    max_findings: usize,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let ignore = params.take_globs("ignore")?.unwrap_or_default();
    let max_findings = match params.take_with_origin::<i64>("max-findings")? {
        None => DEFAULT_MAX_FINDINGS,
        Some((n, origin)) => usize::try_from(n).map_err(|_| {
            origin.error("`max-findings` must be 0 (no limit) or a positive number")
        })?,
    };
    Ok(Box::new(UnownedFiles {
        ignore,
        max_findings,
    }))
}

/// Why a file has no owner, as a sentence, and its fingerprint key.
fn why_unowned(file: &CodeownersFile, who: &Ownership<'_>) -> (String, &'static str) {
    match who.decisions() {
        [] => ("no CODEOWNERS rule matches this file".to_owned(), "no-rule"),
        [one] if one.section_index.is_none() && !one.excluded => (
            format!(
                "the last matching rule (`{}`, `{}`) has no owners",
                file.at(one.rule.line),
                one.rule.pattern
            ),
            "no-owners",
        ),
        many => {
            let parts: Vec<String> = many
                .iter()
                .map(|d| {
                    let section = d
                        .section
                        .map_or_else(|| "unnamed section".to_owned(), |s| format!("[{}]", s.name));
                    let line = format!("line {} (`{}`)", d.rule.line, pattern_text(d.rule));
                    if d.excluded {
                        format!("{section}: {line} excludes it")
                    } else {
                        format!("{section}: {line} has no owners")
                    }
                })
                .collect();
            (
                format!("no section gives this file an owner: {}", parts.join("; ")),
                "no-owners",
            )
        }
    }
}

/// `none of the 3 files judged has an owner`, in the right number.
fn no_owner(judged: usize) -> String {
    match judged {
        0 => "no file is judged".to_owned(),
        1 => "the 1 file judged has no owner".to_owned(),
        n => format!("none of the {n} files judged has an owner"),
    }
}

/// The judged paths without an owner, in order. A full check reads them from the pass over the
/// whole tree that other rules share; in change mode only the judged paths are matched.
fn unowned_of<'p>(
    cx: &Context<'_>,
    rules: &CodeOwners,
    judged: &[&'p str],
) -> Result<Vec<(&'p str, Owned)>, WorkLimit> {
    let shared = cx.changed().is_none().then(|| analysis(cx)).flatten();
    let Some((_, analysis)) = shared else {
        check_work(rules, judged)?;
        return Ok(owners_of_all(rules, judged)
            .iter()
            .zip(judged)
            .map(|(who, path)| (*path, Owned::of(who)))
            .filter(|(_, status)| *status != Owned::Yes)
            .collect());
    };
    if let Some(e) = &analysis.over_limit {
        return Err(e.clone());
    }
    // The judged paths are the snapshot's, in its order, less excluded ones.
    let files = cx.snapshot().files();
    let mut at = 0;
    let mut out = Vec::new();
    for path in judged {
        while at < files.len() && files[at].path.as_str() < *path {
            at += 1;
        }
        let status = match analysis.owned.get(at) {
            Some(status) if files[at].path == *path => *status,
            _ => Owned::of(&rules.owners_of(path)),
        };
        if status != Owned::Yes {
            out.push((*path, status));
        }
    }
    Ok(out)
}

impl Rule for UnownedFiles {
    fn wants(&self) -> Vec<String> {
        wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let judged: Vec<&str> = cx
            .files()
            .iter()
            .map(|f| f.path.as_str())
            .filter(|p| self.ignore.is_empty() || !self.ignore.is_match(p))
            .collect();
        if judged.is_empty() {
            return;
        }
        let owners = codeowners(cx);
        let count = no_owner;
        let Some(file) = &owners.file else {
            // A change does not make a repository without CODEOWNERS any less owned: the
            // missing file is `ownership/codeowners-missing`'s finding, reported when a
            // change removes it.
            if cx.changed().is_some() {
                return;
            }
            out.push(
                Violation::repo(format!(
                    "there is no CODEOWNERS file, so {}",
                    count(judged.len())
                ))
                .help(format!(
                    "add one at {} (`ownership/codeowners-missing`)",
                    owners.locations_text()
                ))
                .key("no-codeowners"),
            );
            return;
        };
        let (Some(rules), None) = (file.rules(), &file.unusable) else {
            let why = file
                .unusable
                .as_ref()
                .map(|u| u.describe())
                .unwrap_or_default();
            out.push(
                Violation::file(
                    &file.path,
                    format!(
                        "`{}` gives no owner to any file: {why}; {}",
                        file.path,
                        count(judged.len())
                    ),
                )
                .key("unusable"),
            );
            return;
        };
        let unowned = match unowned_of(cx, rules, &judged) {
            Ok(unowned) => unowned,
            Err(e) => {
                out.push(Violation::file(&file.path, e.to_string()).key("codeowners-work-limit"));
                return;
            }
        };
        let mut reported = 0;
        let (mut no_rule, mut no_owners) = (0usize, 0usize);
        for (path, status) in unowned {
            if self.max_findings > 0 && reported >= self.max_findings {
                match status {
                    Owned::NoOwners => no_owners += 1,
                    _ => no_rule += 1,
                }
                continue;
            }
            reported += 1;
            let (message, key) = why_unowned(file, &rules.owners_of(path));
            out.push(Violation::file(path, message).key(key));
        }
        let rest = no_rule + no_owners;
        if rest > 0 {
            out.push(
                Violation::repo(format!(
                    "{rest} more files have no owner ({no_rule} match no CODEOWNERS rule, \
                     {no_owners} only rules without owners); only the first {} are reported \
                     one by one",
                    self.max_findings
                ))
                .help("`goldpath owners --unowned` lists every unowned file")
                .key("more-unowned"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::snapshot::MemorySnapshot;
    use crate::testing::{check, check_snapshot};

    const POLICY: &str = "[rules.\"ownership/unowned-files\"]\n";

    fn paths_and_messages(findings: &[crate::Finding]) -> Vec<(String, String)> {
        findings
            .iter()
            .map(|f| (f.path.clone().unwrap_or_default(), f.message.clone()))
            .collect()
    }

    #[test]
    fn reports_files_without_a_rule_and_files_whose_rule_has_no_owners() {
        let text = "/src/ @dev\n/src/gen/\n";
        let files = [
            (".github/CODEOWNERS", text),
            ("README.md", ""),
            ("src/a.rs", ""),
            ("src/gen/b.rs", ""),
        ];
        let findings = check(POLICY, &files);
        assert_eq!(
            paths_and_messages(&findings),
            [
                (
                    ".github/CODEOWNERS".to_owned(),
                    "no CODEOWNERS rule matches this file".to_owned()
                ),
                (
                    "README.md".to_owned(),
                    "no CODEOWNERS rule matches this file".to_owned()
                ),
                (
                    "src/gen/b.rs".to_owned(),
                    "the last matching rule (`.github/CODEOWNERS:2`, `/src/gen/`) has no owners"
                        .to_owned()
                ),
            ]
        );
        assert_ne!(findings[1].fingerprint, findings[2].fingerprint);
    }

    #[test]
    fn gitlab_names_each_section() {
        let policy = format!("[settings]\nplatform = \"gitlab\"\n{POLICY}");
        let text = "* @all\n/legacy/\n[Docs] @docs\n*.md\n!/legacy/**/*.md\n";
        let files = [("CODEOWNERS", text), ("legacy/x/a.md", "")];
        let findings = check(&policy, &files);
        // `/legacy/` has no owners (GitLab also flags that line as missing owners: a syntax
        // finding, not this rule's).
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "no section gives this file an owner: unnamed section: line 2 (`/legacy/`) has no \
             owners; [Docs]: line 5 (`!/legacy/**/*.md`) excludes it"
        );
    }

    #[test]
    fn vendored_files_are_not_reported_unless_included() {
        let text = "/src/ @dev\n";
        let files = [
            ("CODEOWNERS", text),
            ("src/a.rs", ""),
            ("vendor/x/a.go", ""),
            ("web/node_modules/p/i.js", ""),
        ];
        let paths = |policy: &str| -> Vec<String> {
            check(policy, &files)
                .into_iter()
                .filter_map(|f| f.path)
                .collect()
        };
        assert_eq!(paths(POLICY), ["CODEOWNERS"]);
        let included = format!("[settings]\ninclude-vendored = [\"vendor/**\"]\n{POLICY}");
        assert_eq!(paths(&included), ["CODEOWNERS", "vendor/x/a.go"]);
    }

    #[test]
    fn caps_per_file_findings_with_one_summary() {
        let policy = format!("{POLICY}max-findings = 2\nignore = [\"gen/**\"]\n");
        let mut snapshot = MemorySnapshot::new().with_file("CODEOWNERS", "/src/ @dev\n/src/v/\n");
        for i in 0..5 {
            snapshot = snapshot
                .with_file(format!("a{i}.txt"), "")
                .with_file(format!("src/v/{i}.c"), "")
                .with_file(format!("gen/{i}.c"), "");
        }
        let findings = check_snapshot(&policy, &snapshot);
        let summary: Vec<_> = findings.iter().filter(|f| f.path.is_none()).collect();
        assert_eq!(findings.len(), 3, "{findings:#?}");
        assert_eq!(
            summary[0].message,
            "9 more files have no owner (4 match no CODEOWNERS rule, 5 only rules without \
             owners); only the first 2 are reported one by one"
        );
        let unlimited = format!("{POLICY}max-findings = 0\n");
        assert_eq!(check_snapshot(&unlimited, &snapshot).len(), 16);
    }

    #[test]
    fn only_changed_files_are_judged_in_change_mode() {
        let snapshot = MemorySnapshot::new()
            .with_file("CODEOWNERS", "/src/ @dev\n")
            .with_file("old.txt", "")
            .with_file("new.txt", "")
            .with_file("src/a.rs", "")
            .with_changed(["new.txt", "src/a.rs"]);
        let findings = check_snapshot(POLICY, &snapshot);
        assert_eq!(
            findings
                .iter()
                .filter_map(|f| f.path.as_deref())
                .collect::<Vec<_>>(),
            ["new.txt"]
        );
    }

    #[test]
    fn one_finding_when_there_is_no_usable_codeowners() {
        let findings = check(POLICY, &[("a", ""), ("b", "")]);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].message,
            "there is no CODEOWNERS file, so none of the 2 files judged has an owner"
        );
        let findings = check(POLICY, &[("a", "")]);
        assert_eq!(
            findings[0].message,
            "there is no CODEOWNERS file, so the 1 file judged has no owner"
        );
        assert_eq!(super::no_owner(0), "no file is judged");
        let findings = check(POLICY, &[("CODEOWNERS", "* @a\0"), ("b", "")]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("is binary"), "{findings:#?}");
        assert_eq!(findings[0].path.as_deref(), Some("CODEOWNERS"));
    }

    #[test]
    fn max_findings_must_not_be_negative() {
        let err = crate::testing::policy_error(&format!("{POLICY}max-findings = -1\n"));
        assert_eq!(err.location.as_ref().map(|l| l.line), Some(2), "{err}");
    }
}
