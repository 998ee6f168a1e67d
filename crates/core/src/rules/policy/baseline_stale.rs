use crate::rule::declare_rule;

declare_rule! {
    id: "policy/baseline-stale",
    summary: "A baseline entry's finding no longer occurs",
    level: Error,
    tier: Bronze,
    scope: Repository { path_list: true },
    build: super::build,
    what: "Every entry of the baseline file (`.goldpath-baseline.json`, written by \
           `goldpath baseline`) whose finding the check no longer reports: it was fixed, its \
           file was deleted or excluded, a waiver now accepts it, or its rule was turned off. \
           The finding is reported at the entry's line in the baseline file. In change mode \
           (`--staged`, `--base`) only entries of the changed files, and repository-wide \
           entries, are judged; with `--only` or `--skip`, only entries of the rules that ran.",
    why: "A baseline is a ratchet: it lists debt that may stay, never debt that may come \
          back. An entry whose finding is gone would silently accept the same finding if it \
          reappeared (same rule, same file, same key: same fingerprint), so the fix would \
          not stick. Failing on it (an error by default) makes the file shrink with every \
          fix, in the same change.",
    example: "`files/required` reported a missing `SECURITY.md` and the baseline lists it; \
              after `SECURITY.md` is added, `check` reports `baseline entry no longer occurs: \
              files/required repository-wide (...)` at the entry's line.",
    fix: "Run `goldpath baseline` and commit the smaller file. Turning the rule off \
          (`[rules.\"policy/baseline-stale\"] level = \"off\"`) lets stale entries pile up.",
}
