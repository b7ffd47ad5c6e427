"""sobrenum.store."""
