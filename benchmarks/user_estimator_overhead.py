"""Does a user's estimator cost more per run than the same catalog method? ``--model package.module:Name`` runs
through the same runner as a catalog name: this times whole runs (train window, inference window, robustness,
folders written) of scikit-learn's GaussianNB named both ways, alternating (the order flips every pair so drift
cancels), and the construction of the estimator alone (registry lookup, import, build, check).

Target: the median over pairs of (user run / catalog run) <= 1.10 (a pair runs back to back, so both see the
same machine load; the medians of each are printed too).

    python benchmarks/user_estimator_overhead.py [--runs N] [--dataset iris] [--monitor estimate]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import timeit
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlee.monitoring import Meter  # noqa: E402
from mlee.runs.datasets import load_dataset  # noqa: E402
from mlee.runs.hyperparams import find_hyperparameters  # noqa: E402
from mlee.runs.methods import make_estimator  # noqa: E402
from mlee.runs.preparation import prepare  # noqa: E402
from mlee.runs.runner import RunSettings, _Context, run_with_settings  # noqa: E402
from mlee.runs.user_model import register_user_model  # noqa: E402

TARGET = 1.10
CATALOG = "Gaussian Naive Bayes"
USER = "sklearn.naive_bayes:GaussianNB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each (default 20)")
    parser.add_argument("--dataset", default="iris", help="a catalog dataset (default iris)")
    parser.add_argument("--monitor", default="estimate", help="meter source (default estimate)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    user = register_user_model(USER).method
    data = prepare(load_dataset(args.dataset), seed=42)
    meter = Meter(monitor=args.monitor)
    context = _Context()
    times: dict[str, list[float]] = {CATALOG: [], user: []}
    with tempfile.TemporaryDirectory() as folder:
        settings = RunSettings(output_dir=Path(folder), hyperparameters="default",
                               monitor_options={"monitor": args.monitor})
        hp = {m: find_hyperparameters(args.dataset, m, "default") for m in times}
        assert make_estimator(CATALOG).get_params() == make_estimator(user).get_params(), "not the same estimator"
        for method in times:  # warm-up: imports, first windows
            run_with_settings(data, method, settings, meter, 0, hp[method], context)
        for i in range(args.runs):
            for method in ((CATALOG, user) if i % 2 == 0 else (user, CATALOG)):
                start = time.perf_counter()
                outcome = run_with_settings(data, method, settings, meter, i, hp[method], context)
                times[method].append(time.perf_counter() - start)
                assert outcome.ok, outcome.error
    build = {m: min(timeit.repeat(lambda m=m: make_estimator(m, seed=1), number=200, repeat=5)) / 200 for m in times}
    catalog_s, user_s = statistics.median(times[CATALOG]), statistics.median(times[user])
    ratio = statistics.median(u / c for u, c in zip(times[user], times[CATALOG]))
    print(f"dataset {args.dataset}, monitor {args.monitor}, {args.runs} runs each, load {os.getloadavg()[0]:.2f}")
    print(f"catalog  {CATALOG!r}: median run {catalog_s * 1000:.1f} ms, estimator built in "
          f"{build[CATALOG] * 1e6:.0f} us")
    print(f"user     {user!r}: median run {user_s * 1000:.1f} ms, estimator built in {build[user] * 1e6:.0f} us")
    print(f"ratio user / catalog: {ratio:.3f} (target <= {TARGET:.2f}) {'ok' if ratio <= TARGET else 'MISSED'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
