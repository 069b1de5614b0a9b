"""The message catalogue: every user-facing string has a Chinese and an English reading, and the
compiled catalogues that ship are the ones the sources say."""
from __future__ import annotations

import io
import os
import re
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


# --- every command, read by a Chinese reader ------------------------------------------------------

# What may stay Latin in Chinese output: names of things (the program, formats, options, models,
# measures a reader knows by their name), not words of prose.
LATIN_OK = {"plansearch", "cos", "json", "csv", "html", "svg", "pdf", "txt", "docx", "bm", "cnki", "utf",
            "index", "corpus", "help", "table", "flat", "pq", "hnsw", "plan", "review", "summary", "report",
            "mixed", "hybrid", "dense", "keyword", "rrf", "weighted", "tiebreak", "adaptive", "years", "regions",
            "any", "local", "milvus", "lite", "db", "host", "port", "path", "name", "nanoe", "multilingual", "e5",
            "small", "id", "doc", "query", "options", "file", "lang", "zh", "en", "ctrl", "readme", "trend",
            "edited", "new", "dropped", "st", "xlsx", "level", "nh", "gb", "mb", "kb", "http", "tls",
            "search", "docs", "outline", "compare", "reuse", "check", "serve", "lineage", "embed",  # the commands, as typed
            "year", "region", "issuer", "kind",  # --by values, as typed
            "levels", "national", "province", "city", "county", "district",  # --level / --across values, as typed
            "excel", "wps", "chromium", "microhei", "wqy", "noto", "cjk", "fonts",  # programs and fonts by name
            "graphml", "gephi", "networkx", "ray", "gpu", "cpu"}
_CONTENT = [
    re.compile(r"<[A-Za-z\[\]]+>"),                        # typer's value types: <str>, <list[str]>
    re.compile(r"--[a-z][a-z-]*"),                       # options as typed
    re.compile(r"`[^`]*`"),                              # commands to type
    re.compile(r"\S*[/\\.#_]\S*"),                         # paths, ids, file names, model names
    re.compile(r"\[[^\]\u4e00-\u9fff]*\]"),              # [OPTIONS] {QUERY}-style usage, [default …]
    re.compile(r"\{[A-Z]+\}|\b[A-Z]{2,}\b"),             # QUERY, DOC, PATH, A, B
    re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”"),           # what the user typed, quoted back
    re.compile(r"\w+(?:-\w+)+"),                          # hyphenated names: sentence-transformers
    re.compile(r"[A-Za-z]+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])[A-Za-z]+"),  # in document text: XX区
]


def english_words(text: str) -> list[str]:
    """The Latin words of `text` that are prose, not names: what a Chinese reader should not meet."""
    words = []
    for line in text.splitlines():
        for pattern in _CONTENT:
            line = pattern.sub(" ", line)
        words += [w for w in re.findall(r"[A-Za-z][A-Za-z]+", line) if w.lower() not in LATIN_OK]
    return words


def test_the_english_word_finder_finds_prose_and_spares_names():
    assert english_words("indexed 10 documents into index/ in 2.1s") == ["indexed", "documents", "into", "in"]
    assert english_words("错误：未知的文件编号 'nope'（是不是 000_5ae896fcb747d54c#1？）") == []
    assert english_words("用法： plansearch search [OPTIONS] {QUERY}") == []


def _zh(*args, **env):
    return subprocess.run([sys.executable, "-c", "from plansearch.cli import app; app()", *map(str, args)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PLANSEARCH_LANG": "", "LANG": "zh_CN.UTF-8", "COLUMNS": "200", **env})


@pytest.mark.slow
def test_a_chinese_reader_meets_no_english_in_any_command(seed_index, tmp_path):
    """Every command and its main error paths, with LANG=zh_CN.UTF-8, on the sample corpus."""
    from conftest import CORPUS, seed_path

    a, b = seed_path("000"), seed_path("002")
    doc = "000_5ae896fcb747d54c#2"
    runs = {
        "--help": ["--help"], "docs": ["docs", CORPUS], "outline": ["outline", doc, "--index", seed_index],
        "index": ["index", CORPUS, "--index", seed_index],
        "search": ["search", "留守儿童关爱", "--index", seed_index, "-k", "2"],
        "search --by": ["search", "留守儿童", "--by", "year", "--index", seed_index, "-k", "1"],
        "search no words": ["search", "火星基地", "--index", seed_index, "-k", "1"],
        "trend": ["trend", "留守儿童", "--index", seed_index],
        "trend, first seen in a masked year": ["trend", "双减", "--index", seed_index],  # 202_ (year unknown)
        "compare": ["compare", doc, "000_5ae896fcb747d54c#3", "--index", seed_index],
        "reuse": ["reuse", "--index", seed_index, "--top", "2"],
        "check": ["check", b, "--index", seed_index, "--top", "2"],
        "lineage": ["lineage", "000_5ae896fcb747d54c#4", "--index", seed_index],
        "lineage --graph": ["lineage", "--graph", "--index", seed_index],
        "unknown id": ["outline", "nope", "--index", seed_index],
        "bad option": ["search", "x", "--indx", seed_index],
        "missing argument": ["search"], "bad value": ["search", "x", "-k", "abc", "--index", seed_index],
        "bad choice": ["search", "x", "--mode", "magic", "--index", seed_index],
        "no index": ["search", "x", "--index", tmp_path / "none"],
        "skipped file": ["docs", tmp_path / "odd"],
    }
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "x.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "odd" / "a.txt").write_bytes(a.read_bytes())
    for cmd in ("docs", "outline", "index", "search", "trend", "compare", "reuse", "check", "lineage", "serve", "embed"):
        runs[f"{cmd} --help"] = [cmd, "--help"]
    found = {}
    for what, args in runs.items():
        res = _zh(*args)
        words = english_words(res.stdout + res.stderr)
        if words:
            found[what] = sorted(set(words))[:12]
    assert found == {}


def test_groups_by_level_are_named_in_the_readers_language(seed_index):
    # the --level values are typed in English (LATIN_OK spares them), but a group's name is read
    res = _zh("search", "教师培训", "--by", "level", "--index", seed_index, "-k", "1")
    assert res.returncode == 0 and "│ 区级" in res.stdout and "│ district" not in res.stdout, res.stdout


@pytest.mark.slow
def test_an_english_reader_meets_no_chinese_but_the_documents(seed_index):
    """The same commands with --lang en: every run of Chinese characters printed is the documents'
    own (their text, titles, regions, issuers), the query typed, or one of the CNKI figures' names
    an English reader of 查重 reports knows them by."""
    from conftest import CORPUS, seed_path

    from plansearch.corpus import load_corpus

    docs = load_corpus(CORPUS)
    content = "\n".join([d.text for d in docs] + [f"{d.title} {d.region} {d.issuer}" for d in docs])
    content += "\n留守儿童关爱 火星基地 查重 总文字复制比 单篇最大文字复制比"
    doc = "000_5ae896fcb747d54c#2"
    runs = [["docs", CORPUS], ["outline", doc, "--index", seed_index],
            ["search", "留守儿童关爱", "--index", seed_index, "-k", "2"],
            ["search", "留守儿童关爱", "--by", "year", "--index", seed_index, "-k", "1"],
            ["search", "火星基地", "--index", seed_index, "-k", "1"], ["trend", "留守儿童关爱", "--index", seed_index],
            ["compare", doc, "000_5ae896fcb747d54c#3", "--index", seed_index], ["reuse", "--index", seed_index, "--top", "2"],
            ["check", seed_path("002"), "--index", seed_index, "--top", "2"], ["outline", "nope", "--index", seed_index],
            ["lineage", "000_5ae896fcb747d54c#4", "--index", seed_index], ["lineage", "--graph", "--index", seed_index],
            ["lineage", "--help"],
            ["search", "x", "--indx", "y"], ["search", "--help"], ["check", "--help"]]
    found = {}
    for args in runs:
        res = _zh(*args, LANG="en_US.UTF-8")
        foreign = {run for run in re.findall(r"[\u3400-\u9fff]+", res.stdout + res.stderr) if run not in content}
        if foreign:
            found[" ".join(map(str, args[:2]))] = sorted(foreign)[:10]
    assert found == {}
