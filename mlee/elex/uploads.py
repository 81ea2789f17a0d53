"""Uploaded boundaries and weights files: size-limited, decoded and validated before anything uses them.

A ``dcc.Upload`` hands the server a data URL (``data:<mime>;base64,<payload>``). :func:`parse_upload`
turns it into a validated boundaries or weights dict, or raises :class:`UploadError` whose message is
shown in the page as is (it names the problem and the fix); the settings then stay unchanged.
Validation is the rating engine's: the same rules as ``mlee.rating.load_boundaries`` / ``load_weights``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from mlee.errors import MleeError

#: largest accepted upload, in bytes (a published boundaries file is under 2 kB)
MAX_UPLOAD_BYTES = 256 * 1024
KINDS = ("boundaries", "weights")


class UploadError(MleeError, ValueError):
    """An uploaded file that cannot be used; the message is meant for the page."""


def decode_contents(contents: str, filename: str | None = None, max_bytes: int = MAX_UPLOAD_BYTES) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL, refusing anything over ``max_bytes``."""
    name = filename or "the uploaded file"
    if not isinstance(contents, str) or "," not in contents:
        raise UploadError(f"{name}: the upload arrived incomplete; choose the file again")
    header, _, payload = contents.partition(",")
    if len(payload) * 3 // 4 > max_bytes + 3:
        raise UploadError(f"{name} is larger than {max_bytes // 1024} kB; a boundaries or weights file is a few "
                          f"kB of JSON: upload the right file")
    try:
        data = base64.b64decode(payload, validate=True) if ";base64" in header else payload.encode("utf-8")
    except (binascii.Error, ValueError):
        raise UploadError(f"{name}: the upload is not valid base64; choose the file again") from None
    if len(data) > max_bytes:
        raise UploadError(f"{name} is larger than {max_bytes // 1024} kB; upload a boundaries or weights JSON file")
    return data


def _validate_with_engine(parsed: Any, kind: str, name: str) -> dict[str, Any]:
    """The rating engine's own validation (the single source of the rules for boundaries and weights)."""
    from mlee.rating import validate_boundaries, validate_weights

    validate = validate_boundaries if kind == "boundaries" else validate_weights
    try:
        return dict(validate(parsed, source=name))
    except ValueError as error:
        raise UploadError(f"{name} is not a valid {kind} file: {error}") from None


def parse_upload(contents: str, filename: str | None, kind: str,
                 max_bytes: int = MAX_UPLOAD_BYTES) -> dict[str, Any]:
    """A validated boundaries (scoped key -> 4 descending thresholds) or weights (scoped key -> float)
    dict from a ``dcc.Upload`` data URL; :class:`UploadError` with a clear message otherwise."""
    if kind not in KINDS:
        raise UploadError(f"Unknown upload kind {str(kind)[:40]!r}: upload a {' or '.join(KINDS)} file with its "
                          f"button")
    name = filename or f"the {kind} file"
    data = decode_contents(contents, name, max_bytes)
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UploadError(f"{name} is not JSON ({error}); upload a {kind} file in the published format, "
                          f"e.g. one saved with the 'Download {kind}' button") from None
    if not isinstance(parsed, dict) or not [k for k in parsed if not str(k).startswith("_")]:
        raise UploadError(f"{name} must be a JSON object mapping metric keys such as 'inference power_draw' to "
                          + ("four descending thresholds" if kind == "boundaries" else "weights"))
    loaded = _validate_with_engine(parsed, kind, name)  # numbers checked there: the conversions cannot fail
    if kind == "boundaries":
        return {str(k): [float(t) for t in v] for k, v in loaded.items()}
    return {str(k): float(v) for k, v in loaded.items()}
