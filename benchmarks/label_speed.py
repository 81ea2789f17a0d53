"""Median time per energy label as PDF and as SVG over 50 labels (original: 244 ms per PDF plus 202 ms per
preview image; targets: <= 25 ms per PDF, <= 15 ms per SVG).

Usage: python benchmarks/label_speed.py [--labels 50] [--results ../shared/reference/published-results]
Labels are the first N rated summaries of the published results (rating engine, Contract 4) when that folder
exists, else N generated summaries of the catalog's methods and datasets. Each label is rendered from its
ModelSummary to bytes (drawing built, rendered, nothing cached but the QR codes of the methods' URLs);
the first render of each format, which pays imports and fills that cache, is reported apart.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PUBLISHED = ROOT.parent / "shared" / "reference" / "published-results"
TARGETS_MS = {"pdf": 25.0, "svg": 15.0}
ORIGINAL_MS = {"pdf": 244.0, "svg": 202.0}


def generated_summaries(n: int) -> list:
    """``n`` summaries over the catalog's methods x datasets with varied values (no results needed)."""
    from mlee.catalog import dataset_display, datasets, method_doc_url, method_short, methods
    from mlee.rating.summary import MetricSummary, ModelSummary

    out = []
    pairs = itertools.product(sorted(datasets()), sorted(methods()), ("inference", "training"))
    for i, (dataset, model, task) in enumerate(itertools.islice(pairs, n)):
        scale = 1.0 + i * 0.37
        values = {"power_draw": 12.3 * scale, "time": 0.21 * scale, "f1_val": 0.5 + (i % 7) / 20,
                  "top1_val": 0.55 + (i % 5) / 15, "top5_val": None, "parameters": 2792.0 * scale ** 3,
                  "flops": 9.9e5 * scale, "fsize": 8.4e4 * scale}
        metrics = {k: MetricSummary(k, v, index=1.0, rating=(i + j) % 5, weight=0.3)
                   for j, (k, v) in enumerate(values.items())}
        out.append(ModelSummary(model=model, model_short=method_short(model), dataset=dataset,
                                dataset_display=dataset_display(dataset), task=task,
                                environment="Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz - scikit-learn 1.1.2",
                                compound_rating=i % 5, rating_mode="optimistic median", fingerprint="0123abcd",
                                reference_model="Random Forest", energy_sources="CPU package-0 + DRAM (RAPL)",
                                n_test_samples=1000 + i, n_runs=1, doc_url=method_doc_url(model), metrics=metrics))
    return out


def published_summaries(results: Path, n: int) -> list:
    from mlee.rating import RatingSettings, rate, summaries
    from mlee.results import aggregate_runs, load_results

    settings = RatingSettings.default()
    rated = rate(aggregate_runs(load_results(results)), settings)
    return summaries(rated, settings)[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=50, help="number of labels (default 50)")
    parser.add_argument("--results", type=Path, default=PUBLISHED, help="results folder (published results)")
    parser.add_argument("--generated", action="store_true", help="use generated summaries, not the results")
    args = parser.parse_args()

    from mlee.label import render_label
    from mlee.label.render import ACCELERATED

    source = "generated"
    if not args.generated and args.results.is_dir():
        try:
            summaries = published_summaries(args.results, args.labels)
            source = f"rated results of {args.results}"
        except ImportError as error:  # rating engine not installed in this checkout
            print(f"(rating engine unavailable: {error}; using generated summaries)")
            summaries = generated_summaries(args.labels)
    else:
        summaries = generated_summaries(args.labels)
    day = datetime.date(2026, 11, 28)
    print(f"{len(summaries)} labels from {source}; reportlab C accelerator: {'yes' if ACCELERATED else 'NO'}")
    ok = True
    for fmt in ("pdf", "svg"):
        start = time.perf_counter()
        render_label(summaries[0], fmt, day)
        first_ms = (time.perf_counter() - start) * 1000
        times = []
        for summary in summaries:
            start = time.perf_counter()
            data = render_label(summary, fmt, day)
            times.append((time.perf_counter() - start) * 1000)
        median = statistics.median(times)
        ok &= median <= TARGETS_MS[fmt]
        print(f"{fmt.upper()}: median {median:.1f} ms per label (min {min(times):.1f}, max {max(times):.1f}; "
              f"first {first_ms:.1f} ms; {len(data)} bytes) - target <= {TARGETS_MS[fmt]:.0f} ms: "
              f"{'ok' if median <= TARGETS_MS[fmt] else 'MISSED'}; original {ORIGINAL_MS[fmt]:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
