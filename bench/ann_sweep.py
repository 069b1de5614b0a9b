"""ANN backends on the benchmark's clustered vectors, without building a corpus (issue: HNSW recall
0.713 at 10^5 items). Vectors are made the way bench/run.py's prefill makes them: a real
multilingual-e5-small seed-item vector (bench/out/run/seed_vectors.npy, ~290 seeds) plus Gaussian
noise to cosine ~0.8, L2-normalised; queries are real e5 query embeddings of bench/run.py's
queries. Ground truth: exact inner product (faiss IndexFlatIP). Latency: one query per call, as
Searcher asks (k=40 for dense, k=400 for hybrid's 100 candidates).

    .venv/bin/python bench/ann_sweep.py --windows 271505 --out bench/out/ann-1e5.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

import numpy as np  # noqa: E402

NOISE_COS = 0.8


def make_vectors(n: int, seeds: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = (1 / NOISE_COS ** 2 - 1) ** 0.5
    out = np.empty((n, seeds.shape[1]), np.float32)
    for a in range(0, n, 100_000):
        b = min(n, a + 100_000)
        v = seeds[rng.integers(0, len(seeds), b - a)]
        v = v + rng.standard_normal(v.shape, dtype=np.float32) * (s / v.shape[1] ** 0.5)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[a:b] = v
    return out


def make_like(vectors: np.ndarray, seeds: np.ndarray, times: int, seed: int = 0) -> np.ndarray:
    """`times` copies of an index's windows, each window a fresh "seed + noise" vector around the
    seed nearest its stored vector: the index's own (skewed) cluster sizes, at `times` the size."""
    rng = np.random.default_rng(seed)
    s = (1 / NOISE_COS ** 2 - 1) ** 0.5
    nearest = np.concatenate([np.argmax(vectors[a:a + 100_000] @ seeds.T, axis=1)
                              for a in range(0, len(vectors), 100_000)])
    out = np.empty((len(vectors) * times, seeds.shape[1]), np.float32)
    for r in range(times):
        for a in range(0, len(vectors), 100_000):
            b = min(len(vectors), a + 100_000)
            v = seeds[nearest[a:b]] + rng.standard_normal((b - a, seeds.shape[1]), dtype=np.float32) * (
                s / seeds.shape[1] ** 0.5)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            out[r * len(vectors) + a:r * len(vectors) + b] = v
    return out


def query_vectors(n: int) -> np.ndarray:
    from bench.gen_corpus import load_seed_material
    from bench.run import queries
    from plansearch.embed import get_embedder
    from plansearch.normalise import normalise

    qs = queries(load_seed_material(), n=n)
    return get_embedder(None).embed_queries([normalise(q) for q in qs])


def recall(ids: np.ndarray, truth: np.ndarray, k: int) -> tuple[float, float]:
    r = [len(set(a[:k].tolist()) & set(b[:k].tolist())) / k for a, b in zip(ids, truth)]
    return float(np.mean(r)), float(np.min(r))


def timed_search(index, qv: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    ids = np.empty((len(qv), k), np.int64)
    lat = []
    for i, q in enumerate(qv):
        t = time.perf_counter()
        _, I = index.search(q[None, :], k)
        lat.append((time.perf_counter() - t) * 1000)
        ids[i] = I[0]
    return ids, float(np.median(lat))


def main() -> None:
    import faiss

    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=271_505)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--kinds", default="flat,ivf,hnsw")
    ap.add_argument("--nlists", default="")
    ap.add_argument("--hnsw", default="32:80,32:200,48:200")
    ap.add_argument("--nprobes", default="4,8,16,32,64,128")
    ap.add_argument("--specs", default="PQ96x4fs,IVF256_PQ96x4fs,SQ8")
    ap.add_argument("--factors", default="4,8,16")
    ap.add_argument("--train", type=int, default=0, help="training sample (default 64 x nlist)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    seeds = np.load(REPO / "bench/out/run/seed_vectors.npy")
    t = time.perf_counter()
    X = make_vectors(a.windows, seeds)
    qv = query_vectors(a.queries)
    res: dict = {"windows": a.windows, "queries": len(qv), "gen_s": time.perf_counter() - t, "runs": []}
    print(f"{a.windows} vectors in {res['gen_s']:.1f}s", flush=True)
    d = X.shape[1]
    flat = faiss.IndexFlatIP(d)
    flat.add(X)
    _, truth400 = flat.search(qv, 400)
    kinds = a.kinds.split(",")
    if "flat" in kinds:
        _, ms40 = timed_search(flat, qv[:20], 40)
        _, ms400 = timed_search(flat, qv[:20], 400)
        res["flat_ms"] = {"k40": ms40, "k400": ms400}
        print(f"flat: {ms40:.2f} ms (k=40)  {ms400:.2f} ms (k=400)", flush=True)
    del flat

    def report(name, index, build_s, params):
        row = {"name": name, "build_s": build_s, **params, "results": []}
        for setting, apply in params.get("_settings", []):
            apply()
            ids40, ms40 = timed_search(index, qv, 40)
            ids400, ms400 = timed_search(index, qv, 400)
            r10, r10min = recall(ids40, truth400, 10)
            r10_400, _ = recall(ids400, truth400, 10)
            r40, _ = recall(ids40, truth400, 40)
            r400, _ = recall(ids400, truth400, 400)
            row["results"].append({"setting": setting, "recall10": r10, "recall10_min": r10min, "recall40": r40,
                                   "recall400": r400, "recall10_k400": r10_400, "ms_k40": ms40, "ms_k400": ms400})
            print(f"{name} {setting}: R@10 {r10:.3f} (min {r10min:.1f}) R@40 {r40:.3f} R@400 {r400:.3f} R@10(k400) {r10_400:.3f} "
                  f"{ms40:.2f} ms k40 / {ms400:.2f} ms k400  (build {build_s:.1f}s)", flush=True)
        row.pop("_settings", None)
        res["runs"].append(row)

    if "ivf" in kinds:
        nlists = [int(x) for x in a.nlists.split(",")] if a.nlists else [
            int(c * a.windows ** 0.5) for c in (4, 8, 16)]
        for nlist in nlists:
            q = faiss.IndexFlatIP(d)
            index = faiss.IndexIVFFlat(q, d, nlist, faiss.METRIC_INNER_PRODUCT)
            index.cp.spherical = True
            ntrain = min(len(X), a.train or 64 * nlist)
            rng = np.random.default_rng(1)
            t = time.perf_counter()
            index.train(X[rng.choice(len(X), ntrain, replace=False)])
            train_s = time.perf_counter() - t
            index.add(X)
            build_s = time.perf_counter() - t
            settings = [(f"nprobe={p}", (lambda p=p: setattr(index, "nprobe", p)))
                        for p in map(int, a.nprobes.split(",")) if p <= nlist]
            report(f"ivf{nlist}", index, build_s, {"nlist": nlist, "train_n": ntrain, "train_s": train_s,
                                                   "_settings": settings})
            del index
    if "ivfhnsw" in kinds:
        for nlist in ([int(x) for x in a.nlists.split(",")] if a.nlists else [int(16 * a.windows ** 0.5)]):
            q = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
            index = faiss.IndexIVFFlat(q, d, nlist, faiss.METRIC_INNER_PRODUCT)
            index.cp.spherical = True
            ntrain = min(len(X), a.train or 64 * nlist)
            rng = np.random.default_rng(1)
            t = time.perf_counter()
            index.train(X[rng.choice(len(X), ntrain, replace=False)])
            q.hnsw.efSearch = 128
            index.add(X)
            build_s = time.perf_counter() - t
            settings = [(f"nprobe={p}", (lambda p=p: setattr(index, "nprobe", p))) for p in (16, 32, 64, 128)]
            report(f"ivfhnsw{nlist}", index, build_s, {"nlist": nlist, "train_n": ntrain, "_settings": settings})
            del index
    if "refine" in kinds:
        # a compressed index proposes k x factor candidates, re-scored exactly from the raw vectors
        class Refined:
            def __init__(self, base, factor):
                self.base, self.factor = base, factor

            def search(self, q, k):
                _, cand = self.base.search(q, k * self.factor)
                cand = cand[0][cand[0] >= 0]
                sims = X[cand] @ q[0]
                top = np.argsort(-sims)[:k]
                return sims[top][None, :], cand[top][None, :]

        for spec in a.specs.split(","):
            base = faiss.index_factory(d, spec.replace("_", ","), faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(1)
            t = time.perf_counter()
            if not base.is_trained:
                base.train(X[rng.choice(len(X), min(len(X), a.train or 100_000), replace=False)])
            base.add(X)
            build_s = time.perf_counter() - t
            ivf = faiss.try_extract_index_ivf(base)
            wrapped = Refined(base, 1)
            settings = []
            for nprobe in ([int(p) for p in a.nprobes.split(",")] if ivf is not None else [0]):
                for fac in map(int, a.factors.split(",")):
                    def apply(nprobe=nprobe, fac=fac):
                        wrapped.factor = fac
                        if ivf is not None:
                            ivf.nprobe = nprobe
                    settings.append((f"nprobe={nprobe} factor={fac}", apply))
            report(f"{spec}+rerank", wrapped, build_s, {"spec": spec, "_settings": settings})
            del base
    if "hnsw" in kinds:
        for spec in a.hnsw.split(","):
            m, efc = (int(x) for x in spec.split(":"))
            index = faiss.IndexHNSWFlat(d, m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = efc
            t = time.perf_counter()
            index.add(X)
            build_s = time.perf_counter() - t

            def ef(e, index=index):
                index.hnsw.efSearch = e
            settings = [(f"efSearch={e}", (lambda e=e: ef(e))) for e in (128, 256, 512, 1024)]
            report(f"hnsw M={m} efC={efc}", index, build_s, {"M": m, "efConstruction": efc, "_settings": settings})
            del index
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
