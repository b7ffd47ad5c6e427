"""sobrenum.reporting."""
