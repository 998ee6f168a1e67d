#!/usr/bin/env bash
# Runs goldpath for the GitHub Action: annotations (workflow commands), a job summary, and
# optionally SARIF. On pull requests it judges what the pull request changed and reads the
# policy from the base commit, from the event payload's base and head (GITHUB_SHA is the merge
# commit, so it is not used). Inputs arrive as INPUT_* environment variables.
set -uo pipefail

workspace="${GITHUB_WORKSPACE:-$PWD}"
event="${GITHUB_EVENT_NAME:-}"
args=(check "$workspace" --format github)

is_pull_request=false
case "$event" in
  pull_request|pull_request_target) is_pull_request=true ;;
esac

resolve() { # resolve INPUT: auto means "on pull requests"
  case "${1:-auto}" in
    true) echo true ;;
    false) echo false ;;
    auto) echo "$is_pull_request" ;;
    *) echo "::error title=goldpath::expected true, false or auto, got '$1'" >&2; exit 2 ;;
  esac
}
only_changed="$(resolve "${INPUT_ONLY_CHANGED:-auto}")" || exit 2
policy_from_base="$(resolve "${INPUT_POLICY_FROM_BASE:-auto}")" || exit 2

json_field() { # json_field FILE FILTER
  if command -v jq >/dev/null 2>&1; then
    jq -r "$2 // empty" "$1"
  else
    python3 - "$1" "$2" <<'PY'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].lstrip(".").split("."):
    value = value.get(key) if isinstance(value, dict) else None
print(value if isinstance(value, str) else "")
PY
  fi
}

if [ "$is_pull_request" = true ] && { [ "$only_changed" = true ] || [ "$policy_from_base" = true ]; }; then
  base="$(json_field "${GITHUB_EVENT_PATH:?GITHUB_EVENT_PATH is not set}" .pull_request.base.sha)"
  head="$(json_field "$GITHUB_EVENT_PATH" .pull_request.head.sha)"
  if [ -z "$base" ] || [ -z "$head" ]; then
    echo "::error title=goldpath::the event payload has no pull_request.base.sha or head.sha" >&2
    exit 2
  fi
  # actions/checkout fetches one commit; fetch the two sides when they are missing.
  for sha in "$base" "$head"; do
    if ! git -C "$workspace" cat-file -e "$sha^{commit}" 2>/dev/null; then
      git -C "$workspace" fetch --no-tags --quiet origin "$sha" || true
    fi
  done
  if [ "$only_changed" = true ]; then
    args+=(--base "$base" --rev "$head")
  fi
  if [ "$policy_from_base" = true ]; then
    args+=(--policy-from "$base")
  fi
fi

if [ -n "${INPUT_CONFIG:-}" ]; then
  args+=(--config "$INPUT_CONFIG")
fi
if [ -n "${INPUT_FAIL_ON:-}" ]; then
  args+=(--fail-on "$INPUT_FAIL_ON")
fi
if [ -n "${INPUT_SARIF:-}" ]; then
  # The path is written to $GITHUB_OUTPUT as `sarif=PATH`: a line break in it would add an
  # output of its own.
  case "$INPUT_SARIF" in
    *$'\n'*|*$'\r'*)
      echo "::error title=goldpath::the sarif input must be one path, without line breaks" >&2
      exit 2 ;;
  esac
  args+=(--report "sarif:$INPUT_SARIF")
fi
if [ -n "${INPUT_ARGS:-}" ]; then
  # Every line of a multi-line `args: |` block counts, each split on whitespace.
  while IFS= read -r line || [ -n "$line" ]; do
    read -r -a extra <<< "$line"
    if [ "${#extra[@]}" -gt 0 ]; then
      args+=("${extra[@]}")
    fi
  done <<< "$INPUT_ARGS"
fi

echo "goldpath ${args[*]}" >&2
goldpath "${args[@]}"
status=$?

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$status" >> "$GITHUB_OUTPUT"
  if [ -n "${INPUT_SARIF:-}" ] && [ -f "$INPUT_SARIF" ]; then
    echo "sarif=$INPUT_SARIF" >> "$GITHUB_OUTPUT"
  fi
fi
exit "$status"
