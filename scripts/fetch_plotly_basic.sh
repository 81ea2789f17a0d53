#!/usr/bin/env bash
# Install plotly.js's basic bundle (scatter, bar, pie) for ELEx's page, the release the installed plotly draws
# with, from the npm registry, into mlee/elex/assets/vendor/ (ignored by git). Without it ELEx serves Dash's full
# plotly.js bundle and its first plot waits 1-2 s longer (see mlee/elex/plotly_bundle.py). Needs npm.
# Usage: scripts/fetch_plotly_basic.sh [python]
set -euo pipefail
PYTHON="${1:-${PYTHON:-python3}}"
cd "$(dirname "$0")/.."
VERSION=$("$PYTHON" -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')
DEST=mlee/elex/assets/vendor
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "plotly.js-basic-dist-min@$VERSION" >/dev/null && tar xzf ./*.tgz)
mkdir -p "$DEST"
cp "$WORK/package/LICENSE" "$DEST/plotly-basic.LICENSE"
cp "$WORK/package/plotly-basic.min.js" "$DEST/.plotly-basic.min.js.tmp"
mv "$DEST/.plotly-basic.min.js.tmp" "$DEST/plotly-basic.min.js"
echo "installed plotly.js basic $VERSION into $DEST"
