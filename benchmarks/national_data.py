"""Synthetic national fleet: 10,000,000 devices of 1,000 organisations, as Parquet.

    python benchmarks/national_data.py [--devices 10000000] [--organisations 1000]

Written chunk by chunk with pyarrow (memory bounded by one chunk), with a fixed seed, to
``benchmarks/_data/national-<devices>.parquet`` (git-ignored). An existing file made with
the same parameters is reused.

The mix follows a French local authority's fleet: laptops, desktops and monitors first, then
phones, printers, network gear and a few servers (hosted, some with their room's PUE).
Organisation sizes are skewed (a few regions and big cities, many small communes);
acquisitions span 12 years, skewed to recent ones; quantities are mostly 1, with some
aggregated lines (boxes of USB keys, IP phones, docking stations).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sobrenum.domain import FLEET_SCHEMA

DATA = Path(__file__).resolve().parent / "_data"
SEED = 2026
CHUNK_ROWS = 1_000_000
REPORTING_YEAR = 2025
YEARS_OF_PURCHASES = 12
ORGANISATION_ID = "organisation_id"

#: Share of each category across the national fleet.
CATEGORY_MIX: dict[str, float] = {
    "laptop": 0.27,
    "desktop": 0.16,
    "monitor": 0.25,
    "smartphone": 0.07,
    "tablet": 0.03,
    "thin_client": 0.015,
    "all_in_one": 0.01,
    "ip_phone": 0.05,
    "docking_station": 0.03,
    "printer": 0.015,
    "multifunction_printer": 0.015,
    "video_projector": 0.01,
    "interactive_display": 0.01,
    "external_hdd": 0.008,
    "usb_key": 0.008,
    "wifi_access_point": 0.008,
    "switch": 0.006,
    "router": 0.002,
    "firewall": 0.001,
    "rack_server": 0.003,
    "tower_server": 0.002,
    "storage_array": 0.001,
    "ups": 0.001,
}
HOSTED = ("rack_server", "tower_server", "storage_array", "ups")
#: Categories often inventoried as one line with a quantity.
AGGREGATED = ("usb_key", "ip_phone", "docking_station", "external_hdd", "wifi_access_point")
FOREIGN = ("BEL", "DEU", "ESP", "ITA", "CHE")

SCHEMA = pa.schema([pa.field(ORGANISATION_ID, pa.string()), *FLEET_SCHEMA])


def default_path(devices: int) -> Path:
    return DATA / f"national-{devices}.parquet"


def organisation_weights(organisations: int) -> np.ndarray:
    """Zipf-like sizes: the largest organisation has about 100 times the smallest's fleet."""
    rank = np.arange(1, organisations + 1, dtype=np.float64)
    weights: np.ndarray = rank**-0.7
    shares: np.ndarray = weights / weights.sum()
    return shares


def chunk(start: int, rows: int, organisations: int, rng: np.random.Generator) -> pa.Table:
    """Rows ``start`` … ``start + rows - 1`` of the national fleet."""
    names = np.array(list(CATEGORY_MIX), dtype=object)
    mix = np.array(list(CATEGORY_MIX.values()))
    category = names[rng.choice(len(names), rows, p=mix / mix.sum())]
    organisation = rng.choice(organisations, rows, p=organisation_weights(organisations))

    end = (dt.date(REPORTING_YEAR, 12, 31) - dt.date(1970, 1, 1)).days
    span = YEARS_OF_PURCHASES * 365
    age = np.minimum(rng.exponential(3.5 * 365, rows), span - 1).astype(np.int32)
    acquired = end - age
    u = rng.random(rows)
    status = np.full(rows, None, dtype=object)
    status[u < 0.5] = "in_use"
    status[(u >= 0.96) & (u < 0.98)] = "in_stock"
    retired = u >= 0.98
    status[retired] = "retired"
    retired_at = acquired + (rng.random(rows) * age).astype(np.int32)
    condition = np.full(rows, None, dtype=object)
    condition[rng.random(rows) < 0.04] = "refurbished"

    quantity = np.ones(rows, dtype=np.int64)
    aggregated = np.isin(category, AGGREGATED) & (rng.random(rows) < 0.15)
    quantity[aggregated] = rng.integers(2, 50, int(aggregated.sum()))
    hosted = np.isin(category, HOSTED)

    def sometimes(share: float, values: np.ndarray) -> pa.Array:
        return pa.array(values, mask=rng.random(rows) >= share, type=pa.float64())

    country = np.full(rows, None, dtype=object)
    abroad = rng.random(rows) < 0.01
    country[abroad] = rng.choice(np.array(FOREIGN, dtype=object), int(abroad.sum()))
    columns: dict[str, pa.Array] = {
        ORGANISATION_ID: pc.binary_join_element_wise(
            "ORG-", pc.cast(pa.array(organisation + 1), pa.string()), ""
        ),
        "asset_id": pc.binary_join_element_wise(
            "N", pc.cast(pa.array(np.arange(start, start + rows)), pa.string()), ""
        ),
        "category": pa.array(category, type=pa.string()),
        "quantity": pa.array(quantity),
        "acquisition_date": pa.array(acquired, type=pa.int32()).cast(pa.date32()),
        "retirement_date": pa.array(retired_at, type=pa.int32(), mask=~retired).cast(pa.date32()),
        "status": pa.array(status, type=pa.string()),
        "condition": pa.array(condition, type=pa.string()),
        "lifetime_years": sometimes(0.1, rng.uniform(3, 9, rows).round(1)),
        "upstream_lifetime_years": pa.array(
            rng.uniform(1, 4, rows).round(1), mask=condition != "refurbished", type=pa.float64()
        ),
        "downstream_lifetime_years": sometimes(0.03, rng.uniform(1, 3, rows).round(1)),
        "site": pc.binary_join_element_wise(
            "Site ", pc.cast(pa.array(rng.integers(1, 40, rows)), pa.string()), ""
        ),
        "department": pc.binary_join_element_wise(
            "Service ", pc.cast(pa.array(rng.integers(1, 25, rows)), pa.string()), ""
        ),
        "country": pa.array(country, type=pa.string()),
        "power_w": sometimes(0.05, rng.uniform(5, 120, rows).round(1)),
        "hours_per_day": sometimes(0.05, rng.uniform(1, 10, rows).round(1)),
        "pue": pa.array(
            rng.uniform(1.3, 2.0, rows).round(2),
            mask=~hosted | (rng.random(rows) < 0.5),
            type=pa.float64(),
        ),
    }
    return pa.table(
        [columns[f.name] if f.name in columns else pa.nulls(rows, f.type) for f in SCHEMA],
        schema=SCHEMA,
    )


def generate(devices: int, organisations: int, path: Path, seed: int = SEED) -> Path:
    """Write the fleet to ``path`` one chunk at a time (reused if already made alike)."""
    stamp = f"{devices}:{organisations}:{seed}".encode()
    if path.exists():
        meta = pq.read_schema(path).metadata or {}
        if meta.get(b"sobrenum-national") == stamp:
            return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    partial = path.with_suffix(".partial")
    schema = SCHEMA.with_metadata({"sobrenum-national": stamp})
    with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
        for start in range(0, devices, CHUNK_ROWS):
            rows = min(CHUNK_ROWS, devices - start)
            writer.write_table(
                chunk(start, rows, organisations, rng).replace_schema_metadata(schema.metadata)
            )
    partial.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="Parc national synthétique (Parquet)")
    parser.add_argument("--devices", type=int, default=10_000_000)
    parser.add_argument("--organisations", type=int, default=1_000)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    path = args.output or default_path(args.devices)
    t = time.perf_counter()
    generate(args.devices, args.organisations, path)
    size = path.stat().st_size / 2**20
    print(
        f"{args.devices} équipements, {args.organisations} organisations : {path} "
        f"({size:.0f} Mio, {time.perf_counter() - t:.1f} s)"
    )


if __name__ == "__main__":
    main()
