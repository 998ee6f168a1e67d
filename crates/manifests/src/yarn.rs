//! `yarn.lock`: classic (v1, its own indented format) and berry (v2 and later, YAML with a
//! `__metadata` entry).

use std::collections::HashSet;

use goldpath_document::{Format, Value};

use crate::text::{error_at, key as key_text, members, parse_tree, scalar, LineIndex, Locate};
use crate::{DepKind, Ecosystem, FileKind, Manifest, Package, ParseError, Source};

pub(crate) fn lockfile(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let berry = text
        .lines()
        .any(|l| l.starts_with("__metadata:") || l.starts_with("\"__metadata\":"));
    if berry {
        berry_lockfile(text)
    } else {
        classic(text, index)
    }
}

/// The package name of a descriptor `name@range` (`@scope/name@npm:^1`).
fn descriptor_name(descriptor: &str) -> &str {
    let at = descriptor
        .get(1..)
        .and_then(|rest| rest.find('@'))
        .map_or(descriptor.len(), |i| i + 1);
    &descriptor[..at]
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// A source from a classic `resolved` URL or a berry `resolution` reference.
fn source_of(reference: &str) -> Source {
    let git = reference.starts_with("git+")
        || reference.starts_with("git://")
        || reference.starts_with("github:")
        || reference.contains(".git#")
        || reference.contains("codeload.github.com");
    if git {
        let (url, commit) = match reference.split_once('#') {
            Some((u, c)) => (u, Some(c.trim_start_matches("commit=").to_owned())),
            None => (reference, None),
        };
        return Source::Git {
            url: url.to_owned(),
            reference: commit,
        };
    }
    for prefix in ["file:", "link:", "portal:", "workspace:"] {
        if let Some(path) = reference.strip_prefix(prefix) {
            return Source::Path(path.split("::").next().unwrap_or(path).to_owned());
        }
    }
    if reference.starts_with("http://") || reference.starts_with("https://") {
        if let Some((origin, _)) = reference.split_once("/-/") {
            let host = origin
                .find("://")
                .and_then(|i| origin[i + 3..].find('/').map(|j| &origin[..i + 3 + j]))
                .unwrap_or(origin);
            return Source::Registry(Some(host.to_owned()));
        }
        return Source::Url(reference.to_owned());
    }
    Source::Registry(None)
}

fn classic(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let mut out = Manifest::new(FileKind::YarnLock);
    out.format_version = Some("1".to_owned());
    let mut offset = 0;
    // The entry being read: its package, and whether its own fields (indent 2) are open.
    let mut current: Option<Package> = None;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let span = line_start + indent..line_start + line.len();
        if indent == 0 {
            let Some(header) = trimmed.strip_suffix(':') else {
                return Err(index.error(span, "expected `name@range:` at the start of an entry"));
            };
            if let Some(done) = current.take() {
                out.packages.push(done);
            }
            let first = header.split(", ").next().unwrap_or(header);
            let first = unquote(first);
            let name = descriptor_name(first);
            if name.is_empty() {
                return Err(index.error(span, "entry without a package name"));
            }
            current = Some(Package {
                ecosystem: Ecosystem::Npm,
                name: name.to_owned(),
                version: None,
                requirement: None,
                // `file:` and git ranges in the header say where it comes from when no
                // `resolved` follows.
                source: source_of(first.get(name.len() + 1..).unwrap_or_default()),
                direct: false,
                kind: DepKind::Normal,
                inherited: false,
                position: index.at(span),
                license: None,
            });
            continue;
        }
        let Some(package) = current.as_mut() else {
            return Err(index.error(span, "indented line outside of an entry"));
        };
        if indent != 2 {
            continue; // a member of `dependencies:` and the like
        }
        let (key, value) = match trimmed.split_once(' ') {
            Some((k, v)) => {
                let written = v.trim();
                if written.starts_with('"') && (written.len() < 2 || !written.ends_with('"')) {
                    let at = span.start + k.len() + 1 + (v.len() - v.trim_start().len());
                    return Err(index.error(
                        at..span.end,
                        "unterminated quoted string (the file may be cut short)",
                    ));
                }
                (unquote(k), unquote(v))
            }
            None => (trimmed.trim_end_matches(':'), ""),
        };
        match key {
            "version" => package.version = Some(value.to_owned()),
            "resolved" => package.source = source_of(value),
            _ => {}
        }
    }
    if let Some(done) = current.take() {
        out.packages.push(done);
    }
    Ok(out)
}

fn berry_lockfile(text: &str) -> Result<Manifest, ParseError> {
    let root = parse_tree(Format::Yaml, text)?;
    if !matches!(root.value, Value::Map(_)) {
        return Err(error_at(
            root.span,
            "expected a YAML mapping at the top of yarn.lock",
        ));
    }
    let mut out = Manifest::new(FileKind::YarnLock);
    out.format_version = root
        .get("__metadata")
        .and_then(|m| m.get("version"))
        .and_then(|v| scalar(v, text))
        .map(str::to_owned);
    // Descriptors the workspaces ask for (`name@npm:^1`): the entries they resolve to are direct.
    let mut direct: HashSet<String> = HashSet::new();
    for entry in members(&root) {
        let (key, entry) = (key_text(entry, text), &entry.value);
        let Some((_, dir)) = key.split_once("@workspace:") else {
            continue;
        };
        let dir = dir.split(", ").next().unwrap_or(dir);
        out.members.push(if dir == "." {
            String::new()
        } else {
            dir.trim_start_matches("./").to_owned()
        });
        out.workspace |= !key.ends_with("@workspace:.");
        for section in ["dependencies", "devDependencies", "optionalDependencies"] {
            for dependency in entry.get(section).map_or(&[][..], members) {
                let name = key_text(dependency, text);
                let range = scalar(&dependency.value, text).unwrap_or_default();
                let range = if range.contains(':') {
                    range.to_owned()
                } else {
                    format!("npm:{range}")
                };
                direct.insert(format!("{name}@{range}"));
            }
        }
    }
    for entry in members(&root) {
        let (key, key_span, entry) = (key_text(entry, text), entry.key.span, &entry.value);
        if key == "__metadata" {
            continue;
        }
        if !matches!(entry.value, Value::Map(_)) {
            return Err(error_at(
                entry.span,
                format!("the entry of `{key}` must be a mapping"),
            ));
        }
        let resolution = entry
            .get("resolution")
            .and_then(|r| scalar(r, text))
            .unwrap_or(key.split(", ").next().unwrap_or(key));
        let name = descriptor_name(resolution);
        if name.is_empty() {
            return Err(error_at(key_span, "entry without a package name"));
        }
        let reference = resolution.get(name.len() + 1..).unwrap_or_default();
        if reference.starts_with("workspace:") {
            continue; // the project and its workspaces
        }
        let source = if let Some(patched) = reference.strip_prefix("patch:") {
            // `patch:name@npm%3A1.0.0#...`: the patched package's own source.
            let inner = patched
                .split('#')
                .next()
                .unwrap_or(patched)
                .replace("%3A", ":");
            source_of(
                inner
                    .get(descriptor_name(&inner).len() + 1..)
                    .unwrap_or_default(),
            )
        } else if reference.starts_with("npm:") {
            Source::Registry(None)
        } else {
            source_of(reference)
        };
        let is_direct = key.split(", ").any(|d| direct.contains(d.trim()));
        out.packages.push(Package {
            ecosystem: Ecosystem::Npm,
            name: name.to_owned(),
            version: entry
                .get("version")
                .and_then(|v| scalar(v, text))
                .map(str::to_owned),
            requirement: None,
            source,
            direct: is_direct,
            kind: DepKind::Normal,
            inherited: false,
            position: key_span.into(),
            license: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::{parse, FileKind, Source};

    #[test]
    fn classic_v1() {
        let text = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  resolved \"https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc\"\n  integrity sha512-x\n  dependencies:\n    \"@babel/highlight\" \"^7.12.13\"\n\nleft-pad@^1.3.0:\n  version \"1.3.0\"\n  resolved \"https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz\"\n\n\"forked@git+https://github.com/u/forked.git#v1\":\n  version \"0.1.0\"\n  resolved \"git+https://github.com/u/forked.git#0123abc\"\n\n\"local@file:../local\":\n  version \"0.0.1\"\n";
        let m = parse(FileKind::YarnLock, text).unwrap();
        assert_eq!(m.format_version.as_deref(), Some("1"));
        let got: Vec<_> = m
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_deref(),
                    p.source.kind(),
                    p.position.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("@babel/code-frame", Some("7.12.13"), "registry", 5),
                ("left-pad", Some("1.3.0"), "registry", 12),
                ("forked", Some("0.1.0"), "git", 16),
                ("local", Some("0.0.1"), "path", 20),
            ]
        );
        assert_eq!(
            m.packages[0].source,
            Source::Registry(Some("https://registry.yarnpkg.com".into()))
        );
        let e = parse(FileKind::YarnLock, "a@1:\n  version \"1\"\nnot an entry\n").unwrap_err();
        assert_eq!((e.position.line, e.position.column), (3, 1), "{e}");
        let e = parse(FileKind::YarnLock, "  version \"1\"\n").unwrap_err();
        assert_eq!(e.position.line, 1, "{e}");
    }

    #[test]
    fn a_cut_quoted_value_is_an_error_at_its_quote() {
        let text = "# yarn lockfile v1\n\n\"a@^1\":\n  version \"1.0";
        let err = parse(FileKind::YarnLock, text).unwrap_err();
        assert_eq!((err.position.line, err.position.column), (4, 11), "{err:?}");
        assert!(err.message.contains("unterminated quoted string"));
        let whole = "# yarn lockfile v1\n\n\"a@^1\":\n  version \"1.0.0\"\n  resolved \"\"\n";
        assert!(parse(FileKind::YarnLock, whole).is_ok());
    }

    #[test]
    fn berry() {
        let text = "# This file is generated by running \"yarn install\" inside your project.\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"@s/a@npm:^1.0.0, @s/a@npm:^1.1.0\":\n  version: 1.2.0\n  resolution: \"@s/a@npm:1.2.0\"\n  languageName: node\n  linkType: hard\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  dependencies:\n    \"@s/a\": \"npm:^1.1.0\"\n    g: \"https://github.com/u/g.git#v2\"\n  languageName: unknown\n  linkType: soft\n\n\"g@https://github.com/u/g.git#v2\":\n  version: 2.0.0\n  resolution: \"g@https://github.com/u/g.git#commit=abc\"\n  languageName: node\n  linkType: hard\n\n\"p@patch:p@npm%3A1.0.0#~/.yarn/patches/p.patch\":\n  version: 1.0.0\n  resolution: \"p@patch:p@npm%3A1.0.0#~/.yarn/patches/p.patch::version=1.0.0&hash=1\"\n  languageName: node\n  linkType: hard\n";
        let m = parse(FileKind::YarnLock, text).unwrap();
        assert_eq!(m.format_version.as_deref(), Some("8"));
        assert_eq!(m.members, [""]);
        let got: Vec<_> = m
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_deref(),
                    p.direct,
                    p.source.kind(),
                    p.position.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("@s/a", Some("1.2.0"), true, "registry", 7),
                ("g", Some("2.0.0"), true, "git", 22),
                ("p", Some("1.0.0"), false, "registry", 28),
            ]
        );
        assert_eq!(
            m.packages[1].source,
            Source::Git {
                url: "https://github.com/u/g.git".into(),
                reference: Some("abc".into())
            }
        );
        assert!(parse(
            FileKind::YarnLock,
            "__metadata:\n  version: 8\n\"a@npm:1\": [\n"
        )
        .is_err());
    }
}
