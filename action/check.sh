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

# The organisation's policy: OWNER/REPO@REF, fetched at that ref (a commit SHA or a tag the
# organisation does not move) outside the workspace, so it is not part of the repository
# checked; `extends = ["org:goldpath.toml"]` in the repository's policy reads it.
if [ -n "${INPUT_ORG_POLICY:-}" ]; then
  case "$INPUT_ORG_POLICY" in
    */*@?*) ;;
    *)
      echo "::error title=goldpath::org-policy must be OWNER/REPO@REF (a pinned commit SHA or tag), got '$INPUT_ORG_POLICY'" >&2
      exit 2 ;;
  esac
  org_repo="${INPUT_ORG_POLICY%@*}"
  org_ref="${INPUT_ORG_POLICY##*@}"
  org_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/goldpath-org-policy"
  rm -rf "$org_dir" && mkdir -p "$org_dir"
  auth=()
  if [ -n "${INPUT_ORG_POLICY_TOKEN:-}" ]; then
    basic="$(printf 'x-access-token:%s' "$INPUT_ORG_POLICY_TOKEN" | base64 | tr -d '\n')"
    echo "::add-mask::$basic"
    auth=(-c "http.extraheader=AUTHORIZATION: basic $basic")
  fi
  if ! git -C "$org_dir" init -q \
    || ! git -C "$org_dir" "${auth[@]}" fetch -q --depth 1 --no-tags \
      "${GITHUB_SERVER_URL:-https://github.com}/$org_repo" "$org_ref" \
    || ! git -C "$org_dir" -c advice.detachedHead=false checkout -q FETCH_HEAD; then
    echo "::error title=goldpath::cannot fetch the organisation's policy $org_repo at $org_ref" >&2
    exit 2
  fi
  echo "goldpath: organisation policy $org_repo at $(git -C "$org_dir" rev-parse HEAD)" >&2
  export GOLDPATH_ORG_POLICY="$org_dir"
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
