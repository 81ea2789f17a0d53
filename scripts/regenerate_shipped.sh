#!/usr/bin/env bash
# Regenerate shipped/results/, shipped/results_boosting/, shipped/results_regression/ and shipped/paper_results/
# with the code of this checkout, by the commands the docs
# give (docs: "Shipped results"): the bundled sweep with 3 repeats for each implementation, merged, then the paper
# tables and figures. Everything is written into a temporary folder first and moves into shipped/ only when every
# step succeeded, so a failed or interrupted run leaves the shipped files as they were.
# Usage: bash scripts/regenerate_shipped.sh [ISSUE_DATE]   (YYYY-MM-DD printed on the labels; default: today)
# Takes ~5-10 min on 2 cores; run it on a quiet machine (the estimates follow running time and CPU use).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
ISSUE_DATE="${1:-$(date +%F)}"
BACKENDS="${MLEE_SHIPPED_BACKENDS:-sklearn sklearnex torch}"
# XGBoost and LightGBM implement one method (HGB): apart, so that the default results are not rated against
# a reference those environments cannot have
BOOSTING="${MLEE_SHIPPED_BOOSTING:-xgboost lightgbm}"
work="$(mktemp -d "${TMPDIR:-/tmp}/mlee-shipped-XXXXXX")"
trap 'rm -rf "$work"' EXIT

for backend in $BACKENDS; do
    echo "== $backend: bundled sweep, 3 repeats" >&2
    "$PYTHON" evaluate_sklearn.py --backend "$backend" --repeats 3 --no-progress --output-dir "$work/logs/$backend"
    "$PYTHON" merge_results.py --directory "$work/logs/$backend" --output-agglog-dir "$work/results/$backend"
done
for backend in $BOOSTING; do
    echo "== $backend: HGB on the bundled datasets, 3 repeats" >&2
    "$PYTHON" evaluate_sklearn.py --backend "$backend" --repeats 3 --no-progress --output-dir "$work/logs/$backend"
    "$PYTHON" merge_results.py --directory "$work/logs/$backend" --output-agglog-dir "$work/results_boosting/$backend"
done
echo "== sklearn: regression sweep (diabetes, synthetic_regression_1000x20), 3 repeats" >&2
"$PYTHON" evaluate_sklearn.py --dataset diabetes synthetic_regression --repeats 3 --no-progress \
    --output-dir "$work/logs/regression"
"$PYTHON" merge_results.py --directory "$work/logs/regression" --output-agglog-dir "$work/results_regression/sklearn"
echo "== paper results (labels dated $ISSUE_DATE)" >&2
"$PYTHON" create_paper_results.py --directory "$work/results" --output "$work/paper_results" --issue-date "$ISSUE_DATE"

# the merge's state and table describe these files at these paths (inodes, times): a clone gets other ones
find "$work/results" "$work/results_regression" "$work/results_boosting" -name '.mlee-*' -exec rm -rf {} +

for backend in $BACKENDS; do
    rm -rf "shipped/results/$backend.old"
    [ -d "shipped/results/$backend" ] && mv "shipped/results/$backend" "shipped/results/$backend.old"
    mv "$work/results/$backend" "shipped/results/$backend"
    rm -rf "shipped/results/$backend.old"
done
for folder in results_regression results_boosting; do
    rm -rf "shipped/$folder.old"
    [ -d "shipped/$folder" ] && mv "shipped/$folder" "shipped/$folder.old"
    mv "$work/$folder" "shipped/$folder"
    rm -rf "shipped/$folder.old"
done
rm -rf shipped/paper_results.old
mv shipped/paper_results shipped/paper_results.old
mv "$work/paper_results" shipped/paper_results
rm -rf shipped/paper_results.old
echo "shipped/results/ ($BACKENDS), shipped/results_boosting/ ($BOOSTING), shipped/results_regression/ and" \
     "shipped/paper_results/ regenerated" >&2
