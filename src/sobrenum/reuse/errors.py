"""Errors of the reuse register (French messages)."""

from __future__ import annotations

from sobrenum.domain import SobrenumError


class ReuseError(SobrenumError):
    """A register operation is refused; the message says why, in French."""


class WipeRequiredError(ReuseError):
    """A device holding data would leave the organisation without a recorded wipe."""


class NotFoundError(ReuseError):
    """The device, item or beneficiary named does not exist in this organisation."""
