"""The training copy inside a merged inference file, without what it repeats of the inference record.

A merged ``infer_<ts>.json`` embeds its whole training record (the published layout), so that one file
copied elsewhere still holds both phases. Most of that copy repeats the inference record: the
``requirements`` list (100-200 lines), the ``execution_platform`` record and most of ``config``. mlee writes
the copy without those values and names them in ``training["same_as_inference"]`` (top-level keys, and
``config.<key>`` for configuration entries); :func:`expand_training` puts them back, so the file still says
everything it said, and stays self-contained. Files without the list (the study's, mlee's earlier ones) are
returned unchanged.
"""

from __future__ import annotations

from typing import Any

#: key of the embedded training record listing the values it shares with the inference record
SHARED_KEY = "same_as_inference"
_CONFIG_PREFIX = "config."


def compact_training(inference: dict[str, Any], training: dict[str, Any]) -> dict[str, Any]:
    """``training`` without the top-level values and ``config`` entries equal to those of ``inference``."""
    outer_config = inference.get("config") if isinstance(inference.get("config"), dict) else {}
    shared: list[str] = []
    out: dict[str, Any] = {}
    for key, value in training.items():
        if key == "config" and isinstance(value, dict):
            config = {}
            for name, item in value.items():
                if name in outer_config and outer_config[name] == item:
                    shared.append(_CONFIG_PREFIX + name)
                else:
                    config[name] = item
            out[key] = config
        elif key in inference and inference[key] == value:
            shared.append(key)
        else:
            out[key] = value
    if shared:
        out[SHARED_KEY] = shared
    return out


def expand_training(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` (a parsed merged result) with its embedded training copy complete again.

    Returns ``record`` itself when there is nothing to restore (training files, old and published files);
    otherwise a shallow copy whose ``training`` has every value listed in ``same_as_inference`` back (taken
    from the inference record) and no ``same_as_inference`` key. Names that the inference record lacks are
    left out (a hand-edited file).
    """
    training = record.get("training")
    if not isinstance(training, dict) or SHARED_KEY not in training:
        return record
    shared = training[SHARED_KEY]
    full = {k: v for k, v in training.items() if k != SHARED_KEY}
    if isinstance(shared, list):
        outer_config = record.get("config") if isinstance(record.get("config"), dict) else {}
        config = dict(full["config"]) if isinstance(full.get("config"), dict) else None
        for name in shared:
            if not isinstance(name, str):
                continue
            if name.startswith(_CONFIG_PREFIX) and config is not None:
                if name[len(_CONFIG_PREFIX):] in outer_config:
                    config[name[len(_CONFIG_PREFIX):]] = outer_config[name[len(_CONFIG_PREFIX):]]
            elif name in record:
                full[name] = record[name]
        if config is not None:
            full["config"] = config
    return {**record, "training": full}


def training_config_entry(record: dict[str, Any], key: str) -> Any:
    """``record["training"]["config"][key]`` as :func:`expand_training` would give it (None when absent), without
    expanding the whole record (the loader needs one entry of 10,000s of files)."""
    training = record.get("training")
    if not isinstance(training, dict):
        return None
    config = training.get("config")
    if isinstance(config, dict) and key in config:
        return config[key]
    shared = training.get(SHARED_KEY)
    outer = record.get("config")
    if isinstance(shared, list) and isinstance(outer, dict) and _CONFIG_PREFIX + key in shared:
        return outer.get(key)
    return None
