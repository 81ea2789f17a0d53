"""Grams CO2e from energy, a country's grid carbon intensity and a PUE, offline.

Intensities come from codecarbon's bundled ``codecarbon/data/private_infra/global_energy_mix.json`` (key:
ISO 3166-1 alpha-3 country code, ``carbon_intensity`` in g CO2e per kWh, with ``year`` and ``country_name``),
read as a data file: no tracker, no network. Formula::

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
                                    "install it with `pip install codecarbon` or leave --country out.")
        path = str(data / "private_infra" / ENERGY_MIX_FILE)
    with open(path, encoding="utf-8") as fh:
        return {k.upper(): v for k, v in json.load(fh).items()}


def country_record(country: str) -> dict[str, Any]:
    """Energy-mix record of ``country`` (ISO 3166-1 alpha-3 code such as ``DEU``, or an exact country name)."""
    table = load_energy_mix()
    code = country.strip().upper()
    if code in table:
        return dict(table[code], iso_code=code)
    for key, rec in table.items():
        if str(rec.get("country_name", "")).lower() == country.strip().lower():
            return dict(rec, iso_code=key)
    hint = "DEU, FRA, USA, GBR, CHN" if len(code) != 3 else "its ISO 3166-1 alpha-3 code"
    raise ValueError(f"unknown country {country!r} for --country: use an ISO 3166-1 alpha-3 code such as {hint} "
                     f"(codecarbon's table has {len(table)} countries).")


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
