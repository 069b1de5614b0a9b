"""What storing the vectors below float16 would cost in recall (issue #27, item 2: 2.5 KB an item).

    nice .venv/bin/python bench/vector_precision.py --index /work/bench-3e6/index-1000000

On a built index's own vectors (its windows' float16 rows, read into memory as float32) and the
benchmark's 40 queries embedded by the bundled model, it scores against an exact scan of the
float16 rows (a window counts when its exact score reaches the true 10th's, as bench/run.py does):
- int8, one scale a row (384 + 4 bytes a window);
- uint8, one offset and step a dimension, after removing the mean vector (384 bytes a window);
- coarser PQ codes (192 x 4 bit = 96 bytes a window, half today's) re-scored exactly from float16,
  at 100 / 200 / 400 candidates a shard (today's codes need 100);
and prints how close the 10th and 11th exact scores sit (the margin any rounding has to keep).
Needs ~3x the windows' float32 size in memory (2.7 M windows: 13 GB).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def top10(matrix: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores, ids = [], []
    for q in queries:
        s = matrix @ q
        part = np.argpartition(-s, 10)[:10]
        order = part[np.argsort(-s[part])]
        scores.append(s[order])
        ids.append(order)
    return np.array(scores), np.array(ids)


def recall(exact: np.ndarray, queries: np.ndarray, truth_scores: np.ndarray, ids: np.ndarray) -> tuple[float, float]:
    got = [float(np.sum(exact[np.sort(row)] @ q >= t[-1] - 1e-5)) / 10 for q, t, row in zip(queries, truth_scores, ids)]
    return float(np.mean(got)), float(np.min(got))


def main() -> None:
    import faiss

    from bench.gen_corpus import load_seed_material
    from bench.run import queries as bench_queries
    from plansearch.embed import get_embedder
    from plansearch.store import live_generation, map_vector_file
    from plansearch.vectors import PQ_IMPLEM

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    args = ap.parse_args()
    gen = live_generation(args.index)
    meta = __import__("json").loads((gen / "meta.json").read_text())
    rows = np.load(gen / "window_row.npy", mmap_mode="r")
    base = map_vector_file(args.index / meta["vector_file"], meta["dim"])
    V = np.asarray(base[np.asarray(rows)], np.float32)
    qv = np.asarray(get_embedder(None).embed_queries(bench_queries(load_seed_material())), np.float32)
    truth_s, _truth_i = top10(V, qv)
    print(f"{len(V):,} windows, {len(qv)} queries", flush=True)
    gaps = truth_s[:, 9] - np.array([np.sort(V @ q)[-11] for q in qv])
    print(f"exact float16: 10th - 11th score, median {np.median(gaps):.1e}; queries under 5e-4: {np.mean(gaps < 5e-4):.0%}")

    scale = np.abs(V).max(1) / 127.0
    D = np.round(V / scale[:, None]).astype(np.int8).astype(np.float32) * scale[:, None]
    err = np.abs(D[:200_000] @ qv.T - V[:200_000] @ qv.T)
    print(f"int8, a scale a row (388 B/window): recall@10 {recall(V, qv, truth_s, top10(D, qv)[1])} "
          f"(mean, worst query); score error mean {err.mean():.1e}, max {err.max():.1e}", flush=True)
    del D
    mean = V[::7].mean(0)
    lo, hi = (V[::7] - mean).min(0), (V[::7] - mean).max(0)
    step = (hi - lo) / 255
    D = np.clip(np.round((V - mean - lo) / step), 0, 255).astype(np.uint8).astype(np.float32) * step + lo + mean
    print(f"uint8, centred, a step a dimension (384 B/window): recall@10 {recall(V, qv, truth_s, top10(D, qv)[1])}",
          flush=True)
    del D

    pq = faiss.index_factory(V.shape[1], f"PQ{V.shape[1] // 2}x4fs", faiss.METRIC_INNER_PRODUCT)
    pq.train(V[np.sort(np.random.default_rng(0).choice(len(V), min(len(V), 100_000), replace=False))])
    bounds = np.linspace(0, len(V), 3).astype(int)
    shards = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        shard = faiss.clone_index(pq)
        shard.add(V[a:b])
        shard.implem = PQ_IMPLEM
        shards.append((a, shard))
    for want in (100, 200, 400):
        ids = []
        for q in qv:
            cand = np.unique(np.concatenate([s.search(q[None, :], want)[1][0] + a for a, s in shards]))
            ids.append(cand[np.argsort(-(V[cand] @ q))[:10]])
        print(f"PQ{V.shape[1] // 2}x4fs (96 B/window), {want} candidates a shard, float16 re-scoring: "
              f"recall@10 {recall(V, qv, truth_s, np.array(ids))}", flush=True)


if __name__ == "__main__":
    main()
