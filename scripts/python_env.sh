# Sourced by quickstart.sh and .ci/run (both `set -euo pipefail`): pick a Python >= 3.10 and make sure mlee's
# requirements are installed (with MLEE_BACKENDS=1, as .ci/run sets it, also the optional backends:
# torch==2.13.0 first, then requirements-backends.txt).
# Inside an active virtual environment that one is used; otherwise ./.venv is created (with access to the
# system's site-packages, so that already installed packages are reused) and used.
if [ -z "${VIRTUAL_ENV:-}" ]; then
    BASE_PYTHON="${PYTHON:-python3}"
    if ! "$BASE_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
        echo "mlee needs Python >= 3.10; $BASE_PYTHON is $("$BASE_PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.1x" >&2
        exit 1
    fi
    if [ ! -x .venv/bin/python ]; then
        "$BASE_PYTHON" -m venv --system-site-packages .venv
    fi
    PYTHON="$PWD/.venv/bin/python"
else
    PYTHON="${VIRTUAL_ENV}/bin/python"
fi
# Progress: pip's own lines (Collecting / Downloading / Installing ...) are shown, the "already satisfied" ones
# dropped, so a fresh environment shows what it fetches and an installed one prints nothing but two lines.
MLEE_INSTALL_START=$SECONDS
echo "mlee: checking the Python requirements in $("$PYTHON" -c 'import sys; print(sys.prefix)')" \
     "(a fresh environment downloads and installs them from PyPI: a few minutes)"
"$PYTHON" -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt "setuptools>=64" wheel \
    | { grep -v -e '^Requirement already satisfied' -e '^Looking in' || true; }
if [ "${MLEE_BACKENDS:-0}" = 1 ]; then  # the optional backends: torch pinned first (a plain install may pull CUDA)
    if ! "$PYTHON" -c 'import importlib.metadata as m, sys; v = tuple(int(p) for p in m.version("torch").split("+")[0].split(".")[:2]); sys.exit(not (2, 4) <= v < (3, 0))' 2>/dev/null; then
        echo "mlee: installing torch==2.13.0 for the PyTorch backend"
        "$PYTHON" -m pip install --disable-pip-version-check --progress-bar off "torch==2.13.0" \
            | { grep -v -e '^Requirement already satisfied' -e '^Looking in' || true; }
    fi
    echo "mlee: checking the optional backends (requirements-backends.txt: scikit-learn-intelex, torch)"
    "$PYTHON" -m pip install --disable-pip-version-check --progress-bar off -r requirements-backends.txt \
        | { grep -v -e '^Requirement already satisfied' -e '^Looking in' || true; }
fi
"$PYTHON" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . >/dev/null
echo "mlee: requirements ready ($((SECONDS - MLEE_INSTALL_START)) s)"
export PYTHON
