"""sobrenum.scenarios."""
