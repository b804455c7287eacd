"""Reports, terminal output and feedback in the students' language (gettext, catalogs by Babel).

The catalogs are `grader/locale/<lang>/LC_MESSAGES/grader.po`, extracted with pybabel from the
Python code and the Jinja templates (`babel.cfg` at the top of the repository; `make catalogs`
re-extracts and updates them). They are read at run time through Babel, so no build step
compiles them. English is the source language: its catalog is the msgids themselves.

The language is per context (`use_language`), not global state: `grade_folder` sets the
assignment's `lang` while it writes feedback, renderers set it while they render. Status words,
JSON keys and worked steps (formulas) are never translated; mistake names come from `reference/`
in English and are translated by msgid when shown (`mistake`).
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import io
from pathlib import Path
from typing import Iterator

LANGUAGES = ("en", "zh")
DOMAIN = "grader"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("grader_lang", default="en")


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; translated where it is shown."""
    return message


# Words shown for statuses; the JSON keeps the English word.
STATUS_WORDS = (N_("correct"), N_("partial"), N_("incorrect"), N_("missing"), N_("unparsable"),
                N_("manual"), N_("parsed"), N_("verified"), N_("refuted"), N_("unverifiable"),
                N_("error"), N_("readable"), N_("pass"), N_("warn"), N_("fail"))


@functools.lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of `lang`, read from its .po through Babel (English: the msgids)."""
    if lang == "en":
        return gettext.NullTranslations()
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def use_language(lang: str | None) -> Iterator[None]:
    """Everything said inside the block is in `lang` (None: keep the current one)."""
    if lang is None:
        yield
        return
    translations(lang)              # an unknown language fails here, before any output
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    return translations(_current.get()).gettext(message)


def pgettext(context: str, message: str) -> str:
    """A word whose translation depends on where it stands ("students" counted, or a pair)."""
    return translations(_current.get()).pgettext(context, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def mistake(name: str | None) -> str:
    """A classic mistake's name from `reference/` (English), in the current language."""
    return _(name) if name else ""


def status_word(word: object) -> str:
    """A status as a reader sees it; the JSON keeps `str(status)`."""
    return _(str(word))
