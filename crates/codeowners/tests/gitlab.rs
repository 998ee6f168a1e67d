//! GitLab CODEOWNERS behaviour. Each test names the documentation it checks:
//! - "Code Owners" (`/user/project/codeowners/`),
//! - "Syntax of CODEOWNERS file" (`/user/project/codeowners/reference/`),
//! - "Advanced CODEOWNERS configuration" (`/user/project/codeowners/advanced/`),
//!
//! all under <https://docs.gitlab.com>, and Ruby's `File.fnmatch`, which GitLab matches with.

use goldpath_codeowners::{
    choose_location, locations, parse, CodeOwners, DiagnosticCode as Code, Dialect, OwnerKind,
    Pattern, Role, Severity,
};

const GL: Dialect = Dialect::GitLab;

/// Owners of a path, section by section: `(section name or "", owners)`.
fn by_section(co: &CodeOwners, path: &str) -> Vec<(String, Vec<String>)> {
    co.owners_of(path)
        .decisions()
        .iter()
        .map(|d| {
            (
                d.section.map_or(String::new(), |s| s.name.clone()),
                d.owners().iter().map(|o| o.text.clone()).collect(),
            )
        })
        .collect()
}

fn flat(co: &CodeOwners, path: &str) -> Vec<String> {
    co.owners_of(path)
        .owners()
        .map(|o| o.text.clone())
        .collect()
}

fn m(p: &str, path: &str) -> bool {
    Pattern::new(p, GL).unwrap().matches(path)
}

fn codes(co: &CodeOwners) -> Vec<(usize, Code)> {
    co.diagnostics().iter().map(|d| (d.line, d.code)).collect()
}

/// Code Owners, "CODEOWNERS file": "GitLab checks these locations in your repository in this
/// order. The first CODEOWNERS file found is used, and all others are ignored: `./CODEOWNERS`,
/// `./docs/CODEOWNERS`, `./.gitlab/CODEOWNERS`."
#[test]
fn locations_in_order() {
    assert_eq!(
        locations(GL),
        ["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"]
    );
    let c = choose_location(GL, &[".gitlab/CODEOWNERS", "docs/CODEOWNERS"]);
    assert_eq!(c.effective, Some("docs/CODEOWNERS"));
    assert_eq!(c.ignored, [".gitlab/CODEOWNERS"]);
    let c = choose_location(GL, &[".github/CODEOWNERS", "/CODEOWNERS"]);
    assert_eq!(c.effective, Some("/CODEOWNERS"));
    assert_eq!(c.unsupported, [".github/CODEOWNERS"]);
}

/// Syntax, "Sections": the README example, word for word. "Only one Code Owner pattern per
/// section is matched to a file path"; a path gets owners from every section.
#[test]
fn sections_readme_example() {
    let co = parse(
        "* @admin\n\n[README Owners]\nREADME.md @user1 @user2\ninternal/README.md @user4\n\n\
         [README other owners]\nREADME.md @user3\n",
        GL,
    );
    assert!(co.diagnostics().is_empty(), "{:?}", co.diagnostics());
    let s = |n: &str, o: &[&str]| (n.to_owned(), o.iter().map(|x| x.to_string()).collect());
    assert_eq!(
        by_section(&co, "README.md"),
        [
            s("", &["@admin"]),
            s("README Owners", &["@user1", "@user2"]),
            s("README other owners", &["@user3"]),
        ]
    );
    assert_eq!(
        by_section(&co, "internal/README.md"),
        [
            s("", &["@admin"]),
            s("README Owners", &["@user4"]),
            s("README other owners", &["@user3"]),
        ]
    );
    assert_eq!(co.rules()[2].section, Some(0));
    assert_eq!(co.rules()[0].section, None);
}

/// Syntax, "Set default Code Owner for a section": "Default owners are applied when specific
/// owners are not specified for file paths. Specific owners defined beside the file path override
/// default owners."
#[test]
fn section_default_owners() {
    let co = parse(
        "[Documentation] @docs-team\ndocs/\nREADME.md\n\n\
         [Database] @database-team @agarcia\nmodel/db/\nconfig/db/database-setup.md @docs-team\n",
        GL,
    );
    assert!(co.diagnostics().is_empty(), "{:?}", co.diagnostics());
    assert_eq!(flat(&co, "docs/x.md"), ["@docs-team"]);
    assert!(co.rules()[0].owners_from_section);
    assert_eq!(
        flat(&co, "model/db/schema.rb"),
        ["@database-team", "@agarcia"]
    );
    assert_eq!(flat(&co, "config/db/database-setup.md"), ["@docs-team"]);
    assert!(!co.rules()[3].owners_from_section);
    assert_eq!(co.sections()[1].headers[0].default_owners.len(), 2);
}

/// Advanced, "Regular entries and sections": "Entries without sections are treated as if they
/// were another, unnamed section" — "A merge request that modifies model/db/CHANGELOG.txt would
/// require three approvals".
#[test]
fn entries_outside_sections_are_an_unnamed_section() {
    let co = parse(
        "* @general-approvers\n\n[Documentation] @docs-team\ndocs/\nREADME.md\n*.txt\n\n\
         [Database] @database-team\nmodel/db/\nconfig/db/database-setup.md @docs-team\n",
        GL,
    );
    assert_eq!(
        flat(&co, "model/db/CHANGELOG.txt"),
        ["@general-approvers", "@docs-team", "@database-team"]
    );
    assert_eq!(co.owners_of("model/db/CHANGELOG.txt").decisions().len(), 3);
}

/// Advanced, "Sections with duplicate names": "If multiple sections have the same name, they are
/// combined. Also, section headings are not case-sensitive ... three entries under the
/// Documentation section header, and two entries under Database ... using the case of the first
/// section."
#[test]
fn duplicate_sections_merge() {
    let co = parse(
        "[Documentation]\nee/docs/    @docs\ndocs/       @docs\n\n[Database]\nREADME.md  @database\n\
         model/db/   @database\n\n[DOCUMENTATION]\nREADME.md  @docs\n",
        GL,
    );
    assert_eq!(co.sections().len(), 2);
    assert_eq!(co.sections()[0].name, "Documentation");
    assert_eq!(co.sections()[0].headers.len(), 2);
    let in_docs = co.rules().iter().filter(|r| r.section == Some(0)).count();
    let in_db = co.rules().iter().filter(|r| r.section == Some(1)).count();
    assert_eq!((in_docs, in_db), (3, 2));
    assert_eq!(
        by_section(&co, "README.md"),
        [
            ("Documentation".to_owned(), vec!["@docs".to_owned()]),
            ("Database".to_owned(), vec!["@database".to_owned()]),
        ]
    );
}

/// Syntax, "Optional sections" and "Section headings and names"; Advanced, "Require multiple
/// approvals": `^[Name]` is optional ("If a section is duplicated in the file, and one of them is
/// marked as optional and the other isn't, the section is required"), `[Name][2]` needs two
/// approvals, and "Invalid values for n are treated as 1" / "Setting the number of approvals to 0
/// results in GitLab requiring one approval".
#[test]
fn optional_sections_and_approvals() {
    let co = parse(
        "[Documentation][2] @docs-team\n*.md\n^[Go]\n*.go @root\n[Partly]\n*.c @c\n^[partly]\n*.h @h\n\
         [Zero][0]\n*.z @z\n[Letters][q] @ignored\n*.q @q\n",
        GL,
    );
    let s = co.sections();
    assert_eq!(
        (s[0].name.as_str(), s[0].optional, s[0].approvals),
        ("Documentation", false, 2)
    );
    assert!(s[1].optional);
    assert!(!s[2].optional);
    assert_eq!(s[3].approvals, 1);
    assert_eq!(s[3].headers[0].approvals, Some(0));
    assert_eq!(s[4].approvals, 1);
    assert!(s[4].headers[0].default_owners.is_empty());
    assert_eq!(
        codes(&co),
        [(9, Code::InvalidApprovals), (11, Code::InvalidApprovals)]
    );
    // "^[Optional][5]" is an error in GitLab's validation.
    let co = parse("^[Optional][5]\n*.txt @user\n", GL);
    assert_eq!(codes(&co), [(1, Code::OptionalSectionApprovals)]);
    assert_eq!(co.diagnostics()[0].severity, Severity::Error);
}

/// Advanced, "Define Code Owners for specific files or directories": "the users from last pattern
/// matching the file or directory are used" (`*.md @doc-team` then `terms.md @legal-team`).
#[test]
fn last_match_in_section_wins() {
    let co = parse("*.md @doc-team\nterms.md @legal-team\n", GL);
    assert_eq!(flat(&co, "terms.md"), ["@legal-team"]);
    assert_eq!(flat(&co, "docs/other.md"), ["@doc-team"]);
}

/// Syntax, "Relative paths": "Paths without a leading / are treated as globstar paths" —
/// `README.md` matches `/README.md`, `/internal/README.md`, `/app/lib/README.md`;
/// `internal/README.md` matches `/internal/README.md`, `/docs/internal/README.md`,
/// `/docs/api/internal/README.md` (unlike GitHub, where an inner slash anchors).
#[test]
fn relative_paths_match_at_any_depth() {
    for p in ["README.md", "internal/README.md", "app/lib/README.md"] {
        assert!(m("README.md", p), "{p}");
    }
    for p in [
        "internal/README.md",
        "docs/internal/README.md",
        "docs/api/internal/README.md",
    ] {
        assert!(m("internal/README.md", p), "{p}");
        assert!(!Pattern::new("internal/README.md", Dialect::GitHub)
            .unwrap()
            .matches(&format!("x/{p}")));
    }
}

/// Syntax, "Absolute paths": "Paths starting with / match from the repository root"
/// (`/README.md` matches only README.md in the root).
#[test]
fn absolute_paths() {
    assert!(m("/README.md", "README.md"));
    assert!(!m("/README.md", "docs/README.md"));
    assert!(m("/docs/README.md", "docs/README.md"));
    assert!(!m("/docs/README.md", "x/docs/README.md"));
}

/// Syntax, "Directory paths": "End a path with / to match all files in the directory and its
/// subdirectories". Without the slash the pattern is a file pattern: `File.fnmatch` must match the
/// whole path, so `/docs` does not match `docs/index.md`.
#[test]
fn directory_paths_need_a_trailing_slash() {
    assert!(m("/docs/", "docs/index.md"));
    assert!(m("/docs/", "docs/api/graphql/index.md"));
    assert!(!m("/docs/", "docs"));
    assert!(m("lib/", "ee/lib/gitlab/git/repository.rb"));
    assert!(!m("/docs", "docs/index.md"));
    assert!(m("/docs", "docs"));
    assert!(!m("docs", "a/docs/x"));
}

/// Syntax, "Wildcard paths" (`/docs/*.md`, `/docs/index.*`, `/docs/*spec*`,
/// `/docs/*/README.md` "one level deep"), and Advanced, "Pattern matching": "The
/// File::FNM_PATHNAME flag prevents * from matching the / path separator". So `/docs/*` does not
/// reach into subdirectories, and `foo/*` (relative) matches files directly in any `foo`.
#[test]
fn wildcards_stay_in_one_segment() {
    assert!(m("/docs/*.md", "docs/a.md"));
    assert!(!m("/docs/*.md", "docs/api/a.md"));
    for p in ["docs/index.md", "docs/index.html", "docs/index.xml"] {
        assert!(m("/docs/index.*", p));
    }
    for p in [
        "docs/qa_specs.rb",
        "docs/spec_helpers.rb",
        "docs/runtime.spec",
    ] {
        assert!(m("/docs/*spec*", p));
    }
    assert!(m("/docs/*/README.md", "docs/api/README.md"));
    assert!(!m("/docs/*/README.md", "docs/README.md"));
    assert!(!m("/docs/*/README.md", "docs/a/b/README.md"));
    assert!(m("/docs/*", "docs/getting-started.md"));
    assert!(!m("/docs/*", "docs/build-app/troubleshooting.md"));
    assert!(m("foo/*", "baz/foo/bar"));
    assert!(m("foo/*", "foo/bar"));
    assert!(!m("foo/*", "fufoo/bar"));
    assert!(!m("foo/*", "foo/bar/baz"));
    assert!(m("/*", "README.md"));
    assert!(!m("/*", "nested/path/README.md"));
}

/// Syntax, "Globstar paths" (`/docs/**/index.md` matches `/docs/index.md`, `/docs/api/index.md`,
/// `/docs/api/graphql/index.md`); Advanced, "Pattern matching": "`**/*.rb` matches
/// config/database.rb and app/controllers/users/stars_controller.rb". Ruby's `File.fnmatch`:
/// `**` "Matches directories recursively if followed by `/`. Otherwise, this is same as `*`."
#[test]
fn globstar() {
    for p in [
        "docs/index.md",
        "docs/api/index.md",
        "docs/api/graphql/index.md",
    ] {
        assert!(m("/docs/**/index.md", p), "{p}");
    }
    assert!(m("**/*.rb", "config/database.rb"));
    assert!(m("**/*.rb", "app/controllers/users/stars_controller.rb"));
    assert!(m("/docs/**", "docs/a.md"));
    assert!(!m("/docs/**", "docs/api/a.md"));
}

/// Advanced, "Pattern matching": "The File::FNM_DOTMATCH flag allows * to match dotfiles like
/// .gitignore"; matching is case-sensitive (no FNM_CASEFOLD); `[...]` is a character class.
#[test]
fn fnmatch_flags() {
    assert!(m("*", ".gitignore"));
    assert!(m("/config/*", "config/.env"));
    assert!(!m("*.MD", "a.md"));
    assert!(m("*.[ch]", "src/a.c"));
    assert!(!m("*.[ch]", "src/a.o"));
    let co = parse("*.[ch] @c\n", GL);
    assert!(co.diagnostics().is_empty());
}

/// Syntax, "Exclusion patterns": the example (`!pom.xml` in the default section,
/// `!/config/**/*.rb` in `[Ruby]`): "Exclusions apply in their section".
#[test]
fn exclusions_apply_in_their_section() {
    let co = parse(
        "* @username\n!pom.xml\n\n[Ruby]\n*.rb @ruby-team\n!/config/**/*.rb\n",
        GL,
    );
    assert!(co.diagnostics().is_empty(), "{:?}", co.diagnostics());
    assert!(co.rules()[1].exclusion);
    assert_eq!(co.rules()[1].pattern, "pom.xml");
    assert!(!co.owners_of("pom.xml").is_owned());
    assert!(co.owners_of("pom.xml").decisions()[0].excluded);
    assert_eq!(flat(&co, "app/user.rb"), ["@username", "@ruby-team"]);
    assert_eq!(flat(&co, "config/initializers/x.rb"), ["@username"]);
    let d = co.owners_of("config/initializers/x.rb");
    assert!(d.decisions()[1].excluded);
    assert_eq!(d.decisions()[1].rule.line, 6);
}

/// Syntax, "Exclusion patterns": "Exclusions are evaluated in order in their section"
/// (`/special/*.rb @ruby-owner` after `!*.rb` "won't take effect"), and "After a pattern is
/// excluded, it cannot be included again in the same section".
#[test]
fn excluded_paths_cannot_be_included_again() {
    let co = parse("* @default-owner\n!*.rb\n/special/*.rb @ruby-owner\n", GL);
    assert!(!co.owners_of("special/a.rb").is_owned());
    assert_eq!(flat(&co, "special/a.py"), ["@default-owner"]);
    let co = parse(
        "[Ruby]\n*.rb @ruby-team\n!/config/**/*.rb\n/config/routes.rb @ops\n",
        GL,
    );
    assert!(!co.owners_of("config/routes.rb").is_owned());
    assert_eq!(flat(&co, "app/x.rb"), ["@ruby-team"]);
    // Automation files, and "Any files in generated directories".
    let co = parse("* @default-owner\n!package-lock.json\n!**/generated/\n", GL);
    assert!(!co.owners_of("web/package-lock.json").is_owned());
    assert!(!co.owners_of("a/generated/b/c.ts").is_owned());
    assert!(co.owners_of("a/b.ts").is_owned());
    // An exclusion needs no owners; owners written after it are ignored (with a warning).
    let co = parse("* @x\n!*.lock # comment\n!*.tmp @y\n", GL);
    assert_eq!(codes(&co), [(3, Code::IgnoredText)]);
}

/// GitLab's own tests of exclusions: nested paths (`!/app/temp/*`, `!/app/*/temp/*`).
#[test]
fn nested_exclusions() {
    let co = parse("* @group-x\n\n!/app/temp/*\n!/app/*/temp/*\n", GL);
    assert_eq!(flat(&co, "app/models/user.rb"), ["@group-x"]);
    assert!(!co.owners_of("app/temp/temp.rb").is_owned());
    assert!(!co.owners_of("app/models/temp/file.rb").is_owned());
}

/// Syntax, "Add a role as a Code Owner": `@@developer @@maintainer`, "Only Developer, Maintainer,
/// and Owner roles are available", "It is possible to specify plural roles".
#[test]
fn roles() {
    let co = parse(
        "file.md @@developer @@maintainer\n/config/ @@owners\n*.x @@reporter\n",
        GL,
    );
    let kinds: Vec<OwnerKind> = co.rules()[0].owners.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            OwnerKind::Role(Role::Developer),
            OwnerKind::Role(Role::Maintainer)
        ]
    );
    assert_eq!(co.rules()[1].owners[0].kind, OwnerKind::Role(Role::Owner));
    assert_eq!(codes(&co), [(3, Code::InvalidOwner)]);
}

/// Syntax, the example file: "Use group names to match groups and nested groups" (`@group
/// @group/with-nested/subgroup`) and "usernames or email addresses".
#[test]
fn owner_kinds() {
    let co = parse(
        "README @group @group/with-nested/subgroup\nLICENSE @legal janedoe@gitlab.com\n",
        GL,
    );
    let k = |r: usize| {
        co.rules()[r]
            .owners
            .iter()
            .map(|o| o.kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(k(0), [OwnerKind::User, OwnerKind::Team]);
    assert_eq!(k(1), [OwnerKind::User, OwnerKind::Email]);
}

/// Advanced, "Entries with spaces": "Escape whitespace in paths with backslashes:
/// `path\ with\ spaces/*.md @owner`"; without escaping the first word is the path.
#[test]
fn entries_with_spaces() {
    let co = parse("path\\ with\\ spaces/*.md @owner\n", GL);
    assert!(co.diagnostics().is_empty());
    assert_eq!(flat(&co, "x/path with spaces/a.md"), ["@owner"]);
    let co = parse("folder with spaces/*.md @group\n", GL);
    assert_eq!(co.rules()[0].pattern, "folder");
    assert_eq!(
        codes(&co),
        [(1, Code::InvalidOwner), (1, Code::InvalidOwner)]
    );
    assert_eq!(co.rules()[0].owners[0].text, "@group");
}

/// The reference example: "Files with a # can still be accessed by escaping the pound sign:
/// `\#file_with_pound.rb`".
#[test]
fn escaped_hash() {
    let co = parse("\\#file_with_pound.rb @owner-file-with-pound\n", GL);
    assert!(co.diagnostics().is_empty());
    assert_eq!(
        flat(&co, "examples/#file_with_pound.rb"),
        ["@owner-file-with-pound"]
    );
}

/// Syntax: "Inline comments are unsupported. Any Code Owners listed in a comment are parsed."
#[test]
fn no_inline_comments() {
    let co = parse(
        "/docs/**/*.md @markdown-docs  # Match specific file types, ask @helper\n",
        GL,
    );
    assert_eq!(codes(&co), [(1, Code::InlineComment)]);
    let d = &co.diagnostics()[0];
    assert_eq!((d.column, d.end_column), (31, 71));
    assert_eq!(flat(&co, "docs/a/b.md"), ["@markdown-docs", "@helper"]);
}

/// Advanced, "Unparsable sections": "If a section heading cannot be parsed, the section is:
/// parsed as an entry, added to the previous section" (`[Section` owned by `name`).
#[test]
fn unparsable_sections() {
    let co = parse("* @group\n\n[Section name\ndocs/ @docs_group\n", GL);
    assert_eq!(
        codes(&co),
        [
            (3, Code::InvalidSectionHeader),
            (3, Code::InvalidOwner),
            // `[Section` holds an unclosed `[`: under `File.fnmatch` it matches nothing.
            (3, Code::PatternMatchesNothing)
        ]
    );
    assert_eq!(co.rules().len(), 3);
    assert_eq!(co.rules()[1].pattern, "[Section");
    assert_eq!(co.rules()[1].section, None);
    let co = parse(
        "[Docs]\ndocs/**/* @group\n\n[Section name\ndocs/ @docs_group\n",
        GL,
    );
    assert_eq!(co.sections().len(), 1);
    assert!(co.rules().iter().all(|r| r.section == Some(0)));
    // "Section headings must have a name."
    let co = parse("[]\n*_spec.rb @gl-test\n", GL);
    assert_eq!(codes(&co), [(1, Code::EmptySectionName)]);
}

/// Advanced, "Malformed owners": "Malformed owners are invalid and ignored" —
/// `/path/* @group user_without_at_symbol @user_with_at_symbol` is owned by `@group` and
/// `@user_with_at_symbol`.
#[test]
fn malformed_owners_are_ignored() {
    let co = parse(
        "/path/* @group user_without_at_symbol @user_with_at_symbol\n",
        GL,
    );
    assert_eq!(flat(&co, "path/x"), ["@group", "@user_with_at_symbol"]);
    let d = &co.diagnostics()[0];
    assert_eq!(
        (d.code, d.column, d.end_column),
        (Code::InvalidOwner, 16, 38)
    );
    assert!(co.rules()[0].active);
}

/// Advanced, "Zero owners": "If an entry includes no owners ... the entry is invalid. Because
/// this rule can never be satisfied, GitLab auto-approves it": it still decides its section.
#[test]
fn zero_owners() {
    let co = parse("* @all\n*.rb\n", GL);
    assert_eq!(codes(&co), [(2, Code::MissingOwners)]);
    let o = co.owners_of("a.rb");
    assert!(o.is_matched() && !o.is_owned());
    assert_eq!(o.decisions()[0].rule.line, 2);
    // Malformed owners only: no owner, and no section default either.
    let co = parse("[S] @default\n*.js not_a_user_not_an_email\n", GL);
    assert!(co.rules()[0].owners.is_empty());
    assert_eq!(codes(&co), [(2, Code::InvalidOwner)]);
}

/// Syntax: "If an entry is duplicated in a section, the last entry is used". GitLab keys entries
/// by pattern, so the later line replaces the earlier one where the earlier one stood.
#[test]
fn duplicated_entries() {
    let co = parse("a.rb @x\n* @y\na.rb @z\n", GL);
    assert_eq!(codes(&co), [(3, Code::DuplicatePattern)]);
    assert!(!co.rules()[0].active);
    assert_eq!(flat(&co, "b/a.rb"), ["@y"]);
    let co = parse("* @y\na.rb @x\na.rb @z\n", GL);
    assert_eq!(flat(&co, "a.rb"), ["@z"]);
    // Different sections do not clash.
    let co = parse("a.rb @x\n[S]\na.rb @z\n", GL);
    assert!(co.diagnostics().is_empty());
    assert_eq!(flat(&co, "a.rb"), ["@x", "@z"]);
}

/// Syntax, the example file, through the whole parser.
#[test]
fn reference_example_file() {
    let co = parse(
        "# Specify a default Code Owner for all files with a wildcard:\n* @default-owner\n\
         README.md @doc-team @tech-lead\n*.rb @ruby-owner\nLICENSE @legal janedoe@gitlab.com\n\
         README @group @group/with-nested/subgroup\n/docs/ @all-docs\n/docs/* @root-docs\n\
         /db/**/index.md @index-docs\n[Documentation]\nee/docs    @docs\ndocs       @docs\n\
         /config/ @@maintainer\n",
        GL,
    );
    assert!(co.diagnostics().is_empty(), "{:?}", co.diagnostics());
    assert_eq!(flat(&co, "lib/x.rb"), ["@ruby-owner"]);
    assert_eq!(flat(&co, "docs/index.md"), ["@root-docs"]);
    assert_eq!(flat(&co, "docs/api/index.md"), ["@all-docs"]);
    assert_eq!(flat(&co, "db/a/b/index.md"), ["@index-docs"]);
    assert_eq!(
        flat(&co, "config/x.yml"),
        ["@default-owner", "@@maintainer"]
    );
    assert_eq!(flat(&co, "x/ee/docs"), ["@default-owner", "@docs"]);
}
