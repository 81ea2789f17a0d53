"""The identity hash of a run (:class:`mlee.runs.spec.RunSpec`): a stable hash of what makes two results
comparable. The fields hashed are those of :meth:`RunSpec.identity_fields`, as canonical JSON (sorted keys,
no spaces); see :mod:`mlee.runs.spec` for what is in it and what is not."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

#: version of the identity's field set; part of the hash so that a changed field set never collides
IDENTITY_VERSION = 1


def canonical(value: Any) -> Any:
    """``value`` as JSON values (what a JSON round trip gives; non-JSON values as their text).

    Parameters
    ----------
    value : object
        Any value built of dicts, lists, numbers, text and None (others become text).

    Returns
    -------
    object
    """
    return json.loads(json.dumps(value, default=str))


def run_identity(fields: Mapping[str, Any]) -> str:
    """The identity of ``fields``: the first 16 hex digits of the SHA-256 of their canonical JSON.

    Parameters
    ----------
    fields : mapping
        What :meth:`mlee.runs.spec.RunSpec.identity_fields` returned.

    Returns
    -------
    str
        16 lowercase hex digits.
    """
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
