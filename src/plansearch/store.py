"""The persisted index: documents and items in SQLite, sentence-window vectors, BM25 arrays.

Layout of an index directory:

    index/
      CURRENT              name of the live generation; replaced atomically (os.replace)
      gen-<time>-<pid>-<hex>/  one complete, immutable build
        PLANSEARCH_GENERATION  marker: only directories holding it are ever deleted
        meta.json          model, dimension, vector backend, counts, corpus fingerprint
        files.json         size and CRC-32 of every file above, recorded at commit
        readers.lock       searches hold a shared lock on it while they use the generation
        store.sqlite       documents and items (original text, normalised text, outline path, spans)
        window_row.npy     window -> its vector's row in the cache's vector file (the vectors are
                           stored once, float16, in the cache; files.json records the file's
                           length and checksums at commit, and it is only ever appended to)
        window_item.npy    window -> item row;  window_span.npy: window's [start, end) in item text
        item_doc.npy       item row -> document row
        bm25_*.npy/json    keyword index over items
        words.json         the term bridge's vocabulary: the items' jieba words and how many items hold each
        word_row.npy       each word's vector (embedded as a query, bridge.py): its row in the cache's
                           vector file (word_vectors.npy, float16 rows, when the cache could not keep them)
        vectors.pq.*.faiss only for an approximate backend (vectors.hnsw.faiss for --vectors hnsw)
      cache.sqlite         embedding cache, keyed by model + sha256(normalised text); outlives builds
      cache.sqlite.<model hash>.f16   its vectors: one L2-normalised float16 row each, append-only
      .lock                held while a build runs

Why generations: a build writes a new directory and only then points CURRENT at it, so a crash,
Ctrl-C or kill -9 at any moment leaves the previous index answering. The cache commits after every
batch, so an interrupted build loses at most one batch of embedding work. A superseded generation
is deleted only when no search holds it (its readers.lock), so a search that started before a swap
finishes on the generation it opened.

An index directory is trusted input: FAISS parses its files and SQLite reads its database. Opening
checks that every file has the size recorded at commit (and a sample of its bytes their checksum),
so a truncated, zeroed or overwritten file is reported, not read; `plansearch index` checks every
byte and rebuilds a damaged generation. It does not defend against a file crafted to match.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import pickle
import re
import shutil
import sqlite3
import time
import zlib
from dataclasses import dataclass, field, fields, replace
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol, Sequence

import numpy as np
from filelock import FileLock, Timeout

from .backends import backend_for, open_backend
from .bridge import BackgroundWordCounter, Vocabulary, nearest
from .chunk import MAX_WINDOWS_PER_ITEM, WINDOW_MIN_CHARS, ItemWindows, windows_of_items
from .corpus import iter_corpus
from .embed import get_embedder, resolve_model
from .keyword import BM25Index, KeywordBuilder, select_top_k, tokenize
from .i18n import _
from .metadata import infer_level
from .models import Document, Heading, Item, LoadError, PlansearchError, Section
from .normalise import normalise
from .vectors import (FlatIndex, RowVectors, check_kind, choose_kind, exact_search, load_vector_index,
                      make_vector_index, release_pages, vector_chunks)

FORMAT_VERSION = 2  # 2: vectors are float16 rows of the cache (window_row.npy); 1: vectors.npy float32
CURRENT = "CURRENT"
CACHE_FILE = "cache.sqlite"
LOCK_FILE = ".lock"
SOURCES_STAMP = "sources.json"  # the input files' (path, size, mtime) stamp of the live generation
GEN_MARKER = "PLANSEARCH_GENERATION"
FILES_MANIFEST = "files.json"
READERS_LOCK = "readers.lock"
EMBED_BATCH = 64
# What the term bridge's vocabulary is (bridge.py); in the settings hash, so an index built
# before it, or by other rules, is rebuilt (its windows' vectors come from the cache)
BRIDGE_VOCABULARY = "words-1"
_GEN_NAME = re.compile(r"gen-\d{8}T\d{6}-\d+-[0-9a-f]{6}")

# progress(stage, done, total): the CLI draws a bar from it; stages are "keyword", "embed", "write".
Progress = Callable[[str, int, int], None]


class IndexDamaged(PlansearchError):
    """A generation whose files are missing, truncated or unreadable: rebuild it."""

    def __init__(self, index_dir: Path, what: str, vector_file: Path | None = None):
        self.index_dir = index_dir
        self.what = what
        self.vector_file = vector_file  # the damage is in the embedding cache's vector file
        super().__init__(_("index in {dir}/ is damaged: {what}; run `plansearch index --force --index {dir}` (with "
                           "the corpus paths it was built from) to rebuild it").format(dir=index_dir, what=what))


def text_key(text: str) -> bytes:
    """The embedding cache's key of a text (with the model name): sha256 of its UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def user_home() -> Path:
    """plansearch's own directory for what belongs to no index (an embedding cache for compare and
    check of files outside any index): $PLANSEARCH_HOME, else $XDG_CACHE_HOME/plansearch, else
    ~/.cache/plansearch. Tests point it at a temporary directory."""
    env = os.environ.get("PLANSEARCH_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "plansearch"


def read_kept(path: Path, read: Callable[[Path], object]):
    """What `read` makes of a file kept in user_home() (a check's fingerprint table, a reuse
    report), or None when it is missing or unreadable: it is then computed again, a kept file is
    a convenience, never the only copy of anything. Reading marks it recently used."""
    if not path.is_file():
        return None
    try:
        value = read(path)
        os.utime(path)
        return value
    except (OSError, ValueError, KeyError, EOFError, AttributeError, TypeError, ImportError,
            pickle.UnpicklingError):
        return None


def keep_file(path: Path, write: Callable[[Path], None], kept: int = 4) -> None:
    """Write a file kept in user_home() (through a temporary name, so a reader never sees half of
    it) and delete the least recently used of its folder and suffix beyond `kept`. A read-only home
    only means the next call computes again."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
        same_kind = sorted(path.parent.glob(f"*{path.suffix}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in same_kind[kept:]:
            old.unlink(missing_ok=True)
    except OSError:
        tmp.unlink(missing_ok=True)


# --- embedding cache ---------------------------------------------------------------------------

class EmbeddingCache:
    """Vectors by (model, sha256 of the exact text embedded). Plans repeat themselves year after
    year, so most of a new year's items are already here.

    Layout: `cache.sqlite` maps (model, key) to a row; the rows are float16 vectors appended to one
    file per model beside it (`cache.sqlite.<model hash>.f16`, see `vector_file`). The file is only
    ever appended to, so a row once written never changes: an index generation refers to its
    windows' rows instead of holding a second copy of the vectors (bench/RESULTS-1e6.md: float32
    twice was 9.8 KB an item), and records the file's length and checksums at commit.

    A damaged mapping is set aside (renamed *.damaged-<time>) and started anew, whether the damage
    shows when it is opened or halfway through a build: it only ever costs re-embedding (the
    vector file is kept: generations still read their rows from it). A cache that cannot be
    written (a read-only share) is opened read-only (`read_only`, or found so) and never set aside:
    being unable to open a file is not damage. A cache written before float16 (its vectors as
    float32 blobs in an `embedding` table) is converted when first opened for writing, without
    embedding anything again; read-only, it is read as it is."""

    def __init__(self, path: Path, on_warning: Callable[[str], None] | None = None, read_only: bool = False):
        self.path = path
        self.on_warning = on_warning
        self.read_only = read_only or not _writable_dir(path.parent)
        self._models: dict[str, tuple[int, int]] = {}  # name -> (id, dim)
        self._maps: dict[str, np.ndarray] = {}  # name -> memory map of its vector file
        try:
            self._db = self._open(path, self.read_only)
        except sqlite3.OperationalError:
            raise  # cannot open (permissions, no such folder): the caller decides, nothing is set aside
        except sqlite3.DatabaseError as e:
            if self.read_only:
                raise
            self._set_aside(e)
            self._db = self._open(path, False)
        self._legacy = self._has_table("embedding")
        if self._legacy and not self.read_only:
            self._convert_float32()

    def _set_aside(self, error: Exception) -> None:
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                os.replace(p, Path(str(aside) + suffix))
        self._models.clear()
        if self.on_warning:
            self.on_warning(_("embedding cache {path} was unreadable ({error}); set aside as {aside}, "
                              "starting a new one").format(path=self.path, error=error, aside=aside.name))

    def _renew(self, error: Exception) -> bool:
        """Damage found while in use: set the file aside and go on with a new, empty cache.
        False where that is not possible (read-only): the caller goes on without the cache."""
        try:
            self._db.close()
        except sqlite3.Error:
            pass
        if self.read_only:
            return False
        self._set_aside(error)
        self._db = self._open(self.path, False)
        self._legacy = False
        return True

    @staticmethod
    def _open(path: Path, read_only: bool) -> sqlite3.Connection:
        if read_only:
            # immutable: no -wal/-shm files are made or read, which a read-only folder cannot hold
            db = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True, timeout=60)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(path), timeout=60)
        try:
            if not read_only:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS model (id INTEGER PRIMARY KEY, name TEXT UNIQUE, "
                           "dim INTEGER)")
                # 32-byte key and a row number: ~60 bytes a vector, the vector itself in the .f16 file
                db.execute("CREATE TABLE IF NOT EXISTS vector (model INTEGER, key BLOB, row INTEGER, "
                           "PRIMARY KEY (model, key)) WITHOUT ROWID")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "vector" in tables:
                db.execute("SELECT model, key, row FROM vector LIMIT 1").fetchall()
                db.execute("SELECT id, name, dim FROM model LIMIT 1").fetchall()
            if "embedding" in tables:
                db.execute("SELECT model, key, dim, vec FROM embedding LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _has_table(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                                (name,)).fetchone() is not None

    # --- the vector files ---------------------------------------------------------------------
    def vector_file(self, model: str) -> Path:
        """The float16 vector file of `model` (named by a hash of the name: a model name may hold
        any character, and a new mapping after damage must find the same file again)."""
        return vector_file_of(self.path, model)

    def _model(self, model: str, dim: int | None = None) -> tuple[int, int] | None:
        """(id, dim) of `model` in this cache; registered with `dim` when given and not yet held."""
        if model not in self._models:
            row = None
            if self._has_table("model"):
                row = self._db.execute("SELECT id, dim FROM model WHERE name=?", (model,)).fetchone()
            if row is None:
                if dim is None or self.read_only:
                    return None
                with self._db:
                    cur = self._db.execute("INSERT INTO model (name, dim) VALUES (?, ?)", (model, dim))
                row = (cur.lastrowid, dim)
            self._models[model] = (int(row[0]), int(row[1]))
        return self._models[model]

    def vectors(self, model: str) -> np.ndarray:
        """Every row of `model`'s vector file, memory-mapped read-only (float16, rows x dim); an
        empty array when there is none. Rows appended later need a new call."""
        held = self._model(model)
        if held is None:
            return np.zeros((0, 0), np.float16)
        return map_vector_file(self.vector_file(model), held[1])

    def _append(self, model: str, vectors: np.ndarray) -> np.ndarray:
        """Append rows to the model's vector file; their row numbers. O_APPEND under an exclusive
        lock: two processes sharing a cache (the user's own) never interleave rows."""
        _id, dim = self._model(model, int(vectors.shape[1]))
        if vectors.shape[1] != dim:
            raise PlansearchError(f"{self.path}: {model} holds {dim}-dimensional vectors, got {vectors.shape[1]}")
        width = dim * 2
        data = np.ascontiguousarray(vectors, dtype=np.float16).tobytes()
        fd = os.open(self.vector_file(model), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            end = os.fstat(fd).st_size
            if end % width:  # a row cut short by a crash or a full disk: pad it, never reuse it
                os.write(fd, b"\0" * (width - end % width))
                end += width - end % width
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fdatasync(fd)  # the rows are on disk before the mapping that names them commits
        finally:
            os.close(fd)
        self._maps.pop(model, None)
        return np.arange(end // width, end // width + len(vectors), dtype=np.int64)

    # --- lookups --------------------------------------------------------------------------------
    def rows(self, model: str, keys: Sequence[bytes]) -> dict[bytes, int]:
        """Row in `model`'s vector file of each of `keys` the cache holds (rows past the file's end,
        lost with a truncated file, are not held)."""
        held = self._model(model)
        if held is None or not self._has_table("vector"):
            return {}
        n_rows = self._file_rows(model, held[1])
        out: dict[bytes, int] = {}
        for i in range(0, len(keys), 500):  # SQLite caps the number of bound parameters
            chunk = list(keys[i:i + 500])
            q = f"SELECT key, row FROM vector WHERE model=? AND key IN ({','.join('?' * len(chunk))})"
            try:
                found = self._db.execute(q, [held[0], *chunk]).fetchall()
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError as e:  # damage past the first page: what is left is embedded
                self._renew(e)
                return {}
            out.update((bytes(k), int(r)) for k, r in found if r < n_rows)
        return out

    def keys(self, model: str) -> list[bytes]:
        """Every key the cache holds a vector of for `model`."""
        held = self._model(model)
        if held is None or not self._has_table("vector"):
            return []
        return [bytes(k) for (k,) in self._db.execute("SELECT key FROM vector WHERE model=?", (held[0],))]

    def _file_rows(self, model: str, dim: int) -> int:
        try:
            return self.vector_file(model).stat().st_size // (dim * 2)
        except OSError:
            return 0

    def _mapped(self, model: str) -> np.ndarray:
        if model not in self._maps:
            self._maps[model] = self.vectors(model)
        return self._maps[model]

    def iter_many(self, model: str, keys: Sequence[bytes]) -> Iterator[tuple[bytes, np.ndarray]]:
        """(key, float32 vector) for each of `keys` the cache holds, in no particular order."""
        rows = self.rows(model, keys)
        if rows:
            ks = list(rows)
            at = np.fromiter((rows[k] for k in ks), np.int64, len(ks))
            vecs = self._mapped(model)
            order = np.argsort(at)  # one forward pass over the file
            for j in order:
                yield ks[j], vecs[at[j]].astype(np.float32)
        if self._legacy:  # read-only cache written before float16: the float32 blobs as they are
            missing = [k for k in keys if k not in rows]
            yield from self._iter_float32(model, missing)

    def _iter_float32(self, model: str, keys: Sequence[bytes]) -> Iterator[tuple[bytes, np.ndarray]]:
        for i in range(0, len(keys), 500):
            chunk = list(keys[i:i + 500])
            q = f"SELECT key, vec, dim FROM embedding WHERE model=? AND key IN ({','.join('?' * len(chunk))})"
            try:
                found = self._db.execute(q, [model, *chunk]).fetchall()
            except sqlite3.DatabaseError:
                return
            for key, blob, dim in found:
                v = np.frombuffer(blob, dtype=np.float32)
                if len(v) == dim:  # a short blob is a damaged row: embed that text again
                    yield bytes(key), v

    def put_many(self, model: str, keys: Sequence[bytes], vectors: np.ndarray) -> np.ndarray | None:
        """Store the vectors of `keys`; their rows (None when the cache cannot be written)."""
        if self.read_only or not len(keys):
            return None
        try:
            rows = self._append(model, np.asarray(vectors))
            mid = self._models[model][0]
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vector VALUES (?,?,?)",
                                     [(mid, bytes(k), int(r)) for k, r in zip(keys, rows)])
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as e:
            if not self._renew(e):
                return None
            return self.put_many(model, keys, vectors)
        return rows

    def _convert_float32(self) -> None:
        """Move a pre-float16 cache's float32 blobs into the vector files, in batches, and drop
        the old table: nothing is embedded again, and the file shrinks to a third."""
        if self.on_warning:
            self.on_warning(_("converting the embedding cache {path} to float16 (once; nothing is embedded "
                              "again)").format(path=self.path))
        last = -1
        try:
            while True:
                batch = self._db.execute("SELECT rowid, model, key, dim, vec FROM embedding WHERE rowid > ? "
                                         "ORDER BY rowid LIMIT 20000", (last,)).fetchall()
                if not batch:
                    break
                last = batch[-1][0]
                by_model: dict[tuple[str, int], list] = {}
                for _rowid, model, key, dim, blob in batch:
                    v = np.frombuffer(blob, dtype=np.float32)
                    if len(v) == dim:
                        by_model.setdefault((model, dim), []).append((bytes(key), v))
                for (model, _dim), kv in by_model.items():
                    self.put_many(model, [k for k, _v in kv], np.stack([v for _k, v in kv]))
            with self._db:
                self._db.execute("DROP TABLE embedding")
            self._db.execute("VACUUM")
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as e:  # what was converted is kept; the rest is embedded again
            self._renew(e)
        self._legacy = False

    def close(self) -> None:
        if not self.read_only:
            # Everything into the main file: a reader on a read-only copy opens it immutable, and
            # an immutable reader does not see what is still in the -wal file.
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()


def vector_file_of(cache_path: Path, model: str) -> Path:
    return cache_path.with_name(f"{cache_path.name}.{hashlib.sha256(model.encode()).hexdigest()[:16]}.f16")


def map_vector_file(path: Path, dim: int, rows: int | None = None) -> np.ndarray:
    """A vector file's first `rows` rows (default: every whole row), memory-mapped read-only."""
    try:
        size = path.stat().st_size
    except OSError:
        return np.zeros((0, dim), np.float16)
    n = size // (dim * 2) if rows is None else rows
    if n == 0:
        return np.zeros((0, dim), np.float16)
    return np.memmap(path, dtype=np.float16, mode="r", shape=(n, dim))


def cache_files(cache_path: Path) -> list[Path]:
    """The files an embedding cache is made of: the mapping and each model's vector file."""
    return [p for p in [cache_path, *sorted(cache_path.parent.glob(f"{cache_path.name}.*.f16"))] if p.is_file()]


def copy_cache(source: Path, target: Path) -> None:
    """Copy an embedding cache (all its files) from `source` to `target` (both the .sqlite path)."""
    for f in cache_files(source):
        shutil.copy(f, target.with_name(target.name + f.name[len(source.name):]))


def _writable_dir(directory: Path) -> bool:
    """Whether files can be made in `directory` (or in the nearest folder that exists above it).
    Root passes every permission check, so a read-only mount is asked of the file system."""
    d = directory
    while not d.exists() and d != d.parent:
        d = d.parent
    try:
        return os.access(d, os.W_OK) and not (os.statvfs(d).f_flag & os.ST_RDONLY)
    except OSError:
        return False


@dataclass
class EmbedCount:
    embedded: int = 0  # distinct texts sent to the model
    reused: int = 0  # texts answered by the cache or by an identical text in the same run


QUERY_KEY = "\x1fquery\x1f"  # prefixed to a text embedded as a query: its cache key is not the passage's


def as_stored(vectors: np.ndarray) -> np.ndarray:
    """Vectors as the cache keeps them (float16), in float32: a text's vector is then the same
    whether it was just embedded or read back, with a cache or without one."""
    return np.asarray(vectors, np.float16).astype(np.float32)


def embed_cached(embedder, texts: Sequence[str], cache: EmbeddingCache | None,
                 progress: Progress | None = None, count: EmbedCount | None = None,
                 as_queries: bool = False) -> np.ndarray:
    """Passage vectors for `texts` (query vectors with `as_queries`: the term bridge's words):
    identical texts embedded once, cached ones not at all."""
    count = count if count is not None else EmbedCount()
    out = np.zeros((len(texts), embedder.dim), np.float32)
    keys = [text_key(QUERY_KEY + t if as_queries else t) for t in texts]
    embed = embedder.embed_queries if as_queries else embedder.embed_passages
    first: dict[bytes, int] = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    # Vectors go straight into `out` as they are read or made (holding them as separate arrays
    # first doubled a large build's peak memory).
    found: set[bytes] = set()
    if cache:
        for k, v in cache.iter_many(embedder.name, list(first)):
            if len(v) == embedder.dim:
                out[first[k]] = v
                found.add(k)
    todo = [k for k in first if k not in found]
    count.reused += len(texts) - len(todo)
    if progress:
        progress("embed", 0, len(todo))
    for b in range(0, len(todo), EMBED_BATCH):
        batch = todo[b:b + EMBED_BATCH]
        vecs = as_stored(embed([texts[first[k]] for k in batch]))
        if cache:
            cache.put_many(embedder.name, batch, vecs)
        for k, v in zip(batch, vecs):
            out[first[k]] = v
        count.embedded += len(batch)
        if progress:
            progress("embed", min(b + EMBED_BATCH, len(todo)), len(todo))
    for i, k in enumerate(keys):  # repeated texts: a copy of the first
        if first[k] != i:
            out[i] = out[first[k]]
    return out


def cached_embedder_vectors(texts: Sequence[str], model: str | None = None,
                            index_dir: str | os.PathLike | None = None,
                            progress: Progress | None = None) -> np.ndarray:
    """Passage vectors of `texts`: what an index's embedding cache already holds is read from it
    (never written to: it belongs to that index); the rest comes from, and goes into, the user's
    own cache (`user_home()`)."""
    emb = get_embedder(model)
    out = np.zeros((len(texts), emb.dim), np.float32)
    have = np.zeros(len(texts), bool)
    index_cache = Path(index_dir) / CACHE_FILE if index_dir else None
    cache = _open_cache(index_cache, read_only=True) if index_cache is not None and index_cache.is_file() else None
    if cache is not None:
        try:
            where: dict[bytes, list[int]] = {}
            for i, t in enumerate(texts):
                where.setdefault(text_key(t), []).append(i)
            for k, v in cache.iter_many(emb.name, list(where)):
                if len(v) == emb.dim:
                    out[where[k]] = v
                    have[where[k]] = True
        finally:
            cache.close()
    rest = np.flatnonzero(~have)
    if len(rest):
        cache = _open_cache(user_home() / CACHE_FILE)  # None: a home that cannot be written; kept in memory
        try:
            out[rest] = embed_cached(emb, [texts[i] for i in rest], cache, progress)
        finally:
            if cache is not None:
                cache.close()
    return out


def _open_cache(path: Path, read_only: bool = False) -> EmbeddingCache | None:
    """The cache at `path`, or None where it cannot be opened (a read-only or missing folder, a
    damaged file that cannot be set aside): reading commands then embed without it."""
    try:
        return EmbeddingCache(path, read_only=read_only)
    except (sqlite3.DatabaseError, OSError):
        return None


# --- the records of one build ------------------------------------------------------------------

@dataclass
class IndexReport:
    index_dir: str
    model: str
    dim: int
    vector_kind: str
    documents: int
    items: int
    windows: int
    embedded: int
    reused: int
    seconds: float
    up_to_date: bool = False  # nothing changed: the live generation was kept as it is
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. items with more windows than embedded
    repaired: str | None = None  # why the live generation was rebuilt although nothing changed

    @classmethod
    def of(cls, index_dir: Path, meta: "IndexMeta", count: "EmbedCount | None", seconds: float,
           errors: list[LoadError], warnings: list[str] | None = None,
           repaired: str | None = None) -> "IndexReport":
        """The report of a build (`count` of its embedding), or of an up-to-date index (None)."""
        embedded, reused = (count.embedded, count.reused) if count else (0, meta.windows)
        return cls(str(index_dir), meta.model, meta.dim, meta.vector_kind, meta.documents, meta.items,
                   meta.windows, embedded, reused, seconds, up_to_date=count is None, errors=errors,
                   warnings=list(warnings or []), repaired=repaired)


@dataclass
class IndexMeta:
    format: int
    model: str
    dim: int
    vector_kind: str
    keyword_scheme: str
    documents: int
    items: int
    windows: int
    fingerprint: str
    built_at: str
    window_min_chars: int = WINDOW_MIN_CHARS
    vector_file: str = ""  # the cache's vector file the window rows point into (local store)
    # A version committed while the build still embeds (issue 28): only the windows of this many
    # items are in it (all of an item's windows or none); the rest are found by keyword only.
    # None: every item's windows are in.
    embedded_items: int | None = None

    @property
    def complete(self) -> bool:
        return self.embedded_items is None

    @classmethod
    def read(cls, gen: Path) -> "IndexMeta":
        """The generation's meta.json. Unknown keys (a newer plansearch's) are ignored; a missing
        or malformed one is damage."""
        try:
            raw = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
            known = {f.name for f in fields(cls)}
            meta = cls(**{k: v for k, v in raw.items() if k in known})
            if not isinstance(meta.dim, int) or not isinstance(meta.windows, int):
                raise TypeError("dim and windows must be whole numbers")
            return meta
        except (OSError, ValueError, TypeError, AttributeError) as e:
            raise IndexDamaged(gen.parent, f"{gen.name}/meta.json is unreadable ({type(e).__name__}: {e})") from None

    def write(self, gen: Path) -> None:
        (gen / "meta.json").write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=1),
                                       encoding="utf-8")


def _read_current(index_dir: Path) -> str | None:
    """The generation name CURRENT holds, if it is one of ours: a bare `gen-…` name (never a path
    out of the index directory)."""
    cur = index_dir / CURRENT
    if not cur.is_file():
        return None
    try:
        name = cur.read_bytes().decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise IndexDamaged(index_dir, f"{CURRENT} is not a generation name") from None
    if not _GEN_NAME.fullmatch(name):
        raise IndexDamaged(index_dir, f"{CURRENT} names {name[:60]!r}, not a generation of this index")
    return name


def live_generation(index_dir: Path) -> Path | None:
    """The generation CURRENT points to, or None when there is none yet."""
    index_dir = Path(index_dir)
    name = _read_current(index_dir)
    if name is None:
        return None
    gen = index_dir / name
    if not gen.is_dir():
        raise IndexDamaged(index_dir, f"{CURRENT} names {name}, which is missing")
    return gen


def _settings_hash(model: str | None, scheme: str):
    """A sha256 started with what every build depends on besides its input: format, code version,
    model, tokenizer, window size."""
    return hashlib.sha256(f"{FORMAT_VERSION}|{_version()}|{model}|{scheme}|{WINDOW_MIN_CHARS}|{BRIDGE_VOCABULARY}".encode())


class _Fingerprint:
    """Everything a build depends on: the parsed corpus (text and metadata), model, code version;
    fed a document at a time as the build streams them."""

    def __init__(self, model: str, scheme: str):
        self._h = _settings_hash(model, scheme)

    def update(self, d: Document) -> None:
        self._h.update(json.dumps([d.doc_id, d.source, d.title, d.year, d.year_mask, d.region, d.issuer,
                                   d.kind, d.plan_year, d.review_year, d.date], ensure_ascii=False).encode())
        for it in d.items:
            self._h.update(f"{it.label}\x1f{'|'.join(it.path)}\x1f{it.text}\x1e".encode())

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def _version() -> str:
    try:
        return version("plansearch")
    except Exception:
        return "dev"


# --- verifying a generation ------------------------------------------------------------------------

_SAMPLE_BLOCK = 65536
_SAMPLES = 16


def _crc_sample(path: Path, size: int) -> int:
    """CRC-32 of up to 16 blocks of 64 KiB spread over the file: reads at most 1 MiB whatever its
    size, and tells a zeroed or overwritten file from the one committed."""
    crc = 0
    with open(path, "rb") as f:
        if size <= _SAMPLE_BLOCK * _SAMPLES:
            return zlib.crc32(f.read(size))
        for k in range(_SAMPLES):
            f.seek((size - _SAMPLE_BLOCK) * k // (_SAMPLES - 1))
            crc = zlib.crc32(f.read(_SAMPLE_BLOCK), crc)
    return crc


def _crc_full(path: Path, size: int | None = None) -> int:
    """CRC-32 of the file (of its first `size` bytes)."""
    crc, left = 0, size
    with open(path, "rb") as f:
        while block := f.read(1 << 22 if left is None else min(1 << 22, left)):
            crc = zlib.crc32(block, crc)
            if left is not None:
                left -= len(block)
    return crc


def _record_files(gen: Path, shared: Path | None = None, shared_size: int = 0,
                  known: dict | None = None) -> None:
    """files.json: size, sampled and full CRC-32 of every file of the generation, and of the first
    `shared_size` bytes of `shared` (the cache's vector file: append-only, so that prefix is the
    generation's and never changes). An existing entry for the shared file is kept; `known` gives
    the entries of files linked from a previous generation (their bytes were checked there)."""
    manifest = gen / FILES_MANIFEST
    entries = {}
    if shared is None and manifest.is_file():
        with contextlib.suppress(OSError, ValueError):
            entries = {k: v for k, v in json.loads(manifest.read_text(encoding="utf-8")).items()
                       if isinstance(v, dict) and v.get("prefix")}
    entries.update(known or {})
    for p in sorted(gen.iterdir()):
        if p.is_file() and p.name not in (FILES_MANIFEST, READERS_LOCK) and p.name not in (known or {}):
            size = p.stat().st_size
            entries[p.name] = {"size": size, "sample_crc": _crc_sample(p, size), "crc": _crc_full(p)}
    if shared is not None:
        entries[f"../{shared.name}"] = {"size": shared_size, "prefix": True,
                                        "sample_crc": _crc_sample(shared, shared_size),
                                        "crc": _crc_full(shared, shared_size)}
    manifest.write_text(json.dumps(entries, indent=1), encoding="utf-8")


def verify_generation(gen: Path, full: bool = False) -> None:
    """Raise IndexDamaged naming the first file that is missing, of the wrong size, or whose bytes
    differ from those committed (a sample of them; every byte with `full`). Generations written
    before files.json existed are checked for their meta.json only."""
    index_dir = gen.parent
    manifest = gen / FILES_MANIFEST
    if not manifest.is_file():
        IndexMeta.read(gen)
        return
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))
        if not isinstance(entries, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as e:
        raise IndexDamaged(index_dir, f"{gen.name}/{FILES_MANIFEST} is unreadable ({e})") from None
    for name, want in entries.items():
        prefix = isinstance(want, dict) and want.get("prefix")
        if prefix and (not name.startswith("../") or "/" in name[3:]):
            raise IndexDamaged(index_dir, f"{gen.name}/{FILES_MANIFEST} names {name!r}")
        p = index_dir / name[3:] if prefix else gen / name
        shown = name[3:] if prefix else f"{gen.name}/{name}"
        try:
            size = p.stat().st_size
        except OSError:
            raise IndexDamaged(index_dir, f"{shown} is missing") from None
        if prefix:  # the cache's vector file: it may have grown since; its first bytes may not change
            if size < want.get("size", 0):
                raise IndexDamaged(index_dir, f"{shown} has {size:,} bytes, this index reads "
                                              f"{want.get('size'):,}", vector_file=p)
            size = want["size"]
            crc = _crc_full(p, size) if full else _crc_sample(p, size)
            if crc != want.get("crc" if full else "sample_crc"):
                raise IndexDamaged(index_dir, f"{shown} is not the file that was written (its checksum differs)",
                                   vector_file=p)
            continue
        if size != want.get("size"):
            raise IndexDamaged(index_dir, f"{gen.name}/{name} has {size:,} bytes, {want.get('size'):,} "
                                          f"were written")
        crc = _crc_full(p) if full else _crc_sample(p, size)
        if crc != want.get("crc" if full else "sample_crc"):
            raise IndexDamaged(index_dir, f"{gen.name}/{name} is not the file that was written "
                                          f"(its checksum differs)")


# --- where an index's versions live, and how one is written -----------------------------------

@dataclass
class Version:
    """The live version of an index in its store: a generation directory's name or a Milvus
    collection generation, and its meta."""

    name: str
    meta: IndexMeta


class IndexWriter(Protocol):
    """One new version of an index being written. Nothing it writes answers a search before
    `commit`; `abort` (or a crash, or kill -9) leaves the live version as it was, and the store's
    next writer sweeps what was left. Rows: documents and items in the order given, 0..n-1."""

    def vector_kind(self, n_windows: int) -> str:
        """The vector index this version gets (recorded in its meta)."""

    def add_documents(self, documents: list[Document]) -> None:
        """Every document with its items (and the keyword index over the items)."""

    def add_windows(self, windows: ItemWindows, vectors: np.ndarray) -> None:
        """The sentence windows of the items added, in item order, with one vector each."""

    def add_vocabulary(self, vocab: Vocabulary) -> None:
        """The term bridge's words with their item counts and vectors (bridge.py)."""

    def commit(self, meta: IndexMeta) -> str:
        """Make this version the live one (atomically) and return its name."""

    def next_version(self) -> "IndexWriter":
        """After `commit`: a writer of the next version of the same documents, whose keyword side
        is carried over from the one committed (a progressive build commits one version with the
        vectors at hand, then more as they are embedded). Only add_windows and commit are called
        on it."""

    def abort(self) -> None: ...


class IndexStore(Protocol):
    """Where an index directory's versions are kept: the local generations (LocalStore) or
    Milvus collections (milvus_store.MilvusStore). The index directory itself always holds the
    build lock, the embedding cache, the sources stamp and which store it uses (store.json)."""

    spec: str  # "local", "milvus-lite:PATH.db", "milvus://HOST:PORT"

    def live(self, full: bool = False) -> Version | None:
        """The live version, checked (every byte with `full`); IndexDamaged when it is damaged."""

    def writer(self, vector_kind: str | None, keyword_scheme: str, progress: Progress | None,
               warnings: list[str]) -> IndexWriter: ...

    def reader(self) -> "IndexReader": ...

    def repair(self, damage: IndexDamaged) -> str | None:
        """Make the store writable again after `damage` before a build (None: nothing needed);
        returns what was done, for the build's warnings."""

    def drop(self) -> list[str]:
        """Remove this index's versions from the store; returns what was removed."""

    def record(self) -> dict:
        """What store.json keeps to find this store again (a store other than local)."""


class LocalStore:
    """Generation directories beside CURRENT in the index directory (the module docstring)."""

    spec = "local"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    def live(self, full: bool = False) -> Version | None:
        gen = live_generation(self.index_dir)
        if gen is None:
            return None
        verify_generation(gen, full=full)
        StoredIndex(self.index_dir, verify=False).close()  # shapes and counts agree with meta.json
        return Version(gen.name, IndexMeta.read(gen))

    def writer(self, vector_kind: str | None, keyword_scheme: str, progress: Progress | None,
               warnings: list[str]) -> "LocalWriter":
        return LocalWriter(self.index_dir, vector_kind, keyword_scheme, progress, warnings)

    def record(self) -> dict:
        return {"store": "local"}

    def reader(self) -> "StoredIndex":
        return StoredIndex(self.index_dir)

    def repair(self, damage: IndexDamaged) -> str | None:
        # A build writes a whole new generation beside a damaged one. Damaged vectors must not be
        # read again: the vector file and the mapping that names its rows are set aside together.
        if damage.vector_file is None or not damage.vector_file.is_file():
            return None
        stamp = time.strftime("%Y%m%dT%H%M%S")
        os.replace(damage.vector_file, damage.vector_file.with_name(f"{damage.vector_file.name}.damaged-{stamp}"))
        cache = self.index_dir / CACHE_FILE
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(cache) + suffix)
            if p.exists():
                os.replace(p, p.with_name(f"{CACHE_FILE}.damaged-{stamp}{suffix}"))
        return _("the embedding cache's vectors ({file}) were damaged: set aside, and embedded again").format(
            file=damage.vector_file.name)

    def drop(self) -> list[str]:
        gens = sorted(p.name for p in self.index_dir.iterdir() if _is_ours(p)) if self.index_dir.is_dir() else []
        for name in gens:
            shutil.rmtree(self.index_dir / name, ignore_errors=True)
        (self.index_dir / CURRENT).unlink(missing_ok=True)
        return gens


class LocalWriter:
    """A generation written into .tmp-gen-…, renamed and pointed to by CURRENT at commit."""

    def __init__(self, index_dir: Path, vector_kind: str | None, keyword_scheme: str,
                 progress: Progress | None, warnings: list[str], carry: "LocalWriter | None" = None):
        self.index_dir, self._kind, self._progress = index_dir, vector_kind, progress
        self._scheme, self._warnings = keyword_scheme, warnings
        try:
            keep = live_generation(index_dir)
        except IndexDamaged:
            keep = None
        _remove_stale(index_dir, keep=keep)
        # Unique even for two builds in one second of one process (the time alone once collided).
        self.name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
        self.tmp = index_dir / f".tmp-{self.name}"
        self.tmp.mkdir()
        (self.tmp / GEN_MARKER).write_text("written by plansearch; deleted by it when superseded\n")
        self._windows: ItemWindows | None = None
        self._vectors: RowVectors | None = None
        self._carried: dict = {}  # files linked from the previous version: their files.json entries
        self._tables = self._keyword = None
        if carry is not None:
            self._carry(carry)
            return
        # Batch by batch: rows into SQLite and postings into a spill file as documents come, so
        # the build's memory holds one batch, not the corpus.
        self._tables = _StoreTables(self.tmp / "store.sqlite")
        self._keyword = KeywordBuilder(self.tmp, keyword_scheme)
        self._item_doc: list[np.ndarray] = []

    # --- a next version (progressive build): the documents and keyword side are linked, not written
    _CARRIED = ("store.sqlite", "item_doc.npy")

    def _carry(self, previous: "LocalWriter") -> None:
        """Hard-link the committed version's documents, items and keyword index into this one:
        immutable files, so sharing their inode costs nothing and a reader of either sees the same
        bytes; their checksums are taken over from its files.json, not computed again."""
        done = self.index_dir / previous.name
        recorded = json.loads((done / FILES_MANIFEST).read_text(encoding="utf-8"))
        for f in sorted(done.iterdir()):
            if f.name in self._CARRIED or f.name.startswith("bm25_"):
                os.link(f, self.tmp / f.name)
                self._carried[f.name] = recorded[f.name]

    def next_version(self) -> "LocalWriter":
        return LocalWriter(self.index_dir, self._kind, self._scheme, self._progress, self._warnings, carry=self)

    def vector_kind(self, n_windows: int) -> str:
        return self._kind or choose_kind(n_windows)

    def add_documents(self, documents: list[Document]) -> None:
        first = self._tables.documents
        self._tables.add(documents)
        self._keyword.add([it.norm or normalise(it.text) for d in documents for it in d.items])
        self._item_doc.append(np.repeat(np.arange(first, first + len(documents), dtype=np.int32),
                                        [len(d.items) for d in documents]))

    def add_windows(self, windows: ItemWindows, vectors: RowVectors) -> None:
        # rows of the cache's vector file: the generation refers to them and holds no copy
        if not isinstance(vectors, RowVectors) or vectors.source is None:
            raise TypeError("the local store takes the cache's rows (RowVectors of its vector file)")
        self._windows, self._vectors = windows, vectors

    def add_vocabulary(self, vocab: Vocabulary) -> None:
        # float16: the words' rows only pick a query's nearest few, and half the bytes on disk
        write_vocabulary(self.tmp, vocab)

    def commit(self, meta: IndexMeta) -> str:
        gen, wins, vectors, progress = self.tmp, self._windows, self._vectors, self._progress
        if progress:
            progress("write", 0, 3)
        if not self._carried:
            self._tables.close()
            self._keyword.finish().save(gen)
            self._keyword.discard()  # the spill and stream files: copied into the bm25_*.npy above
            np.save(gen / "item_doc.npy", np.concatenate(self._item_doc) if self._item_doc else np.zeros(0, np.int32))
        np.save(gen / "window_row.npy", np.asarray(vectors.rows, np.uint32 if
                                                   (not len(vectors) or vectors.rows.max() < 2**32) else np.int64))
        np.save(gen / "window_item.npy", np.asarray(wins.item_rows, np.int32))
        np.save(gen / "window_span.npy", np.asarray(wins.spans, np.int32).reshape(-1, 2))
        if progress:
            progress("write", 1, 3)
        if meta.vector_kind != "flat":  # the flat index is rebuilt from the rows on load
            vindex = make_vector_index(meta.vector_kind, meta.dim)
            vindex.add(vectors, gen)  # pq writes each shard as it is built: one shard in memory
            vindex.save(gen)
        if progress:
            progress("write", 2, 3)
        meta.vector_file = vectors.source.name
        meta.write(gen)
        (gen / READERS_LOCK).touch()
        _record_files(gen, vectors.source, len(vectors.base) * meta.dim * 2, known=self._carried)
        _fsync_tree(gen)
        final = self.index_dir / self.name
        gen.rename(final)
        _point_current(self.index_dir, self.name)
        _remove_stale(self.index_dir, keep=final)
        if progress:
            progress("write", 3, 3)
        return self.name

    def abort(self) -> None:
        if self._tables is not None:
            self._tables.abort()
            self._keyword.discard()
        shutil.rmtree(self.tmp, ignore_errors=True)


STORE_FILE = "store.json"  # which store an index directory's versions live in (absent: local)
STORE_ENV = "PLANSEARCH_STORE"


def recorded_store(index_dir: Path) -> dict | None:
    """What store.json says, or None (an index built before stores existed, or a local one)."""
    path = Path(index_dir) / STORE_FILE
    if not path.is_file():
        return None
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rec, dict) or not isinstance(rec.get("store"), str):
            raise ValueError("no \"store\" in it")
        return rec
    except (OSError, ValueError) as e:
        raise IndexDamaged(Path(index_dir), f"{STORE_FILE} is unreadable ({e})") from None


def _record_store(index_dir: Path, rec: dict) -> None:
    if recorded_store(index_dir) == rec:
        return
    tmp = index_dir / f".{STORE_FILE}.tmp"
    tmp.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, index_dir / STORE_FILE)


def check_store_spec(spec: str) -> str:
    """A --store value as given: local or one a registered backend takes (backends.py:
    milvus-lite:PATH.db, milvus://HOST:PORT); else one line."""
    spec = spec.strip()
    if spec == "local":
        return spec
    backend = backend_for(spec)
    if backend is not None:
        if backend.needs_path and not spec[len(backend.prefix):].strip():
            raise PlansearchError(_("--store milvus-lite: needs a path, e.g. milvus-lite:index/plans.db"))
        return spec
    raise PlansearchError(_("--store takes local, milvus-lite:PATH.db or milvus://HOST:PORT, not {value!r}").format(value=spec))


def store_for(index_dir: Path, spec: str | None = None) -> IndexStore:
    """The store of an index directory: `spec` when given (a build choosing or switching
    stores), else the one store.json records, else local. Any store but local comes from the
    backends registry, so this module names none of them."""
    index_dir = Path(index_dir)
    rec = recorded_store(index_dir)
    spec = check_store_spec(spec if spec is not None else rec["store"] if rec is not None else "local")
    if spec == "local":
        return LocalStore(index_dir)
    return open_backend(backend_for(spec), index_dir, spec, rec)


def drop_index(index_dir: str | os.PathLike = "index") -> list[str]:
    """Remove an index's versions from its store — the local generations, or its collections and
    alias on a Milvus server or Lite file, which deleting the folder would leave behind — and
    what points at them (CURRENT, sources.json, store.json). The embedding cache stays: it only
    saves re-embedding. Returns the names of what was removed."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        raise PlansearchError(_("no index in {dir}/ to drop").format(dir=index_dir))
    lock = _lock_for_writing(index_dir, None)
    try:
        dropped = store_for(index_dir).drop()
        for name in (CURRENT, SOURCES_STAMP, STORE_FILE):
            (index_dir / name).unlink(missing_ok=True)
        return dropped
    finally:
        lock.release()


def open_index(index_dir: str | os.PathLike = "index") -> "IndexReader":
    """The index of a directory opened for reading, through whichever store it was built in."""
    index_dir = Path(index_dir)
    if recorded_store(index_dir) is None:
        return StoredIndex(index_dir)
    return store_for(index_dir).reader()


def has_index(index_dir: str | os.PathLike) -> bool:
    """Whether the directory holds a built index of any store (without opening it)."""
    index_dir = Path(index_dir)
    return index_dir.is_dir() and (recorded_store(index_dir) is not None or (index_dir / CURRENT).is_file())


# --- building ----------------------------------------------------------------------------------

def build_index(paths: str | os.PathLike | Iterable[str | os.PathLike] = "corpus",
                index_dir: str | os.PathLike = "index", model: str | None = None,
                progress: Progress | None = None, errors: list[LoadError] | None = None,
                vector_kind: str | None = None, keyword_scheme: str = "bigram",
                on_wait: Callable[[str], None] | None = None,
                documents: list[Document] | None = None, force: bool = False,
                warnings: list[str] | None = None, store: str | None = None, every: float | None = None,
                on_commit: Callable[[str, IndexMeta], None] | None = None) -> IndexReport:
    """Build or update the index of the documents under `paths` (or of `documents` given directly).

    Unchanged corpus and model: nothing is rebuilt (after every byte of the live generation has
    been checked: a damaged one is rebuilt). Changed, or `force`: a new generation is written,
    reusing every cached vector. `vector_kind` forces "flat", "pq" or "hnsw" (default: by size,
    vectors.choose_kind). A second build of the same index waits for the first (`on_wait` is told
    once). Load errors go into `errors` as files are read (so a caller sees them even if the build
    then fails); `warnings` gets what the build had to leave out. `store` ("local",
    "milvus-lite:PATH.db", "milvus://HOST:PORT") says where the versions live; default
    $PLANSEARCH_STORE, else where this index's live version is, else local.

    Keyword first, then meaning: a version that searches is committed before anything is
    embedded, then one every `every` seconds while embedding (default commit_every()) and the
    last at the end (`on_commit(name, meta)` is told of each). An interrupted build leaves the
    last committed version live; the next build embeds only what the cache does not hold.

    A build is: load → fingerprint check → sentence windows → embedding through the content-hash
    cache → the store's writer (IndexWriter), committed only when all of it is written."""
    t0 = time.perf_counter()
    if vector_kind is not None:
        check_kind(vector_kind)
    store = store if store is not None else os.environ.get(STORE_ENV) or None  # the default of --store
    if store is not None:
        check_store_spec(store)
    resolve_model(model)  # a wrong name fails now, not after parsing the corpus
    if keyword_scheme not in ("bigram", "bigram+jieba", "jieba"):
        raise PlansearchError(f"unknown keyword scheme {keyword_scheme!r} (bigram, bigram+jieba or jieba)")
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise PlansearchError(_("{path}: exists and is not a directory").format(path=index_dir))
    lock = _lock_for_writing(index_dir, on_wait)
    try:
        load_errors: list[LoadError] = errors if errors is not None else []
        build_warnings: list[str] = warnings if warnings is not None else []
        where = _store_to_build(index_dir, store, build_warnings)
        live, damage = _live_or_damage(where, full=False)
        if isinstance(damage, IndexDamaged):
            note = where.repair(damage)
            if note:
                build_warnings.append(note)
            damage = damage.what
        # Fast path: the same files (path, size, mtime) as the live generation was built or checked
        # from need no parsing at all (parsing 10^5 items takes ~30 s; this takes milliseconds).
        stamp = _sources_stamp(paths, model, keyword_scheme) if documents is None else None
        if (not force and live is not None and stamp is not None
                and _read_stamp(index_dir) == [live.name, stamp]
                and (vector_kind is None or vector_kind == live.meta.vector_kind)):
            _record_in(index_dir, where)
            return IndexReport.of(index_dir, live.meta, None, time.perf_counter() - t0, load_errors)
        # Documents stream through the build a batch at a time (iter_corpus), so whether the corpus
        # changed is known only once they are all read: an unchanged one's new version is dropped.
        stream = iter_corpus(paths, errors=load_errors, warnings=build_warnings) if documents is None \
            else iter(documents)
        embedder = get_embedder(model)
        if live is not None:  # it may be called up to date: every byte, not a sample (parsing costs more)
            live, damage = _live_or_damage(where, full=True)
            if isinstance(damage, IndexDamaged):
                note = where.repair(damage)
                if note:
                    build_warnings.append(note)
                damage = damage.what
        count = EmbedCount()
        writers: list[IndexWriter] = []  # the one being written is the last
        size = _SizeSeen(stream)

        def committed(name: str, meta: IndexMeta) -> None:
            _record_in(index_dir, where)  # a version that is live already is found by the next search
            if on_commit:
                on_commit(name, meta)

        unchanged: list[bool] = []

        def up_to_date(fingerprint: str) -> bool:
            # a live version still being embedded is not: this build finishes it
            unchanged.append(not force and live is not None and live.meta.fingerprint == fingerprint
                             and live.meta.complete and (vector_kind is None or vector_kind == live.meta.vector_kind))
            return unchanged[-1]
        try:
            writers.append(where.writer(vector_kind, keyword_scheme, progress, build_warnings))
            name, meta = _write_versions(writers, size, embedder, index_dir, keyword_scheme, progress, count,
                                         build_warnings, commit_every() if every is None else every, committed,
                                         up_to_date)
            if name is None:
                if any(unchanged):
                    writers[-1].abort()
                    _write_stamp(index_dir, live.name, stamp)
                    _record_in(index_dir, where)
                    return IndexReport.of(index_dir, live.meta, None, time.perf_counter() - t0, load_errors)
                why = "; ".join(_("skipped {problem}").format(problem=e) for e in load_errors[:3])
                raise PlansearchError(_("no documents found in {paths}").format(paths=_describe(paths))
                                      + (f" ({why})" if why else ""))
            _write_stamp(index_dir, name, stamp)  # only the last version is up to date with the files
        except BaseException as e:
            if writers:
                writers[-1].abort()  # its .tmp-gen-… folder goes; the live version was never touched
            if _is_disk_full(e):
                raise DiskFull(index_dir, _build_bytes(size.chars, embedder.dim), had_live=live is not None) from None
            raise
        return IndexReport.of(index_dir, meta, count, time.perf_counter() - t0, load_errors,
                              build_warnings, repaired=damage)
    finally:
        lock.release()


class DiskFull(PlansearchError):
    """The disk holding an index filled up during a build. The live version is untouched."""

    def __init__(self, index_dir: Path, needed: int, had_live: bool = False):
        self.index_dir, self.needed = index_dir, needed
        words = dict(dir=index_dir, mount=_mount_point(index_dir), free=_human_bytes(_free_bytes(index_dir)),
                     needed=_human_bytes(needed))
        super().__init__(
            _("no room left on the disk holding {dir}/ ({mount}: {free} free; this build needs about {needed}); "
              "the previous index is unchanged and still answers").format(**words) if had_live else
            _("no room left on the disk holding {dir}/ ({mount}: {free} free; this build needs about {needed})")
            .format(**words))


def _lock_for_writing(index_dir: Path, on_wait: Callable[[str], None] | None) -> FileLock:
    """The index's build lock, taken, or one line saying why the index cannot be written."""
    if not _writable_dir(index_dir):
        raise PlansearchError(_("{dir}/ cannot be written (a read-only folder or file system): searching it works, "
                                "building needs another --index").format(dir=index_dir))
    lock_path = index_dir / LOCK_FILE
    if lock_path.is_dir():
        raise PlansearchError(_("{path} is a folder, not plansearch's lock file: remove it and run again")
                              .format(path=lock_path))
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait:
                on_wait(_("another plansearch index run holds {path}; waiting for it to finish").format(path=lock_path))
            lock.acquire()
    except OSError as e:
        if _is_disk_full(e):
            raise DiskFull(index_dir, 0) from None
        raise PlansearchError(_("{path}: cannot take the build lock ({error})").format(
            path=lock_path, error=e.strerror or e)) from None
    return lock


def _is_disk_full(e: BaseException) -> bool:
    """ENOSPC / EDQUOT, SQLite's SQLITE_FULL, and numpy's short write ('… requested and … written')."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(e)
    return ((isinstance(e, sqlite3.OperationalError) and "disk is full" in text)
            or (isinstance(e, OSError) and "requested and" in text and "written" in text))


class _SizeSeen:
    """The documents as they stream by, counting their characters (a full disk's message says
    how much room the build needed)."""

    def __init__(self, documents: Iterable[Document]):
        self._documents = documents
        self.chars = 0

    def __iter__(self) -> Iterator[Document]:
        for d in self._documents:
            self.chars += len(d.text)
            yield d


def _build_bytes(chars: int, dim: int) -> int:
    """About how much disk a generation of `chars` characters takes, with its new cache rows: the
    vectors (a window per ~40 characters, float16), and ~21 bytes a character for the text, the
    documents' table and the keyword postings (measured on the sample corpus: 2.0 MB for 42,418
    characters, 754 windows)."""
    windows = max(1, chars // 40)
    return int(1.1 * (windows * (dim * 2 + 72) + 21 * chars))


def _free_bytes(path: Path) -> int:
    try:
        st = os.statvfs(path if path.exists() else path.parent)
        return st.f_bavail * st.f_frsize
    except OSError:
        return 0


def _mount_point(path: Path) -> str:
    p = path.resolve()
    while not os.path.ismount(p) and p != p.parent:
        p = p.parent
    return str(p)


def _human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def _store_to_build(index_dir: Path, spec: str | None, warnings: list[str]) -> IndexStore:
    """The store a build writes to. An unreadable store.json cannot say which store the index was
    in: it is set aside and the build goes to `spec` (default local), which rewrites it."""
    try:
        return store_for(index_dir, spec)
    except IndexDamaged as e:
        if not e.what.startswith(STORE_FILE):
            raise
        aside = index_dir / f"{STORE_FILE}.damaged-{time.strftime('%Y%m%dT%H%M%S')}"
        os.replace(index_dir / STORE_FILE, aside)
        warnings.append(_("{path} was unreadable: set aside as {aside}; building a {store} index").format(
            path=index_dir / STORE_FILE, aside=aside.name, store=spec or "local"))
        return store_for(index_dir, spec)


def _record_in(index_dir: Path, where: IndexStore) -> None:
    """store.json names the store the live version is in (a local index needs none: absent means
    local, so an index directory from before stores existed reads the same)."""
    if where.spec == "local":
        (index_dir / STORE_FILE).unlink(missing_ok=True)
    else:
        _record_store(index_dir, where.record())


def _live_or_damage(where: IndexStore, full: bool) -> tuple[Version | None, IndexDamaged | str | None]:
    """(live version, None) when it is whole; (None, the damage) when it is damaged, so the
    build writes a new one instead of calling it up to date: the IndexDamaged itself (the store
    may have to repair before it can write), or what is wrong as text (an older format)."""
    try:
        return where.live(full=full), None
    except IndexDamaged as e:
        return None, e
    except PlansearchError as e:  # e.g. an older format: rebuilt like a damaged one
        return None, str(e)


COMMIT_EVERY_ENV = "PLANSEARCH_COMMIT_EVERY"
COMMIT_EVERY = 120.0  # seconds between the versions a build commits while it embeds


def commit_every() -> float:
    """Seconds between the versions a build commits while it embeds: $PLANSEARCH_COMMIT_EVERY,
    else 120. 0 commits after every batch; a negative number only at the end."""
    raw = os.environ.get(COMMIT_EVERY_ENV)
    try:
        return float(raw) if raw else COMMIT_EVERY
    except ValueError:
        raise PlansearchError(_("{name} must be a number of seconds, not {value!r}").format(
            name=COMMIT_EVERY_ENV, value=raw)) from None


BUILD_BATCH_ITEMS = 20_000  # items a build holds at a time: its memory is bounded by this, not the corpus


def _batches(documents: Iterable[Document], max_items: int = BUILD_BATCH_ITEMS) -> Iterator[list[Document]]:
    batch: list[Document] = []
    n = 0
    for d in documents:
        batch.append(d)
        n += len(d.items)
        if n >= max_items:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch


class _PendingWindows:
    """Window texts the cache lacked when their batch went by, kept on disk (key, length, UTF-8)
    until they are embedded after the last batch: the build holds a slot number per window, not
    10^6 texts. Texts repeated across batches are embedded once: the cache answers the second."""

    def __init__(self, directory: Path):
        directory.mkdir()
        self.directory = directory
        self._file = open(directory / "texts", "wb")
        self.count = 0

    def add(self, keys: Sequence[bytes], texts: Sequence[str]) -> np.ndarray:
        for k, t in zip(keys, texts):
            data = t.encode("utf-8")
            self._file.write(k + len(data).to_bytes(4, "little") + data)
        slots = np.arange(self.count, self.count + len(keys), dtype=np.int64)
        self.count += len(keys)
        return slots

    def chunks(self, size: int) -> Iterator[tuple[list[bytes], list[str]]]:
        self._file.close()
        with open(self.directory / "texts", "rb") as f:
            keys: list[bytes] = []
            texts: list[str] = []
            while head := f.read(36):
                keys.append(head[:32])
                texts.append(f.read(int.from_bytes(head[32:], "little")).decode("utf-8"))
                if len(keys) == size:
                    yield keys, texts
                    keys, texts = [], []
            if keys:
                yield keys, texts

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        shutil.rmtree(self.directory, ignore_errors=True)


PENDING_PREFIX = ".pending-"


def _write_versions(writers: list[IndexWriter], documents: Iterable[Document], embedder, index_dir: Path,
                    keyword_scheme: str, progress: Progress | None, count: EmbedCount, warnings: list[str],
                    every: float, on_commit: Callable[[str, IndexMeta], None] | None = None,
                    up_to_date: Callable[[str], bool] = lambda fingerprint: False
                    ) -> tuple[str | None, IndexMeta | None]:
    """Documents, windows and their vectors into the writer (writers[0]), a batch at a time, and
    the versions committed: keyword first, then meaning (issue 28).

    (1) Each batch of documents goes to the writer (SQLite rows, keyword postings), its sentence
    windows are cut and looked up in the cache; the texts the cache lacks are set aside on disk.
    (2) The first version is committed: every document, the keyword side, and the windows whose
    vectors the cache held. (3) The rest is embedded, `EMBED_BATCH` at a time, each batch committed
    to the cache (an interrupted build loses one batch of work); a new version
    (writers[-1].next_version()) is committed every `every` seconds and the last at the end, with
    every window, as a build in one go. A version holds all of an item's windows or none
    (meta.embedded_items). `on_commit(name, meta)` is told of each.

    Returns the last version's (name, meta); (None, None) when there were no documents, or when
    `up_to_date(fingerprint)` says the live version already is this corpus (nothing committed)."""
    for p in index_dir.glob(PENDING_PREFIX + "*"):  # a killed build's (this one holds the lock)
        shutil.rmtree(p, ignore_errors=True)
    fp = _Fingerprint(embedder.name, keyword_scheme)
    cache = EmbeddingCache(index_dir / CACHE_FILE, on_warning=warnings.append)
    pending = _PendingWindows(index_dir / f"{PENDING_PREFIX}{os.getpid()}-{os.urandom(3).hex()}")
    # the term bridge's vocabulary, counted as the batches pass (by a second process from 5,000 items on)
    words = BackgroundWordCounter()
    try:
        n_docs = n_items = 0
        item_rows: list[np.ndarray] = []
        spans: list[np.ndarray] = []
        rows: list[np.ndarray] = []  # a cache row, or -1 - its slot among the pending texts
        for batch in _batches(documents):
            for d in batch:
                fp.update(d)
            writers[0].add_documents(batch)
            items = [it for d in batch for it in d.items]
            words.add(it.norm or normalise(it.text) for it in items)
            wins = windows_of_items(items)
            for row, n in wins.capped:
                it = items[row]
                warnings.append(f"{it.item_id}: {n:,} sentence windows ({len(it.text):,} characters without "
                                f"sentence breaks?); the first {MAX_WINDOWS_PER_ITEM} are embedded, "
                                f"the keyword search covers all of it")
            keys = [text_key(t) for t in wins.texts]
            held = cache.rows(embedder.name, list(dict.fromkeys(keys)))
            first_missing: dict[bytes, int] = {}
            for i, k in enumerate(keys):
                if k not in held:
                    first_missing.setdefault(k, i)
            slots = pending.add(list(first_missing), [wins.texts[i] for i in first_missing.values()])
            slot_of = dict(zip(first_missing, slots.tolist()))
            rows.append(np.fromiter((held[k] if k in held else -1 - slot_of[k] for k in keys), np.int64, len(keys)))
            item_rows.append(np.asarray(wins.item_rows, np.int32) + n_items)
            spans.append(np.asarray(wins.spans, np.int32).reshape(-1, 2))
            n_docs += len(batch)
            n_items += len(items)
            if progress:
                progress("read", n_items, 0)
        if not n_docs:
            return None, None
        fingerprint = fp.hexdigest()
        if up_to_date(fingerprint):
            return None, None
        window_rows = np.concatenate(rows)
        owners = np.concatenate(item_rows)
        all_spans = np.concatenate(spans)
        final_kind = writers[0].vector_kind(len(window_rows))
        slot_rows = np.full(pending.count, -1, np.int64)  # filled as the pending texts are embedded

        def commit(vocab: Vocabulary | None = None) -> tuple[str, IndexMeta]:
            now = window_rows.copy()
            todo = now < 0
            now[todo] = slot_rows[-1 - now[todo]]  # -1 still: not embedded yet
            whole = np.bincount(owners[now < 0], minlength=n_items) == 0  # items every window of which has its vector
            keep = whole[owners]
            # the last version also gets the term bridge's words, embedded after every window and
            # before the file is mapped (their rows are then inside what this version records); a
            # version with every window but not the words yet is not complete: a build run again
            # finishes it
            complete = bool(keep.all()) and vocab is not None
            if complete:
                _embed_vocabulary(vocab, embedder, cache, progress)
            source = cache.vector_file(embedder.name)
            if not source.exists():  # nothing embedded yet: a version of no vectors names the empty file
                source.touch()
            # the file as it is now: every row named is in it, and later appends do not concern this version
            vectors = RowVectors(map_vector_file(source, embedder.dim), now[keep], source)
            writer = writers[-1]
            writer.add_windows(ItemWindows(owners[keep], all_spans[keep]), vectors)
            if complete:
                writer.add_vocabulary(vocab)
            # a version that is not the last is searched exactly (flat) unless a kind was asked for:
            # an approximate index trained on every commit would cost more than it saves
            meta = IndexMeta(FORMAT_VERSION, embedder.name, embedder.dim,
                             final_kind if complete else writer.vector_kind(0), keyword_scheme, n_docs, n_items,
                             int(keep.sum()), fingerprint, time.strftime("%Y-%m-%dT%H:%M:%S"),
                             embedded_items=None if complete else int(whole.sum()))
            name = writer.commit(meta)
            if on_commit:
                on_commit(name, meta)
            return name, meta

        def last_versions() -> tuple[str, IndexMeta]:
            # every window is in: searchable by meaning now, before the term bridge's words are
            # embedded (minutes on a first build), unless the cache holds them all already
            vocab = words.vocabulary()
            if len(_word_rows(vocab, embedder, cache)) < len(vocab.words):
                commit()
                writers.append(writers[-1].next_version())
            return commit(vocab)

        if not pending.count:
            count.reused += len(window_rows)
            return last_versions()
        commit()  # searchable by words (and by what the cache held) from here
        words.finish()  # the counting process caught up while the first version was written
        last = [time.monotonic()]

        def embedded_some(left: int) -> None:
            if left and every >= 0 and time.monotonic() - last[0] >= every:
                writers.append(writers[-1].next_version())
                commit()
                last[0] = time.monotonic()

        _embed_pending(embedder, cache, pending, progress, count, slot_rows, embedded_some)
        count.reused += len(window_rows) - count.embedded
        writers.append(writers[-1].next_version())
        return last_versions()
    finally:
        words.close()
        cache.close()
        pending.remove()


def _embed_pending(embedder, cache: EmbeddingCache, pending: _PendingWindows, progress: Progress | None,
                   count: EmbedCount, slot_rows: np.ndarray, after_batch: Callable[[int], None]) -> None:
    """The cache row of every pending text into `slot_rows`, embedding those the cache still
    lacks; `after_batch(texts left)` after each batch is in the cache (and in slot_rows)."""
    done = 0
    if progress:
        progress("embed", 0, pending.count)
    for keys, texts in pending.chunks(EMBED_BATCH * 64):
        held = cache.rows(embedder.name, keys)  # a text an earlier batch of the corpus also had
        for i, k in enumerate(keys):
            if k in held:
                slot_rows[done + i] = held[k]
        todo = [i for i, k in enumerate(keys) if k not in held]
        for b in range(0, len(todo), EMBED_BATCH):
            part = todo[b:b + EMBED_BATCH]
            vecs = as_stored(embedder.embed_passages([texts[i] for i in part]))
            got = cache.put_many(embedder.name, [keys[i] for i in part], vecs)
            if got is None:
                raise PlansearchError(_("{path}: the embedding cache cannot be written").format(path=cache.path))
            slot_rows[[done + i for i in part]] = got
            count.embedded += len(part)
            if progress:
                progress("embed", done + min(b + EMBED_BATCH, len(todo)) + (len(keys) - len(todo)), pending.count)
            after_batch(pending.count - done - (b + len(part)) - (len(keys) - len(todo)))
        done += len(keys)
        if progress:
            progress("embed", done, pending.count)


def _word_rows(vocab: Vocabulary, embedder, cache: EmbeddingCache) -> dict[bytes, int]:
    """The cache rows of the vocabulary's words it holds (keyed as queries)."""
    return cache.rows(embedder.name, [text_key(QUERY_KEY + w) for w in vocab.words])


def _embed_vocabulary(vocab: Vocabulary, embedder, cache: EmbeddingCache, progress: Progress | None) -> None:
    """The term bridge's words embedded as queries through the cache, into `vocab`."""
    if progress:
        progress("words", 0, 1)
    # the words' own progress line (thousands of words on a first build)
    said = (lambda _stage, done, total: progress("words", done, total)) if progress else None
    vocab.vectors = embed_cached(embedder, vocab.words, cache, said, EmbedCount(), as_queries=True)
    held = _word_rows(vocab, embedder, cache)
    if len(held) == len(vocab.words):  # the local store then keeps rows, as for windows, not a copy
        vocab.rows = np.array([held[text_key(QUERY_KEY + w)] for w in vocab.words], np.int64)
    if progress:
        progress("words", 1, 1)


def write_vocabulary(directory: Path, vocab: Vocabulary) -> None:
    """words.json, and word_row.npy (the words' rows in the cache's vector file, as window_row.npy)
    or, when the cache could not keep them, word_vectors.npy (float16), into a generation."""
    (directory / "words.json").write_text(json.dumps({"words": vocab.words, "items": vocab.items.tolist()},
                                                     ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    if vocab.rows is not None:
        np.save(directory / "word_row.npy", np.asarray(vocab.rows, np.int64))
    else:
        np.save(directory / "word_vectors.npy", np.asarray(vocab.vectors, np.float16))


def read_vocabulary(directory: Path, vector_file: np.ndarray | None = None) -> Vocabulary | None:
    """The vocabulary written by write_vocabulary (None: a generation built before the term bridge);
    `vector_file`: the cache's vectors its word_row.npy points into."""
    if not (directory / "words.json").is_file():
        return None
    data = json.loads((directory / "words.json").read_text(encoding="utf-8"))
    if (directory / "word_row.npy").is_file():
        rows = np.load(directory / "word_row.npy", allow_pickle=False)
        if vector_file is None or (len(rows) and int(rows.max()) >= len(vector_file)):
            raise ValueError(f"word_row.npy points past the cache's {0 if vector_file is None else len(vector_file)} vectors")
        vectors = np.asarray(vector_file[rows], np.float32)
    else:
        vectors = np.load(directory / "word_vectors.npy", allow_pickle=False).astype(np.float32)
    if len(vectors) != len(data["words"]):
        raise ValueError(f"{len(vectors)} word vectors for {len(data['words'])} words")
    return Vocabulary(data["words"], np.asarray(data["items"], np.int32), vectors)


def _sources_stamp(paths, model: str | None, keyword_scheme: str) -> str | None:
    """A cheap stamp of every file under `paths` (and the manifest beside a single file): path,
    size and mtime, with the model as asked, the code version and the build settings. None when a
    path does not exist (the full path then raises the usual error)."""
    roots = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    h = _settings_hash(model, keyword_scheme)
    # The code that turns files into items, too: an edited parser must not be answered "up to date".
    for src in sorted(Path(__file__).parent.glob("*.py")):
        st = src.stat()
        h.update(f"{src.name}\x1f{st.st_size}\x1f{st.st_mtime_ns}\x1e".encode())
    for root in map(Path, roots):
        if root.is_dir():
            files = sorted(p for p in root.rglob("*") if p.is_file())
        elif root.is_file():
            files = [root] + [m for m in [root.parent / "manifest.csv"] if m.is_file()]
        else:
            return None
        h.update(os.fsencode(root.resolve()) + b"\x1d")  # fsencode: a name need not be UTF-8
        for p in files:
            st = p.stat()
            h.update(os.fsencode(p) + f"\x1f{st.st_size}\x1f{st.st_mtime_ns}\x1e".encode())
    return h.hexdigest()


def _read_stamp(index_dir: Path) -> list | None:
    try:
        return json.loads((index_dir / SOURCES_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_stamp(index_dir: Path, gen_name: str, stamp: str | None) -> None:
    target = index_dir / SOURCES_STAMP
    if stamp is None:
        target.unlink(missing_ok=True)  # built from documents given directly: no file stamp holds
        return
    tmp = index_dir / f".{SOURCES_STAMP}.tmp"
    tmp.write_text(json.dumps([gen_name, stamp]), encoding="utf-8")
    os.replace(tmp, target)


def _describe(paths) -> str:
    if isinstance(paths, (str, os.PathLike)):
        return str(paths)
    return ", ".join(str(p) for p in paths)


_DOC_COLS = ("doc_id", "source", "title", "text", "source_start", "year", "year_mask", "plan_year",
             "review_year", "region", "issuer", "kind", "sections", "flags", "overridden", "level", "date")
_ITEM_COLS = ("doc_row", "ordinal", "label", "number", "level", "path", "text", "norm", "start", "end",
              "subpoints", "section", "flags", "text_from")


def _text_in_document(doc_text: str, it: Item) -> tuple[str | None, int]:
    """(text to store, where it starts after the item's start): NULL text where the item's text is
    its document's text from there to the item's end (its label, "1." or "（三）", comes before
    it), else the text itself."""
    if doc_text.endswith(it.text, it.start, it.end):
        skip = it.end - len(it.text) - it.start
        if skip >= 0:
            return None, skip
    return it.text, 0


class _StoreTables:
    """store.sqlite written batch by batch: documents, items and headings as they come, the
    look-up indexes made once at the end."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(str(path))
        self.db.execute(f"CREATE TABLE document (row INTEGER PRIMARY KEY, {', '.join(_DOC_COLS)})")
        self.db.execute(f"CREATE TABLE item (row INTEGER PRIMARY KEY, {', '.join(_ITEM_COLS)})")
        # Headings too, so reuse/compare on a stored index see what they see on the files.
        self.db.execute("CREATE TABLE heading (doc_row, label, number, level, title, start, end)")
        self.documents = 0
        self.items = 0

    def add(self, documents: Sequence[Document]) -> None:
        db = self.db
        js = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
        with db:
            for d in documents:
                d_row = self.documents
                db.execute(f"INSERT INTO document VALUES ({','.join('?' * (len(_DOC_COLS) + 1))})",
                           (d_row, d.doc_id, d.source, d.title, d.text, d.source_start, d.year, d.year_mask,
                            d.plan_year, d.review_year, d.region, d.issuer, d.kind,
                            js([[s.kind, s.start, s.end, s.year] for s in d.sections]), js(list(d.flags)),
                            js(list(d.overridden)), d.level, d.date))
                rows = []
                for it in d.items:
                    # Text once: an item's text is NULL where it is its document's text at its
                    # offsets (95 % of the work reports' items), its normalised form NULL where it
                    # is what normalise() makes of the text (every item a build writes).
                    text, text_from = _text_in_document(d.text, it)
                    norm = None if not it.norm or it.norm == normalise(it.text) else it.norm
                    rows.append((self.items, d_row, it.ordinal, it.label, it.number, it.level, js(list(it.path)),
                                 text, norm, it.start, it.end, js(list(it.subpoints)), it.section,
                                 js(list(it.flags)), text_from))
                    self.items += 1
                db.executemany(f"INSERT INTO item VALUES ({','.join('?' * (len(_ITEM_COLS) + 1))})", rows)
                db.executemany("INSERT INTO heading VALUES (?,?,?,?,?,?,?)",
                               [(d_row, h.label, h.number, h.level, h.title, h.start, h.end) for h in d.headings])
                self.documents += 1

    def close(self) -> None:
        with self.db:
            self.db.execute("CREATE INDEX item_doc ON item(doc_row)")
            self.db.execute("CREATE INDEX heading_doc ON heading(doc_row)")
        self.db.close()

    def abort(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()


def _fsync_tree(directory: Path) -> None:
    for p in directory.iterdir():
        with open(p, "rb") as f:
            os.fsync(f.fileno())
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _point_current(index_dir: Path, gen_name: str) -> None:
    tmp = index_dir / f".{CURRENT}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(gen_name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / CURRENT)
    fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_ours(p: Path) -> bool:
    """A generation (or a half-written one) this index's builds made: our name pattern and our
    marker inside (or, for generations written before the marker, our meta.json). A user's own
    `gen-data/` or a code generator's `gen-py/` beside the index is never touched."""
    name = p.name[len(".tmp-"):] if p.name.startswith(".tmp-") else p.name
    if not (p.is_dir() and not p.is_symlink() and _GEN_NAME.fullmatch(name)):
        return False
    if (p / GEN_MARKER).is_file():
        return True
    try:
        return "fingerprint" in json.loads((p / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def _remove_stale(index_dir: Path, keep: Path | None) -> None:
    """Drop half-written builds (a killed run's .tmp-*) and superseded generations that no search
    holds (their readers.lock); one still in use is left for a later build. Runs under the build
    lock."""
    for p in index_dir.iterdir():
        if p == keep or not _is_ours(p):
            continue
        lock = p / READERS_LOCK
        if lock.is_file():
            fd = os.open(lock, os.O_RDONLY)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a search is using it
                shutil.rmtree(p, ignore_errors=True)
            finally:
                os.close(fd)
        else:
            shutil.rmtree(p, ignore_errors=True)


# --- reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    """What a query may return: these documents (rows, sorted) and/or these items (rows, sorted);
    None on a side means no restriction there. A store turns it into a mask, or into a filter
    expression it evaluates itself."""

    doc_rows: np.ndarray | None = None
    item_rows: np.ndarray | None = None
    # The search.Filters the doc rows came from: a store that evaluates filters itself (Milvus)
    # sends this instead of the rows, whose number grows with the corpus.
    filters: object | None = None

    def empty(self) -> bool:
        return any(r is not None and not len(r) for r in (self.doc_rows, self.item_rows))

    def item_mask(self, item_doc: np.ndarray) -> np.ndarray:
        """Boolean mask over all items (`item_doc`: item row -> document row)."""
        mask = np.ones(len(item_doc), bool)
        if self.doc_rows is not None:
            ok_docs = np.zeros(int(item_doc.max()) + 1 if len(item_doc) else 0, bool)
            ok_docs[self.doc_rows[self.doc_rows < len(ok_docs)]] = True
            mask &= ok_docs[item_doc]
        if self.item_rows is not None:
            only = np.zeros(len(item_doc), bool)
            only[self.item_rows] = True
            mask &= only
        return mask


@dataclass
class DenseWindows:
    """The best-scoring sentence windows of one query: ids, cosines, and the item each belongs to."""

    windows: np.ndarray  # window ids, best first
    scores: np.ndarray
    items: np.ndarray  # item row of each window


@dataclass
class KeywordHits:
    """The best keyword (BM25) items of one query: rows and scores, best first, and the best score
    over the whole corpus (what the fusion scales by, so a filtered search scores as a whole one)."""

    rows: np.ndarray
    scores: np.ndarray
    best: float


def filled_document(d: Document, text: str, items: list[Item], headings: list[Heading], keep: bool,
                    complete: set[int], doc_row: int) -> Document:
    """A document with what was read of it: filled in place and remembered (`keep`), or a copy the
    caller lets go (a pass over every document of a large index must not hold them all)."""
    if not keep:
        return replace(d, text=text, items=items, headings=headings)
    d.text, d.items, d.headings = text, items, headings
    complete.add(doc_row)
    return d


class IndexReader(Protocol):
    """What search, trend, check, compare and reuse read from an index, whatever stores it (the
    local generation below, or a Milvus collection). Rows: items and documents are numbered 0..n-1
    in corpus order; `doc_rows` restricts a query to those documents (None: all)."""

    location: str  # for messages: a directory, or a Milvus address
    meta: IndexMeta
    documents: list[Document]  # every document's metadata (no text or items; see document_with_items)
    item_doc: np.ndarray  # item row -> document row

    def items(self, rows: Sequence[int]) -> list[Item]: ...

    def document_of_item(self, row: int) -> Document: ...

    def document_with_items(self, doc_row: int, keep: bool = True) -> Document:
        """The document with its text, items and headings: filled in place and kept, or with
        `keep=False` a copy that is not (a pass over every document holds one at a time)."""

    def all_documents(self) -> list[Document]: ...

    def dense_windows(self, query_vector: np.ndarray, n: int, selection: Selection | None = None
                      ) -> DenseWindows:
        """The n best sentence windows for the query vector, within `selection`."""

    def dense_all(self, query_vector: np.ndarray) -> np.ndarray:
        """The best window cosine of every item."""

    def keyword_top(self, query_norm: str, n: int, selection: Selection | None = None) -> KeywordHits:
        """The n best items by BM25 with a positive score (within `selection`)."""

    def keyword_scores(self, query_norm: str) -> np.ndarray:
        """BM25 score of every item for the query (0 where it shares no term); a store that
        cannot score every item (Milvus) gives its best thousands and 0 for the rest."""

    def keyword_scores_of(self, query_norm: str, rows: Sequence[int]) -> np.ndarray:
        """BM25 scores of these items for the query (the hits' keyword evidence)."""

    def items_with_phrase(self, key: str) -> np.ndarray:
        """Sorted rows of the items that may hold the compact normalised phrase `key` (every
        one that does; the caller confirms on the text)."""

    def phrase_frequency(self, key: str) -> int:
        """How many items may hold the compact normalised phrase `key`: 0 only if none does, and
        at least the true count (an upper bound, cheap enough to ask of many words)."""

    def nearest_words(self, query_vector: np.ndarray, n: int, floor: float) -> list[tuple[str, float]]:
        """The term bridge: the index's words nearest the query vector (cosine ≥ floor), best first;
        none for an index built before it kept words."""

    def preload(self, rows: Sequence[int]) -> None:
        """A hint that the windows of these items are read next (a remote store fetches them in
        one round trip instead of one per item)."""

    def item_windows(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(window ids, [start, end) spans in the item's text) of one item, in text order."""

    def window_vectors(self, windows: np.ndarray) -> np.ndarray: ...

    def window_spans(self, windows: np.ndarray) -> np.ndarray: ...

    def close(self) -> None: ...


class LocalIndex:
    """An IndexReader over in-memory or memory-mapped arrays: what a generation holds on disk
    (StoredIndex opens one), or arrays a benchmark makes directly."""

    def __init__(self, location: str, meta: IndexMeta, documents: list[Document], item_doc: np.ndarray,
                 vectors: np.ndarray, window_item: np.ndarray, window_span: np.ndarray,
                 vector_index=None, bm25=None, item_source: Callable[[Sequence[int]], list[Item]] | None = None):
        self.location = location
        self.meta = meta
        self.documents = documents
        self.item_doc = item_doc
        self.vectors = vectors
        self.window_item = window_item
        self.window_span = window_span
        self._vindex = vector_index
        self._bm25 = bm25
        self._item_source = item_source
        self._masks: dict[bytes, np.ndarray] = {}
        self._vocab: Vocabulary | None | bool = False  # False: not read yet
        self._last_keyword: tuple[str | None, np.ndarray] = (None, np.zeros(0, np.float32))

    # lazily: keyword-only searches never touch the vector index, and vice versa
    @property
    def vector_index(self):
        if self._vindex is None:
            self._vindex = self._load_vector_index()
        return self._vindex

    @property
    def bm25(self):
        if self._bm25 is None:
            self._bm25 = self._load_bm25()
        return self._bm25

    def _load_vector_index(self):
        return FlatIndex.load(Path("."), self.meta.dim, self.vectors)

    def _load_bm25(self):
        raise PlansearchError(f"{self.location}: no keyword index")

    def _window_mask(self, selection: Selection) -> np.ndarray:
        key = b"|".join(b"-" if r is None else np.asarray(r, np.int64).tobytes()
                        for r in (selection.doc_rows, selection.item_rows))
        if key not in self._masks:  # search --by asks for the same groups' masks query after query
            if len(self._masks) > 64:
                self._masks.clear()
            self._masks[key] = selection.item_mask(self.item_doc)[self.window_item]
        return self._masks[key]

    def items(self, rows: Sequence[int]) -> list[Item]:
        if self._item_source is None:
            raise PlansearchError(f"{self.location}: item texts are not stored")
        return self._item_source(rows)

    def document_of_item(self, row: int) -> Document:
        return self.documents[int(self.item_doc[row])]

    def document_with_items(self, doc_row: int, keep: bool = True) -> Document:
        return self.documents[doc_row]

    def all_documents(self) -> list[Document]:
        """Documents with their items, as `load_corpus` would give them (reuse / compare on an index)."""
        return [self.document_with_items(i) for i in range(len(self.documents))]

    def dense_windows(self, query_vector: np.ndarray, n: int, selection: Selection | None = None
                      ) -> DenseWindows:
        """The n best windows (within `selection`): the vector index for the whole corpus, an
        exact scan of the allowed windows for a filtered query (a graph or code scan need not
        reach a small subset)."""
        n = min(n, len(self.window_item))
        if n == 0:  # a version committed before anything was embedded: words only
            return DenseWindows(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64))
        if selection is None:
            scores, wins = self.vector_index.search(query_vector[None, :], n)
            scores, wins = scores[0], wins[0]
            keep = wins >= 0
            scores, wins = scores[keep], wins[keep]
        else:
            subset = np.flatnonzero(self._window_mask(selection))
            scores, wins = exact_search(self.vectors, query_vector, n, subset)
            self._release_vectors()
        return DenseWindows(wins, scores, np.asarray(self.window_item[wins]))

    def _release_vectors(self) -> None:
        # A scan of many rows (a filtered search, trend's pass) maps their pages into this process;
        # left there they count as its memory: `search --by year` at 3·10^6 items grew to 9 GB
        # resident, the vector file's size. They stay in the page cache for the next read.
        release_pages(self.vectors)

    def dense_all(self, query_vector: np.ndarray) -> np.ndarray:
        """The best window cosine of every item (trend counts every item above a threshold)."""
        return self.dense_all_many(query_vector[None, :])[0]

    def dense_all_many(self, query_vectors: np.ndarray) -> np.ndarray:
        """dense_all for several queries at once, (m, dim) -> (m, items): one pass over the
        vectors instead of one per query (a 10-topic trend at 10^5 items is memory-bound)."""
        queries = np.asarray(query_vectors, np.float32)
        best = np.full((len(queries), len(self.item_doc)), -1.0, np.float32)
        owners_all = np.asarray(self.window_item)
        # a block of windows at a time: float32 of every window at 10^6 items would be 4 GB
        for lo, block in vector_chunks(self.vectors):
            sims = queries @ block.T
            owners = owners_all[lo:lo + len(block)]
            # windows are stored in item order: each item's windows are one run, reduced at once
            # (an item cut by the block's edge is reduced in both blocks and keeps the larger)
            starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
            at = owners[starts]
            best[:, at] = np.maximum(best[:, at], np.maximum.reduceat(sims, starts, axis=1))
        self._release_vectors()
        return best

    def keyword_top(self, query_norm: str, n: int, selection: Selection | None = None) -> KeywordHits:
        scores = self.keyword_scores(query_norm)
        rows, vals = select_top_k(scores, n, None if selection is None else selection.item_mask(self.item_doc))
        return KeywordHits(rows, vals, float(scores.max()) if len(scores) else 0.0)

    def keyword_scores(self, query_norm: str) -> np.ndarray:
        # the last query's scores are kept: a search reads its hits' scores after its top n
        if self._last_keyword[0] != query_norm:
            self._last_keyword = (query_norm, self.bm25.scores(query_norm))
        return self._last_keyword[1]

    def keyword_scores_of(self, query_norm: str, rows: Sequence[int]) -> np.ndarray:
        return self.keyword_scores(query_norm)[np.asarray(rows, np.int64)]

    def items_with_phrase(self, key: str) -> np.ndarray:
        if not self._bigram_postings:  # a "jieba" index: its words cannot rule an item out
            return np.arange(len(self.item_doc))
        return self.bm25.rows_with_all(tokenize(key))

    def phrase_frequency(self, key: str) -> int:
        if not self._bigram_postings:
            return len(self.item_doc)
        return self.bm25.rows_bound(tokenize(key))

    def nearest_words(self, query_vector: np.ndarray, n: int, floor: float) -> list[tuple[str, float]]:
        vocab = self.vocabulary
        return nearest(vocab.words, vocab.vectors, query_vector, n, floor) if vocab is not None else []

    @property
    def vocabulary(self) -> Vocabulary | None:
        if self._vocab is False:
            self._vocab = self._load_vocabulary()
        return self._vocab

    def _load_vocabulary(self) -> Vocabulary | None:
        return None  # arrays a benchmark makes directly hold no words

    @property
    def _bigram_postings(self) -> bool:
        return self.bm25.scheme != "jieba"

    def preload(self, rows: Sequence[int]) -> None:
        pass  # arrays in memory: nothing to fetch

    def item_windows(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        # windows are stored in item order: an item's windows are one run, found by binary search
        # (the keys take the owners' dtype, or numpy casts the whole array)
        owners = self.window_item
        lo, hi = (int(x) for x in np.searchsorted(owners, np.array([row, row + 1], owners.dtype)))
        return np.arange(lo, hi), np.asarray(self.window_span[lo:hi])

    def window_vectors(self, windows: np.ndarray) -> np.ndarray:
        windows = np.asarray(windows)
        if len(windows) and np.all(np.diff(windows) == 1):
            return np.asarray(self.vectors[windows[0]:windows[-1] + 1])
        return np.asarray(self.vectors[windows])

    def window_spans(self, windows: np.ndarray) -> np.ndarray:
        return np.asarray(self.window_span[np.asarray(windows)])

    def heading_titles(self) -> tuple[np.ndarray, list[str]]:
        """(document row, title) of every heading: trend counts the headings that name a topic
        (2024's 加快发展新质生产力 is a heading). Arrays made by a benchmark hold none."""
        return np.zeros(0, np.int64), []

    def close(self) -> None:
        pass


class StoredIndex(LocalIndex):
    """The live generation of an index directory, opened for reading: arrays memory-mapped, rows
    fetched from SQLite on demand. It holds a shared lock on the generation while open, so a build
    that supersedes it leaves it in place until this reader is closed."""

    def __init__(self, index_dir: str | os.PathLike = "index", verify: bool = True):
        self.index_dir = Path(index_dir)
        self._lock_fd = None
        for _attempt in range(5):  # a build may swap generations between reading CURRENT and locking
            gen = live_generation(self.index_dir)
            if gen is None:
                raise PlansearchError(_("no index in {dir}/ yet: run `plansearch index` first").format(dir=self.index_dir))
            if self._hold(gen) and _read_current(self.index_dir) == gen.name:
                break
            self._release()
        else:
            raise PlansearchError(_("index in {dir}/ keeps changing under this search; try again").format(dir=self.index_dir))
        self.generation = gen
        try:
            self._open(gen, verify)
        except BaseException:
            self._release()
            raise

    def _hold(self, gen: Path) -> bool:
        lock = gen / READERS_LOCK
        if not lock.is_file():
            return gen.is_dir()  # generations written before reader locks
        try:
            self._lock_fd = os.open(lock, os.O_RDONLY)
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)
        except OSError:
            return False
        return (gen / "meta.json").is_file()

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops its lock
            self._lock_fd = None

    def _damaged(self, name: str, e: BaseException) -> IndexDamaged:
        return IndexDamaged(self.index_dir, f"{self.generation.name}/{name} is unreadable "
                                            f"({type(e).__name__}: {str(e)[:120]})")

    def _open(self, gen: Path, verify: bool) -> None:
        if verify:
            verify_generation(gen)
        meta = IndexMeta.read(gen)
        if meta.format != FORMAT_VERSION:
            raise PlansearchError(_("index in {dir}/ has format {format}, this plansearch reads {reads}: rebuild it "
                                    "with `plansearch index` (its embedding cache is kept: nothing is embedded "
                                    "again)").format(dir=self.index_dir, format=meta.format, reads=FORMAT_VERSION))
        arrays = {}
        for name in ("window_row.npy", "window_item.npy", "window_span.npy", "item_doc.npy"):
            try:
                arrays[name] = np.load(gen / name, mmap_mode="r" if name == "window_row.npy" else None,
                                       allow_pickle=False)
            except (OSError, ValueError, EOFError) as e:
                raise self._damaged(name, e) from None
        rows = arrays["window_row.npy"]
        source = self.index_dir / meta.vector_file
        if not meta.vector_file or "/" in meta.vector_file or not source.is_file():
            raise IndexDamaged(self.index_dir, f"the embedding cache's vector file {meta.vector_file or '?'} "
                                               f"is missing")
        base = map_vector_file(source, meta.dim)
        # the term bridge's words are rows of the same file (embedded after a first build's windows,
        # so the highest rows): a wrong dimension shows in them when not in the windows'
        try:
            word_rows = np.load(gen / "word_row.npy") if (gen / "word_row.npy").is_file() else np.zeros(0, np.int64)
        except (OSError, ValueError, EOFError) as e:
            raise self._damaged("word_row.npy", e) from None
        top = max(int(rows.max()) if len(rows) else 0, int(word_rows.max()) if len(word_rows) else 0)
        if rows.ndim != 1 or len(rows) != meta.windows or ((len(rows) or len(word_rows)) and top >= len(base)):
            raise IndexDamaged(self.index_dir, f"{gen.name}/window_row.npy holds {rows.shape} rows up to "
                                               f"{int(rows.max()) if len(rows) else 0} (word_row.npy up to "
                                               f"{int(word_rows.max()) if len(word_rows) else 0}), meta.json says "
                                               f"{meta.windows} windows and the cache holds {len(base)}")
        vectors = RowVectors(base, rows, source)
        try:
            self._db = sqlite3.connect(f"file:{gen / 'store.sqlite'}?mode=ro", uri=True,
                                       check_same_thread=False)
            item_doc = arrays.get("item_doc.npy")
            if item_doc is None:
                item_doc = np.array([r[0] for r in self._db.execute("SELECT doc_row FROM item ORDER BY row")],
                                    dtype=np.int32)
            # What every query needs is read at open, and only that: the item -> document map and
            # each document's metadata without its full text (fetched by document_with_items).
            held = {r[1] for r in self._db.execute("PRAGMA table_info(document)")}
            # an index built before documents had a level: NULL, inferred again in _doc_from_row
            cols = ", ".join("'' AS text" if c == "text" else c if c in held else f"NULL AS {c}"
                             for c in _DOC_COLS)
            documents = [self._doc_from_row(r) for r in
                         self._db.execute(f"SELECT row, {cols} FROM document ORDER BY row")]
        except (sqlite3.DatabaseError, ValueError, TypeError) as e:
            raise self._damaged("store.sqlite", e) from None
        if len(documents) != meta.documents or len(item_doc) != meta.items:
            raise IndexDamaged(self.index_dir, f"{gen.name}/store.sqlite holds {len(documents)} documents and "
                                               f"{len(item_doc)} items, meta.json says {meta.documents} and {meta.items}")
        super().__init__(str(self.index_dir), meta, documents, item_doc, vectors, arrays["window_item.npy"],
                         arrays["window_span.npy"], item_source=self._items_from_db)
        self._complete: set[int] = set()  # document rows whose text, items and headings are read
        self._headings: tuple[np.ndarray, list[str]] | None = None

    def _load_vector_index(self):
        try:
            return load_vector_index(self.meta.vector_kind, self.generation, self.meta.dim, self.vectors)
        except PlansearchError:
            raise
        except Exception as e:  # FAISS raises RuntimeError on a damaged file
            raise self._damaged(f"the {self.meta.vector_kind} vector index", e) from None

    def _load_vocabulary(self) -> Vocabulary | None:
        try:
            return read_vocabulary(self.generation, self.vectors.base)
        except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
            raise self._damaged("the term bridge's words (words.json, word_vectors.npy)", e) from None

    def _load_bm25(self):
        try:
            return BM25Index.load(self.generation)
        except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
            raise self._damaged("the keyword index (bm25_*)", e) from None

    def _doc_from_row(self, r) -> Document:
        (row, doc_id, source, title, text, source_start, year, year_mask, plan_year, review_year, region,
         issuer, kind, sections, flags, overridden, level, date) = r
        return Document(doc_id=doc_id, source=source, title=title, text=text, source_start=source_start,
                        year=year, year_mask=year_mask, plan_year=plan_year, review_year=review_year,
                        region=region, issuer=issuer, kind=kind, date=date,
                        level=level or infer_level(region, issuer, [title]),
                        sections=[Section(*s) for s in json.loads(sections)], flags=json.loads(flags),
                        overridden=tuple(json.loads(overridden)))

    def _item_from_row(self, r, doc_id: str, doc_text: str | None = None) -> Item:
        """An item from its row; a NULL text is its document's text at its offsets (`doc_text`,
        or the row's own substr), a NULL norm is normalise(text)."""
        (_row, _doc_row, ordinal, label, number, level, path, text, norm, start, end, subpoints, section,
         flags, text_from) = r[:15]
        if text is None:
            text = doc_text[start + text_from:end] if doc_text is not None else r[15]
        return Item(doc_id=doc_id, ordinal=ordinal, label=label, number=number, level=level,
                    path=tuple(json.loads(path)), text=text, start=start, end=end, norm=norm or normalise(text),
                    subpoints=tuple(json.loads(subpoints)), section=section, flags=tuple(json.loads(flags)))

    def _items_from_db(self, rows: Sequence[int]) -> list[Item]:
        rows = [int(r) for r in rows]
        if not rows:
            return []
        # a NULL text is read from the document by SQLite (character offsets, as Python's)
        q = (f"SELECT item.row, {', '.join('item.' + c for c in _ITEM_COLS)}, CASE WHEN item.text IS NULL THEN "
             f"substr(document.text, item.start + item.text_from + 1, item.end - item.start - item.text_from) "
             f"END FROM item JOIN document "
             f"ON document.row = item.doc_row WHERE item.row IN ({','.join('?' * len(rows))})")
        try:
            by_row = {r[0]: r for r in self._db.execute(q, rows)}
            return [self._item_from_row(by_row[r], self.documents[by_row[r][1]].doc_id) for r in rows]
        except (sqlite3.DatabaseError, KeyError, ValueError) as e:
            raise self._damaged("store.sqlite", e) from None

    def document_with_items(self, doc_row: int, keep: bool = True) -> Document:
        d = self.documents[doc_row]
        if doc_row in self._complete:
            return d
        try:
            text = self._db.execute("SELECT text FROM document WHERE row=?", (doc_row,)).fetchone()[0]
            q = f"SELECT row, {', '.join(_ITEM_COLS)} FROM item WHERE doc_row=? ORDER BY ordinal"
            items = [self._item_from_row(r, d.doc_id, text) for r in self._db.execute(q, (doc_row,))]
            headings = []
            has_headings = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='heading'").fetchone()
            if has_headings:  # generations written before headings were stored have none
                headings = [Heading(*r) for r in self._db.execute(
                    "SELECT label, number, level, title, start, end FROM heading WHERE doc_row=? ORDER BY start",
                    (doc_row,))]
        except (sqlite3.DatabaseError, TypeError, ValueError) as e:
            raise self._damaged("store.sqlite", e) from None
        return filled_document(d, text, items, headings, keep, self._complete, doc_row)

    def heading_titles(self) -> tuple[np.ndarray, list[str]]:
        if self._headings is None:
            try:
                has = self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='heading'").fetchone()
                rows = self._db.execute("SELECT doc_row, title FROM heading ORDER BY doc_row, start"
                                        ).fetchall() if has else []
            except sqlite3.DatabaseError as e:
                raise self._damaged("store.sqlite", e) from None
            self._headings = (np.array([r[0] for r in rows], np.int64), [r[1] or "" for r in rows])
        return self._headings

    def close(self) -> None:
        if getattr(self, "_db", None) is not None:
            self._db.close()
            self._db = None
        self._release()

    def __del__(self):
        try:
            self._release()
        except Exception:
            pass

