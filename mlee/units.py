"""One formatter for numbers with units, shared by label, explorer and paper tables.

Values are rounded (never truncated) to a number of significant digits and given a fitting prefix or
unit: joules become mJ/kJ or Wh/kWh, seconds become ms/min/h, counts take SI prefixes (k, M, G, T),
bytes take kB/MB/GB, fractions are shown as percent. Missing and infinite values print as ``"n.a."``.
"""

from __future__ import annotations

import math

MISSING = "n.a."
_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def is_missing(value: object) -> bool:
    """True for None, NaN and infinity (no value can be shown for them: an infinite index means a reading of 0,
    below the measurement's resolution). The published ``-1`` sentinel is *not* handled here (loaders do that)."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def round_sig(value: float, digits: int = 3) -> float:
    """Round ``value`` to ``digits`` significant digits (half away from zero is not guaranteed: uses repr)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def format_number(value: float, digits: int = 3) -> str:
    """``value`` rounded to ``digits`` significant digits, without exponent and without trailing zeros."""
    if is_missing(value):
        return MISSING
    rounded = round_sig(float(value), digits)
    if rounded == 0:
        return "0"
    magnitude = int(math.floor(math.log10(abs(rounded))))
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{rounded:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _prefixed(value: float, unit: str, digits: int) -> str:
    """SI prefix (k, M, G, T) before ``unit``; no trailing space when ``unit`` is empty."""
    return _scaled(value, digits, tuple((factor, prefix + unit) for factor, prefix in _SI) + ((0.0, unit),)).rstrip()


def _scaled(value: float, digits: int, steps: tuple[tuple[float, str], ...]) -> str:
    """Pick the largest step (factor, unit) whose factor the rounded value reaches (deciding on the rounded value,
    999,999 becomes "1 M", not "1000 k"). The last step has factor 0: the catch-all for zero and tiny values,
    shown in the base unit."""
    for factor, unit in steps:
        if abs(round_sig(value, digits)) >= factor:
            return f"{format_number(value / (factor or 1.0), digits)} {unit}"
    raise AssertionError("the last step (factor 0) always matches")  # pragma: no cover


def format_energy(joules: float, digits: int = 3) -> str:
    """Energy: mJ (µJ, nJ) below 1 J, J up to 3.6 kJ, then Wh and kWh (1 Wh = 3600 J)."""
    if is_missing(joules):
        return MISSING
    return _scaled(float(joules), digits,
                   ((3.6e6, "kWh"), (3600.0, "Wh"), (1.0, "J"), (1e-3, "mJ"), (1e-6, "µJ"), (1e-9, "nJ"), (0.0, "J")))


def format_duration(seconds: float, digits: int = 3) -> str:
    """Duration: ns/µs/ms below a second, s up to a minute, then min and h."""
    if is_missing(seconds):
        return MISSING
    return _scaled(float(seconds), digits,
                   ((3600.0, "h"), (60.0, "min"), (1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"), (0.0, "s")))


def format_bytes(n_bytes: float, digits: int = 3) -> str:
    """File size with decimal prefixes: B, kB, MB, GB, TB."""
    if is_missing(n_bytes):
        return MISSING
    return _prefixed(float(n_bytes), "B", digits)


def format_count(count: float, digits: int = 3) -> str:
    """A count with SI prefixes: 27,920 -> ``"27.9 k"``."""
    if is_missing(count):
        return MISSING
    return _prefixed(float(count), "", digits)


def format_percent(fraction: float, digits: int = 3) -> str:
    """A fraction in [0, 1] as percent: 0.9123 -> ``"91.2 %"``."""
    if is_missing(fraction):
        return MISSING
    return f"{format_number(float(fraction) * 100.0, digits)} %"


def format_value(value: float, unit: str, digits: int = 3) -> str:
    """Format ``value`` stored in ``unit`` (``J``, ``s``, ``B``, ``FLOP``, ``#``, ``%``, ``score``, ``g`` of CO2e) for
    display."""
    if unit == "J":
        return format_energy(value, digits)
    if unit == "s":
        return format_duration(value, digits)
    if unit == "B":
        return format_bytes(value, digits)
    if unit == "%":
        return format_percent(value, digits)
    if unit == "FLOP":
        return MISSING if is_missing(value) else _prefixed(float(value), "FLOP", digits)
    if unit == "#":
        return format_count(value, digits)
    if unit == "score":
        return format_number(value, digits)
    if unit == "g":
        return format_grams(value, digits)
    raise ValueError(f"unknown unit {unit!r}; expected one of J, s, B, %, FLOP, #, score, g")



def format_interval(low: float, high: float, unit: str, digits: int = 2) -> str:
    """A 95 % interval: ``"2.1 mJ–210 mJ"`` (en dash); ``""`` when a bound is missing and the value alone when both
    are equal (no spread)."""
    if is_missing(low) or is_missing(high):
        return ""
    first, last = format_value(low, unit, digits), format_value(high, unit, digits)
    return first if first == last else f"{first}\u2013{last}"


def format_grams(grams: float, digits: int = 3) -> str:
    """Mass of CO2e: g (mg, µg, ng below 1 g) up to 1 kg, then kg and t."""
    if is_missing(grams):
        return MISSING
    return _scaled(float(grams), digits, ((1e6, "t"), (1e3, "kg"), (1.0, "g"), (1e-3, "mg"), (1e-6, "µg"),
                                          (1e-9, "ng"), (0.0, "g")))
