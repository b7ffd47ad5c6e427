"""sobrenum.reuse."""
