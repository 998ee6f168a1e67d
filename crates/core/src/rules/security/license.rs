//! security/license

use crate::doc::{Node, Value};
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, OptionDoc, Rule, RuleDef, Scope};
use crate::snapshot::FileEntry;

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "security/license",
    summary: "A recognised licence file at the root, agreeing with the licence the manifests \
              declare",
    default_level: Level::Error,
    tier: Tier::Bronze,
    scope: Scope::Repository,
    fixable: false,
    options: &[OptionDoc {
        name: "report-missing",
        kind: "boolean",
        help: "Report a repository without a licence file (default `true`; never when \
               `[settings] private = true`). `builtin:recommended` sets it to `false` because \
               its `files/required` already reports the missing licence.",
    }],
    docs: Docs {
        what: "The root has a licence file (`LICENSE`, `LICENCE`, `COPYING` or `UNLICENSE`, any \
               case, any extension or suffix: `LICENSE-MIT`, `COPYING.LESSER`) whose text is a \
               licence goldpath recognises: MIT, MIT-0, Apache-2.0, BSD-2-Clause, BSD-3-Clause, \
               ISC, 0BSD, MPL-2.0, GPL-2.0, GPL-3.0, LGPL-2.1, LGPL-3.0, AGPL-3.0, Unlicense \
               and CC0-1.0, by their titles and characteristic sentences, or any licence named \
               by an `SPDX-License-Identifier:` line. When no licence file is recognised, each \
               is reported. The licence declared in the root manifests (`Cargo.toml` \
               `package.license`, also through `license.workspace = true`, and \
               `workspace.package.license`; `package.json` `license`; `pyproject.toml` \
               `project.license` and `tool.poetry.license`) is parsed as an SPDX expression \
               and must agree with the files: the recognised licences satisfy the expression \
               (`MIT OR Apache-2.0` with `LICENSE-MIT` and `LICENSE-APACHE`, or either one), \
               and every recognised licence is named in it. A disagreement or an invalid \
               expression is reported at the manifest's value. `-only`, `-or-later` and `+` \
               are ignored in the comparison, since a licence text does not say which applies. \
               No licence file is a repository-wide finding, except in private repositories \
               (`[settings] private = true`).",
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
              and write the same SPDX identifier in the manifests.",
    },
};

/// Why detection is by signature: `spdx`'s text detection (`detection-inline-cache`) adds
/// about 5 MB to the binary, a C build of zstd, and takes about 300 ms to load its store on
/// every run, more than a whole check of a large repository is allowed. The licences people
/// actually use are recognised reliably by their titles and a characteristic sentence.
const SIGNATURES: &[(&str, &[&str])] = &[
    (
        "AGPL-3.0",
        &["gnu affero general public license", "version 3"],
    ),
    (
        "LGPL-3.0",
        &["gnu lesser general public license", "version 3"],
    ),
    (
        "LGPL-2.1",
        &["gnu lesser general public license", "version 2.1"],
    ),
    ("GPL-3.0", &["gnu general public license", "version 3"]),
    ("GPL-2.0", &["gnu general public license", "version 2"]),
    ("MPL-2.0", &["mozilla public license", "2.0"]),
    ("Apache-2.0", &["apache license", "version 2.0"]),
    (
        "Unlicense",
        &["this is free and unencumbered software released into the public domain"],
    ),
    ("CC0-1.0", &["cc0 1.0 universal"]),
    (
        "MIT",
        &[
            "permission is hereby granted, free of charge, to any person obtaining a copy",
            "the above copyright notice and this permission notice shall be included",
        ],
    ),
    (
        "MIT-0",
        &["permission is hereby granted, free of charge, to any person obtaining a copy"],
    ),
    (
        "BSD-3-Clause",
        &[
            "redistribution and use in source and binary forms, with or without modification, are permitted",
            "neither the name",
        ],
    ),
    (
        "BSD-2-Clause",
        &["redistribution and use in source and binary forms, with or without modification, are permitted"],
    ),
    (
        "ISC",
        &[
            "permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby granted",
            "provided that the above copyright notice and this permission notice appear in all copies",
        ],
    ),
    (
        "0BSD",
        &["permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby granted"],
    ),
];

/// The SPDX id of a licence text, by an `SPDX-License-Identifier:` line or by signature.
pub(crate) fn recognise(text: &str) -> Option<String> {
    for line in text.lines().take(20) {
        if let Some((_, id)) = line.split_once("SPDX-License-Identifier:") {
            let id = id.trim().trim_end_matches(['*', '/', '-', '>']).trim();
            if spdx::Expression::parse(id).is_ok() {
                return Some(id.to_owned());
            }
        }
    }
    // Lower-case, with runs of whitespace (line breaks included) and `*`/`#` comment marks
    // collapsed into single spaces.
    let mut normal = String::with_capacity(text.len());
    for word in text
        .split(|c: char| c.is_whitespace() || c == '*' || c == '#')
        .filter(|w| !w.is_empty())
    {
        if !normal.is_empty() {
            normal.push(' ');
        }
        normal.push_str(&word.to_lowercase());
    }
    let normal = normal.replace(['“', '”'], "\"");
    SIGNATURES
        .iter()
        .find(|(_, needles)| needles.iter().all(|n| normal.contains(n)))
        .map(|(id, _)| (*id).to_owned())
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
}

/// The id compared between files and manifests: without `-only`, `-or-later` or `+`.
fn base_id(id: &str) -> String {
    id.trim_end_matches('+')
        .trim_end_matches("-or-later")
        .trim_end_matches("-only")
        .to_owned()
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

impl Rule for License {
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        // Root files sort before every directory's files whose name is greater, but not all of
        // them: scan the list and keep paths without a `/`.
        let files: Vec<&FileEntry> = cx
            .all_files()
            .iter()
            .filter(|f| f.mode.is_regular() && is_license_file(&f.path))
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
        let mut recognised: Vec<(String, &str)> = Vec::new();
        for file in &files {
            if let Some(id) = cx.text(file).ok().and_then(|text| recognise(&text)) {
                recognised.push((id, &file.path));
            }
        }
        if recognised.is_empty() {
            for file in &files {
                out.push(
                    Violation::file(
                        &file.path,
                        "the licence text is not one goldpath recognises (MIT, Apache-2.0, \
                         BSD, ISC, MPL, GPL, LGPL, AGPL, Unlicense, CC0, or an \
                         SPDX-License-Identifier line)",
                    )
                    .key("unrecognised")
                    .help("use the licence's canonical text from https://spdx.org/licenses/"),
                );
            }
            return;
        }
        let bases: Vec<String> = recognised.iter().map(|(id, _)| base_id(id)).collect();
        let found = recognised
            .iter()
            .map(|(id, path)| format!("{id} ({path})"))
            .collect::<Vec<_>>()
            .join(", ");

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
                let named: Vec<String> = expression
                    .requirements()
                    .filter_map(|r| r.req.license.id())
                    .map(|id| base_id(id.name))
                    .collect();
                let satisfied = expression.evaluate(|req| {
                    req.license
                        .id()
                        .is_some_and(|id| bases.contains(&base_id(id.name)))
                });
                let unnamed: Vec<&str> = bases
                    .iter()
                    .filter(|b| !named.contains(b))
                    .map(String::as_str)
                    .collect();
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
    use super::recognise;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"security/license\"]\n";
    const MIT: &str = "MIT License\n\nCopyright (c) 2026 Acme\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software ...\n\nThe above copyright notice and this permission notice shall be included in all\ncopies or substantial portions of the Software.\n";
    const APACHE: &str = "\n                                 Apache License\n                           Version 2.0, January 2004\n                        http://www.apache.org/licenses/\n";

    #[test]
    fn recognises_common_licences() {
        assert_eq!(recognise(MIT).as_deref(), Some("MIT"));
        assert_eq!(recognise(APACHE).as_deref(), Some("Apache-2.0"));
        let bsd3 = "Redistribution and use in source and binary forms, with or without\nmodification, are permitted provided that ...\n3. Neither the name of the copyright holder";
        assert_eq!(recognise(bsd3).as_deref(), Some("BSD-3-Clause"));
        assert_eq!(
            recognise(&bsd3.replace("3. Neither the name", "")).as_deref(),
            Some("BSD-2-Clause")
        );
        assert_eq!(
            recognise("GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007").as_deref(),
            Some("GPL-3.0")
        );
        assert_eq!(
            recognise("GNU LESSER GENERAL PUBLIC LICENSE\n Version 2.1, February 1999").as_deref(),
            Some("LGPL-2.1")
        );
        assert_eq!(
            recognise("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3").as_deref(),
            Some("AGPL-3.0")
        );
        assert_eq!(
            recognise("Mozilla Public License Version 2.0\n==").as_deref(),
            Some("MPL-2.0")
        );
        assert_eq!(
            recognise("This is free and unencumbered software released into the public domain.")
                .as_deref(),
            Some("Unlicense")
        );
        let isc = "Permission to use, copy, modify, and/or distribute this software for any\npurpose with or without fee is hereby granted";
        assert_eq!(recognise(isc).as_deref(), Some("0BSD"));
        assert_eq!(
            recognise(&format!("{isc}, provided that the above copyright notice and this permission notice appear in all copies.")).as_deref(),
            Some("ISC")
        );
        assert_eq!(
            recognise("// SPDX-License-Identifier: EUPL-1.2\n").as_deref(),
            Some("EUPL-1.2")
        );
        assert_eq!(recognise("All rights reserved."), None);
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
    fn gpl_versions_and_suffixes_compare_by_base_id() {
        let files = [
            (
                "COPYING",
                "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007",
            ),
            ("package.json", "{\"license\": \"GPL-3.0-or-later\"}"),
        ];
        assert!(check(POLICY, &files).is_empty());
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
        // A notices file beside a recognised licence is fine.
        assert!(check(POLICY, &[("LICENSE", MIT), ("LICENSE-THIRD-PARTY", "x")]).is_empty());
    }
}
