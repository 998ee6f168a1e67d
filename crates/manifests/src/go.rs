//! `go.mod` and `go.sum`.

use std::collections::HashSet;

use crate::text::{LineIndex, Locate};
use crate::{DepKind, Ecosystem, FileKind, Manifest, Package, ParseError, Source};

/// Splits a go.mod line into fields (quoted strings allowed), the comment dropped; also says
/// whether the comment is `// indirect` (or starts with `indirect;`).
fn fields(line: &str) -> (Vec<&str>, bool) {
    let (code, comment) = match line.find("//") {
        Some(i) => (&line[..i], Some(line[i + 2..].trim())),
        None => (line, None),
    };
    let indirect = comment.is_some_and(|c| c == "indirect" || c.starts_with("indirect;"));
    let fields = code
        .split_whitespace()
        .map(|f| f.trim_matches('"').trim_matches('`'))
        .collect();
    (fields, indirect)
}

pub(crate) fn go_mod(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let mut out = Manifest::new(FileKind::GoMod);
    let mut block: Option<String> = None;
    let mut replaces: Vec<(String, Option<String>, Source)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let (mut f, indirect) = fields(line);
        if f.is_empty() {
            continue;
        }
        let position = index.line_position(number);
        let verb = match &block {
            Some(verb) => {
                if f == [")"] {
                    block = None;
                    continue;
                }
                verb.clone()
            }
            None => {
                let verb = f.remove(0).to_owned();
                if f == ["("] {
                    block = Some(verb);
                    continue;
                }
                verb
            }
        };
        let bad = |what: &str| {
            index.error(
                position.range.clone(),
                format!("malformed `{verb}`: {what}"),
            )
        };
        match verb.as_str() {
            "module" => out.name = f.first().map(|s| (*s).to_owned()),
            "go" | "toolchain" | "godebug" | "tool" | "ignore" => {}
            "require" => {
                let [path, version] = f[..] else {
                    return Err(bad("expected a module path and a version"));
                };
                let column = line.find(path).unwrap_or(0);
                out.packages.push(Package {
                    ecosystem: Ecosystem::Go,
                    name: path.to_owned(),
                    version: Some(version.to_owned()),
                    requirement: Some(version.to_owned()),
                    source: Source::Registry(None),
                    direct: !indirect,
                    kind: DepKind::Normal,
                    inherited: false,
                    position: index
                        .at(position.range.start + column
                            ..position.range.start + column + path.len()),
                    license: None,
                });
            }
            "replace" => {
                let Some(arrow) = f.iter().position(|x| *x == "=>") else {
                    return Err(bad("expected `=>`"));
                };
                let (old, new) = (&f[..arrow], &f[arrow + 1..]);
                let (Some(old_path), Some(new_path)) = (old.first(), new.first()) else {
                    return Err(bad("expected a module on each side of `=>`"));
                };
                if old.len() > 2 || new.len() > 2 {
                    return Err(bad("too many fields"));
                }
                let local = new_path.starts_with("./")
                    || new_path.starts_with("../")
                    || new_path.starts_with('/');
                let source = if local {
                    Source::Path((*new_path).to_owned())
                } else {
                    Source::Registry(Some(match new.get(1) {
                        Some(v) => format!("{new_path}@{v}"),
                        None => (*new_path).to_owned(),
                    }))
                };
                replaces.push((
                    (*old_path).to_owned(),
                    old.get(1).map(|v| (*v).to_owned()),
                    source,
                ));
            }
            "exclude" => {
                if f.len() != 2 {
                    return Err(bad("expected a module path and a version"));
                }
            }
            "retract" => {
                if f.is_empty() {
                    return Err(bad("expected a version or a range"));
                }
            }
            other => {
                return Err(index.error(
                    position.range.clone(),
                    format!("unknown go.mod directive `{other}`"),
                ))
            }
        }
    }
    if block.is_some() {
        return Err(index.error(text.len()..text.len(), "unclosed `(` block"));
    }
    for package in &mut out.packages {
        if let Some((_, _, source)) = replaces.iter().find(|(path, version, _)| {
            *path == package.name
                && version
                    .as_ref()
                    .is_none_or(|v| Some(v) == package.version.as_ref())
        }) {
            package.source = source.clone();
        }
    }
    Ok(out)
}

pub(crate) fn go_sum(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let mut out = Manifest::new(FileKind::GoSum);
    let mut seen = HashSet::new();
    for (number, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let position = index.line_position(number);
        let [path, version, hash] = f[..] else {
            return Err(index.error(position.range, "expected `module version hash`"));
        };
        if !hash.contains(':') {
            return Err(index.error(position.range, "malformed hash"));
        }
        // Only module content hashes: `/go.mod` lines are kept for modules that only take
        // part in version selection.
        if let Some(version) = version.strip_suffix("/go.mod") {
            out.selection_only
                .push((path.to_owned(), version.to_owned()));
            continue;
        }
        if !seen.insert((path, version)) {
            continue;
        }
        out.packages.push(Package {
            ecosystem: Ecosystem::Go,
            name: path.to_owned(),
            version: Some(version.to_owned()),
            requirement: None,
            source: Source::Registry(None),
            direct: false,
            kind: DepKind::Normal,
            inherited: false,
            position,
            license: None,
        });
    }
    out.selection_only
        .retain(|(path, version)| !seen.contains(&(path.as_str(), version.as_str())));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::{parse, FileKind, Source};

    #[test]
    fn go_mod_directives() {
        let text = "module example.com/app\n\ngo 1.22\n\nrequire github.com/pkg/errors v0.9.1\n\nrequire (\n\tgolang.org/x/sys v0.20.0 // indirect\n\t\"example.com/local\" v1.0.0\n)\n\nreplace example.com/local => ../local\nreplace golang.org/x/sys v0.20.0 => golang.org/x/sys v0.21.0\nexclude github.com/bad/mod v1.0.0\nretract [v1.0.0, v1.0.5] // broken\nretract v0.1.0\n";
        let m = parse(FileKind::GoMod, text).unwrap();
        assert_eq!(m.name.as_deref(), Some("example.com/app"));
        let got: Vec<_> = m
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_deref(),
                    p.direct,
                    p.position.line,
                    p.position.column,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/pkg/errors", Some("v0.9.1"), true, 5, 9),
                ("golang.org/x/sys", Some("v0.20.0"), false, 8, 2),
                ("example.com/local", Some("v1.0.0"), true, 9, 3),
            ]
        );
        assert_eq!(m.packages[2].source, Source::Path("../local".into()));
        assert_eq!(
            m.packages[1].source,
            Source::Registry(Some("golang.org/x/sys@v0.21.0".into()))
        );
    }

    #[test]
    fn malformed_go_mod() {
        for (text, line) in [
            ("require a\n", 1),
            ("module m\nrequire (\n a v1\n", 4),
            ("replace a b\n", 1),
            ("frobnicate x\n", 1),
        ] {
            let e = parse(FileKind::GoMod, text).unwrap_err();
            assert_eq!(e.position.line, line, "{text}: {e}");
        }
    }

    #[test]
    fn go_sum_entries() {
        let text = "github.com/a/b v1.0.0 h1:abc=\ngithub.com/a/b v1.0.0/go.mod h1:def=\ngithub.com/c/d v0.1.0/go.mod h1:x=\n";
        let m = parse(FileKind::GoSum, text).unwrap();
        assert_eq!(m.packages.len(), 1);
        assert_eq!(m.packages[0].position.line, 1);
        assert_eq!(
            m.selection_only,
            [("github.com/c/d".to_owned(), "v0.1.0".to_owned())]
        );
        assert!(parse(FileKind::GoSum, "a b\n").is_err());
    }
}
