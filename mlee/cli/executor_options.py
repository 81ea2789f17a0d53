"""``--cluster``/``--scheduler-file``/``--resume`` of ``evaluate_sklearn.py`` and ``evaluate_hyperparams.py``.

Adding the arguments imports no Dask; :func:`cluster_executor` does, only when a cluster was asked for.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import TYPE_CHECKING, Any, Callable

from mlee.runs.errors import ExperimentError

if TYPE_CHECKING:
    from mlee.runs.runner import RunSettings
    from mlee.executors.sweep import SweepHandle


def add_executor_choice(group: argparse._ArgumentGroup, cluster_help: str) -> None:
    """Add the mutually exclusive ``--cluster SPEC`` / ``--scheduler-file FILE`` to ``group``; ``cluster_help``
    says what ``--cluster`` takes and what runs without either flag."""
    where = group.add_mutually_exclusive_group()
    where.add_argument("--cluster", default=None, metavar="SPEC", help=cluster_help)
    where.add_argument("--scheduler-file", default=None, metavar="FILE",
                       help="run on the Dask scheduler described by FILE (dask scheduler --scheduler-file FILE)")


def add_cluster_arguments(parser: argparse.ArgumentParser, resume: bool) -> None:
    """Add ``--cluster`` and ``--scheduler-file`` (and ``--resume`` when ``resume``) in their own group."""
    group = parser.add_argument_group("cluster (Dask; see docs/how-to/cluster.md)")
    add_executor_choice(group, "run on Dask: 'local' (one worker process per core), 'local:N' (N processes) or a "
                               "scheduler address such as tcp://host:8786. Default: in this process")
    if resume:
        group.add_argument("--resume", action="store_true",
                           help="skip (dataset, method, repeat) runs already complete in --output-dir")


def wants_cluster(args: argparse.Namespace) -> bool:
    """True when ``--cluster`` or ``--scheduler-file`` was given."""
    return bool(args.cluster or args.scheduler_file)


def cluster_executor(args: argparse.Namespace) -> Any:
    """A connected :class:`~mlee.executors.dask_executor.DaskExecutor` for the arguments (imports Dask); raises
    :class:`ExperimentError` when the spec is wrong or no scheduler answers. Prints what it connected to."""
    from mlee.executors.dask_executor import DaskExecutor

    if not args.verbose:  # a lost scheduler is reported once, clearly, instead of Dask's reconnect tracebacks
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
    executor = DaskExecutor(cluster=args.cluster, scheduler_file=args.scheduler_file)
    try:
        workers = executor.workers()
    except BaseException:
        executor.close()
        raise
    print(f"Dask scheduler {executor.scheduler_address}: {len(workers)} worker(s) on "
          f"{len(set(workers.values()))} node(s)", file=sys.stderr)
    return executor


def follow(handle: SweepHandle, total: int, progress: bool, unit: str = "run") -> None:
    """Show one bar over the sweep (done / failed / running) until it ends; Ctrl-C cancels what remains and
    waits until the runs being written are written."""
    from tqdm.auto import tqdm

    with tqdm(total=total, disable=not progress, unit=unit, desc="sweep") as bar:
        try:
            while not handle.done:
                handle.join(0.25)
                counts = handle.counts()
                bar.n = counts["done"] + counts["failed"]
                bar.set_postfix(done=counts["done"], failed=counts["failed"], running=counts["running"],
                                refresh=False)
                bar.refresh()
        except KeyboardInterrupt:
            handle.cancel()
            while not handle.done:  # the writer finishes the folder in hand; nothing is left half-written
                handle.join(0.25)
            raise


def print_node_summary(handle: SweepHandle) -> None:
    """Per node: runs done, failed and the seconds they took."""
    summary = handle.node_summary()
    if not summary:
        return
    print("Per node:")
    width = max(len(node) for node in summary)
    for node, row in sorted(summary.items()):
        print(f"  {node:<{width}}  {int(row['done'])} done, {int(row['failed'])} failed, "
              f"{row['busy_s']:.1f} s busy")


def run_on_cluster(args: argparse.Namespace, pairs: list[tuple[str, str]], settings: RunSettings,
                   report: Callable[[list[Any], float], int]) -> int:
    """Run the evaluation sweep on the cluster named by ``args``; ``report(outcomes, elapsed)`` prints the
    summary and returns the exit status. Returns 2 for a bad cluster, 130 after Ctrl-C, 1 if the scheduler
    went away."""
    from mlee.executors.sweep import SweepError, SweepPlan, start_sweep

    try:
        executor = cluster_executor(args)
    except ExperimentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.time()
    try:
        handle = start_sweep(SweepPlan(pairs, settings, resume=args.resume), executor)
        total = len(handle.status())
        if args.resume:
            print(f"--resume: {len(pairs) * settings.repeats - total} run(s) already complete, {total} to run",
                  file=sys.stderr)
        try:
            follow(handle, total, progress=not args.no_progress)
        except KeyboardInterrupt:
            counts = handle.counts()
            print(f"Interrupted: {counts['done'] + counts['failed']} run(s) finished and are written, "
                  f"{counts['cancelled']} cancelled (nothing half-written). Rerun with --resume to go on.",
                  file=sys.stderr)
            return 130
        try:
            outcomes = handle.wait()
        except SweepError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print_node_summary(handle)
        return report(outcomes, time.time() - started)
    finally:
        executor.close()


def search_on_cluster(args: argparse.Namespace, pairs: list[tuple[str, str]], settings: RunSettings,
                      record: Callable[[str, str, Any], None]) -> int:
    """Run the searches of ``pairs`` on the cluster; ``record(dataset, method, cv_results or exception)`` is
    called as each ends. Returns 0, 2 for a bad cluster, 1 if the scheduler went away (130 is raised as
    ``KeyboardInterrupt`` after cancelling what remains)."""
    from tqdm.auto import tqdm

    from mlee.executors.sweep import SweepError

    try:
        executor = cluster_executor(args)
    except ExperimentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        with tqdm(total=len(pairs), disable=args.no_progress, unit="search") as bar:
            searches = executor.searches(pairs, settings, args.n_iter, args.folds)
            try:
                for dataset, method, result in searches:
                    record(dataset, method, result)
                    bar.update(1)
            finally:
                searches.close()
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        executor.close()
    return 0

