use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use goldpath_codeowners::{Owner, OwnerKind};

use super::{codeowners, judged, push_capped, wants};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ownership/unknown-owner",
    summary: "Every CODEOWNERS owner matches the organisation's allowed owners",
    level: Error,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [{
        name: "allowed",
        kind: "array of globs (required)",
        help: "The owners that may appear, as globs matched without regard to letter case \
               against the owner as written: `@acme/*` (any team of the acme organisation), \
               `@jane`, `*@acme.com` (any address at acme.com). `*` does not cross a `/`; \
               `@acme/**` also matches GitLab subgroups. GitLab roles (`@@maintainer`) are \
               always allowed: they name the project's own members.",
    }],
    what: "Each owner of the effective CODEOWNERS file (section default owners included, \
           on GitLab) matches one of the `allowed` globs; each one that does not is \
           reported at its line and column. \
           At most 200 are reported one by one; one more finding counts the rest.",
    why: "An owner from outside the organisation (a personal account, a former \
          contractor's address, a team of another organisation after a copy and paste) is \
          asked to review changes it should not see, or cannot approve them, and the code \
          is in effect unowned.",
    example: "```toml\n[rules.\"ownership/unknown-owner\"]\nallowed = [\"@acme/*\", \
              \"*@acme.com\"]\n```\nIn `*.rs @acme/rust @bob ops@gmail.com`, `@bob` and \
              `ops@gmail.com` are reported; `@acme/rust` is not.",
    fix: "Replace the owner with a team of the organisation, or add it to `allowed` if it \
          belongs there.",
}

struct UnknownOwner {
    allowed: GlobSet,
    patterns: Vec<String>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let rule = params.rule().to_owned();
    let Some((patterns, origin)) = params.take_with_origin::<Vec<String>>("allowed")? else {
        return Err(PolicyError::new(format!(
            "rule `{rule}` needs `allowed`, the globs of the owners that may appear, such as \
             allowed = [\"@acme/*\", \"*@acme.com\"]"
        )));
    };
    if patterns.is_empty() {
        return Err(origin.error(format!(
            "`allowed` of rule `{rule}` is empty: every owner would be reported"
        )));
    }
    let mut set = GlobSetBuilder::new();
    for pattern in &patterns {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .case_insensitive(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| {
                crate::policy::options::at_string(&origin, pattern)
                    .error(format!("invalid glob `{pattern}`: {}", e.kind()))
            })?;
        set.add(glob);
    }
    let allowed = set.build().map_err(|e| origin.error(e.to_string()))?;
    Ok(Box::new(UnknownOwner { allowed, patterns }))
}

impl UnknownOwner {
    fn report(&self, file: &super::CodeownersFile, owner: &Owner, out: &mut Vec<Violation>) {
        if matches!(owner.kind, OwnerKind::Role(_)) || self.allowed.is_match(&owner.text) {
            return;
        }
        out.push(
            Violation::file(
                &file.path,
                format!(
                    "`{}` is not an allowed owner (allowed: {})",
                    owner.text,
                    self.patterns.join(", ")
                ),
            )
            .span(file.span(owner.line, owner.column, owner.end_column))
            .key(owner.text.to_lowercase()),
        );
    }
}

impl Rule for UnknownOwner {
    fn wants(&self) -> Vec<String> {
        wants()
    }

    fn check(&self, cx: &Context<'_>, sink: &mut Vec<Violation>) {
        let owners = codeowners(cx);
        let Some(file) = &owners.file else { return };
        let Some(rules) = file.rules() else { return };
        if !judged(cx, &file.path) {
            return;
        }
        let mut out = Vec::new();
        for rule in rules.rules() {
            if rule.owners_from_section {
                continue;
            }
            for owner in &rule.owners {
                self.report(file, owner, &mut out);
            }
        }
        for section in rules.sections() {
            for header in &section.headers {
                for owner in &header.default_owners {
                    self.report(file, owner, &mut out);
                }
            }
        }
        out.sort_by_key(|v| v.span.map(|s| (s.line, s.column)));
        push_capped(&file.path, out, sink);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::spans;
    use crate::testing::{check, policy_error};

    const POLICY: &str =
        "[rules.\"ownership/unknown-owner\"]\nallowed = [\"@acme/*\", \"*@acme.com\"]\n";

    #[test]
    fn reports_owners_outside_the_allowed_globs_at_their_columns() {
        let text =
            "* @acme/platform\n*.rs @ACME/Rust @bob ops@gmail.com Dev@Acme.com\n/x @acme/a/b\n";
        let findings = check(POLICY, &[(".github/CODEOWNERS", text)]);
        let got: Vec<_> = spans(&findings)
            .into_iter()
            .map(|(_, _, l, c, e)| (l, c, e))
            .collect();
        // `@acme/a/b` is not even a valid GitHub owner: owner-format reports it, and the
        // parser drops it.
        assert_eq!(got, [(2, 17, 21), (2, 22, 35)], "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "`@bob` is not an allowed owner (allowed: @acme/*, *@acme.com)"
        );
    }

    #[test]
    fn gitlab_default_owners_are_checked_once_and_roles_are_allowed() {
        let policy = format!("[settings]\nplatform = \"gitlab\"\n{POLICY}");
        let text = "[Docs] @outsider\n*.md\n*.txt\n/x @@maintainer @acme/a/b\n";
        let findings = check(&policy, &[("CODEOWNERS", text)]);
        let got: Vec<_> = spans(&findings)
            .into_iter()
            .map(|(_, _, l, c, _)| (l, c))
            .collect();
        assert_eq!(got, [(1, 8), (4, 17)], "{findings:#?}");
    }

    #[test]
    fn allowed_is_required_and_validated() {
        let err = policy_error("[rules.\"ownership/unknown-owner\"]\n");
        assert!(err.message.contains("needs `allowed`"), "{err}");
        let err = policy_error("[rules.\"ownership/unknown-owner\"]\nallowed = []\n");
        assert!(err.message.contains("empty"), "{err}");
        let err =
            policy_error("[rules.\"ownership/unknown-owner\"]\nallowed = [\"@a/*\", \"@b/[\"]\n");
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 21)),
            "{err}"
        );
    }
}
