"""Issue 28: `kill -9` during the embedding phase of `plansearch index` loses at most the batch in
flight; `index` again resumes from the embedding cache, which is written batch by batch.

The embedder is a slowed stand-in (deterministic vectors from each text's hash) that logs every
batch it returns, so the test can kill the build at a known point and count what is embedded again. The build
commits a version after every batch (every=0), so the kill lands while embedding and while
committing; the resumed build must end with the index a build in one go makes."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from plansearch.search import Searcher
from plansearch.store import EMBED_BATCH

from conftest import CORPUS, REPO

RUNNER = textwrap.dedent("""
    import hashlib, json, sys, time
    import numpy as np
    import plansearch.store as store

    corpus, index_dir, log, delay, where = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]

    class Slow:
        name, dim = "test/hash-16", 16
        def embed_passages(self, texts):
            out = np.array([np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], np.uint8)
                            for t in texts], np.float32) + 1
            time.sleep(delay)
            with open(log, "a") as f:  # after the vectors are made, before the cache holds them
                f.write(json.dumps(len(texts)) + "\\n")
            return out / np.linalg.norm(out, axis=1, keepdims=True)
        embed_queries = embed_passages

    store.get_embedder = lambda model=None: Slow()
    store.resolve_model = lambda model=None: None
    # a new version after every batch: the kill lands in embedding and in committing alike
    store.build_index(corpus, index_dir, store=where, every=0)
""")


class HashEmbedder:
    """The runner's embedder, in this process, for the queries of the final comparison."""

    name, dim = "test/hash-16", 16

    def embed_passages(self, texts):
        out = np.array([np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], np.uint8)
                        for t in texts], np.float32) + 1
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    embed_queries = embed_passages


def _run(index_dir: Path, log: Path, delay: float, where: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(CORPUS), str(index_dir), str(log), str(delay), where],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _batches(log: Path) -> list[int]:
    return [json.loads(x) for x in log.read_text().split()] if log.exists() else []


def _spec(kind: str, index_dir: Path) -> str:
    if kind == "milvus-lite":
        pytest.importorskip("pymilvus")
        pytest.importorskip("milvus_lite")
        return f"milvus-lite:{index_dir / 'plans.db'}"
    return "local"


def _contents(index_dir: Path) -> tuple:
    """What a build decides: every item's windows (spans) with their vectors, and what a few
    searches return, in every mode that reads vectors."""
    s = Searcher(index_dir)
    s._embedder = HashEmbedder()
    try:
        r = s.index
        assert r.meta.embedded_items is None  # complete
        rows = list(range(r.meta.items))
        r.preload(rows)
        windows = []
        for row in rows:
            wins, spans = r.item_windows(row)
            windows.append((np.asarray(spans).tolist(), np.round(r.window_vectors(wins), 3).tolist()))
        found = [[(h.item.item_id, round(h.score, 4)) for h in s.search(q, k=5, mode=mode)]
                 for q in ("特殊教育", "教师队伍建设", "校园安全") for mode in ("hybrid", "dense", "keyword")]
        return r.meta.items, r.meta.windows, windows, found
    finally:
        s.close()


@pytest.fixture(scope="module")
def build_in_one_go(tmp_path_factory):
    """One uninterrupted build per store kind, shared by the kill points (a Milvus Lite build that
    commits after every batch takes a minute): how many distinct windows the corpus embeds, and what
    the index then holds."""
    built: dict[str, tuple[int, tuple]] = {}

    def get(kind: str) -> tuple[int, tuple]:
        if kind not in built:
            d = tmp_path_factory.mktemp(f"whole-{kind}")
            index_dir, log = d / "index", d / "whole.log"
            p = _run(index_dir, log, 0.0, _spec(kind, index_dir))
            assert p.wait(timeout=300) == 0, p.stderr.read()
            built[kind] = sum(_batches(log)), _contents(index_dir)
        return built[kind]
    return get


# Every kill point on the local store; one on Milvus Lite, whose builds here take a minute each:
# where the kill lands is the embedding loop's business, the same for both, and what Milvus adds
# (a version committed per batch, the cache read back on resume) is crossed at any of them.
@pytest.mark.parametrize("kill_after, kind", [(1, "local"), (3, "local"), (6, "local"), (3, "milvus-lite")])
def test_kill_9_during_embedding_loses_at_most_the_batch_in_flight(tmp_path, kill_after, kind, build_in_one_go):
    distinct, whole_contents = build_in_one_go(kind)
    assert distinct > 6 * EMBED_BATCH  # enough batches for every kill point

    index_dir, log = tmp_path / "index", tmp_path / "first.log"
    p = _run(index_dir, log, 0.3, _spec(kind, index_dir))
    deadline = time.time() + 120
    while len(_batches(log)) < kill_after and time.time() < deadline:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    before_kill = sum(_batches(log))
    assert kill_after * EMBED_BATCH <= before_kill < distinct  # killed in the embedding phase
    # the last version committed before the kill answers, with part of the vectors
    s = Searcher(index_dir)
    s._embedder = HashEmbedder()
    try:
        assert s.index.meta.embedded_items is not None and s.index.meta.embedded_items < s.index.meta.items
        assert s.search("特殊教育", k=3, mode="keyword") and s.search("特殊教育", k=3)
    finally:
        s.close()

    again = tmp_path / "again.log"
    p = _run(index_dir, again, 0.0, _spec(kind, index_dir))
    assert p.wait(timeout=300) == 0, p.stderr.read()
    re_embedded = before_kill + sum(_batches(again)) - distinct
    assert 0 <= re_embedded <= EMBED_BATCH  # nothing lost; at most the batch in flight again
    # the resumed build ends where a build in one go ends
    assert _contents(index_dir) == whole_contents


def test_a_piped_build_logs_progress_with_rate_and_time_left(capsys):
    from plansearch.render import IndexProgress
    now = [0.0]
    with IndexProgress(clock=lambda: now[0], every=10) as bar:
        bar.update("embed", 0, 1000)
        for done in (100, 200, 600):
            now[0] += 5
            bar.update("embed", done, 1000)
    lines = capsys.readouterr().err.splitlines()
    # one line per 10 s, not one per batch: at 10 s 200 done (20/s, 40 s left); at 15 s 600 done
    assert lines == ["embedding new sentence windows: 200 / 1,000 (20 %), 20.0 per second, about 40 s left"]
