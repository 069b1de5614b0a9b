"""Compare two plans item by item: what B kept, edited, reworded, added and dropped from A.

    >>> cmp = plansearch.compare(doc_2023, doc_2024)
    >>> cmp.summary.counts, [al.status for al in cmp.alignments]

How it decides
--------------
Every item is matched on its *key*: `compact(mask_variables(normalise(text)))`, i.e. Simplified,
lower case, years and masked places as placeholders, whitespace and punctuation dropped.

1. Candidates, never all pairs of difflib: an inverted index of character 3-gram shingles over A's
   keys gives, for each B item, the A items sharing the most shingles (top `candidates` by Dice and
   by overlap coefficient, the latter finds fragments of a split item). With `semantic=True` the
   `semantic_top_k` A items nearest by embedding cosine join them.
2. Each candidate pair is scored: char similarity (rapidfuzz Indel normalised similarity of the
   keys, = difflib's ratio), containment (share of the shorter key lying in common blocks of >= 4
   characters, in order, with the longer one; a side under `contain_min_chars` = 12 characters is
   never "contained", so 各位代表！ does not attach to every paragraph) and, when computed, cosine.
3. A pair qualifies when char similarity >= `edited_min` or containment >= `contain_min`
   (character-level match), or cosine >= `rewritten_min` (semantic match). A one-to-one assignment
   maximises the total score (Hungarian method, written with numpy, run per connected component of
   the qualifying pairs). Character-level pairs score 1 + char similarity, semantic-only pairs
   their cosine, so an item never loses its reworded twin to a vaguely similar one; a small bonus
   for a similar position in both documents breaks ties in reading order (repeated boilerplate).
4. Many-to-one: an unmatched B item whose key stands in a matched A item (containment >=
   `contain_min`) joins that A item's alignment (A item split in two), and an unmatched A item
   standing in a matched B item joins it (two items merged) -- unless it only repeats what the
   alignment's items on its side already say (a second copy is new, not the other half).

Status of an alignment (its sides' keys concatenated in reading order):
- `same`: equal keys (so whitespace, line breaks, punctuation, T/S script, years and masks such as
  201X -> 202_, masked places **区/XX区 make no difference);
- `edited`: char similarity >= `edited_min` (default 0.6), or a split / merge / cut found by
  containment; `diff` holds the character diff in the original script (7300人 -> 7500人);
- `rewritten`: cosine >= `rewritten_min` (default 0.96, measured for multilingual-e5-small,
  characters in common: the same measure in other words;
- `new` / `dropped`: a B item / an A item without a partner.

Below the item: every sentence (chunk.sentence_spans) of B with at least `sentence_min` key
characters is looked up verbatim (after masking) in A; alignments carry theirs as
`verbatim_sentences`, and the summary counts them. That is how repeats inside long work-report
paragraphs show up even when the paragraphs as a whole were rewritten. The summary's verbatim
share and longest runs come from `fingerprint.shared_runs` over the two documents' items: the
share of B's characters (masked, compact) inside a run of >= `run_min` characters found in A.

Items whose keys are identical in A and B are paired before anything else and never embedded
(their `semantic_similarity` stays None), so a plan copied to the next year costs the model only
its changed items. Embedding goes through `item_vectors` only (the index's embedding cache when
`index_dir` has one); pass `vectors` to reuse vectors or `semantic=False` to skip the model
(rewritten then cannot be detected).
"""
from __future__ import annotations

import bisect
import functools
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from rapidfuzz.distance import Indel, Levenshtein

from .chunk import sentence_spans
from .fingerprint import FingerprintText, covered, shared_runs
from .models import Alignment, DiffOp, Document, Item, SentenceMatch
from .normalise import compact, mask_variables_with_map, normalise, normalise_with_map

STATUSES = ("same", "edited", "rewritten", "new", "dropped")


@dataclass(frozen=True)
class Thresholds:
    """The knobs of `compare` (see the module docstring for how each is used)."""

    edited_min: float = 0.6  # char similarity of keys for `edited`
    rewritten_min: float = 0.96  # embedding cosine for `rewritten` (multilingual-e5-small scale)
    contain_min: float = 0.8  # share of the shorter key standing in the longer: split/merge/cut
    candidates: int = 8  # char candidates per B item, by each of Dice and overlap coefficient
    semantic_top_k: int = 5  # cosine candidates per B item
    shingle: int = 3  # character n-gram of the candidate index
    cover_block: int = 4  # shortest common block (in order) that counts towards containment
    contain_min_chars: int = 12  # a shorter side below this is too short to be "contained"
    run_min: int = 10  # shortest common run (fingerprint characters) in the verbatim share
    sentence_min: int = 8  # shortest sentence (key characters) looked up verbatim


@dataclass
class VerbatimRun:
    """A stretch of B's text found verbatim in A (fingerprint.shared_runs)."""

    text: str  # B's original script
    chars: int  # fingerprint characters (no punctuation/whitespace)
    b_ordinal: int
    a_ordinal: int


@dataclass
class CompareSummary:
    same: int = 0
    edited: int = 0
    rewritten: int = 0
    new: int = 0
    dropped: int = 0
    b_chars: int = 0  # fingerprint characters of all B items (fingerprint.FingerprintText)
    verbatim_chars: int = 0  # of them, inside a run of >= run_min shared with A's items
    longest_runs: list[VerbatimRun] = field(default_factory=list)
    sentences: int = 0  # B sentences long enough to look up
    sentences_verbatim: int = 0  # of them, standing verbatim somewhere in A

    @property
    def counts(self) -> dict[str, int]:
        return {s: getattr(self, s) for s in STATUSES}

    @property
    def verbatim_share(self) -> float:
        return self.verbatim_chars / self.b_chars if self.b_chars else 0.0


@dataclass
class Comparison:
    a: Document
    b: Document
    alignments: list[Alignment]  # in B's order, dropped A items after their A predecessor
    summary: CompareSummary
    thresholds: Thresholds
    semantic: bool  # whether semantics were asked for and both documents have items
    seconds: float = 0.0  # wall time of compare() (embedding included)

    def only(self, statuses: Sequence[str]) -> list[Alignment]:
        wanted = set(statuses)
        return [al for al in self.alignments if al.status in wanted]


# --- keys -----------------------------------------------------------------------------------------

@dataclass
class _Key:
    """An item's matching key and, for each key character, its offset in the item's text."""

    key: str
    offsets: list[int]

    def slice_bounds(self, start: int, end: int, text_len: int) -> tuple[int, int]:
        """Original-text bounds of key[start:end] (end exclusive)."""
        a = self.offsets[start] if start < len(self.offsets) else text_len
        b = self.offsets[end - 1] + 1 if end > 0 else a
        return a, b


@functools.lru_cache(maxsize=4096)
def _is_kept(ch: str) -> bool:
    return bool(compact(ch))


def item_key(text: str) -> _Key:
    """compact(mask_variables(normalise(text))) with offsets back into `text`."""
    norm, offs = normalise_with_map(text)
    masked, starts, _ends = mask_variables_with_map(norm, offs, [o + 1 for o in offs])
    chars, key_offs = [], []
    for ch, o in zip(masked, starts):
        if _is_kept(ch):
            chars.append(ch)
            key_offs.append(o)
    return _Key("".join(chars), key_offs)


def _grams(s: str, n: int) -> set[str]:
    if len(s) <= n:
        return {s} if s else set()
    return {s[i:i + n] for i in range(len(s) - n + 1)}


def _common_blocks(x: str, y: str, min_block: int) -> int:
    """Characters of x and y in common blocks of >= min_block characters, in order (an LCS
    alignment), so stock phrases scattered over a long paragraph do not add up to containment."""
    if not x or not y:
        return 0
    return sum(op.src_end - op.src_start for op in Indel.opcodes(x, y)
               if op.tag == "equal" and op.src_end - op.src_start >= min_block)


def _containment(x: str, y: str, th: "Thresholds") -> tuple[float, float]:
    """(share of x standing in y, share of y standing in x); a side shorter than
    `contain_min_chars` counts as not contained."""
    common = _common_blocks(x, y, th.cover_block)
    x_in_y = common / len(x) if len(x) >= th.contain_min_chars else 0.0
    y_in_x = common / len(y) if len(y) >= th.contain_min_chars else 0.0
    return x_in_y, y_in_x


# --- embedding ------------------------------------------------------------------------------------

def item_vectors(items: Sequence[Item], model: str | None = None,
                 index_dir: str | os.PathLike | None = None, progress=None) -> np.ndarray:
    """(len(items), dim) L2-normalised vectors of the items' normalised text: read from the
    index's embedding cache when `index_dir` holds them, else embedded through the user's cache
    (store.cached_embedder_vectors). The only place compare embeds."""
    from .store import cached_embedder_vectors

    texts = [it.norm or normalise(it.text) for it in items]
    return cached_embedder_vectors(texts, model=model, index_dir=index_dir, progress=progress)


# --- candidates, scores, assignment ---------------------------------------------------------------

@dataclass
class _PairScore:
    char: float
    contain: float  # shorter key's coverage in the longer
    b_in_a: float
    a_in_b: float
    cos: float | None

    def char_level(self, th: Thresholds) -> bool:
        return self.char >= th.edited_min or self.contain >= th.contain_min

    def weight(self, th: Thresholds) -> float:
        if self.char_level(th):
            return 1.0 + self.char
        if self.cos is not None and self.cos >= th.rewritten_min:
            return self.cos
        return 0.0


def _identical_pairs(ka: list[_Key], kb: list[_Key]) -> list[tuple[int, int]]:
    """(i, j) of items with equal keys, the k-th copy in A with the k-th copy in B."""
    by_key: dict[str, list[int]] = {}
    for i, k in enumerate(ka):
        by_key.setdefault(k.key, []).append(i)
    taken: Counter[str] = Counter()
    out = []
    for j, k in enumerate(kb):
        copies = by_key.get(k.key, ())
        if taken[k.key] < len(copies):
            out.append((copies[taken[k.key]], j))
            taken[k.key] += 1
    return out


def _char_candidates(ka: list[_Key], kb: list[_Key], th: Thresholds) -> set[tuple[int, int]]:
    """(i, j) pairs of A item i and B item j sharing the most key shingles."""
    index: dict[str, list[int]] = {}
    a_sizes = []
    for i, k in enumerate(ka):
        grams = _grams(k.key, th.shingle)
        a_sizes.append(len(grams))
        for g in grams:
            index.setdefault(g, []).append(i)
    pairs: set[tuple[int, int]] = set()
    for j, k in enumerate(kb):
        grams = _grams(k.key, th.shingle)
        shared: Counter[int] = Counter()
        for g in grams:
            for i in index.get(g, ()):
                shared[i] += 1
        if not shared:
            continue
        dice = sorted(shared, key=lambda i: -2 * shared[i] / (a_sizes[i] + len(grams)))
        overlap = sorted(shared, key=lambda i: -shared[i] / max(1, min(a_sizes[i], len(grams))))
        for i in dice[:th.candidates] + overlap[:th.candidates]:
            pairs.add((i, j))
    return pairs


def _hungarian_max(weights: np.ndarray) -> list[tuple[int, int]]:
    """Row/column pairs of a maximum-weight assignment (rows <= columns handled by transposing).
    Shortest augmenting path with potentials (Kuhn-Munkres, O(n^2 m)), inner loop in numpy."""
    transposed = weights.shape[0] > weights.shape[1]
    w = weights.T if transposed else weights
    n, m = w.shape
    cost = np.zeros((n + 1, m + 1))
    cost[1:, 1:] = -w
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    p = np.zeros(m + 1, dtype=int)  # p[j]: row assigned to column j (0 = none)
    way = np.zeros(m + 1, dtype=int)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            free = ~used
            cur = cost[i0] - u[i0] - v
            better = free & (cur < minv)
            minv[better] = cur[better]
            way[better] = j0
            masked = np.where(free, minv, np.inf)
            j1 = int(np.argmin(masked))
            delta = masked[j1]
            u[p[used]] += delta
            v[used] -= delta
            minv[free] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    out = [(int(p[j]) - 1, j - 1) for j in range(1, m + 1) if p[j]]
    return [(c, r) for r, c in out] if transposed else out


def _components(pairs: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Connected components of the bipartite graph of qualifying pairs (union-find)."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        ra, rb = find(("a", i)), find(("b", j))
        if ra != rb:
            parent[ra] = rb
    comps: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for i, j in pairs:
        comps.setdefault(find(("a", i)), []).append((i, j))
    return list(comps.values())


def _assign(scores: dict[tuple[int, int], _PairScore], n: int, m: int,
            th: Thresholds) -> list[tuple[int, int]]:
    weighted = {}
    for (i, j), s in scores.items():
        w = s.weight(th)
        if w > 0:
            # Tie-break by position: the k-th copy of a repeated item in A goes to the k-th in B.
            weighted[(i, j)] = w + 1e-3 * (1 - abs(i / max(1, n) - j / max(1, m)))
    matched = []
    for comp in _components(list(weighted)):
        if len(comp) == 1:
            matched.append(comp[0])
            continue
        rows = sorted({i for i, _ in comp})
        cols = sorted({j for _, j in comp})
        w = np.zeros((len(rows), len(cols)))
        for i, j in comp:
            w[rows.index(i), cols.index(j)] = weighted[(i, j)]
        for r, c in _hungarian_max(w):
            if w[r, c] > 0:
                matched.append((rows[r], cols[c]))
    return matched


# --- diff -----------------------------------------------------------------------------------------

def char_diff(a_text: str, b_text: str) -> tuple[DiffOp, ...]:
    """Character diff of two texts, computed on their normalised forms (so width and script do not
    show as changes) and given back as slices of the original texts. Equal islands of one
    character between two changes are folded into the change (no confetti in reworded text)."""
    a_norm, a_offs = normalise_with_map(a_text)
    b_norm, b_offs = normalise_with_map(b_text)

    def bound(offs, k, text):
        return offs[k] if k < len(offs) else len(text)

    raw = [(op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end)
           for op in Levenshtein.opcodes(a_norm, b_norm)]
    merged: list[list] = []
    for k, (tag, a1, a2, b1, b2) in enumerate(raw):
        island = (tag == "equal" and a2 - a1 <= 1 and 0 < k < len(raw) - 1)
        t = "replace" if island else tag
        if merged and t != "equal" and merged[-1][0] != "equal":
            prev = merged[-1]
            prev[2], prev[4] = a2, b2
            prev[0] = "replace"
        else:
            merged.append([t, a1, a2, b1, b2])
    ops = []
    for tag, a1, a2, b1, b2 in merged:
        if tag == "replace" and a1 == a2:
            tag = "insert"
        elif tag == "replace" and b1 == b2:
            tag = "delete"
        a_slice = a_text[bound(a_offs, a1, a_text):bound(a_offs, a2, a_text)]
        b_slice = b_text[bound(b_offs, b1, b_text):bound(b_offs, b2, b_text)]
        if a_slice or b_slice:
            ops.append(DiffOp(tag, a_slice, b_slice))
    return tuple(ops)


# --- compare --------------------------------------------------------------------------------------

_SEP = "\x00"  # joins keys so that no match runs across two items


def compare(a: Document, b: Document, *, thresholds: Thresholds = Thresholds(),
            semantic: bool = True, model: str | None = None,
            vectors: tuple[np.ndarray, np.ndarray] | None = None,
            index_dir: str | os.PathLike | None = None, progress=None) -> Comparison:
    """Align B's items to A's. `vectors` = (A's item vectors, B's) skips embedding; `model` picks
    the embedder (None: the bundled default); `index_dir` lends the vectors its cache holds;
    `progress(stage, done, total)` hears how embedding goes."""
    t0 = time.perf_counter()
    th = thresholds
    A, B = a.items, b.items
    ka = [item_key(it.text) for it in A]
    kb = [item_key(it.text) for it in B]

    # Identical keys pair up first (the k-th copy in A with the k-th in B): nothing beats them,
    # and the model need not read them (a plan copied to the next year embeds only its changes).
    identical = _identical_pairs(ka, kb)
    fixed_a = {i for i, _ in identical}
    fixed_b = {j for _, j in identical}
    pairs = _char_candidates(ka, kb, th)
    cos = None  # (m, n) cosines, NaN where not computed
    if semantic and A and B:
        open_a = [i for i in range(len(A)) if i not in fixed_a]
        open_b = [j for j in range(len(B)) if j not in fixed_b]
        cos = np.full((len(B), len(A)), np.nan, dtype=np.float32)
        if open_a and open_b:
            if vectors is not None:
                va = np.asarray(vectors[0], dtype=np.float32)[open_a]
                vb = np.asarray(vectors[1], dtype=np.float32)[open_b]
            else:  # one call, so a text standing in both documents is embedded once
                v = item_vectors([A[i] for i in open_a] + [B[j] for j in open_b], model, index_dir, progress)
                va, vb = v[:len(open_a)], v[len(open_a):]
            sub = vb @ va.T
            cos[np.ix_(open_b, open_a)] = sub
            k = min(th.semantic_top_k, len(open_a))
            top = np.argpartition(-sub, k - 1, axis=1)[:, :k]
            pairs |= {(open_a[int(x)], open_b[y]) for y in range(len(open_b)) for x in top[y]}

    scores: dict[tuple[int, int], _PairScore] = {}
    for i, j in pairs:
        x, y = ka[i].key, kb[j].key
        a_in_b, b_in_a = _containment(x, y, th)
        contain = b_in_a if len(y) <= len(x) else a_in_b
        c = float(cos[j, i]) if cos is not None else float("nan")
        scores[(i, j)] = _PairScore(Indel.normalized_similarity(x, y), contain, b_in_a, a_in_b,
                                    None if np.isnan(c) else c)

    open_scores = {ij: sc for ij, sc in scores.items()
                   if ij[0] not in fixed_a and ij[1] not in fixed_b}
    matched = identical + _assign(open_scores, len(A), len(B), th)
    a_of_b = {j: i for i, j in matched}
    b_of_a = {i: j for i, j in matched}
    groups: dict[int, tuple[set[int], set[int]]] = {i: ({i}, {j}) for i, j in matched}

    # Many-to-one: a leftover that stands inside a matched item joins that item's alignment.
    by_b: dict[int, list[tuple[int, _PairScore]]] = {}
    by_a: dict[int, list[tuple[int, _PairScore]]] = {}
    for (i, j), s in scores.items():
        by_b.setdefault(j, []).append((i, s))
        by_a.setdefault(i, []).append((j, s))
    for j in range(len(B)):
        if j in a_of_b:
            continue
        best = max(((sc.b_in_a, i) for i, sc in by_b.get(j, ())
                    if i in b_of_a and sc.b_in_a >= th.contain_min
                    and not _repeats(kb[j].key, [kb[x].key for x in groups[i][1]], th)),
                   default=None)
        if best:
            groups[best[1]][1].add(j)
            a_of_b[j] = best[1]
    for i in range(len(A)):
        if i in b_of_a:
            continue
        best = max(((sc.a_in_b, j) for j, sc in by_a.get(i, ())
                    if j in a_of_b and sc.a_in_b >= th.contain_min
                    and not _repeats(ka[i].key, [ka[x].key for x in groups[a_of_b[j]][0]], th)),
                   default=None)
        if best:
            host = a_of_b[best[1]]
            groups[host][0].add(i)
            b_of_a[i] = best[1]

    summary = CompareSummary()
    _longest_runs(a, b, th, summary)
    sentences = _verbatim_sentences(B, kb, ka, th, summary)
    alignments: list[tuple[tuple, Alignment]] = []
    for a_set, b_set in groups.values():
        ai, bj = sorted(a_set), sorted(b_set)
        al = _grouped_alignment([A[i] for i in ai], [B[j] for j in bj],
                                [ka[i] for i in ai], [kb[j] for j in bj],
                                cos, ai, bj, th, scores)
        al.verbatim_sentences = tuple(s for j in bj for s in sentences.get(j, ()))
        alignments.append(((bj[0], 0, 0), al))
    for j in range(len(B)):
        if j not in a_of_b:
            al = Alignment("new", (), (B[j],),
                           verbatim_sentences=tuple(sentences.get(j, ())))
            alignments.append(((j, 0, 0), al))
    aligned_a = sorted(i for i in b_of_a)
    for i in range(len(A)):
        if i in b_of_a:
            continue
        # Place a dropped item after the alignment of the nearest aligned A item before it.
        k = bisect.bisect_left(aligned_a, i) - 1
        anchor = _first_b_of(groups, aligned_a[k]) if k >= 0 else -1
        alignments.append(((anchor, 1, i), Alignment("dropped", (A[i],), ())))
    alignments.sort(key=lambda t: t[0])
    result = [al for _, al in alignments]
    for al in result:
        setattr(summary, al.status, getattr(summary, al.status) + 1)
    return Comparison(a, b, result, summary, th, cos is not None, time.perf_counter() - t0)


def _repeats(key: str, group_keys: list[str], th: Thresholds) -> bool:
    """Whether `key` only repeats what the group's items on its side already say (a second copy of
    an item is not the other half of a split)."""
    return _containment(key, _SEP.join(group_keys), th)[0] >= th.contain_min


def _first_b_of(groups: dict[int, tuple[set[int], set[int]]], i: int) -> int:
    """The first B index of the alignment holding A item i."""
    return next(min(b_set) for a_set, b_set in groups.values() if i in a_set)


def _grouped_alignment(a_items, b_items, a_keys, b_keys, cos, ai, bj, th, scores) -> Alignment:
    x = "".join(k.key for k in a_keys)
    y = "".join(k.key for k in b_keys)
    char = Indel.normalized_similarity(x, y)
    shorter, longer = (y, x) if len(y) <= len(x) else (x, y)
    contain = _containment(shorter, longer, th)[0]
    sem = None
    if cos is not None:
        known = [float(cos[j, i]) for i in ai for j in bj if not np.isnan(cos[j, i])]
        sem = float(np.mean(known)) if known else None
    if x == y:
        status = "same"
    elif char >= th.edited_min or contain >= th.contain_min or len(ai) + len(bj) > 2:
        status = "edited"
    elif sem is not None and sem >= th.rewritten_min:
        status = "rewritten"
    else:  # qualified in the assignment on its own scores; keep what qualified it
        status = "edited" if scores[(ai[0], bj[0])].char_level(th) else "rewritten"
    diff = ()
    if status != "same":
        diff = char_diff("\n".join(it.text for it in a_items), "\n".join(it.text for it in b_items))
    return Alignment(status, tuple(a_items), tuple(b_items), char, sem, contain, diff)


def _item_fingerprints(doc: Document) -> tuple[FingerprintText, list[int]]:
    """The document's items as one fingerprint text, and where each item starts in it."""
    parts = [FingerprintText.from_spans(doc.text, [(it.start, it.end)]) for it in doc.items]
    starts, pos = [], 0
    for f in parts:
        starts.append(pos)
        pos += len(f)
    joined = FingerprintText("".join(f.text for f in parts),
                             tuple(x for f in parts for x in f.starts),
                             tuple(x for f in parts for x in f.ends))
    return joined, starts


def _longest_runs(a: Document, b: Document, th: Thresholds,
                  summary: CompareSummary) -> None:
    """Document-level verbatim figures from fingerprint.shared_runs over both documents' items
    (independent of the alignment, so text that moved to another section counts too). Runs are
    cut at B's item borders so each one names the B item it stands in."""
    fa, a_starts = _item_fingerprints(a)
    fb, b_starts = _item_fingerprints(b)
    summary.b_chars = len(fb)
    if not len(fa) or not len(fb):
        return
    runs = shared_runs(fa, fb, min_len=th.run_min)
    summary.verbatim_chars = covered(runs, "b")
    pieces: dict[tuple[int, int], VerbatimRun] = {}  # a passage repeated in A: one per B span
    for r in runs:
        pos = r.b_pos
        while pos < r.b_stop:
            j = bisect.bisect_right(b_starts, pos) - 1
            stop = min(r.b_stop, b_starts[j + 1] if j + 1 < len(b_starts) else r.b_stop)
            if stop - pos >= th.run_min and (pos, stop) not in pieces:
                s, e = fb.source_span(pos, stop)
                a_pos = r.a_pos + (pos - r.b_pos)
                pieces[(pos, stop)] = VerbatimRun(
                    b.text[s:e], stop - pos, b.items[j].ordinal,
                    a.items[bisect.bisect_right(a_starts, a_pos) - 1].ordinal)
            pos = stop
    summary.longest_runs = sorted(pieces.values(), key=lambda v: (-v.chars, v.b_ordinal))[:5]


def _verbatim_sentences(B: list[Item], kb: list[_Key], ka: list[_Key], th: Thresholds,
                        summary: CompareSummary) -> dict[int, list[SentenceMatch]]:
    """B's sentences that stand verbatim (as keys) inside one A item, by B item index."""
    joined = _SEP.join(k.key for k in ka)
    starts = [0]
    for k in ka[:-1]:
        starts.append(starts[-1] + len(k.key) + 1)
    found: dict[int, list[SentenceMatch]] = {}
    for j, (it, key) in enumerate(zip(B, kb)):
        for s, e in sentence_spans(it.text):
            lo = bisect.bisect_left(key.offsets, s)
            hi = bisect.bisect_left(key.offsets, e)
            skey = key.key[lo:hi]
            if len(skey) < th.sentence_min:
                continue
            summary.sentences += 1
            pos = joined.find(skey)
            if pos < 0:
                continue
            summary.sentences_verbatim += 1
            a_idx = bisect.bisect_right(starts, pos) - 1
            found.setdefault(j, []).append(SentenceMatch(it.ordinal, s, e, it.text[s:e], a_idx))
    return found
