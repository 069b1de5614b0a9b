"""Issue 28, keyword first then meaning: `plansearch index` commits a version that answers by
words (and by the vectors the cache already holds) before it embeds anything, then versions with
more vectors while it embeds, and a last one that is the one-go build. Every command works on a
version still being embedded, and search says how far its meaning side reaches."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from plansearch.cli import app
from plansearch.search import Searcher
from plansearch.store import build_index, open_index

from conftest import CORPUS


class Stop(Exception):
    """Raised from on_commit: the build is interrupted right after a version went live."""


def _stop_after(n: int):
    seen = []

    def on_commit(name, meta):
        seen.append(meta)
        if len(seen) >= n:
            raise Stop
    return on_commit


@pytest.fixture(scope="module")
def partial_index(tmp_path_factory, corpus_docs):
    """The sample corpus, interrupted after its first version: the cache held the windows of the
    first two documents (indexed before), so their items have vectors and the rest words only."""
    ix = tmp_path_factory.mktemp("partial") / "ix"
    build_index(CORPUS, ix, documents=corpus_docs[:2])
    with pytest.raises(Stop):
        build_index(CORPUS, ix, documents=corpus_docs, on_commit=_stop_after(1))
    return ix


@pytest.fixture(scope="module")
def unembedded_index(tmp_path_factory):
    """The sample corpus on an empty cache, interrupted after its first version: no vectors at all."""
    ix = tmp_path_factory.mktemp("unembedded") / "ix"
    with pytest.raises(Stop):
        build_index(CORPUS, ix, on_commit=_stop_after(1))
    return ix


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_the_first_version_holds_every_item_and_only_the_vectors_the_cache_had(partial_index, corpus_docs):
    index = open_index(partial_index)
    try:
        meta = index.meta
        first_two = sum(len(d.items) for d in corpus_docs[:2])
        assert meta.items == sum(len(d.items) for d in corpus_docs)
        # the first two documents' items, and those later items whose every window was a copy of theirs
        assert first_two <= meta.embedded_items < meta.items
        have = set(np.asarray(index.window_item).tolist())
        assert len(have) == meta.embedded_items and set(range(first_two)) <= have
    finally:
        index.close()


def test_search_on_a_partial_index_says_how_far_meaning_reaches(partial_index):
    s = Searcher(partial_index)
    try:
        share = s.meaning_coverage
        assert 0 < share < 1
        hits = s.search("特殊教育", k=10)
        note = f"meaning side: {int(share * 100)}% of items embedded; the rest found by words only"
        assert note in hits.notices and all(h.meaning_coverage == share for h in hits)
        # items without vectors are found by their words, and have no cosine to show
        row_of = {it.item_id: r for r, it in enumerate(s.index.items(range(s.index.meta.items)))}
        words_only = [h for h in hits if not len(s.index.item_windows(row_of[h.item.item_id])[0])]
        assert words_only and all(h.dense_score is None and h.keyword_score > 0 for h in words_only)
        assert not any(n.startswith("meaning side") for n in s.search("特殊教育", k=3, mode="keyword").notices)
    finally:
        s.close()


def test_the_cli_shows_the_coverage_note_and_json_carries_it(partial_index):
    s = Searcher(partial_index)
    share = s.meaning_coverage
    s.close()
    table = _run("search", "特殊教育", "--index", partial_index)
    assert table.exit_code == 0, table.output
    assert f"meaning side: {int(share * 100)}% of items embedded" in table.output
    js = _run("search", "特殊教育", "--index", partial_index, "--json")
    assert js.exit_code == 0, js.output
    records = [json.loads(x) for x in js.stdout.splitlines() if x.startswith("{")]
    assert records and {r["meaning_coverage"] for r in records} == {round(share, 4)}
    zh = _run("--lang", "zh", "search", "特殊教育", "--index", partial_index)
    assert zh.exit_code == 0 and "语义检索" in zh.output and f"{int(share * 100)}%" in zh.output


def test_a_version_without_any_vector_answers_by_words(unembedded_index):
    s = Searcher(unembedded_index)
    try:
        assert s.index.meta.embedded_items == 0 and s.index.meta.windows == 0
        for mode in ("hybrid", "dense", "keyword", "rrf"):
            hits = s.search("特殊教育", k=5, mode=mode)
            if mode != "dense":
                assert hits, mode
    finally:
        s.close()


def test_every_command_works_on_a_partial_index(partial_index, tmp_path):
    index = open_index(partial_index)
    try:
        with_vectors = set(np.asarray(index.item_doc)[np.asarray(index.window_item)].tolist())
        a = index.documents[0].doc_id  # its items have vectors
        b = next(d.doc_id for row, d in enumerate(index.documents) if row not in with_vectors)  # words only
    finally:
        index.close()
    for args in (["compare", a, b, "--index", partial_index],
                 ["check", "--doc", b, "--index", partial_index],
                 ["check", "--doc", a, "--index", partial_index],
                 ["trend", "特殊教育", "--index", partial_index],
                 ["reuse", "--index", partial_index],
                 ["lineage", b, "--index", partial_index],
                 ["lineage", "--graph", "--index", partial_index],
                 ["search", "特殊教育", "--by", "year", "--index", partial_index]):
        r = _run(*args)
        assert r.exit_code == 0, (args, r.output)


def test_the_web_page_shows_the_coverage_note(partial_index):
    from starlette.testclient import TestClient

    from plansearch.web.app import create_app
    from plansearch.web.engine import Engine

    engine = Engine(partial_index)
    try:
        client = TestClient(create_app(engine=engine), base_url="http://localhost")
        page = client.get("/search?q=特殊教育&lang=en")
        assert page.status_code == 200 and "the rest found by words only" in page.text
        assert "语义检索" in client.get("/search?q=特殊教育").text
    finally:
        engine.close()


def test_every_window_answers_before_the_term_bridges_words_are_embedded(tmp_path, seed_index):
    """The words of the term bridge take minutes to embed on a first build (6,593 for the work
    reports): the version holding every window goes live first, and the build's last version adds
    the words. A build stopped in between is finished by the next one, not called up to date."""
    from plansearch.store import CACHE_FILE, QUERY_KEY, copy_cache, live_generation, text_key

    ix = tmp_path / "ix"
    ix.mkdir()
    copy_cache(seed_index / CACHE_FILE, ix / CACHE_FILE)
    words = json.loads((live_generation(seed_index) / "words.json").read_text(encoding="utf-8"))["words"]
    assert len(words) > 100
    import sqlite3

    with sqlite3.connect(ix / CACHE_FILE) as db:  # the windows stay cached; the words' vectors go
        db.executemany("DELETE FROM vector WHERE key=?", [(text_key(QUERY_KEY + w),) for w in words])
    metas = []
    with pytest.raises(Stop):
        build_index(CORPUS, ix, on_commit=lambda name, meta: (metas.append(meta), _raise_if_words_pending(meta)))
    assert metas[-1].embedded_items == metas[-1].items  # every window, no words yet
    assert not (live_generation(ix) / "words.json").exists()
    hits = Searcher(ix).search("留守儿童关爱", 3)
    assert hits and all(h.dense_score is not None for h in hits) and hits[0].meaning_coverage == 1.0
    report = build_index(CORPUS, ix)  # finished, not "up to date"
    assert not report.up_to_date and report.embedded == 0
    assert (live_generation(ix) / "words.json").exists() and open_index(ix).meta.embedded_items is None


def _raise_if_words_pending(meta):
    if meta.embedded_items is not None and meta.embedded_items == meta.items:
        raise Stop
