"""Fast JSON reading: ``orjson`` when installed (about 4x faster on result files), the standard library otherwise."""

from __future__ import annotations

import json
import os
from typing import Any

try:  # pragma: no cover - which branch runs depends on the installation
    import orjson as _orjson

    def loads(data: bytes | str) -> Any:
        """Parse JSON text or UTF-8 bytes (orjson)."""
        return _orjson.loads(data)

    JSONDecodeError: type[Exception] = _orjson.JSONDecodeError
    BACKEND = "orjson"
except ImportError:  # pragma: no cover
    _orjson = None  # type: ignore[assignment]

    def loads(data: bytes | str) -> Any:
        """Parse JSON text or UTF-8 bytes (standard library)."""
        return json.loads(data)

    JSONDecodeError = json.JSONDecodeError
    BACKEND = "json"


def _finite(obj: Any) -> Any:
    """``obj`` with NaN / infinity replaced by None (valid JSON), recursively."""
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(obj: Any, indent: bool = True) -> bytes:
    """Serialise ``obj`` as UTF-8 JSON bytes ending in a newline; NaN and infinity become null.

    Uses orjson (indent 2) when installed, else the standard library.
    """
    if _orjson is not None:
        option = _orjson.OPT_NON_STR_KEYS | _orjson.OPT_APPEND_NEWLINE | (_orjson.OPT_INDENT_2 if indent else 0)
        try:
            return _orjson.dumps(obj, option=option)
        except TypeError:
            pass  # a type orjson does not know: the standard library decides (and names it)
    return (json.dumps(_finite(obj), indent=2 if indent else None, allow_nan=False) + "\n").encode("utf-8")


def load_file(path: str | os.PathLike, what: str) -> Any:
    """Parse the JSON file ``path``; ValueError naming ``what`` (e.g. "boundaries file"), the file and the fix."""
    try:
        raw = open(path, "rb").read()
    except OSError as exc:
        raise ValueError(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from None
    try:
        return loads(raw)
    except (JSONDecodeError, ValueError) as exc:
        raise ValueError(f"{what} {str(path)!r} is not valid JSON ({exc}); fix or re-save it") from None

