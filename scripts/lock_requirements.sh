#!/usr/bin/env bash
# Renew the lock files from the ranges: requirements.txt -> requirements.lock (what mlee, its integrations and
# its tests need), requirements-backends.txt -> requirements-backends.lock (scikit-learn-intelex and the CPU
# build of PyTorch, installed on top). Each lock holds the exact version of every package, dependencies
# included; scripts/python_env.sh (quickstart.sh, .ci/run) installs the locks, never the ranges.
# Usage: bash scripts/lock_requirements.sh   (a few minutes: it installs everything into a temporary venv)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip --disable-pip-version-check -q)
header() {
    echo "# Exact versions: $1 resolved with $("$work/venv/bin/python" --version) on $(uname -sm)."
    echo "# Renew with: bash scripts/lock_requirements.sh (never edit by hand)."
}
freeze() { "${pip[@]}" freeze --all --exclude-editable | grep -v -e '^pip==' | LC_ALL=C sort -f; }

"${pip[@]}" install --upgrade -r requirements.txt "setuptools>=64" wheel  # newest setuptools: torch asks for a newer one than venv ships
{ header requirements.txt; freeze; } > "$work/base.lock"
# torch first and pinned: a plain range would take PyPI's CUDA build (several GB) where no CPU build is found
"${pip[@]}" install "torch==2.13.0"
"${pip[@]}" install -r requirements-backends.txt
{ header requirements-backends.txt; freeze | grep -vxF -f <(grep -v '^#' "$work/base.lock"); } > "$work/backends.lock"
mv "$work/base.lock" requirements.lock
mv "$work/backends.lock" requirements-backends.lock
echo "wrote requirements.lock ($(grep -vc '^#' requirements.lock) packages) and requirements-backends.lock" \
     "($(grep -vc '^#' requirements-backends.lock) packages)"
