"""Vector index backends behind one small protocol, chosen by `make_vector_index(kind, ...)`.

- "flat": FAISS exact inner product (vectors are L2-normalised, so scores are cosines); its cost
  grows linearly with the windows (bench/RESULTS.md).
- "pq": 4-bit fast-scan product-quantizer codes, scanned in parallel shards, proposing candidates
  that are re-scored exactly (PQRerankIndex); the default from `ANN_THRESHOLD` vectors on, where
  exact search passes ~10 ms a query.
- "hnsw": FAISS HNSW graph, kept for comparison and for indexes built with it; on e5's clustered
  vectors its recall needs a large efSearch and its build takes minutes.
Why these choices: bench/results-notes.md, "Vector backends".

The raw vectors stay readable beside the index (float16 rows of the embedding cache's vector file,
picked by `RowVectors`): a filtered query (one district, a few years) scores its allowed subset
exactly instead of hoping the graph reaches it.
To add a backend, write a class with the `VectorIndex` methods and register it in `_BACKENDS`.
"""
from __future__ import annotations

import mmap
import shutil
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from .i18n import _
from .models import PlansearchError

ANN_THRESHOLD = 150_000  # vectors: where exact search passes ~10 ms a query
ANN_KIND = "pq"
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
# "pq" backend (PQRerankIndex; the measurements that chose these are in its docstring)
PQ_DIMS_PER_CODE = 1  # 4-bit code per dimension: 192 bytes a 384-dim vector
PQ_SHARDS = 2  # code shards scanned in parallel threads (the benchmark machine has 2 cores)
PQ_SHARD_MAX = 8_000_000  # vectors a shard: more shards past it, so a build holds 1.5 GB of codes at most
PQ_RERANK = 1  # candidates per shard re-scored exactly, per result wanted ...
PQ_MIN_CANDIDATES = 100  # ... and at least this many per shard
PQ_TRAIN_SAMPLE = 100_000  # vectors the codes are trained on
PQ_IMPLEM = 14  # FAISS fast-scan kernel for one query (heap, no query blocks): faster than its own pick
PQ_IMPLEM_MANY = 12  # ... and for many queries at once (query blocks: the codes read once a block)
PQ_MIN_VECTORS = 39 * 16  # FAISS trains 16 levels a code on >= 39 points each; fewer: searched exactly


VECTOR_CHUNK = 131_072  # rows converted to float32 at a time: 200 MB at 384 dimensions


class RowVectors:
    """The vectors of an index's windows: rows of a float16 vector file (the embedding cache's),
    picked by row number. Indexing gives float32 arrays; nothing is read until asked for, so an
    index of 10^7 windows opens without loading 15 GB. `np.asarray` reads every row."""

    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, base: np.ndarray, rows: np.ndarray, source=None):
        self.base, self.rows, self.source = base, np.asarray(rows), source

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), int(self.base.shape[1]) if self.base.ndim == 2 else 0

    def __len__(self) -> int:
        return len(self.rows)

    def _read(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        if len(rows) > 1 and rows[-1] - rows[0] == len(rows) - 1 and np.all(np.diff(rows) == 1):
            return np.asarray(self.base[rows[0]:rows[-1] + 1], np.float32)  # one run: a plain slice
        return np.asarray(self.base[rows], np.float32)

    def __getitem__(self, idx):
        if isinstance(idx, (int, np.integer)):
            return np.asarray(self.base[int(self.rows[idx])], np.float32)
        return self._read(self.rows[idx])

    def release(self) -> None:
        """Drop the file's pages read so far from this process's resident set. They stay in the
        page cache, and a later read maps them again. A build that reads every vector once to encode
        it otherwise holds the whole file as its own memory (8.5 GB resident at 3·10^6 items, of
        which the vector file was most)."""
        mapping = getattr(self.base, "_mmap", None)  # np.memmap's mmap object
        if mapping is not None and hasattr(mmap, "MADV_DONTNEED"):
            mapping.madvise(mmap.MADV_DONTNEED)

    def chunks(self, size: int = VECTOR_CHUNK):
        """(first window, float32 block) over every row, `size` at a time."""
        for lo in range(0, len(self.rows), size):
            yield lo, self._read(self.rows[lo:lo + size])

    def __array__(self, dtype=None, copy=None):
        out = np.empty(self.shape, np.float32)
        for lo, block in self.chunks():
            out[lo:lo + len(block)] = block
        return out if dtype is None else out.astype(dtype)


def release_pages(vectors) -> None:
    """Let go of the pages a scan of `vectors` mapped into this process (RowVectors.release), when
    they are file-backed rows; an in-memory array has none to let go."""
    release = getattr(vectors, "release", None)
    if release is not None:
        release()


def vector_chunks(vectors, size: int = VECTOR_CHUNK):
    """(first row, float32 block) over an array or RowVectors, `size` rows at a time."""
    if isinstance(vectors, RowVectors):
        yield from vectors.chunks(size)
        return
    for lo in range(0, len(vectors), size):
        yield lo, np.asarray(vectors[lo:lo + size], np.float32)


class VectorIndex(Protocol):
    kind: str

    def add(self, vectors: np.ndarray, directory: Path | None = None) -> None:
        """Index `vectors`. A backend may write parts of itself into `directory` (where save()
        will be called) as it builds, so a build holds one part at a time, not all of them."""

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k); missing results have id -1."""

    def save(self, directory: Path) -> None: ...


def _faiss():
    import faiss

    return faiss


@contextmanager
def _one_thread(n_queries: int):
    """FAISS's OpenMP threads for one query: none. After a parallel region they spin-wait and take
    the cores the bundled model's own OpenMP runtime embeds the next query on."""
    if n_queries > 1:
        yield
        return
    faiss = _faiss()
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class FlatIndex:
    """Exact search. Nothing to save: it is rebuilt from the raw vectors on load (a memory copy)."""

    kind = "flat"

    def __init__(self, dim: int):
        self._index = _faiss().IndexFlatIP(dim)

    def add(self, vectors: np.ndarray, directory: Path | None = None) -> None:
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int):
        with _one_thread(len(queries)):
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

    def add(self, vectors: np.ndarray, directory: Path | None = None) -> None:
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int):
        # efSearch must be at least k or the graph walk returns fewer than k results.
        self._index.hnsw.efSearch = max(self._index.hnsw.efSearch, k)
        with _one_thread(len(queries)):
            return self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def save(self, directory: Path) -> None:
        _faiss().write_index(self._index, str(directory / self.FILE))

    @classmethod
    def load(cls, directory: Path, dim: int, vectors: np.ndarray) -> "HNSWIndex":
        index = _faiss().read_index(str(directory / cls.FILE))
        return cls(dim, _index=index)


class PQRerankIndex:
    """Approximate search in two steps. (1) A FAISS 4-bit fast-scan product quantizer: every vector
    stored as d/PQ_DIMS_PER_CODE 4-bit codes (192 bytes for 384 dimensions, 1/8 of float32) that
    SIMD scans without decoding; the codes are split into PQ_SHARDS shards scanned in parallel
    threads, and each proposes max(k x PQ_RERANK, PQ_MIN_CANDIDATES) candidates. (2) The candidates
    are re-scored exactly from the raw vectors (float16 rows, memory-mapped): the scores returned are
    true cosines; only the candidate set is approximate. One dimension a code, two shards and no
    inverted lists: e5's vectors sit in a narrow cone where inverted lists miss true neighbours
    (bench/results-notes.md, "Vector backends").
    """

    kind = "pq"
    FILE = "vectors.pq.{}.faiss"

    def __init__(self, dim: int, _shards: list | None = None, _vectors: np.ndarray | None = None):
        self.dim = dim
        self._shards = _shards or []  # (first vector id, faiss index)
        self._vectors = _vectors if _vectors is not None else np.zeros((0, dim), np.float32)
        self._pool = None
        self._written: Path | None = None

    def add(self, vectors, directory: Path | None = None) -> None:
        """Every vector, in one call: an array, or RowVectors read in chunks (a 10^7-window index
        is never held as float32). With `directory`, each shard is written there as soon as it is
        built and let go: the build holds one shard's codes (27 million windows' were 5.2 GB)."""
        if not len(vectors):
            return
        if self._shards or len(self._vectors):
            raise ValueError("the pq index is built in one add() call")
        self._vectors = vectors if isinstance(vectors, RowVectors) else np.ascontiguousarray(vectors, np.float32)
        n = len(self._vectors)
        if n < PQ_MIN_VECTORS:
            return  # too few to train 16 levels per code: searched exactly
        faiss = _faiss()
        trained = faiss.index_factory(self.dim, f"PQ{self.dim // PQ_DIMS_PER_CODE}x4fs",
                                      faiss.METRIC_INNER_PRODUCT)
        pick = np.arange(n)
        if n > PQ_TRAIN_SAMPLE:
            pick = np.sort(np.random.default_rng(0).choice(n, PQ_TRAIN_SAMPLE, replace=False))
        vectors = self._vectors
        # The sample is spread over the whole file, and each page it faults in maps its neighbours
        # too: read at once, it made the whole vector file resident (2.0 of the 3.0 GB peak at 10^6
        # items, 6.2 of 7.0 at 3·10^6). A stretch of the file at a time, let go after each.
        sample = np.empty((len(pick), self.dim), np.float32)
        stretch = max(1, len(pick) * VECTOR_CHUNK // n)
        for a in range(0, len(pick), stretch):
            sample[a:a + stretch] = vectors[pick[a:a + stretch]]
            release_pages(vectors)
        trained.train(sample)
        del sample
        n_shards = max(PQ_SHARDS, -(-n // PQ_SHARD_MAX))
        bounds = np.linspace(0, n, n_shards + 1).astype(int)
        for number, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            shard = faiss.clone_index(trained)
            for a in range(lo, hi, VECTOR_CHUNK):
                shard.add(np.ascontiguousarray(vectors[a:min(hi, a + VECTOR_CHUNK)], np.float32))
                release_pages(vectors)  # the rows just encoded are not read again by the build
            shard.implem = PQ_IMPLEM
            if directory is not None:
                faiss.write_index(shard, str(directory / self.FILE.format(number)))
                shard = None  # let go; read back by search() if this object is searched
            self._shards.append((int(lo), shard))
        self._written = directory

    def _candidates(self, queries: np.ndarray, want: int) -> list[np.ndarray]:
        """Each query's candidate windows from every shard's codes."""
        if any(index is None for _lo, index in self._shards):  # written out while built
            self._shards = self.load(self._written, self.dim, self._vectors)._shards

        def one(shard):
            lo, index = shard
            _faiss().omp_set_num_threads(1)  # per thread: this pool thread's own OpenMP setting
            # Many queries at once (check's sentences) go through the kernel that reads the codes
            # once for a block of queries: 109 queries took 0.9 s a shard at 10^6 items, against
            # 3.6 s one query at a time. Both kernels give the same ids and scores, so a search on
            # another thread that meets the other setting answers the same.
            index.implem = PQ_IMPLEM_MANY if len(queries) > 1 else PQ_IMPLEM
            _scores, ids = index.search(queries, min(want, index.ntotal))
            return [row[row >= 0] + lo for row in ids]

        with _one_thread(1):  # the shards are the parallelism
            if len(self._shards) == 1:
                return one(self._shards[0])
            if self._pool is None:
                self._pool = ThreadPoolExecutor(len(self._shards))  # FAISS releases the GIL
            per_shard = list(self._pool.map(one, self._shards))
            return [np.concatenate(rows) for rows in zip(*per_shard)]

    def search(self, queries: np.ndarray, k: int):
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        scores = np.full((len(queries), k), -np.inf, np.float32)
        ids = np.full((len(queries), k), -1, np.int64)
        want = max(k * PQ_RERANK, PQ_MIN_CANDIDATES)
        candidates = self._candidates(queries, want) if self._shards and len(queries) else []
        for i, q in enumerate(queries):
            if not self._shards:
                s, w = exact_search(self._vectors, q, k)
            else:  # sorted ids: one forward pass over the memory map
                s, w = exact_search(self._vectors, q, k, np.unique(candidates[i]))
            scores[i, :len(w)], ids[i, :len(w)] = s, w
        return scores, ids

    def save(self, directory: Path) -> None:
        faiss = _faiss()
        for n, (_lo, index) in enumerate(self._shards):
            if index is None:  # written as it was built
                if Path(directory) != Path(self._written):
                    shutil.copy(Path(self._written) / self.FILE.format(n), directory / self.FILE.format(n))
                continue
            faiss.write_index(index, str(directory / self.FILE.format(n)))

    @classmethod
    def load(cls, directory: Path, dim: int, vectors: np.ndarray) -> "PQRerankIndex":
        faiss = _faiss()
        shards, lo, n = [], 0, 0
        while (directory / cls.FILE.format(n)).is_file():
            index = faiss.read_index(str(directory / cls.FILE.format(n)))
            index.implem = PQ_IMPLEM  # a search setting, not saved in the file
            shards.append((lo, index))
            lo += index.ntotal
            n += 1
        return cls(dim, _shards=shards, _vectors=vectors)


_BACKENDS = {"flat": FlatIndex, "hnsw": HNSWIndex, "pq": PQRerankIndex}


def choose_kind(n_vectors: int, threshold: int = ANN_THRESHOLD) -> str:
    return ANN_KIND if n_vectors >= threshold else "flat"


def check_kind(kind: str) -> str:
    """`kind` if a backend of that name exists, else one PlansearchError naming the choices."""
    if kind not in _BACKENDS:
        raise PlansearchError(_("unknown vector index kind {kind!r} (one of {choices})").format(kind=kind, choices=", ".join(_BACKENDS)))
    return kind


def make_vector_index(kind: str, dim: int) -> VectorIndex:
    return _BACKENDS[check_kind(kind)](dim)


def load_vector_index(kind: str, directory: Path, dim: int, vectors: np.ndarray) -> VectorIndex:
    return _BACKENDS[kind].load(directory, dim, vectors)


def exact_search(vectors: np.ndarray, query: np.ndarray, k: int, subset: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the k best rows of `vectors` for one query, optionally among `subset` ids."""
    rows = np.asarray(vectors if subset is None else vectors[subset], np.float32)
    if not len(rows):
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    sims = rows @ query.astype(np.float32)
    k = min(k, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    ids = top if subset is None else subset[top]
    return sims[top], ids
