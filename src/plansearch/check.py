"""查重 for one document: how much of it is copied, from which documents, which passages.

    report = check_document(doc, index)              # doc: a Document (a file, or one in the index)
    report.share, report.by_level                    # 总文字复制比 and its split by level
    report.sources[0].doc_id, report.max_source_share  # 单篇最大文字复制比
    report.passages[0].ops                           # both sides, what was swapped
    report.items[3].share                            # which measures are original

Three levels, each character of the checked document counted once, at the highest level it
reaches (characters are fingerprint characters: normalised, punctuation and spaces not counted):

- **verbatim**: inside a run of at least `min_chars` (13, CNKI's rule) characters standing
  identically in a source, after normalisation (script, width, spacing) and masking of years and
  masked places (201X = 2024, **区 = XX区). The baseline figure users know from CNKI.
- **disguised**: inside a passage that is identical once synonyms are canonicalised
  (`synonyms.canonicalise`: 教化 → 教育, 老师 → 教师), years, masked places and numbers masked
  (3000个 = 2800个), with small insertions, deletions and unresolved swaps (up to `max_gap`
  characters) bridged and clauses allowed to change places. A passage needs `min_chars`
  characters matched and half of its length.
- **paraphrased**: in a sentence window whose embedding cosine with a source window is at least
  `paraphrase_min`, windows aligned one to one (each source window explains one checked window),
  and not already explained by the first two levels.

How it runs, against an index and never all pairs:
1. Candidates. (a) Winnowing fingerprints of every indexed item (a table built once per index
   generation and kept in `user_home()/check/`) guarantee that every item sharing a verbatim run of
   `min_chars` is found. (b) The rarest character bigrams of each checked sentence, looked up in
   the index's keyword postings, find the items a synonym-swapped sentence came from (three words
   in four are still the same). (c) The index's window vectors find paraphrases.
2. Each checked item is compared with its candidate items: common `min_chars`-grams of the
   verbatim keys (verbatim), greedy string tiling of the canonical keys (disguised), both mapped
   back to character spans of the original text, then merged into passages.
3. Only windows left unexplained are embedded (through the index's cache, then the user's:
   `store.cached_embedder_vectors`) and searched in the index's window vectors.
"""
from __future__ import annotations

import bisect
import difflib
import functools
import heapq
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Literal, Sequence

import numpy as np
from rapidfuzz.distance import Indel

from .chunk import sentence_spans, windows_of_items
from .corpus import did_you_mean
from .fingerprint import FingerprintText, fingerprint
from .keyword import bigrams
from .i18n import N_, _
from .metadata import is_place_name
from .models import BadParameter, Document, Item, Notice, PlansearchError
from .normalise import MASKED_PLACE, compact, mask_variables, mask_variables_with_map, normalise, normalise_with_map
from .search import Filters
from .store import Selection, cached_embedder_vectors, keep_file, read_kept, user_home
from .synonyms import are_synonyms, canonicalise

Level = Literal["verbatim", "disguised", "paraphrased"]
LEVELS: tuple[Level, ...] = ("verbatim", "disguised", "paraphrased")
_RANK = {"paraphrased": 1, "disguised": 2, "verbatim": 3}
_BY_RANK = {v: k for k, v in _RANK.items()}

OpTag = Literal["equal", "synonym", "variable", "replace", "insert", "delete"]


@dataclass(frozen=True)
class CheckSettings:
    """The knobs of `check_document` (see the module docstring for each level)."""

    min_chars: int = 13  # CNKI: a verbatim run this long counts; also what a disguised passage needs
    tile_min: int = 4  # shortest common piece (canonical characters) a disguised passage is built of
    max_gap: int = 8  # characters of difference bridged inside a disguised passage
    min_density: float = 0.5  # matched share of a disguised passage's length
    paraphrase_min: float = 0.96  # window cosine for `paraphrased` (multilingual-e5-small scale)
    paraphrase_margin: float = 0.012  # ... and this far above the best window of other content
    paraphrase_same: float = 0.975  # windows this close to the best one are versions of it, not other content
    paraphrase: bool = True  # False: no embedding at all (verbatim and disguised only)
    candidates_per_sentence: int = 5  # keyword candidates per checked sentence
    max_candidates_per_item: int = 24
    bigram_min_overlap: float = 0.3  # share of a sentence's rare bigrams a keyword candidate holds
    rare_bigrams: int = 12  # a sentence is looked up by its this many rarest bigrams
    fingerprint_cap: int = 64  # items kept per fingerprint (boilerplate in thousands of items)
    canonical_candidates: int = 4  # candidates of an item compared after canonicalisation (the best)
    canonical_gate: float = 0.35  # ... if this share of the item already stands in 4-character pieces


# --- the report ------------------------------------------------------------------------------------

@dataclass
class PassageOp:
    """One step of a passage's side-by-side diff, as original-script slices of both sides.
    `synonym`: the words differ but are one after canonicalisation (教化 / 教育); `variable`: a
    year, number or place differs (2021 / 2019); `replace`, `insert`, `delete`: plain edits."""

    tag: OpTag
    source_text: str
    checked_text: str


@dataclass
class CopiedPassage:
    """A stretch of the checked document found in a source, with both sides in original script.
    Offsets are into the item texts (`Item.text`) of each side."""

    level: Level
    checked_item: int  # ordinal in the checked document
    checked_start: int
    checked_end: int
    checked_text: str
    source_doc_id: str
    source_item: Item
    source_start: int
    source_end: int
    source_text: str
    chars: int  # fingerprint characters of the checked side
    similarity: float  # matched share (verbatim/disguised) or window cosine (paraphrased)
    ops: tuple[PassageOp, ...] = ()


@dataclass
class SourceShare:
    """What one source document contributes to the checked document."""

    doc: Document  # metadata (title, year, region); its text is not loaded
    chars: int  # checked characters found in it (any level; a character may count for several)
    share: float  # of the checked document's characters
    by_level: dict[str, float] = field(default_factory=dict)
    passages: int = 0  # passages shown with this source


@dataclass
class ItemShare:
    """How much of one item of the checked document is copied."""

    item: Item
    chars: int
    copied_chars: int
    by_level: dict[str, int] = field(default_factory=dict)  # characters per level

    @property
    def share(self) -> float:
        return self.copied_chars / self.chars if self.chars else 0.0


@dataclass
class CheckReport:
    doc: Document
    chars: int  # fingerprint characters of the checked document's items
    copied_chars: int
    by_level_chars: dict[str, int]
    sources: list[SourceShare]  # largest share first
    passages: list[CopiedPassage]  # in the checked document's order
    items: list[ItemShare]
    settings: CheckSettings
    index_location: str
    compared_documents: int  # documents of the index the check could draw on (after filters)
    excluded: tuple[str, ...] = ()
    filters: Filters | None = None  # the --years / --region the sources were limited to
    embedded_windows: int = 0  # checked windows that needed a vector (paraphrase level)
    seconds: float = 0.0
    notices: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        """总文字复制比: share of the checked characters inside copied passages, any level."""
        return self.copied_chars / self.chars if self.chars else 0.0

    @property
    def by_level(self) -> dict[str, float]:
        return {lv: (self.by_level_chars.get(lv, 0) / self.chars if self.chars else 0.0) for lv in LEVELS}

    @property
    def max_source_share(self) -> float:
        """单篇最大文字复制比: the largest share of the checked document found in one source."""
        return max((s.share for s in self.sources), default=0.0)


# --- keys of a text: verbatim and canonical, with offsets back to the text -------------------------

_DROPPED = re.compile(r"[^\w§]|_")
# Numbers as printed and as masked in scraped plans (x所, xxxx个, n场; years are masked before).
_NUMBER = re.compile(r"(?<![0-9a-z])(?:[0-9]+(?:[.,][0-9]+)*|x+|n|\*+)(?![0-9a-z])")


def _mask_numbers(text: str, starts: list[int], ends: list[int]) -> tuple[str, list[int], list[int]]:
    pieces, n_starts, n_ends, last = [], [], [], 0
    for m in _NUMBER.finditer(text):
        pieces.append(text[last:m.start()])
        n_starts.extend(starts[last:m.start()])
        n_ends.extend(ends[last:m.start()])
        pieces.append("§N")
        n_starts.extend([starts[m.start()]] * 2)
        n_ends.extend([ends[m.end() - 1]] * 2)
        last = m.end()
    pieces.append(text[last:])
    n_starts.extend(starts[last:])
    n_ends.extend(ends[last:])
    return "".join(pieces), n_starts, n_ends


def norm_key(norm: str, canonical: bool = False) -> FingerprintText:
    """The key of already-normalised text, offsets into `norm`. Verbatim: years and masked places
    masked, spaces and punctuation dropped (the same text as fingerprint.FingerprintText, and as
    compact(mask_variables(norm))). Canonical: numbers masked too and every jieba word replaced by
    its canonical synonym (synonyms.canonicalise)."""
    idx = list(range(len(norm)))
    masked, starts, ends = mask_variables_with_map(norm, idx, [i + 1 for i in idx])
    if canonical:
        masked, starts, ends = _mask_numbers(masked, starts, ends)
        canon, spans = canonicalise(masked)
        pairs = [(ch, starts[a], ends[b - 1]) for ch, (a, b) in zip(canon, spans)]
    else:
        pairs = list(zip(masked, starts, ends))
    kept = [(ch, a, b) for ch, a, b in pairs if not _DROPPED.match(ch)]
    return FingerprintText("".join(ch for ch, _a, _b in kept), tuple(a for _c, a, _b in kept),
                           tuple(b for _c, _a, b in kept))


def canonical_key_text(norm: str) -> str:
    """norm_key(norm, canonical=True).text without the offsets: what the disguised level compares,
    for tables of every item (lineage's) where the offsets are never used and cost most of the time."""
    masked = _NUMBER.sub("§N", mask_variables(norm))
    return _DROPPED.sub("", canonicalise(masked)[0])


def _in_text(key: FingerprintText, offsets: Sequence[int]) -> FingerprintText:
    """A key with offsets into normalised text, re-pointed into the original text (`offsets`: of
    each normalised character, its source character, as normalise_with_map gives them)."""
    last = len(offsets) - 1
    return FingerprintText(key.text, tuple(offsets[min(s, last)] for s in key.starts),
                           tuple(offsets[min(e - 1, last)] + 1 for e in key.ends))


def verbatim_key(text: str) -> FingerprintText:
    """The text as the verbatim level compares it (normalised, years and masked places masked,
    spaces and punctuation dropped), offsets into `text`."""
    norm, offs = normalise_with_map(text)
    return _in_text(norm_key(norm), offs)


def canonical_key(text: str) -> FingerprintText:
    """The text as the disguised level compares it: the verbatim key's normalisation and masks,
    numbers masked too, every jieba word replaced by its canonical synonym; offsets into `text`."""
    norm, offs = normalise_with_map(text)
    return _in_text(norm_key(norm, canonical=True), offs)


def _sub_key(key: FingerprintText, start: int, end: int) -> FingerprintText:
    """The characters of `key` whose source starts inside [start, end), offsets made relative to start."""
    lo, hi = bisect.bisect_left(key.starts, start), bisect.bisect_left(key.starts, end)
    return FingerprintText(key.text[lo:hi], tuple(s - start for s in key.starts[lo:hi]),
                           tuple(min(e, end) - start for e in key.ends[lo:hi]))


def _positions_in(key: FingerprintText, start: int, end: int) -> tuple[int, int]:
    """[lo, hi) of the key characters whose source span starts inside [start, end)."""
    return bisect.bisect_left(key.starts, start), bisect.bisect_left(key.starts, end)


# --- common pieces of two keys ----------------------------------------------------------------------

def gram_cover(a: str, b: str, n: int) -> np.ndarray:
    """Boolean mask over `a`: characters inside some n-gram of `a` that also stands in `b` (the CNKI
    rule: a character counts when it lies in a shared run of n or more)."""
    out = np.zeros(len(a), bool)
    if len(a) < n or len(b) < n:
        return out
    grams = {b[j:j + n] for j in range(len(b) - n + 1)}
    for i in range(len(a) - n + 1):
        if a[i:i + n] in grams:
            out[i:i + n] = True
    return out


def gram_positions(b: str, n: int) -> dict[str, list[int]]:
    """Where each n-gram of `b` starts (what `tiles` looks a's n-grams up in)."""
    where: dict[str, list[int]] = defaultdict(list)
    for j in range(len(b) - n + 1):
        where[b[j:j + n]].append(j)
    return where


def tiles(a: str, b: str, min_len: int, where: dict[str, list[int]] | None = None,
          where_a: dict[str, list[int]] | None = None) -> list[tuple[int, int, int]]:
    """Greedy string tiling (as plagiarism checkers do): repeatedly the longest common substring of
    a and b not yet covered on either side, down to `min_len` characters. Returns (a_pos, b_pos,
    length) tiles, disjoint on both sides, in any order of b (clauses may have moved). `where` /
    `where_a`: gram_positions of b / of a, when that side is compared often (the table of one side
    is enough; the other side is scanned)."""
    if len(a) < min_len or len(b) < min_len:
        return []
    pairs: list[tuple[int, int]] = []
    if where_a is not None:
        get = where_a.get
        for j in range(len(b) - min_len + 1):
            hit = get(b[j:j + min_len])
            if hit:
                pairs.extend([(i, j) for i in hit])
    else:
        if where is None:
            where = gram_positions(b, min_len)
        get = where.get
        for i in range(len(a) - min_len + 1):
            hit = get(a[i:i + min_len])
            if hit:
                pairs.extend([(i, j) for j in hit])
    heap: list[tuple[int, int, int]] = []
    for i, j in pairs:
        if i and j and a[i - 1] == b[j - 1]:
            continue  # not the start of a maximal match
        n = min_len
        while i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
            n += 1
        heap.append((-n, i, j))
    heapq.heapify(heap)
    used_a = np.zeros(len(a), bool)
    used_b = np.zeros(len(b), bool)
    out = []
    while heap:
        neg, i, j = heapq.heappop(heap)
        n = -neg
        free = ~(used_a[i:i + n] | used_b[j:j + n])
        if free.all():
            used_a[i:i + n] = True
            used_b[j:j + n] = True
            out.append((i, j, n))
            continue
        # partly taken: its longest free stretch goes back into the heap
        best_s, best_n, s = 0, 0, None
        for x in range(n + 1):
            if x < n and free[x]:
                s = x if s is None else s
            elif s is not None:
                if x - s > best_n:
                    best_s, best_n = s, x - s
                s = None
        if best_n >= min_len:
            heapq.heappush(heap, (-best_n, i + best_s, j + best_s))
    return out


@dataclass
class _Region:
    """Tiles of one checked key joined into a passage: [a_lo, a_hi) in the checked key,
    [b_lo, b_hi) in the source key, `matched` characters inside tiles."""

    a_lo: int
    a_hi: int
    b_lo: int
    b_hi: int
    matched: int


_PLACEHOLDER = set("§YNP")


def regions(tile_list: list[tuple[int, int, int]], max_gap: int, min_matched: int,
            min_density: float, a: str | None = None) -> list[_Region]:
    """Tiles in the checked key's order, joined while the next one starts at most `max_gap`
    characters after the region's end on the checked side and stays near the region on the source
    side (within the region's own length of its span: a clause moved within a sentence). With the
    checked key `a`, masks (§Y, §N: a year or number, any) do not count as matched characters."""
    out: list[_Region] = []
    cur: _Region | None = None
    for i, j, n in sorted(tile_list):
        real = n if a is None else n - sum(ch in _PLACEHOLDER for ch in a[i:i + n])
        # a clause that moved may come from up to the region's own length away in the source
        reach = max(max_gap, cur.a_hi - cur.a_lo) if cur is not None else max_gap
        if cur is not None and i - cur.a_hi <= max_gap and (cur.b_lo - reach - n <= j <= cur.b_hi + reach):
            cur.a_hi = max(cur.a_hi, i + n)
            cur.b_lo, cur.b_hi = min(cur.b_lo, j), max(cur.b_hi, j + n)
            cur.matched += real
            continue
        if cur is not None:
            out.append(cur)
        cur = _Region(i, i + n, j, j + n, real)
    if cur is not None:
        out.append(cur)
    return [r for r in out if r.matched >= min_matched and r.matched >= min_density * (r.a_hi - r.a_lo)]


# --- the side-by-side diff of a passage -------------------------------------------------------------

_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,4}[省市区县州镇乡村]$")
_VARIABLE = re.compile(r"^[0-9x*n.,%]+$|^§")


@functools.lru_cache(maxsize=65536)
def _plain(text: str) -> str:
    return compact(normalise(text))


def _is_variable(a: str, b: str) -> bool:
    """Both sides a number/year (as printed or masked), or both a place name (新都区 / 华州区)."""
    a, b = _plain(a), _plain(b)
    if not a or not b:
        return False
    num = lambda s: bool(re.fullmatch(r"[0-9x*n.,%]+(?:年|个|人|所|名|万元|亿元|元|次|项|场)?", s))  # noqa: E731
    return (num(a) and num(b)) or bool(_PLACE.match(a) and _PLACE.match(b))


def diff_ops(source: str, checked: str, ks: FingerprintText | None = None,
             kc: FingerprintText | None = None) -> tuple[PassageOp, ...]:
    """The diff from a source passage to the checked one, computed on their canonical keys (so a
    synonym swap is one `synonym` step, not a replaced word) and given back as original slices
    covering both texts whole, punctuation included. `ks` / `kc`: the canonical keys when known."""
    if _plain(source) == _plain(checked):
        return (PassageOp("equal", source, checked),)
    ks = ks if ks is not None else canonical_key(source)
    kc = kc if kc is not None else canonical_key(checked)
    pieces: list[list] = []  # [tag, s_lo, s_hi, c_lo, c_hi] in key positions
    for op in Indel.opcodes(ks.text, kc.text):
        if op.tag != "equal":
            prev = pieces[-1] if pieces else None
            if prev is not None and prev[0] in ("insert", "delete", "replace") and prev[0] != "equal":
                prev[0] = "replace"
                prev[2], prev[4] = op.src_end, op.dest_end
            else:
                pieces.append([op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end])
            continue
        # An equal stretch of keys: one piece per word (a character, or a replaced word on a side).
        s0, c0, n = op.src_start, op.dest_start, op.src_end - op.src_start
        g = 0
        for x in range(1, n + 1):
            if x == n or ((ks.starts[s0 + x], ks.ends[s0 + x]) != (ks.starts[s0 + x - 1], ks.ends[s0 + x - 1])
                          and (kc.starts[c0 + x], kc.ends[c0 + x]) != (kc.starts[c0 + x - 1], kc.ends[c0 + x - 1])):
                pieces.append(["equal", s0 + g, s0 + x, c0 + g, c0 + x])
                g = x
    pieces = _whole_words(pieces, ks, kc)
    ops: list[PassageOp] = []
    s_cur = c_cur = 0
    for tag, s_lo, s_hi, c_lo, c_hi in pieces:
        # what stands before the piece's first key character (punctuation, spaces) is its own step
        s_head = max(s_cur, ks.starts[s_lo]) if s_hi > s_lo else s_cur
        c_head = max(c_cur, kc.starts[c_lo]) if c_hi > c_lo else c_cur
        if s_head > s_cur or c_head > c_cur:
            lead_s, lead_c = source[s_cur:s_head], checked[c_cur:c_head]
            _append_op(ops, PassageOp("equal" if _plain(lead_s) == _plain(lead_c) else "replace", lead_s, lead_c))
            s_cur, c_cur = s_head, c_head
        s_end = ks.ends[s_hi - 1] if s_hi > s_lo else s_cur
        c_end = kc.ends[c_hi - 1] if c_hi > c_lo else c_cur
        s_text, c_text = source[s_cur:s_end], checked[c_cur:c_end]
        s_cur, c_cur = max(s_cur, s_end), max(c_cur, c_end)
        if tag != "equal" and _plain(s_text) == _plain(c_text):
            tag = "equal"  # one word canonicalised on one side only (jieba cut the sides differently)
        if tag == "equal":
            if _plain(s_text) != _plain(c_text):
                tag = "variable" if _is_variable(s_text, c_text) else "synonym"
        elif tag == "replace":
            if _is_variable(s_text, c_text):
                tag = "variable"
            elif are_synonyms(_plain(s_text), _plain(c_text)):
                tag = "synonym"
        elif tag == "insert" and s_text:
            tag = "replace"
        elif tag == "delete" and c_text:
            tag = "replace"
        _append_op(ops, PassageOp(tag, s_text, c_text))
    s_tail, c_tail = source[s_cur:], checked[c_cur:]
    if s_tail or c_tail:
        _append_op(ops, PassageOp("equal" if _plain(s_tail) == _plain(c_tail) else "replace", s_tail, c_tail))
    # 新都 / 华州 before an equal 区: a place that changed. Both must be places (or a masked one):
    # 实施 -> 采取 before 乡村振兴 is an edit, not a changed place, and is drawn as one.
    for n, op in enumerate(ops[:-1]):
        nxt = ops[n + 1]
        suffix = nxt.checked_text[:1]
        if (op.tag == "replace" and nxt.tag == "equal" and suffix in _PLACE_SUFFIX
                and all(_HAN_1_4.fullmatch(t) or MASKED_PLACE.match(t + suffix)
                        for t in (op.source_text, op.checked_text))
                and all(MASKED_PLACE.match(t + suffix) or is_place_name(t, suffix)
                        for t in (op.source_text, op.checked_text))):
            ops[n] = PassageOp("variable", op.source_text, op.checked_text)
    return tuple(ops)


_PLACE_SUFFIX = set("省市区县州镇乡村")
_HAN_1_4 = re.compile(r"[\u4e00-\u9fff]{1,4}")


def _whole_words(pieces: list[list], ks: FingerprintText, kc: FingerprintText) -> list[list]:
    """Join pieces that cut through one word of the original text (落实 -> 实现 against 实行 gives
    an equal 实 inside 落实): a word is shown whole, and a piece holding a change is no longer equal."""
    def span(key, pos):
        return key.starts[pos], key.ends[pos]

    out: list[list] = []
    for p in pieces:
        if out:
            q = out[-1]
            same_s = q[2] > q[1] and p[2] > p[1] and span(ks, q[2] - 1) == span(ks, p[1])
            same_c = q[4] > q[3] and p[4] > p[3] and span(kc, q[4] - 1) == span(kc, p[3])
            if same_s or same_c:
                q[0] = "equal" if q[0] == p[0] == "equal" else "replace"
                q[2], q[4] = p[2], p[4]
                continue
        out.append(list(p))
    return out


def _append_op(ops: list[PassageOp], op: PassageOp) -> None:
    if not op.source_text and not op.checked_text:
        return
    if ops and ops[-1].tag == op.tag and op.tag in ("equal", "replace", "insert", "delete"):
        last = ops[-1]
        ops[-1] = PassageOp(op.tag, last.source_text + op.source_text, last.checked_text + op.checked_text)
    else:
        ops.append(op)


# --- the fingerprint table of an index ------------------------------------------------------------

TABLE_VERSION = 2  # 2: one file of three .npy arrays, memory-mapped (1: an .npz read whole)


@dataclass
class FingerprintTable:
    """Winnowed fingerprints of every indexed item's verbatim key, sorted by hash, so that every
    item sharing a verbatim run of `min_chars` with a checked item is found by a binary search
    (fingerprint.winnow's guarantee)."""

    min_chars: int
    hashes: np.ndarray  # uint64, ascending
    rows: np.ndarray  # int32: the item of each hash

    @classmethod
    def build(cls, keys: Iterable[str], min_chars: int) -> "FingerprintTable":
        hs, counts = [], []
        for key in keys:  # a stream: an index's keys are read a batch at a time, never all held
            fp, _k = fingerprint(key, min_chars)
            hs.append(np.unique(fp.hashes))
            counts.append(len(hs[-1]))
        hashes = np.concatenate(hs) if hs else np.zeros(0, np.uint64)
        del hs
        rows = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        order = np.argsort(hashes, kind="stable")
        return cls(min_chars, hashes[order], rows[order])

    def lookup(self, hashes: np.ndarray, cap: int) -> np.ndarray:
        """Item rows holding any of `hashes` (a row once per shared hash); at most `cap` rows per
        hash (a fingerprint of boilerplate stands in thousands of items: any of them will do)."""
        if not len(hashes) or not len(self.hashes):
            return np.zeros(0, np.int32)
        lo = np.searchsorted(self.hashes, hashes, "left")
        hi = np.minimum(np.searchsorted(self.hashes, hashes, "right"), lo + cap)
        parts = [self.rows[a:b] for a, b in zip(lo.tolist(), hi.tolist()) if b > a]
        return np.concatenate(parts) if parts else np.zeros(0, np.int32)

    def save(self, path: Path) -> None:
        """Three .npy arrays back to back in one file (min_chars, hashes, rows), so that `load`
        maps them instead of reading them."""
        with open(path, "wb") as f:
            for array in (np.array([self.min_chars], np.int64), self.hashes, self.rows):
                np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)

    @classmethod
    def load(cls, path: Path) -> "FingerprintTable":
        """The kept table, memory-mapped: a check reads the few pages its binary searches touch,
        instead of every call after the first reading the whole table (12 bytes a fingerprint)."""
        arrays = []
        with open(path, "rb") as f:
            for _array in range(3):
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                if fortran or dtype.hasobject:
                    raise ValueError(f"{path}: not a fingerprint table")
                offset = f.tell()
                size = int(np.prod(shape)) * dtype.itemsize
                if offset + size > os.fstat(f.fileno()).st_size:
                    raise ValueError(f"{path}: truncated")
                arrays.append(np.memmap(path, dtype, "r", offset, shape) if size else np.zeros(shape, dtype))
                f.seek(offset + size)
        return cls(int(arrays[0][0]), arrays[1], arrays[2])


def verbatim_key_text(norm: str) -> str:
    """An item's verbatim key from its stored normalised text (= verbatim_key(text).text)."""
    return compact(mask_variables(norm))


def index_items(index, rows: Sequence[int], batch: int = 900) -> list[Item]:
    """Items of the index by row, in the order given (SQLite takes a limited number of parameters)."""
    out: list[Item] = []
    rows = [int(r) for r in rows]
    for i in range(0, len(rows), batch):
        out.extend(index.items(rows[i:i + batch]))
    return out


def fingerprint_table(index, min_chars: int, progress: Callable[[str, int, int], None] | None = None
                      ) -> FingerprintTable:
    """The table of this index (by its corpus fingerprint), read from `user_home()/check/` or built
    once (every item's stored normalised text is read: ~1 s per 10^4 items) and kept there. The
    newest few tables are kept, older ones deleted."""
    key = f"{index.meta.fingerprint[:40]}-{min_chars}-v{TABLE_VERSION}"
    folder = user_home() / "check"
    path = folder / f"{key}.table"
    table = read_kept(path, FingerprintTable.load)
    if table is not None and table.min_chars == min_chars:
        return table
    n = len(index.item_doc)
    step = 5000

    def keys():
        for lo in range(0, n, step):
            for it in index_items(index, range(lo, min(n, lo + step))):
                yield verbatim_key_text(it.norm or normalise(it.text))
            if progress:
                progress(N_("fingerprinting the indexed items (once per index)"), min(n, lo + step), n)
    table = FingerprintTable.build(keys(), min_chars)
    keep_file(path, table.save)
    for old in folder.glob("*.npz"):  # the tables of version 1, which nothing reads any more
        old.unlink(missing_ok=True)
    return FingerprintTable.load(path) if path.is_file() else table  # mapped: the built arrays go


# --- checking one document -------------------------------------------------------------------------

class _Side:
    """One item prepared for comparison, in normalised-text space: its verbatim key (the counting
    space of the checked document), its canonical key when asked for, and the way back to the
    item's original text (computed only for items whose passages are shown)."""

    def __init__(self, item: Item, norm: str | None = None, offsets: list[int] | None = None):
        self.item = item
        self.norm = norm if norm is not None else (item.norm or normalise(item.text))
        self._offsets = offsets
        self.vtext = verbatim_key_text(self.norm)  # the verbatim key's text; its offsets when a passage needs them
        self._vkey: FingerprintText | None = None
        self._ckey: FingerprintText | None = None
        self._grams: dict[tuple[bool, int], dict[str, list[int]]] = {}
        self._sentences: list[tuple[int, int]] | None = None
        self._skeys: dict[int, FingerprintText] = {}
        self._bigrams: set[str] | None = None

    @property
    def bigrams(self) -> set[str]:
        if self._bigrams is None:
            self._bigrams = _norm_bigrams(self.norm)
        return self._bigrams

    @property
    def vkey(self) -> FingerprintText:
        if self._vkey is None:
            self._vkey = norm_key(self.norm)
            if self._vkey.text != self.vtext:  # cannot happen: both are the masks of normalise.py
                raise AssertionError(f"{self.item.item_id}: verbatim keys disagree")
        return self._vkey

    def grams(self, canonical: bool, n: int) -> dict[str, list[int]]:
        """gram_positions of the verbatim or canonical key, kept (a side compared often)."""
        if (canonical, n) not in self._grams:
            self._grams[(canonical, n)] = gram_positions(self.canonical().text if canonical else self.vtext, n)
        return self._grams[(canonical, n)]

    @classmethod
    def of_text(cls, item: Item) -> "_Side":
        """The checked document's item: normalised here, with offsets (every one is shown)."""
        norm, offs = normalise_with_map(item.text)
        return cls(item, norm, offs)

    @property
    def offsets(self) -> list[int]:
        if self._offsets is None:
            norm, offs = normalise_with_map(self.item.text)
            self._offsets = offs if norm == self.norm else _realign(self.norm, norm, offs)
        return self._offsets

    def canonical(self) -> FingerprintText:
        if self._ckey is None:
            self._ckey = _concat([self.sentence_key(k) for k in range(len(self.sentences))])
        return self._ckey

    @property
    def sentences(self) -> list[tuple[int, int]]:
        """[lo, hi) of each sentence of the normalised text."""
        if self._sentences is None:
            self._sentences, pos = [], 0
            for m in _NORM_SENTENCE_END.finditer(self.norm):
                self._sentences.append((pos, m.end()))
                pos = m.end()
            if pos < len(self.norm):
                self._sentences.append((pos, len(self.norm)))
        return self._sentences

    def sentence_key(self, k: int) -> FingerprintText:
        """The canonical key of sentence k, offsets into the item's normalised text (kept)."""
        if k not in self._skeys:
            lo, hi = self.sentences[k]
            key = norm_key(self.norm[lo:hi], canonical=True)
            self._skeys[k] = FingerprintText(key.text, tuple(x + lo for x in key.starts),
                                             tuple(x + lo for x in key.ends))
        return self._skeys[k]

    def focused_canonical(self, bigrams: set[str], min_share: float = 0.25) -> FingerprintText:
        """The canonical key of only the sentences sharing `min_share` of their bigrams with
        `bigrams` (a long report paragraph compared with one short measure: jieba reads a few
        sentences, not all of them)."""
        keep = []
        for k, (lo, hi) in enumerate(self.sentences):
            own = _norm_bigrams(self.norm[lo:hi])
            if own and len(own & bigrams) >= min_share * len(own):
                keep.append(k)
        return _concat([self.sentence_key(k) for k in keep])

    def to_text(self, lo: int, hi: int) -> tuple[int, int]:
        """[start, end) in the item's text of normalised characters [lo, hi)."""
        offs = self.offsets
        if not offs:
            return 0, 0
        last = len(offs) - 1
        return offs[min(lo, last)], offs[min(hi - 1, last)] + 1

    def to_norm(self, start: int, end: int) -> tuple[int, int]:
        """[lo, hi) of the normalised characters that come from text[start:end]."""
        return bisect.bisect_left(self.offsets, start), bisect.bisect_left(self.offsets, end)


_NORM_SENTENCE_END = re.compile(r"[.;!?。；！？…]+")  # normalise writes 。 as "."


def _norm_bigrams(norm: str) -> set[str]:
    k = _DROPPED.sub("", norm)
    return {k[i:i + 2] for i in range(len(k) - 1)}


def _concat(keys: list[FingerprintText]) -> FingerprintText:
    return FingerprintText("".join(k.text for k in keys), tuple(x for k in keys for x in k.starts),
                           tuple(x for k in keys for x in k.ends))


def _realign(stored: str, fresh: str, offsets: list[int]) -> list[int]:
    """Offsets for a stored normalised text that differs from today's normalisation of the same
    text (an index built by an older plansearch): matched character by character."""
    out = [0] * len(stored)
    for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(None, stored, fresh, autojunk=False).get_opcodes():
        for k in range(a1, a2):
            j = min(b1 + (k - a1), max(b1, b2 - 1), len(offsets) - 1)
            out[k] = offsets[j] if offsets else 0
    return out


@dataclass
class _Found:
    """A passage of one checked item found in one source item (before the report picks which
    passages to show): spans in both normalised texts, the checked key positions it covers, and
    which of them are verbatim."""

    source_row: int
    checked_lo: int
    checked_hi: int
    source_lo: int
    source_hi: int
    positions: np.ndarray  # checked verbatim-key positions (bool mask)
    verbatim: np.ndarray  # of them, inside a verbatim run with this source
    matched: float  # share of the passage matched (tiles / length)

    @property
    def chars(self) -> int:
        return int(self.positions.sum())

    @property
    def level(self) -> Level:
        return "verbatim" if self.verbatim.sum() >= self.positions.sum() else "disguised"


def _allowed_documents(index, exclude: Sequence[str], years, region) -> np.ndarray:
    filters = Filters(years=years, region=region)
    docs = index.documents
    excluded = set(exclude)
    return np.array([d.doc_id not in excluded and filters.accepts(d) for d in docs], bool)


def _sentence_norms(side: "_Side") -> list[str]:
    """The item's sentences, normalised (cut from the item's normalised text)."""
    out = []
    for a, b in sentence_spans(side.item.text):
        lo, hi = side.to_norm(a, b)
        if hi > lo:
            out.append(side.norm[lo:hi])
    return out


def _keyword_candidates(index, sentences: list[str], allowed_rows_mask, st: CheckSettings) -> dict[int, float]:
    """Items holding a large share of a sentence's rarest bigrams (the index's keyword postings),
    best overlap per item. An index without postings (another store) is asked for BM25 scores."""
    bm25 = getattr(index, "bm25", None)
    out: dict[int, float] = {}
    n_items = len(index.item_doc)
    max_df = max(50, n_items // 20)  # a bigram in 5% of all items is no evidence of a source
    for norm in sentences:
        toks = list(dict.fromkeys(bigrams(norm)))
        if len(toks) < 3:
            continue
        if bm25 is None or not hasattr(bm25, "postings"):
            scores = index.keyword_scores(norm)
            top = np.argsort(-scores)[:st.candidates_per_sentence]
            for r in top.tolist():
                if scores[r] > 0 and allowed_rows_mask[r]:
                    out[r] = max(out.get(r, 0.0), 0.5)
            continue
        ids, dfs = [], []
        for t in toks:
            tid = bm25.vocab.get(t)
            if tid is None:
                continue
            df = bm25.df(tid)
            if 0 < df <= max_df:
                ids.append(tid)
                dfs.append(df)
        if len(ids) < 3:
            continue
        order = np.argsort(dfs, kind="stable")[:st.rare_bigrams]
        chosen = [ids[i] for i in order]
        rows = np.concatenate([bm25.postings(t) for t in chosen])
        uniq, cnt = np.unique(rows, return_counts=True)
        share = cnt / len(chosen)
        keep = (share >= st.bigram_min_overlap) & allowed_rows_mask[uniq]
        uniq, share = uniq[keep], share[keep]
        for i in np.argsort(-share, kind="stable")[:st.candidates_per_sentence].tolist():
            r = int(uniq[i])
            out[r] = max(out.get(r, 0.0), float(share[i]))
    return out


def _compare_items(checked: _Side, source: _Side, row: int, st: CheckSettings, canonical: bool) -> list[_Found]:
    """Passages of `checked` found in `source`: verbatim runs and (with `canonical`) disguised
    regions of the canonical keys, merged where they overlap."""
    a_v = checked.vkey
    n = len(a_v)
    spans: list[list] = []  # [checked lo, hi, source lo, hi (normalised text), verbatim mask, matched]
    # verbatim runs; runs following each other on both sides across a small edit are one passage
    chain: list[list] = []  # [a_lo, a_hi, b_lo, b_hi, mask]
    for i, j, length in sorted(tiles(a_v.text, source.vtext, st.min_chars,
                                     where_a=checked.grams(False, st.min_chars))):
        mask = np.zeros(n, bool)
        mask[i:i + length] = True
        if chain and i - chain[-1][1] <= st.max_gap and 0 <= j - chain[-1][3] <= st.max_gap:
            c = chain[-1]
            c[1], c[3], c[4] = i + length, j + length, c[4] | mask
        else:
            chain.append([i, i + length, j, j + length, mask])
    b_v = source.vkey if chain else None  # its offsets only when something was found
    for i, i2, j, j2, mask in chain:
        spans.append([a_v.starts[i], a_v.ends[i2 - 1], b_v.starts[j], b_v.ends[j2 - 1], mask,
                      mask.sum() / (i2 - i)])
    if canonical:
        a_c = checked.canonical()
        if len(source.norm) > 3 * len(checked.norm) + 100:  # a long paragraph: only its sentences in question
            b_c = source.focused_canonical(checked.bigrams)
        else:
            b_c = source.canonical()
        for r in regions(tiles(a_c.text, b_c.text, st.tile_min, where_a=checked.grams(True, st.tile_min)), st.max_gap,
                         st.min_chars, st.min_density, a_c.text):
            spans.append([a_c.starts[r.a_lo], a_c.ends[r.a_hi - 1], b_c.starts[r.b_lo], b_c.ends[r.b_hi - 1],
                          np.zeros(n, bool), r.matched / (r.a_hi - r.a_lo)])
    if not spans:
        return []
    spans.sort(key=lambda x: (x[0], -x[1]))
    merged: list[list] = []
    for x in spans:
        if merged and x[0] < merged[-1][1]:  # overlapping on the checked side: one passage
            m = merged[-1]
            m[1], m[2], m[3] = max(m[1], x[1]), min(m[2], x[2]), max(m[3], x[3])
            m[4] = m[4] | x[4]
            m[5] = max(m[5], x[5])
        else:
            merged.append(x)
    out = []
    for lo, hi, slo, shi, vmask, matched in merged:
        p_lo, p_hi = _positions_in(a_v, lo, hi)
        if p_hi <= p_lo:
            continue
        pos = np.zeros(n, bool)
        pos[p_lo:p_hi] = True
        out.append(_Found(row, lo, hi, slo, shi, pos, vmask & pos, matched))
    return out


def _piece_cover(checked: _Side, source: _Side, n: int) -> float:
    """Share of the checked verbatim key inside common pieces of n+ characters with the source."""
    if not checked.vtext:
        return 0.0
    return sum(x for _i, _j, x in tiles(checked.vtext, source.vtext, n, where_a=checked.grams(False, n))) \
        / len(checked.vtext)


def _longest_false(mask: np.ndarray) -> int:
    """Length of the longest stretch of False in `mask`."""
    best = cur = 0
    for v in mask.tolist():
        cur = 0 if v else cur + 1
        best = max(best, cur)
    return best


def check_settings(settings: CheckSettings) -> None:
    """Refuse settings check_document cannot use (BadParameter naming the parameter): the one place
    these rules live, so a front end can check them before it loads anything."""
    if settings.min_chars < 2:
        raise BadParameter("min_chars", _("must be at least {n}, not {value}").format(n=2, value=settings.min_chars))


def indexed_as(doc: Document, index) -> str | None:
    """The id under which `index` holds this very document (its id and its text), if it does."""
    for row, d in enumerate(index.documents):
        if d.doc_id == doc.doc_id:
            held = index.document_with_items(row)
            return d.doc_id if compact(normalise(held.text)) == compact(normalise(doc.text)) else None
    return None


def check_document(doc: Document, index, *, settings: CheckSettings = CheckSettings(),
                   exclude: Iterable[str] = (), years: tuple[int, int] | None = None,
                   region: str | None = None, model: str | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> CheckReport:
    """Check `doc` against the documents of `index` (an IndexReader), leaving out the ids in
    `exclude` (give the document's own id when it is indexed) and, with `years` / `region`, the
    documents those filters do not take. `model`: the embedder (default: the index's). A document
    the index holds itself (a file checked against the index of its own folder) is left out too,
    with a notice: a document is not its own source."""
    t0 = time.perf_counter()
    st = settings
    check_settings(st)
    notices: list[str] = []
    sides = [_Side.of_text(it) for it in doc.items]
    total = sum(len(s.vkey) for s in sides)
    if total == 0:
        raise PlansearchError(_("{doc}: holds no text to check (no items with characters)").format(doc=doc.source or doc.doc_id))
    exclude = tuple(dict.fromkeys(exclude))
    known = {d.doc_id for d in index.documents}
    for x in exclude:
        if x not in known:
            raise BadParameter("exclude", _("names an unknown document {id!r} of {index}").format(
                id=x, index=index.location) + did_you_mean(x, sorted(known)))
    if doc.doc_id not in exclude and (itself := indexed_as(doc, index)) is not None:
        exclude = (itself, *exclude)
        name = doc.source or doc.doc_id
        notices.append(Notice(N_("{name} is in the index as {doc}: left out of the sources (a document is not "
                                 "its own source)"), name=name, doc=itself))
    allowed_docs = _allowed_documents(index, exclude, years, region)
    item_doc = np.asarray(index.item_doc)
    allowed_rows = allowed_docs[item_doc] if len(item_doc) else np.zeros(0, bool)
    filters = Filters(years=years, region=region) if years or region else None

    # 1. candidates per checked item, best first
    table = fingerprint_table(index, st.min_chars, progress)
    cand: list[list[int]] = []
    for s in sides:
        scores: dict[int, float] = {}
        fp, _k = fingerprint(s.vkey.text, st.min_chars)
        if len(fp.hashes):
            rows = table.lookup(np.unique(fp.hashes), st.fingerprint_cap)
            rows = rows[allowed_rows[rows]]
            if len(rows):
                uniq, cnt = np.unique(rows, return_counts=True)
                for r, c in zip(uniq.tolist(), cnt.tolist()):
                    scores[r] = 1.0 + c  # a shared fingerprint beats any keyword overlap
        for r, sc in _keyword_candidates(index, _sentence_norms(s), allowed_rows, st).items():
            scores[r] = scores.get(r, 0.0) + sc
        cand.append(sorted(scores, key=lambda r: (-scores[r], r))[:st.max_candidates_per_item])
    rows_needed = sorted({r for c in cand for r in c})
    src_sides = {r: _Side(it) for r, it in zip(rows_needed, index_items(index, rows_needed))}

    # 2. verbatim and disguised passages; canonical keys only for each item's best candidates
    found: list[list[_Found]] = []
    for s, c in zip(sides, cand):
        hits: list[_Found] = []
        if len(s.vkey):
            covered = np.zeros(len(s.vkey), bool)
            for r in c:
                hits.extend(h := _compare_items(s, src_sides[r], r, st, canonical=False))
                for x in h:
                    covered |= x.positions
            room = _longest_false(covered)
            best: list[int] = []
            if room >= st.min_chars:  # room for a disguised passage of its own: the best candidates
                best = c[:st.canonical_candidates]
            elif room >= st.tile_min and hits:  # a swapped word at the edge of a verbatim run
                by_row: dict[int, int] = defaultdict(int)
                for h in hits:
                    by_row[h.source_row] += h.chars
                best = [max(by_row, key=lambda r: (by_row[r], -r))]
            # jieba only where the plain keys already share enough 4-character pieces: a copy with
            # 40 % of its words swapped keeps ~half of its text in such pieces, an unrelated measure
            # on the same topic a tenth
            best = [r for r in best if _piece_cover(s, src_sides[r], st.tile_min) >= st.canonical_gate]
            if best:
                hits = [h for h in hits if h.source_row not in best]
                for r in best:
                    hits.extend(_compare_items(s, src_sides[r], r, st, canonical=True))
        found.append(hits)

    # per checked item: the level of each position, and which source documents hold it
    levels = [np.zeros(len(s.vkey), np.int8) for s in sides]
    by_source: dict[int, list[np.ndarray]] = {}  # doc row -> per item: best level per position

    def mark(d: int, k: int, lv: np.ndarray) -> None:
        np.maximum(levels[k], lv, out=levels[k])
        per = by_source.setdefault(d, [np.zeros(len(x.vkey), np.int8) for x in sides])
        np.maximum(per[k], lv, out=per[k])

    shown: list[tuple[int, _Found]] = []
    for k, hits in enumerate(found):
        for h in hits:
            lv = np.where(h.verbatim, _RANK["verbatim"], np.where(h.positions, _RANK["disguised"], 0))
            mark(int(item_doc[h.source_row]), k, lv.astype(np.int8))
        taken = np.zeros(len(sides[k].vkey), bool)
        for h in sorted(hits, key=lambda h: (-h.chars, -h.matched, h.checked_lo, h.source_row)):
            if (taken & h.positions).sum() * 2 < h.chars:
                shown.append((k, h))
                taken |= h.positions

    # 3. paraphrases of what is left
    para: list[tuple[int, int, int, int, float]] = []  # (checked item, start, end (text), window, cos)
    embedded = 0
    if st.paraphrase:
        reference_rows = _allowed_documents(index, exclude, None, None)[item_doc] if len(item_doc) else allowed_rows
        para, embedded = _paraphrases(doc, sides, levels, index, allowed_rows, reference_rows, model, st, progress)
    para_src: list[tuple[int, int, int]] = []  # (source row, window start, end in its text)
    if para:
        wins = np.array([w for *_x, w, _c in para], np.int64)
        w_rows = np.asarray(index.window_item)[wins]
        w_spans = np.asarray(index.window_spans(wins)).reshape(-1, 2)
        need = sorted({int(r) for r in w_rows} - set(src_sides))
        src_sides.update({r: _Side(it) for r, it in zip(need, index_items(index, need))})
        for (k, a, b, _w, _cos), r, (ws, we) in zip(para, w_rows.tolist(), w_spans.tolist()):
            para_src.append((int(r), int(ws), int(we)))
            lo, hi = _positions_in(sides[k].vkey, *sides[k].to_norm(a, b))
            lv = np.zeros(len(sides[k].vkey), np.int8)
            lv[lo:hi] = _RANK["paraphrased"]
            mark(int(item_doc[r]), k, lv)

    # 4. the report
    passages: list[CopiedPassage] = []
    for k, h in shown:
        chk, src = sides[k], src_sides[h.source_row]
        cs, ce = chk.to_text(h.checked_lo, h.checked_hi)
        ss, se = src.to_text(h.source_lo, h.source_hi)
        passages.append(_passage(h.level, chk, cs, ce, src, ss, se, index.documents[int(item_doc[h.source_row])].doc_id,
                                 h.chars, h.matched))
    passages = _joined(passages, {x.item.ordinal: x for x in sides}, {x.item.item_id: x for x in src_sides.values()},
                       st.max_gap)
    for (k, a, b, _w, cos), (r, ws, we) in zip(para, para_src):
        lo, hi = _positions_in(sides[k].vkey, *sides[k].to_norm(a, b))
        passages.append(_passage("paraphrased", sides[k], a, b, src_sides[r], ws, we,
                                 index.documents[int(item_doc[r])].doc_id, hi - lo, cos))
    passages.sort(key=lambda p: (p.checked_item, p.checked_start, -_RANK[p.level]))

    level_chars = {lv: int(sum((L == _RANK[lv]).sum() for L in levels)) for lv in LEVELS}
    copied = sum(level_chars.values())
    shown_per_doc: dict[str, int] = defaultdict(int)
    for p in passages:
        shown_per_doc[p.source_doc_id] += 1
    sources = []
    for d, per in by_source.items():
        chars = int(sum((x > 0).sum() for x in per))
        if not chars:
            continue
        by_lv = {lv: int(sum((x == _RANK[lv]).sum() for x in per)) / total for lv in LEVELS}
        meta = index.documents[d]
        sources.append(SourceShare(meta, chars, chars / total, by_lv, shown_per_doc.get(meta.doc_id, 0)))
    sources.sort(key=lambda x: (-x.chars, x.doc.doc_id))
    items = [ItemShare(s.item, len(s.vkey), int((L > 0).sum()),
                       {lv: int((L == _RANK[lv]).sum()) for lv in LEVELS})
             for s, L in zip(sides, levels)]
    return CheckReport(doc, total, copied, level_chars, sources, passages, items, st, index.location,
                       int(allowed_docs.sum()), exclude, filters, embedded, time.perf_counter() - t0, notices)


def _joined(passages: list[CopiedPassage], checked: dict[int, _Side], sources: dict[str, _Side],
            max_gap: int) -> list[CopiedPassage]:
    """One passage per copy: two found in one checked item from one source item, the second
    following the first on both sides with at most `max_gap` counted characters between them in
    the checked item, are one copy cut in two (a clause the checked text dropped, a changed word)
    and are shown as one, the source's extra words as a deletion — verbatim only when both are and
    nothing stands between them in the checked text (the level is of the checked characters)."""
    out: list[CopiedPassage] = []
    for p in sorted(passages, key=lambda p: (p.checked_item, p.source_item.item_id, p.checked_start)):
        q = out[-1] if out else None
        if q is not None and (q.checked_item, q.source_item.item_id) == (p.checked_item, p.source_item.item_id) \
                and p.source_start >= q.source_start:
            chk, src = checked[p.checked_item], sources[p.source_item.item_id]
            gap = _gap(chk, q.checked_end, p.checked_start)
            if gap <= max_gap and p.source_start >= q.source_end - (q.checked_end - p.checked_start):
                cs, ce, ss, se = q.checked_start, max(q.checked_end, p.checked_end), q.source_start, max(q.source_end, p.source_end)
                lo, hi = _positions_in(chk.vkey, *chk.to_norm(cs, ce))
                level = "verbatim" if q.level == p.level == "verbatim" and gap == 0 else "disguised"
                similarity = (q.similarity * q.chars + p.similarity * p.chars) / max(q.chars + p.chars, 1)
                out[-1] = _passage(level, chk, cs, ce, src, ss, se, p.source_doc_id, hi - lo, similarity)
                continue
        out.append(p)
    return out


def _gap(side: _Side, end: int, start: int) -> int:
    """Counted characters of the item's text between `end` and `start` (0 when they touch or overlap)."""
    if start <= end:
        return 0
    lo, hi = _positions_in(side.vkey, *side.to_norm(end, start))
    return hi - lo


def _passage(level: Level, chk: _Side, cs: int, ce: int, src: _Side, ss: int, se: int, source_doc_id: str,
             chars: int, similarity: float) -> CopiedPassage:
    c_text, s_text = chk.item.text[cs:ce], src.item.text[ss:se]
    ops = diff_ops(s_text, c_text)  # the passages' own keys: a long source is not read whole again
    return CopiedPassage(level, chk.item.ordinal, cs, ce, c_text, source_doc_id, src.item, ss, se, s_text,
                         int(chars), round(float(similarity), 4), ops)


def _paraphrases(doc: Document, sides: list[_Side], levels: list[np.ndarray], index, allowed_rows: np.ndarray,
                 reference_rows: np.ndarray, model: str | None, st: CheckSettings, progress) -> tuple[list, int]:
    """Checked sentence windows not already explained, matched one to one with the index's window
    vectors at cosine >= paraphrase_min: [(checked item, start, end, window id, cos)], embedded."""
    wins = windows_of_items(doc.items)
    todo = []
    for n, (k, (a, b)) in enumerate(zip(wins.item_rows, wins.spans)):
        lo, hi = _positions_in(sides[k].vkey, *sides[k].to_norm(a, b))
        if hi - lo < st.min_chars:
            continue  # too short to call a copy (the verbatim rule's length)
        if (levels[k][lo:hi] > 0).mean() >= 0.5:
            continue  # already explained by a verbatim or disguised passage
        todo.append(n)
    if not todo or not len(index.item_doc):
        return [], 0
    index_dir = getattr(index, "index_dir", None)
    vecs = cached_embedder_vectors([wins.texts[n] for n in todo], model=model or index.meta.model,
                                   index_dir=index_dir, progress=progress)
    if vecs.shape[1] != index.meta.dim:
        raise PlansearchError(_("{index}: its vectors have {dim} dimensions, the model gives {got}; check with the "
                                "model the index was built with").format(index=index.location, dim=index.meta.dim,
                                                                         got=vecs.shape[1]))
    k_search = 16
    window_item = np.asarray(index.window_item) if hasattr(index, "window_item") else None
    cands: list[tuple[float, int, int]] = []  # (cos, todo position, window id)
    vindex = getattr(index, "vector_index", None)
    # per query, best first: the windows that may be sources, and those the margin is measured
    # against. The latter are every document but the excluded ones (the checked one itself): a
    # --years / --region filter says which documents count as sources, not what content is
    # generic, so narrowing the sources never lets more paraphrases through.
    results: list[tuple[list[tuple[float, int]], list[tuple[float, int]]]] = []
    if vindex is not None and window_item is not None:
        scores, ids = vindex.search(vecs.astype(np.float32), min(k_search, len(window_item)))
        for q in range(len(todo)):
            pairs = [(sc, w) for sc, w in zip(scores[q].tolist(), ids[q].tolist())
                     if w >= 0 and reference_rows[window_item[w]]]
            results.append(([p for p in pairs if allowed_rows[window_item[p[1]]]], pairs))
    else:
        sources = Selection(doc_rows=np.flatnonzero(_doc_mask_from_rows(index, allowed_rows)))
        reference = Selection(doc_rows=np.flatnonzero(_doc_mask_from_rows(index, reference_rows)))
        one_pool = not (reference_rows & ~allowed_rows).any()  # no filter: one search serves both
        for q in range(len(todo)):
            dw = index.dense_windows(vecs[q], k_search, sources)
            rw = dw if one_pool else index.dense_windows(vecs[q], k_search, reference)
            results.append((list(zip(dw.scores.tolist(), map(int, dw.windows.tolist()))),
                            list(zip(rw.scores.tolist(), map(int, rw.windows.tolist())))))
    for q, (found, pool) in enumerate(results):
        if not found or found[0][0] < st.paraphrase_min:
            continue
        # The best window must stand out from the best *other* content: in plans every measure has
        # many same-topic neighbours at cosine ~0.95; near-copies of the best window (another
        # year's version of it) are not "other" and are skipped, and may match too.
        best = index.window_vectors(np.array([found[0][1]], np.int64))[0]
        pool_vv = index.window_vectors(np.array([w for _, w in pool], np.int64))
        ref = next((sc for (sc, _w), v in zip(pool, pool_vv) if float(v @ best) < st.paraphrase_same), None)
        if ref is not None and found[0][0] - ref < st.paraphrase_margin:
            continue
        found_vv = index.window_vectors(np.array([w for _, w in found], np.int64))
        for (sc, w), v in zip(found, found_vv):
            if float(v @ best) >= st.paraphrase_same and sc >= st.paraphrase_min:
                cands.append((sc, q, w))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_q, used_w, out = set(), set(), []
    for sc, q, w in cands:  # one to one: the best pairs first
        if q in used_q or w in used_w:
            continue
        used_q.add(q)
        used_w.add(w)
        n = todo[q]
        a, b = wins.spans[n]
        out.append((wins.item_rows[n], a, b, w, sc))
    return out, len(todo)


def _doc_mask_from_rows(index, allowed_rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(index.documents), bool)
    mask[np.asarray(index.item_doc)[allowed_rows]] = True
    return mask
