"""REST API routers (``/api/v1``); every module with a ``router`` is included."""
