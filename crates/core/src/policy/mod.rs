//! Policy: `goldpath.toml`, the packs it extends, and everything in them validated with
//! positions.
//!
//! A rule runs when the policy, or a pack it extends, has a `[rules."id"]` table for it;
//! `level = "off"` turns it off again. Later files override earlier ones key by key: a
//! policy's own tables override the packs it extends, and `extends` entries apply in order.

mod error;
mod layers;
pub(crate) mod options;
mod params;

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

pub use error::{Location, Origin, PolicyError, PolicySource};
pub use params::{compile_regex, Params, Provenance};

use crate::finding::{Level, Tier};
use crate::glob::{Glob, GlobList};

/// File names that hold a repository's policy, in the order they are looked for.
pub const POLICY_FILES: [&str; 3] = ["goldpath.toml", ".goldpath.toml", ".github/goldpath.toml"];

/// The environment variable that names the directory of the organisation's policy: `extends
/// = ["org:FILE"]` reads FILE there, from disk, whatever reads the repository's own policy
/// (the work tree, the index, or `--policy-from`'s commit). The GitHub Action's `org-policy`
/// input checks the policy repository out at a pinned ref and sets it.
pub const ORG_POLICY_ENV: &str = "GOLDPATH_ORG_POLICY";

/// The built-in packs: `builtin:NAME` in `extends`.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    (
        "recommended",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rules/recommended.toml"
        )),
    ),
    (
        "security",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/security.toml")),
    ),
    (
        "rust-service",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rules/rust-service.toml"
        )),
    ),
    (
        "go-service",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rules/go-service.toml"
        )),
    ),
    (
        "python-service",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rules/python-service.toml"
        )),
    ),
    (
        "node-service",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rules/node-service.toml"
        )),
    ),
    (
        "jvm-service",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rules/jvm-service.toml"
        )),
    ),
];

/// The text of a built-in pack.
pub fn builtin_pack(name: &str) -> Option<&'static str> {
    BUILTIN_PACKS
        .iter()
        .find(|(pack, _)| *pack == name)
        .map(|(_, text)| *text)
}

/// The largest policy file read, in bytes (1 MiB). A larger file, or one that is not a regular
/// file (a FIFO, `/dev/zero`), is an error naming the limit.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// The deepest chain of `extends` (a file that extends a file that extends ...), counting the
/// first file.
pub const MAX_EXTENDS_DEPTH: usize = 64;

/// The most policy files one policy may merge through `extends` (built-in packs included).
pub const MAX_EXTENDS_FILES: usize = 256;

/// The most bytes of globs (`exclude`, `include-vendored` and waivers' `paths`) all the files of
/// one policy may hold together.
pub const MAX_POLICY_GLOB_BYTES: usize = 256 * 1024;

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the file is larger than the policy file size limit of {MAX_POLICY_BYTES} bytes"),
    )
}

/// Reads policy files for `extends`: from disk, from a commit, or from memory.
pub trait PolicyReader {
    /// The text of the file at `path` (already normalised: no `.` or `..` left unless the path
    /// leaves its root). `Ok(None)` when it does not exist.
    fn read(&self, path: &Path) -> io::Result<Option<String>>;
}

/// Reads policy files from the file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsReader;

impl PolicyReader for FsReader {
    fn read(&self, path: &Path) -> io::Result<Option<String>> {
        let bytes = match read_regular_file(path, MAX_POLICY_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not valid UTF-8"))
    }
}

/// Reads the policy file a user named on the command line (`--config`) as any file the user
/// can read, a FIFO such as `<(...)` or `/dev/stdin` included, within the size limit; every
/// file it extends is read as [`FsReader`] reads it. Only files a repository supplies are
/// untrusted: a user who names a pipe means it.
#[derive(Debug, Clone, Copy)]
pub struct NamedFileReader<'a> {
    /// The file named on the command line.
    pub path: &'a Path,
}

impl PolicyReader for NamedFileReader<'_> {
    fn read(&self, path: &Path) -> io::Result<Option<String>> {
        use std::io::Read;
        if path != normalize(self.path) {
            return FsReader.read(path);
        }
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if file.metadata()?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a directory, not a policy file",
            ));
        }
        let mut bytes = Vec::new();
        file.take(MAX_POLICY_BYTES + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_POLICY_BYTES {
            return Err(too_large());
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not valid UTF-8"))
    }
}

/// Reads at most `limit` bytes of the regular file at `path`. Anything else (a FIFO, a device
/// such as `/dev/zero`, a directory) is refused without reading: opening a FIFO could block
/// forever and a device could never end. The file is opened without blocking and checked
/// through its handle, so it cannot be swapped between the check and the read.
fn read_regular_file(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a policy file must be a plain file, not a FIFO, device or directory)",
        ));
    }
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// What `fail-on` accepts: the lowest level that makes `check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Errors fail the run.
    Error,
    /// Warnings and errors fail the run.
    Warning,
    /// Any finding fails the run.
    Note,
    /// Nothing fails the run.
    Never,
}

impl FailOn {
    /// Whether a finding at `level` fails the run.
    pub fn fails(self, level: Level) -> bool {
        match self {
            FailOn::Error => level >= Level::Error,
            FailOn::Warning => level >= Level::Warning,
            FailOn::Note => true,
            FailOn::Never => false,
        }
    }
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(FailOn::Error),
            "warning" => Ok(FailOn::Warning),
            "note" => Ok(FailOn::Note),
            "never" => Ok(FailOn::Never),
            _ => Err(format!(
                "unknown level `{s}`: expected error, warning, note or never"
            )),
        }
    }
}

/// A rule's level in the policy: a [`Level`] or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelSetting {
    /// Report as errors.
    Error,
    /// Report as warnings.
    Warning,
    /// Report as notes.
    Note,
    /// Do not run.
    Off,
}

impl LevelSetting {
    /// The level, or `None` for off.
    pub fn level(self) -> Option<Level> {
        match self {
            LevelSetting::Error => Some(Level::Error),
            LevelSetting::Warning => Some(Level::Warning),
            LevelSetting::Note => Some(Level::Note),
            LevelSetting::Off => None,
        }
    }
}

/// The hosting service a repository lives on (`[settings] platform`): it decides the CODEOWNERS
/// dialect and where the CODEOWNERS file is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Platform {
    /// GitHub (the default).
    #[default]
    GitHub,
    /// GitLab.
    GitLab,
}

impl Platform {
    /// `"github"` or `"gitlab"`, as written in a policy.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::GitHub => "github",
            Platform::GitLab => "gitlab",
        }
    }

    /// The CODEOWNERS dialect of the platform.
    pub fn dialect(self) -> goldpath_codeowners::Dialect {
        match self {
            Platform::GitHub => goldpath_codeowners::Dialect::GitHub,
            Platform::GitLab => goldpath_codeowners::Dialect::GitLab,
        }
    }

    /// The platform's display name: `GitHub` or `GitLab`.
    pub fn name(self) -> &'static str {
        match self {
            Platform::GitHub => "GitHub",
            Platform::GitLab => "GitLab",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "github" => Ok(Platform::GitHub),
            "gitlab" => Ok(Platform::GitLab),
            _ => Err(format!("unknown platform `{s}`: expected github or gitlab")),
        }
    }
}

/// What a repository is (`[settings] kind`): the `obs/*` rules judge services only. Without
/// it, they detect services from catalog-info.yaml and the repository's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepoKind {
    /// A deployed service: the observability rules apply.
    Service,
    /// Not a service (a library, a command-line tool): the observability rules do not apply.
    Library,
}

impl RepoKind {
    /// `"service"` or `"library"`, as written in a policy.
    pub fn as_str(self) -> &'static str {
        match self {
            RepoKind::Service => "service",
            RepoKind::Library => "library",
        }
    }
}

impl std::str::FromStr for RepoKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "service" => Ok(RepoKind::Service),
            "library" => Ok(RepoKind::Library),
            _ => Err(format!("unknown kind `{s}`: expected service or library")),
        }
    }
}

/// `[settings]`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The lowest level that fails the run.
    pub fail_on: FailOn,
    /// The highest tier whose findings fail the run: a repository is held to this tier.
    /// Findings of higher tiers are reported and count against their tier, but do not fail
    /// the run, so a gold-tier rule never blocks a merge unless the policy asks for gold.
    pub fail_tier: Tier,
    /// Paths no rule sees.
    pub exclude: GlobList,
    /// Vendored or generated files that are checked all the same (the others are skipped:
    /// [`crate::vendored`]).
    pub include_vendored: GlobList,
    /// Files larger than this are not read; rules that want them get a note instead.
    pub max_read_bytes: u64,
    /// The repository is private: requirements marked `unless-private` (a licence) do not
    /// apply.
    pub private: bool,
    /// The hosting service: CODEOWNERS dialect and locations.
    pub platform: Platform,
    /// What the repository is, when the policy says; `None` lets the `obs/*` rules detect it.
    pub kind: Option<RepoKind>,
    /// The baseline file, relative to the repository root (`None`: the default,
    /// [`crate::baseline::DEFAULT_PATH`]).
    pub baseline: Option<String>,
    /// Whether `# goldpath: ignore[rule] reason` comments (and zizmor's for the audits that
    /// map to goldpath rules) suppress findings on their line ([`crate::suppression`]).
    pub inline_suppressions: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            fail_on: FailOn::Error,
            fail_tier: Tier::Silver,
            exclude: GlobList::default(),
            include_vendored: GlobList::default(),
            max_read_bytes: 10 * 1024 * 1024,
            private: false,
            platform: Platform::GitHub,
            kind: None,
            baseline: None,
            inline_suppressions: false,
        }
    }
}

/// A rule's table in the policy.
#[derive(Debug, Clone)]
pub struct RuleConfig {
    /// `level`, when set.
    pub level: Option<LevelSetting>,
    /// `tier`, when set: overrides the rule's tier.
    pub tier: Option<Tier>,
    /// The rule-specific options.
    pub params: Params,
    /// Where the rule's id was written (for "unknown rule" errors).
    pub origin: Origin,
    /// Where `level` was written, when set.
    pub level_origin: Option<Origin>,
    /// Where `tier` was written, when set.
    pub tier_origin: Option<Origin>,
}

/// A waiver: findings of a rule at some paths are accepted, with a reason, an owner and an
/// expiry date. An expired waiver waives nothing and is itself reported.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// The rule id it waives (or a glob of ids, such as `files/*`).
    pub rule: Glob,
    /// The paths it covers; empty means every path and repository-wide findings.
    pub paths: GlobList,
    /// Why the finding is accepted.
    pub reason: String,
    /// Who accepted it.
    pub owner: Option<String>,
    /// The last day it applies (inclusive).
    pub expires: Option<Date>,
    /// Where it is written.
    pub origin: Origin,
}

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day, 1 to 31.
    pub day: u8,
}

impl Date {
    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's civil-from-days).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl std::str::FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a date (YYYY-MM-DD)");
        let mut parts = s.splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || y.len() != 4 {
            return Err(bad());
        }
        Ok(Date { year, month, day })
    }
}

/// A `[[custom]]` rule as written in the policy; the engine compiles it.
#[derive(Debug, Clone)]
pub struct CustomSpec {
    /// The raw table.
    pub raw: RawCustom,
    /// Where the table starts.
    pub origin: Origin,
}

/// The keys of a `[[custom]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCustom {
    /// Rule id, `family/name`; must not collide with a built-in rule.
    pub id: Spanned<String>,
    /// Level (default `error`).
    pub level: Option<LevelSetting>,
    /// Tier (default `bronze`).
    pub tier: Option<Tier>,
    /// The message of each finding.
    pub message: String,
    /// Help shown with each finding.
    pub help: Option<String>,
    /// The rule applies only when this condition holds.
    pub when: Option<RawCondition>,
    /// What must hold.
    pub require: Option<RawCondition>,
    /// What must not hold.
    pub forbid: Option<RawCondition>,
}

/// One condition of a custom rule: a file glob, optionally a content regex, or a key with a
/// test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCondition {
    /// Glob of the files concerned.
    pub file: Spanned<String>,
    /// Regex over lines (with `key`: over the key's values).
    pub matches: Option<Spanned<String>>,
    /// Key path inside JSON, YAML or TOML files (`a.b[*].c`).
    pub key: Option<Spanned<String>>,
    /// The key's value equals this.
    pub equals: Option<Spanned<toml::Value>>,
    /// The key's value is one of these.
    pub one_of: Option<Spanned<Vec<toml::Value>>>,
    /// The key exists (or, with `false`, does not).
    pub exists: Option<Spanned<bool>>,
}

/// A loaded policy: settings, enabled rules with options, custom rules and waivers.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// `[settings]`.
    pub settings: Settings,
    /// `[rules."id"]`, merged over `extends`.
    pub rules: BTreeMap<String, RuleConfig>,
    /// `[[custom]]`.
    pub custom: Vec<CustomSpec>,
    /// `[[waivers]]`.
    pub waivers: Vec<Waiver>,
    /// The files it was read from, outermost last.
    pub sources: Vec<String>,
    /// Every `[settings]` value each file wrote, with its position, in merge order (for
    /// `goldpath policy show`): the last value of a key is the one in force, except for the
    /// lists (`exclude`, `include-vendored`, `locked`), whose entries add up.
    pub settings_origins: Vec<(String, toml::Value, Origin)>,
    /// `[settings] locked` of every file: globs of rule ids that files merged later may make
    /// stricter but not weaker.
    pub locked: Vec<(Glob, Origin)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    #[serde(default)]
    extends: Vec<Spanned<String>>,
    settings: Option<RawSettings>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
    #[serde(default)]
    custom: Vec<Spanned<RawCustom>>,
    #[serde(default)]
    waivers: Vec<Spanned<RawWaiver>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSettings {
    fail_on: Option<FailOn>,
    fail_tier: Option<Tier>,
    exclude: Option<Spanned<Vec<String>>>,
    include_vendored: Option<Spanned<Vec<String>>>,
    locked: Option<Spanned<Vec<String>>>,
    max_read_bytes: Option<u64>,
    private: Option<bool>,
    platform: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    baseline: Option<Spanned<String>>,
    inline_suppressions: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawWaiver {
    rule: Spanned<String>,
    #[serde(default)]
    paths: Option<Spanned<Vec<String>>>,
    reason: String,
    owner: Option<String>,
    expires: Option<Spanned<toml::value::Datetime>>,
}

pub(crate) fn toml_error(source: &Arc<PolicySource>, error: &toml::de::Error) -> PolicyError {
    let origin = Origin {
        source: source.clone(),
        span: error.span().unwrap_or(0..0),
    };
    origin.error(error.message().trim_end().to_owned())
}

impl Policy {
    /// Finds the policy file of a repository root: the first of [`POLICY_FILES`] that exists.
    pub fn discover(root: &Path, reader: &dyn PolicyReader) -> io::Result<Option<PathBuf>> {
        for name in POLICY_FILES {
            let path = root.join(name);
            if reader.read(&path)?.is_some() {
                return Ok(Some(path));
            }
        }
        Ok(None)
    }
}

/// The built-in rules' own level and tier by id: what a lock compares a rule against when no
/// file sets them. The rules sit above the policy layer, so the loader's callers pass it.
pub(crate) type BuiltinDefaults = fn() -> BTreeMap<&'static str, (Level, Tier)>;

/// Merges policy files into a [`Policy`]. Its entry points (`Policy::load` and the like) are in
/// `crate::policy_load`, above the rules, which supplies the built-in rules' defaults.
pub(crate) struct Loader<'r> {
    reader: &'r dyn PolicyReader,
    policy: Policy,
    /// Files being loaded, to detect `extends` cycles.
    stack: Vec<String>,
    /// Files already merged (or being merged): each is merged once, at its first `extends`.
    loaded: std::collections::HashSet<String>,
    /// Bytes of globs read so far, against [`MAX_POLICY_GLOB_BYTES`].
    glob_bytes: usize,
    /// `exclude` and `include-vendored` of every file so far, compiled into the settings' glob
    /// lists once, at the end: rebuilding a list per file costs files x globs.
    exclude: Vec<Glob>,
    include_vendored: Vec<Glob>,
    /// `[settings] locked` of the files merged so far.
    locks: layers::Locks,
    /// The directory `org:` entries of `extends` read from ([`ORG_POLICY_ENV`]).
    org_dir: Option<PathBuf>,
    /// Each built-in rule's own level and tier, read from `builtin` the first time a lock
    /// needs them.
    defaults: std::cell::OnceCell<BTreeMap<&'static str, (Level, Tier)>>,
    builtin: BuiltinDefaults,
}

/// The settings of a policy file with the position of each value, read apart from their
/// typed form so that every key (present and future) shows in `policy show`.
#[derive(Deserialize)]
struct SettingsSpans {
    #[serde(default)]
    settings: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// `at` narrowed to the string `value` written inside it, quotes left out.
pub(crate) fn narrow_quoted(at: &Origin, value: &str) -> Origin {
    for quote in ['"', '\''] {
        let narrowed = at.narrow_to(&format!("{quote}{value}{quote}"));
        if narrowed.span != at.span || narrowed.span.len() == value.len() + 2 {
            return Origin {
                source: narrowed.source.clone(),
                span: narrowed.span.start + 1..narrowed.span.end - 1,
            };
        }
    }
    at.narrow_to(value)
}

impl<'r> Loader<'r> {
    pub(crate) fn new(reader: &'r dyn PolicyReader, builtin: BuiltinDefaults) -> Self {
        Self {
            reader,
            policy: Policy::default(),
            stack: Vec::new(),
            loaded: std::collections::HashSet::new(),
            glob_bytes: 0,
            exclude: Vec::new(),
            include_vendored: Vec::new(),
            locks: layers::Locks::default(),
            org_dir: std::env::var_os(ORG_POLICY_ENV)
                .filter(|dir| !dir.is_empty())
                .map(|dir| {
                    let dir = PathBuf::from(dir);
                    let dir = match dir.is_absolute() {
                        true => dir,
                        false => std::env::current_dir().unwrap_or_default().join(dir),
                    };
                    normalize(&dir)
                }),
            defaults: std::cell::OnceCell::new(),
            builtin,
        }
    }

    /// The level and tier rule `id` has when no file sets them: a built-in rule's own, a
    /// custom rule's table's, else error and bronze.
    fn defaults(&self, id: &str) -> (Level, Tier) {
        let builtin = self.defaults.get_or_init(self.builtin);
        if let Some(defaults) = builtin.get(id) {
            return *defaults;
        }
        match self.policy.custom.iter().find(|c| c.raw.id.get_ref() == id) {
            Some(custom) => (
                custom
                    .raw
                    .level
                    .unwrap_or(LevelSetting::Error)
                    .level()
                    .unwrap_or(Level::Note),
                custom.raw.tier.unwrap_or(Tier::Bronze),
            ),
            None => (Level::Error, Tier::Bronze),
        }
    }

    /// The policy, with the glob lists gathered from every file compiled once.
    pub(crate) fn finish(mut self) -> Policy {
        if !self.exclude.is_empty() {
            self.policy.settings.exclude = GlobList::new(std::mem::take(&mut self.exclude));
        }
        if !self.include_vendored.is_empty() {
            self.policy.settings.include_vendored =
                GlobList::new(std::mem::take(&mut self.include_vendored));
        }
        self.policy.locked = self
            .locks
            .iter()
            .map(|l| (l.pattern.clone(), l.origin.clone()))
            .collect();
        self.policy
    }

    /// Counts `pattern` against [`MAX_POLICY_GLOB_BYTES`].
    fn charge_glob(&mut self, pattern: &str, at: &Origin) -> Result<(), PolicyError> {
        self.glob_bytes = self.glob_bytes.saturating_add(pattern.len());
        if self.glob_bytes > MAX_POLICY_GLOB_BYTES {
            return Err(at.narrow_to(pattern).error(format!(
                "the policy's globs (`exclude`, `include-vendored`, waivers' `paths`, in all \
                 its files) exceed the limit of {MAX_POLICY_GLOB_BYTES} bytes in total"
            )));
        }
        Ok(())
    }

    /// Whether `name` is already merged; otherwise checks that one more file may be merged
    /// (`extends` depth and count limits) and records it.
    fn first_time(&mut self, name: &str, at: &Origin) -> Result<bool, PolicyError> {
        if self.loaded.contains(name) {
            return Ok(false);
        }
        if self.stack.len() >= MAX_EXTENDS_DEPTH {
            return Err(at.error(format!(
                "`extends` nested deeper than the limit of {MAX_EXTENDS_DEPTH} files"
            )));
        }
        if self.loaded.len() >= MAX_EXTENDS_FILES {
            return Err(at.error(format!(
                "`extends` reaches more than the limit of {MAX_EXTENDS_FILES} policy files"
            )));
        }
        Ok(true)
    }

    fn enter(&mut self, name: &str, at: Option<&Origin>) -> Result<(), PolicyError> {
        if self.stack.iter().any(|n| n == name) {
            let mut chain = self.stack.clone();
            chain.push(name.to_owned());
            let message = format!("`extends` cycle: {}", chain.join(" -> "));
            return Err(match at {
                Some(origin) => origin.error(message),
                None => PolicyError::new(message),
            });
        }
        self.stack.push(name.to_owned());
        self.loaded.insert(name.to_owned());
        Ok(())
    }

    pub(crate) fn load_builtin(
        &mut self,
        name: &str,
        at: Option<&Origin>,
    ) -> Result<(), PolicyError> {
        let Some(text) = builtin_pack(name) else {
            let known: Vec<_> = BUILTIN_PACKS.iter().map(|(n, _)| *n).collect();
            let message = format!(
                "unknown built-in pack `builtin:{name}` (known: {})",
                known.join(", ")
            );
            return Err(match at {
                Some(origin) => origin.error(message),
                None => PolicyError::new(message),
            });
        };
        let source = Arc::new(PolicySource {
            name: format!("builtin:{name}"),
            text: text.to_owned(),
        });
        self.load_source(source, None)
    }

    pub(crate) fn load_path(
        &mut self,
        path: &Path,
        at: Option<&Origin>,
    ) -> Result<(), PolicyError> {
        let name = path.display().to_string();
        let fail = |message: String| match at {
            Some(origin) => origin.error(message),
            None => PolicyError::new(message),
        };
        // The organisation's files are read from disk: they are not the repository's.
        let reader: &dyn PolicyReader = match &self.org_dir {
            Some(dir) if path.starts_with(dir) => &FsReader,
            _ => self.reader,
        };
        let text = match reader.read(path) {
            Ok(Some(text)) => text,
            Ok(None) => return Err(fail(format!("policy file `{name}` not found"))),
            Err(e) => return Err(fail(format!("cannot read policy file `{name}`: {e}"))),
        };
        // Readers of the crate refuse larger files before reading them; this holds the limit
        // for every other reader too.
        if text.len() as u64 > MAX_POLICY_BYTES {
            let e = too_large();
            return Err(fail(format!("cannot read policy file `{name}`: {e}")));
        }
        let source = Arc::new(PolicySource { name, text });
        self.load_source(source, path.parent())
    }

    /// Merges the policy file at `path`, which `at` extends, unless it is already merged; a file
    /// that is being merged further up the chain is a cycle.
    fn extend_path(&mut self, path: &Path, at: &Origin) -> Result<(), PolicyError> {
        let name = path.display().to_string();
        if self.stack.contains(&name) {
            return Err(at.error(format!(
                "`extends` cycle: {} -> {name}",
                self.stack.join(" -> ")
            )));
        }
        if self.first_time(&name, at)? {
            self.load_path(path, Some(at))?;
        }
        Ok(())
    }

    pub(crate) fn load_source(
        &mut self,
        source: Arc<PolicySource>,
        base_dir: Option<&Path>,
    ) -> Result<(), PolicyError> {
        self.enter(&source.name.clone(), None)?;
        let raw: RawPolicy = toml::from_str(&source.text).map_err(|e| toml_error(&source, &e))?;
        let origin = |span: std::ops::Range<usize>| Origin {
            source: source.clone(),
            span,
        };

        for entry in &raw.extends {
            let at = origin(entry.span());
            let target = entry.get_ref();
            if let Some(name) = target.strip_prefix("builtin:") {
                if self.stack.iter().any(|n| n == &format!("builtin:{name}")) {
                    return Err(at.error(format!(
                        "`extends` cycle: {} -> builtin:{name}",
                        self.stack.join(" -> ")
                    )));
                }
                if self.first_time(&format!("builtin:{name}"), &at)? {
                    self.load_builtin(name, Some(&at))?;
                }
            } else if let Some(file) = target.strip_prefix("org:") {
                let Some(dir) = self.org_dir.clone() else {
                    return Err(at.error(format!(
                        "`{target}` names a file of the organisation's policy: set \
                         {ORG_POLICY_ENV} to its directory (the GitHub Action's `org-policy` \
                         input does)"
                    )));
                };
                let path = normalize(&dir.join(file));
                if !path.starts_with(&dir) || Path::new(file).is_absolute() {
                    return Err(at.error(format!(
                        "`{target}` leaves the organisation's policy directory {}",
                        dir.display()
                    )));
                }
                self.extend_path(&path, &at)?;
            } else {
                let Some(base) = base_dir else {
                    return Err(at.error(format!(
                        "`{target}`: a built-in pack can only extend other built-in packs"
                    )));
                };
                let path = normalize(&base.join(target));
                self.extend_path(&path, &at)?;
            }
        }

        let name = source.name.clone();
        let spans: SettingsSpans =
            toml::from_str(&source.text).map_err(|e| toml_error(&source, &e))?;
        for (key, value) in spans.settings {
            let at = origin(value.span());
            self.policy
                .settings_origins
                .push((key.into_inner(), value.into_inner(), at));
        }
        if let Some(settings) = raw.settings {
            if let Some(locked) = settings.locked {
                let at = origin(locked.span());
                self.locks.add(locked.into_inner(), &at)?;
            }
            if let Some(fail_on) = settings.fail_on {
                self.policy.settings.fail_on = fail_on;
            }
            if let Some(fail_tier) = settings.fail_tier {
                self.policy.settings.fail_tier = fail_tier;
            }
            if let Some(private) = settings.private {
                self.policy.settings.private = private;
            }
            if let Some(inline) = settings.inline_suppressions {
                self.policy.settings.inline_suppressions = inline;
            }
            if let Some(platform) = settings.platform {
                let at = origin(platform.span());
                self.policy.settings.platform = platform
                    .get_ref()
                    .parse()
                    .map_err(|e: String| at.error(format!("invalid `platform`: {e}")))?;
            }
            if let Some(kind) = settings.kind {
                let at = origin(kind.span());
                self.policy.settings.kind = Some(
                    kind.get_ref()
                        .parse()
                        .map_err(|e: String| at.error(format!("invalid `kind`: {e}")))?,
                );
            }
            if let Some(baseline) = settings.baseline {
                let at = origin(baseline.span());
                let path = baseline.into_inner();
                if !is_inside_path(&path) {
                    return Err(at.error(format!(
                        "invalid `baseline`: `{path}` must be a path inside the repository, \
                         relative to its root, without `..`"
                    )));
                }
                self.policy.settings.baseline = Some(path);
            }
            if let Some(max) = settings.max_read_bytes {
                self.policy.settings.max_read_bytes = max;
            }
            if let Some(exclude) = settings.exclude {
                let at = origin(exclude.span());
                if let Some(lock) = self.locks.any_binding(&name) {
                    // `exclude` hides paths from every rule, locked ones included.
                    return Err(at.error_with(
                        "`exclude` would hide paths from rules that an extended policy locks: \
                         ask for the paths in the locking file's `exclude`, or use the options \
                         of rules that are not locked",
                        "locked at",
                        &lock.origin,
                    ));
                }
                for pattern in exclude.into_inner() {
                    let glob = Glob::new(&pattern).map_err(|e| at.narrow_to(&pattern).error(e))?;
                    self.charge_glob(&pattern, &at)?;
                    self.exclude.push(glob);
                }
            }
            if let Some(include) = settings.include_vendored {
                let at = origin(include.span());
                for pattern in include.into_inner() {
                    let glob = Glob::new(&pattern).map_err(|e| at.narrow_to(&pattern).error(e))?;
                    self.charge_glob(&pattern, &at)?;
                    self.include_vendored.push(glob);
                }
            }
        }

        for (id, table) in raw.rules {
            let id_origin = origin(id.span());
            let id = id.into_inner();
            // A lock binds a rule an earlier file enabled; enabling one is never weaker.
            let lock = match self.policy.rules.contains_key(&id) {
                true => self.locks.binding(&id, &name).cloned(),
                false => None,
            };
            let defaults = self.defaults(&id);
            let config = self
                .policy
                .rules
                .entry(id.clone())
                .or_insert_with(|| RuleConfig {
                    level: None,
                    tier: None,
                    params: Params::new(id.clone()),
                    origin: id_origin.clone(),
                    level_origin: None,
                    tier_origin: None,
                });
            config.origin = id_origin;
            layers::merge_rule(&id, config, table, &origin, lock.as_ref(), &|| defaults)?;
        }

        for table in raw.custom {
            let spec = CustomSpec {
                origin: origin(table.span()),
                raw: table.into_inner(),
            };
            // A later file's rule with the same id replaces the earlier one, unless it is locked.
            let id = spec.raw.id.get_ref();
            let exists = self.policy.custom.iter().any(|c| c.raw.id.get_ref() == id);
            if let Some(lock) = self.locks.binding(id, &name).filter(|_| exists) {
                return Err(origin(spec.raw.id.span()).error_with(
                    format!("custom rule `{id}` is locked: a later file cannot redefine it"),
                    "locked at",
                    &lock.origin,
                ));
            }
            match self
                .policy
                .custom
                .iter_mut()
                .find(|c| c.raw.id.get_ref() == spec.raw.id.get_ref())
            {
                Some(existing) => *existing = spec,
                None => self.policy.custom.push(spec),
            }
        }

        for waiver in raw.waivers {
            let at = origin(waiver.span());
            let waiver = waiver.into_inner();
            let rule_at = origin(waiver.rule.span());
            let rule = Glob::new(waiver.rule.get_ref()).map_err(|e| rule_at.error(e))?;
            let ids = self.policy.rules.keys().map(String::as_str).chain(
                self.policy
                    .custom
                    .iter()
                    .map(|c| c.raw.id.get_ref().as_str()),
            );
            if let Some(lock) = self.locks.waived(&rule, &name, ids) {
                return Err(rule_at.error_with(
                    format!(
                        "waiver of `{}` waives a locked rule: only the file that locks it may \
                         waive it",
                        waiver.rule.get_ref()
                    ),
                    "locked at",
                    &lock.origin,
                ));
            }
            let paths = match waiver.paths {
                Some(paths) => {
                    let paths_at = origin(paths.span());
                    let mut globs = Vec::new();
                    for pattern in paths.into_inner() {
                        globs.push(
                            Glob::new(&pattern)
                                .map_err(|e| paths_at.narrow_to(&pattern).error(e))?,
                        );
                        self.charge_glob(&pattern, &paths_at)?;
                    }
                    GlobList::new(globs)
                }
                None => GlobList::default(),
            };
            if waiver.reason.trim().is_empty() {
                return Err(at.error("a waiver needs a `reason`"));
            }
            let expires = match waiver.expires {
                Some(date) => {
                    let date_at = origin(date.span());
                    let value = date.into_inner();
                    let Some(d) = value.date.filter(|_| value.time.is_none()) else {
                        return Err(date_at.error("`expires` must be a date such as 2027-03-31"));
                    };
                    Some(Date {
                        year: i32::from(d.year),
                        month: d.month,
                        day: d.day,
                    })
                }
                None => None,
            };
            self.policy.waivers.push(Waiver {
                rule,
                paths,
                reason: waiver.reason,
                owner: waiver.owner,
                expires,
                origin: at,
            });
        }

        self.policy.sources.push(source.name.clone());
        self.stack.pop();
        Ok(())
    }
}

/// Removes `.` and resolves `..` lexically (policy paths are not canonicalised: the file may
/// come from a commit rather than the disk).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Whether a path from `[settings] baseline` or the default stays inside the repository:
/// relative, without `..`.
pub fn is_inside_path(path: &str) -> bool {
    let path = std::path::Path::new(path);
    !path.as_os_str().is_empty()
        && path.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

/// Reads policy files from a snapshot (the index or a commit), so `--staged` and `--rev` judge
/// with the policy of what they check. Paths are resolved against `root`; a path outside the
/// repository is an error.
pub struct SnapshotReader<'a> {
    root: PathBuf,
    snapshot: &'a dyn crate::snapshot::Snapshot,
}

impl<'a> SnapshotReader<'a> {
    /// A reader for `snapshot`, whose files live under `root`.
    pub fn new(root: &Path, snapshot: &'a dyn crate::snapshot::Snapshot) -> Self {
        Self {
            root: normalize(root),
            snapshot,
        }
    }
}

impl PolicyReader for SnapshotReader<'_> {
    fn read(&self, path: &Path) -> io::Result<Option<String>> {
        let relative = normalize(path);
        let Ok(relative) = relative.strip_prefix(&self.root) else {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is outside the repository; a policy checked from the index or a commit can only extend files inside it (or builtin: packs)",
                    path.display()
                ),
            ));
        };
        let key = relative.to_string_lossy().replace('\\', "/");
        let files = self.snapshot.files();
        let Ok(index) = files.binary_search_by(|f| f.path.as_str().cmp(&key)) else {
            return Ok(None);
        };
        let size = self.snapshot.size(&files[index])?;
        if size > MAX_POLICY_BYTES {
            return Err(too_large());
        }
        let bytes = self.snapshot.read(&files[index])?;
        if bytes.len() as u64 > MAX_POLICY_BYTES {
            return Err(too_large());
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not valid UTF-8"))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod pack_tests;

#[cfg(test)]
mod layer_tests;
