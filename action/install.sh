#!/usr/bin/env bash
# Installs goldpath for the GitHub Action.
#
#   install.sh resolve   decides where goldpath comes from and writes to $GITHUB_OUTPUT:
#                        mode (release or source), version (for a release), and for a source
#                        build the cache key (runner, toolchain `rustc -V`, Cargo.lock).
#   install.sh           installs it into $GOLDPATH_INSTALL_ROOT/bin (default ~/.goldpath-action).
#
# Where goldpath comes from:
# - INPUT_VERSION set: that release.
# - else the release of the action's own version, when the workflow pinned the action to a
#   release: ACTION_REF (github.action_ref) is the tag vX.Y.Z, or a commit SHA that the tag
#   v<version in the action's Cargo.toml> points to (asked with `git ls-remote`).
# - else (a branch, an untagged commit, `uses: ./`) the action's own source, built with
#   `cargo install --locked` and cached by the action.
# A release archive is checked against the sha256 published beside it; a mismatch stops with
# exit status 2 before anything is installed. GOLDPATH_RELEASE_URL overrides the download base
# (tests, mirrors), GOLDPATH_SOURCE_REPO the repository asked for tags.
#
# Runners: Linux (x86_64, aarch64; musl libc gets the static build), macOS (x86_64, arm64) and
# Windows (x86_64, in Git Bash, which is the runner's `bash`): a .zip with goldpath.exe.
set -euo pipefail

root="${GOLDPATH_INSTALL_ROOT:-$HOME/.goldpath-action}"
bin="$root/bin"
source_dir="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
repository="${ACTION_REPOSITORY:-goldpath/goldpath}"
server="${GITHUB_SERVER_URL:-https://github.com}"

fail() {
  echo "::error title=goldpath::$*" >&2
  exit 2
}

# The version of the action's own source (the root package, goldpath-cli).
source_version() {
  sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$source_dir/Cargo.toml" | head -n 1
}

# The release to install, or nothing for a source build.
release_version() {
  if [ -n "${INPUT_VERSION:-}" ]; then
    echo "${INPUT_VERSION#v}"
    return
  fi
  local ref="${ACTION_REF:-}"
  if [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
    echo "${ref#v}"
    return
  fi
  if [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
    local version tagged
    version="$(source_version)"
    [ -n "$version" ] || return 0
    # The peeled tag (`^{}`) is the commit an annotated tag points to.
    tagged="$(git ls-remote "${GOLDPATH_SOURCE_REPO:-$server/$repository}" \
      "refs/tags/v$version" "refs/tags/v$version^{}" 2>/dev/null | awk '{print $1}' | tail -n 1)" || true
    if [ "$tagged" = "$ref" ]; then
      echo "$version"
    fi
  fi
}

host_target() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64 | Linux-aarch64)
      local libc=gnu
      if ldd --version 2>&1 | grep -qi musl; then libc=musl; fi
      echo "$(uname -m)-unknown-linux-$libc"
      ;;
    Darwin-arm64) echo aarch64-apple-darwin ;;
    Darwin-x86_64) echo x86_64-apple-darwin ;;
    MINGW*-x86_64 | MSYS*-x86_64 | CYGWIN*-x86_64) echo x86_64-pc-windows-msvc ;;
    *) fail "no goldpath release for $(uname -s)-$(uname -m); leave 'version' empty and pin the action to a commit that is not a release to build from source" ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1" >> "$GITHUB_OUTPUT"
  fi
  echo "goldpath: $1"
}

if [ "${1:-}" = "resolve" ]; then
  version="$(release_version)"
  if [ -n "$version" ]; then
    output "mode=release"
    output "version=$version"
  else
    output "mode=source"
    toolchain="$(rustc -V 2>/dev/null || echo no-rustc)"
    key="goldpath-$(uname -s)-$(uname -m)-${ACTION_REF:-${GITHUB_SHA:-local}}"
    key="$key-$(printf '%s' "$toolchain" | tr -c 'A-Za-z0-9.' '-')"
    key="$key-$(sha256 "$source_dir/Cargo.lock" | cut -c 1-16)"
    output "cache-key=$key"
  fi
  exit 0
fi

mkdir -p "$bin"

add_to_path() {
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$bin" >> "$GITHUB_PATH"
  fi
  "$bin/goldpath" --version
}

version="$(release_version)"
if [ -n "$version" ]; then
  target="$(host_target)"
  case "$target" in
    *windows*) ext=zip exe=goldpath.exe ;;
    *) ext=tar.gz exe=goldpath ;;
  esac
  base="${GOLDPATH_RELEASE_URL:-$server/$repository/releases/download}"
  archive="goldpath-${version}-${target}.${ext}"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  curl --fail --silent --show-error --location --retry 3 -o "$work/$archive" "$base/v${version}/$archive" ||
    fail "could not download $base/v${version}/$archive"
  curl --fail --silent --show-error --location --retry 3 -o "$work/$archive.sha256" "$base/v${version}/$archive.sha256" ||
    fail "could not download $base/v${version}/$archive.sha256"
  expected="$(cut -d ' ' -f 1 < "$work/$archive.sha256" | tr -d '[:space:]')"
  actual="$(sha256 "$work/$archive")"
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    fail "checksum mismatch for $archive: expected '$expected', got '$actual'"
  fi
  mkdir "$work/x"
  if [ "$ext" = zip ]; then
    unzip -q "$work/$archive" -d "$work/x"
  else
    tar -xzf "$work/$archive" -C "$work/x"
  fi
  found="$(find "$work/x" -type f -name "$exe" | head -n 1)"
  [ -n "$found" ] || fail "$archive holds no $exe"
  install -m 0755 "$found" "$bin/goldpath${exe#goldpath}"
  add_to_path
  exit 0
fi

if [ -x "$bin/goldpath" ]; then
  echo "goldpath: using the cached build in $bin"
  add_to_path
  exit 0
fi

cargo install --locked --path "$source_dir" --root "$root"
add_to_path
