//! Hostile repositories: inputs of a few kilobytes built to exhaust time, memory or the stack.
//! Each case runs the binary on a scratch repository and asserts the outcome (a finding or
//! exit 2 naming the limit, never an abort) and both a time and a peak-memory bound, taken from
//! the child's own resource usage (`wait4`). The bounds are generous for a debug build on a
//! loaded machine, and far below what these inputs cost without their limits.
#![cfg(unix)]

mod common;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Repo;

/// The most a case may take.
const TIME_BOUND: Duration = Duration::from_secs(20);
/// The most memory (peak resident set) a case may use.
const MEMORY_BOUND_KB: i64 = 500 * 1024;
/// A case still running after this is killed (and fails).
const KILL_AFTER: Duration = Duration::from_secs(90);
/// The address space a case gets, so that a regression fails the test instead of taking the
/// machine's memory.
const ADDRESS_SPACE: u64 = 6 * 1024 * 1024 * 1024;

struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    max_rss_kb: i64,
}

impl Run {
    /// Asserts the time and memory bounds and that the process exited (with any code).
    fn bounded(&self) -> &Self {
        assert!(
            self.signal.is_none() && self.code.is_some(),
            "killed by signal {:?} (an abort?) after {:?}\nstderr: {}",
            self.signal,
            self.elapsed,
            tail(&self.stderr)
        );
        assert!(
            self.elapsed < TIME_BOUND,
            "took {:?} (bound {TIME_BOUND:?})\nstderr: {}",
            self.elapsed,
            tail(&self.stderr)
        );
        assert!(
            self.max_rss_kb < MEMORY_BOUND_KB,
            "peak memory {} MB (bound {} MB)",
            self.max_rss_kb / 1024,
            MEMORY_BOUND_KB / 1024
        );
        self
    }
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(2000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    &text[start..]
}

/// Runs the binary with `args` in `repo`, measuring it.
// The child is reaped by `wait4` (which `Child::wait` cannot do: it gives no resource usage).
#[allow(clippy::zombie_processes)]
fn run(repo: &Repo, args: &[&str]) -> Run {
    let mut cmd = repo.goldpath_std();
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe, and the closure touches nothing else.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_SPACE as libc::rlim_t,
                rlim_max: ADDRESS_SPACE as libc::rlim_t,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn goldpath");
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped; the pointers are to live locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            break;
        }
        assert!(reaped == 0, "wait4 failed");
        if started.elapsed() > KILL_AFTER {
            // SAFETY: as above; the child is killed, then reaped.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::wait4(pid, &mut status, 0, &mut usage);
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.join().expect("stdout reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().expect("stderr reader")).into_owned();
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else {
        (None, Some(libc::WTERMSIG(status)))
    };
    Run {
        code,
        signal,
        stdout,
        stderr,
        elapsed,
        max_rss_kb: usage.ru_maxrss,
    }
}

// ---------------------------------------------------------------- YAML

#[test]
fn yaml_aliases_of_a_large_scalar_are_a_finding_within_bounds() {
    // One 100 KB anchored scalar and 20,000 aliases of it: 471 KB that expand to 2 GB.
    let mut text = format!(
        "on: push\nx: &big \"{}\"\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n",
        "x".repeat(100_000)
    );
    for _ in 0..20_000 {
        text.push_str("      - run: *big\n");
    }
    let repo = Repo::git();
    repo.write(".github/workflows/ci.yml", &text);
    let run = run(
        &repo,
        &["check", ".", "--format", "json", "--fail-on", "never"],
    );
    run.bounded();
    assert_eq!(run.code, Some(0), "stderr: {}", tail(&run.stderr));
    assert!(
        run.stdout.contains("too many bytes (alias expansion)")
            && run.stdout.contains("at most 16777216 bytes"),
        "{}",
        tail(&run.stdout)
    );
}

// ---------------------------------------------------------------- policy `extends`

/// Runs `check` on `repo` and returns the run, asserting exit 2 and a message on stderr.
fn check_fails_with(repo: &Repo, message: &str) -> Run {
    let run = run(repo, &["check", ".", "--format", "json"]);
    run.bounded();
    assert_eq!(run.code, Some(2), "stderr: {}", tail(&run.stderr));
    assert!(
        run.stderr.contains(message),
        "stderr: {}",
        tail(&run.stderr)
    );
    run
}

#[test]
fn extends_5000_deep_is_exit_2_naming_the_limit() {
    let repo = Repo::git();
    repo.write("goldpath.toml", "extends = [\"p/f1.toml\"]\n");
    for i in 1..5_000 {
        repo.write(
            &format!("p/f{i}.toml"),
            format!("extends = [\"f{}.toml\"]\n", i + 1),
        );
    }
    repo.write("p/f5000.toml", "");
    check_fails_with(&repo, "`extends` nested deeper than the limit of 64 files");
}

#[test]
fn a_diamond_of_extends_loads_each_file_once() {
    let repo = Repo::git();
    repo.write("goldpath.toml", "extends = [\"f1.toml\", \"f1.toml\"]\n");
    for i in 1..20 {
        // Padding makes the files the size of the reported case (92 KB in all).
        repo.write(
            &format!("f{i}.toml"),
            format!(
                "extends = [\"f{0}.toml\", \"f{0}.toml\"]\n#{1}\n",
                i + 1,
                "x".repeat(4_000)
            ),
        );
    }
    repo.write("f20.toml", "[rules.\"files/required\"]\nlevel = \"note\"\n");
    let run = run(
        &repo,
        &["check", ".", "--format", "json", "--fail-on", "never"],
    );
    run.bounded();
    assert_eq!(run.code, Some(0), "stderr: {}", tail(&run.stderr));
}

#[test]
fn extends_dev_zero_and_a_fifo_are_refused() {
    let repo = Repo::git();
    repo.write("goldpath.toml", "extends = [\"/dev/zero\"]\n");
    check_fails_with(&repo, "not a regular file");

    let fifo = repo.join("fifo.toml");
    let c_path = std::ffi::CString::new(fifo.to_str().expect("UTF-8 path")).expect("no NUL");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    repo.write("goldpath.toml", "extends = [\"fifo.toml\"]\n");
    check_fails_with(&repo, "not a regular file");
}

#[test]
fn many_large_exclude_globs_are_exit_2_naming_the_limit() {
    let repo = Repo::git();
    let glob = format!("\"{}*\"", "a".repeat(4_000));
    for i in 0..10 {
        let globs = vec![glob.clone(); 100].join(", ");
        let extends = if i < 9 {
            format!("extends = [\"p{}.toml\"]\n", i + 1)
        } else {
            String::new()
        };
        repo.write(
            &format!("p{i}.toml"),
            format!("{extends}[settings]\nexclude = [{globs}]\n"),
        );
    }
    repo.write("goldpath.toml", "extends = [\"p0.toml\"]\n");
    check_fails_with(&repo, "exceed the limit of 262144 bytes in total");
}

// ---------------------------------------------------------------- git trees

/// Runs git in `repo` with `input` on stdin; returns stdout, trimmed.
fn git_with_input(repo: &Repo, args: &[&str], input: &[u8]) -> String {
    use std::io::Write;
    let mut child = repo
        .git_cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn git");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write to git");
    let output = child.wait_with_output().expect("git output");
    assert!(output.status.success(), "git {args:?} failed");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Points `main` at a commit of `tree`.
fn commit_tree(repo: &Repo, tree: &str) {
    let commit = repo.git_ok(&["commit-tree", tree, "-m", "hostile"]);
    repo.git_ok(&["update-ref", "refs/heads/main", commit.trim()]);
}

/// Commits one file at `path` (a deep path, through fast-import: one process).
fn commit_deep_path(repo: &Repo, path: &str) {
    let script = format!(
        "commit refs/heads/main\ncommitter T <t@e> 0 +0000\ndata 1\nx\nM 100644 inline {path}\ndata 1\ny\n\n"
    );
    git_with_input(repo, &["fast-import", "--quiet"], script.as_bytes());
}

#[test]
fn a_tree_bomb_is_exit_2_naming_the_entry_limit() {
    // 12 objects: a blob, then 10 levels of trees with 10 entries each naming the level below.
    let repo = Repo::git();
    let blob = git_with_input(&repo, &["hash-object", "-w", "--stdin"], b"x\n");
    let mut listing: String = (0..10)
        .map(|i| format!("100644 blob {blob}\tf{i}\n"))
        .collect();
    let mut tree = git_with_input(&repo, &["mktree"], listing.as_bytes());
    for _ in 0..9 {
        listing = (0..10)
            .map(|i| format!("040000 tree {tree}\td{i}\n"))
            .collect();
        tree = git_with_input(&repo, &["mktree"], listing.as_bytes());
    }
    commit_tree(&repo, &tree);
    let run = run(&repo, &["check", ".", "--rev", "HEAD", "--format", "json"]);
    run.bounded();
    assert_eq!(run.code, Some(2), "stderr: {}", tail(&run.stderr));
    assert!(
        run.stderr
            .contains("more than 1000000 entries, the limit of entries per tree"),
        "stderr: {}",
        tail(&run.stderr)
    );
}

#[test]
fn a_deep_tree_is_exit_2_naming_the_depth_limit() {
    let repo = Repo::git();
    commit_deep_path(&repo, &format!("{}f", "a/".repeat(2_000)));
    let run = run(&repo, &["check", ".", "--rev", "HEAD", "--format", "json"]);
    run.bounded();
    assert_eq!(run.code, Some(2), "stderr: {}", tail(&run.stderr));
    assert!(
        run.stderr
            .contains("directories nest deeper than 256 levels, the limit of tree depth"),
        "stderr: {}",
        tail(&run.stderr)
    );
}

#[test]
fn a_long_path_is_exit_2_naming_the_path_limit() {
    let repo = Repo::git();
    let name = "n".repeat(250);
    commit_deep_path(&repo, &format!("{}f", format!("{name}/").repeat(20)));
    let run = run(&repo, &["check", ".", "--rev", "HEAD", "--format", "json"]);
    run.bounded();
    assert_eq!(run.code, Some(2), "stderr: {}", tail(&run.stderr));
    assert!(
        run.stderr
            .contains("is longer than 4096 bytes, the limit of path length"),
        "stderr: {}",
        tail(&run.stderr)
    );
}

// ---------------------------------------------------------------- files on disk

#[test]
fn a_tracked_codeowners_replaced_by_a_fifo_does_not_hang_owners() {
    let repo = Repo::git();
    repo.write(".github/CODEOWNERS", "* @o\n");
    repo.write("a.txt", "a\n");
    repo.commit("init");
    repo.remove(".github/CODEOWNERS");
    let fifo = repo.join(".github/CODEOWNERS");
    let c_path = std::ffi::CString::new(fifo.to_str().expect("UTF-8 path")).expect("no NUL");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    let run = run(&repo, &["owners"]);
    run.bounded();
    assert!(
        run.stderr.contains("not a regular file"),
        "exit {:?}\nstdout: {}\nstderr: {}",
        run.code,
        tail(&run.stdout),
        tail(&run.stderr)
    );
    let run = check_work_tree(&repo);
    run.bounded();
}

/// `owners` repeats an argument it cannot find, and the CODEOWNERS path, on stderr: a name
/// holding terminal sequences is shown as control pictures, not sent to the terminal.
#[test]
fn owners_warnings_do_not_send_control_sequences_to_the_terminal() {
    let repo = Repo::git();
    repo.write(".github/CODEOWNERS", "* @o\n[broken\n");
    repo.write("a.txt", "a\n");
    repo.commit("init");
    let hostile = "x\u{1b}]8;;evil\u{7}click\u{1b}[2J\r\ngoldpath: all good";
    let run = run(&repo, &["owners", hostile]);
    run.bounded();
    assert!(
        run.stderr.contains("is not a tracked file"),
        "exit {:?}\nstderr: {}",
        run.code,
        tail(&run.stderr)
    );
    assert!(
        run.stderr
            .contains("x\u{241b}]8;;evil\u{2407}click\u{241b}[2J\u{240d}\u{240a}goldpath"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains(['\u{1b}', '\u{7}', '\r']),
        "{:?}",
        run.stderr
    );
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("goldpath: all good"))
            .count(),
        0
    );
}

/// `check` of the work tree, which reads the FIFO's path too.
fn check_work_tree(repo: &Repo) -> Run {
    run(
        repo,
        &["check", ".", "--format", "json", "--fail-on", "never"],
    )
}

// ---------------------------------------------------------------- CODEOWNERS

/// A repository of `files` files spread over 100 directories under `src/`, with `codeowners`
/// committed.
fn codeowners_repo(codeowners: &str, dirs: usize, files: usize) -> Repo {
    let repo = Repo::git();
    repo.write(".github/CODEOWNERS", codeowners);
    for i in 0..files {
        repo.write(&format!("src/d{}/f{i}.rs", i % dirs), "\n");
    }
    repo.commit("init");
    repo
}

#[test]
fn one_pattern_written_3000_times_is_matched_once() {
    // 51 KB of the same line over 10,000 files: patterns x files was 14 s and 262 MB.
    let repo = codeowners_repo(&"/src/**/*.rs @o\n".repeat(3_000), 100, 10_000);
    for args in [
        &["owners"][..],
        &["check", ".", "--format", "json", "--fail-on", "never"][..],
    ] {
        let run = run(&repo, args);
        run.bounded();
        assert_eq!(run.code, Some(0), "{args:?}: {}", tail(&run.stderr));
        assert!(
            run.elapsed < Duration::from_secs(10) && run.max_rss_kb < 500 * 1024,
            "{args:?}: {:?}, {} MB",
            run.elapsed,
            run.max_rss_kb / 1024
        );
        if args[0] == "owners" {
            // The last of the identical lines decides.
            assert!(
                run.stdout
                    .contains("src/d7/f7.rs\t@o\t.github/CODEOWNERS:3000"),
                "{}",
                tail(&run.stdout)
            );
        } else {
            // The 2,999 earlier lines are duplicates, not patterns that match nothing.
            assert!(!run.stdout.contains("ownership/pattern-matches-nothing"));
        }
    }
}

/// Runs `owners` and `check` on `repo`, asserting exit 0 and `bound` for each; returns the
/// outputs of `owners` and of `check`.
fn owners_and_check_within(repo: &Repo, bound: Duration, memory_mb: i64) -> (String, String) {
    let mut outputs = Vec::new();
    for args in [
        &["owners"][..],
        &["check", ".", "--format", "json", "--fail-on", "never"][..],
    ] {
        let run = run(repo, args);
        run.bounded();
        assert_eq!(run.code, Some(0), "{args:?}: {}", tail(&run.stderr));
        assert!(
            run.elapsed < bound && run.max_rss_kb < memory_mb * 1024,
            "{args:?}: {:?}, {} MB (bound {bound:?}, {memory_mb} MB)",
            run.elapsed,
            run.max_rss_kb / 1024
        );
        outputs.push(run.stdout);
    }
    let check = outputs.pop().unwrap_or_default();
    (outputs.pop().unwrap_or_default(), check)
}

#[test]
fn distinct_literal_patterns_are_looked_up_not_tried() {
    // 229,000 distinct literal patterns (2.6 MB, under GitHub's 3 MB) that match nothing, over
    // 10,000 files: a lookup of each path, not 229,000 tries. Debug: about 4 s and 300 MB, most
    // of it reading the 229,000 rules.
    let text: String = (0..229_000).map(|i| format!("/n{i} @o\n")).collect();
    let repo = codeowners_repo(&format!("/src/d7/ @seven\n{text}"), 100, 10_000);
    let (owners, check) = owners_and_check_within(&repo, Duration::from_secs(15), 450);
    assert!(
        owners.contains("src/d7/f7.rs\t@seven\t.github/CODEOWNERS:1"),
        "{}",
        tail(&owners)
    );
    // Every one of them matches nothing: the first 200 are reported, one finding counts the rest.
    assert!(
        check.contains("`/n0` matches no file of the repository")
            && check.contains("and 228800 more findings of this rule"),
        "{}",
        tail(&check)
    );
}

#[test]
fn distinct_globs_sharing_a_directory_are_found_by_their_keys() {
    // 20,000 distinct globs over 10,000 files, half under directories that do not exist, half
    // `/src/**/*_N.rs`: all of the latter share `/src/`, and trying each on every file under it
    // was 100,000,000 checks (150 s in a debug build); their suffixes (`_N.rs`) find them.
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!("/src/dir{i}/**/*.rs @o\n/src/**/*_{i}.rs @p{i}\n"));
    }
    let repo = Repo::git();
    repo.write(".github/CODEOWNERS", &text);
    for i in 0..10_000 {
        repo.write(&format!("src/d{}/f_{i}.rs", i % 100), "\n");
    }
    repo.commit("init");
    let (owners, check) = owners_and_check_within(&repo, Duration::from_secs(15), 450);
    assert!(
        owners.contains("src/d7/f_7.rs\t@p7\t.github/CODEOWNERS:16"),
        "{}",
        tail(&owners)
    );
    assert!(
        check.contains("`/src/dir0/**/*.rs` matches no file of the repository"),
        "{}",
        tail(&check)
    );
}

#[test]
fn pattern_checks_over_the_work_limit_are_named() {
    // 20,001 globs that all need the key `rs` (`*aN*.rs`) x 6,000 `.rs` files: 120,000,000
    // checks, over 100,000,000.
    let mut text = String::new();
    for i in 0..20_001 {
        text.push_str(&format!("*a{i}*.rs @o\n"));
    }
    let repo = codeowners_repo(&text, 100, 6_000);
    let limit = "over the limit of CODEOWNERS work (100000000 pattern checks)";
    let run_check = run(
        &repo,
        &["check", ".", "--format", "json", "--fail-on", "never"],
    );
    run_check.bounded();
    assert_eq!(run_check.code, Some(0), "{}", tail(&run_check.stderr));
    assert!(
        run_check.stdout.contains(limit) && run_check.stdout.contains("20001 distinct patterns"),
        "{}",
        tail(&run_check.stdout)
    );
    let run_owners = run(&repo, &["owners"]);
    run_owners.bounded();
    assert_eq!(run_owners.code, Some(2), "{}", tail(&run_owners.stderr));
    assert!(
        run_owners.stderr.contains(limit),
        "{}",
        tail(&run_owners.stderr)
    );
}

// ---------------------------------------------------------------- deep nesting

/// 200,000 levels of brackets in each format goldpath parses: a finding (or exit 2 for the
/// policy) naming the nesting, never a stack overflow.
#[test]
fn nesting_200000_deep_is_a_finding_in_every_format() {
    const DEPTH: usize = 200_000;
    let nested = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let repo = Repo::git();
    repo.write(
        ".github/workflows/ci.yml",
        format!("on: push\njobs: {nested}\n"),
    )
    .write("package.json", format!("{{\"dependencies\": {nested}}}"))
    .write(
        "pyproject.toml",
        format!("[project]\nname = \"x\"\nclassifiers = {nested}\n"),
    );
    let run = run(
        &repo,
        &["check", ".", "--format", "json", "--fail-on", "never"],
    );
    run.bounded();
    assert_eq!(run.code, Some(0), "stderr: {}", tail(&run.stderr));
    for (path, message) in [
        (".github/workflows/ci.yml", "recursion limit exceeded"),
        ("package.json", "nesting deeper than 256 levels"),
        ("pyproject.toml", "max recursion depth"),
    ] {
        assert!(
            run.stdout.lines().any(|l| l.contains(message)) && run.stdout.contains(path),
            "{path}: {}",
            tail(&run.stdout)
        );
    }

    repo.write("goldpath.toml", format!("x = {nested}\n"));
    check_fails_with(&repo, "max recursion depth");
}
