//! `pyproject.toml`, `requirements*.txt`, `poetry.lock` and `uv.lock`.

use std::collections::HashSet;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::text::{expect_table, get, get_str, get_table, parse_toml, LineIndex, Locate};
use crate::{DepKind, Ecosystem, FileKind, Manifest, Package, ParseError, Source};

/// PEP 503 normalisation of a Python package name: lower case, runs of `-_.` become `-`
/// (`Foo__Bar.baz` and `foo-bar-baz` name one package).
///
/// ```
/// assert_eq!(goldpath_manifests::normalize_python_name("Foo__Bar.baz"), "foo-bar-baz");
/// assert_eq!(goldpath_manifests::normalize_python_name("_x_"), "x");
/// ```
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn package(name: &str, kind: DepKind, position: crate::Position) -> Package {
    Package {
        ecosystem: Ecosystem::Pypi,
        name: normalize(name),
        version: None,
        requirement: None,
        source: Source::Registry(None),
        direct: true,
        kind,
        inherited: false,
        position,
        license: None,
    }
}

/// Parses a PEP 508 requirement (`name[extras] (>=1,<2) ; marker` or `name @ url`) written at
/// `span`. `Ok(None)` for lines that name no package.
fn pep508(
    text: &str,
    span: Range<usize>,
    kind: DepKind,
    index: &LineIndex<'_>,
) -> Result<Package, ParseError> {
    let body = text.split(';').next().unwrap_or(text).trim();
    let end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(body.len());
    let name = &body[..end];
    if name.is_empty() {
        return Err(index.error(span, format!("expected a package name in `{text}`")));
    }
    let mut rest = body[end..].trim_start();
    if rest.starts_with('[') {
        let Some(close) = rest.find(']') else {
            return Err(index.error(span, "unclosed `[` of extras"));
        };
        rest = rest[close + 1..].trim_start();
    }
    let mut package = package(name, kind, index.at(span.clone()));
    if let Some(url) = rest.strip_prefix('@') {
        package.source = url_source(url.trim());
    } else {
        let requirement = rest.trim_start_matches('(').trim_end_matches(')').trim();
        // An operator with no version after it (`requests===`, `a>=`): pip rejects the line.
        for clause in requirement.split(',').map(str::trim) {
            if !clause.is_empty()
                && clause
                    .chars()
                    .all(|c| matches!(c, '<' | '>' | '=' | '!' | '~'))
            {
                return Err(index.error(
                    span.clone(),
                    format!("`{clause}` needs a version after it in `{}`", text.trim()),
                ));
            }
        }
        package.requirement = Some(requirement.to_owned());
    }
    Ok(package)
}

fn url_source(url: &str) -> Source {
    if let Some(git) = url.strip_prefix("git+") {
        let (url, reference) = match git.rsplit_once('@').filter(|(u, _)| u.contains("://")) {
            Some((u, r)) if !r.contains('/') => {
                (u, Some(r.split('#').next().unwrap_or(r).to_owned()))
            }
            _ => (git, None),
        };
        return Source::Git {
            url: url.to_owned(),
            reference,
        };
    }
    if let Some(path) = url.strip_prefix("file://") {
        return Source::Path(path.to_owned());
    }
    Source::Url(url.to_owned())
}

pub(crate) fn requirements(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let mut out = Manifest::new(FileKind::Requirements);
    let mut offset = 0;
    let mut logical = String::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if logical.is_empty() {
            start = line_start;
        }
        if let Some(cont) = line.strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let whole = std::mem::take(&mut logical);
        // A comment starts at `#` at the line start or after whitespace.
        let code = match whole.find(" #").or(whole.starts_with('#').then_some(0)) {
            Some(i) => &whole[..i],
            None => &whole[..],
        };
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        let lead = whole.len() - whole.trim_start().len();
        let span = start + lead..start + lead + code.len().min(line.len());
        if code.starts_with('-') {
            let (option, value) = match code.split_once([' ', '=']) {
                Some((o, v)) => (o, v.trim()),
                None => (code, ""),
            };
            match option {
                "-r" | "--requirement" | "-c" | "--constraint" => {
                    out.includes.push((value.to_owned(), index.at(span)))
                }
                "-i" | "--index-url" | "--extra-index-url" => {
                    out.index_urls.push((value.to_owned(), index.at(span)))
                }
                "-e" | "--editable" => {
                    let name = value
                        .split("#egg=")
                        .nth(1)
                        .unwrap_or(value)
                        .trim_end_matches('/');
                    let mut p = package(
                        name.rsplit('/').next().unwrap_or(name),
                        DepKind::Normal,
                        index.at(span),
                    );
                    p.source = if value.starts_with("git+") {
                        url_source(value.split("#egg=").next().unwrap_or(value))
                    } else {
                        Source::Path(value.to_owned())
                    };
                    out.packages.push(p);
                }
                _ => {} // --hash, --no-binary, --pre, -f ... do not name packages
            }
            continue;
        }
        // Options after the requirement (`--hash=...`) are not part of it.
        let requirement = code.split(" --").next().unwrap_or(code).trim();
        if requirement.contains("://") && !requirement.contains(" @ ") && !requirement.contains('@')
        {
            let name = requirement.split("#egg=").nth(1).unwrap_or(requirement);
            let mut p = package(
                name.rsplit('/').next().unwrap_or(name),
                DepKind::Normal,
                index.at(span),
            );
            p.source = url_source(requirement);
            out.packages.push(p);
            continue;
        }
        if requirement.starts_with('.') || requirement.starts_with('/') {
            let mut p = package(
                requirement.rsplit('/').next().unwrap_or(requirement),
                DepKind::Normal,
                index.at(span),
            );
            p.source = Source::Path(requirement.to_owned());
            out.packages.push(p);
            continue;
        }
        out.packages
            .push(pep508(requirement, span, DepKind::Normal, index)?);
    }
    Ok(out)
}

fn string_list(
    value: &Spanned<DeValue<'_>>,
    kind: DepKind,
    what: &str,
    index: &LineIndex<'_>,
    out: &mut Vec<Package>,
) -> Result<(), ParseError> {
    let Some(items) = value.get_ref().as_array() else {
        return Err(index.error(value.span(), format!("`{what}` must be an array")));
    };
    for item in items {
        match item.get_ref() {
            DeValue::String(s) => out.push(pep508(s, item.span(), kind, index)?),
            DeValue::Table(_) => {} // PEP 735 `{ include-group = "..." }`
            other => {
                return Err(index.error(
                    item.span(),
                    format!("`{what}` entries must be strings, not {}", other.type_str()),
                ))
            }
        }
    }
    Ok(())
}

fn poetry_deps(table: &DeTable<'_>, kind: DepKind, index: &LineIndex<'_>, out: &mut Vec<Package>) {
    for (key, value) in table {
        if key.get_ref() == "python" {
            continue;
        }
        let mut p = package(key.get_ref(), kind, index.at(key.span()));
        match value.get_ref() {
            DeValue::String(s) => p.requirement = Some(s.to_string()),
            DeValue::Table(t) => {
                p.requirement = get_str(t, "version").map(str::to_owned);
                if let Some(url) = get_str(t, "git") {
                    let reference = ["rev", "tag", "branch"]
                        .iter()
                        .find_map(|k| get_str(t, k))
                        .map(str::to_owned);
                    p.source = Source::Git {
                        url: url.to_owned(),
                        reference,
                    };
                } else if let Some(path) = get_str(t, "path") {
                    p.source = Source::Path(path.to_owned());
                } else if let Some(url) = get_str(t, "url") {
                    p.source = Source::Url(url.to_owned());
                } else if let Some(source) = get_str(t, "source") {
                    p.source = Source::Registry(Some(source.to_owned()));
                }
                if get(t, "optional").is_some_and(|o| matches!(o.get_ref(), DeValue::Boolean(true)))
                {
                    p.kind = DepKind::Optional;
                }
            }
            // Several constraints for several markers: the first one's requirement.
            DeValue::Array(items) => {
                p.requirement = items.iter().find_map(|i| match i.get_ref() {
                    DeValue::String(s) => Some(s.to_string()),
                    DeValue::Table(t) => get_str(t, "version").map(str::to_owned),
                    _ => None,
                });
            }
            _ => {}
        }
        out.push(p);
    }
}

pub(crate) fn pyproject(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let root = parse_toml(text, index)?;
    let mut out = Manifest::new(FileKind::Pyproject);
    if let Some(project) = get(&root, "project") {
        let project = expect_table(project, "project", index)?;
        out.name = get_str(project, "name").map(str::to_owned);
        out.license = match get(project, "license").map(Spanned::get_ref) {
            Some(DeValue::String(s)) => Some(s.to_string()),
            Some(DeValue::Table(t)) => get_str(t, "text").map(str::to_owned),
            _ => None,
        };
        if let Some(deps) = get(project, "dependencies") {
            string_list(
                deps,
                DepKind::Normal,
                "project.dependencies",
                index,
                &mut out.packages,
            )?;
        }
        if let Some(extras) = get(project, "optional-dependencies") {
            for (_, deps) in expect_table(extras, "project.optional-dependencies", index)? {
                string_list(
                    deps,
                    DepKind::Optional,
                    "optional-dependencies",
                    index,
                    &mut out.packages,
                )?;
            }
        }
    }
    if let Some(groups) = get(&root, "dependency-groups") {
        for (_, deps) in expect_table(groups, "dependency-groups", index)? {
            string_list(
                deps,
                DepKind::Dev,
                "dependency-groups",
                index,
                &mut out.packages,
            )?;
        }
    }
    let tool = get_table(&root, "tool");
    if let Some(poetry) = tool.and_then(|t| get_table(t, "poetry")) {
        if out.name.is_none() {
            out.name = get_str(poetry, "name").map(str::to_owned);
        }
        if out.license.is_none() {
            out.license = get_str(poetry, "license").map(str::to_owned);
        }
        if let Some(deps) = get_table(poetry, "dependencies") {
            poetry_deps(deps, DepKind::Normal, index, &mut out.packages);
        }
        if let Some(deps) = get_table(poetry, "dev-dependencies") {
            poetry_deps(deps, DepKind::Dev, index, &mut out.packages);
        }
        if let Some(groups) = get_table(poetry, "group") {
            for (_, group) in groups {
                if let Some(deps) = group
                    .get_ref()
                    .as_table()
                    .and_then(|g| get_table(g, "dependencies"))
                {
                    poetry_deps(deps, DepKind::Dev, index, &mut out.packages);
                }
            }
        }
    }
    if let Some(sources) = tool
        .and_then(|t| get_table(t, "uv"))
        .and_then(|uv| get_table(uv, "sources"))
    {
        for (name, source) in sources {
            let Some(t) = source.get_ref().as_table() else {
                continue; // a list of sources chosen by markers: left as declared
            };
            let source = if let Some(url) = get_str(t, "git") {
                Source::Git {
                    url: url.to_owned(),
                    reference: ["rev", "tag", "branch"]
                        .iter()
                        .find_map(|k| get_str(t, k))
                        .map(str::to_owned),
                }
            } else if let Some(path) = get_str(t, "path") {
                Source::Path(path.to_owned())
            } else if let Some(url) = get_str(t, "url") {
                Source::Url(url.to_owned())
            } else if get(t, "workspace").is_some() {
                Source::Path("(workspace)".to_owned())
            } else if let Some(index_name) = get_str(t, "index") {
                Source::Registry(Some(index_name.to_owned()))
            } else {
                continue;
            };
            let name = normalize(name.get_ref());
            for p in out.packages.iter_mut().filter(|p| p.name == name) {
                p.source = source.clone();
            }
        }
    }
    // Tables iterate sorted by key: report in file order.
    out.packages.sort_by_key(|p| p.position.range.start);
    Ok(out)
}

fn lock_packages<'t, 'i>(
    root: &'t DeTable<'i>,
    index: &LineIndex<'_>,
) -> Result<Vec<(&'t DeTable<'i>, Range<usize>)>, ParseError> {
    let Some(packages) = get(root, "package") else {
        return Ok(Vec::new());
    };
    let Some(items) = packages.get_ref().as_array() else {
        return Err(index.error(packages.span(), "`package` must be an array of tables"));
    };
    items
        .iter()
        .map(|item| {
            let table = expect_table(item, "a [[package]]", index)?;
            let name = get(table, "name")
                .ok_or_else(|| index.error(item.span(), "[[package]] without a name"))?;
            if name.get_ref().as_str().is_none() {
                return Err(
                    index.error(name.span(), "the `name` of a [[package]] must be a string")
                );
            }
            // Absent for a local package with a dynamic version; a string otherwise.
            if let Some(version) = get(table, "version") {
                if version.get_ref().as_str().is_none() {
                    return Err(index.error(
                        version.span(),
                        format!(
                            "the `version` of [[package]] `{}` must be a string",
                            name.get_ref().as_str().unwrap_or_default()
                        ),
                    ));
                }
            }
            Ok((table, name.span()))
        })
        .collect()
}

pub(crate) fn poetry_lock(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let root = parse_toml(text, index)?;
    let mut out = Manifest::new(FileKind::PoetryLock);
    out.format_version = get_table(&root, "metadata")
        .and_then(|m| get_str(m, "lock-version"))
        .map(str::to_owned);
    for (table, span) in lock_packages(&root, index)? {
        let mut p = package(
            get_str(table, "name").unwrap_or_default(),
            DepKind::Normal,
            index.at(span),
        );
        p.direct = false;
        p.version = get_str(table, "version").map(str::to_owned);
        if let Some(source) = get_table(table, "source") {
            let url = get_str(source, "url").unwrap_or_default().to_owned();
            p.source = match get_str(source, "type") {
                Some("git") => Source::Git {
                    url,
                    reference: get_str(source, "resolved_reference")
                        .or_else(|| get_str(source, "reference"))
                        .map(str::to_owned),
                },
                Some("directory" | "file") => Source::Path(url),
                Some("url") => Source::Url(url),
                _ => Source::Registry(Some(url)),
            };
        }
        out.packages.push(p);
    }
    Ok(out)
}

pub(crate) fn uv_lock(text: &str, index: &LineIndex<'_>) -> Result<Manifest, ParseError> {
    let root = parse_toml(text, index)?;
    let mut out = Manifest::new(FileKind::UvLock);
    out.format_version = match get(&root, "version").map(Spanned::get_ref) {
        Some(DeValue::Integer(v)) => Some(v.as_str().to_owned()),
        _ => None,
    };
    let mut direct = HashSet::new();
    let mut packages = Vec::new();
    for (table, span) in lock_packages(&root, index)? {
        let source = get_table(table, "source");
        let local_root = source.is_some_and(|s| {
            ["virtual", "editable"]
                .iter()
                .any(|k| get_str(s, k) == Some("."))
        });
        if local_root || source.is_some_and(|s| get(s, "virtual").is_some()) {
            out.members
                .push(normalize(get_str(table, "name").unwrap_or_default()));
            // The project itself (or a workspace member): what it depends on is direct.
            for key in ["dependencies"] {
                if let Some(deps) = get(table, key).and_then(|d| d.get_ref().as_array()) {
                    for dep in deps {
                        if let Some(name) =
                            dep.get_ref().as_table().and_then(|t| get_str(t, "name"))
                        {
                            direct.insert(normalize(name));
                        }
                    }
                }
            }
            for groups in ["dev-dependencies", "optional-dependencies"] {
                for (_, deps) in get_table(table, groups).into_iter().flatten() {
                    for dep in deps.get_ref().as_array().into_iter().flatten() {
                        if let Some(name) =
                            dep.get_ref().as_table().and_then(|t| get_str(t, "name"))
                        {
                            direct.insert(normalize(name));
                        }
                    }
                }
            }
            continue;
        }
        let mut p = package(
            get_str(table, "name").unwrap_or_default(),
            DepKind::Normal,
            index.at(span),
        );
        p.version = get_str(table, "version").map(str::to_owned);
        if source.is_some_and(|s| get(s, "editable").is_some()) {
            out.members.push(p.name.clone()); // a workspace member
        }
        if let Some(s) = source {
            p.source = if let Some(url) = get_str(s, "registry") {
                Source::Registry(Some(url.to_owned()))
            } else if let Some(url) = get_str(s, "git") {
                // `https://host/repo?rev=v1#<commit>`: the commit is the reference.
                let (rest, commit) = match url.split_once('#') {
                    Some((rest, commit)) => (rest, Some(commit.to_owned())),
                    None => (url, None),
                };
                Source::Git {
                    url: rest.split('?').next().unwrap_or(rest).to_owned(),
                    reference: commit,
                }
            } else if let Some(path) = ["path", "editable", "directory", "virtual"]
                .iter()
                .find_map(|k| get_str(s, k))
            {
                Source::Path(path.to_owned())
            } else if let Some(url) = get_str(s, "url") {
                Source::Url(url.to_owned())
            } else {
                Source::Registry(None)
            };
        }
        packages.push(p);
    }
    for p in &mut packages {
        p.direct = direct.contains(&p.name);
    }
    out.packages = packages;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::{parse, DepKind, FileKind, Source};

    #[test]
    fn requirements_lines() {
        let text = "# comment\n-r base.txt\n--index-url https://pypi.example.com/simple\nrequests>=2.31 ; python_version > '3.8'\nDjango[bcrypt]==4.2 \\\n    --hash=sha256:abc\nflask  # web\npkg @ git+https://github.com/a/pkg.git@v1\n-e ./local\nunpinned\n";
        let m = parse(FileKind::Requirements, text).unwrap();
        assert_eq!(m.includes[0].0, "base.txt");
        assert_eq!(m.index_urls[0].0, "https://pypi.example.com/simple");
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
                ("requests", Some(">=2.31"), "registry", 4),
                ("django", Some("==4.2"), "registry", 5),
                ("flask", Some(""), "registry", 7),
                ("pkg", None, "git", 8),
                ("local", None, "path", 9),
                ("unpinned", Some(""), "registry", 10),
            ]
        );
        assert!(parse(FileKind::Requirements, "==1.0\n").is_err());
    }

    #[test]
    fn pyproject_pep621_poetry_and_uv() {
        let text = r#"[project]
name = "app"
license = { text = "MIT" }
dependencies = [
  "httpx>=0.27",
  "my_lib",
]
[project.optional-dependencies]
cli = ["rich"]
[dependency-groups]
dev = ["pytest>=8", { include-group = "lint" }]
[tool.uv.sources]
my-lib = { path = "../my-lib" }
[tool.poetry.dependencies]
python = "^3.10"
requests = { version = "^2", source = "corp" }
"#;
        let m = parse(FileKind::Pyproject, text).unwrap();
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
                ("httpx", Some(">=0.27"), "registry", DepKind::Normal, 5),
                ("my-lib", Some(""), "path", DepKind::Normal, 6),
                ("rich", Some(""), "registry", DepKind::Optional, 9),
                ("pytest", Some(">=8"), "registry", DepKind::Dev, 11),
                ("requests", Some("^2"), "registry", DepKind::Normal, 16),
            ]
        );
        assert!(parse(FileKind::Pyproject, "[project]\ndependencies = \"x\"\n").is_err());
    }

    #[test]
    fn poetry_and_uv_lockfiles() {
        let poetry = "[[package]]\nname = \"Requests\"\nversion = \"2.32.0\"\n\n[package.source]\ntype = \"git\"\nurl = \"https://github.com/psf/requests\"\nreference = \"main\"\nresolved_reference = \"abc\"\n\n[metadata]\nlock-version = \"2.0\"\n";
        let m = parse(FileKind::PoetryLock, poetry).unwrap();
        assert_eq!(m.format_version.as_deref(), Some("2.0"));
        assert_eq!(m.packages[0].name, "requests");
        assert_eq!(
            m.packages[0].source,
            Source::Git {
                url: "https://github.com/psf/requests".into(),
                reference: Some("abc".into())
            }
        );
        let uv = "version = 1\nrevision = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\ndependencies = [{ name = \"httpx\" }]\n\n[[package]]\nname = \"httpx\"\nversion = \"0.27.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"anyio\"\nversion = \"4.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        let m = parse(FileKind::UvLock, uv).unwrap();
        let got: Vec<_> = m
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.direct, p.position.line))
            .collect();
        assert_eq!(got, [("httpx", true, 11), ("anyio", false, 16)]);
        assert_eq!(m.members, ["app"]);
        assert!(parse(FileKind::UvLock, "package = 1\n").is_err());
    }
}
