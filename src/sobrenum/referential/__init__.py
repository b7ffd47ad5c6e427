"""Versioned, sourced impact factors: loading, checking, user overrides."""

from sobrenum.referential.checking import check
from sobrenum.referential.loading import Referential, apply_overrides, load, recognise_table

__all__ = ["Referential", "apply_overrides", "check", "load", "recognise_table"]
