"""sobrenum.cli."""
