"""The meter's configuration as one frozen, typed record (:class:`MeterConfig`).

It is what a run records of its meter (one ``meter`` entry in ``config.json``) and part of the run's identity,
so equal settings must give equal records wherever they come from (the command line, the sweep API, ELEx):
values are validated and normalised on construction (``monitor`` lower case, ``country`` as its ISO 3166-1
alpha-3 code, numbers as floats). Errors name the parameter, never a command-line flag.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from mlee.errors import ConfigurationError
from mlee.monitoring.monitors import MONITORS

#: other spellings accepted by :meth:`MeterConfig.from_dict` (the command line's option names)
_ALIASES = {"cpu_tdp": "cpu_tdp_w"}


def _number(name: str, value: Any, minimum: float, strict: bool, hint: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be a number ({hint}), got {value!r}") from None
    if not (number > minimum if strict else number >= minimum):
        raise ConfigurationError(f"{name} must be {'>' if strict else '>='} {minimum:g} ({hint}), got {value!r}")
    return number


def normalise_monitor(value: Any) -> str:
    """``value`` as a meter's ``monitor`` setting: ``auto`` or a comma list of source names, lower case.

    Parameters
    ----------
    value : str
        ``auto``, one of :data:`~mlee.monitoring.monitors.MONITORS` or a comma list (``"rapl,nvml"``).

    Returns
    -------
    str
        The names, lower case, joined by commas.

    Raises
    ------
    ConfigurationError
        When a name is unknown or ``auto`` is combined with other sources.
    """
    names = [n.strip().lower() for n in str(value).split(",") if n.strip()]
    if not names or any(n not in MONITORS for n in names):
        raise ConfigurationError(f"monitor={value!r} is not an energy source: choose one of {', '.join(MONITORS)} "
                                 f"or a comma list such as 'rapl,nvml'")
    if "auto" in names and len(names) > 1:
        raise ConfigurationError(f"monitor={value!r}: 'auto' cannot be combined with other sources")
    return ",".join(names)


@dataclass(frozen=True)
class MeterConfig:
    """What a :class:`~mlee.monitoring.Meter` is configured with.

    Parameters
    ----------
    monitor : str
        Energy source(s): ``auto``, ``rapl``, ``nvml``, ``pyrapl``, ``codecarbon``, ``estimate`` or a comma list.
    cpu_tdp_w : float or None
        TDP of one CPU package, W, for the estimate (None: the CPU family's per-vCPU figure).
    idle_seconds : float
        Seconds of idle power measured before the first window (0: no net energy).
    country : str or None
        Grid country for the carbon figure (any form :func:`~mlee.monitoring.carbon.resolve_country` takes;
        stored as its alpha-3 code), None for no carbon figure.
    pue : float
        Power usage effectiveness of the data centre (>= 1), applied to the carbon figure only.

    Raises
    ------
    ValueError
        A value out of range, naming the parameter and what it takes.

    Examples
    --------
    >>> from mlee import MeterConfig
    >>> config = MeterConfig(monitor="estimate", pue=1.2)
    >>> config.monitor, config.pue
    ('estimate', 1.2)
    """

    monitor: str = "auto"
    cpu_tdp_w: float | None = None
    idle_seconds: float = 0.0
    country: str | None = None
    pue: float = 1.0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "monitor", normalise_monitor(self.monitor))
        if self.cpu_tdp_w is not None:
            set_(self, "cpu_tdp_w", _number("cpu_tdp_w", self.cpu_tdp_w, 0.0, True, "watts of one CPU package"))
        set_(self, "idle_seconds", _number("idle_seconds", self.idle_seconds, 0.0, False, "seconds"))
        set_(self, "pue", _number("pue", self.pue, 1.0, False,
                                  "facility energy / IT energy, e.g. 1.0 for a desktop, 1.2-1.6 for a data centre"))
        if self.country:
            from mlee.monitoring.carbon import resolve_country
            try:
                set_(self, "country", resolve_country(self.country))
            except (ValueError, FileNotFoundError) as exc:
                raise ConfigurationError(f"country={self.country!r}: {exc}") from None
        else:
            set_(self, "country", None)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON values (the ``meter`` entry of ``config.json``).

        Returns
        -------
        dict
            ``monitor``, ``cpu_tdp_w``, ``idle_seconds``, ``country``, ``pue``.
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> "MeterConfig":
        """A configuration from :meth:`to_dict`'s form; the command line's names (``cpu_tdp``) are accepted too,
        missing or None entries take the defaults.

        Parameters
        ----------
        values : mapping or None
            The settings.

        Returns
        -------
        MeterConfig

        Raises
        ------
        ConfigurationError
            For an unknown key or a value the meter cannot use.
        """
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in (values or {}).items():
            name = _ALIASES.get(key, key)
            if name not in known:
                raise ConfigurationError(f"unknown meter setting {key!r}; known: {', '.join(sorted(known))}")
            if value is not None:
                kwargs[name] = value
        return cls(**kwargs)


__all__ = ["MeterConfig", "normalise_monitor"]
