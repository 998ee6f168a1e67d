//! `Cargo.toml` and `Cargo.lock`.

use std::collections::HashSet;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::text::{expect_table, get, get_str, get_table, parse_toml, LineIndex, Locate};
use crate::{DepKind, Ecosystem, FileKind, Manifest, Package, ParseError, Source};

const SECTIONS: [(&str, DepKind); 3] = [
    ("dependencies", DepKind::Normal),
    ("dev-dependencies", DepKind::Dev),
    ("build-dependencies", DepKind::Build),
];

pub(crate) fn manifest(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let root = parse_toml(text, index)?;
    let mut out = Manifest::new(FileKind::CargoToml);
    match get_table(&root, "package") {
        Some(package) => {
            out.name = get_str(package, "name").map(str::to_owned);
            out.license = get_str(package, "license").map(str::to_owned);
        }
        None => out.virtual_root = get(&root, "workspace").is_some(),
    }
    out.binaries = get(&root, "bin").is_some();
    out.library = get(&root, "lib").is_some() && !out.binaries;
    if let Some(workspace) = get_table(&root, "workspace") {
        out.workspace = true;
        if let Some(deps) = get(workspace, "dependencies") {
            let deps = expect_table(deps, "workspace.dependencies", index)?;
            dependencies(deps, DepKind::Workspace, index, &mut out.packages)?;
        }
    }
    for (section, kind) in SECTIONS {
        let underscored = section.replace('-', "_");
        let aliases = if underscored == section {
            vec![section.to_owned()]
        } else {
            vec![section.to_owned(), underscored]
        };
        for alias in aliases {
            if let Some(deps) = get(&root, &alias) {
                let deps = expect_table(deps, &alias, index)?;
                dependencies(deps, kind, index, &mut out.packages)?;
            }
        }
    }
    if let Some(targets) = get(&root, "target") {
        for (_, target) in expect_table(targets, "target", index)? {
            let target = expect_table(target, "a target", index)?;
            for (section, kind) in SECTIONS {
                if let Some(deps) = get(target, section) {
                    let deps = expect_table(deps, section, index)?;
                    dependencies(deps, kind, index, &mut out.packages)?;
                }
            }
        }
    }
    // Tables iterate sorted by key: report in file order.
    out.packages.sort_by_key(|p| p.position.range.start);
    Ok(out)
}

fn dependencies(
    table: &DeTable<'_>,
    kind: DepKind,
    index: &LineIndex<'_>,
    out: &mut Vec<Package>,
) -> Result<(), ParseError> {
    for (key, value) in table {
        let mut package = Package {
            ecosystem: Ecosystem::Cargo,
            name: key.get_ref().to_string(),
            version: None,
            requirement: None,
            source: Source::Registry(None),
            direct: true,
            kind,
            inherited: false,
            position: index.at(key.span()),
            license: None,
        };
        match value.get_ref() {
            DeValue::String(requirement) => package.requirement = Some(requirement.to_string()),
            DeValue::Table(detail) => {
                package.requirement = get_str(detail, "version").map(str::to_owned);
                if let Some(name) = get_str(detail, "package") {
                    package.name = name.to_owned();
                }
                package.inherited = matches!(
                    get(detail, "workspace").map(Spanned::get_ref),
                    Some(DeValue::Boolean(true))
                );
                if let Some(url) = get_str(detail, "git") {
                    let reference = ["rev", "tag", "branch"]
                        .iter()
                        .find_map(|k| get_str(detail, k))
                        .map(str::to_owned);
                    package.source = Source::Git {
                        url: url.to_owned(),
                        reference,
                    };
                } else if let Some(path) = get_str(detail, "path") {
                    package.source = Source::Path(path.to_owned());
                } else if let Some(registry) = get_str(detail, "registry") {
                    package.source = Source::Registry(Some(registry.to_owned()));
                }
            }
            other => {
                return Err(index.error(
                    value.span(),
                    format!(
                        "dependency `{}` must be a string or a table, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                ))
            }
        }
        out.push(package);
    }
    Ok(())
}

pub(crate) fn lockfile(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let root = parse_toml(text, index)?;
    let mut out = Manifest::new(FileKind::CargoLock);
    out.format_version = match get(&root, "version").map(Spanned::get_ref) {
        Some(DeValue::Integer(v)) => Some(v.as_str().to_owned()),
        _ => None,
    };
    let Some(packages) = get(&root, "package") else {
        return Ok(out);
    };
    let Some(packages) = packages.get_ref().as_array() else {
        return Err(index.error(packages.span(), "`package` must be an array of tables"));
    };
    // Packages without a source are the workspace's own (members and path dependencies);
    // what they depend on is direct.
    let mut direct = HashSet::new();
    let mut entries = Vec::new();
    for entry in packages {
        let table = expect_table(entry, "a [[package]]", index)?;
        let (Some(name), Some(version)) = (get(table, "name"), get_str(table, "version")) else {
            return Err(index.error(entry.span(), "[[package]] without a name or version"));
        };
        let Some(name_str) = name.get_ref().as_str() else {
            return Err(index.error(name.span(), "package name must be a string"));
        };
        let source = get_str(table, "source");
        if source.is_none() {
            out.members.push(name_str.to_owned());
            if let Some(deps) = get(table, "dependencies").and_then(|d| d.get_ref().as_array()) {
                for dep in deps {
                    if let Some(dep) = dep.get_ref().as_str() {
                        let name = dep.split(' ').next().unwrap_or(dep);
                        direct.insert(name.to_owned());
                    }
                }
            }
            continue;
        }
        let license = None;
        entries.push(Package {
            ecosystem: Ecosystem::Cargo,
            name: name_str.to_owned(),
            version: Some(version.to_owned()),
            requirement: None,
            source: lock_source(source.unwrap_or_default()),
            direct: false,
            kind: DepKind::Normal,
            inherited: false,
            position: index.at(name.span()),
            license,
        });
    }
    for package in &mut entries {
        package.direct = direct.contains(&package.name);
    }
    entries.sort_by_key(|p| p.position.range.start);
    out.packages = entries;
    Ok(out)
}

/// `registry+URL`, `sparse+URL`, `git+URL?branch=x#sha`.
fn lock_source(source: &str) -> Source {
    if let Some(rest) = source.strip_prefix("git+") {
        let (url, reference) = match rest.split_once('#') {
            Some((url, sha)) => (url, Some(sha.to_owned())),
            None => (rest, None),
        };
        let url = url.split('?').next().unwrap_or(url);
        return Source::Git {
            url: url.to_owned(),
            reference,
        };
    }
    if let Some(path) = source.strip_prefix("path+") {
        return Source::Path(path.to_owned());
    }
    let url = source
        .strip_prefix("registry+")
        .or_else(|| source.strip_prefix("sparse+"))
        .unwrap_or(source);
    Source::Registry(Some(url.to_owned()))
}

#[cfg(test)]
mod tests {
    use crate::{parse, DepKind, FileKind, Source};

    #[test]
    fn manifest_sections_sources_and_lines() {
        let text = r#"[package]
name = "app"
license = "MIT"

[dependencies]
serde = { version = "1", features = ["derive"] }
local = { path = "../local" }
forked = { git = "https://github.com/a/b", tag = "v1" }
renamed = { package = "real-name", version = "0.3", registry = "corp" }
shared = { workspace = true }

[dev-dependencies]
insta = "*"

[target.'cfg(unix)'.build-dependencies]
cc = "1.0"
"#;
        let m = parse(FileKind::CargoToml, text).unwrap();
        assert_eq!(m.license.as_deref(), Some("MIT"));
        let got: Vec<_> = m
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.requirement.as_deref(),
                    p.source.kind(),
                    p.kind,
                    p.position.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("serde", Some("1"), "registry", DepKind::Normal, 6),
                ("local", None, "path", DepKind::Normal, 7),
                ("forked", None, "git", DepKind::Normal, 8),
                ("real-name", Some("0.3"), "registry", DepKind::Normal, 9),
                ("shared", None, "registry", DepKind::Normal, 10),
                ("insta", Some("*"), "registry", DepKind::Dev, 13),
                ("cc", Some("1.0"), "registry", DepKind::Build, 16),
            ]
        );
        assert!(m.packages[4].inherited);
        assert_eq!(
            m.packages[2].source,
            Source::Git {
                url: "https://github.com/a/b".into(),
                reference: Some("v1".into())
            }
        );
        assert_eq!(m.packages[3].source.detail(), Some("corp"));
    }

    #[test]
    fn virtual_workspace_and_library() {
        let m = parse(
            FileKind::CargoToml,
            "[workspace]\nmembers = [\"a\"]\n[workspace.dependencies]\nanyhow = \"1\"\n",
        )
        .unwrap();
        assert!(m.virtual_root && m.workspace);
        assert_eq!(m.packages[0].kind, DepKind::Workspace);
        let m = parse(FileKind::CargoToml, "[package]\nname = \"l\"\n[lib]\n").unwrap();
        assert!(m.library);
    }

    #[test]
    fn malformed_manifests_are_positioned_errors() {
        let e = parse(
            FileKind::CargoToml,
            "[package]\nname = \"x\"\n[dependencies\n",
        )
        .unwrap_err();
        assert_eq!(e.position.line, 3, "{e}");
        let e = parse(FileKind::CargoToml, "[dependencies]\nserde = 1\n").unwrap_err();
        assert_eq!((e.position.line, e.position.column), (2, 9), "{e}");
        let e = parse(FileKind::CargoToml, "dependencies = 3\n").unwrap_err();
        assert_eq!(e.position.line, 1, "{e}");
    }

    #[test]
    fn lockfiles_v1_to_v4() {
        let v4 = r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "serde",
 "git-dep",
]

[[package]]
name = "serde"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "abc"
dependencies = ["serde_derive 1.0.200"]

[[package]]
name = "serde_derive"
version = "1.0.200"
source = "sparse+https://index.crates.io/"

[[package]]
name = "git-dep"
version = "0.1.0"
source = "git+https://github.com/a/b?branch=main#0123abcd"
"#;
        let m = parse(FileKind::CargoLock, v4).unwrap();
        assert_eq!(m.format_version.as_deref(), Some("4"));
        assert_eq!(m.members, ["app"]);
        let got: Vec<_> = m
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_deref(),
                    p.direct,
                    p.position.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("serde", Some("1.0.200"), true, 13),
                ("serde_derive", Some("1.0.200"), false, 20),
                ("git-dep", Some("0.1.0"), true, 25),
            ]
        );
        assert_eq!(
            m.packages[2].source,
            Source::Git {
                url: "https://github.com/a/b".into(),
                reference: Some("0123abcd".into())
            }
        );
        // v1: no version key, a [metadata] table of checksums.
        let v1 = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[metadata]\n\"checksum a 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)\" = \"x\"\n";
        let m = parse(FileKind::CargoLock, v1).unwrap();
        assert_eq!(m.format_version, None);
        assert_eq!(m.packages.len(), 1);
    }

    #[test]
    fn malformed_lockfiles_are_errors() {
        assert!(parse(FileKind::CargoLock, "package = 3\n").is_err());
        assert!(parse(FileKind::CargoLock, "[[package]]\nname = \"a\"\n").is_err());
        assert!(parse(FileKind::CargoLock, "[[package]\n").is_err());
    }
}
