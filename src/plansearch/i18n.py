"""The language a user reads: one gettext catalogue for every string plansearch shows a person.

Messages are written in English in the code (`_("no matches")`) and translated through the
catalogues under `plansearch/locale/` (zh_CN and en; `.po` sources managed with Babel, compiled
`.mo` shipped in the wheel). Machine fields — JSON keys, CSV headers, status codes such as
`verbatim` — are not messages and stay as they are.

The language is chosen per context (a contextvar), so the web app can answer each request in its
own language while the CLI sets one for the whole run:
    --lang zh|en  >  PLANSEARCH_LANG  >  the locale (LC_ALL, LC_MESSAGES, LANG: zh_CN.UTF-8 -> zh)  >  en
"""
from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import os
from functools import lru_cache
from pathlib import Path

LANGS = ("zh", "en")
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "plansearch"
# The catalogue's locale name for each language plansearch speaks.
CATALOGUE = {"zh": "zh_CN", "en": "en"}

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("plansearch_lang", default=None)


def normalise_lang(value: str | None) -> str | None:
    """'zh', 'zh_CN.UTF-8', 'zh-Hant', 'ZH' -> 'zh'; 'en_US' -> 'en'; anything else -> None."""
    if not value:
        return None
    head = value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return head if head in LANGS else None


def lang_from_environment(environ=None) -> str:
    """PLANSEARCH_LANG, then the POSIX locale variables in their order of precedence, then English."""
    environ = os.environ if environ is None else environ
    chosen = normalise_lang(environ.get("PLANSEARCH_LANG"))
    if chosen:
        return chosen
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var)
        if value:  # the first one set decides, as for any POSIX program (C / POSIX -> English)
            return normalise_lang(value) or "en"
    return "en"


def get_lang() -> str:
    return _current.get() or lang_from_environment()


def set_lang(lang: str | None) -> None:
    """Set the language for this context (the CLI: the whole run). None: from the environment."""
    _current.set(normalise_lang(lang) if lang else None)


@contextlib.contextmanager
def use_lang(lang: str | None):
    """Speak `lang` inside the block (a web request, a report written in the page's language)."""
    token = _current.set(normalise_lang(lang) or get_lang())
    try:
        yield
    finally:
        _current.reset(token)


@lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue for `lang` (NullTranslations, i.e. the English msgids, if absent)."""
    return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[CATALOGUE[lang]], fallback=True)


def _(message: str) -> str:
    """`message` in the current language."""
    return translations(get_lang()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_lang()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """For a msgid that needs two readings (a word as a column header and as a status, say)."""
    return translations(get_lang()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined (a module-level table); it is
    translated with `_()` where it is shown, in the language of that moment."""
    return message


def list_sep() -> str:
    """How a list of phrases is joined in a sentence: ", " in English, "，" in Chinese."""
    return _("LIST_SEPARATOR")  # the English catalogue maps this key to ", "


def either(choices) -> str:
    """'plan or review', 'table, json or csv': a list of choices as a sentence says it."""
    choices = [str(c) for c in choices]
    if len(choices) < 2:
        return "".join(choices)
    return _("{rest} or {last}").format(rest=list_sep().join(choices[:-1]), last=choices[-1])


# The values a user reads as words though they are machine fields in the records: a compare
# status, a check level, a document kind. JSON/CSV keep the value; tables, reports and pages say
# `term(value)`. One table for the CLI, the reports and the web app.
TERMS = {
    # compare statuses
    "same": N_("same"), "edited": N_("edited"), "rewritten": N_("rewritten"), "related": N_("related"),
    "new": N_("new"), "dropped": N_("dropped"),
    # check levels
    "verbatim": N_("verbatim"), "disguised": N_("disguised"), "paraphrased": N_("paraphrased"),
    # document kinds
    "plan": N_("plan"), "summary": N_("summary"), "report": N_("report"), "mixed": N_("mixed"),
    "unknown": N_("unknown"),
    # administrative levels (metadata.LEVELS)
    "national": N_("national"), "province": N_("province"), "city": N_("city"), "county": N_("county"),
    "district": N_("district"),
    # groupings (--by) and how a trend decided a match
    "year": N_("year"), "region": N_("region"), "level": N_("level"), "issuer": N_("issuer"), "doc": N_("document"),
    "words": N_("words"), "meaning": N_("meaning"),
    # lineage: how a copy stands to the item, and when
    "reworded": N_("reworded"), "earlier": N_("earlier"), "same-period": N_("same period"), "later": N_("later"),
}


def term(value: str | None) -> str:
    """A machine value (a status, a level, a kind) as the reader's word; an unknown one as itself."""
    if value is None:
        return ""
    msgid = TERMS.get(value)
    return _(msgid) if msgid else value


def labelled(label: str) -> str:
    """"label: " as the reader writes it (本库最早：, not 本库最早: ): a label before what it names."""
    return _("{label}: ").format(label=label)


def say_group(label: str) -> str:
    """A group label (group_label's English, which the records keep) in the reader's language:
    "201X (year unknown)" -> "201X（年份不明）", "region unknown" -> "地区不明", "national" (a level,
    or a kind, grouped by) -> "国家级"; a year, a region or an issuer as itself."""
    if label == "year unknown":
        return _("year unknown")
    if label.endswith(" (year unknown)"):
        return _("{mask} (year unknown)").format(mask=label[:-len(" (year unknown)")])
    if label.endswith(" unknown") and " " not in label[:-len(" unknown")]:
        return _("{by} unknown").format(by=term(label[:-len(" unknown")]))
    return term(label)


def speak_to_click() -> None:
    """typer marks a few of its own words (Arguments, Options, [required], [default: …]) with the
    stdlib gettext, which reads the global text domain in the language of $LANGUAGE: point both at
    our catalogue and the current language. The rest of typer's words are hard-coded English;
    cli.py says those (usage line, --help, usage errors) itself."""
    import gettext as stdlib

    stdlib.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    stdlib.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = CATALOGUE[get_lang()]


# typer's own words that it marks for gettext, as it writes them: listed so that the catalogue
# holds them (their translations are ours).
TYPER_WORDS = (N_("Arguments"), N_("Options"), N_("Commands"), N_("required"), N_("default: {default}"),
               N_("env var: {var}"))
