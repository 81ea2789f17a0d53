"""The environment key of a result: ``"<hardware> - <backend> <version>"``.

Hardware is derived from the result's platform record (``execution_platform``) by rules, without a table
of known hardware, so that any CPU or GPU works: the GPU names with a count when there are GPUs, else the
CPU model name shortened readably (vendor, ``CPU``, ``Processor``, core counts and clock speed removed;
``"Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz"`` -> ``"Xeon(R) W-2155"``).

The backend name is shown with its display name (``sklearn`` -> ``Scikit-learn``); its version comes from
the configuration's ``backend_version`` or else from the ``requirements`` list (``"scikit-learn==1.1.2"``).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any, Iterable

from mlee.errors import MleeError
from mlee.runs.methods import BACKENDS as REGISTRY

#: backend key in ``config.backend`` -> (display name, distribution name in ``requirements``), from the one
#: backend registry (:data:`mlee.runs.methods.BACKENDS`)
BACKENDS: dict[str, tuple[str, str]] = {
    key: (backend.display or backend.name, backend.distribution or backend.name)
    for backend in REGISTRY.values() for key in (backend.name, *backend.aliases)}

UNKNOWN_HARDWARE = "unknown hardware"

_CPU_DROP = [
    re.compile(r"@\s*[\d.]+\s*[GM]Hz", re.I),            # clock speed
    re.compile(r"\b\d+(\.\d+)?\s*[GM]Hz\b", re.I),         # clock speed without @
    re.compile(r"\b\d+-Core\b", re.I),                      # "12-Core"
    re.compile(r"\bwith Radeon (\w+ )?Graphics\b", re.I),  # AMD APU suffix
    re.compile(r"\b(CPU|Processor)\b", re.I),
    re.compile(r"^\s*(Genuine\s*)?Intel(\(R\))?\s+", re.I),  # vendor prefix (keep product marks)
    re.compile(r"^\s*AMD\s+", re.I),
]
_GPU_DROP = [re.compile(r"^\s*NVIDIA\s+", re.I)]
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1024)
def short_cpu_name(name: str) -> str:
    """Readable short form of a CPU model name; an empty or unparseable name is returned unchanged.

    ``"Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz"`` -> ``"Xeon(R) W-2155"``;
    ``"AMD Ryzen 9 5900X 12-Core Processor"`` -> ``"Ryzen 9 5900X"``.
    """
    text = str(name or "").strip()
    short = text
    for pattern in _CPU_DROP:
        short = pattern.sub(" ", short)
    short = _SPACES.sub(" ", short).strip(" -,")
    return short or text or UNKNOWN_HARDWARE


@lru_cache(maxsize=1024)
def short_gpu_name(name: str) -> str:
    """GPU name without the vendor prefix (``"NVIDIA A100-SXM4-40GB"`` -> ``"A100-SXM4-40GB"``)."""
    text = str(name or "").strip()
    short = text
    for pattern in _GPU_DROP:
        short = pattern.sub("", short)
    return _SPACES.sub(" ", short).strip() or text or "GPU"


def _gpu_names(gpu: Any) -> list[str]:
    """GPU names of a platform record's ``GPU`` entry (a list of dicts, or the original's dict of dicts)."""
    if not gpu:
        return []
    items: Iterable[Any] = gpu.values() if isinstance(gpu, dict) else gpu
    names = []
    for item in items:
        if isinstance(item, dict):
            names.append(str(item.get("name") or item.get("Name") or "GPU"))
        elif isinstance(item, str):
            names.append(item)
    return names


def hardware_name(platform: dict[str, Any] | None) -> str:
    """Hardware part of the environment key: GPUs (``"2x A100-SXM4-40GB"``) if any, else the short CPU name."""
    platform = platform if isinstance(platform, dict) else {}
    gpus = _gpu_names(platform.get("GPU"))
    if gpus:
        counts = Counter(short_gpu_name(n) for n in gpus)
        return " + ".join(name if n == 1 else f"{n}x {name}" for name, n in counts.items())
    processor = platform.get("Processor") or platform.get("Machine") or ""
    return short_cpu_name(str(processor)) if processor else UNKNOWN_HARDWARE


def backend_display(backend: str | None) -> str:
    """Display name of a backend key (``"sklearn"`` -> ``"Scikit-learn"``; unknown keys as they are)."""
    if not backend:
        return "unknown backend"
    return BACKENDS.get(str(backend).lower(), (str(backend), str(backend)))[0]


def backend_version(config: dict[str, Any] | None, requirements: list[str] | None) -> str | None:
    """Version of the backend: ``config["backend_version"]``, else the ``name==version`` requirement line."""
    config = config if isinstance(config, dict) else {}
    version = config.get("backend_version")
    if version:
        return str(version)
    backend = str(config.get("backend") or "")
    dist = BACKENDS.get(backend.lower(), (backend, backend))[1]
    if not dist or not requirements:
        return None
    try:
        text = "\n" + "\n".join(requirements)
    except TypeError:  # a non-string entry: use the string ones
        text = "\n" + "\n".join(line for line in requirements if isinstance(line, str))
    for prefix in (f"\n{dist}==", f"\n{dist.replace('-', '_')}=="):  # fast path: exact spelling
        at = text.find(prefix)
        if at >= 0:
            end = text.find("\n", at + len(prefix))
            return text[at + len(prefix):end if end >= 0 else None].strip()
    names = {dist.lower(), dist.lower().replace("-", "_")}
    for line in requirements:
        if isinstance(line, str) and "==" in line and not line.startswith("#"):
            name, _, ver = line.partition("==")
            if name.strip().lower() in names:
                return ver.strip()
    return None


def software_name(config: dict[str, Any] | None, requirements: list[str] | None) -> str:
    """Software part of the environment key: ``"Scikit-learn 1.1.2"`` (``"Scikit-learn"`` without a version)."""
    backend = backend_display(config.get("backend") if isinstance(config, dict) else None)
    version = backend_version(config, requirements)
    return f"{backend} {version}" if version else backend


def environment_key(platform: dict[str, Any] | None, config: dict[str, Any] | None,
                    requirements: list[str] | None, hardware: str | None = None) -> str:
    """``"<hardware> - <backend> <version>"`` (``"Xeon(R) W-2155 - Scikit-learn 1.1.2"``).

    Without a known version the key is ``"<hardware> - <backend>"``. ``hardware`` overrides the name derived
    from ``platform`` (callers that cache :func:`hardware_name` pass it).
    """
    return f"{hardware or hardware_name(platform)} - {software_name(config, requirements)}"


class EnvironmentLookupError(MleeError, ValueError):
    """An environment name that matches none, or several, of the known ones; the message lists them."""


def _normalised(name: str) -> str:
    """``name`` with its hardware part shortened as environment keys are (full CPU names then match)."""
    hardware, sep, software = str(name).partition(" - ")
    return f"{short_cpu_name(hardware)}{sep}{software}".strip().lower()


_SUFFIX = re.compile(r"^(?P<name>.*?)\s*\((?P<items>[^()]*)\)\s*$")
#: what environment names said of sweep settings before those became part of a run's identity (and so of its
#: model's name): such names are still accepted and mean the environment without them
_SETTINGS = ("test size ", "split seed ", "average ")


def _without_settings(name: str) -> str:
    """``name`` without sweep settings in its suffix (``"EPYC - Scikit-learn 1.9.1 (average macro)"`` -> the
    name before the suffix; a machine in the suffix is kept)."""
    match = _SUFFIX.match(name)
    if not match:
        return name
    items = [item.strip() for item in match.group("items").split(",")]
    if not any(item.startswith(_SETTINGS) for item in items):
        return name
    kept = [item for item in items if not item.startswith(_SETTINGS)]
    return f"{match.group('name')} ({', '.join(kept)})" if kept else match.group("name")


def resolve_environment(wanted: str, known: Iterable[str]) -> str:
    """The one environment of ``known`` that ``wanted`` names: the same name in any case (or with the full CPU
    name, ``"Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz - Scikit-learn 1.1.2"``), else the only name containing it
    (``"Xeon"``, ``"1.1.2"``). Names that carried sweep settings (``"... (average macro)"``) name the
    environment without them. Every tool that takes an environment by name uses this lookup.

    Raises :class:`EnvironmentLookupError` naming the known environments when none or several fit.
    """
    names = sorted({str(k) for k in known})
    wanted = _without_settings(str(wanted))
    key = wanted.strip().lower()
    for candidates in ([n for n in names if n.lower() == key],
                       [n for n in names if _normalised(n) == _normalised(wanted)],
                       [n for n in names if key in n.lower()],
                       [n for n in names if _normalised(wanted) in n.lower()]):
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            raise EnvironmentLookupError(
                f"environment {wanted!r} is ambiguous: it matches {', '.join(repr(n) for n in candidates)}; "
                f"give more of the name")
    raise EnvironmentLookupError(f"unknown environment {wanted!r}; pass --environment with one of: "
                                 f"{', '.join(repr(n) for n in names) or 'none'} (any unique part is enough)")
