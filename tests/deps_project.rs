//! End to end: `deps/*` judge the manifests that belong to the project. Broken manifests that
//! are test fixtures (under `tests/`, `testdata/`...) and that no workspace reaches are not
//! reported; workspace members, path dependencies and standalone projects elsewhere are.

mod common;

use common::{rules_and_paths, Repo};

const POLICY: &str = "[rules.\"deps/invalid-manifest\"]\n[rules.\"deps/wildcard-version\"]\n";
const BROKEN_TOML: &str = "[package]\nname = \"x\"\nversion = 1.2.3\n";
const BROKEN_JSON: &str = "{ \"name\": \"x\", }\n";

/// The paths `deps/invalid-manifest` reports, sorted.
fn invalid(repo: &Repo) -> Vec<String> {
    let (_, report) = repo.check_json(&["--fail-on", "never"]);
    let mut paths: Vec<String> = rules_and_paths(&report)
        .into_iter()
        .filter(|(rule, _)| rule == "deps/invalid-manifest")
        .map(|(_, path)| path)
        .collect();
    paths.sort();
    paths
}

#[test]
fn cargo_fixtures_under_tests_are_not_judged_but_members_and_path_dependencies_are() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\", \"tests/integration\"]\nexclude = [\"crates/old\"]\n\n\
             [package]\nname = \"root\"\nversion = \"0.1.0\"\n\n\
             [dependencies]\nhelper = { path = \"tests/helper\" }\n",
        )
        .write("src/lib.rs", "\n")
        // A member that does not parse is the project's.
        .write("crates/broken/Cargo.toml", BROKEN_TOML)
        // Excluded from the workspace, but not a fixture: a project of its own.
        .write("crates/old/Cargo.toml", BROKEN_TOML)
        // Fixtures, deliberately broken, reached by nothing.
        .write("tests/testsuite/cargo_add/invalid/in/Cargo.toml", BROKEN_TOML)
        .write("tests/testsuite/cargo_add/invalid/out/Cargo.toml", BROKEN_TOML)
        .write("crates/broken/tests/fixtures/bad/Cargo.toml", BROKEN_TOML)
        .write("tests/testsuite/cargo_add/invalid/in/Cargo.lock", "not = [toml\n")
        // Under tests/, but a workspace member and a path dependency: judged.
        .write("tests/integration/Cargo.toml", BROKEN_TOML)
        .write("tests/helper/Cargo.toml", BROKEN_TOML)
        // A standalone project elsewhere, with its own lockfile.
        .write("examples/foo/Cargo.toml", BROKEN_TOML)
        .write("examples/foo/Cargo.lock", "version = 4\n");
    repo.commit("cargo");
    assert_eq!(
        invalid(&repo),
        [
            "crates/broken/Cargo.toml",
            "crates/old/Cargo.toml",
            "examples/foo/Cargo.toml",
            "tests/helper/Cargo.toml",
            "tests/integration/Cargo.toml",
        ]
    );
}

#[test]
fn npm_and_pnpm_workspaces_reach_their_members_and_fixtures_stay_out() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write(
            "package.json",
            "{ \"name\": \"root\", \"private\": true, \"workspaces\": [\"packages/*\", \"test/e2e\"] }\n",
        )
        .write("packages/app/package.json", BROKEN_JSON)
        .write("packages/app/__fixtures__/bad/package.json", BROKEN_JSON)
        .write("test/e2e/package.json", BROKEN_JSON)
        .write("test/fixtures/broken/package.json", BROKEN_JSON)
        .write("test/fixtures/broken/package-lock.json", "{ nope\n")
        // A second, independent package elsewhere is judged.
        .write("tools/release/package.json", BROKEN_JSON)
        // pnpm: members through pnpm-workspace.yaml, with a negation.
        .write(
            "web/pnpm-workspace.yaml",
            "packages:\n  - 'apps/*'\n  - 'tests/*'\n  - '!tests/skip'\n",
        )
        .write("web/package.json", "{ \"name\": \"web\" }\n")
        .write("web/apps/site/package.json", BROKEN_JSON)
        .write("web/tests/smoke/package.json", BROKEN_JSON)
        .write("web/tests/skip/package.json", BROKEN_JSON);
    repo.commit("npm");
    assert_eq!(
        invalid(&repo),
        [
            "packages/app/package.json",
            "test/e2e/package.json",
            "tools/release/package.json",
            "web/apps/site/package.json",
            "web/tests/smoke/package.json",
        ]
    );
}

#[test]
fn go_modules_under_testdata_and_python_fixtures_are_not_judged() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("go.mod", "module example.com/app\n\ngo 1.22\n")
        .write("tools/go.mod", "module example.com/tools\n\nrequire (\n")
        .write("pkg/testdata/mod/go.mod", "module broken\n\nrequire (\n")
        .write("go.work", "go 1.22\n\nuse (\n\t.\n\t./test/e2e\n)\n")
        .write("test/e2e/go.mod", "module e2e\n\nrequire (\n")
        .write("test/other/go.mod", "module other\n\nrequire (\n")
        .write(
            "pyproject.toml",
            "[project]\nname = \"root\"\nversion = \"1\"\n\n\
             [tool.uv.workspace]\nmembers = [\"libs/*\", \"tests/member\"]\n",
        )
        .write("libs/a/pyproject.toml", "[project\n")
        .write("tests/member/pyproject.toml", "[project\n")
        .write("tests/fixtures/p/pyproject.toml", "[project\n")
        // Requirements fixtures: versionless lines are wildcard-version findings when judged.
        .write("requirements.txt", "requests\n")
        .write("test/requirements/fixture.txt", "flask\n");
    repo.commit("go and python");
    assert_eq!(
        invalid(&repo),
        [
            "libs/a/pyproject.toml",
            "test/e2e/go.mod",
            "tests/member/pyproject.toml",
            "tools/go.mod",
        ]
    );
    let (_, report) = repo.check_json(&["--fail-on", "never"]);
    let wildcards: Vec<String> = rules_and_paths(&report)
        .into_iter()
        .filter(|(rule, _)| rule == "deps/wildcard-version")
        .map(|(_, path)| path)
        .collect();
    assert_eq!(wildcards, ["requirements.txt"]);
}
