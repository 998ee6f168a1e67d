use std::cmp::Ordering;
use std::sync::LazyLock;

use super::supply_chain::each_remote_use;
use crate::ci::version::{self, Source, Version};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/vulnerable-action",
    summary: "Actions are not used at versions with a known security advisory",
    level: Error,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [{
        name: "ignore",
        kind: "array of strings",
        help: "Advisory ids (`GHSA-...`) not to report, for advisories that do not apply to \
               how the action is used here. Default: none.",
    }],
    what: "No `uses:` of a step (in workflows and composite actions) or of a job names an \
           action at a version inside the affected range of a security advisory of GitHub's \
           Advisory Database (ecosystem `actions`). The table is shipped with goldpath \
           (`crates/core/rules/ci/action-advisories.toml`) and read offline, never from the \
           network: refresh it with `scripts/refresh-action-advisories.py` (docs/ci.md). \
           The version is the ref when it is a version tag (`@v4.1.2`, `@4.1.2`), or, for \
           a commit SHA, a version comment after it on the same line (`@<sha> # v4.1.2`, \
           as Dependabot and Renovate write them); a SHA without such a comment, a \
           branch, or any other ref is not reported (the SHA cannot be resolved offline). \
           A floating tag (`@v4`, `@v4.1`) moves to the newest release of its line: it is \
           reported only when that newest release is affected too (`@v40` under `< 41`, \
           not `@v4` under `>= 4.0.0, < 4.1.3`). Reported at the ref, or at the comment's \
           version for a SHA pin, once per advisory. An advisory about tags moved to a \
           malicious commit (tj-actions/changed-files in March 2025, marked `moved-tags` \
           in the table) is reported for tag references only: a SHA pin still names the \
           commit its version first named.",
    why: "A version with a published vulnerability (a compromised release, a command \
          injection, a leaked token) is an attack that is known, documented and often \
          exploited by scanners within hours.",
    example: "```yaml\nsteps:\n  - uses: tj-actions/changed-files@v45.0.7   # reported: \
              GHSA-mrrh-fwg8-r2c3\n  - uses: actions/download-artifact@v4       # not \
              reported: v4 moves to 4.1.3 and later\n```",
    fix: "Update the action to the fixed version the finding names (or later), keeping a \
          SHA pin and its version comment in step. If an advisory does not apply to how \
          the action is used, add its id to `ignore` with the reason in a comment.",
}

/// The built-in table, as written in `crates/core/rules/ci/action-advisories.toml`.
const DATA_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/rules/ci/action-advisories.toml"
));

/// One comparison of a range: `>= 4.0.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bound {
    op: Op,
    version: [u64; 3],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl Bound {
    fn holds(&self, version: [u64; 3]) -> bool {
        let order = version.cmp(&self.version);
        match self.op {
            Op::Lt => order == Ordering::Less,
            Op::Le => order != Ordering::Greater,
            Op::Gt => order == Ordering::Greater,
            Op::Ge => order != Ordering::Less,
            Op::Eq => order == Ordering::Equal,
        }
    }
}

/// An affected range of one action in one advisory.
#[derive(Debug, Clone)]
struct Advisory {
    id: String,
    cve: Option<String>,
    action: String,
    affected: String,
    bounds: Vec<Bound>,
    fixed: Option<String>,
    summary: String,
    /// The advisory is about tags moved to a malicious commit: a SHA pin still names the commit
    /// its version first named, so only references by tag are affected.
    moved_tags: bool,
}

/// Parses `>= 4.0.0, < 4.1.3`.
fn parse_range(text: &str) -> Result<Vec<Bound>, String> {
    let mut bounds = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let (op, rest) = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("=", Op::Eq),
        ]
        .iter()
        .find_map(|(p, op)| part.strip_prefix(p).map(|r| (*op, r)))
        .unwrap_or((Op::Eq, part));
        let version = Version::parse(rest)
            .ok_or_else(|| format!("`{part}` in `{text}` is not a comparison with a version"))?;
        bounds.push(Bound {
            op,
            version: version.oldest(),
        });
    }
    Ok(bounds)
}

fn parse_table(text: &str) -> Result<Vec<Advisory>, String> {
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(default)]
        advisory: Vec<RawAdvisory>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawAdvisory {
        id: String,
        cve: Option<String>,
        action: String,
        affected: String,
        fixed: Option<String>,
        summary: String,
        #[serde(default, rename = "moved-tags")]
        moved_tags: bool,
    }
    let raw: Raw = toml::from_str(text).map_err(|e| e.to_string())?;
    raw.advisory
        .into_iter()
        .map(|a| {
            if a.action.split('/').count() != 2 {
                return Err(format!("{}: `{}` is not owner/repo", a.id, a.action));
            }
            Ok(Advisory {
                bounds: parse_range(&a.affected).map_err(|e| format!("{}: {e}", a.id))?,
                id: a.id,
                cve: a.cve,
                action: a.action.to_ascii_lowercase(),
                affected: a.affected,
                fixed: a.fixed,
                summary: a.summary,
                moved_tags: a.moved_tags,
            })
        })
        .collect()
}

// The table is part of the build and checked by a unit test: a mistake in it is a bug of
// the release, not of a user's input.
static ADVISORIES: LazyLock<Vec<Advisory>> = LazyLock::new(|| {
    parse_table(DATA_TOML)
        .unwrap_or_else(|e| panic!("rules/ci/action-advisories.toml is invalid: {e}"))
});

struct VulnerableAction {
    ignore: Vec<String>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let ignore: Vec<String> = params.take("ignore")?.unwrap_or_default();
    Ok(Box::new(VulnerableAction {
        ignore: ignore
            .iter()
            .map(|i| i.trim().to_ascii_uppercase())
            .collect(),
    }))
}

/// Whether `version` is affected by `advisory`: an exact version when it is in the range, a
/// floating one when the newest release it can move to is.
fn affects(advisory: &Advisory, version: &Version) -> bool {
    let at = if version.is_exact() {
        version.oldest()
    } else {
        version.newest()
    };
    advisory.bounds.iter().all(|b| b.holds(at))
}

impl Rule for VulnerableAction {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_remote_use(cx, |u| {
            let repository = u.remote.repository().to_ascii_lowercase();
            let mut matching = ADVISORIES
                .iter()
                .filter(|a| a.action == repository)
                .peekable();
            if matching.peek().is_none() {
                return;
            }
            let Some((version, source)) = version::of_uses(u.text, u.uses, &u.remote) else {
                return;
            };
            let mut reported: Vec<&str> = Vec::new();
            for advisory in matching {
                if reported.contains(&advisory.id.as_str())
                    || self.ignore.contains(&advisory.id.to_ascii_uppercase())
                    || !affects(advisory, &version)
                    || (advisory.moved_tags && matches!(source, Source::Comment))
                {
                    continue;
                }
                reported.push(&advisory.id);
                let span = match source {
                    Source::Ref => u.ref_span(),
                    Source::Comment => comment_span(u).unwrap_or(u.uses.span),
                };
                let written = match source {
                    Source::Ref => format!("`{}`", u.remote.git_ref),
                    Source::Comment => format!("`{version}` (the comment after its SHA)"),
                };
                let cve = advisory
                    .cve
                    .as_ref()
                    .map(|c| format!(", {c}"))
                    .unwrap_or_default();
                let help = match &advisory.fixed {
                    Some(fixed) => format!(
                        "update `{}` to {fixed} or later (https://github.com/advisories/{})",
                        u.remote.repository(),
                        advisory.id
                    ),
                    None => format!(
                        "no fixed release in this line: move to a fixed major version (https://github.com/advisories/{})",
                        advisory.id
                    ),
                };
                out.push(
                    Violation::file(
                        u.path,
                        format!(
                            "`{}` at {written} is affected by {}{cve} ({}): {}",
                            u.remote.name(),
                            advisory.id,
                            advisory.affected,
                            advisory.summary
                        ),
                    )
                    .span(span)
                    .help(help)
                    .key(format!("{}:{}", u.key, advisory.id)),
                );
            }
        });
    }
}

/// The span of the version in the comment after a SHA pin.
fn comment_span(u: &super::supply_chain::RemoteUse<'_>) -> Option<crate::span::Span> {
    let start = u.uses.span.end_byte;
    let rest = u.text.text.get(start..)?;
    let line = rest.split('\n').next()?;
    let hash = line.find('#')?;
    let after = &line[hash + 1..];
    let word_start = after
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)?;
    let word_len = after[word_start..]
        .find(char::is_whitespace)
        .unwrap_or(after.len() - word_start);
    let from = start + hash + 1 + word_start;
    // Include a `v` just before the digits.
    let from = if from > 0 && u.text.text.as_bytes().get(from - 1) == Some(&b'v') {
        from - 1
    } else {
        from
    };
    Some(u.text.span(from, start + hash + 1 + word_start + word_len))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use super::{parse_range, parse_table, DATA_TOML};
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/vulnerable-action\"]\n";

    #[test]
    fn the_table_parses() {
        let table = parse_table(DATA_TOML).unwrap();
        assert!(table.len() >= 8);
        assert!(table.iter().all(|a| a.id.starts_with("GHSA-")));
        assert!(parse_range(">= 1.0, < x").is_err());
        assert!(parse_table(
            "[[advisory]]\nid = \"GHSA-x\"\naction = \"a\"\naffected = \"< 1\"\nsummary = \"s\"\n"
        )
        .is_err());
    }

    #[test]
    fn reports_tags_and_commented_shas_in_range() {
        let sha = "b4ffde65f46336ab88eb53be808477a3936bae11";
        let workflow = format!(
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      \
             - uses: tj-actions/changed-files@v45.0.7\n      \
             - uses: tj-actions/changed-files@v46.0.1\n      \
             - uses: tj-actions/changed-files@{sha} # v40.1.0\n      \
             - uses: tj-actions/changed-files@{sha}\n      \
             - uses: actions/download-artifact@v4\n      \
             - uses: actions/download-artifact@v4.1.2\n      \
             - uses: github/codeql-action/init@v2\n      \
             - uses: tj-actions/changed-files@main\n"
        );
        let findings = check(POLICY, &[(".github/workflows/ci.yml", &workflow)]);
        assert_eq!(
            lines(&findings),
            [(6, 40), (8, 83), (11, 41), (12, 41)],
            "{findings:#?}"
        );
        assert!(findings[0].message.contains("GHSA-mrrh-fwg8-r2c3"));
        assert!(findings[0].help.as_deref().unwrap().contains("46.0.1"));
        // v40.1.0 by its comment: the injection advisory, not the moved tags (the SHA still
        // names the commit v40.1.0 first named).
        assert!(findings[1].message.contains("the comment after its SHA"));
        assert!(findings[1].message.contains("GHSA-mcph-m25j-8j63"));
        let span = findings[1].span.unwrap();
        assert_eq!(span.end_column - span.column, 7, "`v40.1.0`");
        assert!(findings[3]
            .help
            .as_deref()
            .unwrap()
            .contains("no fixed release"));
    }

    #[test]
    fn ignore_drops_advisories() {
        let policy = "[rules.\"ci/vulnerable-action\"]\nignore = [\"ghsa-mrrh-fwg8-r2c3\"]\n";
        let action =
            "runs:\n  using: composite\n  steps:\n    - uses: tj-actions/changed-files@v40.0.0\n";
        assert_eq!(check(POLICY, &[("action.yml", action)]).len(), 2);
        let findings = check(policy, &[("action.yml", action)]);
        assert_eq!(lines(&findings), [(4, 38)]);
        assert!(findings[0].message.contains("GHSA-mcph-m25j-8j63"));
    }
}
