use std::sync::OnceLock;

use crate::context::Context;
use crate::edit::{Edit, Fix};
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::snapshot::FileEntry;
use crate::span::LineIndex;

declare_rule! {
    id: "security/security-policy",
    summary: "A security policy (SECURITY.md) says how to report a vulnerability: an e-mail \
              address or a URL",
    level: Error,
    tier: Silver,
    scope: Repository { path_list: true },
    fixable: true,
    build: build,
    options: [{
        name: "report-missing",
        kind: "boolean",
        help: "Report a repository without a security policy, or whose policy names only \
               placeholder contacts (default `true`). `builtin:recommended` sets it to `false` \
               because its `files/required` already reports both, so the same gap is not \
               reported twice.",
    }],
    what: "The repository has a security policy: `SECURITY.md` (also `.markdown`, `.rst`, \
           `.txt` or no extension; the name in any case) at the root, in `.github/` or in \
           `docs/`, the places GitHub looks. The first found in that order must contain a \
           contact: an e-mail address or an `http(s)://` URL (a reporting form, GitHub's \
           private vulnerability reporting page, a bug bounty). A policy without either is \
           reported at the file; no policy at all is a repository-wide finding. A policy \
           whose only contacts are placeholders (the `TODO-security-contact@example.com` \
           that `goldpath fix` writes, an address whose local part is `todo`, any address \
           or URL at `example.com`, `example.org`, `example.net` or `*.example`) reaches \
           no one and is reported at the first of them. With `report-missing = false` \
           both the missing file and the placeholder are left to `files/required`, which \
           reports them at its own tier.",
    why: "Someone who finds a vulnerability needs a private way to tell you; without one \
          they open a public issue, or tell no one. OpenSSF Scorecard's Security-Policy \
          check asks for the file and a way to get in touch.",
    example: "A `SECURITY.md` that says only \"please report vulnerabilities responsibly\" \
              is reported; one that says \"write to security@example.com\" or links \
              `https://github.com/acme/app/security/advisories/new` is not.",
    fix: "Add `SECURITY.md` with the address or form to report to, what to include, and how \
          soon you answer. On GitHub, enable private vulnerability reporting and link its \
          page. When the file is missing, `goldpath fix` writes `SECURITY.md` from a \
          template naming the contact given with `goldpath fix --security-contact`, or the \
          placeholder `TODO-security-contact@example.com`, which is reported until a person \
          replaces it (replace the other `TODO`s too). A policy without a contact is left to a person.",
}

struct SecurityPolicy {
    report_missing: bool,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let report_missing = params.take::<bool>("report-missing")?.unwrap_or(true);
    Ok(Box::new(SecurityPolicy { report_missing }))
}

const DIRS: [&str; 3] = ["", ".github/", "docs/"];
const EXTENSIONS: [&str; 5] = [".md", ".markdown", ".rst", ".txt", ""];

/// Whether `path` is a security policy in `dir` (`""`, `.github/` or `docs/`).
fn is_policy_in(path: &str, dir: &str) -> bool {
    let Some(name) = path.strip_prefix(dir) else {
        return false;
    };
    if name.contains('/') || name.len() < 8 {
        return false;
    }
    let (stem, ext) = name.split_at(8);
    stem.eq_ignore_ascii_case("security") && EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e))
}

/// The security policy GitHub would show: root first, then `.github/`, then `docs/`.
pub(crate) fn find_policy<'a>(files: &[&'a FileEntry]) -> Option<&'a FileEntry> {
    DIRS.iter().find_map(|dir| {
        // Files are sorted by path: the directory's entries are one range.
        let start = files.partition_point(|f| f.path.as_str() < *dir);
        files[start..]
            .iter()
            .take_while(|f| f.path.starts_with(dir))
            .find(|f| f.mode.is_regular() && is_policy_in(&f.path, dir))
            .copied()
    })
}

/// The contact a new SECURITY.md names when `goldpath fix --security-contact` does not say.
pub const PLACEHOLDER_CONTACT: &str = "TODO-security-contact@example.com";

/// A SECURITY.md naming `contact` (an e-mail address or a URL), with `TODO`s for what only
/// the project can say.
pub(crate) fn template(contact: Option<&str>) -> String {
    let contact = contact.unwrap_or(PLACEHOLDER_CONTACT);
    let todo = if contact == PLACEHOLDER_CONTACT {
        "\n\nTODO: replace the placeholder address above with your security contact: an e-mail \
         address, or the URL of a reporting form such as GitHub's private vulnerability reporting \
         page."
    } else {
        ""
    };
    format!(
        "# Security policy\n\n## Reporting a vulnerability\n\nPlease do not report security \
         problems in public issues. Report them privately to\n{contact}.{todo}\n\nSay what you \
         found, how to reproduce it and which versions are affected. We acknowledge reports \
         within TODO working days and keep you informed until a fix is released.\n\n\
         ## Supported versions\n\nTODO: list the versions that receive security fixes.\n"
    )
}

/// The finding for a security policy whose only contacts are placeholders.
pub(crate) fn placeholder_violation(path: &str, contact: &str) -> Violation {
    let by = if contact == PLACEHOLDER_CONTACT {
        " written by `goldpath fix`"
    } else {
        ""
    };
    Violation::file(
        path,
        format!(
            "{path} still holds the placeholder contact {contact}{by}: replace it with the \
             address or form that receives vulnerability reports"
        ),
    )
    .key("placeholder")
    .help(
        "name a contact that reaches you: a security@ address of your domain, or the URL of a \
         reporting form such as GitHub's private vulnerability reporting page",
    )
}

/// The first placeholder contact of a security policy that names no other contact.
pub(crate) fn only_placeholder(text: &str) -> Option<regex::Match<'_>> {
    let contacts: Vec<regex::Match<'_>> = contact().find_iter(text).collect();
    if contacts
        .iter()
        .any(|m| !crate::edit::placeholder::contact(m.as_str()))
    {
        return None;
    }
    contacts.first().copied()
}

/// Checks a contact given to `goldpath fix --security-contact`: an e-mail address or an
/// `http(s)://` URL, as this rule requires.
pub fn check_contact(value: &str) -> Result<(), String> {
    match contact().find(value) {
        Some(m) if m.as_str() == value.trim() => Ok(()),
        _ => Err(format!(
            "`{value}` is not an e-mail address or an http(s):// URL"
        )),
    }
}

fn contact() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?i)[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}|https?://[^\s<>()\[\]]+\.[^\s<>()\[\]]+",
        )
        .unwrap_or_else(|_| unreachable!("the pattern is a constant"))
    })
}

impl Rule for SecurityPolicy {
    fn inputs(&self) -> Vec<String> {
        vec!["{,.github/,docs/}[Ss][Ee][Cc][Uu][Rr][Ii][Tt][Yy]*".to_owned()]
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        // Root-level files come first in the sorted list, but `.github/` and `docs/` do not:
        // search each directory's range.
        let Some(file) = find_policy(cx.all_files()) else {
            if self.report_missing {
                out.push(
                    Violation::repo(
                        "no security policy: add SECURITY.md (at the root, in .github/ or in \
                         docs/) saying how to report a vulnerability",
                    )
                    .key("missing")
                    .fix(cx.fix_options().map(|options| {
                        Fix::new(Edit::create(
                            "SECURITY.md",
                            template(options.security_contact.as_deref()),
                        ))
                    })),
                );
            }
            return;
        };
        let text = match cx.text(file) {
            Ok(text) => text,
            Err(e) => {
                out.push(
                    Violation::file(&file.path, format!("cannot read the security policy: {e}"))
                        .key("unreadable"),
                );
                return;
            }
        };
        let index = LineIndex::new(&text);
        if let Some(found) = only_placeholder(&text) {
            // Only placeholders: no one receives the report. When `files/required` reports
            // the missing file (`report-missing = false`), it reports this one too.
            if self.report_missing {
                out.push(
                    placeholder_violation(&file.path, found.as_str())
                        .span(index.span(found.start(), found.end())),
                );
            }
            return;
        }
        if contact().is_match(&text) {
            return;
        }
        let first = index.line_text(1).unwrap_or_default();
        out.push(
            Violation::file(
                &file.path,
                "the security policy names no contact: no e-mail address or URL to report a \
                 vulnerability to",
            )
            .span(index.span(0, first.len()))
            .key("no-contact")
            .help("add the address or form to report to, such as security@example.com"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"security/security-policy\"]\n";

    #[test]
    fn a_placeholder_contact_is_reported_unless_files_required_does() {
        let written = super::template(None);
        let findings = check(POLICY, &[("SECURITY.md", written.as_str())]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "SECURITY.md still holds the placeholder contact TODO-security-contact@example.com \
             written by `goldpath fix`: replace it with the address or form that receives \
             vulnerability reports"
        );
        assert_eq!(findings[0].span.map(|s| s.line), Some(6));
        assert_eq!(findings[0].tier, crate::Tier::Silver);
        for text in [
            "Mail security@example.org.",
            "Use https://example.com/report",
        ] {
            let findings = check(POLICY, &[("SECURITY.md", text)]);
            assert_eq!(findings.len(), 1, "{text}: {findings:#?}");
            assert!(
                findings[0].message.contains("placeholder contact"),
                "{findings:#?}"
            );
        }
        // A real contact beside a placeholder is a contact.
        assert!(check(
            POLICY,
            &[("SECURITY.md", "security@acme.io or security@example.com")]
        )
        .is_empty());
        let deferred = "[rules.\"security/security-policy\"]\nreport-missing = false\n";
        assert!(check(deferred, &[("SECURITY.md", written.as_str())]).is_empty());
    }

    #[test]
    fn a_policy_with_an_address_or_url_passes() {
        for text in [
            "Mail security@acme.io.",
            "Report at <https://github.com/acme/app/security/advisories/new>",
            "[Form](https://hackerone.com/acme)",
        ] {
            let findings = check(POLICY, &[("SECURITY.md", text)]);
            assert!(findings.is_empty(), "{text}: {findings:#?}");
        }
    }

    #[test]
    fn a_policy_without_a_contact_is_reported_at_the_file() {
        let findings = check(
            POLICY,
            &[(
                ".github/security.md",
                "# Security\nBe responsible. Use http://\n",
            )],
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].path.as_deref(), Some(".github/security.md"));
        assert_eq!(findings[0].span.unwrap().line, 1);
        assert_eq!(findings[0].tier, crate::Tier::Silver);
    }

    #[test]
    fn the_root_policy_wins_and_other_places_do_not_count() {
        let files = [
            ("SECURITY.rst", "nothing"),
            ("docs/SECURITY.md", "security@example.com"),
        ];
        let findings = check(POLICY, &files);
        assert_eq!(findings[0].path.as_deref(), Some("SECURITY.rst"));
        let elsewhere = check(
            POLICY,
            &[("src/SECURITY.md", "a@b.io"), ("SECURITY.md.bak", "x")],
        );
        assert_eq!(elsewhere.len(), 1);
        assert!(elsewhere[0].path.is_none());
        assert!(elsewhere[0].message.starts_with("no security policy"));
    }

    #[test]
    fn fix_writes_a_policy_with_a_contact() {
        use crate::fix::testing::{assert_fix_leaving, assert_fix_with};
        let placeholder = super::template(None);
        assert!(placeholder.contains("TODO-security-contact@example.com.\n\nTODO: replace"));
        assert_fix_leaving(
            POLICY,
            &[("README.md", "")],
            &[("SECURITY.md", &placeholder)],
            &Default::default(),
            &["security/security-policy"],
        );
        let options = crate::edit::FixOptions {
            security_contact: Some("https://github.com/acme/app/security/advisories/new".into()),
            ..Default::default()
        };
        let named = super::template(options.security_contact.as_deref());
        assert!(named
            .contains("privately to\nhttps://github.com/acme/app/security/advisories/new.\n\nSay"));
        assert_fix_with(
            POLICY,
            &[("README.md", "")],
            &[("SECURITY.md", &named)],
            &options,
        );
        assert!(super::check_contact("security@acme.com").is_ok());
        assert!(super::check_contact("see security@acme.com").is_err());
        assert!(super::check_contact("nobody").is_err());
    }

    #[test]
    fn report_missing_false_leaves_the_missing_file_to_files_required() {
        let policy = format!("{POLICY}report-missing = false\n");
        assert!(check(&policy, &[("README.md", "")]).is_empty());
        assert_eq!(check(&policy, &[("SECURITY.md", "x")]).len(), 1);
        let err = crate::testing::policy_error(&format!("{POLICY}report-missing = 1\n"));
        assert!(err.message.contains("report-missing"), "{err}");
    }
}
