"""The message catalogue: every user-facing string has a Chinese and an English reading, and the
compiled catalogues that ship are the ones the sources say."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from plansearch import i18n

babel_messages = pytest.importorskip("babel.messages")
from babel.messages.mofile import read_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

LOCALE = i18n.LOCALE_DIR


def _po(lang: str):
    with open(LOCALE / lang / "LC_MESSAGES" / "plansearch.po", "rb") as f:
        return read_po(f)


def _filled(string) -> bool:
    return bool(string) if isinstance(string, str) else all(string)


def _as_key(value):
    return value if isinstance(value, str) else tuple(value)


def test_every_chinese_entry_is_filled():
    empty = [m.id for m in _po("zh_CN") if m.id and not _filled(m.string)]
    assert empty == [], f"zh_CN entries without a translation: {empty[:10]}"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_compiled_catalogue_matches_its_source(lang):
    """A .po edited without scripts/i18n.sh would ship the old .mo: the reader would see English."""
    po = {_as_key(m.id): _as_key(m.string) for m in _po(lang)
          if m.id and not m.fuzzy and _filled(m.string) and _as_key(m.string) != _as_key(m.id)}
    with open(LOCALE / lang / "LC_MESSAGES" / "plansearch.mo", "rb") as f:
        mo = {_as_key(m.id): _as_key(m.string) for m in read_mo(f)
              if m.id and _filled(m.string) and _as_key(m.string) != _as_key(m.id)}  # an untranslated plural
    assert po == mo


@pytest.mark.parametrize("environ, lang", [
    ({"PLANSEARCH_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_TW.Big5", "LANG": "en_US.UTF-8"}, "zh"),
    ({}, "en"),
])
def test_language_follows_plansearch_lang_then_the_locale(environ, lang):
    assert i18n.lang_from_environment(environ) == lang


def test_use_lang_speaks_inside_the_block_only():
    with i18n.use_lang("zh"):
        assert i18n._("interrupted") == "已中断"
        with i18n.use_lang("en"):
            assert i18n._("interrupted") == "interrupted"
        assert i18n._("interrupted") == "已中断"


def test_cli_error_in_the_readers_language(tmp_path):
    run = lambda *args, **env: subprocess.run(  # noqa: E731
        [sys.executable, "-c", "from plansearch.cli import app; app()", *args], capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env})  # no PLANSEARCH_LANG: the locale decides
    zh = run("outline", "nope", "--corpus", str(tmp_path), LANG="zh_CN.UTF-8")
    assert zh.returncode == 1 and zh.stderr.startswith("错误：")
    en = run("--lang", "en", "outline", "nope", "--corpus", str(tmp_path), LANG="zh_CN.UTF-8")
    assert en.returncode == 1 and en.stderr.startswith("error: ")
    bad = run("--lang", "fr", "docs", str(tmp_path))
    assert bad.returncode == 1 and "--lang" in bad.stderr
