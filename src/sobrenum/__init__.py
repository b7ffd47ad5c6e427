"""sobrenum: the footprint and responsible-digital strategy of a French local authority."""

__version__ = "0.1.0"
