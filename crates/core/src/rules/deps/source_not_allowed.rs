use std::collections::HashSet;

use goldpath_manifests::{Ecosystem, FileKind, Package, Source};

use super::{parsed_files, repo_files, span, wants};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "deps/source-not-allowed",
    summary: "Dependencies come only from allowed registries, git hosts, paths and URLs",
    level: Error,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "registries",
            kind: "array of strings",
            help: "Registries allowed besides each ecosystem's public one (crates.io, \
                   registry.npmjs.org and registry.yarnpkg.com, pypi.org and \
                   files.pythonhosted.org, the Go module proxy): URLs (`https://npm.corp.example`, \
                   matched as a prefix at a `/`) or Cargo/Poetry/uv registry names (`corp`). \
                   An entry ending in `*` is a plain prefix. Default: none.",
        },
        {
            name: "public-registries",
            kind: "boolean",
            help: "Whether each ecosystem's public registry is allowed. `false` for an \
                   organisation that installs only through its own mirror (list it in \
                   `registries`); a dependency whose file does not say which registry is then \
                   judged by its lockfile entry. Default `true`.",
        },
        {
            name: "git",
            kind: "array of strings",
            help: "Git repositories allowed, as URL prefixes (`https://github.com/my-org/`, \
                   `github:my-org/`); `[\"*\"]` allows any. Default: none, so every git \
                   dependency is reported.",
        },
        {
            name: "urls",
            kind: "array of strings",
            help: "Direct URLs (tarballs, wheels) allowed, as prefixes; `[\"*\"]` allows any. \
                   Default: none.",
        },
        {
            name: "paths",
            kind: "boolean",
            help: "Whether local path dependencies (Cargo `path =`, npm `file:`/`link:`, Go \
                   `replace => ../x`, Python `path =`/`-e ./x`) are allowed. Judged in \
                   manifests only: workspace links in lockfiles are the project's own. \
                   Default `true`.",
        },
    ],
    what: "Each dependency's source (registry, git, local path or direct URL) must be on \
           the policy's allow-lists. Manifests (`Cargo.toml`, `package.json`, `go.mod` \
           `replace`, `pyproject.toml`, `requirements*.txt` and its `--index-url`/\
           `--extra-index-url`) are judged at the declaring line; lockfiles (`Cargo.lock`, \
           `package-lock.json`, `pnpm-lock.yaml`, `yarn.lock`, `poetry.lock`, `uv.lock`) \
           say where each package was actually fetched from, so their entries are judged \
           too: a direct dependency at the manifest line that declares it, a transitive one \
           at its lockfile entry. Git and URL sources are reported unless allowed; \
           registries other than the public ones unless listed.",
    why: "Every source a build fetches from is one more party that can change the code \
          you ship: a git branch can be force-pushed, a tarball URL can serve different \
          bytes, and an unexpected registry may be a typo-squatted mirror. Organisations \
          usually require that everything comes through the public registry or their own \
          mirror, where it is scanned and cached.",
    example: "```toml\n[rules.\"deps/source-not-allowed\"]\nregistries = \
              [\"https://npm.corp.example\"]\ngit = [\"https://github.com/my-org/\"]\n```\n\
              `forked = { git = \"https://github.com/someone/forked\" }` in Cargo.toml is \
              reported at its line: `cargo dependency forked comes from git \
              https://github.com/someone/forked, which the policy does not allow`; a \
              `package-lock.json` entry resolved from `https://registry.evil.example/...` is \
              reported at that entry.",
    fix: "Depend on a released version from an allowed registry (publish the fork to the \
          organisation's registry if you need it), or add the source to the policy's \
          allow-list after review.",
}

const PUBLIC: &[(Ecosystem, &str)] = &[
    (
        Ecosystem::Cargo,
        "https://github.com/rust-lang/crates.io-index",
    ),
    (Ecosystem::Cargo, "https://index.crates.io"),
    (Ecosystem::Cargo, "crates-io"),
    (Ecosystem::Npm, "https://registry.npmjs.org"),
    (Ecosystem::Npm, "https://registry.yarnpkg.com"),
    (Ecosystem::Npm, "https://registry.npmjs.com"),
    (Ecosystem::Npm, "http://registry.npmjs.org"),
    (Ecosystem::Npm, "http://registry.yarnpkg.com"),
    (Ecosystem::Pypi, "https://pypi.org/simple"),
    (Ecosystem::Pypi, "https://pypi.python.org/simple"),
    (Ecosystem::Pypi, "https://files.pythonhosted.org"),
    (Ecosystem::Pypi, "pypi"),
];

struct SourceNotAllowed {
    registries: Vec<String>,
    public: bool,
    git: Vec<String>,
    urls: Vec<String>,
    paths: bool,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let mut list = |key: &str| -> Result<Vec<String>, PolicyError> {
        Ok(params.take::<Vec<String>>(key)?.unwrap_or_default())
    };
    let registries = list("registries")?;
    let git = list("git")?;
    let urls = list("urls")?;
    Ok(Box::new(SourceNotAllowed {
        registries,
        git,
        urls,
        public: params.take::<bool>("public-registries")?.unwrap_or(true),
        paths: params.take::<bool>("paths")?.unwrap_or(true),
    }))
}

/// Whether `value` is allowed by `pattern`: `*` allows all, `x*` is a prefix, otherwise equal
/// or a prefix ending at a `/`, `?`, `#` or `.` (trailing slashes ignored). Case is ignored:
/// hosts and registry names are case-insensitive.
fn allowed_by(pattern: &str, value: &str) -> bool {
    fn starts_with(value: &str, prefix: &str) -> bool {
        value.len() >= prefix.len()
            && value.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    }
    if pattern == "*" {
        return true;
    }
    if let Some(prefix) = pattern.strip_suffix('*') {
        return starts_with(value, prefix);
    }
    let pattern = pattern.trim_end_matches('/');
    if value.trim_end_matches('/').eq_ignore_ascii_case(pattern) {
        return true;
    }
    starts_with(value, pattern)
        && (pattern.ends_with(['/', ':'])
            || value.as_bytes()[pattern.len()..].starts_with(b"/")
            || matches!(
                value.as_bytes().get(pattern.len()),
                Some(b'?' | b'#' | b'.')
            ))
}

impl SourceNotAllowed {
    /// Why a source is not allowed, or `None`.
    fn judge(&self, ecosystem: Ecosystem, source: &Source, lockfile: bool) -> Option<String> {
        match source {
            Source::Registry(None) => (!self.public && lockfile)
                .then(|| "the public registry, which the policy does not allow".to_owned()),
            Source::Registry(Some(registry)) => {
                if ecosystem == Ecosystem::Go {
                    return None; // a `replace` by another module, still from the module proxy
                }
                let public = self.public
                    && PUBLIC
                        .iter()
                        .any(|(e, p)| *e == ecosystem && allowed_by(p, registry));
                let listed = self.registries.iter().any(|p| allowed_by(p, registry));
                (!public && !listed).then(|| format!("registry {registry}"))
            }
            Source::Git { url, .. } => {
                (!self.git.iter().any(|p| allowed_by(p, url))).then(|| format!("git {url}"))
            }
            Source::Url(url) => {
                (!self.urls.iter().any(|p| allowed_by(p, url))).then(|| format!("URL {url}"))
            }
            Source::Path(path) => (!self.paths && !lockfile).then(|| format!("path {path}")),
        }
    }
}

impl Rule for SourceNotAllowed {
    fn wants(&self) -> Vec<String> {
        wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let mut repo = None;
        // (path, line): a direct dependency found in both its manifest and its lockfile is
        // reported once, at the manifest line.
        let mut reported = HashSet::new();
        for (file, parsed) in parsed_files(cx) {
            let Ok(manifest) = parsed.as_ref() else {
                continue;
            };
            let lockfile = manifest.kind.is_lockfile();
            if manifest.kind == FileKind::GoSum {
                continue; // go.sum names no sources; go.mod's `replace` does
            }
            if manifest.kind == FileKind::Requirements {
                for (url, position) in &manifest.index_urls {
                    if let Some(why) = self.judge(
                        Ecosystem::Pypi,
                        &Source::Registry(Some(url.trim_end_matches('/').to_owned())),
                        false,
                    ) {
                        out.push(
                            Violation::file(
                                &file.path,
                                format!("package index {url} is not allowed ({why})"),
                            )
                            .span(span(position))
                            .help("install from an allowed index, or add it to `registries`")
                            .key(format!("index:{url}")),
                        );
                    }
                }
            }
            let repo = repo.get_or_insert_with(|| repo_files(cx));
            let declared = if lockfile {
                repo.declarations(&file.path)
            } else {
                Default::default()
            };
            // Lockfiles that do not say which packages are direct (npm v1, yarn classic,
            // poetry.lock): a package a manifest declares by name counts as direct.
            let knows_direct = manifest.packages.iter().any(|p| p.direct);
            for package in &manifest.packages {
                let Some(why) = self.judge(package.ecosystem, &package.source, lockfile) else {
                    continue;
                };
                let declaration =
                    declared.get(&super::spec::fold(package.ecosystem, &package.name));
                let direct =
                    lockfile && (package.direct || (!knows_direct && declaration.is_some()));
                let (path, position) = match declaration {
                    Some((path, position)) if direct => (*path, *position),
                    _ => (file.path.as_str(), &package.position),
                };
                if !reported.insert((path.to_owned(), position.line)) {
                    continue;
                }
                out.push(violation(
                    path,
                    package,
                    &why,
                    position,
                    lockfile && !direct,
                ));
            }
        }
    }
}

fn violation(
    path: &str,
    package: &Package,
    why: &str,
    position: &goldpath_manifests::Position,
    transitive: bool,
) -> Violation {
    let version = package
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let transitive = if transitive {
        ", a transitive dependency"
    } else {
        ""
    };
    Violation::file(
        path,
        format!(
            "{} dependency {}{version} comes from {why}, which the policy does not \
             allow{transitive}",
            package.ecosystem, package.name
        ),
    )
    .span(span(position))
    .help(
        "depend on a release from an allowed registry, or add the source to the policy's \
         allow-list after review",
    )
    .key(format!(
        "{}:{}:{}",
        package.ecosystem,
        package.name,
        package.source.detail().unwrap_or(package.source.kind())
    ))
}

#[cfg(test)]
mod tests {
    use super::allowed_by;
    use crate::testing::check;

    fn got(findings: &[crate::Finding]) -> Vec<(String, u32, String)> {
        findings
            .iter()
            .filter(|f| f.rule == "deps/source-not-allowed")
            .map(|f| {
                (
                    f.path.clone().unwrap_or_default(),
                    f.span.map_or(0, |s| s.line),
                    f.message.clone(),
                )
            })
            .collect()
    }

    const CARGO: &str = "[package]\nname = \"app\"\n[dependencies]\nserde = \"1\"\nforked = { git = \"https://github.com/someone/forked\" }\nours = { git = \"https://github.com/my-org/ours\" }\nlocal = { path = \"../local\" }\n";

    #[test]
    fn git_path_and_registries() {
        let policy = "[rules.\"deps/source-not-allowed\"]\ngit = [\"https://github.com/my-org/\"]\nregistries = [\"https://npm.corp.example\"]\n";
        let files = [
            ("Cargo.toml", CARGO),
            (
                "web/package.json",
                "{\n  \"dependencies\": {\n    \"a\": \"^1\",\n    \"tar\": \"https://x.example/t.tgz\"\n  }\n}",
            ),
            (
                "web/package-lock.json",
                "{\"lockfileVersion\": 3, \"packages\": {\n\"\": {\"dependencies\": {\"a\": \"^1\"}},\n\"node_modules/a\": {\"version\": \"1.0.0\", \"resolved\": \"https://registry.evil.example/a/-/a-1.0.0.tgz\"},\n\"node_modules/b\": {\"version\": \"2.0.0\", \"resolved\": \"https://npm.corp.example/b/-/b-2.0.0.tgz\"},\n\"node_modules/c\": {\"version\": \"3.0.0\", \"resolved\": \"https://registry.npmjs.org/c/-/c-3.0.0.tgz\"},\n\"node_modules/d\": {\"version\": \"4.0.0\", \"resolved\": \"git+ssh://git@github.com/x/d.git#abc\"}\n}}",
            ),
            (
                "requirements.txt",
                "--index-url https://pypi.org/simple\n--extra-index-url https://mirror.example/simple\nrequests==2.32.3\n",
            ),
        ];
        let findings = got(&check(policy, &files));
        assert_eq!(
            findings,
            [
                ("Cargo.toml".into(), 5, "cargo dependency forked comes from git https://github.com/someone/forked, which the policy does not allow".into()),
                ("requirements.txt".into(), 2, "package index https://mirror.example/simple is not allowed (registry https://mirror.example/simple)".into()),
                ("web/package-lock.json".into(), 6, "npm dependency d 4.0.0 comes from git git+ssh://git@github.com/x/d.git, which the policy does not allow, a transitive dependency".into()),
                ("web/package.json".into(), 3, "npm dependency a 1.0.0 comes from registry https://registry.evil.example, which the policy does not allow".into()),
                ("web/package.json".into(), 4, "npm dependency tar comes from URL https://x.example/t.tgz, which the policy does not allow".into()),
            ]
        );
        // Paths are allowed by default, reported when `paths = false`.
        let strict = "[rules.\"deps/source-not-allowed\"]\ngit = [\"*\"]\npaths = false\n";
        let findings = got(&check(strict, &[("Cargo.toml", CARGO)]));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].1, 7);
    }

    #[test]
    fn without_public_registries() {
        let policy = "[rules.\"deps/source-not-allowed\"]\npublic-registries = false\nregistries = [\"sparse+https://cargo.corp.example/*\", \"https://cargo.corp.example/\"]\n";
        let lock = "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"serde\"]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"inner\"\nversion = \"1.0.0\"\nsource = \"sparse+https://cargo.corp.example/index/\"\n";
        let findings = got(&check(
            policy,
            &[
                (
                    "Cargo.toml",
                    "[package]\nname = \"app\"\n[dependencies]\nserde = \"1\"\n",
                ),
                ("Cargo.lock", lock),
            ],
        ));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].0, "Cargo.toml");
        assert!(findings[0]
            .2
            .contains("registry https://github.com/rust-lang/crates.io-index"));
    }

    #[test]
    fn prefixes() {
        assert!(allowed_by(
            "https://github.com/my-org/",
            "https://github.com/my-org/x"
        ));
        assert!(allowed_by(
            "https://github.com/my-org",
            "https://github.com/my-org/x"
        ));
        assert!(!allowed_by(
            "https://github.com/my-org",
            "https://github.com/my-organisation/x"
        ));
        assert!(allowed_by(
            "https://index.crates.io",
            "https://index.crates.io/"
        ));
        assert!(allowed_by("*", "anything"));
    }
}
