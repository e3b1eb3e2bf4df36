#!/usr/bin/env bash
# Re-fetch the vendored front-end files from the npm registry, pinned by version, and keep
# them only when each file's sha256 equals the one recorded below. There is no build step:
# these files are served (htmx, Pico) or injected by the browser tests (axe-core) as they are.
#
# Usage: scripts/vendor.sh            fetch, verify, install
#        scripts/vendor.sh --check    verify the files already in the tree, fetch nothing
# NPM_REGISTRY overrides https://registry.npmjs.org (a mirror).
#
# To move to a new version: change it below, run once, read the diff of the new file, then
# record the sha256 the script prints as "got".
set -euo pipefail
cd "$(dirname "$0")/.."

REGISTRY=${NPM_REGISTRY:-https://registry.npmjs.org}
STATIC=src/aihub/web/static/vendor
TESTS=tests/browser/vendor

# package  version  file-in-package  destination  sha256
FILES=(
  "htmx.org      2.0.11 dist/htmx.min.js $STATIC/htmx-2.0.11.min.js d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
  "htmx.org      2.0.11 LICENSE          $STATIC/htmx.LICENSE       d3d2456f76414f2456104660ebd65aff1c04cd7966b942bdabd63f3cdb316a38"
  "@picocss/pico 2.1.1  css/pico.min.css $STATIC/pico-2.1.1.min.css fbc9a63fc9fc9f72d12fd7fc9806e11fa9f77ae4f9cad146b27003a1119ba3db"
  "@picocss/pico 2.1.1  LICENSE.md       $STATIC/pico.LICENSE.md    afaff063e044233f917b7807dccab022f09dca474f92b642846bee4850655bbf"
  "axe-core      4.14.1 axe.min.js       $TESTS/axe-core-4.14.1.min.js 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
  "axe-core      4.14.1 LICENSE          $TESTS/axe-core.LICENSE    af175b9d96ee93c21a036152e1b905b0b95304d4ae8c2c921c7609100ba8df7e"
)

sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ "${1:-}" = "--check" ]; then
  status=0
  for line in "${FILES[@]}"; do
    read -r _ _ _ dest sum <<<"$line"
    if [ ! -f "$dest" ] || [ "$(sha "$dest")" != "$sum" ]; then
      echo "MISMATCH $dest" >&2; status=1
    else
      echo "ok       $dest"
    fi
  done
  exit "$status"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Fetch and check everything first, so a bad download never leaves half the files replaced.
for line in "${FILES[@]}"; do
  read -r package version inner dest sum <<<"$line"
  name=${package##*/}
  unpacked="$work/$name-$version"
  if [ ! -d "$unpacked" ]; then
    mkdir -p "$unpacked"
    curl -fsSL --retry 3 "$REGISTRY/$package/-/$name-$version.tgz" -o "$unpacked.tgz"
    tar -xzf "$unpacked.tgz" -C "$unpacked"
  fi
  got=$(sha "$unpacked/package/$inner")
  if [ "$got" != "$sum" ]; then
    echo "sha256 mismatch for $package@$version $inner:" >&2
    echo "  expected $sum" >&2
    echo "  got      $got" >&2
    exit 1
  fi
done

for line in "${FILES[@]}"; do
  read -r package version inner dest _ <<<"$line"
  mkdir -p "$(dirname "$dest")"
  cp "$work/${package##*/}-$version/package/$inner" "$dest"
  echo "vendored $package@$version $inner -> $dest"
done
