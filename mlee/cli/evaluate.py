"""Command lines of ``evaluate_sklearn.py`` (experiments) and ``evaluate_hyperparams.py`` (random search).

Both return an exit status: 0 when everything ran, 1 when some runs failed (summary printed), 2 for bad input
(unknown name, missing hyperparameter file) with a message that says how to fix it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from mlee.cli import program, reports_missing_extras
from mlee import catalog
from mlee.runs.datasets import SyntheticSpec, bundled_datasets, known_datasets, resolve_dataset_name
from mlee.runs.errors import ExperimentError, HyperparametersNotFoundError
from mlee.runs.folders import reserve_folder
from mlee.runs.hyperparams import (DEFAULT_CONFIG, FOLDER_PREFIX, available_pairs, find_hyperparameters,
                                         run_search, write_search_result)
from mlee.runs.interrupts import interrupt_guard
from mlee.runs.methods import (BACKENDS, backend_methods, fixed_params, get_backend, method_names,
                                     resolve_method_name)
from mlee.runs.defaults import AVERAGES, DEFAULT_TEST_SIZE
from mlee.cli.executor_options import add_cluster_arguments, wants_cluster
from mlee.cli.user_inputs import (add_user_arguments, apply_user_inputs, own_method, print_notes,
                                  user_inputs_config)
from mlee.runs.user_model import is_user_method

if TYPE_CHECKING:
    from mlee.runs.runner import RunOutcome, RunSettings

log = logging.getLogger("mlee.experiment")

GROUPS = {
    "bundled": "the four datasets bundled with scikit-learn (offline)",
    "study": "the ten datasets of the published study (need a download or a --data-home cache)",
    "all": "every dataset of mlee/data/datasets.json",
    "regression": "the regression datasets bundled with scikit-learn (offline)",
}


def _console_logging(verbose: bool) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_mlee_console", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler._mlee_console = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    handler.addFilter(logging.Filter("mlee"))
    logging.getLogger().addHandler(handler)


def _fraction(text: str) -> float:
    """``--test-size``: a number strictly between 0 and 1 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction between 0 and 1; pass e.g. --test-size 0.25 "
                                         f"(a quarter of the rows for testing)")
    return value


def _add_common(parser: argparse.ArgumentParser, dataset_default: str, dataset_help: str) -> None:
    parser.add_argument("--dataset", nargs="+", default=[dataset_default], metavar="NAME", help=dataset_help)
    parser.add_argument("--model", nargs="+", default=["all"], metavar="NAME",
                        help="methods: 'all' or full/short names, any case (e.g. 'Random Forest' RF lr). "
                             f"Known: {', '.join(method_names())}. Default: all.")
    parser.add_argument("--seed", type=int, default=42,
                        help="seed of the train/test split (same in search and evaluation) and of the models "
                             "(default 42)")
    parser.add_argument("--data-home", default=None,
                        help="scikit-learn data cache folder for downloaded datasets (default: scikit-learn's, "
                             "~/scikit_learn_data)")
    parser.add_argument("--no-download", action="store_true",
                        help="never download: datasets must be bundled or already in the --data-home cache")
    parser.add_argument("--test-size", type=_fraction, default=DEFAULT_TEST_SIZE, metavar="F",
                        help=f"fraction of rows in the test split, between 0 and 1 (default {DEFAULT_TEST_SIZE})")
    parser.add_argument("--synthetic-samples", type=int, default=1000,
                        help="rows of the 'synthetic' dataset (make_classification; default 1000)")
    parser.add_argument("--synthetic-features", type=int, default=20,
                        help="features of the 'synthetic' dataset (default 20)")
    parser.add_argument("--synthetic-classes", type=int, default=2,
                        help="classes of the 'synthetic' dataset (default 2)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--verbose", "-v", action="store_true", help="log progress messages to stderr")


def _dataset_help(default_group: str, all_means: str = GROUPS["all"]) -> str:
    groups = dict(GROUPS, all=all_means)
    return ("datasets: table keys or display names (" + ", ".join(known_datasets()) + "), groups "
            + "; ".join(f"'{k}' = {v}" for k, v in groups.items())
            + ", openml:<name>[@<version>] or openml:<id> for any OpenML dataset, 'synthetic' (size from "
            f"--synthetic-*) or synthetic_<rows>x<features>x<classes>. Default: {default_group}.")


def _synthetic(args: argparse.Namespace) -> SyntheticSpec:
    return SyntheticSpec(args.synthetic_samples, args.synthetic_features, args.synthetic_classes)


def _expand_datasets(names: Sequence[str], args: argparse.Namespace) -> tuple[list[str], bool]:
    """Dataset keys in order, and whether the user asked for a group (pairs without files are then skipped)."""
    out: list[str] = []
    grouped = False
    table = catalog.datasets()
    for name in names:
        low = name.lower()
        if low in GROUPS:
            grouped = True
            if low == "bundled":
                keys = bundled_datasets()
            elif low == "regression":
                keys = bundled_datasets("regression")
            elif low == "study":
                keys = [k for k, v in table.items() if v.get("source") != "bundled"]
            else:
                keys = list(table)
        else:
            key = resolve_dataset_name(name)
            keys = [_synthetic(args).key if key == "synthetic" else
                    _synthetic(args).regression_key if key == "synthetic_regression" else key]
        out += [k for k in keys if k not in out]
    return out, grouped


def _expand_methods(names: Sequence[str]) -> list[str]:
    if any(n.lower() == "all" for n in names):
        return method_names()
    out: list[str] = []
    for name in names:
        full = resolve_method_name(name)
        if full not in out:
            out.append(full)
    return out


# --------------------------------------------------------------------------------------------- evaluate_sklearn

def build_evaluate_parser() -> argparse.ArgumentParser:
    """Argument parser of ``evaluate_sklearn.py``."""
    from mlee.cli.monitor_options import add_monitor_arguments

    parser = argparse.ArgumentParser(
        prog=program("evaluate_sklearn.py"),
        description="Train and evaluate scikit-learn classifiers with their best searched hyperparameters, "
                    "measuring time and energy; writes one train_<ts> and one infer_<ts> folder per run.")
    _add_common(parser, "all", _dataset_help(
        "all", "every dataset of mlee/data/datasets.json, with the methods that have a hyperparameter file for it "
               "(pairs without one are skipped; with --hyperparameters default: the bundled datasets)"))
    parser.add_argument("--hyperparameters", default=None,
                        help="folder written by evaluate_hyperparams.py (or a root holding several); 'default' "
                             "uses the estimator defaults. Default: per pair the newest folder that has its file, "
                             "from your searches in ./sklearn_hyperparameters/ and the shipped ones in "
                             "shipped/sklearn_hyperparameters/.")
    parser.add_argument("--output-dir", default=None,
                        help="where run folders go (default logs/<backend>, e.g. logs/sklearn)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs per (dataset, method); repeat r seeds the model with seed + r (default 1)")
    parser.add_argument("--backend", default="sklearn", choices=sorted(BACKENDS),
                        help="implementation of the methods, part of the results' environment: "
                             + "; ".join(f"{b.name} = {b.description}" for b in BACKENDS.values())
                             + " (default sklearn)")
    parser.add_argument("--device", default="cpu",
                        help="where --backend torch computes: cpu (default), cuda or cuda:N (an NVIDIA GPU; its "
                             "energy is read from NVML with --monitor auto or nvml)")
    parser.add_argument("--average", default="macro", choices=AVERAGES,
                        help="averaging of F1, precision and recall (default macro; micro matches the study)")
    parser.add_argument("--no-robustness", action="store_true",
                        help="skip the robustness, calibration and latency measurement that follows each "
                             "inference window (it never counts towards energy or time)")
    add_monitor_arguments(parser)
    add_cluster_arguments(parser, resume=True)
    add_user_arguments(parser)
    return parser


def _backend_methods(args: argparse.Namespace) -> list[str]:
    """The requested methods that ``--backend`` implements; asking for another one by name is an error."""
    methods = _expand_methods(args.model)
    supported = backend_methods(args.backend)
    missing = [m for m in methods if m not in supported and not is_user_method(m)]
    if missing and not any(n.lower() == "all" for n in args.model):
        raise ExperimentError(f"--backend {args.backend} has no {', '.join(missing)}; it implements "
                              f"{', '.join(supported)}. Use --backend sklearn for the others.")
    return [m for m in methods if m in supported or is_user_method(m)]


def _task_pairs(datasets: Sequence[str], methods: Sequence[str], backend: str = "sklearn") -> list[tuple[str, str]]:
    """(dataset, method) pairs whose method has an estimator for the dataset's learning task."""
    impl = get_backend(backend)
    from mlee.runs.data_file import registered_task

    tasks = {d: registered_task(d) or catalog.dataset_task(d) for d in datasets}
    return [(d, m) for d in datasets for m in methods if is_user_method(m) or impl.supports(m, tasks[d])]


def _evaluate_pairs(args: argparse.Namespace) -> list[tuple[str, str]]:
    datasets, grouped = _expand_datasets(args.dataset, args)
    methods = _backend_methods(args)
    if args.hyperparameters == DEFAULT_CONFIG:
        if grouped and [d.lower() for d in args.dataset] == ["all"]:
            datasets = bundled_datasets()
        return _task_pairs(datasets, methods, args.backend)
    if args.hyperparameters is not None and not Path(args.hyperparameters).is_dir():
        raise HyperparametersNotFoundError(
            f"Hyperparameter folder {args.hyperparameters} does not exist. Pass a folder written by "
            f"evaluate_hyperparams.py (e.g. sklearn_hyperparameters/hyperparameters_<timestamp>), leave "
            f"--hyperparameters out to use the shipped results, or pass --hyperparameters default.")
    explicit_models = not any(n.lower() == "all" for n in args.model)
    have = set(available_pairs(args.hyperparameters))
    pairs = []
    for dataset, method in _task_pairs(datasets, methods, args.backend):
        if (dataset, method) in have or own_method(method):
            pairs.append((dataset, method))
        elif not grouped and explicit_models:
            find_hyperparameters(dataset, method, args.hyperparameters)  # raises with the fix
    if not pairs:
        where = args.hyperparameters or "./sklearn_hyperparameters/ or shipped/sklearn_hyperparameters/"
        raise ExperimentError(
            f"No hyperparameter files in {where} for dataset(s) {', '.join(datasets)} and method(s) "
            f"{', '.join(methods)}. Run: python evaluate_hyperparams.py --dataset {' '.join(datasets)} "
            f"(or pass --hyperparameters default).")
    return pairs


def _hyperparameter_origin(pairs: Sequence[tuple[str, str]]) -> str:
    """Which search the pairs' hyperparameters come from: the user's own (they take precedence) or the shipped."""
    from mlee.layout import SHIPPED_HYPERPARAMETERS

    shipped = sum(1 for d, m in pairs
                  if SHIPPED_HYPERPARAMETERS in Path(find_hyperparameters(d, m).source).resolve().parents)
    own = len(pairs) - shipped
    if not own:
        return "Hyperparameters: the shipped search (shipped/sklearn_hyperparameters/)."
    return (f"Hyperparameters: your own search(es) in ./sklearn_hyperparameters/ for {own} pair(s) (the newest "
            f"search holding a pair wins), the shipped search for {shipped}. Pass --hyperparameters to choose.")


@reports_missing_extras
def evaluate_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``evaluate_sklearn.py``; returns the exit status."""
    parser = build_evaluate_parser()
    args = parser.parse_args(argv)
    _console_logging(args.verbose)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    try:
        get_backend(args.backend).check(args.device)
        print_notes(apply_user_inputs(args))
        pairs = _evaluate_pairs(args)
    except (ExperimentError, ImportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # the run's heavy imports (numpy, scikit-learn, the runner) only once the arguments are valid
    from mlee.runs.runner import RunSettings
    from mlee.executors.sweep import SweepError, SweepPlan, run_sweep
    from mlee.cli.monitor_options import meter_from_args
    from mlee.cli.monitor_options import MONITOR_DESTS

    output_dir = Path(args.output_dir or f"logs/{args.backend}")
    settings = RunSettings(
        output_dir=output_dir, seed=args.seed, repeats=args.repeats, data_home=args.data_home,
        backend=args.backend, device=args.device, average=args.average, hyperparameters=args.hyperparameters,
        test_size=args.test_size, synthetic=_synthetic(args), download=not args.no_download,
        monitor_options={key: getattr(args, key) for key in MONITOR_DESTS},
        robustness=not args.no_robustness,
        extra_config={"argv": list(sys.argv[1:] if argv is None else argv), "arguments": dict(vars(args)),
                      **user_inputs_config()},
    )
    started = time.time()
    print(f"Running {len(pairs)} (dataset, method) pair(s) x {args.repeats} repeat(s) -> {settings.output_dir}",
          file=sys.stderr)
    if args.hyperparameters is None:
        print(_hyperparameter_origin(pairs), file=sys.stderr)
    if wants_cluster(args):
        from mlee.cli.executor_options import run_on_cluster

        return run_on_cluster(args, pairs, settings, lambda outcomes, elapsed: _report(outcomes, elapsed, settings))
    plan = SweepPlan(pairs, settings, resume=args.resume)
    runs = plan.runs()
    planned = len(pairs) * args.repeats
    if args.resume:
        print(f"--resume: {planned - len(runs)} run(s) already complete, {len(runs)} to run", file=sys.stderr)
    outcomes: list[RunOutcome] = []
    try:
        outcomes = run_sweep(pairs, settings, meter_from_args(args), progress=not args.no_progress,
                             on_outcome=outcomes.append,
                             skip={(k.dataset, k.method, k.repeat) for k in set(plan.keys()) - set(runs)})
    except SweepError as exc:
        print(f"error: {exc} ({len(outcomes)} of {len(runs)} run(s) of this sweep were written.)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"Interrupted: the sweep stopped after {len(outcomes)} of {len(runs)} run(s), kept in "
              f"{settings.output_dir}. The run in progress was discarded: nothing of it was written. Rerun with "
              f"--resume to run the rest.", file=sys.stderr)
        return 130
    return _report(outcomes, time.time() - started, settings)


def _report(outcomes: list[RunOutcome], elapsed: float, settings: RunSettings) -> int:
    """Print the sweep's summary (failures to stderr); 1 when a run failed, else 0."""
    failed = [o for o in outcomes if not o.ok]
    print(f"{len(outcomes) - len(failed)} of {len(outcomes)} runs completed in {elapsed:.1f} s. "
          f"Results: {Path(settings.output_dir).resolve()}")
    from mlee.run_summary import folders_summary  # rating is downstream of the runner: only the CLI asks for it

    print(folders_summary(d for o in outcomes if o.ok for d in (o.train_dir, o.infer_dir)))
    if failed:
        print(f"{len(failed)} run(s) failed:", file=sys.stderr)
        for o in failed:
            folder = o.infer_dir or o.train_dir
            print(f"  {o.dataset} / {o.method} (repeat {o.repeat}): {o.error}  [{folder}/error.json]",
                  file=sys.stderr)
        return 1
    return 0


# ------------------------------------------------------------------------------------------ evaluate_hyperparams

def build_search_parser() -> argparse.ArgumentParser:
    """Argument parser of ``evaluate_hyperparams.py``."""
    parser = argparse.ArgumentParser(
        prog=program("evaluate_hyperparams.py"),
        description="Random hyperparameter search (stratified k-fold CV on the training split) per dataset and "
                    "method; writes cv_results_ as hyperparameters__<dataset>__<Method_Name>.json into "
                    "<output-dir>/hyperparameters_<timestamp>/.")
    _add_common(parser, "bundled", _dataset_help("bundled"))
    parser.add_argument("--n-iter", type=int, default=15, help="sampled configurations per method (default 15)")
    parser.add_argument("--folds", type=int, default=3, help="cross-validation folds (default 3)")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="parallel fits of the search (-1: all cores; default 1)")
    parser.add_argument("--output-dir", default="sklearn_hyperparameters",
                        help="root of the timestamped result folders (default sklearn_hyperparameters)")
    add_cluster_arguments(parser, resume=False)
    return parser


@reports_missing_extras
def search_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``evaluate_hyperparams.py``; returns the exit status."""
    import json

    from mlee.atomic import write_json_atomic

    parser = build_search_parser()
    args = parser.parse_args(argv)
    _console_logging(args.verbose)
    if args.n_iter < 1 or args.folds < 2:
        parser.error("--n-iter must be at least 1 and --folds at least 2")
    try:
        datasets, _ = _expand_datasets(args.dataset, args)
        methods = _expand_methods(args.model)
    except ExperimentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    folder = reserve_folder(args.output_dir, FOLDER_PREFIX.rstrip("_"))
    tmp = folder.tmp_path
    import sklearn

    config = {"datasets": datasets, "methods": methods, "n_iter": args.n_iter, "folds": args.folds,
              "n_jobs": args.n_jobs, "seed": args.seed, "test_size": args.test_size,
              "scoring": "accuracy (classification), r2 (regression)",
              "fixed_params": {m: fixed_params(m) for m in methods}, "sklearn_version": sklearn.__version__,
              "python": sys.version.split()[0], "start": time.time(), "argv": list(sys.argv[1:] if argv is None else argv),
              "completed": [], "failed": []}
    errors: list[str] = []

    def record(dataset: str, method: str | None, result: dict | BaseException) -> None:
        """Write a search result, or note its error (``method`` is ``None`` when the dataset did not load)."""
        if isinstance(result, BaseException):
            errors.append(f"{dataset}{f' / {method}' if method else ''}: {type(result).__name__}: {result}")
            config["failed"].append({"dataset": dataset, **({"method": method} if method else {}),
                                     "error": str(result)})
        else:
            write_search_result(tmp, dataset, method, result)
            config["completed"].append([dataset, method])

    started = time.time()
    try:
        if wants_cluster(args):
            from mlee.runs.runner import RunSettings
            from mlee.cli.executor_options import search_on_cluster

            config["cluster"] = args.cluster or args.scheduler_file
            loading = RunSettings(seed=args.seed, data_home=args.data_home, test_size=args.test_size,
                                  synthetic=_synthetic(args), download=not args.no_download)
            status = search_on_cluster(args, [(d, m) for d in datasets for m in methods], loading, record)
            if status == 2:
                tmp.rmdir()
            if status:
                return status
        else:
            _search_in_process(args, datasets, methods, record)
    except KeyboardInterrupt:
        print(f"Interrupted: partial results stay in the hidden folder {tmp}.", file=sys.stderr)
        return 130
    config["end"] = time.time()
    write_json_atomic(tmp / "search_config.json", json.loads(json.dumps(config, default=str)))
    final = folder.finish()
    print(f"{len(config['completed'])} search result(s) in {time.time() - started:.1f} s: {final}")
    if errors:
        print(f"{len(errors)} search(es) failed:", file=sys.stderr)
        for line in errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def _search_in_process(args: argparse.Namespace, datasets: list[str], methods: list[str],
                       record: Callable[[str, str | None, dict | BaseException], None]) -> None:
    """Run the searches one after another in this process, loading each dataset once."""
    from tqdm.auto import tqdm

    from mlee.runs.datasets import load_dataset
    from mlee.runs.preparation import prepare

    with tqdm(total=len(datasets) * len(methods), disable=args.no_progress, unit="search") as bar, \
            interrupt_guard() as guard:
        for dataset in datasets:
            bar.set_description(f"{dataset}: loading")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    data = prepare(load_dataset(dataset, data_home=args.data_home, seed=args.seed,
                                                synthetic=_synthetic(args), download=not args.no_download),
                                   seed=args.seed, test_size=args.test_size)
            except Exception as exc:  # noqa: BLE001 - next dataset
                record(dataset, None, exc)
                bar.update(len(methods))
                continue
            for method in methods:
                if not get_backend("sklearn").supports(method, data.task):
                    bar.update(1)  # no estimator of this method for the dataset's task (e.g. GNB in regression)
                    continue
                bar.set_description(f"{dataset}: {method}")
                try:
                    result: dict | BaseException = run_search(data, method, args.n_iter, args.folds, args.n_jobs,
                                                              args.seed)
                    guard.check()  # an estimator may have swallowed Ctrl-C: never keep that search
                except Exception as exc:  # noqa: BLE001 - next method
                    result = exc
                record(data.dataset, method, result)
                bar.update(1)
