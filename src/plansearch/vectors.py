"""Vector index backends behind one small protocol, chosen by `make_vector_index(kind, ...)`.

- "flat": FAISS exact inner product (vectors are L2-normalised, so scores are cosines). One query
  costs ~67 ns per vector on this project's 2-core benchmark machine: 6.8 ms at 10^5 windows,
  10.1 ms at 1.5e5, 16.6 ms at 2.7e5, 151 ms at 2.7e6 (bench/ann_sweep.py, bench/RESULTS.md).
- "pq": IVF + 4-bit fast-scan product quantizer proposing candidates that are re-scored exactly
  (PQRerankIndex), the default from `ANN_THRESHOLD` vectors on, where exact search passes ~10 ms a
  query: recall@10 vs exact 0.97 at 2.7e5 vectors (~1 ms) and 0.99 at 2.7e6 (~12 ms).
- "hnsw": FAISS HNSW graph, kept for comparison and for indexes built with it; on clustered
  vectors it needs efSearch >= 512 for recall 0.95 at 2.7e5 vectors, and minutes to build.

The raw vectors always stay in `vectors.npy` beside the index: a filtered query (one district, a
few years) scores its allowed subset exactly instead of hoping the graph reaches it.
To add a backend, write a class with the `VectorIndex` methods and register it in `_BACKENDS`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

ANN_THRESHOLD = 150_000  # vectors; exact search measured 10.1 ms a query at 1.5e5 (docstring above)
ANN_KIND = "pq"
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
# "pq" backend (PQRerankIndex; the measurements that chose these are in its docstring)
PQ_RERANK = 4  # candidates re-scored exactly per result wanted
PQ_MIN_CANDIDATES = 160  # ... and at least this many (re-scoring 160 rows costs ~0.1 ms)
PQ_PROBE_SHARE = 0.3  # share of the IVF lists a query scans
PQ_MIN_SCAN = 50_000  # ... but scan at least this many codes (~0.4 ms): small indexes scan all (the
# 30% rule gave recall 0.79 at 2.9e3 vectors, where a seed cluster has ~10 members)
PQ_MIN_LISTS, PQ_MAX_LISTS = 16, 4096
PQ_TRAIN_SAMPLE = 100_000  # vectors the lists and codes are trained on
PQ_MIN_VECTORS = 39 * PQ_MIN_LISTS  # FAISS k-means wants 39 points a list; fewer: searched exactly


class VectorIndex(Protocol):
    kind: str

    def add(self, vectors: np.ndarray) -> None: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k); missing results have id -1."""

    def save(self, directory: Path) -> None: ...


def _faiss():
    import faiss

    return faiss


class FlatIndex:
    """Exact search. Nothing to save: it is rebuilt from vectors.npy on load (a memory copy)."""

    kind = "flat"

    def __init__(self, dim: int):
        self._index = _faiss().IndexFlatIP(dim)

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int):
        return self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def save(self, directory: Path) -> None:
        pass

    @classmethod
    def load(cls, directory: Path, dim: int, vectors: np.ndarray) -> "FlatIndex":
        index = cls(dim)
        index.add(vectors)
        return index


class HNSWIndex:
    kind = "hnsw"
    FILE = "vectors.hnsw.faiss"

    def __init__(self, dim: int, m: int = HNSW_M, ef_construction: int = HNSW_EF_CONSTRUCTION,
                 ef_search: int = HNSW_EF_SEARCH, _index=None):
        faiss = _faiss()
        if _index is None:
            _index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
            _index.hnsw.efConstruction = ef_construction
        self._index = _index
        self._index.hnsw.efSearch = ef_search

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int):
        # efSearch must be at least k or the graph walk returns fewer than k results.
        self._index.hnsw.efSearch = max(self._index.hnsw.efSearch, k)
        return self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def save(self, directory: Path) -> None:
        _faiss().write_index(self._index, str(directory / self.FILE))

    @classmethod
    def load(cls, directory: Path, dim: int, vectors: np.ndarray) -> "HNSWIndex":
        index = _faiss().read_index(str(directory / cls.FILE))
        return cls(dim, _index=index)


class PQRerankIndex:
    """Approximate search in two steps. (1) FAISS IVF + 4-bit fast-scan product quantizer: the
    vectors are split into `nlist` k-means lists, and each vector is stored as d 4-bit codes (one
    sub-quantizer per dimension: d/2 bytes, 1/8 of float32) that SIMD scans without decoding; a
    query scans the PQ_PROBE_SHARE of lists nearest to it (at least PQ_MIN_SCAN vectors' worth) and
    proposes k x PQ_RERANK (at least PQ_MIN_CANDIDATES) candidates.
    (2) Those candidates are re-scored exactly from the raw vectors (vectors.npy, memory-mapped), so
    the scores returned are true cosines and only the candidate set is approximate.

    Measured on the benchmark's clustered vectors (bench/ann_sweep.py: seed-item e5 vectors + noise
    to cosine 0.8, real e5 queries; recall@10 of windows vs exact, ms per query on 1 core):
      2.7e5 vectors: HNSW M=32 efSearch 128 -> 0.83 / 0.7 ms, efSearch 512 -> 0.96 / 2.3 ms (build
        77 s, growing with n); IVF-flat needs a quarter of 256 lists for 0.97; this backend (256
        lists, 30% probed) -> 0.973 / 1.0 ms, build 5 s.
      2.7e6 vectors: exact 151 ms; fast-scan over everything + rerank x4 -> 1.000 / 22 ms; this
        backend (1024 lists) probing 25% -> 0.987 / 10-12 ms, 30% -> 0.992 / 12-13 ms, 35% ->
        0.998 / 13-15 ms (k=10 / k=400); build 51 s.
    Hence nlist ~ sqrt(n)/1.6 as a power of 2, 30% of the lists probed, rerank x4. Real embeddings
    are less noisy than isotropic noise around a few hundred centres; the recall test is in
    tests/test_index.py.
    """

    kind = "pq"
    FILE = "vectors.pq.faiss"

    def __init__(self, dim: int, _index=None, _vectors: np.ndarray | None = None):
        self.dim = dim
        self._index = _index
        self._vectors = _vectors if _vectors is not None else np.zeros((0, dim), np.float32)
        if _index is not None:
            self._set_nprobe()

    @staticmethod
    def n_lists(n: int) -> int:
        return int(min(PQ_MAX_LISTS, max(PQ_MIN_LISTS, 2 ** round(np.log2(max(n, 1) ** 0.5 / 1.6)))))

    def _set_nprobe(self) -> None:
        ivf = _faiss().try_extract_index_ivf(self._index)
        if ivf is not None:
            # a share of the lists, and at least PQ_MIN_SCAN vectors' worth (all of a small index)
            floor = ivf.nlist * min(1.0, PQ_MIN_SCAN / max(1, ivf.ntotal))
            ivf.nprobe = int(min(ivf.nlist, max(1, round(ivf.nlist * PQ_PROBE_SHARE), np.ceil(floor))))

    def add(self, vectors: np.ndarray) -> None:
        if not len(vectors):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._vectors = vectors if not len(self._vectors) else np.vstack([self._vectors, vectors])
        if self._index is None:
            if len(self._vectors) < PQ_MIN_VECTORS:
                return  # too few to train the lists and 16 levels per code: searched exactly
            faiss = _faiss()
            spec = f"IVF{self.n_lists(len(self._vectors))},PQ{self.dim}x4fs"
            self._index = faiss.index_factory(self.dim, spec, faiss.METRIC_INNER_PRODUCT)
            sample = self._vectors
            if len(sample) > PQ_TRAIN_SAMPLE:
                rng = np.random.default_rng(0)
                sample = sample[np.sort(rng.choice(len(sample), PQ_TRAIN_SAMPLE, replace=False))]
            self._index.train(np.ascontiguousarray(sample))
            self._index.add(self._vectors)
            self._set_nprobe()
        else:
            self._index.add(vectors)

    def search(self, queries: np.ndarray, k: int):
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        n = len(self._vectors)
        scores = np.full((len(queries), k), -np.inf, np.float32)
        ids = np.full((len(queries), k), -1, np.int64)
        if not n:
            return scores, ids
        if self._index is None:
            for i, q in enumerate(queries):
                s, w = exact_search(self._vectors, q, k)
                scores[i, :len(w)], ids[i, :len(w)] = s, w
            return scores, ids
        _, cand = self._index.search(queries, min(n, max(k * PQ_RERANK, PQ_MIN_CANDIDATES)))
        for i, q in enumerate(queries):
            c = np.unique(cand[i][cand[i] >= 0])  # sorted ids: a forward pass over the memory map
            s, w = exact_search(self._vectors, q, k, c)
            scores[i, :len(w)], ids[i, :len(w)] = s, w
        return scores, ids

    def save(self, directory: Path) -> None:
        if self._index is not None:
            _faiss().write_index(self._index, str(directory / self.FILE))

    @classmethod
    def load(cls, directory: Path, dim: int, vectors: np.ndarray) -> "PQRerankIndex":
        path = directory / cls.FILE
        index = _faiss().read_index(str(path)) if path.is_file() else None
        return cls(dim, _index=index, _vectors=vectors)


_BACKENDS = {"flat": FlatIndex, "hnsw": HNSWIndex, "pq": PQRerankIndex}


def choose_kind(n_vectors: int, threshold: int = ANN_THRESHOLD) -> str:
    return ANN_KIND if n_vectors >= threshold else "flat"


def make_vector_index(kind: str, dim: int) -> VectorIndex:
    try:
        return _BACKENDS[kind](dim)
    except KeyError:
        raise ValueError(f"unknown vector index kind {kind!r} (one of {', '.join(_BACKENDS)})") from None


def load_vector_index(kind: str, directory: Path, dim: int, vectors: np.ndarray) -> VectorIndex:
    return _BACKENDS[kind].load(directory, dim, vectors)


def exact_search(vectors: np.ndarray, query: np.ndarray, k: int, subset: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the k best rows of `vectors` for one query, optionally among `subset` ids."""
    rows = vectors if subset is None else vectors[subset]
    if not len(rows):
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    sims = rows @ query.astype(np.float32)
    k = min(k, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    ids = top if subset is None else subset[top]
    return sims[top], ids
