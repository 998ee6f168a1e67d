use crate::context::Context;
use crate::doc::{Node, Value};
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::snapshot::FileEntry;

use super::license_text::{self, is_gnu, Variant};

declare_rule! {
    id: "security/license",
    summary: "A recognised licence file at the root, agreeing with the licence the manifests \
              declare",
    level: Error,
    tier: Bronze,
    scope: Repository { path_list: true },
    build: build,
    options: [{
        name: "report-missing",
        kind: "boolean",
        help: "Report a repository without a licence file (default `true`; never when \
               `[settings] private = true`). `builtin:recommended` sets it to `false` because \
               its `files/required` already reports the missing licence.",
    }],
    what: "The project has a licence file whose text goldpath recognises, and the licence \
           the manifests declare agrees with it. Licence files are the root's `LICENSE`, \
           `LICENCE`, `COPYING` and `UNLICENSE` (any case, any extension or suffix: \
           `LICENSE-MIT`, `COPYING.LESSER`) and a REUSE `LICENSES/<SPDX-id>.txt`; files \
           of other projects' licences are not the project's (`LICENSE-THIRD-PARTY`, \
           `THIRD_PARTY_NOTICES`, `LICENSE.notices`, names with `3rd-party`, `vendor` or \
           `dependencies`, and any `licenses/` folder below the root). A text is \
           recognised by an `SPDX-License-Identifier:` line in its first 20 lines, or by \
           matching it against the canonical SPDX texts of about forty common licences \
           (GPL-2.0, GPL-3.0, LGPL-2.0, LGPL-2.1, LGPL-3.0, AGPL-3.0, MPL-1.1, MPL-2.0, \
           Apache-1.1, Apache-2.0, MIT, MIT-0, X11, BSD-2-Clause, BSD-3-Clause, \
           BSD-3-Clause-Clear, BSD-4-Clause, ISC, 0BSD, Zlib, Unlicense, CC0-1.0, \
           CC-BY-4.0, CC-BY-SA-4.0, BSL-1.0, BUSL-1.1, EPL-1.0, EPL-2.0, EUPL-1.2, \
           CDDL-1.0, Artistic-2.0, Python-2.0, PSF-2.0, PostgreSQL, NCSA, UPL-1.0, \
           Unicode-3.0, OFL-1.1, BlueOak-1.0.0, Elastic-2.0, SSPL-1.0) the way askalono \
           does: the text is normalised (case, punctuation, whitespace, copyright lines), \
           cut into word pairs, and scored by the Dice coefficient against each licence; \
           the best licence at 0.9 or more is taken, then narrowed to the lines it \
           covers, and the rest of the file is searched again, so a file holding several \
           licence texts (`MIT` for the Python code and `GPL-3.0` for the C++ code, or a \
           dual licence in one file) yields each of them. GPL, LGPL and AGPL are told \
           apart by their whole text. For a GNU licence, `-or-later` or `-only` comes \
           from a notice beside the text (\"either version 3 of the License, or (at your \
           option) any later version\", \"version 2 only\"; the sample notice in the \
           licence's own \"How to Apply These Terms\" appendix does not count); a bare \
           text is reported as `GPL-3.0-only or GPL-3.0-or-later` and agrees with either, \
           and deprecated ids (`GPL-3.0`) are never reported. When no licence file is \
           recognised, each is reported; an unrecognised file beside a recognised one is \
           not. The licence declared in the root manifests (`Cargo.toml` \
           `package.license`, also through `license.workspace = true`, and \
           `workspace.package.license`; `package.json` `license`; `pyproject.toml` \
           `project.license` and `tool.poetry.license`) is parsed as an SPDX expression \
           and must agree with the licence files: the licences found satisfy the \
           expression (`MIT OR Apache-2.0` with `LICENSE-MIT` and `LICENSE-APACHE`, or \
           either one), and each licence found is named in it, except a licence that may \
           cover only part of the project or be one of a choice: one of several in the \
           same file, one in `LICENSES/`, or the GPL text shipped beside an LGPL (which \
           supplements it). `-only` and `-or-later` must not contradict the notice. For \
           `pyproject.toml`, PEP 639 `project.license-files` (globs) names the package's \
           licence files instead of the root's; a listed glob that matches nothing (a git \
           submodule) may hold any licence, so the expression is then only checked for \
           naming the licences found. A disagreement or an invalid expression is reported \
           at the manifest's value. No licence file is a repository-wide finding, except \
           in private repositories (`[settings] private = true`). The licence texts are \
           linked into the binary (about 450 kB) and their word pairs counted once per \
           run, on first use; `spdx`'s prebuilt store of every SPDX licence would add \
           about 5 MB, a C build of zstd and some 300 ms to each run.",
    why: "Without a licence nobody may legally use, copy or change the code, whatever the \
          README says. A licence file that no tool recognises, or one that contradicts \
          the package metadata, leaves users, registries and compliance scanners guessing. \
          OpenSSF Scorecard's License check asks for a recognised licence file.",
    example: "`LICENSE` with the MIT text and `Cargo.toml` with `license = \"Apache-2.0\"` \
              is reported at `\"Apache-2.0\"`; the same file with `license = \"MIT\"`, or \
              `LICENSE-MIT` and `LICENSE-APACHE` with `license = \"MIT OR Apache-2.0\"`, \
              is not.",
    fix: "Copy the licence's canonical text from https://spdx.org/licenses/ (or \
          choosealicense.com) into `LICENSE`, unedited apart from the year and the holder, \
          and write the same SPDX identifier in the manifests. For a GNU licence, say \
          which version applies in a notice at the top of the file (or in the manifest: \
          `GPL-3.0-or-later`). Keep your dependencies' licences in a \
          `LICENSE-THIRD-PARTY` or `NOTICE` file.",
}

/// How a licence id names its `-only`/`-or-later` form: the SPDX id split into the licence
/// and the variant. The deprecated bare GNU ids (`GPL-3.0`) mean `-only` in SPDX's list;
/// `+` means `-or-later`.
fn split_id(name: &str, plus: bool) -> (String, Variant) {
    let (base, variant) = if let Some(base) = name.strip_suffix("-or-later") {
        (base, Variant::OrLater)
    } else if let Some(base) = name.strip_suffix("-only") {
        (base, Variant::Only)
    } else if let Some(base) = name.strip_suffix('+') {
        (base, Variant::OrLater)
    } else {
        (name, Variant::Only)
    };
    if !is_gnu(base) {
        return (name.trim_end_matches('+').to_owned(), Variant::None);
    }
    let variant = if plus { Variant::OrLater } else { variant };
    (base.to_owned(), variant)
}

/// The licences named by an `SPDX-License-Identifier:` line in the first lines of `text`.
fn spdx_line(text: &str) -> Option<Vec<(String, Variant)>> {
    for line in text.lines().take(20) {
        if let Some((_, id)) = line.split_once("SPDX-License-Identifier:") {
            let id = id.trim().trim_end_matches(['*', '/', '-', '>', '`']).trim();
            if let Ok(expression) = spdx::Expression::parse_mode(id, spdx::ParseMode::LAX) {
                let mut ids: Vec<(String, Variant)> = Vec::new();
                for req in expression.requirements() {
                    if let spdx::LicenseItem::Spdx { id, or_later } = &req.req.license {
                        let split = split_id(id.name, *or_later);
                        if !ids.contains(&split) {
                            ids.push(split);
                        }
                    }
                }
                return Some(ids);
            }
        }
    }
    None
}

/// The licences in a licence file's text: by an `SPDX-License-Identifier:` line, else by
/// matching the text against the canonical licence texts ([`license_text`]).
pub(crate) fn recognise(text: &str) -> Vec<(String, Variant)> {
    if let Some(ids) = spdx_line(text) {
        return ids;
    }
    let mut out: Vec<(String, Variant)> = Vec::new();
    for found in license_text::identify(text) {
        let id = (found.id, found.variant);
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Whether `path` is a licence file at the root.
fn is_license_file(path: &str) -> bool {
    if path.contains('/') {
        return false;
    }
    let upper = path.to_ascii_uppercase();
    ["LICENSE", "LICENCE", "COPYING", "UNLICENSE"]
        .iter()
        .any(|p| upper.starts_with(p))
        && !is_third_party(&upper)
}

/// Whether an upper-cased licence file name holds the licences of dependencies
/// (`LICENSE-THIRD-PARTY`, `LICENSES_3RD_PARTY.md`, `LICENSE.NOTICES`) rather than the
/// project's own.
fn is_third_party(upper: &str) -> bool {
    let squashed: String = upper.chars().filter(char::is_ascii_alphanumeric).collect();
    ["THIRDPARTY", "3RDPARTY", "NOTICE", "DEPENDENCIES", "VENDOR"]
        .iter()
        .any(|w| squashed.contains(w))
}

/// The SPDX id of a REUSE licence file, `LICENSES/<SPDX-id>.txt` at the root (REUSE keeps
/// there the text of every licence used anywhere in the repository).
fn reuse_id(path: &str) -> Option<&str> {
    let stem = path.strip_prefix("LICENSES/")?.strip_suffix(".txt")?;
    if stem.contains('/') {
        return None;
    }
    (spdx::license_id(stem).is_some() || stem.starts_with("LicenseRef-")).then_some(stem)
}

/// A licence found in the project's licence files.
#[derive(Debug)]
struct Known {
    /// The SPDX id, without `-only`/`-or-later` for a GNU licence.
    id: String,
    variant: Variant,
    path: String,
    /// The licence may cover only part of the project, or be one of a choice: it is in a file
    /// holding several licences (esphome's MIT for Python and GPL-3.0 for C++), a REUSE
    /// `LICENSES/` file, or it is the GPL text an LGPL supplements. A declaration need not
    /// name it.
    partial: bool,
}

impl Known {
    fn display(&self) -> String {
        let found = license_text::Found {
            id: self.id.clone(),
            variant: self.variant,
            score: 1.0,
            lines: (0, 0),
        };
        format!("{} ({})", found.display(), self.path)
    }

    /// Whether the declared requirement `name` (`+` when `plus`) is this licence.
    fn is(&self, name: &str, plus: bool) -> bool {
        let (base, declared) = split_id(name, plus);
        // A bare deprecated GNU id in a manifest (`GPL-3.0`) is taken as either form.
        let declared = if is_gnu(name) && !plus {
            Variant::Unstated
        } else {
            declared
        };
        base == self.id
            && !matches!(
                (declared, self.variant),
                (Variant::Only, Variant::OrLater) | (Variant::OrLater, Variant::Only)
            )
    }
}

/// The licences in `files`, in order.
fn known(cx: &Context<'_>, files: &[&FileEntry]) -> (Vec<Known>, Vec<String>) {
    let mut known = Vec::new();
    let mut unrecognised = Vec::new();
    for file in files {
        if let Some(id) = reuse_id(&file.path) {
            let (id, variant) = split_id(id, false);
            let variant = if variant == Variant::Only && !file.path.contains("-only") {
                Variant::Unstated
            } else {
                variant
            };
            known.push(Known {
                id,
                variant,
                path: file.path.clone(),
                partial: true,
            });
            continue;
        }
        let ids = cx.text(file).map(|t| recognise(&t)).unwrap_or_default();
        if ids.is_empty() {
            unrecognised.push(file.path.clone());
        }
        let partial = ids.len() > 1;
        for (id, variant) in ids {
            known.push(Known {
                id,
                variant,
                path: file.path.clone(),
                partial,
            });
        }
    }
    // The LGPL supplements the GPL and is shipped with it (COPYING beside COPYING.LESSER).
    if known.iter().any(|k| k.id.starts_with("LGPL-")) {
        for k in known.iter_mut().filter(|k| k.id.starts_with("GPL-")) {
            k.partial = true;
        }
    }
    (known, unrecognised)
}

struct License {
    report_missing: bool,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let report_missing = params.take::<bool>("report-missing")?.unwrap_or(true);
    Ok(Box::new(License { report_missing }))
}

/// A licence value declared in a manifest.
struct Declared<'n> {
    what: &'static str,
    node: &'n Node,
}

fn declared<'n>(path: &str, root: &'n Node) -> Vec<Declared<'n>> {
    let string = |node: Option<&'n Node>| node.filter(|n| n.as_str().is_some());
    let mut out = Vec::new();
    match path {
        "Cargo.toml" => {
            let workspace = root.get("workspace").and_then(|w| w.get("package"));
            let workspace = workspace.and_then(|p| p.get("license"));
            if let Some(license) = root.get("package").and_then(|p| p.get("license")) {
                if let Some(node) = string(Some(license)) {
                    out.push(Declared {
                        what: "`package.license`",
                        node,
                    });
                }
            }
            if let Some(node) = string(workspace) {
                out.push(Declared {
                    what: "`workspace.package.license`",
                    node,
                });
            }
        }
        "package.json" => {
            let license = root.get("license");
            let license = match license.map(|l| &l.value) {
                Some(Value::Map(_)) => license.and_then(|l| l.get("type")),
                _ => license,
            };
            if let Some(node) = string(license) {
                let text = node.as_str().unwrap_or_default();
                if text != "UNLICENSED" && !text.starts_with("SEE LICENSE IN") {
                    out.push(Declared {
                        what: "`license`",
                        node,
                    });
                }
            }
        }
        "pyproject.toml" => {
            let project = root.get("project").and_then(|p| p.get("license"));
            let project = match project.map(|l| &l.value) {
                Some(Value::Map(_)) => project.and_then(|l| l.get("text")),
                _ => project,
            };
            if let Some(node) = string(project) {
                out.push(Declared {
                    what: "`project.license`",
                    node,
                });
            }
            let poetry = root
                .get("tool")
                .and_then(|t| t.get("poetry"))
                .and_then(|p| p.get("license"));
            if let Some(node) = string(poetry) {
                out.push(Declared {
                    what: "`tool.poetry.license`",
                    node,
                });
            }
        }
        _ => {}
    }
    out
}

/// PEP 639 `project.license-files`: the globs naming the package's licence files.
fn license_files(root: &Node) -> Option<Vec<String>> {
    let list = root.get("project")?.get("license-files")?.as_seq()?;
    Some(
        list.iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
    )
}

impl Rule for License {
    /// The root licence files and manifests, and what a pyproject's `license-files` may name:
    /// licence-like files and `LICENSES/` folders anywhere.
    fn inputs(&self) -> Vec<String> {
        [
            "**/*[Ll][Ii][Cc][Ee][Nn][CcSs][Ee]*",
            "**/*[Cc][Oo][Pp][Yy][Ii][Nn][Gg]*",
            "**/[Uu][Nn][Ll][Ii][Cc][Ee][Nn][Ss][Ee]*",
            "**/{LICENSES,licenses}/**",
            "{Cargo.toml,package.json,pyproject.toml}",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        // Root files sort before every directory's files whose name is greater, but not all of
        // them: scan the list and keep paths without a `/`.
        let files: Vec<&FileEntry> = cx
            .all_files()
            .iter()
            .filter(|f| {
                f.mode.is_regular() && (is_license_file(&f.path) || reuse_id(&f.path).is_some())
            })
            .copied()
            .collect();
        if files.is_empty() {
            if self.report_missing && !cx.settings().private {
                out.push(
                    Violation::repo(
                        "no licence file at the root (LICENSE, LICENCE, COPYING or UNLICENSE)",
                    )
                    .key("missing")
                    .help(
                        "add a LICENSE file with your licence's canonical text; a private \
                         repository says `private = true` under [settings] in goldpath.toml",
                    ),
                );
            }
            return;
        }
        let (root_known, unrecognised) = known(cx, &files);
        if root_known.is_empty() {
            for path in unrecognised {
                out.push(
                    Violation::file(
                        &path,
                        "the licence text is not one goldpath recognises (the canonical text \
                         of a common licence such as MIT, Apache-2.0, BSD, ISC, MPL, GPL, \
                         LGPL, AGPL, EPL, Unlicense or CC0, or an SPDX-License-Identifier line)",
                    )
                    .key("unrecognised")
                    .help("use the licence's canonical text from https://spdx.org/licenses/"),
                );
            }
            return;
        }

        for manifest in ["Cargo.toml", "package.json", "pyproject.toml"] {
            let Ok(at) = cx
                .all_files()
                .binary_search_by(|f| f.path.as_str().cmp(manifest))
            else {
                continue;
            };
            let file = cx.all_files()[at];
            let Some(parsed) = cx.documents(file) else {
                continue;
            };
            let Ok(documents) = parsed.as_ref() else {
                continue;
            };
            let Some(root) = documents.first() else {
                continue;
            };
            // PEP 639: `license-files` names the package's licence files; one that matches
            // nothing here (a git submodule, a generated file) may hold any licence.
            let listed = (manifest == "pyproject.toml")
                .then(|| license_files(root))
                .flatten();
            let (known_here, unseen) = match &listed {
                Some(globs) => {
                    let mut matched: Vec<&FileEntry> = Vec::new();
                    let mut unseen = false;
                    for glob in globs {
                        let Ok(glob) = crate::glob::Glob::new(glob) else {
                            continue;
                        };
                        let before = matched.len();
                        for f in cx.all_files() {
                            if f.mode.is_regular()
                                && glob.is_match(&f.path)
                                && !matched.iter().any(|m| m.path == f.path)
                            {
                                matched.push(f);
                            }
                        }
                        unseen |= matched.len() == before;
                    }
                    (known(cx, &matched).0, unseen)
                }
                None => (Vec::new(), false),
            };
            let known_here = if listed.is_some() {
                &known_here
            } else {
                &root_known
            };
            let found = known_here
                .iter()
                .map(Known::display)
                .collect::<Vec<_>>()
                .join(", ");
            let mut seen = Vec::new();
            for declared in declared(manifest, root) {
                if seen.contains(&declared.node.span) {
                    continue;
                }
                seen.push(declared.node.span);
                let text = declared.node.as_str().unwrap_or_default();
                let expression = match spdx::Expression::parse_mode(text, spdx::ParseMode::LAX) {
                    Ok(expression) => expression,
                    Err(e) => {
                        out.push(
                            Violation::file(
                                manifest,
                                format!(
                                    "{} `{text}` is not a valid SPDX expression: {}",
                                    declared.what, e.reason
                                ),
                            )
                            .span(declared.node.span)
                            .key(format!("invalid:{}", declared.what))
                            .help("write an SPDX expression such as `MIT OR Apache-2.0`"),
                        );
                        continue;
                    }
                };
                let named = |k: &Known| {
                    expression.requirements().any(|r| match &r.req.license {
                        spdx::LicenseItem::Spdx { id, or_later } => k.is(id.name, *or_later),
                        spdx::LicenseItem::Other(_) => false,
                    })
                };
                let satisfied = expression.evaluate(|req| {
                    unseen
                        || match &req.license {
                            spdx::LicenseItem::Spdx { id, or_later } => {
                                known_here.iter().any(|k| k.is(id.name, *or_later))
                            }
                            spdx::LicenseItem::Other(_) => false,
                        }
                });
                let mut unnamed: Vec<String> = Vec::new();
                for k in known_here.iter().filter(|k| !k.partial && !named(k)) {
                    let shown = license_text::Found {
                        id: k.id.clone(),
                        variant: k.variant,
                        score: 1.0,
                        lines: (0, 0),
                    }
                    .display();
                    if !unnamed.contains(&shown) {
                        unnamed.push(shown);
                    }
                }
                if satisfied && unnamed.is_empty() {
                    continue;
                }
                let detail = if unnamed.is_empty() {
                    "the licence files do not satisfy it".to_owned()
                } else {
                    format!("it does not name {}", unnamed.join(", "))
                };
                out.push(
                    Violation::file(
                        manifest,
                        format!(
                            "{} `{text}` disagrees with the licence files: {detail} (found \
                             {found})",
                            declared.what
                        ),
                    )
                    .span(declared.node.span)
                    .key(format!("disagree:{}", declared.what))
                    .help(
                        "declare the licence the files hold, or add the licence file the \
                         declaration promises",
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{recognise, Variant};
    use crate::testing::check;

    const POLICY: &str = "[rules.\"security/license\"]\n";
    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../../tests/fixtures/licenses/", $name))
        };
    }
    const MIT: &str = fixture!("cargo-LICENSE-MIT");
    const APACHE: &str = fixture!("cargo-LICENSE-APACHE");
    const GPL3: &str = fixture!("debian-GPL-3");
    const LGPL3: &str = fixture!("debian-LGPL-3");
    const LGPL21: &str = fixture!("debian-LGPL-2.1");
    const MPL2: &str = fixture!("debian-MPL-2.0");
    const ESPHOME: &str = fixture!("esphome-LICENSE");

    fn messages(files: &[(&str, &str)]) -> Vec<String> {
        check(POLICY, files)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn spdx_identifier_lines_name_the_licences() {
        assert_eq!(
            recognise("// SPDX-License-Identifier: EUPL-1.2\n"),
            [("EUPL-1.2".to_owned(), Variant::None)]
        );
        // Deprecated GNU ids are read as SPDX defines them, and `+` as `-or-later`.
        assert_eq!(
            recognise("# SPDX-License-Identifier: GPL-3.0 OR LGPL-2.1+\n"),
            [
                ("GPL-3.0".to_owned(), Variant::Only),
                ("LGPL-2.1".to_owned(), Variant::OrLater)
            ]
        );
        assert_eq!(
            recognise("`SPDX-License-Identifier: MIT AND BUSL-1.1`\n").len(),
            2
        );
        assert!(recognise("All rights reserved.").is_empty());
    }

    /// The canonical GPL-3.0 and MPL-2.0 texts mention the GNU Affero GPL; they are not it.
    #[test]
    fn gpl_and_mpl_texts_are_not_agpl() {
        let gpl = [
            ("COPYING", GPL3),
            ("package.json", "{\"license\": \"GPL-3.0-or-later\"}"),
        ];
        assert_eq!(messages(&gpl), Vec::<String>::new());
        let mpl = [
            ("LICENSE", MPL2),
            ("Cargo.toml", "[package]\nlicense = \"MPL-2.0\"\n"),
        ];
        assert_eq!(messages(&mpl), Vec::<String>::new());
        let agpl = [
            ("LICENSE", GPL3),
            ("package.json", "{\"license\": \"AGPL-3.0-only\"}"),
        ];
        let got = messages(&agpl);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains("it does not name GPL-3.0-only or GPL-3.0-or-later"),
            "{}",
            got[0]
        );
    }

    /// esphome: MIT for the Python code, GPL-3.0 for the C++ code, both texts in LICENSE.
    #[test]
    fn a_file_with_several_licences_agrees_with_any_of_them() {
        let mit = [
            ("LICENSE", ESPHOME),
            ("pyproject.toml", "[project]\nlicense = \"MIT\"\n"),
        ];
        assert_eq!(messages(&mit), Vec::<String>::new());
        let both = [
            ("LICENSE", ESPHOME),
            (
                "pyproject.toml",
                "[project]\nlicense = \"MIT AND GPL-3.0-or-later\"\n",
            ),
        ];
        assert_eq!(messages(&both), Vec::<String>::new());
        let other = [
            ("LICENSE", ESPHOME),
            ("pyproject.toml", "[project]\nlicense = \"Apache-2.0\"\n"),
        ];
        let got = messages(&other);
        assert_eq!(
            got,
            [
                "`project.license` `Apache-2.0` disagrees with the licence files: the licence \
              files do not satisfy it (found MIT (LICENSE), GPL-3.0-only or GPL-3.0-or-later \
              (LICENSE))"
            ]
        );
    }

    /// rust-lang/cargo: LICENSE-THIRD-PARTY holds the licences of its dependencies.
    #[test]
    fn third_party_and_notice_files_are_not_the_projects_licence() {
        let files = [
            (
                "Cargo.toml",
                "[workspace.package]\nlicense = \"MIT OR Apache-2.0\"\n",
            ),
            ("LICENSE-APACHE", APACHE),
            ("LICENSE-MIT", MIT),
            ("LICENSE-THIRD-PARTY", LGPL21),
            ("LICENSE.notices", LGPL21),
            ("LICENSES_3RD_PARTY.md", LGPL21),
        ];
        assert_eq!(messages(&files), Vec::<String>::new());
        // Alone, a third-party file is no licence.
        let findings = check(POLICY, &[("LICENSE-THIRD-PARTY", LGPL21)]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].path.is_none(), "{findings:?}");
    }

    /// numpy: PEP 639 `license-files` lists the package's licence files, vendored ones too.
    #[test]
    fn pep_639_license_files_are_the_packages_licence_files() {
        let pyproject = "[project]\nlicense = 'BSD-3-Clause AND MIT AND Zlib'\nlicense-files = [\n  'LICENSE.txt',\n  'numpy/libdivide/LICENSE.txt',\n  'numpy/random/*/LICENSE.md',\n]\n";
        let files = [
            ("LICENSE.txt", fixture!("numpy-LICENSE.txt")),
            (
                "numpy/libdivide/LICENSE.txt",
                fixture!("numpy-libdivide-LICENSE.txt"),
            ),
            (
                "numpy/random/mt19937/LICENSE.md",
                fixture!("numpy-mt19937-LICENSE.md"),
            ),
            ("numpy/random/other/NOTES.md", MIT),
            ("pyproject.toml", pyproject),
        ];
        assert_eq!(messages(&files), Vec::<String>::new());
        // A listed file the expression does not name is reported.
        let mut isc = files;
        isc[3] = ("numpy/random/other/LICENSE.md", fixture!("go-spew-LICENSE"));
        let got = messages(&isc);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("it does not name ISC"), "{}", got[0]);
        // A listed path that is not in the repository (a git submodule) may hold the licence
        // the expression names and the files found do not.
        let submodule = pyproject.replace(
            "  'LICENSE.txt',",
            "  'LICENSE.txt',\n  'vendor/pythoncapi-compat/COPYING',",
        );
        let more = [
            files[0],
            files[1],
            files[2],
            (
                "pyproject.toml",
                &*submodule.replace("AND Zlib'", "AND Zlib AND 0BSD'"),
            ),
        ];
        assert_eq!(messages(&more), Vec::<String>::new());
    }

    #[test]
    fn or_later_from_the_notice_must_agree_with_the_declaration() {
        let notice = format!(
            "This program is free software: you can redistribute it and/or modify it under \
             the terms of the GNU General Public License as published by the Free Software \
             Foundation, either version 3 of the License, or (at your option) any later \
             version.\n\n{GPL3}"
        );
        let ok = [
            ("COPYING", notice.as_str()),
            ("package.json", "{\"license\": \"GPL-3.0-or-later\"}"),
        ];
        assert_eq!(messages(&ok), Vec::<String>::new());
        let only = [
            ("COPYING", notice.as_str()),
            ("package.json", "{\"license\": \"GPL-3.0-only\"}"),
        ];
        let got = messages(&only);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains("(found GPL-3.0-or-later (COPYING))"),
            "{}",
            got[0]
        );
        // The bare text says neither: both forms and the deprecated id agree with it.
        for declared in ["GPL-3.0-only", "GPL-3.0-or-later", "GPL-3.0", "GPL-3.0+"] {
            let files = [
                ("COPYING", GPL3),
                ("package.json", &*format!("{{\"license\": \"{declared}\"}}")),
            ];
            assert_eq!(messages(&files), Vec::<String>::new(), "{declared}");
        }
    }

    #[test]
    fn the_gpl_beside_an_lgpl_is_part_of_it() {
        let files = [
            ("COPYING", GPL3),
            ("COPYING.LESSER", LGPL3),
            ("Cargo.toml", "[package]\nlicense = \"LGPL-3.0-or-later\"\n"),
        ];
        assert_eq!(messages(&files), Vec::<String>::new());
    }

    /// ripgrep: COPYING says which licences apply, the texts are beside it.
    #[test]
    fn ripgrep_layout_agrees_with_unlicense_or_mit() {
        let files = [
            ("COPYING", "This project is dual-licensed under the Unlicense and MIT licenses.\n\nYou may use this code under the terms of either license.\n"),
            ("Cargo.toml", "[package]\nlicense = \"Unlicense OR MIT\"\n"),
            ("LICENSE-MIT", MIT),
            ("UNLICENSE", fixture!("ripgrep-UNLICENSE")),
        ];
        assert_eq!(messages(&files), Vec::<String>::new());
        let wrong = [
            files[0],
            ("Cargo.toml", "[package]\nlicense = \"MIT\"\n"),
            files[2],
            files[3],
        ];
        let got = messages(&wrong);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("it does not name Unlicense"), "{}", got[0]);
    }

    /// REUSE keeps every licence used anywhere under `LICENSES/<SPDX-id>.txt`.
    #[test]
    fn reuse_licenses_folder_is_the_projects_own() {
        let files = [
            ("Cargo.toml", "[package]\nlicense = \"MIT\"\n"),
            ("LICENSES/CC0-1.0.txt", "whatever"),
            ("LICENSES/MIT.txt", MIT),
        ];
        assert_eq!(messages(&files), Vec::<String>::new());
        let wrong = [
            ("Cargo.toml", "[package]\nlicense = \"Apache-2.0\"\n"),
            files[1],
            files[2],
        ];
        assert_eq!(messages(&wrong).len(), 1);
        // A `licenses/` folder of dependencies' licences is not the project's licence.
        let findings = check(
            POLICY,
            &[
                ("licenses/MIT.txt", MIT),
                ("third_party/LICENSES/MIT.txt", MIT),
            ],
        );
        assert_eq!(findings.len(), 1);
        assert!(findings[0].path.is_none(), "{findings:?}");
    }

    #[test]
    fn dual_licences_agree_with_an_or_expression() {
        let cargo = "[workspace.package]\nlicense = \"MIT OR Apache-2.0\"\n\n[package]\nname = \"x\"\nlicense.workspace = true\n";
        let files = [
            ("Cargo.toml", cargo),
            ("LICENSE-APACHE", APACHE),
            ("LICENSE-MIT", MIT),
        ];
        let findings = check(POLICY, &files);
        assert!(findings.is_empty(), "{findings:#?}");
        // One of the two files is enough for an OR.
        assert!(check(POLICY, &files[..2]).is_empty());
        // Legacy slash syntax is accepted.
        let slash = [
            ("Cargo.toml", "[package]\nlicense = \"MIT/Apache-2.0\"\n"),
            files[2],
        ];
        assert!(check(POLICY, &slash).is_empty());
    }

    #[test]
    fn disagreement_is_reported_at_the_manifest_value() {
        let files = [
            (
                "Cargo.toml",
                "[package]\nname = \"x\"\nlicense = \"Apache-2.0\"\n",
            ),
            ("LICENSE", MIT),
            (
                "package.json",
                "{\"name\": \"x\",\n  \"license\": \"MIT AND ISC\"}",
            ),
            ("pyproject.toml", "[project]\nlicense = \"Apache 2\"\n"),
        ];
        let findings = check(POLICY, &files);
        let got: Vec<_> = findings
            .iter()
            .map(|f| {
                let s = f.span.unwrap();
                (
                    f.path.as_deref().unwrap(),
                    s.line,
                    s.column,
                    f.message.as_str(),
                )
            })
            .collect();
        assert_eq!(got.len(), 3, "{findings:#?}");
        assert_eq!(got[0].0, "Cargo.toml");
        assert_eq!((got[0].1, got[0].2), (3, 11));
        assert_eq!(
            got[0].3,
            "`package.license` `Apache-2.0` disagrees with the licence files: it does not name MIT (found MIT (LICENSE))"
        );
        assert_eq!(got[1].0, "package.json");
        assert!(got[1].3.contains("do not satisfy"), "{}", got[1].3);
        assert_eq!(got[2].0, "pyproject.toml");
        assert!(
            got[2].3.contains("not a valid SPDX expression"),
            "{}",
            got[2].3
        );
    }

    #[test]
    fn missing_and_unrecognised_files() {
        let findings = check(POLICY, &[("README.md", ""), ("docs/LICENSE", MIT)]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].path.is_none());
        let private = format!("[settings]\nprivate = true\n{POLICY}");
        assert!(check(&private, &[]).is_empty());
        let quiet = format!("{POLICY}report-missing = false\n");
        assert!(check(&quiet, &[]).is_empty());
        let findings = check(POLICY, &[("LICENSE.txt", "All rights reserved.")]);
        assert_eq!(findings[0].path.as_deref(), Some("LICENSE.txt"));
        // A file beside a recognised licence that is not one is fine.
        assert!(check(POLICY, &[("LICENSE", MIT), ("LICENSE-EE", "x")]).is_empty());
    }
}
