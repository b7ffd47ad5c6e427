"""The same engine on DuckDB, Apache Spark (local mode) and PostgreSQL gives the same figures.

One Spark session for the whole run (starting one takes seconds); PostgreSQL is the real
throwaway server of tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.domain import FLEET_SCHEMA
from sobrenum.engine import Parameters, compute
from sobrenum.engine.backends import (
    BackendError,
    connect,
    load_fleet,
    run_on_backend,
)
from sobrenum.referential import Referential, load
from sobrenum.reporting.formatting import number

TODAY = dt.date(2026, 11, 29)
PARAMS = Parameters(reporting_year=2025)
RELATIVE_TOLERANCE = 1e-9
SOME_DEVICES = ["D00000", "D00007", "D00042", "D01234", "D09999"]
Key = tuple[str, ...]


@pytest.fixture(scope="session")
def ref() -> Referential:
    return load()


@pytest.fixture(scope="session")
def spark() -> Iterator[ibis.BaseBackend]:
    """One Spark local session for the whole test run."""
    con = connect("spark", threads=2)
    try:
        yield con
    finally:
        con.disconnect()


def national_like_fleet(n: int = 10_000, seed: int = 20_251) -> pa.Table:
    """``n`` devices of several organisations: refurbished, retired, in stock, bought mid-year,
    hosted servers with and without their own PUE, several countries, aggregated lines."""
    rng = np.random.default_rng(seed)
    cats = np.array(
        ["laptop", "desktop", "monitor", "smartphone", "ip_phone", "rack_server", "storage_array"]
    )
    category = cats[rng.choice(len(cats), n, p=[0.3, 0.18, 0.25, 0.12, 0.1, 0.03, 0.02])]
    epoch = dt.date(1970, 1, 1)
    first, last = (dt.date(2014, 1, 1) - epoch).days, (dt.date(2025, 12, 31) - epoch).days
    acquired = rng.integers(first, last, n)
    u = rng.random(n)
    status = np.where(u < 0.05, "in_stock", np.where(u < 0.12, "retired", "in_use")).astype(object)
    status[rng.random(n) < 0.2] = None  # default: in use
    # Retired in 2025 (mid-year) or before; a few retired with no date.
    retire = status == "retired"
    retired_at = np.minimum(acquired + rng.integers(200, 3000, n), last)
    retired_mask = ~retire | (rng.random(n) < 0.1)
    refurbished = rng.random(n) < 0.1
    hosted = np.isin(category, ["rack_server", "storage_array"])

    def some(share: float, values: Any, typ: pa.DataType) -> pa.Array:
        return pa.array(values, type=typ, mask=rng.random(n) >= share)

    country = rng.choice(
        np.array(["FRA", "DEU", "BEL", "ESP"], dtype=object), n, p=[0.7, 0.1, 0.1, 0.1]
    )
    quantity = np.where(rng.random(n) < 0.03, rng.integers(2, 40, n), 1)
    columns: dict[str, pa.Array] = {
        "asset_id": pa.array([f"D{i:05d}" for i in range(n)]),
        "category": pa.array(category),
        "quantity": pa.array(quantity, pa.int64()),
        "acquisition_date": pa.array(acquired, pa.int32()).cast(pa.date32()),
        "retirement_date": pa.array(retired_at, pa.int32(), mask=retired_mask).cast(pa.date32()),
        "status": pa.array(status, pa.string()),
        "condition": pa.array(np.where(refurbished, "refurbished", "new"), pa.string()),
        "lifetime_years": some(0.15, rng.uniform(2, 9, n).round(2), pa.float64()),
        "upstream_lifetime_years": pa.array(
            rng.uniform(1, 4, n).round(1), pa.float64(), mask=~refurbished | (rng.random(n) < 0.5)
        ),
        "downstream_lifetime_years": some(0.05, rng.uniform(1, 3, n).round(1), pa.float64()),
        "site": pa.array(rng.choice([f"Site {i}" for i in range(9)], n)),
        "department": pa.array(rng.choice([f"Service {i}" for i in range(14)], n)),
        "country": pa.array(country, pa.string(), mask=rng.random(n) < 0.3),
        "annual_kwh": some(0.03, rng.uniform(10, 400, n).round(1), pa.float64()),
        "power_w": some(0.05, rng.uniform(3, 150, n).round(1), pa.float64()),
        "hours_per_day": some(0.05, rng.uniform(1, 12, n).round(1), pa.float64()),
        "pue": pa.array(rng.uniform(1.2, 2.0, n).round(2), pa.float64(), mask=~hosted | (u < 0.5)),
    }
    table = pa.table(
        [columns[f.name] if f.name in columns else pa.nulls(n, f.type) for f in FLEET_SCHEMA],
        schema=FLEET_SCHEMA,
    )
    organisation = pa.array([f"ORG-{i:02d}" for i in rng.integers(0, 7, n)])
    return table.append_column("organisation_id", organisation)


@pytest.fixture(scope="module")
def fleet() -> pa.Table:
    return national_like_fleet()


def keyed(totals: pa.Table, keys: list[str]) -> dict[Key, tuple[float, float]]:
    return {tuple(r[k] for k in keys): (r["annual"], r["whole_life"]) for r in totals.to_pylist()}


def largest_gap(
    ours: dict[Key, tuple[float, float]], theirs: dict[Key, tuple[float, float]]
) -> float:
    assert ours.keys() == theirs.keys()
    gap = 0.0
    for key, pair in ours.items():
        for x, y in zip(pair, theirs[key], strict=True):
            scale = max(abs(x), abs(y))
            gap = max(gap, abs(x - y) / scale if scale else 0.0)
    return gap


def device_rows(table: pa.Table) -> dict[Key, dict[str, Any]]:
    return {
        (r["asset_id"], r["criterion"], r["phase"]): r
        for r in table.drop_columns(["quantity"]).to_pylist()
    }


def test_duckdb_spark_and_postgres_give_the_same_footprint(
    fleet: pa.Table, ref: Referential, spark: ibis.BaseBackend, postgres_url: str
) -> None:
    keys = ["category", "phase", "criterion"]
    results: dict[str, tuple[dict[Key, tuple[float, float]], pa.Table]] = {}
    backends = {
        "duckdb": connect("duckdb"),
        "spark": spark,
        "postgres": connect("postgres", postgres_url),
    }
    for name, con in backends.items():
        fp = compute(load_fleet(con, fleet), ref, PARAMS, backend=con, today=TODAY)
        results[name] = (keyed(fp.totals(["category", "phase"]), keys), fp.devices(SOME_DEVICES))
    reference, devices = results["duckdb"]
    # Every category × criterion × phase the fleet has, with real (non-zero) figures.
    assert len(reference) > 100
    assert {k[0] for k in reference} == set(pc.unique(fleet["category"]).to_pylist())
    assert sum(a for a, _ in reference.values()) > 0
    for name in ("spark", "postgres"):
        assert largest_gap(results[name][0], reference) < RELATIVE_TOLERANCE, name
    # The per-device lines of a few devices: same figures, same factors and sources.
    ours = device_rows(devices)
    assert {k[0] for k in ours} == set(SOME_DEVICES)
    for name in ("spark", "postgres"):
        theirs = device_rows(results[name][1])
        assert theirs.keys() == ours.keys(), name
        for key, row in ours.items():
            other = theirs[key]
            for column in ("factor_id", "source_id", "referential_version", "country"):
                assert other[column] == row[column], (name, key, column)
            for column in ("annual", "whole_life", "lifetime_years", "annual_kwh"):
                assert other[column] == pytest.approx(row[column], rel=RELATIVE_TOLERANCE), (
                    name,
                    key,
                    column,
                )
    backends["postgres"].disconnect()


def test_a_parquet_fleet_on_postgres_is_copied_and_totalled_by_organisation(
    fleet: pa.Table, ref: Referential, postgres_url: str, tmp_path: Path
) -> None:
    # A Parquet file as a network exports it: only some columns, its own types.
    path = tmp_path / "flotte.parquet"
    slim = fleet.select(
        ["asset_id", "organisation_id", "category", "quantity", "acquisition_date", "status"]
    )
    pq.write_table(slim.set_column(3, "quantity", slim["quantity"].cast(pa.int32())), path)
    by = ["organisation_id", "category", "phase"]
    keys = [*by, "criterion"]
    on_pg = run_on_backend(path, ref, PARAMS, "postgres", postgres_url, today=TODAY)
    on_duck = run_on_backend(path, ref, PARAMS, "duckdb", today=TODAY)
    pg_totals, duck_totals = keyed(on_pg.totals(by), keys), keyed(on_duck.totals(by), keys)
    assert {k[0] for k in pg_totals} == {f"ORG-{i:02d}" for i in range(7)}
    assert largest_gap(pg_totals, duck_totals) < RELATIVE_TOLERANCE
    counts = on_pg.device_counts(["organisation_id"]).to_pylist()
    # Without retirement dates, a retired status means retired before the year: not counted.
    kept = pc.fill_null(pc.not_equal(slim["status"], "retired"), True)
    assert sum(r["devices"] for r in counts) == pc.sum(slim["quantity"].filter(kept)).as_py()
    on_pg.backend.disconnect()


def test_duckdb_with_a_memory_limit_scans_parquet_and_spills_to_its_folder(
    fleet: pa.Table, ref: Referential, tmp_path: Path
) -> None:
    path = tmp_path / "flotte.parquet"
    pq.write_table(fleet, path, row_group_size=2_000)
    spill = tmp_path / "spill"
    con = connect("duckdb", memory_limit="200MB", temp_directory=spill, threads=1)
    settings = con.raw_sql(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchone()
    assert settings is not None
    assert settings[0].replace(" ", "") in ("190.7MiB", "200.0MB", "200MB")
    assert settings[1] == str(spill)
    out = tmp_path / "impacts.parquet"
    fp = run_on_backend(path, ref, PARAMS, con, output_parquet=out, today=TODAY)
    in_memory = compute(fleet, ref, PARAMS, today=TODAY)
    keys = ["organisation_id", "criterion"]
    assert (
        largest_gap(keyed(fp.totals(keys[:1]), keys), keyed(in_memory.totals(keys[:1]), keys))
        < RELATIVE_TOLERANCE
    )
    # The per-device table written by DuckDB sums to the same totals.
    written = duckdb.sql(
        f"SELECT criterion, sum(annual) AS annual FROM read_parquet('{out}') GROUP BY criterion"
    ).fetchall()
    expected = {r["criterion"]: r["annual"] for r in in_memory.totals(["criterion"]).to_pylist()}
    assert {c: pytest.approx(a, rel=1e-9) for c, a in written} == expected
    assert pq.read_schema(out).names[:6] == [
        "asset_id",
        "category",
        "site",
        "department",
        "country",
        "organisation_id",
    ]


def test_backends_that_cannot_start_say_why_in_french(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(BackendError, match="Moteur de calcul inconnu « oracle »"):
        connect("oracle")
    with pytest.raises(BackendError, match="--base-url postgresql://"):
        connect("postgres")
    with pytest.raises(BackendError, match="doit commencer par postgresql://"):
        connect("postgres", "mysql://root@127.0.0.1/base")
    with pytest.raises(
        BackendError, match=r"Connexion à PostgreSQL impossible \(postgresql://moi:\*\*\*@"
    ):
        connect("postgres", "postgresql://moi:secret@127.0.0.1:1/base")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendError, match="Spark a besoin de Java"):
        connect("spark")


def test_a_parquet_file_without_the_required_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flotte.parquet"
    pq.write_table(pa.table({"asset_id": ["A"], "quantite": [1]}), path)
    with pytest.raises(
        BackendError, match="colonne\\(s\\) obligatoire\\(s\\) absente\\(s\\) : category"
    ):
        load_fleet(connect("duckdb"), path)
    with pytest.raises(BackendError, match="Fichier Parquet introuvable"):
        load_fleet(connect("duckdb"), tmp_path / "absent.parquet")


def test_cli_footprint_of_a_parquet_fleet_on_postgres_writes_parquet_impacts(
    fleet: pa.Table, ref: Referential, postgres_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "flotte.parquet"
    pq.write_table(fleet.slice(0, 2_000), path)
    out = tmp_path / "impacts.parquet"
    done = CliRunner().invoke(
        app,
        [
            "empreinte",
            str(path),
            "--annee",
            "2025",
            "--moteur",
            "postgres",
            "--adresse-moteur",
            postgres_url,
            "--sortie-parquet",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    part = fleet.slice(0, 2_000)
    # The year's devices: not retired, or retired after 1 January 2025 (docs/methodologie § 3 bis).
    after = pc.greater(part["retirement_date"], pa.scalar(dt.date(2025, 1, 1), pa.date32()))
    kept = pc.or_(
        pc.fill_null(pc.not_equal(part["status"], "retired"), True), pc.fill_null(after, False)
    )
    devices = pc.sum(part["quantity"].filter(kept)).as_py()
    assert f"{number(devices)} équipements" in done.output
    assert "PostgreSQL" in done.output
    impacts = pq.read_table(out)
    expected = compute(fleet.slice(0, 2_000), ref, PARAMS).impacts.count().execute()
    assert impacts.num_rows == expected


def test_cli_refuses_an_unknown_backend_in_french(tmp_path: Path) -> None:
    path = tmp_path / "flotte.parquet"
    pq.write_table(national_like_fleet(10), path)
    done = CliRunner().invoke(app, ["empreinte", str(path), "--moteur", "oracle"])
    assert done.exit_code == 2
    assert "Moteur de calcul inconnu « oracle »" in done.output
    assert not os.path.exists(tmp_path / "impacts.parquet")
