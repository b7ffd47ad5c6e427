"""HTML page routers; every module with a ``router`` is included by ``create_app``."""
