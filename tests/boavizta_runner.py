"""Run boaviztapi 2.5.0 in-process on the five user-terminal archetypes and print JSON.

This script runs inside the separate virtual environment made by ``make boavizta``
(``.venv-boavizta/bin/python tests/boavizta_runner.py``), never in the project's own: boaviztapi
pins an old FastAPI. It is boaviztapi used as a black box: its public objects compute the
impacts, and its package data files give the parameters and factors it used.

Output (stdout): ``{"boaviztapi_version", "duration_hours", "usage_location", "archetypes":
[...]}``; each archetype has its sobrenum category, its parameters (lifetime, average power,
use-time ratio, electricity factor), the embedded factor of the whole life, and boaviztapi's
results for the duration — ``*_raw`` straight from the computation, ``*_api`` as the API
returns them (rounded to significant figures).
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from typing import Any

from boaviztapi.compute.impacts_computation import compute_impacts
from boaviztapi.data.archetype import get_user_terminal_archetype
from boaviztapi.data.factor_provider import get_impact_factor
from boaviztapi.dto.device.user_terminal import (
    Desktop,
    Laptop,
    Monitor,
    Smartphone,
    Tablet,
    mapper_user_terminal,
)
from boaviztapi.dto.usage.usage import Usage

HOURS_PER_YEAR = 8760.0
#: sobrenum category → (boaviztapi DTO class, archetype id).
ARCHETYPES: dict[str, tuple[Any, str]] = {
    "laptop": (Laptop, "laptop-pro"),
    "desktop": (Desktop, "desktop-pro"),
    "monitor": (Monitor, "monitor-default"),
    "smartphone": (Smartphone, "smartphone-default"),
    "tablet": (Tablet, "tablet-default"),
}


def embedded_factor(device: Any, criterion: str) -> float:
    """The whole-life embedded impact boaviztapi reads from its factors file for ``device``."""
    entry = get_impact_factor(item=device.NAME, impact_type=criterion)
    device_type = getattr(device, "type", None)
    if device_type is not None and device_type.value is not None:
        entry = entry[device_type.value]
    return float(entry["impact"])


def run_archetype(category: str, dto_class: Any, archetype_id: str, location: str) -> dict:
    archetype = get_user_terminal_archetype(archetype_id)
    if not archetype:
        raise SystemExit(f"archétype {archetype_id} absent de boaviztapi")
    device = mapper_user_terminal(dto_class(usage=Usage(usage_location=location)), archetype)
    api = compute_impacts(model=device, selected_criteria=["gwp"], duration=HOURS_PER_YEAR)
    raw = device._impacts["gwp"]
    usage = device.usage
    hours_life_time = float(usage.hours_life_time.value)
    return {
        "category": category,
        "archetype": archetype_id,
        "device": device.NAME,
        "hours_life_time": hours_life_time,
        "lifetime_years": hours_life_time / HOURS_PER_YEAR,
        "avg_power_w": float(usage.avg_power.value),
        "use_time_ratio": float(usage.use_time_ratio.value),
        "usage_location": str(usage.usage_location.value),
        "elec_gwp_per_kwh": float(usage.elec_factors["gwp"].value),
        "embedded_gwp_whole_life": embedded_factor(device, "gwp"),
        "embedded_gwp_raw": float(raw["embedded"].value),
        "use_gwp_raw": float(raw["use"].value),
        "embedded_gwp_api": float(api["gwp"]["embedded"]["value"]),
        "use_gwp_api": float(api["gwp"]["use"]["value"]),
    }


def main() -> None:
    location = sys.argv[1] if len(sys.argv) > 1 else "FRA"
    result = {
        "boaviztapi_version": metadata.version("boaviztapi"),
        "duration_hours": HOURS_PER_YEAR,
        "usage_location": location,
        "archetypes": [
            run_archetype(category, dto_class, archetype_id, location)
            for category, (dto_class, archetype_id) in ARCHETYPES.items()
        ],
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
