"""Issue 28: `kill -9` during the embedding phase of `plansearch index` loses at most the batch in
flight; `index` again resumes from the embedding cache, which is written batch by batch.

The embedder is a slowed stand-in (deterministic vectors from each text's hash) that logs every
batch it returns, so the test can kill the build at a known point and count what is embedded again."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from plansearch.store import EMBED_BATCH

from conftest import CORPUS, REPO

RUNNER = textwrap.dedent("""
    import hashlib, json, sys, time
    import numpy as np
    import plansearch.store as store

    corpus, index_dir, log, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

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
    store.build_index(corpus, index_dir)
""")


def _run(tmp_path: Path, index_dir: Path, log: Path, delay: float) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(CORPUS), str(index_dir), str(log), str(delay)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _batches(log: Path) -> list[int]:
    return [json.loads(x) for x in log.read_text().split()] if log.exists() else []


@pytest.mark.parametrize("kill_after", [1, 3, 6])
def test_kill_9_during_embedding_loses_at_most_the_batch_in_flight(tmp_path, kill_after):
    # The whole-corpus count of distinct windows: one uninterrupted build with no delay.
    whole_log = tmp_path / "whole.log"
    p = _run(tmp_path, tmp_path / "whole-index", whole_log, 0.0)
    assert p.wait(timeout=300) == 0, p.stderr.read()
    distinct = sum(_batches(whole_log))
    assert distinct > 6 * EMBED_BATCH  # enough batches for every kill point

    index_dir, log = tmp_path / "index", tmp_path / "first.log"
    p = _run(tmp_path, index_dir, log, 0.3)
    deadline = time.time() + 120
    while len(_batches(log)) < kill_after and time.time() < deadline:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    before_kill = sum(_batches(log))
    assert kill_after * EMBED_BATCH <= before_kill < distinct  # killed in the embedding phase

    again = tmp_path / "again.log"
    p = _run(tmp_path, index_dir, again, 0.0)
    assert p.wait(timeout=300) == 0, p.stderr.read()
    re_embedded = before_kill + sum(_batches(again)) - distinct
    assert 0 <= re_embedded <= EMBED_BATCH  # nothing lost; at most the batch in flight again


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
