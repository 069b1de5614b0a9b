"""One contract for every store an index can live in: the local generations and Milvus (Milvus Lite,
the same client and collections as a Milvus server). The same queries, filters, incremental update
and failed or killed builds, on the real sample corpus."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from plansearch.models import PlansearchError
from plansearch.search import Filters, Searcher
from plansearch.store import CACHE_FILE, STORE_FILE, build_index, copy_cache, open_index

from conftest import CORPUS, PLAN_B, kill_build_at

# PLANSEARCH_TEST_MILVUS=HOST:PORT adds a Milvus server of your own (docs/scale-out.md): every test of
# the contract then runs over it too.
SERVER = os.environ.get("PLANSEARCH_TEST_MILVUS", "").strip()
STORES = ["local", "milvus-lite"] + (["milvus-server"] if SERVER else [])


def store_spec(kind: str, index_dir: Path) -> str:
    if kind == "milvus-server":
        return f"milvus://{SERVER}"
    return "local" if kind == "local" else f"milvus-lite:{index_dir / 'plans.db'}"


def needs(kind: str) -> None:
    if kind in ("milvus-lite", "milvus-server"):
        pytest.importorskip("pymilvus")
    if kind == "milvus-lite":
        pytest.importorskip("milvus_lite")


@pytest.fixture(scope="session", params=STORES)
def seed_store(request, seed_index, tmp_path_factory) -> tuple[str, Path]:
    """The sample corpus indexed in each store (the vectors from the seed index's cache)."""
    kind = request.param
    needs(kind)
    if kind == "local":
        return kind, seed_index
    ix = tmp_path_factory.mktemp(f"seed-{kind}")
    copy_cache(seed_index / CACHE_FILE, ix / CACHE_FILE)
    report = build_index(CORPUS, ix, store=store_spec(kind, ix))
    assert report.embedded == 0
    return kind, ix


def ids(hits) -> list[str]:
    return [h.item.item_id for h in hits]


# --- the same answers ---------------------------------------------------------------------------------

def test_the_index_opens_through_the_store_it_was_built_in(seed_store):
    kind, ix = seed_store
    index = open_index(ix)
    try:
        assert type(index).__name__ == ("StoredIndex" if kind == "local" else "MilvusIndex")
        assert (ix / STORE_FILE).is_file() == (kind != "local")
        assert index.meta.items == len(index.item_doc) > 250 and index.meta.windows > index.meta.items
    finally:
        index.close()


@pytest.mark.parametrize("query, mode", [("留守儿童关爱", "hybrid"), ("留守兒童", "keyword"),
                                         ("农民工的孩子进城上学", "dense"), ("控辍保学", "hybrid")])
def test_every_store_finds_the_items_that_hold_the_topic(seed_store, query, mode):
    kind, ix = seed_store
    s = Searcher(ix)
    try:
        hits = s.search(query, k=5, mode=mode)
    finally:
        s.close()
    assert len(hits) == 5
    if mode != "dense":  # 留守兒童 (Traditional) finds 留守儿童 (Simplified) and the other way round
        key = "留守儿童" if "留守" in query else query
        assert key in (hits[0].item.norm or hits[0].item.text)
    else:  # a paraphrase: the meaning side finds the schooling of migrant workers' children (进城务工农民子女)
        assert "进城务工" in hits[0].item.text
    for h in hits:
        assert h.match_span is None or 0 <= h.match_span[0] < h.match_span[1] <= len(h.item.text)


@pytest.fixture
def against_local(seed_index, seed_store):
    """(the local store's searcher, this store's), for a store other than the local reference."""
    kind, ix = seed_store
    if kind == "local":
        pytest.skip("the reference itself")
    local, other = Searcher(seed_index), Searcher(ix)
    yield local, other
    local.close()
    other.close()


def test_milvus_answers_as_the_local_store_does(against_local):
    local, other = against_local
    for query in ("留守儿童关爱", "学前教育普及", "校园安全", "老百姓看病贵", "教师队伍建设"):
        for mode in ("hybrid", "keyword", "dense"):
            a, b = local.search(query, 10, mode), other.search(query, 10, mode)
            assert len(set(ids(a)) & set(ids(b))) >= len(a) - 1 and len(a) == len(b), (query, mode, ids(a), ids(b))
        a, b = local.search(query, 10), other.search(query, 10)
        # the same scores (the sample corpus has identical items, tied, whose order may differ)
        assert np.allclose([h.score for h in a[:3]], [h.score for h in b[:3]], atol=1e-3)
        spans = {h.item.item_id: h.match_span for h in a}
        assert all(spans[h.item.item_id] == h.match_span for h in b if h.item.item_id in spans)


FILTERS = [Filters(years=(2019, 2022)), Filters(years=(2010, 2019)), Filters(years=(2021, 2021), year_basis="plan"),
           Filters(region="华州"), Filters(issuer="教育局"), Filters(kind="plan"), Filters(kind="summary"),
           Filters(kind="report"), Filters(doc="000_5ae896fcb747d54c"), Filters(doc="003_d3b064de2d82a876"),
           Filters(region="华州", kind="plan", years=(2018, 2025)),
           Filters(doc_ids=("001_c0800182451e36bf", "000_5ae896fcb747d54c#1"))]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.describe() or "doc_ids")
def test_filters_return_only_the_documents_they_take_and_the_same_hits_in_every_store(seed_index, seed_store,
                                                                                      filters):
    kind, ix = seed_store
    s, ref = Searcher(ix), Searcher(seed_index)
    try:
        taken = {d.doc_id for d in s.index.documents if filters.accepts(d)}
        for mode in ("hybrid", "keyword", "dense"):
            hits = s.search("教育", 10, mode, filters)
            assert {h.doc.doc_id for h in hits} <= taken
            assert bool(hits) == bool(taken) or mode == "keyword"
            same = set(ids(hits)) & set(ids(ref.search("教育", 10, mode, filters)))
            assert len(same) >= len(hits) - 1
    finally:
        s.close()
        ref.close()


def test_required_and_excluded_words_hold_in_every_store(seed_store):
    kind, ix = seed_store
    s = Searcher(ix)
    try:
        hits = s.search('"留守儿童" -控辍保学', 10)
        assert hits and all("留守儿童" in h.item.norm and "控辍保学" not in h.item.norm for h in hits)
        assert not s.search('"这句话在语料里没有"', 5)
    finally:
        s.close()


def test_every_store_bounds_a_phrase_count_and_reads_a_missing_word_as_the_documents_word(seed_store):
    # phrase_frequency is what the thesaurus rewrite asks: 0 only for a phrase no item holds, and
    # never below the true count (corpus/000 builds 卫生厕所 and 厕所改造).
    kind, ix = seed_store
    s = Searcher(ix)
    try:
        norms = [it.norm for it in s.index.items(range(len(s.index.item_doc)))]
        assert s.index.phrase_frequency("厕所") >= sum("厕所" in n for n in norms) >= 2
        assert s.index.phrase_frequency("茅房") == 0
        hits = s.search("学校茅房改造", 5)
        assert any("“茅房” as “厕所”" in n for n in hits.notices) and "厕所" in hits[0].item.norm
    finally:
        s.close()


def test_milvus_bounds_phrases_and_rewrites_queries_as_the_local_store_does(against_local):
    # Milvus keeps the local store's character-pair counts in its docs collection: the same bound,
    # without a scan per phrase, so a query is rewritten alike in both.
    local, milvus = against_local
    for key in ("厕所", "留守儿童", "茅房", "学校厕所改造", "教"):
        assert milvus.index.phrase_frequency(key) == local.index.phrase_frequency(key), key
    for q in ("村里连个像样的托儿所都没有", "学校茅房改造", "留守儿童关爱"):
        assert milvus.rewrite(q) == local.rewrite(q), q


def test_every_store_bridges_a_readers_words_to_the_plans_words(seed_store):
    # No item says 学校乱收钱; the plans call it 乱收费. Every store keeps the corpus's words and their
    # vectors, the keyword side also reads the nearest of them, and a hit says which it holds.
    kind, ix = seed_store
    s = Searcher(ix)
    try:
        assert "乱收费" in [w for w, _cos in s.index.nearest_words(s.query_vector("学校乱收钱"), 8, 0.0)]
        hits = s.search("学校乱收钱", 10)
        holding = [h for h in hits if ("乱收费", "学校乱收钱") in h.bridged]
        assert holding and all("乱收费" in h.item.norm for h in holding)
        assert all(any(h.item.text[a:b] == "乱收费" for a, b in h.highlights) for h in holding)
        # a query whose words all stand in some item is read as typed: nothing bridged
        assert not any(h.bridged for h in s.search("留守儿童关爱", 10))
    finally:
        s.close()


def test_milvus_keeps_the_words_the_local_store_keeps(against_local):
    local, milvus = against_local
    for q in ("学校乱收钱", "孩子作业太多", "城里老师去农村学校教书"):
        a = [w for w, _ in local.index.nearest_words(local.query_vector(q), 8, 0.0)]
        b = [w for w, _ in milvus.index.nearest_words(milvus.query_vector(q), 8, 0.0)]
        assert len(set(a) & set(b)) >= 7, (q, a, b)  # float16 rows on disk locally: a near-tie may swap


def test_documents_read_back_from_every_store_are_the_documents_loaded(seed_store, corpus_docs):
    kind, ix = seed_store
    index = open_index(ix)
    try:
        # read and let go (reuse's pass over every document): the same document, the index's own
        # stays metadata; read and kept: filled in place
        passing = [index.document_with_items(n, keep=False) for n in range(len(index.documents))]
        assert all(not d.items for d in index.documents)
        stored = {d.doc_id: d for d in index.all_documents()}
        assert all(stored[d.doc_id] is not d and stored[d.doc_id].items for d in passing)
        assert [len(d.items) for d in passing] == [len(d.items) for d in index.documents]
    finally:
        index.close()
    for doc in corpus_docs:
        back = stored[doc.doc_id]
        assert (back.title, back.year, back.year_mask, back.region, back.kind, back.text) == \
               (doc.title, doc.year, doc.year_mask, doc.region, doc.kind, doc.text)
        assert [(h.label, h.title, h.start) for h in back.headings] == [(h.label, h.title, h.start) for h in doc.headings]
        assert [(it.label, it.path, it.text, it.start, it.subpoints) for it in back.items] == \
               [(it.label, it.path, it.text, it.start, it.subpoints) for it in doc.items]


# --- building --------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("kind", STORES)
def test_adding_a_file_embeds_only_its_new_windows(kind, small_corpus, tmp_path):
    needs(kind)
    ix = tmp_path / "ix"
    first = build_index(small_corpus, ix, store=store_spec(kind, ix))
    assert first.embedded == first.windows == 3
    assert build_index(small_corpus, ix).up_to_date  # the store is recorded: no --store needed again
    (small_corpus / "plan2024.txt").write_text(PLAN_B, encoding="utf-8")
    second = build_index(small_corpus, ix)
    # The 留守儿童 measure was copied word for word from 2023: only the other two are new.
    assert (second.documents, second.windows, second.embedded, second.reused) == (2, 6, 2, 4)
    s = Searcher(ix)
    try:
        assert {h.item.doc_id for h in s.search("留守儿童", k=2, mode="keyword")} == {"plan2023", "plan2024"}
        assert ids(s.search("食品安全", k=1)) == ["plan2024:2"]
    finally:
        s.close()


def _built_then_grown(kind: str, corpus: Path, ix: Path) -> None:
    """plan2023 indexed in the store, then plan2024 added to the corpus (not yet indexed)."""
    needs(kind)
    build_index(corpus, ix, store=store_spec(kind, ix))
    (corpus / "plan2024.txt").write_text(PLAN_B, encoding="utf-8")


def _assert_previous_version_answers_and_next_build_finishes(kind: str, corpus: Path, ix: Path,
                                                             answering=("plan2023",), to_embed: int = 2) -> None:
    """The last version committed answers (`answering` hold 留守儿童); the next run finishes the
    job, embedding only what the cache did not hold (`to_embed`), and the lock is free."""
    s = Searcher(ix)
    try:
        assert sorted(h.item.doc_id for h in s.search("留守儿童", k=5, mode="keyword")) == list(answering)
    finally:
        s.close()
    report = build_index(corpus, ix)
    assert report.documents == 2 and report.embedded == to_embed
    if kind == "local":
        assert not [p for p in ix.iterdir() if p.name.startswith(".tmp-")]
        return
    from plansearch.milvus_store import connect, disconnect
    from plansearch.store import recorded_store, store_for

    uri = store_for(ix).uri
    name = recorded_store(ix)["collection"]
    client = connect(uri)
    try:
        gens = {c.split("__")[1] for c in client.list_collections() if c.startswith(name + "__")}
    finally:
        disconnect(client, uri)
    assert len(gens) <= 2  # the live version and the one it replaced; the broken build's are gone


@pytest.mark.slow
@pytest.mark.parametrize("kind", STORES)
def test_a_failed_build_leaves_the_previous_version_answering(kind, small_corpus, tmp_path):
    ix = tmp_path / "ix"
    _built_then_grown(kind, small_corpus, ix)

    def fail_while_writing(stage, done, total):
        if stage == "write":
            raise KeyboardInterrupt  # Ctrl-C with the new version half written

    # The first version is written before anything is embedded (keyword first): the 2 new windows
    # are embedded by the next run.
    with pytest.raises(KeyboardInterrupt):
        build_index(small_corpus, ix, progress=fail_while_writing)
    _assert_previous_version_answers_and_next_build_finishes(kind, small_corpus, ix)


@pytest.mark.slow
@pytest.mark.parametrize("kind", STORES)
def test_a_build_failing_after_embedding_leaves_its_keyword_version_answering(kind, small_corpus, tmp_path):
    ix = tmp_path / "ix"
    _built_then_grown(kind, small_corpus, ix)
    seen = set()

    def fail_writing_the_last_version(stage, done, total):
        seen.add(stage)
        if stage == "write" and "embed" in seen:
            raise KeyboardInterrupt  # Ctrl-C while the version with every vector is written

    with pytest.raises(KeyboardInterrupt):
        build_index(small_corpus, ix, progress=fail_writing_the_last_version)
    partial = open_index(ix)
    try:  # plan2023's 3 items and plan2024's copy of one of them; its 2 new ones wait
        assert (partial.meta.items, partial.meta.embedded_items) == (6, 4)
    finally:
        partial.close()
    # plan2024 answers by its words already, and the next run embeds nothing: the cache has it all
    _assert_previous_version_answers_and_next_build_finishes(kind, small_corpus, ix, ("plan2023", "plan2024"), 0)


@pytest.mark.slow
@pytest.mark.parametrize("kind", STORES)
def test_a_build_killed_mid_write_leaves_the_previous_version_answering(kind, small_corpus, tmp_path):
    ix = tmp_path / "ix"
    _built_then_grown(kind, small_corpus, ix)
    kill_build_at("write", small_corpus, ix, tmp_path / "writing-started")
    _assert_previous_version_answers_and_next_build_finishes(kind, small_corpus, ix)


# --- Milvus: what only it needs ----------------------------------------------------------------------

def test_filter_expressions_take_exactly_the_documents_the_filters_take(seed_store):
    kind, ix = seed_store
    if kind == "local":
        pytest.skip("the local store filters by document rows")
    index = open_index(ix)
    from plansearch.milvus_store import filter_expression

    try:
        for filters in FILTERS + [Filters(years=(2020, 2029)), Filters(years=(2023, 2023), year_basis="review"),
                                  Filters(region="华州区"), Filters(region="華州")]:
            expr = filter_expression(filters)
            assert expr is not None, filters.describe()
            got = {r["doc_row"] for r in index.client.query(index._items, filter=expr, output_fields=["doc_row"],
                                                            limit=16384)}
            want = {i for i, d in enumerate(index.documents) if filters.accepts(d)}
            assert got == want, (filters.describe(), expr)
    finally:
        index.close()


def test_the_cli_builds_in_milvus_lite_and_later_commands_find_it(small_corpus, tmp_path, monkeypatch):
    needs("milvus-lite")
    from typer.testing import CliRunner

    from plansearch.cli import app

    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    built = run(app, ["index", str(small_corpus), "--store", "milvus-lite:index/plans.db"])
    assert built.exit_code == 0, built.output
    assert (tmp_path / "index" / "plans.db").is_dir()
    found = run(app, ["search", "留守儿童关爱", "--json"])
    assert found.exit_code == 0 and "plan2023" in found.output and "留守儿童" in found.output
    outline = run(app, ["outline", "plan2023", "--index", "index"])
    assert outline.exit_code == 0 and "加强教师队伍建设" in outline.output
    reuse = run(app, ["reuse", "--index", "index"])
    assert reuse.exit_code == 0, reuse.output


def test_a_wrong_store_or_a_missing_milvus_package_is_one_line(small_corpus, tmp_path, monkeypatch):
    with pytest.raises(PlansearchError, match="--store takes local, milvus-lite:PATH.db or milvus://HOST:PORT"):
        build_index(small_corpus, tmp_path / "ix", store="elastic://here")
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # as if the extra were not installed
    with pytest.raises(PlansearchError, match=r"install it with pip install 'plansearch\[milvus\]'"):
        build_index(small_corpus, tmp_path / "ix", store=f"milvus-lite:{tmp_path / 'ix' / 'plans.db'}")


def test_spelled_bigrams_are_one_ascii_word_each():
    from plansearch.milvus_store import spell_bigrams

    words = spell_bigrams(["留守", "守儿", "20"]).split(" ")
    assert len(words) == 3 and all(w.isascii() and w.isalnum() for w in words)
    assert len(set(words)) == 3 and words == spell_bigrams(["留守", "守儿", "20"]).split(" ")
    assert np.all([len(w) == 9 for w in words])
