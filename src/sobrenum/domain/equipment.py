"""The canonical equipment schema: one row per device, or per group of identical devices.

Every reader of the inventory produces this table; the engine consumes it. Column codes are
English identifiers; each has a French label (the header of the canonical CSV as a user
sees it) and an English one. Either the code or a label may head a canonical CSV column.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Field:
    code: str
    type: pa.DataType
    label_fr: str
    label_en: str
    required: bool = False
    help_fr: str = ""


FIELDS: tuple[Field, ...] = (
    Field(
        "asset_id",
        pa.string(),
        "N° d'inventaire",
        "Asset id",
        True,
        "Identifiant unique de l'équipement (ou de la ligne) dans l'inventaire.",
    ),
    Field(
        "category",
        pa.string(),
        "Catégorie",
        "Category",
        True,
        "Code de catégorie du référentiel (laptop, monitor…).",
    ),
    Field("manufacturer", pa.string(), "Fabricant", "Manufacturer"),
    Field("model", pa.string(), "Modèle", "Model"),
    Field(
        "quantity",
        pa.int64(),
        "Quantité",
        "Quantity",
        False,
        "Nombre d'équipements identiques représentés par la ligne (1 par défaut).",
    ),
    Field(
        "acquisition_date",
        pa.date32(),
        "Date d'acquisition",
        "Acquisition date",
        False,
        "Date d'achat ou de mise en service ; une année seule vaut le 1er juillet.",
    ),
    Field(
        "acquisition_date_estimated",
        pa.bool_(),
        "Date d'acquisition estimée",
        "Acquisition date estimated",
        False,
        "Vrai quand la date a été estimée selon la règle documentée (date inconnue).",
    ),
    Field("retirement_date", pa.date32(), "Date de sortie", "Retirement date"),
    Field(
        "status",
        pa.string(),
        "Statut",
        "Status",
        False,
        "in_use (en service, par défaut), in_stock (en stock) ou retired (sorti du parc).",
    ),
    Field(
        "condition",
        pa.string(),
        "État à l'achat",
        "Condition",
        False,
        "new (neuf, par défaut) ou refurbished (reconditionné / seconde vie).",
    ),
    Field(
        "lifetime_years",
        pa.float64(),
        "Durée de vie (ans)",
        "Lifetime (years)",
        False,
        "Durée d'usage prévue dans la collectivité ; sinon celle du référentiel.",
    ),
    Field(
        "upstream_lifetime_years",
        pa.float64(),
        "Durée de vie amont (ans)",
        "Upstream lifetime (years)",
        False,
        "Années d'usage avant l'arrivée dans la collectivité (seconde vie).",
    ),
    Field(
        "downstream_lifetime_years",
        pa.float64(),
        "Durée de vie aval (ans)",
        "Downstream lifetime (years)",
        False,
        "Années d'usage prévues après la sortie du parc (don, revente, réemploi).",
    ),
    Field("site", pa.string(), "Site", "Site"),
    Field("department", pa.string(), "Service", "Department"),
    Field(
        "country",
        pa.string(),
        "Pays d'usage",
        "Country of use",
        False,
        "Code ISO 3166 alpha-3 du pays où l'équipement est utilisé (FRA par défaut).",
    ),
    Field(
        "annual_kwh",
        pa.float64(),
        "Consommation annuelle mesurée (kWh)",
        "Measured annual consumption (kWh)",
    ),
    Field("power_w", pa.float64(), "Puissance moyenne (W)", "Average power (W)"),
    Field("hours_per_day", pa.float64(), "Heures d'usage par jour", "Hours of use per day"),
    Field(
        "pue",
        pa.float64(),
        "PUE",
        "PUE",
        False,
        "Efficacité énergétique de la salle ou du centre de données (équipements hébergés).",
    ),
)
FIELDS_BY_CODE: dict[str, Field] = {f.code: f for f in FIELDS}
FLEET_SCHEMA: pa.Schema = pa.schema([(f.code, f.type) for f in FIELDS])
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.code for f in FIELDS if f.required)

DEFAULT_COUNTRY = "FRA"
