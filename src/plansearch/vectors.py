"""Vector index backends behind one small protocol, chosen by `make_vector_index(kind, ...)`.

- "flat": FAISS exact inner product (vectors are L2-normalised, so scores are cosines). Every
  corpus a bureau or a researcher has fits here: 10^5 windows search in a few ms.
- "hnsw": FAISS HNSW graph, approximate, for corpora above `ANN_THRESHOLD` vectors; its recall
  against "flat" is checked in tests and in the benchmark.

The raw vectors always stay in `vectors.npy` beside the index: a filtered query (one district, a
few years) scores its allowed subset exactly instead of hoping the graph reaches it.
To add a backend, write a class with the `VectorIndex` methods and register it in `_BACKENDS`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

ANN_THRESHOLD = 200_000  # vectors; below it exact search is fast enough (measured in bench/)
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


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


_BACKENDS = {"flat": FlatIndex, "hnsw": HNSWIndex}


def choose_kind(n_vectors: int, threshold: int = ANN_THRESHOLD) -> str:
    return "hnsw" if n_vectors >= threshold else "flat"


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
