#!/usr/bin/env bash
# Installs goldpath for the GitHub Action.
#
# INPUT_VERSION set: downloads that release for this runner and checks it against the sha256
# published beside it (GOLDPATH_RELEASE_URL overrides the download base, for tests and mirrors).
# INPUT_VERSION empty: builds the action's own source with `cargo install --locked`, into
# ~/.goldpath-action, which the action caches between runs.
set -euo pipefail

root="${GOLDPATH_INSTALL_ROOT:-$HOME/.goldpath-action}"
bin="$root/bin"
mkdir -p "$bin"

add_to_path() {
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$bin" >> "$GITHUB_PATH"
  fi
  "$bin/goldpath" --version
}

if [ -n "${INPUT_VERSION:-}" ]; then
  version="${INPUT_VERSION#v}"
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
    Linux-aarch64) target=aarch64-unknown-linux-gnu ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    *) echo "::error title=goldpath::no goldpath release for $(uname -s)-$(uname -m); leave 'version' empty to build from source" >&2; exit 2 ;;
  esac
  base="${GOLDPATH_RELEASE_URL:-https://github.com/goldpath/goldpath/releases/download}"
  archive="goldpath-${version}-${target}.tar.gz"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  curl --fail --silent --show-error --location --retry 3 -o "$work/$archive" "$base/v${version}/$archive"
  curl --fail --silent --show-error --location --retry 3 -o "$work/$archive.sha256" "$base/v${version}/$archive.sha256"
  expected="$(cut -d ' ' -f 1 < "$work/$archive.sha256" | tr -d '[:space:]')"
  actual="$(sha256sum "$work/$archive" | cut -d ' ' -f 1)"
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    echo "::error title=goldpath::checksum mismatch for $archive: expected '$expected', got '$actual'" >&2
    exit 2
  fi
  tar -xzf "$work/$archive" -C "$work"
  install -m 0755 "$(find "$work" -type f -name goldpath | head -n 1)" "$bin/goldpath"
  add_to_path
  exit 0
fi

if [ -x "$bin/goldpath" ]; then
  echo "goldpath: using the cached build in $bin"
  add_to_path
  exit 0
fi

source_dir="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
cargo install --locked --path "$source_dir" --root "$root"
add_to_path
