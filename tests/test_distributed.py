"""`plansearch embed --ray`: the windows the cache lacks are embedded on Ray workers and written into
the index's embedding cache, so that `plansearch index` then embeds nothing; a worker killed mid-run
costs only its batch. Runs on a local Ray with 2 CPUs that the test starts."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from plansearch.chunk import windows_of_items
from plansearch.cli import app
from plansearch.corpus import load_corpus
from plansearch.embed import DEFAULT_MODEL, get_embedder
from plansearch.store import CACHE_FILE, EmbeddingCache, build_index, text_key

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
if not SEEDS.is_dir():
    SEEDS = Path("/work/shared/seeds")


@pytest.fixture
def corpus(tmp_path):
    """Two of the real seed plans (a few hundred windows: a dozen batches of 16)."""
    src = tmp_path / "corpus"
    src.mkdir()
    for f in sorted(SEEDS.glob("*.txt"))[2:4]:
        shutil.copy(f, src / f.name)
    return src


@pytest.fixture
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, _node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    try:
        yield ray
    finally:
        ray.shutdown()


def _running_batch_pids() -> list[int]:
    """Ray workers running a batch now: Ray titles a worker process `ray::<task name>` while it runs
    one (the state API, ray.util.state, needs the dashboard of ray[default])."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "cmdline").read_bytes().startswith(b"ray::_embed_batch"):
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids


def _cache_rows(index_dir: Path) -> list[tuple[bytes, bytes]]:
    """(key, vector bytes) of every vector the index's cache holds for the default model."""
    cache = EmbeddingCache(index_dir / CACHE_FILE, read_only=True)
    try:
        return [(k, v.astype(np.float16).tobytes()) for k, v in cache.iter_many(DEFAULT_MODEL, cache.keys(DEFAULT_MODEL))]
    finally:
        cache.close()


@pytest.mark.slow
@pytest.mark.parametrize("store", ["local", "milvus-lite"])
def test_a_killed_worker_costs_only_its_batch_and_index_then_embeds_nothing(corpus, tmp_path, local_ray, monkeypatch,
                                                                           store):
    """The Milvus store has no cache of its own: it keeps the same cache.sqlite in the index directory."""
    from plansearch.distributed import embed_on_ray

    if store == "milvus-lite":
        pytest.importorskip("pymilvus")
        pytest.importorskip("milvus_lite")

    texts = windows_of_items([it for d in load_corpus([corpus]) for it in d.items]).texts
    index_dir = tmp_path / "idx"
    killed: list[int] = []

    def kill_a_worker_once(stage, done, total):
        # after the first batch is back, with batches still running: SIGKILL one worker mid-batch
        if done and not killed and done < total:
            pids = _running_batch_pids()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

    report = embed_on_ray([corpus], index_dir, "local", batch=16, progress=kill_a_worker_once)
    assert killed, "no worker was running a batch to kill"
    assert report.windows == len(texts)
    assert report.embedded == report.distinct == len(set(texts)) and report.cached == 0
    assert report.batches == -(-report.distinct // 16)

    rows = _cache_rows(index_dir)
    keys = [k for k, _v in rows]
    assert sorted(keys) == sorted({text_key(t) for t in texts})  # every window, each exactly once

    # the same vectors as the in-process embedder, for the same texts
    emb = get_embedder(None)
    by_key = {k: np.frombuffer(v, np.float16) for k, v in rows}
    sample = sorted(set(texts))[:24]
    here = np.asarray(emb.embed_passages(sample), np.float16)  # as the cache keeps them
    there = np.stack([by_key[text_key(t)] for t in sample])
    np.testing.assert_array_equal(there, here)  # measured: identical

    # and the next index embeds nothing: the embedder is not called at all
    def no_embedding(self, texts):
        raise AssertionError("index embedded after embed --ray")

    monkeypatch.setattr(type(emb), "embed_passages", no_embedding)
    built = build_index([corpus], index_dir,
                        store=None if store == "local" else f"milvus-lite:{tmp_path / 'plans.db'}")
    assert built.embedded == 0 and built.reused == len(texts)

    # a second run finds everything in the cache and sends nothing to Ray
    again = embed_on_ray([corpus], index_dir, "local", batch=16)
    assert again.embedded == 0 and again.batches == 0 and again.cached == again.distinct


def test_without_ray_one_line_says_what_to_install(corpus, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = CliRunner().invoke(app, ["embed", str(corpus), "--index", str(tmp_path / "idx"), "--ray", "local"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["error: --ray needs Ray: pip install 'plansearch[ray]'"]
