# Sourced by quickstart.sh and .ci/run (both `set -euo pipefail`): pick a Python >= 3.10 and install mlee's
# locked requirements (requirements.lock: exact versions of every package; with MLEE_BACKENDS=1, as .ci/run sets
# it, also requirements-backends.lock: scikit-learn-intelex and the CPU build of PyTorch).
# Inside an active virtual environment that one is used; otherwise ./.venv is created, isolated from the
# system's packages (so the versions a measurement records are the locked ones), and used. A ./.venv that
# shares the system's packages (older mlee) is made again. The ranges the locks come from are requirements.txt
# and requirements-backends.txt; renew the locks with `bash scripts/lock_requirements.sh`.
if [ -z "${VIRTUAL_ENV:-}" ]; then
    BASE_PYTHON="${PYTHON:-python3}"
    if ! "$BASE_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
        echo "mlee needs Python >= 3.10; $BASE_PYTHON is $("$BASE_PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.1x" >&2
        exit 1
    fi
    if [ -f .venv/pyvenv.cfg ] && grep -qi '^include-system-site-packages *= *true' .venv/pyvenv.cfg; then
        echo "mlee: ./.venv shares the system's packages; making it again, isolated"
        rm -rf .venv
    fi
    if [ ! -x .venv/bin/python ]; then
        "$BASE_PYTHON" -m venv .venv
    fi
    PYTHON="$PWD/.venv/bin/python"
else
    PYTHON="${VIRTUAL_ENV}/bin/python"
fi
# Progress: pip's own lines (Collecting / Downloading / Installing ...) are shown, the "already satisfied" ones
# dropped, so a fresh environment shows what it fetches and an installed one prints nothing but two lines.
mlee_pip() {
    "$PYTHON" -m pip install --disable-pip-version-check --progress-bar off "$@" 2>&1 \
        | { grep -v -e '^Requirement already satisfied' -e '^Looking in' -e "^WARNING: Location 'file:" || true; }
}
MLEE_INSTALL_START=$SECONDS
echo "mlee: installing the locked requirements into $("$PYTHON" -c 'import sys; print(sys.prefix)')" \
     "(a fresh environment downloads them from PyPI: a few minutes)"
mlee_pip -r requirements.lock
if [ "${MLEE_BACKENDS:-0}" = 1 ]; then
    torch_pin="$(grep '^torch==' requirements-backends.lock)"
    echo "mlee: installing the optional backends (requirements-backends.lock: scikit-learn-intelex, $torch_pin," \
         "PyTorch's CPU build; for a CUDA build see docs/how-to/backends.md)"
    if ! mlee_pip -r requirements-backends.lock; then
        echo "mlee: $torch_pin (PyTorch's CPU build) or another backend is not on your package index. Get the CPU" \
             "build with: $PYTHON -m pip install -r requirements-backends.lock" \
             "--extra-index-url https://download.pytorch.org/whl/cpu (a CUDA build: see the README)" >&2
        exit 1
    fi
fi
# the editable install of this checkout, unless it is there with every command of pyproject.toml, each pointing
# where pyproject.toml says (a moved module otherwise leaves a command that cannot start) (reinstalling
# rewrites the commands, which a test suite running at the same time would find missing)
if ! "$PYTHON" - <<'PY' 2>/dev/null
import json, os, sys, tomllib
from importlib import metadata
dist = metadata.distribution("mlee")
url = json.loads(dist.read_text("direct_url.json") or "{}")
wanted = tomllib.load(open("pyproject.toml", "rb"))["project"]["scripts"]
have = {e.name: e.value for e in dist.entry_points if e.group == "console_scripts"}
bin_dir = os.path.dirname(sys.executable)
ok = (url.get("dir_info", {}).get("editable") and url.get("url") == "file://" + os.getcwd() and wanted == have
      and all(os.path.exists(os.path.join(bin_dir, name)) for name in wanted))
sys.exit(0 if ok else 1)
PY
then
    "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . >/dev/null
fi
# ELEx's first plot is 1-2 s sooner with plotly.js's basic bundle (mlee/elex/plotly_bundle.py); without npm, or
# offline, ELEx serves Dash's full bundle and says so
if [ ! -f mlee/elex/assets/vendor/plotly-basic.min.js ] && command -v npm >/dev/null 2>&1; then
    bash scripts/fetch_plotly_basic.sh "$PYTHON" \
        || echo "mlee: plotly.js's basic bundle could not be fetched; ELEx will use the full bundle" >&2
fi
echo "mlee: requirements ready ($((SECONDS - MLEE_INSTALL_START)) s)"
export PYTHON
