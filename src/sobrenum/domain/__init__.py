"""The vocabulary of sobrenum: categories, criteria, phases, the equipment schema, errors."""

from sobrenum.domain.equipment import DEFAULT_COUNTRY, FIELDS, FIELDS_BY_CODE, FLEET_SCHEMA, Field
from sobrenum.domain.errors import InvalidDataError, ReferentialError, RowIssue, SobrenumError
from sobrenum.domain.vocabulary import (
    CATEGORIES,
    CATEGORIES_BY_CODE,
    CRITERIA,
    CRITERIA_BY_CODE,
    EMBODIED_PHASES,
    PHASE_LABELS,
    Category,
    Condition,
    Criterion,
    Group,
    Phase,
    Status,
)

__all__ = [
    "CATEGORIES",
    "CATEGORIES_BY_CODE",
    "CRITERIA",
    "CRITERIA_BY_CODE",
    "DEFAULT_COUNTRY",
    "EMBODIED_PHASES",
    "FIELDS",
    "FIELDS_BY_CODE",
    "FLEET_SCHEMA",
    "PHASE_LABELS",
    "Category",
    "Condition",
    "Criterion",
    "Field",
    "Group",
    "InvalidDataError",
    "Phase",
    "ReferentialError",
    "RowIssue",
    "SobrenumError",
    "Status",
]
