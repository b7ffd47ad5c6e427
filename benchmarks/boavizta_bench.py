"""Time boaviztapi 2.5.0 in-process, device by device, on a sample of a synthetic fleet.

Runs inside the boaviztapi virtual environment (``make boavizta``), called by
``benchmarks/engine.py``::

    .venv-boavizta/bin/python benchmarks/boavizta_bench.py sample.json

``sample.json``: ``{"criteria": [...], "duration_hours": 8760, "devices": [{"category",
"avg_power_w", "use_time_ratio", "hours_life_time", "usage_location"}, ...]}`` (sobrenum
category codes). Each device goes through what the API does for it (input object, mapping to
boaviztapi's model on its archetype, computation of embedded and use impacts for the criteria),
without HTTP and without the verbose part. Prints JSON: device count, total seconds, per-device
milliseconds, and the sum of the gwp results (a sanity check that the work was done).
"""

from __future__ import annotations

import json
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from boaviztapi.compute.impacts_computation import compute_impacts
from boaviztapi.data.archetype import get_user_terminal_archetype
from boaviztapi.dto.device.user_terminal import (
    Box,
    Desktop,
    ExternalHDD,
    ExternalSSD,
    Laptop,
    Monitor,
    Smartphone,
    Tablet,
    Television,
    UsbStick,
    mapper_user_terminal,
)
from boaviztapi.dto.usage.usage import Usage
from boaviztapi.models.impact import IMPACT_CRITERIAS

#: sobrenum category → (boaviztapi input class, archetype id).
TERMINALS: dict[str, tuple[Any, str]] = {
    "laptop": (Laptop, "laptop-pro"),
    "desktop": (Desktop, "desktop-pro"),
    "monitor": (Monitor, "monitor-default"),
    "smartphone": (Smartphone, "smartphone-default"),
    "tablet": (Tablet, "tablet-default"),
    "tv_display": (Television, "tv-pro"),
    "internet_box": (Box, "box-default"),
    "external_hdd": (ExternalHDD, "hdd-default"),
    "external_ssd": (ExternalSSD, "external-ssd-default"),
    "usb_key": (UsbStick, "usb-stick-default"),
}


def one_device(device: dict[str, Any], criteria: list[str], duration: float) -> float:
    """boaviztapi's impacts of one device; returns its gwp (embedded + use)."""
    dto_class, archetype_id = TERMINALS[device["category"]]
    usage = Usage(
        avg_power=device["avg_power_w"],
        use_time_ratio=device["use_time_ratio"],
        hours_life_time=device["hours_life_time"],
        usage_location=device["usage_location"],
    )
    model = mapper_user_terminal(dto_class(usage=usage), get_user_terminal_archetype(archetype_id))
    impacts = compute_impacts(model=model, selected_criteria=criteria, duration=duration)
    gwp = impacts.get("gwp", {})
    return sum(
        float(part["value"])
        for part in (gwp.get("embedded"), gwp.get("use"))
        if isinstance(part, dict)
    )


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    criteria = [c for c in spec["criteria"] if c in IMPACT_CRITERIAS]
    duration = float(spec["duration_hours"])
    devices = [d for d in spec["devices"] if d["category"] in TERMINALS]
    one_device(devices[0], criteria, duration)  # warm-up: archetype and factor files cached
    started = time.perf_counter()
    gwp = sum(one_device(d, criteria, duration) for d in devices)
    seconds = time.perf_counter() - started
    json.dump(
        {
            "boaviztapi_version": metadata.version("boaviztapi"),
            "devices": len(devices),
            "criteria": criteria,
            "seconds": seconds,
            "ms_per_device": 1000 * seconds / len(devices),
            "gwp_sum": gwp,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
