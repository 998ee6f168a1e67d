use rayon::prelude::*;
use serde::Deserialize;

use crate::context::Context;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::options::{at_string, compile_globs, take_entries};
use crate::policy::{Origin, Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::snapshot::FileEntry;

declare_rule! {
    id: "files/max-size",
    summary: "No committed file is larger than a limit",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "max",
            kind: "integer (bytes) or string with a unit",
            help: "The largest size allowed: a number of bytes, or a string such as \
                   `\"500 KB\"`, `\"1 MiB\"` or `\"2MB\"` (B, KB, MB, GB, TB are powers of \
                   1000; KiB, MiB, GiB, TiB powers of 1024; case is ignored). Default: \
                   `\"5 MiB\"`.",
        },
        {
            name: "overrides",
            kind: "array of tables { files = [globs], max }",
            help: "Other limits for some files, such as fixtures or fonts; `max` as above. The \
                   first entry whose globs match a file sets its limit. Default: none.",
        },
    ],
    what: "Every regular file larger than its limit (the first matching entry of \
           `overrides`, else `max`) is reported at the file, with its size and the limit. \
           Sizes come from the index or the file system: contents are not read. Symbolic \
           links and submodules are not judged.",
    why: "Git keeps every version of every file forever: one committed build output, \
          video or database dump makes every clone slower, for everyone, for good. \
          Large files belong in Git LFS, a package registry or release assets.",
    example: "```toml\n[rules.\"files/max-size\"]\nmax = \"1 MiB\"\noverrides = [{ files \
              = [\"testdata/**\"], max = \"20 MiB\" }]\n```\nA 3 MiB `assets/intro.mp4` is \
              reported: `3 MiB (3145728 bytes) is over the 1 MiB limit`; a 3 MiB \
              `testdata/dump.sql` is not.",
    fix: "Remove the file from the repository (and from history if it must not stay in \
          clones), and store it with Git LFS, in a registry or as a release asset. If it \
          belongs in the repository, raise the limit for it with `overrides`.",
}

/// 5 MiB.
const DEFAULT_MAX: Limit = Limit {
    bytes: 5 * 1024 * 1024,
    decimal: false,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    files: Vec<String>,
    max: toml::Value,
}

/// A limit, and whether it was written in powers of 1000 (so messages use the same units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limit {
    bytes: u64,
    decimal: bool,
}

struct MaxSize {
    max: Limit,
    overrides: Vec<(GlobList, Limit)>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let max = match params.take_with_origin::<toml::Value>("max")? {
        Some((value, origin)) => parse_limit(&value, &origin)?,
        None => DEFAULT_MAX,
    };
    let mut overrides = Vec::new();
    for (entry, origin) in take_entries::<Entry>(params, "overrides")? {
        if entry.files.is_empty() {
            return Err(origin.error("an `overrides` entry has an empty `files`".to_owned()));
        }
        let globs = compile_globs(&entry.files, &origin)?;
        overrides.push((globs, parse_limit(&entry.max, &origin)?));
    }
    Ok(Box::new(MaxSize { max, overrides }))
}

const UNITS: [(&str, u64, bool); 9] = [
    ("b", 1, false),
    ("kb", 1000, true),
    ("mb", 1000 * 1000, true),
    ("gb", 1000 * 1000 * 1000, true),
    ("tb", 1000 * 1000 * 1000 * 1000, true),
    ("kib", 1 << 10, false),
    ("mib", 1 << 20, false),
    ("gib", 1 << 30, false),
    ("tib", 1 << 40, false),
];

fn parse_limit(value: &toml::Value, origin: &Origin) -> Result<Limit, PolicyError> {
    match value {
        toml::Value::Integer(n) => u64::try_from(*n)
            .map(|bytes| Limit {
                bytes,
                decimal: false,
            })
            .map_err(|_| origin.error(format!("invalid size {n}: it cannot be negative"))),
        toml::Value::String(text) => parse_size(text).map_err(|(needle, message)| {
            let at = at_string(origin, text);
            let at = if needle.is_empty() {
                at
            } else {
                at.narrow_to(needle)
            };
            at.error(message)
        }),
        other => Err(origin.error(format!(
            "invalid size: expected a number of bytes or a string such as \"1 MiB\", found {}",
            other.type_str()
        ))),
    }
}

/// Parses `"500 KB"`, `"1.5MiB"`, `"42"`. The error names the part of the text that is wrong.
fn parse_size(text: &str) -> Result<Limit, (&str, String)> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = (&trimmed[..split], trimmed[split..].trim());
    let Some(&(_, factor, decimal)) = UNITS
        .iter()
        .find(|(u, _, _)| unit.eq_ignore_ascii_case(u))
        .or_else(|| unit.is_empty().then_some(&UNITS[0]))
    else {
        return Err((
            unit,
            format!(
                "invalid size `{text}`: unknown unit `{unit}`; use B, KB, MB, GB, TB (powers of \
                 1000) or KiB, MiB, GiB, TiB (powers of 1024)"
            ),
        ));
    };
    let invalid_number = || {
        (
            "",
            format!("invalid size `{text}`: expected a number and a unit, such as \"1 MiB\""),
        )
    };
    let bytes = if number.contains('.') {
        let value: f64 = number.parse().map_err(|_| invalid_number())?;
        let bytes = (value * factor as f64).round();
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(invalid_number());
        }
        bytes as u64
    } else {
        let value: u64 = number.parse().map_err(|_| invalid_number())?;
        value.checked_mul(factor).ok_or_else(invalid_number)?
    };
    Ok(Limit { bytes, decimal })
}

/// A size in the largest unit of its family that fits, one decimal at most.
fn human(bytes: u64, decimal: bool) -> String {
    let (base, units) = if decimal {
        (1000u64, ["KB", "MB", "GB", "TB"])
    } else {
        (1024u64, ["KiB", "MiB", "GiB", "TiB"])
    };
    if bytes < base {
        return format!("{bytes} bytes");
    }
    let mut unit = base;
    let mut name = units[0];
    for next in &units[1..] {
        match unit.checked_mul(base) {
            Some(bigger) if bytes >= bigger => {
                unit = bigger;
                name = next;
            }
            _ => break,
        }
    }
    if bytes % unit == 0 {
        format!("{} {name}", bytes / unit)
    } else {
        format!("{:.1} {name}", bytes as f64 / unit as f64)
    }
}

impl Rule for MaxSize {
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        // Sizes may need an object lookup each (commits, the index): judge files in parallel.
        let found: Vec<Violation> = cx
            .files()
            .par_iter()
            .filter(|file| file.mode.is_regular())
            .filter_map(|file| self.judge(cx, file))
            .collect();
        out.extend(found);
    }
}

impl MaxSize {
    fn judge(&self, cx: &Context<'_>, file: &FileEntry) -> Option<Violation> {
        let limit = self
            .overrides
            .iter()
            .find(|(globs, _)| globs.is_match(&file.path))
            .map_or(self.max, |(_, limit)| *limit);
        let size = match cx.size(file) {
            Ok(size) => size,
            Err(e) => {
                tracing::warn!(path = %file.path, "files/max-size: cannot get the size: {e}");
                return None;
            }
        };
        if size <= limit.bytes {
            return None;
        }
        let shown = human(size, limit.decimal);
        let size_text = if shown.ends_with(" bytes") {
            shown
        } else {
            format!("{shown} ({size} bytes)")
        };
        Some(
            Violation::file(
                file.path.clone(),
                format!(
                    "{size_text} is over the {} limit",
                    human(limit.bytes, limit.decimal)
                ),
            )
            .help(
                "store large files with Git LFS, in a package registry or as release assets; \
                 or raise the limit for them with `overrides`",
            )
            .key("too large"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{human, parse_size, Limit};
    use crate::snapshot::{FileMode, MemorySnapshot};
    use crate::testing::{check, check_snapshot, policy_error};

    #[test]
    fn parses_sizes_with_units() {
        let ok = |text: &str| parse_size(text).map(|l| (l.bytes, l.decimal)).unwrap();
        assert_eq!(ok("500 KB"), (500_000, true));
        assert_eq!(ok("1 MiB"), (1_048_576, false));
        assert_eq!(ok("2MB"), (2_000_000, true));
        assert_eq!(ok("1.5 kib"), (1536, false));
        assert_eq!(ok("42"), (42, false));
        assert_eq!(ok(" 7 B "), (7, false));
        assert_eq!(parse_size("5 XB").unwrap_err().0, "XB");
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("1.2.3 MB").is_err());
        assert!(parse_size("99999999999 TiB").is_err());
    }

    #[test]
    fn formats_sizes_in_the_limits_family() {
        assert_eq!(human(900, false), "900 bytes");
        assert_eq!(human(5 * 1024 * 1024, false), "5 MiB");
        assert_eq!(human(7_654_321, false), "7.3 MiB");
        assert_eq!(human(600_000, true), "600 KB");
        assert_eq!(human(1_500_000, true), "1.5 MB");
        assert_eq!(human(u64::MAX, false), "16777216.0 TiB");
    }

    #[test]
    fn reports_files_over_the_limit_with_sizes_in_human_units() {
        let policy = "[rules.\"files/max-size\"]\nmax = \"500 KB\"\n";
        let big = "x".repeat(600_000);
        let edge = "x".repeat(500_000);
        let findings = check(policy, &[("big.bin", &big), ("edge.bin", &edge)]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].path.as_deref(), Some("big.bin"));
        assert_eq!(
            findings[0].message,
            "600 KB (600000 bytes) is over the 500 KB limit"
        );
        assert_eq!(findings[0].tier, crate::Tier::Bronze);
        assert_eq!(findings[0].span, None);
    }

    #[test]
    fn the_default_is_five_mib_and_overrides_match_first() {
        let policy = r#"
[rules."files/max-size"]
overrides = [
  { files = ["fixtures/small/**"], max = 10 },
  { files = ["fixtures/**"], max = "8 MiB" },
]
"#;
        let six = "x".repeat(6 * 1024 * 1024);
        let findings = check(
            policy,
            &[
                ("fixtures/a.bin", &six),
                ("fixtures/small/b.txt", "0123456789ab"),
                ("video.mp4", &six),
            ],
        );
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.path.as_deref().unwrap(), f.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "fixtures/small/b.txt",
                    "12 bytes is over the 10 bytes limit"
                ),
                ("video.mp4", "6 MiB (6291456 bytes) is over the 5 MiB limit"),
            ]
        );
    }

    #[test]
    fn only_regular_files_are_judged() {
        let snapshot = MemorySnapshot::new()
            .with_entry("link", FileMode::Symlink, "x".repeat(20))
            .with_entry("run.sh", FileMode::Executable, "x".repeat(20));
        let findings = check_snapshot("[rules.\"files/max-size\"]\nmax = 10\n", &snapshot);
        let paths: Vec<_> = findings
            .iter()
            .map(|f| f.path.as_deref().unwrap())
            .collect();
        assert_eq!(paths, ["run.sh"]);
    }

    #[test]
    fn bad_sizes_are_policy_errors_at_their_position() {
        let err = policy_error("[rules.\"files/max-size\"]\nmax = \"5 XB\"\n");
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 10)),
            "{err}"
        );
        assert!(err.message.contains("unknown unit `XB`"), "{err}");
        let err = policy_error(
            "[rules.\"files/max-size\"]\noverrides = [{ files = [\"a\"], max = \"1 MB\" }, { files = [\"b\"], max = \"big\" }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 71)),
            "{err}"
        );
        let err = policy_error("[rules.\"files/max-size\"]\nmax = -1\n");
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 7)),
            "{err}"
        );
        let err = policy_error("[rules.\"files/max-size\"]\nmax = true\n");
        assert!(err.message.contains("found boolean"), "{err}");
    }

    #[test]
    fn limits_compare_equal() {
        assert_eq!(
            super::DEFAULT_MAX,
            Limit {
                bytes: 5 << 20,
                decimal: false
            }
        );
    }
}
