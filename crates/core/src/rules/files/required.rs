use serde::Deserialize;

use crate::context::Context;
use crate::edit::{Edit, Fix, FixOptions};
use crate::finding::{Tier, Violation};
use crate::glob::{Glob, GlobList};
use crate::policy::{Params, Platform, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::rules::ownership::codeowners_missing;
use crate::rules::security::security_policy;

declare_rule! {
    id: "files/required",
    summary: "Required files exist (each requirement is any-of a list of globs)",
    level: Error,
    tier: Bronze,
    scope: Repository { path_list: true },
    fixable: true,
    build: build,
    options: [{
        name: "files",
        kind: "array of tables { name, any-of = [globs], tier?, help?, unless-private? }",
        help: "Each entry is one requirement, met when any tracked file matches any of its \
               globs. `name` is how the finding names it; `tier` overrides the rule's tier for \
               that entry (a README is bronze, SECURITY.md silver); `help` says how to add it; \
               `unless-private = true` drops the requirement when `[settings] private = true` \
               (a licence).",
    }],
    what: "For each entry of `files`, at least one file of the repository matches one of its \
           `any-of` globs. A repository-wide finding names each requirement that is not met.",
    why: "A README, a licence and a security policy are how people and tools find out what \
          a repository is, whether they may use it, and how to report a vulnerability.",
    example: "```toml\n[rules.\"files/required\"]\nfiles = [\n  { name = \"README\", \
              any-of = [\"README*\", \"readme*\"] },\n]\n```\nA repository with only \
              `docs/README.md` is reported (`README*` matches at the root only); one with \
              `README.md` is not.",
    fix: "Add the file, or change the globs if your organisation names it differently. \
          For a requirement whose `any-of` lists a plain path to a file named \
          `SECURITY.md` (as `builtin:recommended`'s security policy does) or `CODEOWNERS`, \
          `goldpath fix` creates it from the same template as `security/security-policy` \
          or `ownership/codeowners-missing`: at `SECURITY.md` or the platform's first \
          CODEOWNERS location when listed (where those rules' fixes write), else at the \
          first such path. A placeholder never meets a requirement: a security policy whose \
          only contacts are placeholders (the `TODO-security-contact@example.com` that \
          fix writes, addresses at `example.com`...) or a CODEOWNERS file whose only owners \
          are (`@TODO-org/TODO-team`, `@org/team`...) is reported at the placeholder, at the \
          requirement's tier, until a person replaces it.",
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    name: String,
    any_of: Vec<String>,
    tier: Option<Tier>,
    help: Option<String>,
    #[serde(default)]
    unless_private: bool,
}

struct Requirement {
    name: String,
    globs: GlobList,
    tier: Option<Tier>,
    help: Option<String>,
    unless_private: bool,
}

struct Required {
    requirements: Vec<Requirement>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let entries = params.take_with_origin::<Vec<Entry>>("files")?;
    let mut requirements = Vec::new();
    for (entry, origin) in entries
        .into_iter()
        .flat_map(|(list, origin)| list.into_iter().map(move |e| (e, origin.clone())))
    {
        if entry.any_of.is_empty() {
            return Err(origin.narrow_to(&entry.name).error(format!(
                "requirement `{}` has an empty `any-of`",
                entry.name
            )));
        }
        let globs = entry
            .any_of
            .iter()
            .map(|p| Glob::new(p).map_err(|e| origin.narrow_to(p).error(e)))
            .collect::<Result<Vec<_>, _>>()?;
        requirements.push(Requirement {
            name: entry.name,
            globs: GlobList::new(globs),
            tier: entry.tier,
            help: entry.help,
            unless_private: entry.unless_private,
        });
    }
    Ok(Box::new(Required { requirements }))
}

impl Rule for Required {
    /// A file meeting a requirement is read for placeholders.
    fn inputs(&self) -> Vec<String> {
        self.requirements
            .iter()
            .flat_map(|r| r.globs.patterns())
            .map(str::to_owned)
            .collect()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        for requirement in &self.requirements {
            if requirement.unless_private && cx.settings().private {
                continue;
            }
            let matching = cx.files_matching(&requirement.globs);
            if !matching.is_empty() {
                // A file goldpath has a template for that still holds only its placeholder
                // does not meet the requirement.
                let placeholders: Vec<(String, crate::span::Span, String)> = matching
                    .iter()
                    .map(|f| placeholder_in(cx, f))
                    .collect::<Option<_>>()
                    .unwrap_or_default();
                if let Some((path, span, value)) = placeholders.into_iter().next() {
                    let by = if value == security_policy::PLACEHOLDER_CONTACT
                        || value == codeowners_missing::PLACEHOLDER_OWNER
                    {
                        " written by `goldpath fix`"
                    } else {
                        ""
                    };
                    let mut v = Violation::file(
                        &path,
                        format!(
                            "{}: {path} still holds the placeholder {value}{by}: replace it with \
                             the real one",
                            requirement.name
                        ),
                    )
                    .span(span)
                    .key(format!("placeholder:{}", requirement.name));
                    if let Some(help) = &requirement.help {
                        v = v.help(help);
                    }
                    if let Some(tier) = requirement.tier {
                        v = v.tier(tier);
                    }
                    out.push(v);
                }
                continue;
            }
            let mut v = Violation::repo(format!(
                "missing {}: no file matches {}",
                requirement.name,
                requirement.globs.patterns().join(", ")
            ))
            .key(&requirement.name);
            if let Some(help) = &requirement.help {
                v = v.help(help);
            }
            if let Some(tier) = requirement.tier {
                v = v.tier(tier);
            }
            if let Some(options) = cx.fix_options() {
                v = v.fix(
                    template_for(requirement, options, cx.settings().platform)
                        .map(|(path, text)| Fix::new(Edit::create(path, text))),
                );
            }
            out.push(v);
        }
    }
}

/// The placeholder a file goldpath has a template for still holds in place of its only value:
/// a security policy whose every contact is a placeholder, a CODEOWNERS file whose every owner
/// is one. `None` for any other file, and for one with a real value.
fn placeholder_in(
    cx: &Context<'_>,
    file: &crate::snapshot::FileEntry,
) -> Option<(String, crate::span::Span, String)> {
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    let security =
        name.len() >= 8 && name.is_char_boundary(8) && name[..8].eq_ignore_ascii_case("security");
    if !security && name != "CODEOWNERS" {
        return None;
    }
    let text = cx.text(file).ok()?;
    let index = crate::span::LineIndex::new(&text);
    if security {
        let found = security_policy::only_placeholder(&text)?;
        return Some((
            file.path.clone(),
            index.span(found.start(), found.end()),
            found.as_str().to_owned(),
        ));
    }
    // Owners are the words after each line's pattern; comments start with `#`.
    let mut offset = 0;
    let mut first = None;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.split('#').next().unwrap_or_default();
        let mut words = content.split_whitespace();
        let Some(_pattern) = words.next() else {
            continue;
        };
        for owner in words.filter(|w| w.contains('@')) {
            if !crate::edit::placeholder::owner(owner) {
                return None;
            }
            if first.is_none() {
                let at = start + content.find(owner).unwrap_or(0);
                first = Some((index.span(at, at + owner.len()), owner.to_owned()));
            }
        }
    }
    let (span, owner) = first?;
    Some((file.path.clone(), span, owner))
}

/// The file `goldpath fix` creates for a requirement, and its contents: for a requirement
/// whose globs include plain paths (no wildcard) to a file named `SECURITY.md` or
/// `CODEOWNERS`, the files goldpath has templates for. The path is the one the matching
/// rule's fix writes when the globs list it (`SECURITY.md`; the platform's first CODEOWNERS
/// location), so the two fixes agree on one file; else the first such glob.
fn template_for(
    requirement: &Requirement,
    options: &FixOptions,
    platform: Platform,
) -> Option<(String, String)> {
    let patterns = requirement.globs.patterns();
    let plain = |name: &str| -> Vec<&str> {
        patterns
            .iter()
            .copied()
            .filter(|p| {
                !p.contains(['*', '?', '[', '{', '\\'])
                    && p.rsplit('/').next() == Some(name)
                    && crate::edit::check_path(p).is_ok()
            })
            .collect()
    };
    let choose = |candidates: Vec<&str>, preferred: &[&str]| -> Option<String> {
        preferred
            .iter()
            .find(|p| candidates.contains(p))
            .or_else(|| candidates.first())
            .map(|p| (*p).to_owned())
    };
    if let Some(path) = choose(plain("SECURITY.md"), &["SECURITY.md"]) {
        let text = security_policy::template(options.security_contact.as_deref());
        return Some((path, text));
    }
    let locations = goldpath_codeowners::locations(platform.dialect());
    let path = choose(plain("CODEOWNERS"), locations)?;
    let owner = options
        .owner
        .as_deref()
        .unwrap_or(codeowners_missing::PLACEHOLDER_OWNER);
    Some((path, codeowners_missing::skeleton(owner)))
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = r#"
[rules."files/required"]
files = [
  { name = "a README", any-of = ["README*", "readme*"] },
  { name = "a security policy", any-of = ["SECURITY.md", ".github/SECURITY.md"], tier = "silver" },
]
"#;

    #[test]
    fn a_placeholder_does_not_meet_a_requirement() {
        let written = super::security_policy::template(None);
        let findings = check(
            POLICY,
            &[("README.md", "x"), ("SECURITY.md", written.as_str())],
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "a security policy: SECURITY.md still holds the placeholder \
             TODO-security-contact@example.com written by `goldpath fix`: replace it with the \
             real one"
        );
        assert_eq!(findings[0].tier, crate::Tier::Silver);
        assert_eq!(findings[0].span.map(|s| s.line), Some(6));
        // Any real contact meets it, in either file.
        let real = written.replace(super::security_policy::PLACEHOLDER_CONTACT, "sec@acme.io");
        assert!(check(
            POLICY,
            &[("README.md", "x"), ("SECURITY.md", real.as_str())]
        )
        .is_empty());
        assert!(check(
            POLICY,
            &[
                ("README.md", "x"),
                ("SECURITY.md", written.as_str()),
                (".github/SECURITY.md", real.as_str())
            ]
        )
        .is_empty());
        // CODEOWNERS: every owner a placeholder.
        let owners = r#"[rules."files/required"]
files = [{ name = "code owners", any-of = ["CODEOWNERS"] }]
"#;
        let skeleton =
            super::codeowners_missing::skeleton(super::codeowners_missing::PLACEHOLDER_OWNER);
        let findings = check(owners, &[("CODEOWNERS", skeleton.as_str())]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0]
            .message
            .contains("placeholder @TODO-org/TODO-team written by"));
        assert_eq!(findings[0].tier, crate::Tier::Bronze);
        assert!(check(
            owners,
            &[("CODEOWNERS", "* @TODO-org/TODO-team\n/src/ @acme/core\n")]
        )
        .is_empty());
        // A README holds no placeholder goldpath knows.
        assert!(check(
            POLICY,
            &[
                ("README.md", "mail todo@example.com"),
                ("SECURITY.md", "security@acme.io")
            ]
        )
        .is_empty());
    }

    #[test]
    fn reports_each_missing_requirement_with_its_tier() {
        let findings = check(POLICY, &[("docs/README.md", "x")]);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert!(findings[0].message.starts_with("missing a README"));
        assert_eq!(findings[0].tier, crate::Tier::Bronze);
        assert_eq!(findings[1].tier, crate::Tier::Silver);
        assert!(findings.iter().all(|f| f.path.is_none()));
    }

    #[test]
    fn fix_creates_a_security_policy_only() {
        use crate::fix::testing::assert_fix_leaving;
        let template = crate::rules::security::security_policy::template(None);
        let policy = r#"
[rules."files/required"]
files = [{ name = "a security policy", any-of = ["SECURITY.*", ".github/SECURITY.md", "SECURITY.md"] }]
[rules."security/security-policy"]
"#;
        // Both rules report the missing file; both fixes write the same root SECURITY.md,
        // whose placeholder contact both report until a person replaces it.
        assert_fix_leaving(
            policy,
            &[("README.md", "x")],
            &[("SECURITY.md", &template)],
            &Default::default(),
            &["files/required", "security/security-policy"],
        );
        // The README has no template: its finding stays, without a fix.
        let (after, applied) = crate::fix::testing::fix_once(
            POLICY,
            &crate::fix::testing::files(&[("docs/x.md", "")]),
            &Default::default(),
        );
        assert_eq!(applied, 1);
        assert_eq!(after.get("SECURITY.md"), Some(&template));
        assert!(!after.keys().any(|p| p.starts_with("README")));
    }

    #[test]
    fn fix_creates_codeowners_where_codeowners_missing_would() {
        use crate::fix::testing::{assert_fix_leaving, assert_fix_with};
        let policy = r#"
[rules."files/required"]
files = [{ name = "code owners", any-of = ["CODEOWNERS", "docs/CODEOWNERS", ".github/CODEOWNERS"] }]
[rules."ownership/codeowners-missing"]
[rules."ownership/codeowners-multiple-files"]
"#;
        let skeleton =
            super::codeowners_missing::skeleton(super::codeowners_missing::PLACEHOLDER_OWNER);
        assert_fix_leaving(
            policy,
            &[("README.md", "x")],
            &[(".github/CODEOWNERS", &skeleton)],
            &Default::default(),
            &["files/required", "ownership/codeowners-missing"],
        );
        let options = crate::edit::FixOptions {
            owner: Some("@acme/web".into()),
            ..Default::default()
        };
        let only = "[rules.\"files/required\"]\nfiles = [{ name = \"owners\", any-of = [\"docs/CODEOWNERS\"] }]\n";
        let named = super::codeowners_missing::skeleton("@acme/web");
        assert_fix_with(
            only,
            &[("README.md", "x")],
            &[("docs/CODEOWNERS", &named)],
            &options,
        );
    }

    #[test]
    fn any_glob_meets_a_requirement() {
        let findings = check(POLICY, &[("readme.txt", "x"), (".github/SECURITY.md", "x")]);
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn unless_private_requirements_drop_for_private_repositories() {
        let policy = "[settings]\nprivate = true\n[rules.\"files/required\"]\nfiles = [\n  \
            { name = \"a licence\", any-of = [\"LICENSE*\"], unless-private = true },\n  \
            { name = \"a README\", any-of = [\"README*\"] },\n]\n";
        let findings = check(policy, &[]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.starts_with("missing a README"));
        let public = policy.replace("private = true", "private = false");
        assert_eq!(check(&public, &[]).len(), 2);
    }

    #[test]
    fn a_bad_glob_is_a_policy_error_at_its_position() {
        let err = crate::testing::policy_error(
            "[rules.\"files/required\"]\nfiles = [{ name = \"x\", any-of = [\"[a-\"] }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 35)),
            "{err}"
        );
    }
}
