"""Checks made before any reader touches a user's file.

A file is judged by its content, not its name: the first bytes say whether it is a zip
container (xlsx, ods), an OLE2 compound file (xls), HTML or XML dressed up as a
spreadsheet, or plain text (CSV). Zip containers are checked against decompression bombs
before a reader opens them: declared sizes and ratios first, then an actual bounded
decompression (a zip can lie about its sizes; Python's zipfile stops at the declared size
and the CRC check then fails).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sobrenum.domain.errors import InvalidDataError

SourceFormat = Literal["xlsx", "xls", "ods", "csv"]

_MIB = 1024 * 1024

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


@dataclass(frozen=True)
class Limits:
    """Size limits of an import; the defaults fit a large intercommunalité's inventory."""

    max_file_bytes: int = 200 * _MIB
    max_uncompressed_bytes: int = 1024 * _MIB
    max_compression_ratio: float = 200.0
    max_zip_members: int = 10_000
    max_rows: int = 2_000_000
    max_columns: int = 500
    verify_zip_contents: bool = True


DEFAULT_LIMITS = Limits()


def _mib(n: int) -> str:
    return f"{n / _MIB:.0f} Mio"


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> int:
    """Check that ``path`` is a readable, non-empty file within the size limit; its size."""
    if not path.exists():
        raise InvalidDataError(f"Le fichier « {path.name} » est introuvable.")
    if not path.is_file():
        raise InvalidDataError(f"« {path.name} » n'est pas un fichier.")
    size = path.stat().st_size
    if size == 0:
        raise InvalidDataError(f"Le fichier « {path.name} » est vide (0 octet).")
    if size > limits.max_file_bytes:
        raise InvalidDataError(
            f"Le fichier « {path.name} » pèse {_mib(size)}, au-delà de la limite de "
            f"{_mib(limits.max_file_bytes)} : découpez-le ou augmentez la limite."
        )
    return size


def sniff_format(path: Path, limits: Limits = DEFAULT_LIMITS) -> SourceFormat:
    """The format of ``path`` judged from its content (magic bytes), whatever its extension.

    Raises :class:`InvalidDataError` with a French message for empty, oversized, disguised
    (HTML, XML, PDF, executable…) or unrecognised files.
    """
    check_file(path, limits)
    with path.open("rb") as fh:
        head = fh.read(8192)
    if head.startswith(ZIP_MAGICS):
        return _sniff_zip(path, limits)
    if head.startswith(OLE2_MAGIC):
        return "xls"
    text_head = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if text_head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<table", b"<meta")):
        raise InvalidDataError(
            f"Le fichier « {path.name} » contient une page HTML, pas un tableur : il a "
            "sans doute été enregistré depuis un navigateur ou un logiciel qui exporte en "
            "HTML. Ouvrez-le dans votre tableur et enregistrez-le en .xlsx, .ods ou .csv."
        )
    if text_head.startswith(b"<?xml") or text_head.startswith(b"<"):
        raise InvalidDataError(
            f"Le fichier « {path.name} » est un document XML, pas un tableur reconnu "
            "(.xlsx, .xls, .ods ou .csv). Enregistrez-le dans l'un de ces formats."
        )
    if head.startswith(b"%PDF"):
        raise InvalidDataError(
            f"Le fichier « {path.name} » est un PDF : exportez l'inventaire depuis votre "
            "tableur en .xlsx, .ods ou .csv."
        )
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidDataError(
            f"Le fichier « {path.name} » n'est ni un tableur (.xlsx, .xls, .ods) ni un "
            "texte CSV : son contenu est binaire et de type inconnu."
        )
    return "csv"


def _sniff_zip(path: Path, limits: Limits) -> SourceFormat:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            fmt: SourceFormat
            if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                fmt = "xlsx"  # xlsb too: the same reader opens it
            elif (
                "mimetype" in names and zf.read("mimetype").strip() == ODS_MIMETYPE
            ) or "content.xml" in names:
                fmt = "ods"
            else:
                raise InvalidDataError(
                    f"Le fichier « {path.name} » est une archive zip qui ne contient pas de "
                    "classeur (.xlsx ou .ods) : décompressez-la et importez le tableur."
                )
            check_zip(zf, path.name, limits)
            return fmt
    except zipfile.BadZipFile as exc:
        raise InvalidDataError(
            f"Le fichier « {path.name} » est une archive zip abîmée ou tronquée ({exc}) : "
            "réenregistrez-le depuis votre tableur."
        ) from exc


def check_zip(zf: zipfile.ZipFile, name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse zip bombs: too many members, too large once uncompressed, too high a ratio."""
    infos = zf.infolist()
    if len(infos) > limits.max_zip_members:
        raise InvalidDataError(
            f"Le classeur « {name} » contient {len(infos)} éléments internes, au-delà de la "
            f"limite de {limits.max_zip_members} : fichier refusé par précaution."
        )
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _MIB and ratio > limits.max_compression_ratio:
            raise InvalidDataError(
                f"Le classeur « {name} » ressemble à une bombe de décompression : l'élément "
                f"« {info.filename} » se décompresse {ratio:.0f} fois plus gros que sa taille "
                f"(limite {limits.max_compression_ratio:.0f}). Fichier refusé."
            )
    if total > limits.max_uncompressed_bytes:
        raise InvalidDataError(
            f"Le classeur « {name} » occupe {_mib(total)} une fois décompressé, au-delà de "
            f"la limite de {_mib(limits.max_uncompressed_bytes)} : fichier refusé."
        )
    if limits.verify_zip_contents:
        _verify_members(zf, name, infos)


def _verify_members(zf: zipfile.ZipFile, name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Decompress each member, bounded by its declared size, to catch sizes that lie."""
    for info in infos:
        if info.is_dir():
            continue
        try:
            with zf.open(info) as member:
                while member.read(4 * _MIB):
                    pass
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InvalidDataError(
                f"Le classeur « {name} » est incohérent : l'élément « {info.filename} » ne "
                f"correspond pas à sa taille déclarée ({exc}). Fichier refusé par précaution."
            ) from exc
        except NotImplementedError as exc:
            raise InvalidDataError(
                f"Le classeur « {name} » utilise une compression non prise en charge "
                f"({exc}) : réenregistrez-le depuis votre tableur."
            ) from exc


def neutralise_formula(value: str) -> str:
    """Text safe to put in a spreadsheet cell: a leading = + - @ tab or CR gets an apostrophe."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
