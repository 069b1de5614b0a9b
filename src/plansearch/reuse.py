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
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
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
from .metadata import is_earlier
from .i18n import _, either
from .models import BadParameter, Document, Passage, ReuseCluster
from .normalise import union_spans

Across = Literal["any", "years", "regions", "levels"]

SEED_CHARS = 16  # every verbatim run this long is seen; shorter ones only help bridge gaps
MAX_GAP = 8  # characters of edit allowed between two runs of one near-verbatim passage
SAME_PASSAGE_OVERLAP = 0.5  # two spans of one document are one passage above this overlap
TOP_SOURCES = 3


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
               doc: str | None = None, min_docs: int = 2, max_spread: int | None = None) -> ReuseReport:
    """Passages of at least `min_chars` verbatim characters found in `min_docs` or more documents.

    across: "years" keeps only what documents of different years share (an unknown year counts
    as different), "regions" likewise for regions, "levels" for administrative levels, "any" everything. doc: only clusters touching
    this document id (and only its share). max_spread: drop clusters found in more documents."""
    check_settings(min_chars=min_chars, across=across, min_docs=min_docs, max_spread=max_spread)
    if doc is not None:
        find_document(docs, doc)  # unknown id: error with the closest ids

    texts = [_fingerprint_text(d) for d in docs]
    seed_len = min(SEED_CHARS, min_chars)
    passages = _pair_passages(docs, texts, seed_len, min_chars, across)
    clusters = _clusters(docs, texts, passages)
    clusters = [c for c in clusters if c.n_docs >= min_docs and (max_spread is None or c.n_docs <= max_spread)]
    shares = _doc_shares(docs, texts, passages)
    report = ReuseReport(clusters=clusters, doc_shares=shares, n_docs=len(docs), min_chars=min_chars,
                         across=across)
    return report.touching(doc) if doc is not None else report


def _fingerprint_text(doc: Document) -> FingerprintText:
    """The document's headings and items, in text order (junk such as nav menus left out)."""
    spans = [(h.start, h.end) for h in doc.headings] + [(it.start, it.end) for it in doc.items]
    merged = union_spans(spans, join_touching=False)  # touching pieces are normalised and masked apart
    return FingerprintText.from_spans(doc.text, merged or [(0, len(doc.text))])


def _comparable(a: Document, b: Document, across: str) -> bool:
    if across == "years":
        return a.year is None or b.year is None or a.year != b.year
    if across == "regions":
        return a.region is None or b.region is None or a.region != b.region
    if across == "levels":  # a province copying the national report, a county its city
        return a.level is None or b.level is None or a.level != b.level
    return True


def _pair_passages(docs: list[Document], texts: list[FingerprintText], seed_len: int, min_chars: int,
                   across: str) -> list[_PairPassage]:
    """Seeds from one inverted index over all documents' fingerprints, then runs and chains per
    document pair that has a seed."""
    hashes, owners, positions = [], [], []
    k = seed_len
    for n, t in enumerate(texts):
        fp, k = fingerprint(t.text, seed_len)
        hashes.append(fp.hashes)
        owners.append(np.full(len(fp.hashes), n, dtype=np.int64))
        positions.append(fp.positions)
    if not hashes:
        return []
    all_h = np.concatenate(hashes)
    all_doc = np.concatenate(owners)
    all_pos = np.concatenate(positions)
    order = np.argsort(all_h, kind="stable")
    all_h, all_doc, all_pos = all_h[order], all_doc[order], all_pos[order]
    # postings: runs of equal hashes; only those held by two or more documents matter
    bounds = np.flatnonzero(np.diff(all_h)) + 1
    starts = np.concatenate(([0], bounds))
    stops = np.concatenate((bounds, [len(all_h)]))
    multi = stops - starts > 1

    seeds: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    comparable: dict[tuple[int, int], bool] = {}
    doc_list, pos_list = all_doc.tolist(), all_pos.tolist()
    for s, e in zip(starts[multi].tolist(), stops[multi].tolist()):
        postings = list(zip(doc_list[s:e], pos_list[s:e]))
        if len({d for d, _ in postings}) < 2:
            continue
        for x in range(len(postings)):
            di, pi = postings[x]
            for y in range(x + 1, len(postings)):
                dj, pj = postings[y]
                if di == dj:
                    continue
                key, seed = ((di, dj), (pi, pj)) if di < dj else ((dj, di), (pj, pi))
                ok = comparable.get(key)
                if ok is None:
                    ok = comparable[key] = _comparable(docs[key[0]], docs[key[1]], across)
                if ok:
                    seeds[key].append(seed)

    out: list[_PairPassage] = []
    for (i, j), pair_seeds in sorted(seeds.items()):
        runs = runs_from_seeds(texts[i], texts[j], pair_seeds, k, seed_len)
        for chain in chain_runs(runs, MAX_GAP):
            if chain.verbatim >= min_chars:
                out.append(_PairPassage(i, j, chain))
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


def _clusters(docs: list[Document], texts: list[FingerprintText],
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
        passages_out = [_passage(docs[d], texts[d], s, e) for d, s, e in locations]
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


def _doc_shares(docs: list[Document], texts: list[FingerprintText],
                passages: list[_PairPassage]) -> list[DocShare]:
    """Verbatim coverage (runs, not the gaps between them) of each document by the others."""
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
        n_chars = len(texts[d])
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
