"""Grams CO2e from energy, a country's grid carbon intensity and a PUE, offline.

Intensities come from codecarbon's bundled ``codecarbon/data/private_infra/global_energy_mix.json`` (key:
ISO 3166-1 alpha-3 country code, ``carbon_intensity`` in g CO2e per kWh, with ``year`` and ``country_name``),
read as a data file: no tracker, no network. A country may also be given by its alpha-2 code or its name
(``mlee/data/countries.json`` maps them to alpha-3). Formula::

    grams_co2e = energy_j / 3.6e6 * pue * intensity_g_per_kwh

PUE (power usage effectiveness of the data centre, >= 1) scales only the carbon figure; joules stay raw.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from mlee.monitoring.cpu_info import codecarbon_data_dir
from mlee.monitoring.measurement import Carbon

log = logging.getLogger(__name__)

J_PER_KWH = 3.6e6
ENERGY_MIX_FILE = "global_energy_mix.json"  # codecarbon's bundled country table, under data/private_infra


@functools.lru_cache(maxsize=2)
def load_energy_mix(path: str | None = None) -> dict[str, dict[str, Any]]:
    """ISO3 country code -> codecarbon's energy-mix record (``carbon_intensity`` g/kWh, ``country_name``...)."""
    if path is None:
        data = codecarbon_data_dir()
        if data is None:
            raise FileNotFoundError("codecarbon is not installed, so its country carbon-intensity table is missing; "
                                    "install it with `pip install 'mlee[codecarbon]'` or leave --country out.")
        path = str(data / "private_infra" / ENERGY_MIX_FILE)
    with open(path, encoding="utf-8") as fh:
        return {k.upper(): v for k, v in json.load(fh).items()}


@functools.lru_cache(maxsize=1)
def _iso_countries() -> dict[str, list[str]]:
    """ISO 3166-1 alpha-2 code -> ``[alpha-3 code, names...]`` (``mlee/data/countries.json``)."""
    from mlee.catalog import package_table

    return package_table("countries.json")["countries"]


def resolve_country(country: str) -> str:
    """The ISO 3166-1 alpha-3 code of ``country``, given as an alpha-3 code (``DEU``), an alpha-2 code (``DE``)
    or a country name (``Germany``, any case; a unique part of a name also works). Raises ValueError with
    examples when it names no country, several, or one without a carbon intensity in codecarbon's table."""
    table = load_energy_mix()
    text = str(country).strip()
    code = text.upper()
    iso = _iso_countries()
    if len(code) == 2 and code in iso:
        code = iso[code][0]
    elif not (len(code) == 3 and code in table):
        names: dict[str, set[str]] = {}
        for alpha_3, *known in iso.values():
            names.setdefault(alpha_3, set()).update(n.lower() for n in known)
        for key, record in table.items():
            names.setdefault(key, set()).add(str(record.get("country_name", "")).lower())
        wanted = text.lower()
        exact = sorted(k for k, v in names.items() if wanted in v)
        partial = sorted(k for k, v in names.items() if len(wanted) >= 3 and any(wanted in n for n in v))
        found = exact or partial
        if len(found) > 1:
            raise ValueError(f"country {country!r} is ambiguous: it fits {', '.join(found[:10])}; give the ISO "
                             f"3166-1 code (alpha-2 such as DE or alpha-3 such as DEU)")
        if not found:
            raise ValueError(f"unknown country {country!r}: give an ISO 3166-1 alpha-2 or alpha-3 "
                             f"code or a country name, e.g. DE, DEU or Germany")
        code = found[0]
    if code not in table:
        raise ValueError(f"country {country!r} ({code}) has no grid carbon intensity in codecarbon's table "
                         f"({len(table)} countries); choose a neighbouring country's code or leave the country out")
    return code


def country_record(country: str) -> dict[str, Any]:
    """Energy-mix record of ``country`` (see :func:`resolve_country` for the accepted forms)."""
    code = resolve_country(country)
    return dict(load_energy_mix()[code], iso_code=code)


def validate_pue(pue: float) -> float:
    """Return ``pue`` as float or raise ValueError with the fix."""
    try:
        value = float(pue)
    except (TypeError, ValueError):
        raise ValueError(f"--pue must be a number >= 1.0 (e.g. 1.0 for a desktop, 1.2-1.6 for a data centre), "
                         f"got {pue!r}") from None
    if not value >= 1.0:
        raise ValueError(f"--pue must be >= 1.0 (facility energy / IT energy), got {value}; pass e.g. --pue 1.5")
    return value


def carbon_for(energy_j: float, net_energy_j: float | None, country: str, pue: float = 1.0) -> Carbon:
    """Carbon of a window's gross (and net) energy in ``country`` with data-centre ``pue``."""
    rec = country_record(country)
    pue = validate_pue(pue)
    intensity = float(rec["carbon_intensity"])
    factor = pue * intensity / J_PER_KWH
    return Carbon(country=rec["iso_code"], country_name=str(rec.get("country_name", rec["iso_code"])),
                  intensity_g_per_kwh=intensity, pue=pue, grams_co2e=energy_j * factor,
                  net_grams_co2e=None if net_energy_j is None else net_energy_j * factor,
                  source=f"codecarbon {ENERGY_MIX_FILE}",
                  year=int(rec["year"]) if rec.get("year") is not None else None)
