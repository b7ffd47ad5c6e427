"""sobrenum.web."""
