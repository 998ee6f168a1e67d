//! `pnpm-lock.yaml`: lockfileVersion 5.x (`/name/1.0.0_peer` keys), 6.x (`/name@1.0.0(peer)`)
//! and 9.x (`name@1.0.0(peer)`, with `snapshots`).

use std::collections::HashSet;

use goldpath_document::{Format, Node, Value};

use crate::text::{error_at, is_true, key as key_text, members, parse_tree, scalar};
use crate::{DepKind, Ecosystem, FileKind, Manifest, Package, ParseError, Source};

const SECTIONS: [&str; 3] = ["dependencies", "devDependencies", "optionalDependencies"];

/// The format generation: keys and peer suffixes are written differently in each.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Generation {
    V5,
    V6,
    V9,
}

pub(crate) fn lockfile(text: &str) -> Result<Manifest, ParseError> {
    let root = parse_tree(Format::Yaml, text)?;
    if !matches!(root.value, Value::Map(_)) {
        return Err(error_at(
            root.span,
            "expected a YAML mapping at the top of pnpm-lock.yaml",
        ));
    }
    let mut out = Manifest::new(FileKind::PnpmLock);
    let version = root.get("lockfileVersion").and_then(|v| scalar(v, text));
    out.format_version = version.map(str::to_owned);
    let major: u32 = version
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse().ok())
        .unwrap_or(5);
    let generation = match major {
        0..=5 => Generation::V5,
        6..=8 => Generation::V6,
        _ => Generation::V9,
    };
    // Direct dependencies: what the root project (v5/v6 without workspaces) or any importer
    // (a workspace project) lists, as (name, version) once peer suffixes are dropped.
    let mut direct: HashSet<(String, String)> = HashSet::new();
    let mut importers: Vec<&Node> = vec![&root];
    match root.get("importers") {
        Some(list) => {
            importers.extend(members(list).iter().map(|entry| &entry.value));
            out.members.extend(members(list).iter().map(|entry| {
                let dir = key_text(entry, text);
                if dir == "." {
                    String::new()
                } else {
                    dir.trim_start_matches("./").to_owned()
                }
            }));
        }
        None => out.members.push(String::new()),
    }
    out.workspace = root.get("importers").is_some();
    for importer in importers {
        for section in SECTIONS {
            for dependency in importer.get(section).map_or(&[][..], members) {
                let (name, value) = (key_text(dependency, text).to_owned(), &dependency.value);
                let resolved = match &value.value {
                    Value::Map(_) => value.get("version").and_then(|v| scalar(v, text)),
                    _ => scalar(value, text),
                }
                .unwrap_or("");
                if resolved.starts_with("link:") || resolved.starts_with("file:") {
                    continue;
                }
                // An alias resolves to another package's key.
                let (name, version) = if resolved.starts_with('/') || resolved.contains('@') {
                    match split_key(resolved, generation) {
                        Some((n, v)) if !v.is_empty() => (n, v),
                        _ => (name, strip_peers(resolved, generation)),
                    }
                } else {
                    (name, strip_peers(resolved, generation))
                };
                direct.insert((name, version));
            }
        }
    }
    let Some(packages) = root.get("packages") else {
        return Ok(out);
    };
    if !matches!(packages.value, Value::Map(_) | Value::Null) {
        return Err(error_at(packages.span, "`packages` must be a mapping"));
    }
    for entry in members(packages) {
        let (key, key_span, entry) = (key_text(entry, text), entry.key.span, &entry.value);
        if !matches!(entry.value, Value::Map(_)) {
            return Err(error_at(
                entry.span,
                format!("the entry of `{key}` must be a mapping"),
            ));
        }
        let resolution = entry.get("resolution");
        let field = |name: &str| {
            entry
                .get(name)
                .and_then(|v| scalar(v, text))
                .map(str::to_owned)
        };
        let parsed = split_key(key, generation);
        let Some(name) = field("name").or_else(|| parsed.as_ref().map(|(n, _)| n.clone())) else {
            return Err(error_at(
                key_span,
                format!("cannot read a package name and version in `{key}`"),
            ));
        };
        let version = field("version").or_else(|| parsed.map(|(_, v)| v));
        let source = source_of(key, resolution, text);
        let kind = if entry.get("dev").is_some_and(is_true) {
            DepKind::Dev
        } else if entry.get("optional").is_some_and(is_true) {
            DepKind::Optional
        } else {
            DepKind::Normal
        };
        let is_direct = version
            .as_ref()
            .is_some_and(|v| direct.contains(&(name.clone(), v.clone())));
        out.packages.push(Package {
            ecosystem: Ecosystem::Npm,
            name,
            version,
            requirement: None,
            source,
            direct: is_direct,
            kind,
            inherited: false,
            position: key_span.into(),
            license: None,
        });
    }
    Ok(out)
}

/// A version without pnpm's peer suffix: `1.0.0_react@18.0.0` (v5), `1.0.0(react@18.0.0)`.
fn strip_peers(version: &str, generation: Generation) -> String {
    let cut = match generation {
        Generation::V5 => version.find(['_', '(']),
        _ => version.find('('),
    };
    version[..cut.unwrap_or(version.len())].to_owned()
}

/// The name and version of a package key: `/name/1.0.0_peer` (v5), `/@s/name@1.0.0(peer)` (v6),
/// `@s/name@1.0.0(peer)` (v9). `None` when the key is not of that shape.
fn split_key(key: &str, generation: Generation) -> Option<(String, String)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let key = &key[..key.find('(').unwrap_or(key.len())];
    let at = key.get(1..).and_then(|rest| rest.find('@')).map(|i| i + 1);
    if generation == Generation::V5 || at.is_none() {
        // v5: `name/version` or `@scope/name/version`.
        let mut parts = key.splitn(3, '/');
        let first = parts.next()?;
        let (name, version) = if first.starts_with('@') {
            let second = parts.next()?;
            (format!("{first}/{second}"), parts.next()?)
        } else {
            let rest = key.get(first.len() + 1..)?;
            (first.to_owned(), rest)
        };
        let version = strip_peers(version, Generation::V5);
        if name.is_empty() || version.is_empty() || version.contains('/') {
            return None;
        }
        return Some((name, version));
    }
    let at = at?;
    let (name, version) = (&key[..at], &key[at + 1..]);
    if name.is_empty() || version.is_empty() {
        return None;
    }
    Some((name.to_owned(), strip_peers(version, generation)))
}

fn source_of(key: &str, resolution: Option<&Node>, text: &str) -> Source {
    let get = |k: &str| {
        resolution
            .and_then(|r| r.get(k))
            .and_then(|v| scalar(v, text))
    };
    if get("type") == Some("git") || get("repo").is_some() {
        return Source::Git {
            url: get("repo").unwrap_or_default().to_owned(),
            reference: get("commit").map(str::to_owned),
        };
    }
    if let Some(directory) = get("directory") {
        return Source::Path(directory.to_owned());
    }
    if let Some(tarball) = get("tarball") {
        if let Some(path) = tarball.strip_prefix("file:") {
            return Source::Path(path.to_owned());
        }
        if tarball.contains("codeload.github.com") || key.starts_with("github.com/") {
            return Source::Git {
                url: tarball.to_owned(),
                reference: None,
            };
        }
        if let Some((origin, _)) = tarball.split_once("/-/") {
            let host = origin
                .find("://")
                .and_then(|i| origin[i + 3..].find('/').map(|j| &origin[..i + 3 + j]))
                .unwrap_or(origin);
            return Source::Registry(Some(host.to_owned()));
        }
        return Source::Url(tarball.to_owned());
    }
    Source::Registry(None)
}

#[cfg(test)]
mod tests {
    use crate::{parse, DepKind, FileKind, Source};

    fn rows(text: &str) -> Vec<(String, Option<String>, bool, &'static str, u32)> {
        parse(FileKind::PnpmLock, text)
            .unwrap()
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.direct,
                    p.source.kind(),
                    p.position.line,
                )
            })
            .collect()
    }

    #[test]
    fn v5() {
        let text = "lockfileVersion: 5.4\n\nspecifiers:\n  a: ^1.0.0\n  '@s/b': ^2.0.0\n\ndependencies:\n  a: 1.0.0_react@18.0.0\n\ndevDependencies:\n  '@s/b': 2.1.0\n\npackages:\n\n  /a/1.0.0_react@18.0.0:\n    resolution: {integrity: sha512-x}\n    dev: false\n\n  /@s/b/2.1.0:\n    resolution: {integrity: sha512-y}\n    dev: true\n\n  /c/3.0.0:\n    resolution: {tarball: https://npm.example.com/c/-/c-3.0.0.tgz}\n    dev: true\n\n  github.com/u/r/abcdef:\n    resolution: {tarball: https://codeload.github.com/u/r/tar.gz/abcdef}\n    name: r\n    version: 0.1.0\n    dev: false\n";
        assert_eq!(
            rows(text),
            [
                ("a".into(), Some("1.0.0".into()), true, "registry", 15),
                ("@s/b".into(), Some("2.1.0".into()), true, "registry", 19),
                ("c".into(), Some("3.0.0".into()), false, "registry", 23),
                ("r".into(), Some("0.1.0".into()), false, "git", 27),
            ]
        );
        let m = parse(FileKind::PnpmLock, text).unwrap();
        assert_eq!(m.format_version.as_deref(), Some("5.4"));
        assert_eq!(m.packages[1].kind, DepKind::Dev);
        assert_eq!(
            m.packages[2].source,
            Source::Registry(Some("https://npm.example.com".into()))
        );
    }

    #[test]
    fn v6_importers() {
        let text = "lockfileVersion: '6.0'\n\nimporters:\n\n  .:\n    dependencies:\n      '@s/a':\n        specifier: ^1.0.0\n        version: 1.2.0(react@18.2.0)\n      ws:\n        specifier: workspace:*\n        version: link:packages/ws\n\n  packages/ws:\n    devDependencies:\n      b:\n        specifier: ~2.0.0\n        version: 2.0.1\n\npackages:\n\n  /@s/a@1.2.0(react@18.2.0):\n    resolution: {integrity: sha512-x}\n    dev: false\n\n  /b@2.0.1:\n    resolution: {integrity: sha512-y}\n    dev: true\n\n  /b@1.0.0:\n    resolution: {integrity: sha512-z}\n    dev: true\n\n  /local@0.0.1:\n    resolution: {directory: ../local, type: directory}\n    name: local\n    version: 0.0.1\n";
        assert_eq!(
            rows(text),
            [
                ("@s/a".into(), Some("1.2.0".into()), true, "registry", 22),
                ("b".into(), Some("2.0.1".into()), true, "registry", 26),
                ("b".into(), Some("1.0.0".into()), false, "registry", 30),
                ("local".into(), Some("0.0.1".into()), false, "path", 34),
            ]
        );
        let m = parse(FileKind::PnpmLock, text).unwrap();
        assert_eq!(m.members, ["", "packages/ws"]);
    }

    #[test]
    fn v9_with_snapshots() {
        let text = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      x:\n        specifier: ^1.0.0\n        version: 1.0.0(y@2.0.0)\n\npackages:\n\n  '@s/y@2.0.0':\n    resolution: {integrity: sha512-y}\n\n  x@1.0.0:\n    resolution: {integrity: sha512-x}\n    peerDependencies:\n      '@s/y': '*'\n\n  g@https://codeload.github.com/u/g/tar.gz/0123:\n    resolution: {tarball: https://codeload.github.com/u/g/tar.gz/0123}\n    version: 1.0.0\n\n  r@git+https://github.com/u/r.git#abc:\n    resolution: {commit: abc, repo: https://github.com/u/r.git, type: git}\n    version: 2.0.0\n\nsnapshots:\n\n  '@s/y@2.0.0': {}\n\n  x@1.0.0(y@2.0.0):\n    dependencies:\n      '@s/y': 2.0.0\n";
        assert_eq!(
            rows(text),
            [
                ("@s/y".into(), Some("2.0.0".into()), false, "registry", 13),
                ("x".into(), Some("1.0.0".into()), true, "registry", 16),
                ("g".into(), Some("1.0.0".into()), false, "git", 21),
                ("r".into(), Some("2.0.0".into()), false, "git", 25),
            ]
        );
        let m = parse(FileKind::PnpmLock, text).unwrap();
        assert_eq!(
            m.packages[3].source,
            Source::Git {
                url: "https://github.com/u/r.git".into(),
                reference: Some("abc".into())
            }
        );
    }

    #[test]
    fn malformed_lockfiles_are_positioned_errors() {
        let e = parse(
            FileKind::PnpmLock,
            "lockfileVersion: '9.0'\npackages:\n  a@1: [\n",
        )
        .unwrap_err();
        assert!(e.position.line >= 3, "{e}");
        let e = parse(FileKind::PnpmLock, "- a\n- b\n").unwrap_err();
        assert_eq!(e.position.line, 1, "{e}");
        let e = parse(
            FileKind::PnpmLock,
            "lockfileVersion: '9.0'\npackages:\n  x: 3\n",
        )
        .unwrap_err();
        assert_eq!(e.position.line, 3, "{e}");
        let e = parse(
            FileKind::PnpmLock,
            "lockfileVersion: '9.0'\npackages:\n  noversion:\n    resolution: {integrity: x}\n",
        )
        .unwrap_err();
        assert_eq!((e.position.line, e.position.column), (3, 3), "{e}");
    }

    #[test]
    fn numbers_stay_as_written_and_aliases_are_null() {
        // `5.10` would be the float 5.1; a package version `2` is not the integer 2; an alias
        // (lockfiles use none) reads as null and costs no alias budget.
        let text = "lockfileVersion: 5.10\npackages:\n  /a/2:\n    version: 2\n    resolution: &r {integrity: x}\n  /b/1.0.0:\n    resolution: *r\n";
        let m = parse(FileKind::PnpmLock, text).unwrap();
        assert_eq!(m.format_version.as_deref(), Some("5.10"));
        assert_eq!(m.packages[0].version.as_deref(), Some("2"));
        assert_eq!(m.packages[1].name, "b");
        assert_eq!(m.packages[1].position.line, 6);
    }
}
