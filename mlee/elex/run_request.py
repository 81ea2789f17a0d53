"""What the "Run experiments" panel may ask for: the choices it offers and the validation of a request.

A request from the page is untrusted: :func:`validate_request` turns the raw values of the panel's controls into a
:class:`RunRequest` (known dataset and method names, numbers within :class:`RunLimits`, a hyperparameter folder
from the offered list only) or raises :class:`RunRequestError` naming the problem and the fix. Nothing of a request
reaches a shell or ``eval``; names are only looked up in tables, and file paths never come from the page.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlee.errors import MleeError
from mlee import catalog
from mlee.runs.datasets import SyntheticSpec, bundled_datasets, dataset_cached
from mlee.runs.methods import method_names
from mlee.monitoring.monitors import MONITORS

#: the dataset choice that stands for ``synthetic_<rows>x<features>x<classes>`` with the sizes of the panel
SYNTHETIC = "synthetic"
#: hyperparameter choices besides a search folder: the newest shipped search result per pair, or the defaults
SHIPPED, DEFAULT = "shipped", "default"
#: ``openml:<name>[@<version>]`` or ``openml:<data id>``: letters, digits and ``_.-`` only
OPENML_NAME = re.compile(r"^openml:(?:\d{1,9}|[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}(?:@\d{1,4})?)$")


class RunRequestError(MleeError, ValueError):
    """A request the panel cannot run; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class RunLimits:
    """Upper bounds of one request (and of the server's queue): what a web page may start at most."""

    max_repeats: int = 10
    max_pairs: int = 60
    max_datasets: int = 15
    max_synthetic_rows: int = 200_000
    max_synthetic_features: int = 500
    max_synthetic_classes: int = 20
    max_idle_seconds: float = 60.0
    max_active_sweeps: int = 4


@dataclass(frozen=True)
class RunRequest:
    """A validated request: dataset keys, method full names, repeats, monitor (a name of
    :data:`mlee.monitoring.monitors.MONITORS`), hyperparameters (``shipped``, ``default`` or a search folder path
    from :func:`hyperparameter_choices`), idle baseline in seconds, country (ISO 3166-1 alpha-3) or None."""

    datasets: tuple[str, ...]
    methods: tuple[str, ...]
    repeats: int = 1
    monitor: str = "auto"
    hyperparameters: str = SHIPPED
    idle_seconds: float = 0.0
    country: str | None = None

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """(dataset, method) pairs in order, datasets outer; a method without an estimator for a dataset's learning
        task (Gaussian Naive Bayes on a regression dataset) is left out of that dataset's pairs."""
        from mlee.runs.methods import get_backend

        sklearn = get_backend("sklearn")
        return [(d, m) for d in self.datasets for m in self.methods
                if sklearn.supports(m, catalog.dataset_task(d))]

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (recorded in each run's ``config.json``)."""
        return asdict(self)


# ------------------------------------------------------------------------------------------------- choices
def dataset_choices(data_home: str | None = None) -> list[tuple[str, str]]:
    """(key, label) of the datasets offered: the bundled ones (classification, then regression), the study's
    datasets found in the cache (``data_home``: scikit-learn's data folder, None for its default), and the
    synthetic dataset."""
    table = catalog.datasets()
    bundled = bundled_datasets() + bundled_datasets("regression")
    cached = [k for k in table if k not in bundled and dataset_cached(k, data_home)]
    out = [(k, f"{table[k].get('display', k)} (bundled)") for k in bundled]
    out += [(k, f"{table[k].get('display', k)} (cached)") for k in cached]
    out.append((SYNTHETIC, "Synthetic (sizes below)"))
    return out


def hyperparameter_choices(roots: list[Path]) -> list[tuple[str, str]]:
    """(value, label) of the hyperparameter choices: shipped, default, then every completed search folder
    (``hyperparameters_*``) under ``roots``, newest first."""
    from mlee.runs.hyperparams import search_folders

    out = [(SHIPPED, "Newest search per pair (yours, else shipped)"), (DEFAULT, "Estimator defaults")]
    seen: set[Path] = set()
    for root in roots:
        for folder in search_folders(root):
            resolved = folder.resolve()
            if resolved not in seen:
                seen.add(resolved)
                out.append((str(resolved), f"Search {folder.name} ({folder.parent.name}/)"))
    return out


@dataclass(frozen=True)
class RunChoices:
    """What the panel offers now: (value, label) of datasets and hyperparameters, country codes, and the folder
    of the data files among the datasets (``elex.py --data-dir``; None without one)."""

    datasets: list[tuple[str, str]]
    hyperparameters: list[tuple[str, str]]
    countries: list[str]
    data_dir: Path | None = None


def current_choices(data_home: str | None = None, data_dir: Path | None = None) -> RunChoices:
    """The choices offered now (the cache, the search folders and the data folder may have changed since the
    server started): datasets of :func:`dataset_choices` and the data files of ``data_dir``
    (:mod:`mlee.elex.data_files`), searches under ``./sklearn_hyperparameters`` and the shipped ones."""
    from mlee.elex.data_files import data_file_choices
    from mlee.runs.hyperparams import search_roots

    return RunChoices(dataset_choices(data_home) + data_file_choices(data_dir),
                      hyperparameter_choices(search_roots()), country_choices(), data_dir)


@functools.lru_cache(maxsize=1)
def country_choices() -> list[str]:
    """ISO 3166-1 alpha-3 codes of codecarbon's offline country table, sorted (empty if it is missing)."""
    try:
        from mlee.monitoring.carbon import load_energy_mix

        return sorted(k for k in load_energy_mix() if re.fullmatch(r"[A-Z]{3}", k))
    except (ImportError, OSError, ValueError):
        return []


# ------------------------------------------------------------------------------------------------ validation
def _int_in(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise RunRequestError(f"{name} must be a whole number from {low} to {high}; got {str(value)[:40]!r}.") from None
    if not low <= number <= high or number != int(number):  # NaN fails the range test, inf never reaches int()
        raise RunRequestError(f"{name} must be a whole number from {low} to {high}; got {value!r}.")
    return int(number)


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    if not all(isinstance(v, str) for v in items):
        raise RunRequestError("Names must be text.")
    return [v.strip() for v in items if v.strip()]


def _openml_names(text: Any) -> list[str]:
    if text is None or text == "":
        return []
    if not isinstance(text, str) or len(text) > 1000:
        raise RunRequestError("OpenML names: a comma-separated list such as openml:kc1, openml:31.")
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name = part if part.lower().startswith("openml:") else f"openml:{part}"
        name = "openml:" + name.split(":", 1)[1]
        if not OPENML_NAME.match(name):
            raise RunRequestError(f"{part!r} is not an OpenML name: write openml:<name>, openml:<name>@<version> or "
                                  f"openml:<data id> (letters, digits, _ . - only).")
        out.append(name)
    return out


def validate_request(raw: dict[str, Any], choices: RunChoices, limits: RunLimits = RunLimits()) -> RunRequest:
    """The :class:`RunRequest` of the panel's raw values, or :class:`RunRequestError`.

    ``raw`` keys: ``datasets`` (list of offered keys), ``openml`` (comma-separated OpenML names), ``rows``,
    ``features``, ``classes`` (synthetic sizes), ``methods`` (full names), ``repeats``, ``monitor``,
    ``hyperparameters``, ``idle_seconds``, ``country``, ``target`` and ``task`` (the target column and learning task of chosen data files,
    which are registered here; they run with the estimator defaults where the newest search is asked for, as
    data files have none). Only what ``choices`` offers is accepted.
    """
    datasets = [key for key, _ in choices.datasets]
    chosen = _names(raw.get("datasets"))
    unknown = [d for d in chosen if d not in datasets]
    if unknown:
        raise RunRequestError(f"Unknown dataset(s) {', '.join(unknown)}: pick from the list.")
    from mlee.elex.data_files import DATA_FILE_CHOICE, register_chosen

    files = [d for d in chosen if d.startswith(DATA_FILE_CHOICE)]
    if files:
        registered = register_chosen(choices.data_dir, files, raw.get("target"), raw.get("task"))
        chosen = [registered.get(d, d) for d in chosen]
    keys: list[str] = []
    for name in chosen + _openml_names(raw.get("openml")):
        if name == SYNTHETIC:
            synthetic = SyntheticSpec(
                _int_in(raw.get("rows"), "Synthetic rows", 10, limits.max_synthetic_rows),
                _int_in(raw.get("features"), "Synthetic features", 2, limits.max_synthetic_features),
                _int_in(raw.get("classes"), "Synthetic classes", 2, limits.max_synthetic_classes))
            if synthetic.samples < 2 * synthetic.classes:
                raise RunRequestError("Synthetic rows must be at least twice the number of classes.")
            name = synthetic.key
        if name not in keys:
            keys.append(name)
    if not keys:
        raise RunRequestError("Choose at least one dataset (or type an OpenML name).")
    if len(keys) > limits.max_datasets:
        raise RunRequestError(f"At most {limits.max_datasets} datasets per launch; got {len(keys)}.")
    methods = _names(raw.get("methods"))
    known = set(method_names())
    if not methods or any(m not in known for m in methods):
        raise RunRequestError("Choose at least one method from the list.")
    methods = list(dict.fromkeys(methods))
    if len(keys) * len(methods) > limits.max_pairs:
        raise RunRequestError(f"{len(keys)} datasets x {len(methods)} methods = {len(keys) * len(methods)} pairs; "
                              f"at most {limits.max_pairs} per launch. Choose fewer.")
    repeats = _int_in(raw.get("repeats"), "Repeats", 1, limits.max_repeats)
    monitor = raw.get("monitor") or "auto"
    if monitor not in MONITORS:
        raise RunRequestError(f"Monitor must be one of {', '.join(MONITORS)}.")
    hp = raw.get("hyperparameters") or SHIPPED
    if hp not in [value for value, _ in choices.hyperparameters]:
        raise RunRequestError("Hyperparameters: pick shipped, default or a search folder from the list.")
    if files and hp == SHIPPED:
        hp = DEFAULT
    try:
        idle = float(raw.get("idle_seconds") or 0.0)
    except (TypeError, ValueError, OverflowError):
        idle = -1.0
    if not 0.0 <= idle <= limits.max_idle_seconds:
        raise RunRequestError(f"Idle baseline must be 0 to {limits.max_idle_seconds:g} seconds (0: off).")
    country = raw.get("country") or None
    if country is not None and country not in choices.countries:
        raise RunRequestError("Country: pick an ISO 3166-1 alpha-3 code from the list, or none.")
    return RunRequest(tuple(keys), tuple(methods), repeats, monitor, hp, idle, country)
