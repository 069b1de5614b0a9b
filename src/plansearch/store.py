"""The persisted index: documents and items in SQLite, sentence-window vectors, BM25 arrays.

Layout of an index directory:

    index/
      CURRENT              name of the live generation; replaced atomically (os.replace)
      gen-<time>-<pid>/    one complete, immutable build
        meta.json          model, dimension, vector backend, counts, corpus fingerprint
        store.sqlite       documents and items (original text, normalised text, outline path, spans)
        vectors.npy        one L2-normalised float32 row per sentence window
        window_item.npy    window -> item row;  window_span.npy: window's [start, end) in item text
        item_doc.npy       item row -> document row
        bm25_*.npy/json    keyword index over items
        vectors.pq.faiss   only for an approximate backend (vectors.hnsw.faiss for --vectors hnsw)
      cache.sqlite         embedding cache, keyed by model + sha256(normalised text); outlives builds
      .lock                held while a build runs

Why generations: a build writes a new directory and only then points CURRENT at it, so a crash,
Ctrl-C or kill -9 at any moment leaves the previous index answering. The cache commits after every
batch, so an interrupted build loses at most one batch of embedding work.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .chunk import windows as sentence_windows
from .models import Document, Heading, Item, LoadError, PlansearchError, Section
from .normalise import normalise

FORMAT_VERSION = 1
CURRENT = "CURRENT"
CACHE_FILE = "cache.sqlite"
LOCK_FILE = ".lock"
SOURCES_STAMP = "sources.json"  # the input files' (path, size, mtime) stamp of the live generation
WINDOW_MIN_CHARS = 20
EMBED_BATCH = 64

# progress(stage, done, total): the CLI draws a bar from it; stages are "load", "embed", "write".
Progress = Callable[[str, int, int], None]


def _sha(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


# --- embedding cache ---------------------------------------------------------------------------

class EmbeddingCache:
    """Vectors by (model, sha256 of the exact text embedded). Plans repeat themselves year after
    year, so most of a new year's items are already here."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A rowid table: WITHOUT ROWID stores 1.5 KB vectors in overflow pages at twice the size.
        self._db.execute("CREATE TABLE IF NOT EXISTS embedding (model TEXT, key BLOB, dim INTEGER, "
                         "vec BLOB, PRIMARY KEY (model, key))")

    def iter_many(self, model: str, keys: Sequence[bytes]) -> Iterator[tuple[bytes, np.ndarray]]:
        """(key, vector) for each of `keys` the cache holds, in no particular order."""
        for i in range(0, len(keys), 500):  # SQLite caps the number of bound parameters
            chunk = list(keys[i:i + 500])
            q = f"SELECT key, vec FROM embedding WHERE model=? AND key IN ({','.join('?' * len(chunk))})"
            for key, blob in self._db.execute(q, [model, *chunk]):
                yield bytes(key), np.frombuffer(blob, dtype=np.float32)

    def put_many(self, model: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO embedding VALUES (?,?,?,?)",
                                 [(model, k, int(v.shape[0]), np.asarray(v, np.float32).tobytes())
                                  for k, v in zip(keys, vectors)])

    def close(self) -> None:
        self._db.close()


@dataclass
class EmbedCount:
    embedded: int = 0  # distinct texts sent to the model
    reused: int = 0  # texts answered by the cache or by an identical text in the same run


def embed_cached(embedder, texts: Sequence[str], cache: EmbeddingCache | None,
                 progress: Progress | None = None, count: EmbedCount | None = None) -> np.ndarray:
    """Passage vectors for `texts`: identical texts embedded once, cached ones not at all."""
    count = count if count is not None else EmbedCount()
    out = np.zeros((len(texts), embedder.dim), np.float32)
    keys = [_sha(t) for t in texts]
    first: dict[bytes, int] = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    # Vectors go straight into `out` as they are read or made: holding them all as separate
    # arrays first doubled the build's peak memory (13.6 GB at 10^6 items, 2.7e6 windows).
    found: set[bytes] = set()
    if cache:
        for k, v in cache.iter_many(embedder.name, list(first)):
            out[first[k]] = v
            found.add(k)
    todo = [k for k in first if k not in found]
    count.reused += len(texts) - len(todo)
    if progress:
        progress("embed", 0, len(todo))
    for b in range(0, len(todo), EMBED_BATCH):
        batch = todo[b:b + EMBED_BATCH]
        vecs = embedder.embed_passages([texts[first[k]] for k in batch])
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
                            index_dir: str | os.PathLike | None = None) -> np.ndarray:
    """Passage vectors through the index's cache when there is one (compare uses this)."""
    from .embed import get_embedder

    emb = get_embedder(model)
    cache = EmbeddingCache(Path(index_dir) / CACHE_FILE) if index_dir and Path(index_dir).is_dir() else None
    try:
        return embed_cached(emb, texts, cache)
    finally:
        if cache:
            cache.close()


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

    @classmethod
    def of(cls, index_dir: Path, meta: "IndexMeta", count: "EmbedCount | None", seconds: float,
           errors: list[LoadError]) -> "IndexReport":
        """The report of a build (`count` of its embedding), or of an up-to-date index (None)."""
        embedded, reused = (count.embedded, count.reused) if count else (0, meta.windows)
        return cls(str(index_dir), meta.model, meta.dim, meta.vector_kind, meta.documents, meta.items,
                   meta.windows, embedded, reused, seconds, up_to_date=count is None, errors=errors)


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

    @classmethod
    def read(cls, gen: Path) -> "IndexMeta":
        return cls(**json.loads((gen / "meta.json").read_text(encoding="utf-8")))

    def write(self, gen: Path) -> None:
        (gen / "meta.json").write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=1),
                                       encoding="utf-8")


def live_generation(index_dir: Path) -> Path | None:
    cur = index_dir / CURRENT
    if not cur.is_file():
        return None
    gen = index_dir / cur.read_text(encoding="utf-8").strip()
    return gen if (gen / "meta.json").is_file() else None


def _settings_hash(model: str | None, scheme: str):
    """A sha256 started with what every build depends on besides its input: format, code version,
    model, tokenizer, window size."""
    return hashlib.sha256(f"{FORMAT_VERSION}|{_version()}|{model}|{scheme}|{WINDOW_MIN_CHARS}".encode())


def _fingerprint(docs: list[Document], model: str, scheme: str) -> str:
    """Everything a build depends on: the parsed corpus (text and metadata), model, code version."""
    h = _settings_hash(model, scheme)
    for d in docs:
        h.update(json.dumps([d.doc_id, d.source, d.title, d.year, d.year_mask, d.region, d.issuer,
                             d.kind, d.plan_year, d.review_year], ensure_ascii=False).encode())
        for it in d.items:
            h.update(f"{it.label}\x1f{'|'.join(it.path)}\x1f{it.text}\x1e".encode())
    return h.hexdigest()


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("plansearch")
    except Exception:
        return "dev"


# --- building ----------------------------------------------------------------------------------

def build_index(paths: str | os.PathLike | Iterable[str | os.PathLike] = "corpus",
                index_dir: str | os.PathLike = "index", model: str | None = None,
                progress: Progress | None = None, errors: list[LoadError] | None = None,
                vector_kind: str | None = None, keyword_scheme: str = "bigram",
                on_wait: Callable[[str], None] | None = None,
                documents: list[Document] | None = None) -> IndexReport:
    """Build or update the index of the documents under `paths` (or of `documents` given directly).

    Unchanged corpus and model: nothing is rebuilt. Changed: a new generation is written, reusing
    every cached vector. `vector_kind` forces "flat", "pq" or "hnsw" (default: by size, vectors.choose_kind). A second build
    of the same index waits for the first (`on_wait` is told once)."""
    from filelock import FileLock, Timeout

    from .corpus import load_corpus
    from .embed import get_embedder

    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait:
            on_wait(f"another plansearch index run holds {index_dir / LOCK_FILE}; waiting for it to finish")
        lock.acquire()
    try:
        load_errors: list[LoadError] = errors if errors is not None else []
        # Fast path: the same files (path, size, mtime) as the live generation was built or checked
        # from need no parsing at all (parsing 10^5 items takes ~30 s; this takes milliseconds).
        stamp = _sources_stamp(paths, model, keyword_scheme) if documents is None else None
        live = live_generation(index_dir)
        if stamp is not None and live is not None and _read_stamp(index_dir) == [live.name, stamp]:
            meta = IndexMeta.read(live)
            if vector_kind is None or vector_kind == meta.vector_kind:
                return IndexReport.of(index_dir, meta, None, time.perf_counter() - t0, load_errors)
        if documents is None:
            documents = load_corpus(paths, errors=load_errors)
        if not documents:
            raise PlansearchError(f"no documents found in {_describe(paths)}")
        embedder = get_embedder(model)
        fp = _fingerprint(documents, embedder.name, keyword_scheme)
        if live is not None:
            meta = IndexMeta.read(live)
            if meta.fingerprint == fp and (vector_kind is None or vector_kind == meta.vector_kind):
                _write_stamp(index_dir, live.name, stamp)
                return IndexReport.of(index_dir, meta, None, time.perf_counter() - t0, load_errors)
        _remove_stale(index_dir, keep=live)
        # Unique even for two builds in one second of one process (the time alone once collided).
        gen_name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
        tmp = index_dir / f".tmp-{gen_name}"
        tmp.mkdir()
        count = EmbedCount()
        meta = _write_generation(tmp, documents, embedder, index_dir, fp, keyword_scheme, vector_kind,
                                 progress, count)
        final = index_dir / gen_name
        tmp.rename(final)
        _point_current(index_dir, gen_name)
        _write_stamp(index_dir, gen_name, stamp)
        _remove_stale(index_dir, keep=final)
        return IndexReport.of(index_dir, meta, count, time.perf_counter() - t0, load_errors)
    finally:
        lock.release()


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
        h.update(f"{root.resolve()}\x1d".encode())
        for p in files:
            st = p.stat()
            h.update(f"{p}\x1f{st.st_size}\x1f{st.st_mtime_ns}\x1e".encode())
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


def _write_generation(gen: Path, documents: list[Document], embedder, index_dir: Path, fp: str,
                      keyword_scheme: str, vector_kind: str | None, progress: Progress | None,
                      count: EmbedCount) -> IndexMeta:
    from .keyword import BM25Index
    from .vectors import choose_kind, make_vector_index

    items = [it for d in documents for it in d.items]
    win_item: list[int] = []
    win_span: list[tuple[int, int]] = []
    win_text: list[str] = []
    for row, it in enumerate(items):
        for a, b in sentence_windows(it.text, WINDOW_MIN_CHARS) or [(0, len(it.text))]:
            win_item.append(row)
            win_span.append((a, b))
            win_text.append(normalise(it.text[a:b]) or it.norm or ".")
    # The keyword index first, while the vectors are not yet in memory: at 10^6 items its build
    # arrays and the vectors (4.2 GB) peaked together, 13.0 GB; apart (and int32 tokens) 8.4 GB.
    if progress:
        progress("keyword", 0, 1)
    BM25Index.build([it.norm or normalise(it.text) for it in items], keyword_scheme).save(gen)
    if progress:
        progress("keyword", 1, 1)
    cache = EmbeddingCache(index_dir / CACHE_FILE)
    try:
        vectors = embed_cached(embedder, win_text, cache, progress, count)
    finally:
        cache.close()
    if progress:
        progress("write", 0, 3)
    _write_sqlite(gen / "store.sqlite", documents)
    np.save(gen / "vectors.npy", vectors)
    np.save(gen / "window_item.npy", np.asarray(win_item, np.int32))
    np.save(gen / "window_span.npy", np.asarray(win_span, np.int32).reshape(-1, 2))
    np.save(gen / "item_doc.npy", np.repeat(np.arange(len(documents), dtype=np.int32),
                                            [len(d.items) for d in documents]))
    if progress:
        progress("write", 1, 3)
    kind = vector_kind or choose_kind(len(vectors))
    vindex = make_vector_index(kind, embedder.dim)
    if kind != "flat":  # the flat index is rebuilt from vectors.npy on load: nothing to write
        vindex.add(vectors)
        vindex.save(gen)
    if progress:
        progress("write", 3, 3)
    meta = IndexMeta(FORMAT_VERSION, embedder.name, embedder.dim, kind, keyword_scheme, len(documents),
                     len(items), len(win_text), fp, time.strftime("%Y-%m-%dT%H:%M:%S"))
    meta.write(gen)
    _fsync_tree(gen)
    return meta


_DOC_COLS = ("doc_id", "source", "title", "text", "source_start", "year", "year_mask", "plan_year",
             "review_year", "region", "issuer", "kind", "sections", "flags", "overridden")
_ITEM_COLS = ("doc_row", "ordinal", "label", "number", "level", "path", "text", "norm", "start", "end",
              "subpoints", "section", "flags")


def _write_sqlite(path: Path, documents: list[Document]) -> None:
    db = sqlite3.connect(str(path))
    db.execute(f"CREATE TABLE document (row INTEGER PRIMARY KEY, {', '.join(_DOC_COLS)})")
    db.execute(f"CREATE TABLE item (row INTEGER PRIMARY KEY, {', '.join(_ITEM_COLS)})")
    # Headings too, so reuse/compare on a stored index see what they see on the files.
    db.execute("CREATE TABLE heading (doc_row, label, number, level, title, start, end)")
    js = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    item_row = 0
    with db:
        for d_row, d in enumerate(documents):
            db.execute(f"INSERT INTO document VALUES ({','.join('?' * (len(_DOC_COLS) + 1))})",
                       (d_row, d.doc_id, d.source, d.title, d.text, d.source_start, d.year, d.year_mask,
                        d.plan_year, d.review_year, d.region, d.issuer, d.kind,
                        js([[s.kind, s.start, s.end, s.year] for s in d.sections]), js(list(d.flags)),
                        js(list(d.overridden))))
            rows = []
            for it in d.items:
                rows.append((item_row, d_row, it.ordinal, it.label, it.number, it.level, js(list(it.path)),
                             it.text, it.norm, it.start, it.end, js(list(it.subpoints)), it.section,
                             js(list(it.flags))))
                item_row += 1
            db.executemany(f"INSERT INTO item VALUES ({','.join('?' * (len(_ITEM_COLS) + 1))})", rows)
            db.executemany("INSERT INTO heading VALUES (?,?,?,?,?,?,?)",
                           [(d_row, h.label, h.number, h.level, h.title, h.start, h.end) for h in d.headings])
        db.execute("CREATE INDEX item_doc ON item(doc_row)")
        db.execute("CREATE INDEX heading_doc ON heading(doc_row)")
    db.close()


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


def _remove_stale(index_dir: Path, keep: Path | None) -> None:
    """Drop half-written builds (a killed run's .tmp-*) and superseded generations. Runs only under
    the lock; a reader that opened an old generation keeps its open files (POSIX)."""
    for p in index_dir.iterdir():
        if p.is_dir() and (p.name.startswith(".tmp-gen-") or p.name.startswith("gen-")) and p != keep:
            shutil.rmtree(p, ignore_errors=True)


# --- reading -----------------------------------------------------------------------------------

class StoredIndex:
    """One generation opened for reading: arrays memory-mapped, rows fetched from SQLite on demand."""

    def __init__(self, index_dir: str | os.PathLike = "index"):
        self.index_dir = Path(index_dir)
        gen = live_generation(self.index_dir)
        if gen is None:
            raise PlansearchError(f"no index in {self.index_dir}/ yet: run `plansearch index` first")
        self.generation = gen
        self.meta = IndexMeta.read(gen)
        if self.meta.format != FORMAT_VERSION:
            raise PlansearchError(f"index in {self.index_dir}/ has format {self.meta.format}, this "
                                  f"plansearch reads {FORMAT_VERSION}: rebuild it with `plansearch index`")
        self._db = sqlite3.connect(f"file:{gen / 'store.sqlite'}?mode=ro", uri=True,
                                   check_same_thread=False)
        self.vectors = np.load(gen / "vectors.npy", mmap_mode="r")
        self.window_item = np.load(gen / "window_item.npy")
        self.window_span = np.load(gen / "window_span.npy")
        # What every query needs is read at open, and only that: the item -> document map (a file;
        # reading it from SQLite took 0.5 s at 10^6 items) and each document's metadata without its
        # full text (0.6 s more for 20,000 documents), which document_with_items fetches on demand.
        if (gen / "item_doc.npy").is_file():
            self.item_doc = np.load(gen / "item_doc.npy")
        else:  # generations written before the file existed
            self.item_doc = np.array([r[0] for r in self._db.execute("SELECT doc_row FROM item ORDER BY row")],
                                     dtype=np.int32)
        cols = ", ".join("'' AS text" if c == "text" else c for c in _DOC_COLS)
        self._doc_rows = [self._doc_from_row(r) for r in
                          self._db.execute(f"SELECT row, {cols} FROM document ORDER BY row")]
        self._complete: set[int] = set()  # document rows whose text, items and headings are read
        self._vindex = None
        self._bm25 = None

    # lazily: keyword-only searches never touch the vector index, and vice versa
    @property
    def vector_index(self):
        if self._vindex is None:
            from .vectors import load_vector_index

            self._vindex = load_vector_index(self.meta.vector_kind, self.generation, self.meta.dim,
                                             np.asarray(self.vectors))
        return self._vindex

    @property
    def bm25(self):
        if self._bm25 is None:
            from .keyword import BM25Index

            self._bm25 = BM25Index.load(self.generation)
        return self._bm25

    @property
    def documents(self) -> list[Document]:
        """Every document's metadata (no text or items attached; see `document_with_items`)."""
        return self._doc_rows

    def _doc_from_row(self, r) -> Document:
        (row, doc_id, source, title, text, source_start, year, year_mask, plan_year, review_year, region,
         issuer, kind, sections, flags, overridden) = r
        return Document(doc_id=doc_id, source=source, title=title, text=text, source_start=source_start,
                        year=year, year_mask=year_mask, plan_year=plan_year, review_year=review_year,
                        region=region, issuer=issuer, kind=kind,
                        sections=[Section(*s) for s in json.loads(sections)], flags=json.loads(flags),
                        overridden=tuple(json.loads(overridden)))

    def _item_from_row(self, r, doc_id: str) -> Item:
        (_row, _doc_row, ordinal, label, number, level, path, text, norm, start, end, subpoints, section,
         flags) = r
        return Item(doc_id=doc_id, ordinal=ordinal, label=label, number=number, level=level,
                    path=tuple(json.loads(path)), text=text, start=start, end=end, norm=norm,
                    subpoints=tuple(json.loads(subpoints)), section=section, flags=tuple(json.loads(flags)))

    def items(self, rows: Sequence[int]) -> list[Item]:
        rows = [int(r) for r in rows]
        if not rows:
            return []
        q = f"SELECT row, {', '.join(_ITEM_COLS)} FROM item WHERE row IN ({','.join('?' * len(rows))})"
        by_row = {r[0]: r for r in self._db.execute(q, rows)}
        return [self._item_from_row(by_row[r], self._doc_rows[by_row[r][1]].doc_id) for r in rows]

    def document_of_item(self, row: int) -> Document:
        return self._doc_rows[int(self.item_doc[row])]

    def document_with_items(self, doc_row: int) -> Document:
        d = self._doc_rows[doc_row]
        if doc_row not in self._complete:
            self._complete.add(doc_row)
            d.text = self._db.execute("SELECT text FROM document WHERE row=?", (doc_row,)).fetchone()[0]
            q = f"SELECT row, {', '.join(_ITEM_COLS)} FROM item WHERE doc_row=? ORDER BY ordinal"
            d.items = [self._item_from_row(r, d.doc_id) for r in self._db.execute(q, (doc_row,))]
            has_headings = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='heading'").fetchone()
            if has_headings:  # generations written before headings were stored have none
                d.headings = [Heading(*r) for r in self._db.execute(
                    "SELECT label, number, level, title, start, end FROM heading WHERE doc_row=? ORDER BY start",
                    (doc_row,))]
        return d

    def all_documents(self) -> list[Document]:
        """Documents with their items, as `load_corpus` would give them (reuse / compare on an index)."""
        return [self.document_with_items(i) for i in range(len(self._doc_rows))]

    def close(self) -> None:
        self._db.close()


def open_index(index_dir: str | os.PathLike = "index") -> StoredIndex:
    return StoredIndex(index_dir)
