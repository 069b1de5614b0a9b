"""The on-disk layout of an index (#27): vectors stored once as float16 rows of the cache, keyword
postings in compact gap-coded arrays built out of core, item text stored once, and a build that
holds one batch of documents at a time. Each is checked against the simple way of doing it."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import plansearch.store as store
from plansearch.keyword import BM25Index, KeywordBuilder, tokenize
from plansearch.search import Searcher
from plansearch.store import CACHE_FILE, build_index, cache_files, live_generation, open_index

from conftest import CORPUS

CHARS = "教育学校留守儿童关爱教师队伍建设发展改革推进落实工作一二三"
norms_strategy = st.lists(st.text(alphabet=CHARS + "，。 ", max_size=40), min_size=1, max_size=60)


@settings(max_examples=40, deadline=None)
@given(norms=norms_strategy, batch=st.integers(1, 25), queries=st.lists(st.text(alphabet=CHARS, min_size=1,
                                                                               max_size=6), min_size=1, max_size=4))
def test_postings_sorted_in_buckets_from_batches_score_as_one_in_memory_build(tmp_path_factory, norms, batch,
                                                                                queries):
    """KeywordBuilder's out-of-core path (batches spilled, then sorted a token range at a time)
    gives the very arrays of the in-memory one: the same score for every text and query."""
    whole = BM25Index.build(norms)
    builder = KeywordBuilder(tmp_path_factory.mktemp("kw"))
    builder.IN_MEMORY = 5  # every corpus here takes the bucketed path
    for a in range(0, len(norms), batch):
        builder.add(norms[a:a + batch])
    parts = builder.finish()
    for q in queries:
        np.testing.assert_array_equal(parts.scores(q), whole.scores(q))
        toks = tokenize(q)
        np.testing.assert_array_equal(parts.rows_with_all(toks), whole.rows_with_all(toks))
        assert parts.rows_bound(toks) == whole.rows_bound(toks)


def test_the_postings_spill_is_read_not_mapped_so_its_pages_do_not_stay_with_the_build(tmp_path, monkeypatch):
    # A mapped file's pages count in the process's resident set while the map lives: the spill is
    # 10 bytes a posting, 3 GB at 3·10^6 items. Read in chunks, it is not held.
    import plansearch.keyword as keyword

    mapped = []
    real_memmap = np.memmap

    def memmap(path, *args, **kwargs):
        mapped.append(Path(path).name)
        return real_memmap(path, *args, **kwargs)

    monkeypatch.setattr(keyword.np, "memmap", memmap)
    norms = ["落实留守儿童关爱保护制度", "加强教师队伍建设", "留守儿童心理健康教育", "教师培训"] * 30
    for in_memory in (5, 10_000):  # the bucketed path and the one-bucket path
        (tmp_path / str(in_memory)).mkdir()
        builder = KeywordBuilder(tmp_path / str(in_memory))
        builder.IN_MEMORY = in_memory
        for a in range(0, len(norms), 7):
            builder.add(norms[a:a + 7])
        index = builder.finish()
        np.testing.assert_array_equal(index.scores("留守儿童"), BM25Index.build(norms).scores("留守儿童"))
    assert mapped and not any("postings" in name for name in mapped), mapped


def test_a_posting_takes_about_three_bytes_on_the_work_reports(gwr_index):
    """Row gaps in the narrowest integer that holds them and a uint8 term frequency, instead of a
    4-byte row and a 4-byte weight."""
    gen = live_generation(gwr_index)
    ix = BM25Index.load(gen)
    postings = int(ix.ptr[-1])
    stream = sum((gen / f"bm25_{n}.npy").stat().st_size for n in ("gaps1", "gaps2", "gaps4", "tf"))
    assert postings > 200_000
    assert stream / postings < 3.0


def test_the_index_holds_no_vectors_of_its_own_it_reads_the_caches_float16_rows(seed_index):
    gen = live_generation(seed_index)
    assert not (gen / "vectors.npy").exists()
    (f16,) = [p for p in cache_files(seed_index / CACHE_FILE) if p.suffix == ".f16"]
    ix = open_index(seed_index)
    try:
        assert ix.vectors.base.dtype == np.float16 and Path(ix.vectors.source) == f16
        assert f16.stat().st_size >= len(np.unique(ix.vectors.rows)) * ix.meta.dim * 2
        # windows of the same text share a row: the cache holds each text once
        assert len(np.unique(ix.vectors.rows)) < len(ix.vectors.rows)
        v = ix.window_vectors(np.arange(5))
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=2e-3)
    finally:
        ix.close()


def test_an_items_text_is_stored_once_and_read_back_whole(seed_index, corpus_docs):
    gen = live_generation(seed_index)
    with sqlite3.connect(gen / "store.sqlite") as db:
        stored, items = db.execute("SELECT count(text), count(*) FROM item").fetchone()
        assert db.execute("SELECT count(norm) FROM item").fetchone()[0] == 0
    assert stored < 0.1 * items  # the rest is its document's text after its label
    ix = open_index(seed_index)
    try:
        back = ix.items(range(items))
    finally:
        ix.close()
    loaded = [it for d in corpus_docs for it in d.items]
    assert [(it.text, it.norm) for it in back] == [(it.text, it.norm) for it in loaded]


def test_a_build_in_small_batches_is_the_build_in_one(tmp_path, monkeypatch, seed_index):
    """The build streams documents a batch at a time; with batches of 40 items the index is the
    same as with the whole corpus in one: rows, windows, vectors, keyword scores and hits."""
    one = tmp_path / "one"
    many = tmp_path / "many"
    for ix in (one, many):
        ix.mkdir()
        store.copy_cache(seed_index / CACHE_FILE, ix / CACHE_FILE)
    monkeypatch.setattr(store, "BUILD_BATCH_ITEMS", 10 ** 9)
    build_index(CORPUS, one)
    monkeypatch.setattr(store, "BUILD_BATCH_ITEMS", 40)
    report = build_index(CORPUS, many)
    assert report.embedded == 0
    a, b = open_index(one), open_index(many)
    try:
        assert a.meta.fingerprint == b.meta.fingerprint and a.meta.windows == b.meta.windows
        assert np.array_equal(a.item_doc, b.item_doc) and np.array_equal(a.window_item, b.window_item)
        np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
        for q in ("留守儿童关爱", "教师队伍建设", "课后服务"):
            np.testing.assert_array_equal(a.keyword_scores(q), b.keyword_scores(q))
    finally:
        a.close()
        b.close()
    hits = [[h.item.item_id for h in Searcher(ix).search("留守儿童关爱", 10)] for ix in (one, many)]
    assert hits[0] == hits[1] and hits[0]
