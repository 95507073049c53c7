#!/usr/bin/env bash
# package.sh [OUTDIR] - build the Debian package watchpost_<version>_amd64.deb with debhelper
# (debian/), from a copy of the source tree so the checkout stays clean. OUTDIR defaults to
# build/package. Prints the path of the .deb on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
OUT=$(mkdir -p "${1:-build/package}" && cd "${1:-build/package}" && pwd)
scripts/install-deps.sh >&2
W=$(mktemp -d /tmp/wp-package.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir "$W/watchpost"
# the tracked files only (no build trees, no shared corpora)
git -C "$SRC" ls-files -z --cached --others --exclude-standard | grep -zv '^build/' |
  (cd "$SRC" && xargs -0 cp --parents -t "$W/watchpost") 
(cd "$W/watchpost" && nice dpkg-buildpackage -b -uc -us -j2 >&2)
V=$(dpkg-parsechangelog -l debian/changelog -S Version)
cp "$W/watchpost_${V}_amd64.deb" "$OUT/"
echo "$OUT/watchpost_${V}_amd64.deb"
