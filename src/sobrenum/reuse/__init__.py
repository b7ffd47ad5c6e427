"""The reuse register: exits of devices, data wiping, the ressourcerie, inclusion indicators,
the legal rates (décret 2023-266, AGEC), the AGEC declaration, avoided impacts, PDF documents.

Every write goes through :mod:`sobrenum.reuse.register`, which enforces the rules (a device
holding data never leaves without a recorded wipe) whatever the path (CLI, API, pages).

The names below are imported when first used (the register needs the store): the command
line's help reads the vocabulary without loading the database layer.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

_EXPORTS: dict[str, str] = {
    "NotFoundError": "sobrenum.reuse.errors",
    "ReuseError": "sobrenum.reuse.errors",
    "WipeRequiredError": "sobrenum.reuse.errors",
    "ReuseRate": "sobrenum.reuse.rates",
    "reuse_rate": "sobrenum.reuse.rates",
    "add_beneficiary": "sobrenum.reuse.register",
    "donate": "sobrenum.reuse.register",
    "history": "sobrenum.reuse.register",
    "intake": "sobrenum.reuse.register",
    "list_beneficiaries": "sobrenum.reuse.register",
    "list_exits": "sobrenum.reuse.register",
    "list_items": "sobrenum.reuse.register",
    "list_wipes": "sobrenum.reuse.register",
    "mark_classified": "sobrenum.reuse.register",
    "record_exit": "sobrenum.reuse.register",
    "record_wipe": "sobrenum.reuse.register",
    "recycle": "sobrenum.reuse.register",
    "redistribute": "sobrenum.reuse.register",
    "refurbish": "sobrenum.reuse.register",
    "triage": "sobrenum.reuse.register",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sobrenum.reuse' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


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
