//! Artifacts of another workflow run inside a job: where a step unpacks them, and the later
//! steps that run code from there.
//!
//! A `workflow_run` workflow runs with the base repository's secrets and a write token, while
//! the run that triggered it may have built a fork's pull request: its artifacts are the
//! outsider's files. Reading them as data is the documented safe pattern (a pull request
//! number validated before use); unpacking them where later steps build or run code is a
//! "pwn request" with one more step. Only what can be told from the workflow's text is
//! followed: the paths given to the download and to `unzip`/`tar`, and commands that run a
//! file from there (or, when the artifact lands in the workspace root, build tools that run
//! whatever the workspace holds).

use std::ops::Range;

use crate::ci::github::{Job, Step, Uses};
use crate::ci::Scalar;

/// Where an artifact was unpacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A folder of the workspace, relative (`""` for the workspace itself).
    Workspace(String),
    /// A path outside the workspace, as written (`${{ runner.temp }}/pr`).
    Elsewhere(String),
}

impl Place {
    /// The place as a phrase.
    pub fn describe(&self) -> String {
        match self {
            Place::Workspace(dir) if dir.is_empty() => "the workspace".to_owned(),
            Place::Workspace(dir) => format!("`{dir}/` of the workspace"),
            Place::Elsewhere(path) => format!("`{path}`"),
        }
    }

    /// Whether the command word `word` names a file in this place.
    fn holds(&self, word: &str) -> bool {
        let word = word.trim_matches(|c| c == '"' || c == '\'');
        match self {
            Place::Workspace(dir) => {
                let word = word
                    .strip_prefix("${{ github.workspace }}/")
                    .or_else(|| word.strip_prefix("$GITHUB_WORKSPACE/"))
                    .or_else(|| word.strip_prefix("${GITHUB_WORKSPACE}/"))
                    .unwrap_or(word);
                if dir.is_empty() {
                    word.strip_prefix("./")
                        .map_or_else(|| is_relative_file(word), |rest| !rest.is_empty())
                } else {
                    let word = word.strip_prefix("./").unwrap_or(word);
                    word == dir || word.starts_with(&format!("{dir}/"))
                }
            }
            Place::Elsewhere(path) => {
                let word = word.replace("${RUNNER_TEMP}", "$RUNNER_TEMP");
                let path = path.replace("${{ runner.temp }}", "$RUNNER_TEMP");
                word == path || word.starts_with(&format!("{path}/"))
            }
        }
    }
}

/// A word that names a file relative to the working directory (`build.sh`, `dist/run`), not
/// an option, a variable, an absolute path or a bare program name looked up in `PATH`.
fn is_relative_file(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with(['-', '/', '$', '~', '<', '>', '&'])
        && (word.contains('/') || word.contains('.'))
}

/// A step that brings another run's artifact into the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// The step's index in the job.
    pub step: usize,
    /// How it is named in messages (`step 3`, `` `Download` ``).
    pub name: String,
    /// Where the files land.
    pub place: Place,
}

/// A later step that runs code from where an artifact was unpacked.
#[derive(Debug, Clone)]
pub struct Execution<'j> {
    /// The download whose files run.
    pub download: Download,
    /// The scalar where it is written (`run` or `uses`).
    pub scalar: &'j Scalar,
    /// The bytes of the command in the scalar's value.
    pub range: Range<usize>,
    /// The command, as a phrase.
    pub what: String,
}

fn step_name(step: &Step) -> String {
    step.name.as_ref().or(step.id.as_ref()).map_or_else(
        || format!("step {}", step.index + 1),
        |n| format!("`{}`", n.value),
    )
}

/// The place an action's `path` input names (`default` when it has none).
fn place_of(path: Option<&str>) -> Place {
    let path = path.map(str::trim).unwrap_or("");
    let path = path
        .strip_prefix("${{ github.workspace }}")
        .map(|p| p.trim_start_matches('/'))
        .unwrap_or(path);
    let path = path
        .strip_prefix("./")
        .unwrap_or(path)
        .trim_end_matches('/');
    if path == "." || path.is_empty() {
        Place::Workspace(String::new())
    } else if path.starts_with(['/', '~', '$']) || path.contains("${{") {
        Place::Elsewhere(path.to_owned())
    } else {
        Place::Workspace(path.to_owned())
    }
}

/// The artifact download an action step makes from another run, if any.
fn action_download(step: &Step) -> Option<Place> {
    let Some(Uses::Remote(action)) = step.action() else {
        return None;
    };
    let name = action.name().to_ascii_lowercase();
    let path = step.with_value("path").map(|s| s.value);
    match name.as_str() {
        // Without `run-id` it downloads the current run's own artifacts.
        "actions/download-artifact" => step.with_value("run-id").map(|_| place_of(path.as_deref())),
        "dawidd6/action-download-artifact" => Some(place_of(path.as_deref())),
        "actions/github-script" => {
            let script = step.with_value("script")?.value;
            // The script writes the archive where it says; into the runner's temporary folder
            // is the safe pattern, anything else is taken as the working directory.
            (script.contains("downloadArtifact")
                && !script.contains("RUNNER_TEMP")
                && !script.contains("runner.temp"))
            .then(|| Place::Workspace(String::new()))
        }
        _ => None,
    }
}

/// The commands of one script line: split at `&&`, `||`, `;` and `|`, each with its byte
/// range in the line.
fn commands(line: &str) -> Vec<(Range<usize>, Vec<&str>)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i <= bytes.len() {
        let end = i == bytes.len() || matches!(bytes[i], b';' | b'|' | b'&');
        if end {
            let text = &line[start..i];
            let words: Vec<&str> = text.split_whitespace().collect();
            if !words.is_empty() {
                let lead = text.len() - text.trim_start().len();
                out.push((start + lead..start + text.trim_end().len(), words));
            }
            while i < bytes.len() && matches!(bytes[i], b';' | b'|' | b'&') {
                i += 1;
            }
            start = i;
        }
        i += 1;
    }
    out
}

/// Programs that run a file named by a later word.
const INTERPRETERS: &[&str] = &[
    "bash", "sh", "zsh", "source", ".", "python", "python3", "node", "ruby", "perl", "pwsh", "php",
    "deno", "bun",
];

/// Whether `words` (one command, `sudo` and variable assignments dropped) build or run the
/// code of the working directory, whatever file they name: package managers' installs and
/// scripts, build tools.
fn builds_workspace(words: &[&str]) -> bool {
    let Some(program) = words.first() else {
        return false;
    };
    let sub = words.get(1).copied().unwrap_or("");
    let global = words.iter().any(|w| *w == "-g" || *w == "--global");
    match *program {
        "npm" => {
            !global
                && matches!(
                    sub,
                    "install" | "i" | "ci" | "run" | "run-script" | "test" | "start" | "exec"
                )
        }
        "yarn" | "pnpm" => !global && !matches!(sub, "global" | "dlx" | "--version"),
        "make" | "cmake" | "gradle" | "./gradlew" | "mvn" | "./mvnw" | "bundle" | "rake"
        | "composer" | "tox" | "nox" | "pytest" | "dotnet" | "poetry" => true,
        "cargo" => matches!(
            sub,
            "build" | "run" | "test" | "check" | "bench" | "install"
        ),
        "go" => matches!(sub, "run" | "build" | "test" | "generate" | "vet"),
        "pip" | "pip3" => {
            sub == "install"
                && words[2..]
                    .iter()
                    .any(|w| matches!(*w, "." | "-e" | "-r" | "--editable" | "--requirement"))
        }
        "uv" => matches!(sub, "sync" | "run" | "build"),
        _ => false,
    }
}

/// What in one command runs code from `places`, as a phrase.
fn runs_from(words: &[&str], places: &[Download]) -> Option<(String, Download)> {
    let skip = words
        .iter()
        .take_while(|w| **w == "sudo" || (w.contains('=') && !w.starts_with(['-', '='])))
        .count();
    let words = &words[skip..];
    let program = *words.first()?;
    for download in places.iter().rev() {
        let place = &download.place;
        // `./dist/run.sh`, or `dist/run.sh` of a folder the artifact went to.
        let runs_file = (program.starts_with("./")
            || !matches!(place, Place::Workspace(d) if d.is_empty()))
            && place.holds(program);
        if runs_file {
            return Some((format!("`{program}`"), download.clone()));
        }
        if INTERPRETERS.contains(&program) {
            let inline = words.iter().any(|w| matches!(*w, "-c" | "-m" | "-e"));
            if let Some(file) = words[1..]
                .iter()
                .find(|w| !w.starts_with('-'))
                .filter(|w| !inline && place.holds(w))
            {
                return Some((format!("`{program} {file}`"), download.clone()));
            }
        }
        if matches!(place, Place::Workspace(d) if d.is_empty()) && builds_workspace(words) {
            let shown = words.iter().take(2).copied().collect::<Vec<_>>().join(" ");
            return Some((format!("`{shown}`"), download.clone()));
        }
    }
    None
}

/// Where `unzip`/`tar -x` in one command unpacks, if it unpacks.
fn unpacks(words: &[&str]) -> Option<Place> {
    let program = *words.first()?;
    let flag_value = |flags: &[&str]| {
        words
            .iter()
            .position(|w| flags.contains(w))
            .and_then(|i| words.get(i + 1))
            .copied()
    };
    match program {
        "unzip" => Some(place_of(flag_value(&["-d"]))),
        "tar"
            if words
                .get(1)
                .is_some_and(|w| w.trim_start_matches('-').contains('x')) =>
        {
            Some(place_of(flag_value(&["-C", "--directory"])))
        }
        _ => None,
    }
}

/// `gh run download`'s folder (`--dir`/`-D`, else the working directory).
fn gh_download(words: &[&str]) -> Option<Place> {
    let at = words
        .windows(3)
        .position(|w| w == ["gh", "run", "download"])?;
    let rest = &words[at..];
    let dir = rest
        .iter()
        .position(|w| *w == "--dir" || *w == "-D")
        .and_then(|i| rest.get(i + 1))
        .map(|d| d.trim_matches(|c| c == '"' || c == '\''));
    Some(place_of(dir))
}

/// The steps of `job` that run code from artifacts of another run, after the step that
/// brought them in.
pub fn executions(job: &Job) -> Vec<Execution<'_>> {
    let mut places: Vec<Download> = Vec::new();
    let mut found = Vec::new();
    for step in &job.steps {
        if !places.is_empty() {
            if let (Some(Uses::Local(path)), Some(uses)) = (step.action(), step.uses.as_ref()) {
                let word = format!("./{path}");
                if let Some(download) = places.iter().rev().find(|d| d.place.holds(&word)) {
                    found.push(Execution {
                        download: download.clone(),
                        scalar: uses,
                        range: 0..uses.value.len(),
                        what: format!("the local action `./{path}`"),
                    });
                }
            }
        }
        if let Some(run) = &step.run {
            let mut offset = 0;
            // One finding per step: the first command that runs the artifact's code.
            let mut reported = false;
            for line in run.value.split_inclusive('\n') {
                for (range, words) in commands(line) {
                    if let Some((what, download)) = runs_from(&words, &places).filter(|_| !reported)
                    {
                        reported = true;
                        found.push(Execution {
                            download,
                            scalar: run,
                            range: offset + range.start..offset + range.end,
                            what,
                        });
                    }
                    if let Some(place) = gh_download(&words) {
                        places.push(Download {
                            step: step.index,
                            name: step_name(step),
                            place,
                        });
                    } else if !places.is_empty() {
                        if let Some(place) = unpacks(&words) {
                            places.push(Download {
                                step: step.index,
                                name: step_name(step),
                                place,
                            });
                        }
                    }
                }
                offset += line.len();
            }
        }
        if let Some(place) = action_download(step) {
            places.push(Download {
                step: step.index,
                name: step_name(step),
                place,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::github::parse_workflow;

    fn found(steps: &str) -> Vec<(String, String)> {
        let text = format!("on: workflow_run\njobs:\n  j:\n    steps:\n{steps}");
        let workflow = parse_workflow(&text).expect("workflow");
        executions(&workflow.jobs[0])
            .into_iter()
            .map(|e| (e.what, e.download.place.describe()))
            .collect()
    }

    #[test]
    fn building_after_unpacking_into_the_workspace() {
        let steps = "      - uses: actions/download-artifact@v4\n        with:\n          \
                     run-id: ${{ github.event.workflow_run.id }}\n      - run: npm ci && npm test\n";
        assert_eq!(
            found(steps),
            [("`npm ci`".to_owned(), "the workspace".to_owned())]
        );
    }

    #[test]
    fn running_a_file_from_the_artifact_folder() {
        let steps = "      - run: gh run download \"$ID\" --dir out\n      \
                     - run: |\n          jq . out/data.json\n          bash out/deploy.sh\n      \
                     - run: ./out/tool --flag\n      - uses: ./out/action\n";
        assert_eq!(
            found(steps),
            [
                (
                    "`bash out/deploy.sh`".to_owned(),
                    "`out/` of the workspace".to_owned()
                ),
                (
                    "`./out/tool`".to_owned(),
                    "`out/` of the workspace".to_owned()
                ),
                (
                    "the local action `./out/action`".to_owned(),
                    "`out/` of the workspace".to_owned()
                ),
            ]
        );
    }

    /// The documented safe pattern: the artifact goes to the runner's temporary folder or is
    /// read as data; its own run's artifacts (no `run-id`) are not another run's.
    #[test]
    fn data_only_and_own_artifacts_are_not_executions() {
        let temp = "      - uses: actions/download-artifact@v4\n        with:\n          \
                    run-id: ${{ github.event.workflow_run.id }}\n          path: ${{ runner.temp }}/pr\n      \
                    - run: |\n          cat ${{ runner.temp }}/pr/number\n          npm ci\n";
        assert!(found(temp).is_empty());
        let data = "      - uses: dawidd6/action-download-artifact@v6\n      - run: unzip pr.zip\n      \
                    - run: cat diff_*.txt | tee full.txt\n      - run: python3 -m pip install smokeshow\n";
        assert!(found(data).is_empty(), "{:?}", found(data));
        let own = "      - uses: actions/download-artifact@v4\n      - run: make\n";
        assert!(found(own).is_empty());
        // Executing from the temporary folder is still executing the artifact.
        let run_temp = "      - uses: actions/download-artifact@v4\n        with:\n          \
                        run-id: '1'\n          path: ${{ runner.temp }}/pr\n      \
                        - run: sh $RUNNER_TEMP/pr/x.sh\n";
        assert_eq!(found(run_temp).len(), 1);
    }

    #[test]
    fn unpacking_an_archive_moves_the_artifact() {
        let steps = "      - uses: actions/github-script@v7\n        with:\n          \
                     script: await github.rest.actions.downloadArtifact({})\n      \
                     - run: unzip -o pr.zip -d build\n      - run: sudo bash build/install.sh\n";
        assert_eq!(
            found(steps),
            [(
                "`bash build/install.sh`".to_owned(),
                "`build/` of the workspace".to_owned()
            )]
        );
    }
}
