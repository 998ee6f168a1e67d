//! `cargo xtask dist`: the release archive of one target, built exactly as the release workflow
//! builds it (the workflow runs this command), with its checksum and a CycloneDX SBOM.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

pub const USAGE: &str =
    "usage: cargo xtask dist [--target TRIPLE] [--profile NAME] [--binary PATH] [--out DIR]

Builds goldpath with the `dist` profile (strip, LTO, one codegen unit) for TRIPLE (default:
the host), and writes to DIR (default target/distrib; target/dist is the profile's own):
  goldpath-<version>-<target>.tar.gz     (.zip for Windows) the binary, README, licences, changelog
  goldpath-<version>-<target>.tar.gz.sha256   `<sha256>  <archive>`, as sha256sum -c reads it
  goldpath-<version>-<target>.cdx.json   CycloneDX 1.5 SBOM: every crate compiled into the binary
--binary packages an already built binary instead of building (tests, the wheel's binary).";

/// The CLI package whose binary ships.
const PACKAGE: &str = "goldpath-cli";

pub fn dist(root: &Path, args: &[String]) -> Result<()> {
    let mut target = None;
    let mut profile = "dist".to_owned();
    let mut binary = None;
    let mut out = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().context(format!("{arg} needs a value\n\n{USAGE}"));
        match arg.as_str() {
            "--target" => target = Some(value()?.clone()),
            "--profile" => profile = value()?.clone(),
            "--binary" => binary = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    let target = match target {
        Some(target) => target,
        None => host_target()?,
    };
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let out = out.unwrap_or_else(|| target_dir.join("distrib"));
    let windows = target.contains("windows");
    let exe = if windows { "goldpath.exe" } else { "goldpath" };
    let binary = match binary {
        Some(binary) => binary,
        None => {
            eprintln!("building {PACKAGE} for {target} with the `{profile}` profile...");
            let status = Command::new(cargo())
                .args([
                    "build",
                    "--locked",
                    "--package",
                    PACKAGE,
                    "--bin",
                    "goldpath",
                ])
                .args(["--profile", &profile, "--target", &target])
                .current_dir(root)
                .status()
                .context("running cargo build")?;
            if !status.success() {
                bail!("cargo build failed");
            }
            let dir = if profile == "dev" { "debug" } else { &profile };
            target_dir.join(&target).join(dir).join(exe)
        }
    };
    if !binary.is_file() {
        bail!("{}: no such binary", binary.display());
    }

    let metadata = cargo_metadata(root, &target)?;
    let version = package(&metadata, PACKAGE)?["version"]
        .as_str()
        .context("no version")?
        .to_owned();
    let name = format!("goldpath-{version}-{target}");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let stage = out.join(&name);
    if stage.exists() {
        std::fs::remove_dir_all(&stage)?;
    }
    std::fs::create_dir_all(&stage)?;
    std::fs::copy(&binary, stage.join(exe))
        .with_context(|| format!("copying {}", binary.display()))?;
    for file in ["README.md", "LICENSE-MIT", "LICENSE-APACHE", "CHANGELOG.md"] {
        std::fs::copy(root.join(file), stage.join(file))
            .with_context(|| format!("copying {file}"))?;
    }

    let archive = format!("{name}.{}", if windows { "zip" } else { "tar.gz" });
    let archive_path = out.join(&archive);
    if archive_path.exists() {
        std::fs::remove_file(&archive_path)?;
    }
    let mut tar = Command::new("tar");
    if windows && cfg!(windows) {
        // Windows' own bsdtar picks the zip format from the suffix (Git Bash's GNU tar, first
        // on PATH in a bash step, cannot write zip).
        let system = std::env::var("SystemRoot").unwrap_or_else(|_| r"C:\Windows".into());
        tar = Command::new(Path::new(&system).join(r"System32\tar.exe"));
        tar.args(["-a", "-c", "-f", &archive]);
    } else if windows {
        tar = Command::new("zip");
        tar.args(["-q", "-r", &archive]);
    } else {
        tar.args(["-c", "-z", "-f", &archive]);
        if is_gnu_tar() {
            // The same files give the same archive: no build user, sorted entries.
            tar.args(["--owner=0", "--group=0", "--numeric-owner", "--sort=name"]);
        }
    }
    let status = tar
        .arg(&name)
        .current_dir(&out)
        .status()
        .context("running tar")?;
    if !status.success() {
        bail!("tar failed");
    }
    std::fs::remove_dir_all(&stage)?;

    let digest = sha256(&archive_path)?;
    std::fs::write(
        out.join(format!("{archive}.sha256")),
        format!("{digest}  {archive}\n"),
    )?;
    let sbom = sbom(root, &metadata, PACKAGE, &target)?;
    std::fs::write(
        out.join(format!("{name}.cdx.json")),
        serde_json::to_string_pretty(&sbom)? + "\n",
    )?;
    println!("{}", archive_path.display());
    println!("{digest}  {archive}");
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn host_target() -> Result<String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .context("rustc -vV printed no host")
}

fn is_gnu_tar() -> bool {
    Command::new("tar")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("GNU tar"))
}

fn sha256(path: &Path) -> Result<String> {
    let file = path.to_str().context("archive path is not UTF-8")?;
    for (program, args) in [("sha256sum", &[][..]), ("shasum", &["-a", "256"][..])] {
        if let Ok(output) = Command::new(program).args(args).arg(file).output() {
            if output.status.success() {
                let text = String::from_utf8_lossy(&output.stdout);
                if let Some(digest) = text.split_whitespace().next() {
                    return Ok(digest.trim_start_matches('\\').to_owned());
                }
            }
        }
    }
    bail!("neither sha256sum nor shasum could hash {file}")
}

/// `cargo metadata` of the workspace, resolved for one target platform.
pub fn cargo_metadata(root: &Path, target: &str) -> Result<Value> {
    let output = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", target])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn package<'a>(metadata: &'a Value, name: &str) -> Result<&'a Value> {
    metadata["packages"]
        .as_array()
        .context("no packages")?
        .iter()
        .find(|p| p["name"] == name && p["source"].is_null())
        .with_context(|| format!("no workspace package {name}"))
}

fn purl(package: &Value) -> String {
    format!(
        "pkg:cargo/{}@{}",
        package["name"].as_str().unwrap_or_default(),
        package["version"].as_str().unwrap_or_default()
    )
}

fn component(package: &Value, kind: &str) -> Value {
    let purl = purl(package);
    let mut component = json!({
        "type": kind,
        "bom-ref": purl,
        "name": package["name"],
        "version": package["version"],
        "purl": purl,
    });
    if let Some(license) = package["license"].as_str() {
        component["licenses"] = json!([{ "expression": license }]);
    }
    if let Some(description) = package["description"].as_str() {
        component["description"] = json!(description.trim());
    }
    if let Some(source) = package["source"].as_str() {
        component["externalReferences"] = json!([{ "type": "distribution", "url": source }]);
    }
    component
}

/// Crates as (name, version), each with the crates it depends on.
type Graph = BTreeMap<(String, String), BTreeSet<(String, String)>>;

/// `name version` of every package compiled into `root_package`'s binary for `target`, with
/// the edges between them: cargo's own answer (`cargo tree -e normal,build`), which resolves
/// features for that one package (`cargo metadata` unifies the whole workspace's, dev
/// dependencies' included).
fn shipped_graph(root: &Path, root_package: &str, target: &str) -> Result<Graph> {
    let output = Command::new(cargo())
        .args([
            "tree",
            "--locked",
            "--package",
            root_package,
            "--edges",
            "normal,build",
        ])
        .args(["--target", target, "--prefix", "depth", "--format", "{p}"])
        .current_dir(root)
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut graph = Graph::new();
    let mut stack: Vec<(String, String)> = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (Ok(depth), rest) = (line[..digits].parse::<usize>(), &line[digits..]) else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        let key = (name.to_owned(), version.trim_start_matches('v').to_owned());
        stack.truncate(depth);
        if let Some(parent) = stack.last() {
            graph.entry(parent.clone()).or_default().insert(key.clone());
        }
        graph.entry(key.clone()).or_default();
        stack.push(key);
    }
    Ok(graph)
}

/// A CycloneDX 1.5 SBOM of `root_package`'s binary for `target`: every crate compiled into it
/// (normal and build dependencies), with licences, sources, package URLs and the dependency
/// graph.
pub fn sbom(root: &Path, metadata: &Value, root_package: &str, target: &str) -> Result<Value> {
    let graph = shipped_graph(root, root_package, target)?;
    let packages: BTreeMap<(String, String), &Value> = metadata["packages"]
        .as_array()
        .context("no packages")?
        .iter()
        .filter_map(|p| {
            Some((
                (
                    p["name"].as_str()?.to_owned(),
                    p["version"].as_str()?.to_owned(),
                ),
                p,
            ))
        })
        .collect();
    let lookup = |key: &(String, String)| {
        packages
            .get(key)
            .copied()
            .with_context(|| format!("{} {} is not in cargo metadata", key.0, key.1))
    };
    let root_meta = package(metadata, root_package)?;
    let mut components = Vec::new();
    let mut dependencies = Vec::new();
    for (key, deps) in &graph {
        let meta = lookup(key)?;
        if key.0 != root_package {
            components.push(component(meta, "library"));
        }
        let on: Vec<String> = deps
            .iter()
            .map(|d| lookup(d).map(purl))
            .collect::<Result<_>>()?;
        dependencies.push(json!({ "ref": purl(meta), "dependsOn": on }));
    }
    Ok(json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "tools": { "components": [{ "type": "application", "name": "cargo xtask dist" }] },
            "component": component(root_meta, "application"),
        },
        "components": components,
        "dependencies": dependencies,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        crate::workspace_root()
    }

    /// `name version` of every package in Cargo.lock.
    fn lockfile_packages() -> BTreeSet<String> {
        let text = std::fs::read_to_string(root().join("Cargo.lock")).expect("Cargo.lock");
        let mut out = BTreeSet::new();
        let mut name = None;
        for line in text.lines() {
            if let Some(n) = line.strip_prefix("name = ") {
                name = Some(n.trim_matches('"').to_owned());
            } else if let Some(v) = line.strip_prefix("version = ") {
                if let Some(n) = name.take() {
                    out.insert(format!("{n} {}", v.trim_matches('"')));
                }
            }
        }
        out
    }

    #[test]
    fn sbom_lists_the_crates_of_cargo_lock_compiled_into_the_binary() {
        let target = host_target().expect("host");
        let metadata = cargo_metadata(&root(), &target).expect("metadata");
        let bom = sbom(&root(), &metadata, PACKAGE, &target).expect("sbom");
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], "1.5");
        assert_eq!(bom["metadata"]["component"]["name"], PACKAGE);
        let components = bom["components"].as_array().expect("components");
        let listed: BTreeSet<String> = components
            .iter()
            .map(|c| {
                let (name, version) = (c["name"].as_str().unwrap(), c["version"].as_str().unwrap());
                assert_eq!(c["purl"], format!("pkg:cargo/{name}@{version}"));
                assert!(
                    c["licenses"][0]["expression"].is_string(),
                    "no licence: {c}"
                );
                format!("{name} {version}")
            })
            .collect();
        assert_eq!(listed.len(), components.len(), "a crate is listed twice");
        assert!(listed.len() > 50, "{listed:?}");

        // Every component is a package of Cargo.lock, at its locked version.
        let locked = lockfile_packages();
        let missing: Vec<&String> = listed.iter().filter(|p| !locked.contains(*p)).collect();
        assert!(missing.is_empty(), "not in Cargo.lock: {missing:?}");
        let names = |prefix: &str| listed.iter().any(|p| p.starts_with(&format!("{prefix} ")));
        // The CLI's direct dependencies, the library crates, and what gix reads git with...
        for shipped in [
            "goldpath",
            "goldpath-git",
            "goldpath-manifests",
            "goldpath-codeowners",
            "goldpath-document",
            "clap",
            "gix",
            "serde_json",
            "regex",
        ] {
            assert!(names(shipped), "{shipped} is compiled in but not listed");
        }
        // ...but not what only tests, benchmarks or other platforms use.
        for not_shipped in ["assert_cmd", "xtask", "windows-sys", "predicates"] {
            assert!(
                locked
                    .iter()
                    .any(|p| p.starts_with(&format!("{not_shipped} ")))
                    || not_shipped == "xtask"
            );
            assert!(
                !names(not_shipped),
                "{not_shipped} is listed but not compiled in"
            );
        }
        // The graph refers only to listed components (and the root).
        let root_ref = format!(
            "pkg:cargo/{PACKAGE}@{}",
            bom["metadata"]["component"]["version"].as_str().unwrap()
        );
        for dep in bom["dependencies"].as_array().unwrap() {
            for on in dep["dependsOn"].as_array().unwrap() {
                assert!(components.iter().any(|c| c["bom-ref"] == *on), "{on}");
            }
            assert!(
                dep["ref"] == root_ref.as_str()
                    || components.iter().any(|c| c["bom-ref"] == dep["ref"])
            );
        }
    }
}
