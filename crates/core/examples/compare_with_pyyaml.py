#!/usr/bin/env python3
"""Compares goldpath's YAML reader with PyYAML, file by file.

    cargo build -p goldpath --example yaml_parse
    pip install pyyaml
    python3 crates/core/examples/compare_with_pyyaml.py target/debug/examples/yaml_parse REPO...

Reads every *.yml / *.yaml under REPO/.github (under REPO itself with --all). PyYAML loads
each with yaml.safe_load_all, or with SYNTAX=1 in the environment yaml.compose_all (syntax
only: custom tags such as `!reference` or `!include` are then not errors); CLOADER=1 uses the
libyaml loader when PyYAML has it. Prints each file the two disagree on, or both reject, and
the counts. Every file PyYAML loads must parse in goldpath: `gold_only_err` must be 0.
"""
import os
import subprocess
import sys

import yaml


def main():
    args = [a for a in sys.argv[1:] if a != "--all"]
    everything = "--all" in sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    binary, roots = args[0], args[1:]
    files = []
    for root in roots:
        base = root if everything else os.path.join(root, ".github")
        for folder, _, names in os.walk(base):
            files += [os.path.join(folder, n) for n in names if n.endswith((".yml", ".yaml"))]
    files.sort()
    out = subprocess.run([binary], input="\n".join(files), capture_output=True, text=True).stdout
    gold = {}
    for line in out.splitlines():
        parts = line.split("\t")
        gold[parts[1]] = (parts[0] == "ok", parts[2] if len(parts) > 2 else "")
    loader = yaml.SafeLoader
    if os.environ.get("CLOADER"):
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    read = yaml.compose_all if os.environ.get("SYNTAX") else yaml.load_all
    counts = dict(files=0, both_ok=0, both_err=0, gold_only_err=0, pyyaml_only_err=0)
    for path in files:
        counts["files"] += 1
        try:
            with open(path, "rb") as f:
                list(read(f.read().decode("utf-8"), Loader=loader))
            py_ok, py_err = True, ""
        except Exception as e:  # any refusal: syntax, constructor, encoding
            py_ok, py_err = False, " ".join(str(e).split())[:200]
        g_ok, g_err = gold.get(path, (False, "no answer"))
        if g_ok and py_ok:
            counts["both_ok"] += 1
        elif not g_ok and not py_ok:
            counts["both_err"] += 1
            print(f"both     {path}\n    goldpath: {g_err}\n    pyyaml:   {py_err}")
        elif not g_ok:
            counts["gold_only_err"] += 1
            print(f"goldpath {path}\n    goldpath: {g_err}")
        else:
            counts["pyyaml_only_err"] += 1
            print(f"pyyaml   {path}\n    pyyaml: {py_err}")
    print(counts)


if __name__ == "__main__":
    main()
