"""Where the engine runs: DuckDB in-process (default), Apache Spark or PostgreSQL, via Ibis.

The engine's expressions are the same on every backend; this module only opens the backend
and puts a fleet on it the fast way for that backend:

* DuckDB scans an Arrow table in place and a Parquet file lazily (never loaded whole into
  Python); with ``memory_limit`` and ``temp_directory`` it spills to disk beyond the limit.
* Spark reads Parquet itself (``spark.read.parquet``) or takes an Arrow table directly.
* PostgreSQL receives the fleet through ``COPY`` into a temporary table (gone when the
  connection closes), Parquet streamed by batches.

Errors a user can meet (no Java, bad URL, unreachable server, missing column) are French
:class:`BackendError`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_ds

from sobrenum.domain import FLEET_SCHEMA, SobrenumError
from sobrenum.domain.equipment import REQUIRED_FIELDS
from sobrenum.engine.compute import MODEL_FACTOR_ID, MODEL_GWP, ORGANISATION_ID, Parameters
from sobrenum.engine.run import Footprint, as_fleet_table, compute
from sobrenum.referential import Referential

BackendName = Literal["duckdb", "spark", "postgres"]
BACKEND_NAMES: tuple[BackendName, ...] = ("duckdb", "spark", "postgres")
BACKEND_LABELS: dict[str, str] = {
    "duckdb": "DuckDB",
    "spark": "Apache Spark",
    "postgres": "PostgreSQL",
}

#: Columns the engine uses beyond the canonical schema, kept when a fleet carries them.
EXTRA_COLUMNS: dict[str, pa.DataType] = {
    "source_line": pa.int64(),
    ORGANISATION_ID: pa.string(),
    MODEL_GWP: pa.float64(),
    MODEL_FACTOR_ID: pa.string(),
}
#: Rows per COPY batch into PostgreSQL (bounded memory for any fleet size).
COPY_BATCH_ROWS = 100_000

_POSTGRES_TYPES: dict[pa.DataType, str] = {
    pa.string(): "text",
    pa.large_string(): "text",
    pa.int64(): "bigint",
    pa.int32(): "integer",
    pa.int16(): "smallint",
    pa.float64(): "double precision",
    pa.float32(): "real",
    pa.date32(): "date",
    pa.bool_(): "boolean",
}


class BackendError(SobrenumError):
    """A backend cannot be started or reached, or refuses the fleet."""


# --- connecting ------------------------------------------------------------------------------


def connect(
    name: str = "duckdb",
    url: str | None = None,
    *,
    memory_limit: str | None = None,
    temp_directory: Path | None = None,
    threads: int | None = None,
) -> ibis.BaseBackend:
    """Open a backend by name: ``duckdb`` (default), ``spark`` or ``postgres``.

    ``url`` is the DuckDB database file (in memory when absent), the Spark master
    (``local[*]`` when absent, e.g. ``spark://host:7077``) or the PostgreSQL URL
    (``postgresql://user:password@host:5432/base``, required).
    ``memory_limit`` (e.g. ``"1GB"``) bounds DuckDB's memory (it spills to
    ``temp_directory`` beyond it) or sets the Spark driver's memory.
    """
    if name == "duckdb":
        return _connect_duckdb(url, memory_limit, temp_directory, threads)
    if name == "spark":
        return _connect_spark(url, memory_limit, threads)
    if name in ("postgres", "postgresql"):
        return _connect_postgres(url)
    raise BackendError(
        f"Moteur de calcul inconnu « {name} » (attendu : {', '.join(BACKEND_NAMES)})."
    )


def _connect_duckdb(
    url: str | None, memory_limit: str | None, temp_directory: Path | None, threads: int | None
) -> ibis.BaseBackend:
    config: dict[str, Any] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
        # Order-free plans stream and spill instead of holding rows to keep their order.
        config["preserve_insertion_order"] = False
    if temp_directory:
        Path(temp_directory).mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(temp_directory)
    if threads:
        config["threads"] = threads
    try:
        return ibis.duckdb.connect(url or ":memory:", **config)
    except Exception as exc:  # duckdb raises its own error classes for bad settings or files
        raise BackendError(f"DuckDB n'a pas pu démarrer : {exc}") from exc


def java_executable() -> str | None:
    """The ``java`` Spark will run (``$JAVA_HOME/bin/java`` first), if any."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def spark_backend(session: Any) -> ibis.BaseBackend:
    """An Ibis backend on an existing SparkSession (in-memory tables passed as Arrow)."""
    return _arrow_spark_backend_class()().connect(session)


def _arrow_spark_backend_class() -> type:
    ibis.pyspark  # noqa: B018 -- loading the backend registers ``ibis.options.pyspark``
    from ibis.backends.pyspark import Backend as PySparkBackend

    class ArrowPySparkBackend(PySparkBackend):  # type: ignore[misc]
        """PySpark backend whose in-memory tables go to Spark as Arrow, nulls intact.

        Ibis 12 hands them over as pandas frames, where a missing float becomes NaN, which
        Spark keeps as NaN (not NULL): ``COALESCE`` then no longer falls back to defaults.
        """

        def _register_in_memory_table(self, op: Any) -> None:
            frame = self._session.createDataFrame(op.data.to_pyarrow(op.schema))
            frame.createOrReplaceTempView(op.name)

        def to_pyarrow(
            self, expr: ir.Expr, /, *, params: Any = None, limit: Any = None, **kwargs: Any
        ) -> Any:
            """Results straight from Spark's Arrow batches (Ibis 12 goes through pandas)."""
            from ibis.formats.pyarrow import PyArrowData

            table_expr = expr.as_table()
            self._run_pre_execute_hooks(table_expr)
            sql = self.compile(table_expr, params=params, limit=limit)
            arrow = self._session.sql(sql).toArrow()
            table = PyArrowData.convert_table(arrow, table_expr.schema())
            return expr.__pyarrow_result__(table)

    return ArrowPySparkBackend


def _connect_spark(
    master: str | None, memory_limit: str | None, threads: int | None
) -> ibis.BaseBackend:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise BackendError(
            "PySpark n'est pas installé : installez-le avec « pip install 'sobrenum[spark]' »."
        ) from exc
    if java_executable() is None:
        raise BackendError(
            "Spark a besoin de Java (17 ou plus), introuvable sur cette machine : installez "
            "le paquet Debian openjdk-17-jre-headless ou indiquez JAVA_HOME."
        )
    cores = threads or os.cpu_count() or 2
    master = master or f"local[{cores}]"
    builder = (
        SparkSession.builder.master(master)
        .appName("sobrenum")
        # Each session its own warehouse: a second run would otherwise fail (LOCATION_ALREADY_EXISTS).
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="sobrenum-spark-"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(2, 2 * cores)))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if memory_limit:
        builder = builder.config("spark.driver.memory", memory_limit.replace("B", "").lower())
    try:
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
    except Exception as exc:  # py4j / Java start-up errors
        raise BackendError(f"Spark n'a pas pu démarrer (maître « {master} ») : {exc}") from exc
    return spark_backend(session)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _connect_postgres(url: str | None) -> ibis.BaseBackend:
    if not url:
        raise BackendError(
            "Le moteur PostgreSQL demande l'adresse de la base : "
            "--base-url postgresql://utilisateur:motdepasse@hôte:5432/base"
        )
    scheme = urlsplit(url).scheme
    if scheme not in ("postgresql", "postgres"):
        raise BackendError(
            f"Adresse PostgreSQL invalide « {redact(url)} » : elle doit commencer par postgresql://"
        )
    try:
        return ibis.connect(url.replace("postgresql://", "postgres://", 1))
    except Exception as exc:  # psycopg.OperationalError and URL parsing errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackendError(f"Connexion à PostgreSQL impossible ({redact(url)}) : {first}") from exc


def backend_name(backend: ibis.BaseBackend) -> BackendName:
    name = backend.name
    if name == "pyspark":
        return "spark"
    if name == "postgres":
        return "postgres"
    return "duckdb"


# --- putting a fleet on a backend ------------------------------------------------------------


def _check_columns(names: Iterable[str], origin: str) -> None:
    present = set(names)
    missing = [c for c in REQUIRED_FIELDS if c not in present]
    if missing:
        raise BackendError(
            f"{origin} : colonne(s) obligatoire(s) absente(s) : {', '.join(missing)} "
            f"(colonnes attendues : schéma canonique, {', '.join(FLEET_SCHEMA.names)})."
        )


def _wanted_types(names: Iterable[str]) -> dict[str, pa.DataType]:
    """The canonical type of each column the engine uses, in canonical order."""
    present = set(names)
    wanted = {f.name: f.type for f in FLEET_SCHEMA}
    wanted.update({n: t for n, t in EXTRA_COLUMNS.items() if n in present})
    return wanted


def _canonical(table: ir.Table) -> ir.Table:
    """The fleet with every canonical column, typed (missing ones null), plus known extras."""
    columns: dict[str, ir.Value] = {}
    for name, typ in _wanted_types(table.columns).items():
        ibis_type = ibis.dtype(typ)
        if name in table.columns:
            col = table[name]
            columns[name] = col if col.type() == ibis_type else col.cast(ibis_type)
        else:
            columns[name] = ibis.null(ibis_type)
    return table.select(**columns)


def _parquet_dataset(path: Path) -> pa_ds.Dataset:
    if not path.exists():
        raise BackendError(f"Fichier Parquet introuvable : {path}")
    try:
        return pa_ds.dataset(path, format="parquet")
    except (pa.ArrowInvalid, OSError) as exc:
        raise BackendError(f"{path.name} n'est pas un fichier Parquet lisible : {exc}") from exc


def load_fleet(backend: ibis.BaseBackend, fleet: pa.Table | Path | str) -> ir.Table:
    """Put a fleet (Arrow table, or Parquet file or folder) on ``backend``, canonical columns.

    Nothing is loaded whole into Python from a Parquet file: DuckDB and Spark scan it, and
    PostgreSQL receives it by batches through ``COPY``.
    """
    name = f"sobrenum_fleet_{uuid.uuid4().hex[:12]}"
    kind = backend_name(backend)
    if isinstance(fleet, pa.Table):
        _check_columns(fleet.column_names, "Parc")
        arrow = as_fleet_table(fleet)
        for extra in (ORGANISATION_ID,):
            if extra in fleet.column_names and extra not in arrow.column_names:
                arrow = arrow.append_column(extra, fleet[extra].cast(EXTRA_COLUMNS[extra]))
        if kind == "postgres":
            return _canonical(_copy_to_postgres(backend, name, arrow.schema, arrow.to_batches()))
        if kind == "spark":
            frame = backend._session.createDataFrame(arrow)
            frame.createOrReplaceTempView(name)
            return _canonical(backend.table(name))
        return _canonical(ibis.memtable(arrow))
    path = Path(fleet)
    dataset = _parquet_dataset(path)
    _check_columns(dataset.schema.names, path.name)
    if kind == "postgres":
        wanted = _wanted_types(dataset.schema.names)
        columns = [c for c in wanted if c in dataset.schema.names]
        schema = pa.schema([(c, wanted[c]) for c in columns])
        batches = (
            b.select(columns).cast(schema)
            for b in dataset.to_batches(columns=columns, batch_size=COPY_BATCH_ROWS)
        )
        return _canonical(_copy_to_postgres(backend, name, schema, batches))
    try:
        return _canonical(backend.read_parquet(path, table_name=name))
    except Exception as exc:
        raise BackendError(f"Lecture de {path.name} impossible : {exc}") from exc


def _copy_to_postgres(
    backend: ibis.BaseBackend,
    name: str,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
) -> ir.Table:
    """A temporary table filled by ``COPY … FROM STDIN`` (CSV written by Arrow, batch by batch).

    Temporary: it lives as long as the connection and leaves nothing on the server.
    """
    columns = []
    for field in schema:
        sql_type = _POSTGRES_TYPES.get(field.type)
        if sql_type is None:
            raise BackendError(
                f"Colonne « {field.name} » : type {field.type} non pris en charge pour PostgreSQL."
            )
        columns.append(f'"{field.name}" {sql_type}')
    raw = backend.con
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    with raw.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({', '.join(columns)})")
        # Strings are quoted by Arrow, so an empty string stays "" while a null stays empty.
        with cursor.copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy:
            for chunk in _csv_chunks(batches, schema, options):
                copy.write(chunk)
        cursor.execute(f"ANALYZE {name}")
    raw.commit()
    return backend.table(name)


def _csv_chunks(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, options: pa_csv.WriteOptions
) -> Iterator[bytes]:
    for batch in batches:
        if batch.num_rows == 0:
            continue
        sink = io.BytesIO()
        pa_csv.write_csv(pa.Table.from_batches([batch], schema=schema), sink, options)
        yield sink.getvalue()


# --- running and writing ---------------------------------------------------------------------


def write_impacts_parquet(footprint: Footprint, path: Path) -> Path:
    """Write the per-device impacts to Parquet, streamed by the backend (never through pandas).

    DuckDB and PostgreSQL write one file; Spark writes a folder of part files (its format).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.is_dir():
        shutil.rmtree(path)
    kind = backend_name(footprint.backend)
    if kind == "spark":
        footprint.backend.to_parquet(footprint.impacts, path, mode="overwrite")
    else:
        footprint.backend.to_parquet(footprint.impacts, path)
    return path


def run_on_backend(
    fleet: pa.Table | Path | str,
    referential: Referential,
    parameters: Parameters,
    backend: str | ibis.BaseBackend = "duckdb",
    url: str | None = None,
    *,
    output_parquet: Path | None = None,
    memory_limit: str | None = None,
    temp_directory: Path | None = None,
    today: dt.date | None = None,
) -> Footprint:
    """The footprint of ``fleet`` computed on a backend (named, or an open Ibis backend).

    For instance admins (API) and the CLI: open the backend, load the fleet the fast way,
    validate and compute, and write the per-device impacts to ``output_parquet`` if given.
    The returned :class:`Footprint` keeps the backend open (``footprint.backend``); call
    ``footprint.backend.disconnect()`` when done.
    """
    con = (
        connect(backend, url, memory_limit=memory_limit, temp_directory=temp_directory)
        if isinstance(backend, str)
        else backend
    )
    table = load_fleet(con, fleet)
    footprint = compute(table, referential, parameters, backend=con, today=today)
    if output_parquet is not None:
        write_impacts_parquet(footprint, output_parquet)
    return footprint
