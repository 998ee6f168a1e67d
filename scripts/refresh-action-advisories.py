#!/usr/bin/env python3
"""Rebuild crates/core/rules/ci/action-advisories.toml (the data of ci/vulnerable-action) from
GitHub's Advisory Database: GET /advisories?ecosystem=actions, every page.

    GITHUB_TOKEN=... python3 scripts/refresh-action-advisories.py [--output PATH]

The token is optional (it raises the API's rate limit). Withdrawn advisories are left out. Each
affected package and range of an advisory becomes one [[advisory]] table. Standard library only.
"""

import argparse
import datetime
import json
import os
import re
import sys
import urllib.request

API = "https://api.github.com/advisories?ecosystem=actions&per_page=100"
DEFAULT_OUTPUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "crates", "core", "rules", "ci", "action-advisories.toml",
)

HEADER = """\
# Data of ci/vulnerable-action: security advisories of GitHub Actions (GitHub Advisory
# Database, ecosystem `actions`).
#
# Each [[advisory]] is one affected action and range of one advisory:
#   id        the advisory (GHSA-...), and `cve` when it has one
#   action    "owner/repo", compared without letter case with `uses:` at any path
#   affected  the vulnerable versions: comparisons joined by commas, all of which hold
#             (">= 4.0.0, < 4.1.3", "<= 45.0.7", "= 1.2.0")
#   fixed     the first patched version, when there is one
#   summary   one line
#   moved-tags  true when the advisory is about tags moved to a malicious commit: a SHA pin
#             (with its version comment) still names the commit the version first named, so
#             only references by tag are reported. GitHub's data does not say so: the refresh
#             keeps the flag of the ids the previous table marked.
#
# Rebuild it with `python3 scripts/refresh-action-advisories.py` (GitHub's REST API,
# GET /advisories?ecosystem=actions, every page; set GITHUB_TOKEN for the higher rate limit);
# see docs/ci.md. The refresh replaces this whole file.
#
# Generated on {date} from {count} advisories.
"""

RANGE_PART = re.compile(r"^\s*(>=|<=|>|<|=)?\s*v?\d+(\.\d+){0,2}([-+].*)?\s*$")


def fetch_all(token):
    url = API
    while url:
        request = urllib.request.Request(url, headers={
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        })
        with urllib.request.urlopen(request, timeout=60) as response:
            yield from json.load(response)
            links = response.headers.get("Link", "")
        url = None
        for part in links.split(","):
            match = re.search(r'<([^>]+)>;\s*rel="next"', part)
            if match:
                url = match.group(1)


def toml_string(text):
    return json.dumps(text, ensure_ascii=False)


def entries(advisories):
    for advisory in advisories:
        if advisory.get("withdrawn_at"):
            continue
        for vuln in advisory.get("vulnerabilities") or []:
            package = vuln.get("package") or {}
            if package.get("ecosystem") != "actions":
                continue
            name = (package.get("name") or "").strip()
            parts = name.split("/")
            if len(parts) < 2 or not all(parts[:2]):
                continue
            affected = (vuln.get("vulnerable_version_range") or "").strip()
            if not affected or not all(RANGE_PART.match(p) for p in affected.split(",")):
                print(f"skipped {advisory['ghsa_id']} {name}: range {affected!r}", file=sys.stderr)
                continue
            fixed = vuln.get("first_patched_version")
            if isinstance(fixed, dict):
                fixed = fixed.get("identifier")
            yield {
                "id": advisory["ghsa_id"],
                "cve": advisory.get("cve_id"),
                "action": "/".join(parts[:2]),
                "affected": affected,
                "fixed": fixed,
                "summary": " ".join((advisory.get("summary") or "").split()),
            }


def moved_tag_ids(path):
    """The ids the current table marks `moved-tags = true` (a judgement GitHub's data lacks)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return set()
    ids = set()
    for block in text.split("[[advisory]]")[1:]:
        found = re.search(r'^id = "([^"]+)"', block, re.M)
        if found and re.search(r"^moved-tags = true", block, re.M):
            ids.add(found.group(1))
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    moved = moved_tag_ids(args.output)
    advisories = list(fetch_all(os.environ.get("GITHUB_TOKEN")))
    rows = sorted(entries(advisories), key=lambda e: (e["action"].lower(), e["id"], e["affected"]))
    out = [HEADER.format(date=datetime.date.today().isoformat(), count=len(advisories))]
    for row in rows:
        out.append("\n[[advisory]]")
        out.append(f"id = {toml_string(row['id'])}")
        if row["cve"]:
            out.append(f"cve = {toml_string(row['cve'])}")
        out.append(f"action = {toml_string(row['action'])}")
        out.append(f"affected = {toml_string(row['affected'])}")
        if row["fixed"]:
            out.append(f"fixed = {toml_string(row['fixed'])}")
        out.append(f"summary = {toml_string(row['summary'])}")
        if row["id"] in moved:
            out.append("moved-tags = true")
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {len(rows)} entries from {len(advisories)} advisories to {args.output}")


if __name__ == "__main__":
    main()
