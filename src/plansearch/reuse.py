"""Copy-paste across a corpus: passages that recur verbatim or near-verbatim in several documents.

    report = find_reuse(docs, min_chars=30, across="years")
    report.clusters[0].locations      # every place the top passage stands, with original spans
    report.doc_shares                 # per document: how much of it stands elsewhere, and where

How it works (no all-pairs comparison):
1. Each document's headings and items (site furniture left out) become one `FingerprintText`:
   normalised, years/places masked, spaces and punctuation dropped, with offsets back to
   Document.text. Matching is therefore blind to 201X→202_, **区→XX区, line breaks and script.
2. Winnowing fingerprints of every document go into one inverted index (hash → postings). Only a
   hash held by two documents seeds a comparison of that pair, at that place. The window is set so
   that every verbatim run of `SEED_CHARS` (or `min_chars`, if smaller) characters gets a seed.
3. Seeds are verified and extended to maximal verbatim runs (`fingerprint.runs_from_seeds`).
4. Near-verbatim: runs of one document pair that follow each other on both sides with at most
   `MAX_GAP` characters between them on each side join into one passage (`fingerprint.chain_runs`);
   诚挚感谢 → 衷心感谢 is a 2-character gap, and a copied section whose line breaks, numbering or a
   word changed stays one passage instead of 40 sentence passages. A passage is kept when at least
   `min_chars` of its characters are verbatim (gaps do not count).
5. Clusters: every kept passage links its span in one document to its span in the other. Spans of
   one document that mostly coincide (overlap ≥ half of the longer one) are the same passage, so a
   sentence copied through 2023 → 2024 → 2025 is one cluster of three documents. A short phrase
   inside a long copied section does not merge into it (it overlaps little of the longer span):
   boilerplate stays its own cluster rather than dragging copies together.
6. Ranking: score = chars × n_docs × log((N + 1) / n_docs), with chars the median location length
   and N the number of documents: length times spread, weighted by an idf-like rarity, so a phrase
   in every document (以…为指导, 全面贯彻党的教育方针) scores about its length alone while a long
   passage two documents share scores high. `max_spread` drops clusters in more documents outright.
"""
from __future__ import annotations

import bisect
import hashlib
import math
import pickle
import statistics
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from .fingerprint import (
    FingerprintText,
    RunChain,
    chain_runs,
    fingerprint,
    runs_from_seeds,
)
from .chunk import sentence_bounds
from .corpus import find_document
from .metadata import is_earlier, year_bounds
from .i18n import N_, _, either
from .models import BadParameter, Document, Passage, ReuseCluster
from .normalise import union_spans

Across = Literal["any", "years", "regions", "levels"]
# what each --across choice is called where a reader meets it (the terminal report, the web page)
ACROSS_LABELS = {"any": N_("everywhere"), "years": N_("across years"), "regions": N_("across regions"),
                 "levels": N_("across levels")}

SEED_CHARS = 16  # every verbatim run this long is seen; shorter ones only help bridge gaps
MAX_GAP = 8  # characters of edit allowed between two runs of one near-verbatim passage
SAME_PASSAGE_OVERLAP = 0.5  # two spans of one document are one passage above this overlap
TOP_SOURCES = 3
# A hash held by more documents than this pairs each with a few representatives, not with each
# other (boilerplate in thousands of plans made the pairs, and the memory, grow with the square).
PAIR_CAP = 32
MAX_REPRESENTATIVES = 8
TEXTS_KEPT = 4096  # fingerprint texts kept while the pairs are compared
# Above this many items an index's whole report is a long job (5.4 M document pairs, hours, on the
# 10^6-item bench corpus): `reuse_in_index(doc=…)` then compares the document with every other
# holder of its fingerprints instead of computing the whole report to read the document's part.
WHOLE_REPORT_MAX_ITEMS = 200_000


@dataclass
class SourceShare:
    """How much of a document stands in one other document."""

    doc_id: str
    share: float  # of the document's matching characters, 0..1
    earlier: bool  # the source is of an earlier year


@dataclass
class DocShare:
    """How much of one document is found elsewhere in the corpus, and where."""

    doc_id: str
    chars: int  # matching characters of the document (headings and items)
    share_any: float  # found in any other document
    share_earlier: float  # found in a document certainly of an earlier year (metadata.is_earlier:
    # 201X is earlier than 202_ and than 2021; an unknown year is earlier than nothing)
    sources: list[SourceShare] = field(default_factory=list)  # largest first, at most TOP_SOURCES


@dataclass
class ReuseReport:
    clusters: list[ReuseCluster]  # best first
    doc_shares: list[DocShare]  # in corpus order
    n_docs: int  # documents compared
    min_chars: int
    across: str

    def touching(self, doc_id: str) -> "ReuseReport":
        """Only the passages found in this document, and only its share (`find_reuse(doc=…)`
        without recomputing: the web app keeps one corpus-wide report and asks it per document)."""
        return ReuseReport(clusters=[c for c in self.clusters if any(p.doc_id == doc_id for p in c.locations)],
                           doc_shares=[s for s in self.doc_shares if s.doc_id == doc_id],
                           n_docs=self.n_docs, min_chars=self.min_chars, across=self.across)

    def narrowed(self, doc: str | None = None, min_docs: int = 2, max_spread: int | None = None) -> "ReuseReport":
        """The passages of at least `min_docs` documents (and at most `max_spread`), touching `doc`
        when given: what a whole report, computed or kept, answers without computing again."""
        report = self.touching(doc) if doc is not None else self
        return replace(report, clusters=[c for c in report.clusters if c.n_docs >= min_docs
                                         and (max_spread is None or c.n_docs <= max_spread)])


@dataclass(frozen=True)
class _PairPassage:
    """A kept near-verbatim passage between documents i < j."""

    i: int
    j: int
    chain: RunChain


def check_settings(*, min_chars: int = 30, across: str = "any", min_docs: int = 2,
                   max_spread: int | None = None) -> None:
    """Refuse settings find_reuse cannot use (BadParameter naming the parameter): the one place
    these rules live, so a front end can check them before it loads anything."""
    if across not in ("any", "years", "regions", "levels"):
        raise BadParameter("across", _("takes {choices}, not {value!r}").format(choices=either(["any", "years", "regions", "levels"]), value=across))
    if min_chars < 1:
        raise BadParameter("min_chars", _("must be at least {n}, not {value}").format(n=1, value=min_chars))
    if min_docs < 2:
        raise BadParameter("min_docs", _("must be at least {n}, not {value}").format(n=2, value=min_docs))
    if max_spread is not None and max_spread < min_docs:
        raise BadParameter("max_spread", _("must be at least the minimum documents ({n}), not {value}").format(n=min_docs, value=max_spread))


def find_reuse(docs: list[Document], *, min_chars: int = 30, across: Across = "any",
               doc: str | None = None, min_docs: int = 2, max_spread: int | None = None,
               seeds: "SeedTable | None" = None,
               progress: Callable[[str, int, int], None] | None = None) -> ReuseReport:
    """Passages of at least `min_chars` verbatim characters found in `min_docs` or more documents.

    across: "years" keeps only what documents of different years share (an unknown year counts
    as different), "regions" likewise for regions, "levels" for administrative levels, "any" everything. doc: only clusters touching
    this document id (and only its share). max_spread: drop clusters found in more documents.
    seeds: the documents' fingerprint pass, when it is kept (`reuse_in_index`); progress(stage,
    done, total) hears of the fingerprint and comparison passes."""
    check_settings(min_chars=min_chars, across=across, min_docs=min_docs, max_spread=max_spread)
    if doc is not None:
        find_document(docs, doc)  # unknown id: error with the closest ids
    report = _whole_report(docs, min_chars, across, seeds, progress)
    return report.narrowed(doc=doc, min_docs=min_docs, max_spread=max_spread)


def _whole_report(docs: list[Document], min_chars: int, across: str, seeds: "SeedTable | None",
                  progress: Callable[[str, int, int], None] | None, doc: str | None = None,
                  read: DocumentReader | None = None) -> ReuseReport:
    """The report over every pair of documents that share a seed or, with `doc`, over the pairs of
    that document and every other (then the cost is that document's, not the corpus's). `read`:
    where the documents' text and items come from when `docs` holds their metadata only."""
    seed_len = min(SEED_CHARS, min_chars)
    if seeds is None or seeds.seed_len != seed_len or seeds.n_docs != len(docs):
        seeds = SeedTable.build(docs, seed_len, progress, read)
    target = find_document(docs, doc) if doc else None
    only = next(n for n, d in enumerate(docs) if d is target) if target is not None else None
    texts = _Texts(docs, read=read)
    passages = _pair_passages(docs, texts, seeds, min_chars, across, progress, only)
    clusters = _clusters(docs, texts, passages)
    shares = _doc_shares(docs, seeds.chars, passages, only)
    return ReuseReport(clusters=clusters, doc_shares=shares, n_docs=len(docs), min_chars=min_chars, across=across)


def _fingerprint_text(doc: Document) -> FingerprintText:
    """The document's headings and items, in text order (junk such as nav menus left out)."""
    spans = [(h.start, h.end) for h in doc.headings] + [(it.start, it.end) for it in doc.items]
    merged = union_spans(spans, join_touching=False)  # touching pieces are normalised and masked apart
    return FingerprintText.from_spans(doc.text, merged or [(0, len(doc.text))])


# The n-th document with its text and items: the list's own, or read from an index for the time it
# is needed (a pass over every document of a 3·10^6-item index held them all: 12 GB)
DocumentReader = Callable[[int], Document]


class _Texts:
    """Documents' fingerprint texts (and the documents read for them), made when a comparison needs
    them and the most recent kept: held all at once they are tens of bytes a character (a 10^6-item
    corpus did not fit in 24 GB)."""

    def __init__(self, docs: list[Document], keep: int = TEXTS_KEPT, read: DocumentReader | None = None):
        self._read = read or docs.__getitem__
        self._kept: OrderedDict[int, tuple[FingerprintText, Document]] = OrderedDict()
        self._keep = keep

    def _get(self, n: int) -> tuple[FingerprintText, Document]:
        got = self._kept.get(n)
        if got is None:
            doc = self._read(n)
            got = self._kept[n] = (_fingerprint_text(doc), doc)
            if len(self._kept) > self._keep:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(n)
        return got

    def __getitem__(self, n: int) -> FingerprintText:
        return self._get(n)[0]

    def document(self, n: int) -> Document:
        return self._get(n)[1]


@dataclass
class SeedTable:
    """The fingerprint pass over a list of documents: every document's winnowed fingerprints, sorted
    by hash, and each document's length in fingerprint characters. It reads every character of the
    corpus (minutes at 10^6 items), so `reuse_in_index` keeps it per index."""

    hashes: np.ndarray  # uint64, ascending
    docs: np.ndarray  # int32: the document (its place in the list) of each hash
    positions: np.ndarray  # int32: where the k-gram starts in that document's fingerprint text
    chars: np.ndarray  # int64: each document's fingerprint-text length
    seed_len: int
    k: int

    @property
    def n_docs(self) -> int:
        return len(self.chars)

    @classmethod
    def build(cls, docs: list[Document], seed_len: int,
              progress: Callable[[str, int, int], None] | None = None,
              read: DocumentReader | None = None) -> "SeedTable":
        hashes, counts, positions, chars = [], [], [], []
        k = seed_len
        read = read or docs.__getitem__
        for n in range(len(docs)):
            text = _fingerprint_text(read(n))
            fp, k = fingerprint(text.text, seed_len)
            hashes.append(fp.hashes)
            counts.append(len(fp.hashes))
            positions.append(fp.positions.astype(np.int32))
            chars.append(len(text))
            if progress and (n % 200 == 199 or n == len(docs) - 1):
                progress(N_("fingerprinting the documents (once per index)"), n + 1, len(docs))
        if not hashes:
            empty = np.zeros(0, np.int32)
            return cls(np.zeros(0, np.uint64), empty, empty, np.zeros(0, np.int64), seed_len, k)
        # each list let go as soon as it is joined, and the owners made from the counts: 75 M
        # fingerprints at 3·10^6 items are 1.2 GB, and every copy of them held at once added to the peak
        all_h = np.concatenate(hashes)
        hashes.clear()
        order = np.argsort(all_h, kind="stable")
        all_h = all_h[order]
        owners = np.repeat(np.arange(len(counts), dtype=np.int32), counts)[order]
        all_pos = np.concatenate(positions)
        positions.clear()
        return cls(all_h, owners, all_pos[order], np.asarray(chars, np.int64), seed_len, k)

    def save(self, path: Path) -> None:
        with open(path, "wb") as f:
            np.savez(f, hashes=self.hashes, docs=self.docs, positions=self.positions, chars=self.chars,
                     sizes=np.array([self.seed_len, self.k]))

    @classmethod
    def load(cls, path: Path) -> "SeedTable":
        with np.load(path, allow_pickle=False) as z:
            seed_len, k = (int(x) for x in z["sizes"])
            return cls(z["hashes"], z["docs"], z["positions"], z["chars"], seed_len, k)


def _comparable(a: Document, b: Document, across: str) -> bool:
    if across == "years":
        return a.year is None or b.year is None or a.year != b.year
    if across == "regions":
        return a.region is None or b.region is None or a.region != b.region
    if across == "levels":  # a province copying the national report, a county its city
        return a.level is None or b.level is None or a.level != b.level
    return True


def _representatives(docs: list[Document], held: list[int], across: str) -> list[int]:
    """For a hash too many documents hold to pair them all: the documents the others are paired
    with. The earliest (by year) comes first, so what a document shares with the crowd is counted
    against a source that can have come before it; with `across`, the first of each other value too,
    so every document has one it may be compared with."""
    def when(n: int) -> tuple:
        b = year_bounds(docs[n])
        return (b is None, b[0] if b else 0, n)

    ordered = sorted(held, key=when)
    reps = [ordered[0]]
    if across != "any":
        seen = set()
        for n in ordered:
            value = {"years": docs[n].year, "regions": docs[n].region, "levels": docs[n].level}[across]
            if value not in seen:
                seen.add(value)
                if n not in reps:
                    reps.append(n)
            if len(reps) >= MAX_REPRESENTATIVES:
                break
    return reps


def _pair_passages(docs: list[Document], texts: _Texts, seeds: SeedTable, min_chars: int, across: str,
                   progress: Callable[[str, int, int], None] | None = None,
                   only: int | None = None) -> list[_PairPassage]:
    """Seeds from one inverted index over all documents' fingerprints, then runs and chains per
    document pair that has a seed. A hash held by up to PAIR_CAP documents pairs them all; one held
    by more (boilerplate: 以…为指导 in every plan) pairs each with a few representatives, so the
    pairs grow with the corpus, not with its square; the clusters still join every holder. `only`:
    the pairs of that document with each other holder of its hashes, and no other pair."""
    all_h, all_doc, all_pos = seeds.hashes, seeds.docs, seeds.positions
    if not len(all_h):
        return []
    # postings: runs of equal hashes; only those held by two or more documents matter
    if only is not None:  # the runs of the document's own hashes, found in the sorted table
        own = np.unique(all_h[all_doc == only])
        starts, stops = np.searchsorted(all_h, own, "left"), np.searchsorted(all_h, own, "right")
    else:
        bounds = np.flatnonzero(np.diff(all_h)) + 1
        starts = np.concatenate(([0], bounds))
        stops = np.concatenate((bounds, [len(all_h)]))
    multi = stops - starts > 1

    seeds_of: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    comparable: dict[tuple[int, int], bool] = {}

    def may_pair(di: int, dj: int) -> bool:
        key = (di, dj) if di < dj else (dj, di)
        ok = comparable.get(key)
        if ok is None:
            ok = comparable[key] = _comparable(docs[key[0]], docs[key[1]], across)
        return ok

    def pair(di: int, pi: int, dj: int, pj: int) -> None:
        if may_pair(di, dj):
            seeds_of[(di, dj) if di < dj else (dj, di)].append((pi, pj) if di < dj else (pj, pi))

    for s, e in zip(starts[multi].tolist(), stops[multi].tolist()):
        postings = list(zip(all_doc[s:e].tolist(), all_pos[s:e].tolist()))
        held = sorted({d for d, _ in postings})
        if len(held) < 2:
            continue
        if only is not None:
            mine = [p for d, p in postings if d == only]
            for dj, pj in postings:
                if dj != only:
                    for pi in mine:
                        pair(only, pi, dj, pj)
            continue
        if len(held) <= PAIR_CAP:
            for x in range(len(postings)):
                di, pi = postings[x]
                for y in range(x + 1, len(postings)):
                    dj, pj = postings[y]
                    if di != dj:
                        pair(di, pi, dj, pj)
            continue
        reps = _representatives(docs, held, across)
        at = {r: [p for d, p in postings if d == r] for r in reps}
        for dj, pj in postings:
            # a representative pairs with one listed before it, any other document with the first
            # representative it may be compared with
            candidates = reps[:reps.index(dj)] if dj in at else reps
            partner = next((r for r in candidates if may_pair(r, dj)), None)
            if partner is not None:
                for pi in at[partner]:
                    pair(partner, pi, dj, pj)

    out: list[_PairPassage] = []
    k, seed_len = seeds.k, seeds.seed_len
    pairs = sorted(seeds_of.items())
    for n, ((i, j), pair_seeds) in enumerate(pairs):
        runs = runs_from_seeds(texts[i], texts[j], pair_seeds, k, seed_len)
        for chain in chain_runs(runs, MAX_GAP):
            if chain.verbatim >= min_chars:
                out.append(_PairPassage(i, j, chain))
        if progress and (n % 500 == 499 or n == len(pairs) - 1):
            progress(N_("comparing the documents that share passages"), n + 1, len(pairs))
    return out


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _clusters(docs: list[Document], texts: _Texts,
              passages: list[_PairPassage]) -> list[ReuseCluster]:
    # nodes: (document, fingerprint start, stop); node 2n and 2n+1 are the two sides of passage n
    nodes: list[tuple[int, int, int]] = []
    for p in passages:
        nodes.append((p.i, p.chain.a_pos, p.chain.a_stop))
        nodes.append((p.j, p.chain.b_pos, p.chain.b_stop))
    uf = _UnionFind(len(nodes))
    for n in range(0, len(nodes), 2):
        uf.union(n, n + 1)
    by_doc: dict[int, list[int]] = defaultdict(list)
    for n, (d, _s, _e) in enumerate(nodes):
        by_doc[d].append(n)
    for members in by_doc.values():
        members.sort(key=lambda n: nodes[n][1])
        active: list[int] = []
        for n in members:
            _d, s, e = nodes[n]
            active = [m for m in active if nodes[m][2] > s]
            for m in active:
                overlap = min(e, nodes[m][2]) - s
                if overlap >= SAME_PASSAGE_OVERLAP * max(e - s, nodes[m][2] - nodes[m][1]):
                    uf.union(n, m)
            active.append(n)

    groups: dict[int, list[int]] = defaultdict(list)
    for n in range(len(nodes)):
        groups[uf.find(n)].append(n)
    n_total = len(docs)
    clusters = []
    for members in groups.values():
        spans_by_doc: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for n in members:
            d, s, e = nodes[n]
            spans_by_doc[d].append((s, e))
        locations: list[tuple[int, int, int]] = []  # (doc, start, stop) in fingerprint positions
        for d in sorted(spans_by_doc):
            for s, e in union_spans(spans_by_doc[d]):
                locations.append((d, s, e))
        n_docs = len(spans_by_doc)
        chars = int(statistics.median(e - s for _, s, e in locations))
        score = chars * n_docs * math.log((n_total + 1) / n_docs)
        passages_out = [_passage(texts.document(d), texts[d], s, e) for d, s, e in locations]
        rep = min(range(len(locations)), key=lambda x: abs((locations[x][2] - locations[x][1]) - chars))
        clusters.append(ReuseCluster(text=passages_out[rep].text, locations=passages_out, n_docs=n_docs,
                                     score=score, chars=chars, rep=rep))
    order = {d.doc_id: n for n, d in enumerate(docs)}
    clusters.sort(key=lambda c: (-c.score, -c.chars, order[c.locations[0].doc_id], c.locations[0].start))
    return clusters


def _passage(doc: Document, text: FingerprintText, pos: int, stop: int) -> Passage:
    start, end = text.source_span(pos, stop)
    item_starts = [it.start for it in doc.items]
    first = max(0, bisect.bisect_right(item_starts, start) - 1)
    ordinals = tuple(it.ordinal for it in doc.items[first:] if it.start < end and it.end > start)
    # its whole sentences, inside the items it stands in (a sentence never runs on into a heading)
    lo, hi = (doc.items[ordinals[0]].start, doc.items[ordinals[-1]].end) if ordinals else (start, end)
    s_start, s_end = sentence_bounds(doc.text, start, end, min(lo, start), max(hi, end))
    return Passage(doc_id=doc.doc_id, item_ordinal=ordinals[0] if ordinals else None, start=start, end=end,
                   text=doc.text[start:end], item_ordinals=ordinals, sentence_start=s_start, sentence_end=s_end)


def _doc_shares(docs: list[Document], chars: np.ndarray, passages: list[_PairPassage],
                only: int | None = None) -> list[DocShare]:
    """Verbatim coverage (runs, not the gaps between them) of each document by the others (with
    `only`, of that document alone). `chars`: each document's fingerprint-text length."""
    spans: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)  # (doc, source) -> spans
    for p in passages:
        for r in p.chain.runs:
            spans[(p.i, p.j)].append((r.a_pos, r.a_stop))
            spans[(p.j, p.i)].append((r.b_pos, r.b_stop))
    per_doc: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(dict)
    for (d, src), s in spans.items():
        per_doc[d][src] = union_spans(s)

    out = []
    for d, doc in enumerate(docs):
        if only is not None and d != only:
            continue
        n_chars = int(chars[d])
        sources = per_doc.get(d, {})

        def share(source_ids) -> float:
            covered = union_spans([span for src in source_ids for span in sources[src]])
            return sum(e - s for s, e in covered) / n_chars if n_chars else 0.0

        earlier = [src for src in sources if is_earlier(docs[src], doc)]
        ranked = sorted(((share([src]), src) for src in sources), key=lambda x: (-x[0], x[1]))
        out.append(DocShare(
            doc_id=doc.doc_id, chars=n_chars, share_any=share(list(sources)), share_earlier=share(earlier),
            sources=[SourceShare(docs[src].doc_id, sh, is_earlier(docs[src], doc))
                     for sh, src in ranked[:TOP_SOURCES]]))
    return out


# --- an index's reuse, kept ----------------------------------------------------------------------

REPORT_VERSION = 1  # bump when what a kept report holds, or how it is computed, changes
KEPT = 4  # reports (and fingerprint passes) kept in user_home()/reuse, newest first
DOCUMENT_REPORTS_KEPT = 32  # one document's reports (a large index's `reuse --doc`), a few MB each


def reuse_in_index(index, *, min_chars: int = 30, across: Across = "any", level: str | None = None,
                   doc: str | None = None, min_docs: int = 2, max_spread: int | None = None,
                   documents: list[Document] | Callable[[], list[Document]] | None = None,
                   only_kept: bool = False,
                   progress: Callable[[str, int, int], None] | None = None,
                   read_lock: AbstractContextManager | None = None
                   ) -> tuple[ReuseReport | None, list[Document]]:
    """`find_reuse` over the documents of an open index (of one administrative `level`, if given),
    with its documents. The whole report for (min_chars, across, level) is kept per index (by its
    corpus fingerprint) in user_home()/reuse, and so is the fingerprint pass it rests on (minutes at
    10^6 items, once). With `doc`, the whole report's passages of that document; on an index of
    more than WHOLE_REPORT_MAX_ITEMS items with no whole report kept, that document compared with
    every other holder of its fingerprints (its own partners, not the corpus's pairs; a passage
    reaches the documents it shares with this one, not those only linked through a third), kept
    too, so that the second call reads it instead of the corpus.
    `documents`: the index's documents (or what gives them) when the caller keeps them (the web
    app reads them once, under its lock, then computes without holding it). Otherwise the documents
    come back as metadata, and a computation reads each one's text and items when it needs them and
    lets them go (held all at once they were 12 GB at 3·10^6 items): `show_documents` fills in those
    a caller shows. `read_lock`: held around each read of the index (the web app's lock). `only_kept`:
    the kept whole report, or None when there is none (nothing is computed)."""
    from .search import Filters
    from .store import keep_file, read_kept, user_home

    check_settings(min_chars=min_chars, across=across, min_docs=min_docs, max_spread=max_spread)
    keep = Filters(level=level) if level is not None else None  # an unknown level fails here
    folder = user_home() / "reuse"
    slice_key = f"{index.meta.fingerprint[:40]}-{keep.level if keep else 'all'}"  # the corpus and the slice
    report_path = folder / f"{slice_key}-{min_chars}-{across}-v{REPORT_VERSION}.pickle"
    report = read_kept(report_path, lambda p: pickle.loads(p.read_bytes()))
    if only_kept and not isinstance(report, ReuseReport):
        return None, []  # known before the documents are read (minutes at 10^6 items)
    # a large index with no whole report: the document's own comparison (minutes at 3·10^6 items),
    # kept beside the whole reports under its own suffix, so that looking at documents one after
    # another does not push the whole reports out
    one_document = (doc is not None and not isinstance(report, ReuseReport)
                    and len(index.item_doc) > WHOLE_REPORT_MAX_ITEMS)
    if one_document:
        doc_key = hashlib.sha1(doc.encode()).hexdigest()[:16]
        report_path = folder / f"{slice_key}-{min_chars}-{across}-v{REPORT_VERSION}-{doc_key}.doc-report"
        report = read_kept(report_path, lambda p: pickle.loads(p.read_bytes()))
    # the caller's documents hold their text and items; the index's are metadata, whose text and
    # items are read one at a time while a report is computed, and let go (show_documents fills in
    # those a caller shows)
    found = index.documents if documents is None else documents() if callable(documents) else documents
    rows = [n for n, d in enumerate(found) if keep is None or keep.accepts(d)]
    docs = [found[n] for n in rows]

    def read(n: int) -> Document:
        with read_lock or nullcontext():
            return index.document_with_items(rows[n], keep=False)
    if doc is not None:
        find_document(docs, doc)
    if only_kept and report.n_docs != len(docs):
        return None, docs
    if not isinstance(report, ReuseReport) or report.n_docs != len(docs):
        seed_len = min(SEED_CHARS, min_chars)
        seeds_path = folder / f"{slice_key}-seeds{seed_len}-v{REPORT_VERSION}.npz"
        seeds = read_kept(seeds_path, SeedTable.load)
        if seeds is None or seeds.n_docs != len(docs) or seeds.seed_len != seed_len:
            seeds = SeedTable.build(docs, seed_len, progress, read if documents is None else None)
            keep_file(seeds_path, seeds.save, KEPT)
        report = _whole_report(docs, min_chars, across, seeds, progress, doc if one_document else None,
                               read if documents is None else None)
        keep_file(report_path, lambda p: p.write_bytes(pickle.dumps(report, protocol=5)),
                  DOCUMENT_REPORTS_KEPT if one_document else KEPT)
    return report.narrowed(doc=doc, min_docs=min_docs, max_spread=max_spread), docs


def show_documents(index, doc_ids) -> None:
    """Read the text and items of the documents `doc_ids`, for the passages a caller shows (their
    sentences, items and headings): the index fills its own Document objects in place, the ones
    reuse_in_index returned as metadata."""
    row = {d.doc_id: n for n, d in enumerate(index.documents)}
    for doc_id in dict.fromkeys(doc_ids):
        if doc_id in row:
            index.document_with_items(row[doc_id])
