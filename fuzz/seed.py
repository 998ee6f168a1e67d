#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

Seeds come from the tests: every string literal with a line break in the test code of each
parser (Rust escapes decoded), plus the project's own files of each kind and, when
GOLDPATH_CORPUS points at the shared real-world corpus that the corpus tests read, its small
files of each kind. Targets that take a selector byte get one seed per selector value that
fits the file. The corpora are not committed (fuzz/.gitignore).
"""
import hashlib
import os
import re
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
MAX_SEED = 64 * 1024

# A Rust string literal: "..." (with escapes) or r#"..."#.
LITERAL = re.compile(r'r(#+)"(.*?)"\1|"((?:[^"\\]|\\.)*)"', re.S)


def decode(body):
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1] if i + 1 < len(body) else ""
        if n == "\n":  # line continuation: skip the break and the next line's indentation
            i += 2
            while i < len(body) and body[i] in " \t":
                i += 1
            continue
        simple = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "u":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end].replace("_", ""), 16)))
            i = end + 1
        elif n == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        else:
            out.append(c)
            i += 1
    return "".join(out)


def literals(paths):
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in LITERAL.finditer(text):
            body = m.group(2) if m.group(1) else decode(m.group(3) or "")
            if "\n" in body and 8 <= len(body) <= MAX_SEED:
                yield body.encode("utf-8", "surrogatepass")


def files(names, corpus_too=True):
    """The project's own files named `names`, and the shared corpus's, if set."""
    roots = [ROOT]
    if corpus_too and os.environ.get("GOLDPATH_CORPUS"):
        roots.append(Path(os.environ["GOLDPATH_CORPUS"]))
    for root in roots:
        for path in sorted(root.rglob("*")):
            if any(p in ("target", "node_modules", ".git", "fuzz") for p in path.relative_to(root).parts[:-1]):
                continue
            if path.is_file() and names(path) and path.stat().st_size <= MAX_SEED:
                yield path.read_bytes()


def write(target, seeds, selectors=(None,)):
    out = FUZZ / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for seed in seeds:
        for sel in selectors:
            data = seed if sel is None else bytes([sel]) + seed
            (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
            count += 1
    total = len(list(out.iterdir()))
    print(f"{target}: {count} seeds written, {total} files in {out.relative_to(ROOT)}")


def tests(*globs):
    return [p for g in globs for p in sorted(ROOT.glob(g))]


def main():
    write("policy",
          list(literals(tests("crates/core/src/policy/*.rs", "tests/cli.rs", "tests/custom_rules.rs",
                              "tests/files_rules.rs", "tests/security_rules.rs")))
          + list(files(lambda p: p.suffix == ".toml" and p.parent.name == "rules")))
    codeowners = list(literals(tests("crates/codeowners/tests/*.rs", "crates/codeowners/src/*.rs",
                                     "tests/ownership.rs")))
    codeowners += list(files(lambda p: p.name == "CODEOWNERS"))
    write("codeowners", codeowners, selectors=(0, 1))
    workflows = list(literals(tests("crates/core/src/ci/github.rs", "crates/core/src/ci/expr.rs",
                                    "crates/core/src/rules/ci/*.rs", "tests/ci_rules.rs")))
    workflows += list(files(lambda p: p.suffix in (".yml", ".yaml")
                            and (p.parent.name == "workflows" or p.stem == "action")))
    write("github_ci", workflows, selectors=(0, 1, 2))
    gitlab = list(literals(tests("crates/core/src/ci/gitlab.rs", "crates/core/src/rules/ci/gitlab*.rs")))
    gitlab += list(files(lambda p: p.name in (".gitlab-ci.yml", ".gitlab-ci.yaml")))
    write("gitlab_ci", gitlab)
    write("ci_models", workflows, selectors=(0, 1, 2))
    write("ci_models", gitlab, selectors=(3,))
    # The selector byte is the index of the FileKind in fuzz_targets/lockfiles.rs.
    kinds = [("Cargo.toml",), ("Cargo.lock",), ("package.json",), ("package-lock.json", "npm-shrinkwrap.json"),
             ("go.mod",), ("go.sum",), ("pyproject.toml",), None, ("poetry.lock",), ("uv.lock",),
             ("pnpm-lock.yaml",), ("yarn.lock",)]
    manifest_literals = list(literals(tests("crates/manifests/src/*.rs", "crates/manifests/tests/*.rs",
                                            "crates/core/src/rules/deps/*.rs")))
    for selector, names in enumerate(kinds):
        if names is None:
            found = files(lambda p: p.name.startswith("requirements") and p.suffix in (".txt", ".in"))
        else:
            found = files(lambda p, names=names: p.name in names)
        write("lockfiles", found, selectors=(selector,))
    write("lockfiles", manifest_literals, selectors=tuple(range(len(kinds))))
    write("catalog_info",
          list(literals(tests("crates/core/src/rules/ownership/catalog_info.rs", "tests/ownership.rs")))
          + list(files(lambda p: p.name in ("catalog-info.yaml", "catalog-info.yml"))),
          selectors=(0, 1))


if __name__ == "__main__":
    sys.exit(main())
