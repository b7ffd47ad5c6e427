"""Errors a user reads: French message first, with the rows at fault when there are some."""

from __future__ import annotations

from dataclasses import dataclass, field


class SobrenumError(Exception):
    """Any error meant for the user. ``str()`` is the French message."""


@dataclass(frozen=True)
class RowIssue:
    """One problem on one row of the user's data.

    ``line`` is the line number in the user's file when known (1-based, header included),
    ``asset_id`` the device's identifier, ``column`` the column concerned.
    """

    reason: str
    line: int | None = None
    asset_id: str | None = None
    column: str | None = None
    severity: str = "error"
    value: str | None = None
    """The cell value at fault, as read (shown in rejects reports)."""

    def describe(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"ligne {self.line}")
        if self.asset_id:
            where.append(f"équipement {self.asset_id}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        prefix = ", ".join(where)
        return f"{prefix} : {self.reason}" if prefix else self.reason


@dataclass
class InvalidDataError(SobrenumError):
    """The data cannot be used as it is; ``issues`` names each row and why."""

    summary: str
    issues: list[RowIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary)

    def __str__(self) -> str:
        shown = [f"  - {i.describe()}" for i in self.issues[:20]]
        more = len(self.issues) - len(shown)
        if more > 0:
            shown.append(f"  … et {more} autre(s) problème(s)")
        return "\n".join([self.summary, *shown])


class ReferentialError(SobrenumError):
    """The referential (or a user override of it) is malformed or inconsistent."""
