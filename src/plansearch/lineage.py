"""Lineage: where each item of a plan came from, and who copies whom across years and issuers.

    lin = document_lineage(index, "national_gwr_2024")
    lin.items[5].parent, lin.items[5].chain, lin.items[5].earliest   # the copy it came from, back to the earliest
    graph = diffusion_graph(index, by="issuer")                        # A -> B: B's items have their parent in A
    write_graphml(graph, "diffusion.graphml")                          # for Gephi / networkx

What counts as a copy. Two items of different documents are copies of one measure when their keys
(normalised, years and masked places masked, punctuation dropped: the key `compare` and `check`
match on) are
- `verbatim`: identical;
- `edited`: char similarity (Indel, = difflib's ratio) >= `edited_min`, compare's threshold for an
  edited item;
- `disguised`: the same once synonyms are canonicalised (check's canonical key, 词林 through
  synonyms.canonicalise) at `edited_min`, and the synonyms account for the difference
  (`disguised_gain` more similar than the plain keys);
- `reworded`: not a copy in characters, but the items' vectors (each item the mean of its sentence
  windows' vectors, the index's own, centred on the corpus's mean item so that e5's narrow cone does
  not make every paragraph alike: compare.centred_cosines's reasoning) at `reworded_min` or more.
An item keeps its best copy in each other document. Items shorter than `min_chars` key characters
(各位代表！) are not traced.

Candidates, never all pairs: winnowing fingerprints of every item's canonical key (a shared run of
`shingle` characters is always seen), at most `fingerprint_cap` items per fingerprint, and the
`semantic_k` nearest item vectors. The table of keys, fingerprints and item vectors is built once per
index generation and kept in `user_home()/lineage/`, as check keeps its fingerprint table.

Time. A document is dated by its year (a masked year: its range, 201X = 2010-2019) and, where the text
states one, its day (Document.date: 印发日期, the occasion line, the signature). Copy a precedes copy b
when every year a can be from is before every year b can be from, or, in one year, when both state a
day and a's is earlier. Otherwise they are of the *same period*: listed side by side, never ordered.

- parent: of the copies certainly earlier than an item, the one textually closest to it (a
  char-level copy before a reworded one, then the higher similarity, then the later one), so
  2019 -> 2021 -> 2023 with edits reads as a chain, not as a star around 2019;
- chain: the parent, its parent, ... ;
- earliest: the earliest of the item's copies and its chain: "earliest in this corpus", never "the
  origin" -- the source may be outside the corpus (provincial reports in January follow the same
  December conference as the national one in March).

Boilerplate: an item whose copies stand in most documents (>= `boilerplate_share` of the documents
looked at, and >= `boilerplate_min_docs`), or whose fingerprints are mostly held by more than
`fingerprint_cap` items, is boilerplate (以习近平新时代…为指导): shown with its spread, but it has no
parent and draws no edge -- otherwise it would link everyone to everyone.
"""
from __future__ import annotations

import os
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Literal, Sequence

import numpy as np
from rapidfuzz.distance import Indel

from .check import FingerprintTable, canonical_key_text, index_items, indexed_as, verbatim_key_text
from .chunk import windows_of_items
from .corpus import find_document
from .fingerprint import fingerprint
from .i18n import _
from .metadata import year_bounds, year_label
from .models import BadParameter, Document
from .normalise import normalise
from .search import Filters
from .store import cached_embedder_vectors, user_home

LineageLevel = Literal["verbatim", "edited", "disguised", "reworded"]
LEVELS: tuple[LineageLevel, ...] = ("verbatim", "edited", "disguised", "reworded")
Relation = Literal["earlier", "same-period", "later"]
GRAPH_BY = ("issuer", "region", "doc")
_CHAR_LEVELS = {"verbatim", "edited", "disguised"}
TABLE_VERSION = 2
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class LineageSettings:
    """The knobs of lineage (see the module docstring for each)."""

    edited_min: float = 0.6  # compare.Thresholds.edited_min: an edited copy
    disguised_gain: float = 0.08  # canonical keys this much closer than the plain ones: synonyms did it
    reworded_min: float = 0.6  # centred item cosine for a reworded copy, and
    # ... sentence windows this close: check's "versions of one sentence" (CheckSettings.paraphrase_same);
    # at 0.96 (paraphrase_min) every year's paragraph on the same policy slot (货币政策, 新的一年…) with new
    # content passed on the work reports, at 0.975 what passes is the measure said again in new words
    reworded_window_cos: float = 0.975
    reworded_share: float = 0.5  # ... for this share of each side's windows
    min_chars: int = 12  # shorter items (key characters) are not traced
    shingle: int = 10  # a shared run of this many canonical characters always makes a candidate
    fingerprint_cap: int = 64  # items kept per fingerprint; beyond it, the fingerprint is boilerplate's
    candidates: int = 24  # char candidates per item, most shared fingerprints first
    semantic_k: int = 6  # vector candidates per item
    boilerplate_share: float = 0.6  # copies in this share of the documents looked at: boilerplate
    boilerplate_min_docs: int = 5  # ... and in at least this many documents


# --- the records -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Occurrence:
    """One copy of an item somewhere in the index, seen from the item whose lineage is shown."""

    doc_id: str
    item_id: str
    label: str
    text: str
    year: int | None
    date: str | None
    region: str | None
    issuer: str | None
    level: LineageLevel  # how it stands to the item whose lineage this is
    similarity: float  # char similarity of the keys (reworded: centred cosine), 0..1
    relation: Relation  # its time against that item's document's
    when: str = ""  # as a reader dates it: the stated day, else the year as year_label gives it (2024, 201X, ?)
    direct: bool = True  # False: no copy of the item itself, reached through the chain (its level is the link's)


@dataclass
class ItemLineage:
    doc_id: str
    item_id: str
    label: str
    text: str
    path: tuple[str, ...]
    year: int | None
    date: str | None
    occurrences: list[Occurrence] = field(default_factory=list)  # every copy, in time order
    earliest: Occurrence | None = None  # earliest copy in this corpus; None: this item is (one of) the earliest
    same_period_as_earliest: list[Occurrence] = field(default_factory=list)  # cannot be ordered against it
    parent: Occurrence | None = None  # the earlier copy closest to this item
    chain: list[Occurrence] = field(default_factory=list)  # parent, its parent, ... back to the earliest
    boilerplate: bool = False  # in most documents: no parent, no edge
    documents: int = 1  # documents holding a copy, this one included
    traced: bool = True  # False: too short to trace (各位代表！)


@dataclass
class DocumentLineage:
    doc: Document
    items: list[ItemLineage]
    seconds: float = 0.0
    compared_documents: int = 0  # documents the copies were looked for in (after filters)
    filters: Filters | None = None  # the documents the copies were looked for in

    @property
    def parents(self) -> list[tuple[str, int]]:
        """The documents this one's items were copied from (their parents), most items first."""
        return Counter(il.parent.doc_id for il in self.items if il.parent is not None).most_common()

    @property
    def copied_items(self) -> int:
        """Items with an earlier copy in the corpus."""
        return sum(1 for il in self.items if il.parent is not None)


@dataclass
class CorpusLineage:
    """Every item's parent and earliest copy, by item id (`index` rows in `rows`)."""

    parent: dict[str, str | None]
    earliest: dict[str, str]  # the item itself when nothing is earlier
    same_period: dict[str, tuple[str, ...]]  # parentless items: their copies of the same period
    level: dict[str, str]  # the level of each item's link to its parent
    groups: list[list[str]]  # copies of one measure (connected), boilerplate left out
    boilerplate: set[str]  # items left out as boilerplate
    boilerplate_groups: int = 0  # measures those items are copies of
    chars: dict[str, int] = field(default_factory=dict)  # key characters of each item (edges weigh by them)
    seconds: float = 0.0


@dataclass
class DiffusionEdge:
    source: str
    target: str
    items: int = 0
    chars: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    same_period: bool = False  # undirected: the two could not be ordered in time
    median_lag: float | None = None  # years from the parent's document to the copy's

    @property
    def is_self(self) -> bool:
        return self.source == self.target


@dataclass
class IssuerRole:
    node: str
    first_seen_copied: int = 0  # items earliest here and copied by others
    taken: int = 0  # items whose parent is in another node
    carried: int = 0  # items whose parent is in this node's own earlier documents
    top_sources: list[tuple[str, int]] = field(default_factory=list)
    top_followers: list[tuple[str, int]] = field(default_factory=list)
    median_lag: float | None = None


@dataclass
class DiffusionGraph:
    by: str
    nodes: list[str]
    node_year: dict[str, int | None]
    edges: list[DiffusionEdge]  # heaviest first
    roles: list[IssuerRole]
    boilerplate_groups: int = 0
    documents: int = 0
    seconds: float = 0.0
    filters: Filters | None = None  # the documents the copies were looked for in


# --- time ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _When:
    lo: int | None
    hi: int | None
    date: str | None

    @classmethod
    def of(cls, doc: Document) -> "_When":
        b = year_bounds(doc)
        return cls(b[0], b[1], doc.date) if b else cls(None, None, doc.date)

    def order(self, other: "_When") -> int:
        """-1: certainly before `other`; 1: certainly after; 0: same period (cannot be told)."""
        if self.lo is None or other.lo is None:
            return 0
        if self.hi < other.lo:
            return -1
        if other.hi < self.lo:
            return 1
        if self.lo == self.hi == other.lo == other.hi and self.date and other.date and len(self.date) == len(other.date):
            return -1 if self.date < other.date else 1 if self.date > other.date else 0
        return 0

    def sort_key(self) -> tuple:
        return (self.lo if self.lo is not None else 9999, self.hi if self.hi is not None else 9999, self.date or "~")


def _relation(order: int) -> Relation:
    return "earlier" if order < 0 else "later" if order > 0 else "same-period"


# --- the table of keys, fingerprints and vectors -----------------------------------------------------

@dataclass
class _Table:
    plain: list[str]
    canon: list[str]
    fingerprints: FingerprintTable
    vectors: np.ndarray | None  # (items, dim) float16, centred on the mean item and unit length
    centre: np.ndarray | None = None  # the mean item the vectors are centred on (a file's items are centred alike)
    _crowded: dict = field(default_factory=dict)

    def crowded_hashes(self, cap: int) -> np.ndarray:
        """Fingerprints held by more than `cap` items (boilerplate's), sorted."""
        if cap not in self._crowded:
            fp = self.fingerprints
            if len(fp.hashes):  # the hashes are sorted: runs longer than cap
                starts = np.flatnonzero(np.r_[True, fp.hashes[1:] != fp.hashes[:-1]])
                counts = np.diff(np.r_[starts, len(fp.hashes)])
                self._crowded[cap] = fp.hashes[starts[counts > cap]]
            else:
                self._crowded[cap] = np.zeros(0, np.uint64)
        return self._crowded[cap]

    def traced(self, min_chars: int) -> np.ndarray:
        """Items long enough to trace (key characters), from the packed lengths when there are many."""
        if isinstance(self.plain, _Strings):
            ends = np.asarray(self.plain._ends)
            nbytes = np.diff(np.r_[0, ends])
            # a CJK character is 3 bytes in UTF-8: a key of >= min_chars characters has >= min_chars bytes;
            # only keys whose byte length is ambiguous are decoded
            out = nbytes >= 3 * min_chars
            for i in np.flatnonzero((nbytes >= min_chars) & ~out).tolist():
                out[i] = len(self.plain[i]) >= min_chars
            return out
        return np.array([len(k) >= min_chars for k in self.plain], bool)

    def item_vector(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[rows], dtype=np.float32)


def _pack(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    data = [s.encode("utf-8") for s in strings]
    ends = np.cumsum([len(b) for b in data], dtype=np.int64)
    return np.frombuffer(b"".join(data), np.uint8), ends


class _Strings:
    """Strings packed in one UTF-8 buffer, decoded one at a time when asked for: one document's
    lineage reads a few hundred of 10^5 keys, and decoding them all took half a second."""

    def __init__(self, blob: np.ndarray, ends: np.ndarray):
        self._raw = blob.tobytes()
        self._ends = ends.tolist()

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> str:
        return self._raw[self._ends[i - 1] if i else 0:self._ends[i]].decode("utf-8")

    def __add__(self, more: list[str]) -> list[str]:
        return [self[i] for i in range(len(self))] + list(more)


def _item_vectors(index, progress: Progress | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Each item's windows' mean vector, centred on the mean item and unit length (float16)."""
    n = len(index.item_doc)
    if not n:
        return None, None
    dim = int(index.meta.dim)
    out = np.zeros((n, dim), np.float32)
    if not hasattr(index, "window_item"):  # a store that reads windows by item (Milvus): a query per batch
        step = 1000
        for lo in range(0, n, step):
            rows = list(range(lo, min(n, lo + step)))
            index.preload(rows)
            for r in rows:
                wins, _spans = index.item_windows(r)
                if len(wins):
                    out[r] = np.asarray(index.window_vectors(wins), np.float32).sum(axis=0)
            if progress:
                progress(_("reading the item vectors (once per index)"), rows[-1] + 1, n)
        return _centred(out)
    owners = np.asarray(index.window_item)
    if not len(owners):
        return None, None
    step = 65536
    for lo in range(0, len(owners), step):
        hi = min(len(owners), lo + step)
        v = np.asarray(index.window_vectors(np.arange(lo, hi)), dtype=np.float32)
        own = owners[lo:hi]
        # windows are stored in item order: one reduceat per run of an item
        starts = np.flatnonzero(np.r_[True, own[1:] != own[:-1]])
        out[own[starts]] += np.add.reduceat(v, starts, axis=0)
        if progress:
            progress(_("reading the item vectors (once per index)"), hi, len(owners))
    return _centred(out)


def _centred(out: np.ndarray, centre: np.ndarray | None = None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Sums of window vectors -> unit item vectors, centred on the mean item (or `centre`), unit again
    (float16); with the centre used."""
    has = np.linalg.norm(out, axis=1) > 0
    if not has.any():
        return None, centre
    out[has] /= np.linalg.norm(out[has], axis=1, keepdims=True)
    if centre is None:
        centre = out[has].mean(axis=0)
    out[has] -= centre
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out /= np.where(norms > 0, norms, 1.0)
    return out.astype(np.float16), centre.astype(np.float32)


def lineage_table(index, settings: "LineageSettings", progress: Progress | None = None) -> _Table:
    """The index's keys, fingerprints and item vectors, read from `user_home()/lineage/` or built once
    (every item is read and canonicalised: ~30 s per 10^5 items) and kept there."""
    st = settings
    key = f"{index.meta.fingerprint[:40]}-{st.shingle}-v{TABLE_VERSION}"
    folder = user_home() / "lineage"
    path = folder / f"{key}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                vectors = z["vectors"] if z["vectors"].ndim == 2 else None
                table = _Table(_Strings(z["plain"], z["plain_ends"]), _Strings(z["canon"], z["canon_ends"]),
                               FingerprintTable(st.shingle, z["hashes"], z["rows"]), vectors,
                               z["centre"] if vectors is not None else None)
            if len(table.plain) == len(index.item_doc):
                os.utime(path)
                return table
        except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError):
            pass  # unreadable: built again below
    n = len(index.item_doc)
    plain: list[str] = []
    canon: list[str] = []
    step = 2000
    for lo in range(0, n, step):
        for it in index_items(index, range(lo, min(n, lo + step))):
            norm = it.norm or normalise(it.text)
            plain.append(verbatim_key_text(norm))
            canon.append(canonical_key_text(norm))
        if progress:
            progress(_("reading every item's words (once per index)"), min(n, lo + step), n)
    table = _Table(plain, canon, FingerprintTable.build(canon, st.shingle), *_item_vectors(index, progress))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        pb, pe = _pack(plain)
        cb, ce = _pack(canon)
        with open(tmp, "wb") as f:
            np.savez(f, plain=pb, plain_ends=pe, canon=cb, canon_ends=ce, hashes=table.fingerprints.hashes,
                     rows=table.fingerprints.rows,
                     vectors=table.vectors if table.vectors is not None else np.zeros(0, np.float16),
                     centre=table.centre if table.centre is not None else np.zeros(0, np.float32))
        os.replace(tmp, path)
        for p in sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)[4:]:
            p.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home: built again next time
    return table


# --- matching ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Match:
    row: int
    level: str
    similarity: float  # shown: the level's own measure
    closeness: float = 0.0  # for choosing a parent: plain + canonical similarity (char levels)

    @property
    def strength(self) -> tuple:
        """How close a copy is, for choosing a parent: a copy in characters before one in meaning, then
        the plain and canonical keys together: synonym swaps vanish from the canonical keys, and a copy
        inherits its parent's swaps, so the plain keys tell a parent from its other copies."""
        return (self.level in _CHAR_LEVELS, self.closeness or self.similarity)


class _Matcher:
    """Finds, for item rows, their best copy in each other document (allowed by the filters)."""

    def __init__(self, index, table: _Table, allowed_docs: np.ndarray, st: LineageSettings,
                 item_doc: np.ndarray | None = None, extra_windows: dict[int, np.ndarray] | None = None):
        self.index, self.t, self.st = index, table, st
        # a file's items follow the index's rows (item_doc, the table and the windows extended for them)
        self.item_doc = np.asarray(index.item_doc) if item_doc is None else item_doc
        self.extra_windows = extra_windows or {}
        self.allowed_rows = allowed_docs[self.item_doc] if len(self.item_doc) else np.zeros(0, bool)
        self.traced = table.traced(st.min_chars)
        self.cache: dict[int, list[_Match]] = {}
        self.crowded: dict[int, bool] = {}  # fingerprints mostly beyond the cap: boilerplate
        self._crowded_hashes = table.crowded_hashes(st.fingerprint_cap)
        self._allowed_vectors = None
        self._flat = None
        self.many_queries = False  # corpus_lineage: every item asks
        if table.vectors is not None:
            self._vec_rows = np.flatnonzero(self.allowed_rows & self.traced)
            self._allowed_vectors = np.asarray(table.vectors[self._vec_rows], dtype=np.float32)

    def score(self, a: int, b: int) -> _Match | None:
        pa, pb = self.t.plain[a], self.t.plain[b]
        if not pa or not pb:
            return None
        if pa == pb:
            return _Match(b, "verbatim", 1.0, 2.0)
        st = self.st
        ps = Indel.normalized_similarity(pa, pb, score_cutoff=0.0)
        cs = Indel.normalized_similarity(self.t.canon[a], self.t.canon[b], score_cutoff=0.0)
        if ps >= st.edited_min:
            return _Match(b, "disguised" if cs - ps >= st.disguised_gain else "edited", round(max(ps, cs), 4), ps + cs)
        if cs >= st.edited_min:
            return _Match(b, "disguised", round(cs, 4), ps + cs)
        if self.t.vectors is not None:
            cos = float(np.dot(self.t.vectors[a].astype(np.float32), self.t.vectors[b].astype(np.float32)))
            if cos >= st.reworded_min and self._sentences_partnered(a, b):
                return _Match(b, "reworded", round(cos, 4))
        return None

    def _window_vectors(self, row: int) -> np.ndarray:
        if row in self.extra_windows:
            return self.extra_windows[row]
        wins, _spans = self.index.item_windows(row)
        v = np.asarray(self.index.window_vectors(wins), dtype=np.float32) if len(wins) else np.zeros((0, 1), np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)

    def _sentences_partnered(self, a: int, b: int) -> bool:
        """A reworded copy says the same things sentence by sentence: most sentence windows of each side
        have a partner on the other side as close as check's paraphrase level asks (an item on the same
        topic, new content, does not; compare's `rewritten` rule, both ways)."""
        va, vb = self._window_vectors(a), self._window_vectors(b)
        if not len(va) or not len(vb) or va.shape[1] != vb.shape[1]:
            return False
        sims = va @ vb.T
        need = self.st.reworded_window_cos
        return bool((sims.max(axis=1) >= need).mean() >= self.st.reworded_share
                    and (sims.max(axis=0) >= need).mean() >= self.st.reworded_share)

    def _char_candidates(self, row: int) -> list[int]:
        st = self.st
        fp, _k = fingerprint(self.t.canon[row], st.shingle)
        hashes = np.unique(fp.hashes)
        if not len(hashes):
            self.crowded[row] = False
            return []
        crowded = np.isin(hashes, self._crowded_hashes, assume_unique=True)
        self.crowded[row] = bool(crowded.mean() >= 0.5)
        rows = self.t.fingerprints.lookup(hashes[~crowded], st.fingerprint_cap)
        if not len(rows):
            return []
        rows = rows[self.allowed_rows[rows] & (self.item_doc[rows] != self.item_doc[row])]
        uniq, cnt = np.unique(rows, return_counts=True)
        order = np.lexsort((uniq, -cnt))[:st.candidates]
        return uniq[order].tolist()

    def _semantic_candidates(self, rows: Sequence[int]) -> dict[int, list[int]]:
        if self._allowed_vectors is None or not len(self._vec_rows) or self.st.semantic_k <= 0:
            return {}
        rows = [r for r in rows if r < len(self.t.vectors)]
        if not rows:
            return {}
        if self._flat is None:
            self._flat = self._vector_index()
        k = min(self.st.semantic_k + 8, len(self._vec_rows))  # room for copies in the item's own document
        sims, idx = self._flat.search(np.ascontiguousarray(self.t.item_vector(np.asarray(rows))), k)
        out = {}
        for i, r in enumerate(rows):
            keep = [int(self._vec_rows[j]) for j, sim in zip(idx[i].tolist(), sims[i].tolist())
                    if j >= 0 and sim >= self.st.reworded_min and self.item_doc[self._vec_rows[j]] != self.item_doc[r]]
            out[r] = keep[:self.st.semantic_k]
        return out

    def _vector_index(self):
        """FAISS over the allowed items' vectors (it scans in blocks: no rows x items matrix in memory).
        Exact for one document's items; for the whole corpus (many queries) an inverted file, which
        reads ~1 % of the vectors per query: a copy's vector sits in its original's cell or the next
        (at 10^5 items the exact scan was 77 % of the whole graph's time)."""
        import faiss

        data = self._allowed_vectors
        dim = data.shape[1]
        if not self.many_queries or len(data) < 20000:
            flat = faiss.IndexFlatIP(dim)
            flat.add(data)
            return flat
        nlist = int(4 * np.sqrt(len(data)))
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = data[np.random.default_rng(0).choice(len(data), min(len(data), nlist * 40), replace=False)]
        ivf.train(sample)
        ivf.add(data)
        ivf.nprobe = 16
        return ivf

    def matches(self, rows: Iterable[int]) -> dict[int, list[_Match]]:
        """Each row's best copy per other document, strongest first (cached)."""
        rows = [int(r) for r in rows]
        todo = [r for r in rows if r not in self.cache]
        todo_traced = [r for r in todo if self.traced[r]]
        for r in todo:
            if not self.traced[r]:
                self.cache[r] = []
                self.crowded[r] = False
        step = 2048
        for lo in range(0, len(todo_traced), step):
            part = todo_traced[lo:lo + step]
            sem = self._semantic_candidates(part)
            for r in part:
                best: dict[int, _Match] = {}
                for c in dict.fromkeys(self._char_candidates(r) + sem.get(r, [])):
                    if not self.traced[c]:
                        continue
                    m = self.score(r, c)
                    if m is None:
                        continue
                    d = int(self.item_doc[c])
                    if d not in best or m.strength > best[d].strength:
                        best[d] = m
                self.cache[r] = sorted(best.values(), key=lambda m: (not (m.level in _CHAR_LEVELS), -m.similarity, m.row))
        return {r: self.cache[r] for r in rows}


# --- one document ---------------------------------------------------------------------------------

def _allowed(index, filters: Filters | None) -> np.ndarray:
    f = filters or Filters()
    return np.array([f.accepts(d) for d in index.documents], bool)


def _filters(years, region, filters: Filters | None) -> Filters | None:
    if filters is not None:
        return filters if filters.active() else None  # an empty Filters is no filter (and says none)
    if years is None and region is None:
        return None
    return Filters(years=years, region=region)


class _Tracer:
    """Parents, chains and earliest copies over a matcher, with documents' times."""

    def __init__(self, index, matcher: _Matcher, st: LineageSettings, n_allowed_docs: int,
                 documents: Sequence[Document] | None = None):
        self.index, self.m, self.st = index, matcher, st
        self.documents = list(index.documents) if documents is None else list(documents)
        self.when = [_When.of(d) for d in self.documents]
        self.item_doc = matcher.item_doc
        self.spread_min = max(st.boilerplate_min_docs, int(np.ceil(st.boilerplate_share * n_allowed_docs)))

    def order(self, a: int, b: int) -> int:
        return self.when[int(self.item_doc[a])].order(self.when[int(self.item_doc[b])])

    def is_boilerplate(self, row: int) -> bool:
        ms = self.m.matches([row])[row]
        return self.m.crowded.get(row, False) or len(ms) + 1 >= self.spread_min

    def parent(self, row: int) -> _Match | None:
        if self.is_boilerplate(row):
            return None
        earlier = [m for m in self.m.matches([row])[row] if self.order(m.row, row) < 0]
        if not earlier:
            return None
        return max(earlier, key=lambda m: (m.strength, self.when[int(self.item_doc[m.row])].sort_key(), -m.row))

    def chain(self, row: int, limit: int = 64) -> list[_Match]:
        out: list[_Match] = []
        seen = {row}
        p = self.parent(row)
        while p is not None and p.row not in seen and len(out) < limit:
            out.append(p)
            seen.add(p.row)
            p = self.parent(p.row)
        return out

    def earliest(self, row: int, chain: Sequence[int]) -> tuple[int | None, list[int]]:
        """(the earliest copy's row, or None when nothing is certainly earlier than `row`; the rows
        of the same period as it), among the row's copies and its chain (parent, its parent, … rows)."""
        pool = {m.row for m in self.m.matches([row])[row]} | set(chain)
        pool.discard(row)
        earlier = [r for r in pool if self.order(r, row) < 0]
        if not earlier:
            return None, sorted((r for r in pool if self.order(r, row) == 0), key=self._time_key)
        first = min(earlier, key=lambda r: (self._time_key(r), 0 if r in chain else 1))
        # prefer the chain's root among copies of one time
        root = chain[-1] if chain else None
        if root is not None and self.order(root, first) == 0 and self.order(root, row) < 0:
            first = root
        same = sorted((r for r in pool if r != first and self.order(r, first) == 0 and self.order(r, row) < 0),
                      key=self._time_key)
        return first, same

    def _time_key(self, r: int) -> tuple:
        d = int(self.item_doc[r])
        return (self.when[d].sort_key(), self.documents[d].doc_id, r)


def document_lineage(index, doc: str | Document, *, item: str | None = None, years: tuple[int, int] | None = None,
                     region: str | None = None, filters: Filters | None = None,
                     settings: LineageSettings = LineageSettings(), model: str | None = None,
                     progress: Progress | None = None) -> DocumentLineage:
    """The lineage of every item of a document (with `item`: of the item whose label, ordinal or id
    it names), its copies looked for in the documents of `index` the filters take. `doc`: the id of a
    document of the index, or a Document read from a file (a plan a journalist holds, not indexed: its
    items are matched the same way, its windows embedded through the caches with `model`, default the
    index's)."""
    t0 = time.perf_counter()
    st = settings
    f = _filters(years, region, filters)
    allowed = _allowed(index, f)
    table = lineage_table(index, st, progress)
    documents = list(index.documents)
    if isinstance(doc, Document) and (held := indexed_as(doc, index)) is not None:
        doc = held  # the file is a document of the index: read as the index holds it
    if isinstance(doc, Document):
        full = doc
        d_row = len(documents)
        documents.append(doc)
        n = len(table.plain)
        rows = np.arange(n, n + len(doc.items))
        table, extra = _with_file(table, doc, index, model, progress)
        item_doc = np.concatenate([np.asarray(index.item_doc), np.full(len(doc.items), d_row, np.asarray(index.item_doc).dtype)])
        allowed = np.append(allowed, True)
        matcher = _Matcher(index, table, allowed, st, item_doc=item_doc, extra_windows=extra)
        own_items = list(doc.items)
        compared = int(allowed.sum()) - 1
    else:
        found = find_document(documents, doc)
        d_row = [d.doc_id for d in documents].index(found.doc_id)
        full = index.document_with_items(d_row)
        rows = np.flatnonzero(np.asarray(index.item_doc) == d_row)
        compared = int(allowed.sum()) - (1 if allowed[d_row] else 0)
        allowed[d_row] = True
        matcher = _Matcher(index, table, allowed, st)
        own_items = index_items(index, rows.tolist())
    if item is not None:
        picked = _pick_item(full, rows, item)
        own_items = [own_items[int(np.flatnonzero(rows == picked[0])[0])]]
        rows = picked
    tracer = _Tracer(index, matcher, st, int(allowed.sum()), documents)
    lineages: list[ItemLineage] = []
    plans: list[tuple[int, list[_Match], list[_Match], int | None, list[int]]] = []
    needed: set[int] = set()
    matcher.matches(rows.tolist())  # one vector search for all the document's items
    for k, r in enumerate(rows.tolist()):
        ms = matcher.matches([r])[r]
        chain = tracer.chain(r)
        first, same = tracer.earliest(r, [m.row for m in chain]) if not tracer.is_boilerplate(r) else (None, [])
        plans.append((r, ms, chain, first, same))
        needed |= {m.row for m in ms} | {m.row for m in chain} | set(same) | ({first} if first is not None else set())
        if progress:
            progress(_("tracing the items"), k + 1, len(rows))
    texts = {it_row: it for it_row, it in zip(sorted(needed), index_items(index, sorted(needed)))}
    for (r, ms, chain, first, same), it in zip(plans, own_items):
        by_row: dict[int, _Match] = {m.row: m for m in ms}
        indirect: set[int] = set()
        for link in chain:  # chain copies the item does not match directly: measured against it
            if link.row not in by_row:
                direct = tracer.m.score(r, link.row)
                if direct is None:
                    indirect.add(link.row)
                by_row[link.row] = direct or _Match(link.row, link.level, _plain_similarity(table, r, link.row))
        occ_of_row = {row: _make_occurrence(index, texts[row], m, _relation(tracer.order(row, r)), row not in indirect)
                      for row, m in sorted(by_row.items(), key=lambda kv: tracer._time_key(kv[0]))}
        lineages.append(ItemLineage(
            doc_id=full.doc_id, item_id=it.item_id, label=it.label, text=it.text, path=it.path,
            year=_year(full), date=full.date, occurrences=list(occ_of_row.values()),
            earliest=occ_of_row[first] if first is not None else None,
            same_period_as_earliest=[occ_of_row[x] for x in same],
            parent=occ_of_row[chain[0].row] if chain else None, chain=[occ_of_row[m.row] for m in chain],
            boilerplate=tracer.is_boilerplate(r), documents=len(ms) + 1, traced=bool(matcher.traced[r])))
    return DocumentLineage(full, lineages, time.perf_counter() - t0, compared, f)


def _with_file(table: _Table, doc: Document, index, model: str | None, progress: Progress | None
               ) -> tuple[_Table, dict[int, np.ndarray]]:
    """The table extended by a file's items (after the index's rows), and their windows' vectors."""
    n = len(table.plain)
    norms = [it.norm or normalise(it.text) for it in doc.items]
    plain = table.plain + [verbatim_key_text(x) for x in norms]
    canon = table.canon + [canonical_key_text(x) for x in norms]
    vectors, extra = table.vectors, {}
    if table.vectors is not None and doc.items:
        wins = windows_of_items(doc.items)
        v = cached_embedder_vectors(wins.texts, model=model or index.meta.model, index_dir=index.location,
                                    progress=progress)
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
        sums = np.zeros((len(doc.items), v.shape[1]), np.float32)
        owners = np.asarray(wins.item_rows)
        for k in range(len(doc.items)):
            extra[n + k] = v[owners == k]
            sums[k] = v[owners == k].sum(axis=0)
        mine, _c = _centred(sums, table.centre)
        vectors = np.concatenate([table.vectors, mine if mine is not None else np.zeros_like(sums, np.float16)])
    return _Table(plain, canon, table.fingerprints, vectors, table.centre), extra


def _plain_similarity(table: _Table, a: int, b: int) -> float:
    return round(Indel.normalized_similarity(table.plain[a], table.plain[b]), 4)


def _make_occurrence(index, it, m: _Match, relation: Relation, direct: bool = True) -> Occurrence:
    d = index.documents[int(np.asarray(index.item_doc)[m.row])]
    return Occurrence(doc_id=d.doc_id, item_id=it.item_id, label=it.label, text=it.text, year=_year(d), date=d.date,
                      region=d.region, issuer=d.issuer, level=m.level, similarity=m.similarity, relation=relation,
                      when=d.date or year_label(d), direct=direct)


def _year(d: Document) -> int | None:
    b = year_bounds(d)
    return b[0] if b and b[0] == b[1] else (d.year or d.plan_year or d.review_year)


def _pick_item(doc: Document, rows: np.ndarray, ref: str) -> np.ndarray:
    """The row of the item `ref` names: its label as printed (三、 / (2) / 2), its ordinal (#5) or its id."""
    ref = ref.strip()
    for k, it in enumerate(doc.items):
        if ref in (it.item_id, f"#{it.ordinal}") or (it.label and ref in (it.label, it.label.strip("、.．()（）"))):
            return rows[k:k + 1]
    labels = ", ".join(it.label for it in doc.items if it.label)[:200]
    raise BadParameter("item", _("{ref!r} is no item of {doc} (its labels: {labels}; or #N for the N-th item)").format(
        ref=ref, doc=doc.doc_id, labels=labels or "-"))


# --- the whole corpus -------------------------------------------------------------------------------

def corpus_lineage(index, *, years: tuple[int, int] | None = None, region: str | None = None,
                   filters: Filters | None = None, settings: LineageSettings = LineageSettings(),
                   progress: Progress | None = None) -> CorpusLineage:
    """Every item's parent and earliest copy among the documents the filters take."""
    t0 = time.perf_counter()
    st = settings
    f = _filters(years, region, filters)
    allowed = _allowed(index, f)
    table = lineage_table(index, st, progress)
    matcher = _Matcher(index, table, allowed, st)
    matcher.many_queries = True
    tracer = _Tracer(index, matcher, st, int(allowed.sum()))
    rows = np.flatnonzero(matcher.allowed_rows & matcher.traced).tolist()
    step = 2048
    for lo in range(0, len(rows), step):
        matcher.matches(rows[lo:lo + step])
        if progress:
            progress(_("finding the copies of every item"), min(len(rows), lo + step), len(rows))
    # copies found from one side only (a candidate cap) are copies from both
    for r in rows:
        for m in list(matcher.cache[r]):
            back = matcher.cache.setdefault(m.row, [])
            if not any(x.row == r for x in back):
                d = int(matcher.item_doc[r])
                same_doc = [x for x in back if int(matcher.item_doc[x.row]) == d]
                mine = _Match(r, m.level, m.similarity, m.closeness)
                if not same_doc or mine.strength > same_doc[0].strength:
                    back[:] = [x for x in back if int(matcher.item_doc[x.row]) != d] + [mine]
    ids = _item_ids(index, rows)
    parent: dict[str, str | None] = {}
    level: dict[str, str] = {}
    earliest: dict[str, str] = {}
    same_period: dict[str, tuple[str, ...]] = {}
    boiler: set[str] = set()
    parent_row: dict[int, int | None] = {}
    for r in rows:
        if tracer.is_boilerplate(r):
            boiler.add(ids[r])
            parent_row[r] = None
            continue
        p = tracer.parent(r)
        parent_row[r] = p.row if p else None
        if p is not None:
            level[ids[r]] = p.level
    for r in rows:
        i = ids[r]
        p = parent_row[r]
        parent[i] = ids.get(p) if p is not None else None
        if i in boiler:
            earliest[i] = i
            continue
        chain = []
        seen = {r}
        while p is not None and p not in seen and len(chain) < 64:
            chain.append(p)
            seen.add(p)
            p = parent_row.get(p)
        first, same = tracer.earliest(r, chain)
        earliest[i] = ids.get(first, i) if first is not None else i
        if parent_row[r] is None:
            same_period[i] = tuple(ids[x] for x in same if x in ids and ids[x] not in boiler)
    groups = _groups(rows, matcher, ids, boiler)
    return CorpusLineage(parent, earliest, same_period, level, groups, boiler,
                         len(_groups(rows, matcher, ids, boiler, of_boilerplate=True)),
                         {ids[r]: len(table.plain[r]) for r in rows}, time.perf_counter() - t0)


def _item_ids(index, rows: Sequence[int]) -> dict[int, str]:
    """Item ids by row without reading the items: doc_id:ordinal (items are stored in document order)."""
    item_doc = np.asarray(index.item_doc)
    first = np.searchsorted(item_doc, np.arange(len(index.documents)), "left") if len(item_doc) and np.all(
        np.diff(item_doc) >= 0) else None
    if first is None:
        return {r: it.item_id for r, it in zip(rows, index_items(index, rows))}
    return {r: f"{index.documents[int(item_doc[r])].doc_id}:{r - int(first[int(item_doc[r])])}" for r in rows}


def _groups(rows: list[int], matcher: _Matcher, ids: dict[int, str], boiler: set[str],
            of_boilerplate: bool = False) -> list[list[str]]:
    """Copies of one measure, connected through their matches: of the items that are not boilerplate
    (or, `of_boilerplate`, of those that are)."""
    rows = [r for r in rows if (ids[r] in boiler) == of_boilerplate]
    parent = {r: r for r in rows}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in rows:
        for m in matcher.cache.get(r, []):
            if m.row in parent:
                a, b = find(r), find(m.row)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    members: dict[int, list[str]] = defaultdict(list)
    for r in rows:
        members[find(r)].append(ids[r])
    return [g for g in members.values() if len(g) > 1]


def _node_of(doc: Document, by: str) -> str:
    if by == "doc":
        return doc.doc_id
    if by == "region":
        return doc.region or _("(unknown region)")
    return doc.issuer or doc.region or _("(unknown issuer)")


def diffusion_graph(index, *, by: str = "issuer", years: tuple[int, int] | None = None, region: str | None = None,
                    filters: Filters | None = None, settings: LineageSettings = LineageSettings(),
                    lineage: CorpusLineage | None = None, progress: Progress | None = None) -> DiffusionGraph:
    """Who copies whom: A -> B when items of B have their parent in A (weighted by items and characters,
    split by level); parentless copies of the same period join their nodes undirected."""
    if by not in GRAPH_BY:
        raise BadParameter("by", _("is one of {choices}, not {value!r}").format(choices=", ".join(GRAPH_BY), value=by))
    t0 = time.perf_counter()
    f = _filters(years, region, filters)
    lin = lineage or corpus_lineage(index, filters=f, settings=settings, progress=progress)
    docs = {d.doc_id: d for d in index.documents}
    allowed = _allowed(index, f)

    def doc_of(item_id: str) -> Document:
        return docs[item_id.rpartition(":")[0]]

    edges: dict[tuple[str, str, bool], DiffusionEdge] = {}
    lags: dict[tuple[str, str, bool], list[float]] = defaultdict(list)
    when = {d.doc_id: _When.of(d) for d in index.documents}
    for item, par in lin.parent.items():
        if par is None:
            continue
        a, b = doc_of(par), doc_of(item)
        key = (_node_of(a, by), _node_of(b, by), False)
        e = edges.setdefault(key, DiffusionEdge(key[0], key[1]))
        e.items += 1
        e.chars += lin.chars[item]
        lv = lin.level.get(item, "edited")
        e.by_level[lv] = e.by_level.get(lv, 0) + 1
        wa, wb = when[a.doc_id], when[b.doc_id]
        if wa.lo is not None and wb.lo is not None and wa.lo == wa.hi and wb.lo == wb.hi:
            lags[key].append(float(wb.lo - wa.lo))  # a masked year (201X) gives no lag
    for item, same in lin.same_period.items():
        for other in same:
            if other < item:
                continue  # each pair once
            na, nb = sorted((_node_of(doc_of(item), by), _node_of(doc_of(other), by)))
            key = (na, nb, True)
            e = edges.setdefault(key, DiffusionEdge(na, nb, same_period=True))
            e.items += 1
            e.chars += lin.chars[item]
            lv = "edited"
            e.by_level[lv] = e.by_level.get(lv, 0) + 1
    for key, e in edges.items():
        e.median_lag = statistics.median(lags[key]) if lags.get(key) else None
    edge_list = sorted(edges.values(), key=lambda e: (-e.items, -e.chars, e.source, e.target, e.same_period))
    nodes = sorted({_node_of(d, by) for k, d in enumerate(index.documents) if allowed[k]})
    node_year: dict[str, int | None] = {}
    for k, d in enumerate(index.documents):
        if not allowed[k]:
            continue
        n, w = _node_of(d, by), when[d.doc_id]
        if w.lo is not None and (node_year.get(n) is None or w.lo < node_year[n]):
            node_year[n] = w.lo
        node_year.setdefault(n, None)
    roles = _roles(nodes, edge_list, lin, doc_of, by)
    return DiffusionGraph(by, nodes, node_year, edge_list, roles, boilerplate_groups=lin.boilerplate_groups,
                          documents=int(allowed.sum()), seconds=time.perf_counter() - t0, filters=f)


def _roles(nodes: list[str], edges: list[DiffusionEdge], lin: CorpusLineage, doc_of, by: str) -> list[IssuerRole]:
    roles = {n: IssuerRole(n) for n in nodes}
    sources: dict[str, Counter] = defaultdict(Counter)
    followers: dict[str, Counter] = defaultdict(Counter)
    lag_of: dict[str, list[float]] = defaultdict(list)
    for e in edges:
        if e.same_period:
            continue
        if e.is_self:
            roles.setdefault(e.target, IssuerRole(e.target)).carried += e.items
            continue
        roles.setdefault(e.target, IssuerRole(e.target)).taken += e.items
        sources[e.target][e.source] += e.items
        followers[e.source][e.target] += e.items
        if e.median_lag is not None:
            lag_of[e.target].extend([e.median_lag] * e.items)
    copied_from = {p for p in lin.parent.values() if p is not None}
    for item, par in lin.parent.items():
        if par is None and item in copied_from:
            # earliest here and copied: by another node, or only by the node's own later documents
            n = _node_of(doc_of(item), by)
            roles.setdefault(n, IssuerRole(n)).first_seen_copied += 1
    for n, r in roles.items():
        r.top_sources = sources[n].most_common(5)
        r.top_followers = followers[n].most_common(5)
        r.median_lag = statistics.median(lag_of[n]) if lag_of[n] else None
    return sorted(roles.values(), key=lambda r: (-(r.first_seen_copied + r.taken), r.node))


def write_graphml(graph: DiffusionGraph, path: str | os.PathLike) -> None:
    """The graph as GraphML (networkx writes it): a node per issuer/region/document with its first
    year and role counts, an edge per direction with items, characters, items per level, same_period
    and median_lag. Same-period pairs are written as two opposite edges flagged same_period."""
    import networkx as nx

    g = nx.MultiDiGraph(by=graph.by)
    roles = {r.node: r for r in graph.roles}
    for n in graph.nodes:
        r = roles.get(n, IssuerRole(n))
        g.add_node(n, label=n, first_year=graph.node_year.get(n) or 0, first_seen_copied=r.first_seen_copied,
                   taken=r.taken, carried=r.carried)
    for e in graph.edges:
        attrs = dict(items=e.items, chars=e.chars, same_period=e.same_period,
                     median_lag=float(e.median_lag) if e.median_lag is not None else -1.0,
                     **{f"items_{lv}": e.by_level.get(lv, 0) for lv in LEVELS})
        g.add_edge(e.source, e.target, **attrs)
        if e.same_period and not e.is_self:
            g.add_edge(e.target, e.source, **attrs)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    nx.write_graphml(g, tmp)
    os.replace(tmp, path)
