"""The reuse register: exits of devices, data wiping, the ressourcerie, inclusion indicators,
the legal rates (décret 2023-266, AGEC), the AGEC declaration, avoided impacts, PDF documents.

Every write goes through :mod:`sobrenum.reuse.register`, which enforces the rules (a device
holding data never leaves without a recorded wipe) whatever the path (CLI, API, pages).
"""

from sobrenum.reuse.errors import NotFoundError, ReuseError, WipeRequiredError
from sobrenum.reuse.rates import ReuseRate, reuse_rate
from sobrenum.reuse.register import (
    add_beneficiary,
    donate,
    history,
    intake,
    list_beneficiaries,
    list_exits,
    list_items,
    list_wipes,
    mark_classified,
    record_exit,
    record_wipe,
    recycle,
    redistribute,
    refurbish,
    triage,
)

__all__ = [
    "NotFoundError",
    "ReuseError",
    "ReuseRate",
    "WipeRequiredError",
    "add_beneficiary",
    "donate",
    "history",
    "intake",
    "list_beneficiaries",
    "list_exits",
    "list_items",
    "list_wipes",
    "mark_classified",
    "record_exit",
    "record_wipe",
    "recycle",
    "redistribute",
    "refurbish",
    "reuse_rate",
    "triage",
]
