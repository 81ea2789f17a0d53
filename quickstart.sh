#!/usr/bin/env bash
# The README's "run it" command. Installs what mlee needs (./.venv unless a virtual environment is active),
# evaluates two methods on the bundled iris dataset, merges, rates, writes the labels and the paper outputs
# into quickstart_output/, then serves ELEx on the shipped results at http://127.0.0.1:8050/ (Ctrl+C stops).
# Extra flags go to `python -m mlee.quickstart` (e.g. --no-serve, --port 8051, --dataset wine).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/python_env.sh
exec "$PYTHON" -m mlee.quickstart "$@"
