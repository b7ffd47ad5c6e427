"""Page languages: French (the source language) and English, through gettext catalogues.

Templates mark their strings with ``_("…")`` (jinja2's i18n extension, "new style": use
``_("%(n)s équipements", n=…)`` for variables). The English catalogue is the ``.po`` file in
``web/locale/en/LC_MESSAGES/messages.po``, compiled in memory with ``babel.messages`` the
first time it is needed: nothing to build at install time.

The language of a request is the ``sobrenum_langue`` cookie (set by the switch in the page
header), French otherwise. Rendering sets it in a context variable, so two requests served
at once in two threads never see each other's language.
"""

from __future__ import annotations

import contextvars
import functools
import io
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request
from jinja2 import Environment

LANGUAGES: dict[str, str] = {"fr": "Français", "en": "English"}
DEFAULT_LANGUAGE = "fr"
COOKIE_NAME = "sobrenum_langue"
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"

_current: contextvars.ContextVar[str] = contextvars.ContextVar(
    "sobrenum_language", default=DEFAULT_LANGUAGE
)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of ``language`` (French, the source language, needs none)."""
    path = po_path(language)
    if language == DEFAULT_LANGUAGE or not path.is_file():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def request_language(request: Request) -> str:
    value = request.cookies.get(COOKIE_NAME, DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    """Make ``language`` the one of the templates rendered from now on in this context."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def translator(request: Request) -> Any:
    """``_`` for Python code building messages for ``request``: ``_("…") % {...}``."""
    language = request_language(request)
    return translations(language).gettext


def install(env: Environment) -> None:
    """Add jinja2's i18n extension to ``env``, wired to the language of the request."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["LANGUAGES"] = LANGUAGES


# --- catalogue upkeep (developers: ``python -m sobrenum.web.i18n``) ------------------------

TEMPLATES_DIR = Path(__file__).with_name("templates")


def extract_messages() -> list[str | tuple[str, str]]:
    """Every string the templates mark with ``_()`` or ``ngettext()``, in order of appearance."""
    from babel.messages.extract import extract_from_dir

    found: list[str | tuple[str, str]] = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(TEMPLATES_DIR),
        [("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        key = message if isinstance(message, str) else (message[0], message[1])
        if key not in found:
            found.append(key)
    return found


def update_catalogue(language: str = "en") -> list[str]:
    """Add the new messages of the templates to ``language``'s .po (keeping translations);
    returns the messages still untranslated."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    path = po_path(language)
    old: Catalog | None = None
    if path.is_file():
        with path.open("rb") as handle:
            old = read_po(handle, locale=language, domain=DOMAIN)
    catalog = Catalog(locale=language, domain=DOMAIN, project="sobrenum", charset="utf-8")
    if old is not None:
        for message in old:
            if message.id:
                catalog.add(message.id, message.string, auto_comments=message.auto_comments)
    for key in extract_messages():
        if key not in catalog:
            catalog.add(key, ("", "") if isinstance(key, tuple) else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=False)
    missing = []
    for message in catalog:
        if message.id and not (
            all(message.string) if isinstance(message.string, tuple) else message.string
        ):
            missing.append(str(message.id))
    return missing


if __name__ == "__main__":
    untranslated = update_catalogue()
    print(f"{len(untranslated)} message(s) sans traduction anglaise.")
    for text in untranslated:
        print(f"  - {text}")
