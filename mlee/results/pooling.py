"""Which runs are repeats of one another, and the names their rows are shown under.

Runs pool only when they share an identity (the hash of their :class:`~mlee.runs.spec.RunSpec`, recorded
in ``config.identity``) and a machine (``config.machine_id``), beside the dataset, task and environment name.
Runs recorded before identities existed (the study's published results, older merges) get a legacy identity
from the settings they record: test size, split seed and averaging.

Names are stable: adding runs of another configuration or machine never renames the rows users saw.

- Environments: where two machines share an environment name, the machine whose earliest run is oldest keeps
  the plain name; each other machine's name gets ``" (machine <first 8 digits of its id>)"``.
- Models: in one (dataset, environment), the configuration of a method whose earliest run is oldest keeps the
  method's plain name; each other configuration's name gets what differs from it, ``"Random Forest
  (n_estimators 100)"``, ``"Random Forest (hyperparameters default)"`` (the estimator's defaults),
  ``"Random Forest (average micro)"`` (or ``"(config <identity prefix>)"`` when what
  differs is not recorded by both).
- The reference model of a dataset (``mlee/data/references.json``, ``--reference``) names a method: it is the
  configuration shown under the method's plain name, so the rule above chooses it.

"The earliest run" is the oldest run folder timestamp (its name, ``train_<YYYY_MM_DD_HH_MM_SS>``), ties broken
by the identity text, so the choice does not depend on the order files are read in.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Iterable, Protocol

from mlee.runs.identity import run_identity

#: spec fields never named in a model's suffix: shown elsewhere (dataset, environment), the same within a row
#: group by construction (model, task), or not part of the comparison (the recorded extras)
_NOT_SHOWN = frozenset({"version", "dataset", "task", "model", "backend", "dataset_fingerprint",
                        "hyperparameters_source"})
_LABELS = {"test_size": "test size", "split_seed": "split seed", "meter": ""}


class PooledRow(Protocol):
    """What :func:`name_rows` reads and sets on a loaded run row."""

    dataset: str
    environment: str
    model: str
    method: str
    identity: str
    spec: dict[str, Any]
    run: str


@lru_cache(maxsize=256)
def _legacy(test_size: Any, split_seed: Any, average: Any) -> tuple[str, str]:
    fields = {"test_size": test_size, "split_seed": split_seed, "average": average}
    return "legacy-" + run_identity(fields)[:12], json.dumps(fields)


def run_configuration(config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(identity, comparable settings) of a run from its ``config``.

    Parameters
    ----------
    config : dict
        The ``config`` object of a merged result.

    Returns
    -------
    tuple of (str, dict)
        The recorded identity and ``spec``; for runs recorded without one, ``legacy-<hash>`` of the test size,
        split seed and averaging, with those three as the settings.
    """
    identity, spec = config.get("identity"), config.get("spec")
    if isinstance(identity, str) and identity and isinstance(spec, dict):
        return identity, spec
    legacy, fields = _legacy(_hashable(config.get("test_size", "n.a.")),
                             _hashable(config.get("split_seed", config.get("seed", "n.a."))),
                             _hashable(config.get("average") or "n.a."))
    return legacy, json.loads(fields)


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else json.dumps(value, default=str)


def _stamp(run: str) -> str:
    """The timestamp part of a run folder name (``train_2026_...`` -> ``2026_...``)."""
    return run.split("_", 1)[1] if "_" in run else run


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return "none" if value is None else str(value)


def _flat(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` as label -> value, nested objects (hyperparameters, meter) one level down by their keys."""
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if key in _NOT_SHOWN:
            continue
        label = _LABELS.get(key, key)
        if isinstance(value, dict):
            for inner, v in value.items():
                out[f"{label} {inner}".strip() if label != "hyperparameters" else str(inner)] = v
        else:
            out[label] = value
    return out


def difference(spec: dict[str, Any], base: dict[str, Any]) -> str:
    """What ``spec`` sets otherwise than ``base``, as ``"n_estimators 100, average micro"`` ("" when nothing
    that both record differs).

    Parameters
    ----------
    spec, base : dict
        Two runs' settings (:func:`run_configuration`).

    Returns
    -------
    str
    """
    mine, theirs = _flat(spec), _flat(base)
    parts = []
    if isinstance(spec.get("hyperparameters"), dict) and isinstance(base.get("hyperparameters"), dict):
        own, other = spec["hyperparameters"], base["hyperparameters"]
        if not own and other:
            parts.append("hyperparameters default")  # the estimator's defaults, not a search result
        else:
            parts += [f"{k} {_text(own.get(k, 'default'))}" for k in dict.fromkeys([*own, *other])
                      if own.get(k, "default") != other.get(k, "default")]
        hyper = set(own) | set(other)
        mine = {k: v for k, v in mine.items() if k not in hyper}
    parts += [f"{k} {_text(v)}" for k, v in mine.items() if k in theirs and v != theirs[k]]
    return ", ".join(parts)


def _order(first_runs: dict[str, str]) -> list[str]:
    """Keys ordered by their earliest run's timestamp, ties by key."""
    return sorted(first_runs, key=lambda k: (first_runs[k], k))


def name_rows(rows: Iterable[PooledRow], separator: str) -> None:
    """Set the shown ``environment`` and ``model`` of loaded ``rows`` (see the module docstring).

    Parameters
    ----------
    rows : iterable
        Rows whose ``environment`` is ``"<name><separator><machine>"`` and whose ``model`` is the method name.
    separator : str
        What separates the environment name from the machine in ``environment``.
    """
    rows = list(rows)
    earliest: dict[str, dict[str, str]] = {}
    for row in rows:
        name = row.environment.split(separator, 1)[0]
        firsts = earliest.setdefault(name, {})
        stamp = _stamp(row.run)
        if stamp < firsts.get(row.environment, "\uffff"):
            firsts[row.environment] = stamp
    shown: dict[str, str] = {}
    for name, firsts in earliest.items():
        for rank, key in enumerate(_order(firsts)):
            shown[key] = name if rank == 0 else f"{name} (machine {key.split(separator, 1)[1]})"
    for row in rows:
        row.environment = shown[row.environment]

    configs: dict[tuple[str, str, str], dict[str, str]] = {}
    specs: dict[str, dict[str, Any]] = {}
    for row in rows:
        firsts = configs.setdefault((row.dataset, row.environment, row.method), {})
        stamp = _stamp(row.run)
        if stamp < firsts.get(row.identity, "\uffff"):
            firsts[row.identity] = stamp
        specs.setdefault(row.identity, row.spec)
    models: dict[tuple[str, str, str, str], str] = {}
    for (dataset, environment, method), firsts in configs.items():
        ordered = _order(firsts)
        used = {method}
        models[(dataset, environment, method, ordered[0])] = method
        for identity in ordered[1:]:
            what = difference(specs[identity], specs[ordered[0]])
            name = f"{method} ({what})" if what else f"{method} (config {identity[:8]})"
            if name in used:
                name = f"{name[:-1]}, config {identity[:8]})"
            used.add(name)
            models[(dataset, environment, method, identity)] = name
    for row in rows:
        row.model = models[(row.dataset, row.environment, row.method, row.identity)]


__all__ = ["difference", "name_rows", "run_configuration"]
