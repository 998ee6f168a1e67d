//! `package.json` and `package-lock.json` (lockfileVersion 1, 2, 3).

use std::collections::HashSet;

use goldpath_document::{Format, Node, Value};

use crate::text::{error_at, is_true, members, parse_tree, scalar};
use crate::{DepKind, Ecosystem, FileKind, Manifest, Package, ParseError, Source};

const SECTIONS: [(&str, DepKind); 4] = [
    ("dependencies", DepKind::Normal),
    ("devDependencies", DepKind::Dev),
    ("optionalDependencies", DepKind::Optional),
    ("peerDependencies", DepKind::Peer),
];

fn root_object(text: &str) -> Result<Node, ParseError> {
    let root = parse_tree(Format::Json, text)?;
    if !matches!(root.value, Value::Map(_)) {
        return Err(error_at(root.span, "expected a JSON object"));
    }
    Ok(root)
}

fn license_of(node: &Node) -> Option<String> {
    match node.get("license") {
        Some(l) => l
            .as_str()
            .or_else(|| l.get("type").and_then(Node::as_str))
            .map(str::to_owned),
        None => None,
    }
}

/// The package an override key names: the last `/`-separated part (keeping a scope), without
/// a version range (`**/markdown-it` and `markdown-it@^14` name `markdown-it`).
fn override_target(key: &str) -> String {
    let key = key.rsplit_once('>').map_or(key, |(_, last)| last); // pnpm `a>b`
    let parts: Vec<&str> = key.split('/').collect();
    let name = match parts.as_slice() {
        [.., scope, name] if scope.starts_with('@') => format!("{scope}/{name}"),
        [.., name] => (*name).to_owned(),
        [] => String::new(),
    };
    match name.strip_prefix('@') {
        Some(rest) => match rest.split_once('@') {
            Some((n, _)) => format!("@{n}"),
            None => name.clone(),
        },
        None => name.split('@').next().unwrap_or(&name).to_owned(),
    }
}

pub(crate) fn manifest(text: &str) -> Result<Manifest, ParseError> {
    let root = root_object(text)?;
    let mut out = Manifest::new(FileKind::PackageJson);
    out.name = root.get("name").and_then(Node::as_str).map(str::to_owned);
    out.license = license_of(&root);
    out.workspace = root.get("workspaces").is_some();
    let tables = [
        root.get("resolutions"),
        root.get("overrides"),
        root.get("pnpm").and_then(|p| p.get("overrides")),
    ];
    out.overridden = tables
        .into_iter()
        .flatten()
        .flat_map(|table| {
            members(table)
                .iter()
                .map(|entry| override_target(entry.key_str().unwrap_or_default()))
        })
        .collect();
    out.warnings = duplicate_keys(&root);
    for (section, kind) in SECTIONS {
        let Some(deps) = root.get(section) else {
            continue;
        };
        if !matches!(deps.value, Value::Map(_)) {
            return Err(error_at(
                deps.span,
                format!("`{section}` must be an object"),
            ));
        }
        for entry in members(deps) {
            let (name, key_span, spec) = (
                entry.key_str().unwrap_or_default(),
                entry.key.span,
                &entry.value,
            );
            let Some(spec) = spec.as_str() else {
                return Err(error_at(
                    spec.span,
                    format!("the version of `{name}` must be a string"),
                ));
            };
            let (real, requirement, source) = classify(name, spec);
            out.packages.push(Package {
                ecosystem: Ecosystem::Npm,
                name: real,
                version: None,
                requirement,
                source,
                direct: true,
                kind,
                inherited: false,
                position: key_span.into(),
                license: None,
            });
        }
    }
    Ok(out)
}

/// Every key written a second time in one object, anywhere in the document, at the later
/// occurrence: `JSON.parse` (and so npm) keeps the last value and drops the first silently.
fn duplicate_keys(root: &Node) -> Vec<(String, crate::Position)> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Map(members) => {
                let mut first: std::collections::HashMap<&str, u32> =
                    std::collections::HashMap::new();
                for entry in members {
                    let key = entry.key_str().unwrap_or_default();
                    let position = crate::Position::from(entry.key.span);
                    match first.get(key) {
                        Some(line) => found.push((
                            format!(
                                "duplicate key `{key}` (first at line {line}): npm keeps the \
                                 last value and ignores the first"
                            ),
                            position,
                        )),
                        None => {
                            first.insert(key, position.line);
                        }
                    }
                }
                stack.extend(members.iter().map(|entry| &entry.value));
            }
            Value::Seq(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    found.sort_by_key(|(_, position)| position.range.start);
    found
}

/// The real name, the requirement (for registry specs) and the source of a dependency spec.
fn classify(name: &str, spec: &str) -> (String, Option<String>, Source) {
    let spec = spec.trim();
    if let Some(alias) = spec.strip_prefix("npm:") {
        // npm:real-name@range, the name possibly scoped.
        let at = alias
            .get(1..)
            .and_then(|rest| rest.find('@'))
            .map(|i| i + 1);
        return match at {
            Some(i) => (
                alias[..i].to_owned(),
                Some(alias[i + 1..].to_owned()),
                Source::Registry(None),
            ),
            None => (
                alias.to_owned(),
                Some(String::new()),
                Source::Registry(None),
            ),
        };
    }
    // yarn's `patch:name@npm%3A1.0.0#file`: the patched package from its registry.
    if let Some(patched) = spec.strip_prefix("patch:") {
        let inner = patched.split('#').next().unwrap_or(patched);
        let real = inner
            .get(1..)
            .and_then(|rest| rest.find('@'))
            .map_or(inner, |i| &inner[..i + 1]);
        return (real.to_owned(), None, Source::Registry(None));
    }
    let git_prefixes = [
        "git+",
        "git://",
        "github:",
        "gitlab:",
        "bitbucket:",
        "gist:",
    ];
    if git_prefixes.iter().any(|p| spec.starts_with(p)) {
        let (url, reference) = match spec.split_once('#') {
            Some((url, r)) => (url, Some(r.to_owned())),
            None => (spec, None),
        };
        return (
            name.to_owned(),
            None,
            Source::Git {
                url: url.to_owned(),
                reference,
            },
        );
    }
    for prefix in ["file:", "link:", "portal:", "workspace:"] {
        if let Some(path) = spec.strip_prefix(prefix) {
            let requirement = (prefix == "workspace:").then(|| path.to_owned());
            return (name.to_owned(), requirement, Source::Path(path.to_owned()));
        }
    }
    if spec.starts_with("http://") || spec.starts_with("https://") {
        return (name.to_owned(), None, Source::Url(spec.to_owned()));
    }
    if spec.starts_with('.') || spec.starts_with('/') || spec.starts_with('~') {
        return (name.to_owned(), None, Source::Path(spec.to_owned()));
    }
    // `user/repo` and `user/repo#ref` are GitHub shorthands.
    if !spec.contains([' ', ':']) && !spec.starts_with('@') && spec.contains('/') {
        let (url, reference) = match spec.split_once('#') {
            Some((url, r)) => (url, Some(r.to_owned())),
            None => (spec, None),
        };
        return (
            name.to_owned(),
            None,
            Source::Git {
                url: format!("github:{url}"),
                reference,
            },
        );
    }
    (
        name.to_owned(),
        Some(spec.to_owned()),
        Source::Registry(None),
    )
}

fn resolved_source(resolved: Option<&str>, link: bool) -> Source {
    match resolved {
        _ if link => Source::Path(resolved.unwrap_or_default().to_owned()),
        Some(r) if r.starts_with("git+") || r.starts_with("git://") || r.starts_with("github:") => {
            let (url, reference) = match r.split_once('#') {
                Some((url, rev)) => (url, Some(rev.to_owned())),
                None => (r, None),
            };
            Source::Git {
                url: url.to_owned(),
                reference,
            }
        }
        Some(r) if r.starts_with("file:") => Source::Path(r["file:".len()..].to_owned()),
        Some(r) if r.contains("/-/") => {
            // https://registry.npmjs.org/name/-/name-1.0.0.tgz: the registry is the origin.
            let host = r.split("/-/").next().unwrap_or(r);
            let host = host
                .find("://")
                .and_then(|i| host[i + 3..].find('/').map(|j| &host[..i + 3 + j]))
                .unwrap_or(host);
            Source::Registry(Some(host.to_owned()))
        }
        Some(r) if r.starts_with("http://") || r.starts_with("https://") => {
            Source::Url(r.to_owned())
        }
        Some(r) => Source::Path(r.to_owned()),
        None => Source::Registry(None),
    }
}

pub(crate) fn lockfile(text: &str) -> Result<Manifest, ParseError> {
    let root = root_object(text)?;
    let mut out = Manifest::new(FileKind::PackageLock);
    out.name = root.get("name").and_then(Node::as_str).map(str::to_owned);
    out.format_version = root.get("lockfileVersion").map(|v| {
        scalar(v, text)
            .or_else(|| text.get(v.span.start_byte..v.span.end_byte))
            .unwrap_or_default()
            .to_owned()
    });
    if let Some(packages) = root.get("packages") {
        // v2 and v3: a flat map from install path to package.
        let mut direct = HashSet::new();
        if let Some(project) = packages.get("") {
            out.license = license_of(project);
            for (section, _) in SECTIONS {
                for entry in project.get(section).map_or(&[][..], members) {
                    direct.insert(entry.key_str().unwrap_or_default().to_owned());
                }
            }
        }
        for entry in members(packages) {
            let (path, key_span, entry) = (
                entry.key_str().unwrap_or_default(),
                entry.key.span,
                &entry.value,
            );
            let Some(at) = path.rfind("node_modules/") else {
                // The root project and workspace members (their own directories).
                out.members.push(path.to_owned());
                continue;
            };
            let install_name = &path[at + "node_modules/".len()..];
            let name = entry
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or(install_name)
                .to_owned();
            let link = entry.get("link").is_some_and(is_true);
            let dev = entry.get("dev").is_some_and(is_true);
            let optional = entry.get("optional").is_some_and(is_true);
            out.packages.push(Package {
                ecosystem: Ecosystem::Npm,
                direct: at == 0 && direct.contains(install_name),
                name,
                version: entry
                    .get("version")
                    .and_then(Node::as_str)
                    .map(str::to_owned),
                requirement: None,
                source: resolved_source(entry.get("resolved").and_then(Node::as_str), link),
                kind: if dev {
                    DepKind::Dev
                } else if optional {
                    DepKind::Optional
                } else {
                    DepKind::Normal
                },
                inherited: false,
                position: key_span.into(),
                license: license_of(entry),
            });
        }
    } else if let Some(deps) = root.get("dependencies") {
        // v1: nested `dependencies`; the top level is what is installed at the root, which
        // mixes direct dependencies with hoisted ones, so nothing is marked direct.
        v1(deps, &mut out.packages)?;
    }
    Ok(out)
}

fn v1(deps: &Node, out: &mut Vec<Package>) -> Result<(), ParseError> {
    for entry in members(deps) {
        let (name, key_span, entry) = (
            entry.key_str().unwrap_or_default(),
            entry.key.span,
            &entry.value,
        );
        if !matches!(entry.value, Value::Map(_)) {
            return Err(error_at(entry.span, format!("`{name}` must be an object")));
        }
        let version = entry.get("version").and_then(Node::as_str);
        let source = match version {
            Some(v) if v.starts_with("file:") => Source::Path(v["file:".len()..].to_owned()),
            Some(v) if v.starts_with("git") || v.starts_with("github:") => {
                resolved_source(Some(v), false)
            }
            _ => resolved_source(entry.get("resolved").and_then(Node::as_str), false),
        };
        out.push(Package {
            ecosystem: Ecosystem::Npm,
            name: name.to_owned(),
            version: version.map(str::to_owned),
            requirement: None,
            source,
            direct: false,
            kind: if entry.get("dev").is_some_and(is_true) {
                DepKind::Dev
            } else {
                DepKind::Normal
            },
            inherited: false,
            position: key_span.into(),
            license: None,
        });
        if let Some(nested) = entry.get("dependencies") {
            v1(nested, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{parse, DepKind, FileKind, Source};

    #[test]
    fn override_keys_name_their_package() {
        for (key, name) in [
            ("**/markdown-it", "markdown-it"),
            ("markdown-it@^14.2.0", "markdown-it"),
            ("parent/markdown-it", "markdown-it"),
            ("@types/node", "@types/node"),
            ("**/@types/node@20", "@types/node"),
            ("a>b", "b"),
        ] {
            assert_eq!(super::override_target(key), name, "{key}");
        }
    }

    #[test]
    fn package_json_duplicate_keys_are_warnings_at_the_later_key() {
        let text = "{\n  \"scripts\": {\"t\": \"a\", \"t\": \"b\"},\n  \"dependencies\": {\n    \"x\": \"1\",\n    \"x\": \"2\",\n    \"x\": \"3\"\n  }\n}";
        let m = parse(FileKind::PackageJson, text).unwrap();
        let got: Vec<_> = m
            .warnings
            .iter()
            .map(|(message, p)| (message.as_str(), p.line, p.column))
            .collect();
        let message = |k: &str, line: u32| {
            format!(
                "duplicate key `{k}` (first at line {line}): npm keeps the last value and \
                 ignores the first"
            )
        };
        assert_eq!(
            got,
            [
                (message("t", 2).as_str(), 2, 25),
                (message("x", 4).as_str(), 5, 5),
                (message("x", 4).as_str(), 6, 5),
            ]
        );
        // npm keeps the last value; so does the model.
        assert_eq!(m.packages.len(), 3);
        assert!(
            parse(FileKind::PackageJson, "{\"a\": {\"b\": 1}, \"b\": 2}")
                .unwrap()
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn package_json_specs() {
        let text = r#"{
  "name": "app",
  "license": "MIT",
  "dependencies": {
    "left-pad": "^1.3.0",
    "@scope/x": "latest",
    "aliased": "npm:@real/pkg@^2",
    "from-git": "git+https://github.com/a/b.git#v1",
    "shorthand": "a/b",
    "local": "file:../local",
    "tarball": "https://example.com/x.tgz",
    "ws": "workspace:*",
    "patched": "patch:patched@npm%3A1.0.0#~/.yarn/patches/p.patch"
  },
  "devDependencies": { "jest": "*" }
}"#;
        let m = parse(FileKind::PackageJson, text).unwrap();
        assert_eq!(m.license.as_deref(), Some("MIT"));
        let got: Vec<_> = m
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.requirement.as_deref(),
                    p.source.kind(),
                    p.position.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("left-pad", Some("^1.3.0"), "registry", 5),
                ("@scope/x", Some("latest"), "registry", 6),
                ("@real/pkg", Some("^2"), "registry", 7),
                ("from-git", None, "git", 8),
                ("shorthand", None, "git", 9),
                ("local", None, "path", 10),
                ("tarball", None, "url", 11),
                ("ws", Some("*"), "path", 12),
                ("patched", None, "registry", 13),
                ("jest", Some("*"), "registry", 15),
            ]
        );
        assert_eq!(m.packages[9].kind, DepKind::Dev);
    }

    #[test]
    fn lockfile_v3_and_v2() {
        let text = r#"{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "app", "license": "MIT", "dependencies": { "a": "^1" }, "devDependencies": { "b": "^2" } },
    "node_modules/a": { "version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz", "license": "ISC" },
    "node_modules/b": { "version": "2.0.0", "dev": true, "license": "MIT" },
    "node_modules/a/node_modules/c": { "version": "3.0.0", "resolved": "git+ssh://git@github.com/x/c.git#abc" },
    "packages/member": { "version": "0.0.1" },
    "node_modules/member": { "resolved": "packages/member", "link": true }
  }
}"#;
        let m = parse(FileKind::PackageLock, text).unwrap();
        assert_eq!(m.format_version.as_deref(), Some("3"));
        assert_eq!(m.members, ["", "packages/member"]);
        let got: Vec<_> = m
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_deref(),
                    p.direct,
                    p.source.kind(),
                    p.license.as_deref(),
                    p.position.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a", Some("1.0.0"), true, "registry", Some("ISC"), 6),
                ("b", Some("2.0.0"), true, "registry", Some("MIT"), 7),
                ("c", Some("3.0.0"), false, "git", None, 8),
                ("member", None, false, "path", None, 10),
            ]
        );
        assert_eq!(
            m.packages[0].source,
            Source::Registry(Some("https://registry.npmjs.org".into()))
        );
    }

    #[test]
    fn lockfile_v1_nested() {
        let text = r#"{"lockfileVersion": 1, "dependencies": {
  "a": { "version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz",
         "dependencies": { "b": { "version": "2.0.0" } } },
  "c": { "version": "file:../c" }
}}"#;
        let m = parse(FileKind::PackageLock, text).unwrap();
        let names: Vec<_> = m
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.position.line))
            .collect();
        assert_eq!(names, [("a", 2), ("b", 3), ("c", 4)]);
        assert_eq!(m.packages[2].source, Source::Path("../c".into()));
    }

    #[test]
    fn malformed_files_are_errors() {
        for text in [
            "[]",
            "{\"dependencies\": []}",
            "{\"dependencies\": {\"a\": 1}}",
            "{",
        ] {
            assert!(parse(FileKind::PackageJson, text).is_err(), "{text}");
        }
        assert!(parse(FileKind::PackageLock, "{\"dependencies\": {\"a\": 1}}").is_err());
    }
}
