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
   `semantic_top_k` A items nearest by embedding cosine join them (`_semantic_candidates`).
2. Each candidate pair is scored (`_score_pairs`): char similarity (rapidfuzz Indel normalised
   similarity of the keys, = difflib's ratio), containment (share of the shorter key lying in
   common blocks of >= 4 characters, in order, with the longer one; a side under
   `contain_min_chars` = 12 characters is never "contained", so 各位代表！ does not attach to every
   paragraph) and, when computed, the centred cosine (below).
3. A pair qualifies when char similarity >= `edited_min` or containment >= `contain_min`
   (character-level match), or centred cosine >= `related_min` (a match by meaning). A one-to-one
   assignment maximises the total score (`_match`: Hungarian method, written with numpy, run per
   connected component of the qualifying pairs). Character-level pairs score 1 + char similarity,
   pairs matched by meaning their cosine, so an item never loses its edited twin to one on the
   same subject; a small bonus for a similar position in both documents breaks ties in reading
   order (repeated boilerplate).
4. Many-to-one (`_join_splits_and_merges`): an unmatched B item whose key stands in a matched A
   item (containment >= `contain_min`) joins that A item's alignment (A item split in two), and an
   unmatched A item standing in a matched B item joins it (two items merged) -- unless it only
   repeats what the alignment's items on its side already say (a second copy is new, not the
   other half).
5. Each group gets its status (`_grouped_alignment`), and
6. the alignments are put in B's order with new and dropped items (`_alignments`).

Status of an alignment (its sides' keys concatenated in reading order):
- `same`: equal keys (so whitespace, line breaks, punctuation, T/S script, years and masks such as
  201X -> 202_, masked places **区/XX区 make no difference);
- `edited`: char similarity >= `edited_min` (default 0.6), or a split / merge / cut found by
  containment; `diff` holds the character diff in the original script (7300人 -> 7500人);
- matched by meaning, then by sentence (`sentence_alignment`): B's sentence windows are paired one
  to one with A's (key char similarity >= `sentence_char_min` or window cosine >=
  `sentence_cos_min`); `rewritten` when >= `reworded_min` of B's sentence characters have a
  partner (the same measures in other words), else `related`: the same subject, new content. A
  reader sees each sentence of B as kept, reworded (with its diff) or new, and A's that are gone
  (`sentences`, `sentence_share`);
- `new` / `dropped`: a B item / an A item without a partner.
The thresholds are calibrated for multilingual-e5-small on real labelled pairs
(tests/data/compare_pairs.jsonl, bench/compare_real.py; figures in bench/RESULTS.md).

Embedding. e5 puts every paragraph of a work report in a narrow cone (raw cosine >= 0.93 between
paragraphs on different subjects, >= 0.96 for most on one theme), so item cosines are measured from
the two documents' mean item vector (`centred_cosines`): unrelated items fall near 0. An item's
vector is the normalised mean of its sentence windows' -- the very windows an index embeds
(chunk.windows_of_items) -- so `index_dir`'s embedding cache answers for them and a comparison of
indexed documents embeds nothing; what it lacks is embedded once into the user's cache
(store.cached_embedder_vectors). Every window of both documents is embedded (the mean must not
depend on which items happen to be identical); identical items are still paired first and never
scored by cosine (their `semantic_similarity` stays None). Pass `vectors` (item vectors) to reuse
vectors (the sentence alignment then goes by characters only) or `semantic=False` to skip the
model (rewritten and related then cannot be detected).

Below the item: every sentence (chunk.sentence_spans) of B with at least `sentence_min` key
characters is looked up verbatim (after masking) in A; alignments carry theirs as
`verbatim_sentences`, and the summary counts them. That is how repeats inside long work-report
paragraphs show up even when the paragraphs as a whole were rewritten. The summary's verbatim
share and longest runs come from `fingerprint.shared_runs` over the two documents' items: the
share of B's characters (masked, compact) inside a run of >= `run_min` characters found in A.
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

from .chunk import ItemWindows, sentence_spans, windows_of_items
from .fingerprint import FingerprintText, covered, shared_runs
from .models import Alignment, DiffOp, Document, Item, SentenceMatch, SentencePair
from .normalise import compact, mask_variables_with_map, normalise_with_map
from .store import cached_embedder_vectors

STATUSES = ("same", "edited", "rewritten", "related", "new", "dropped")


@dataclass(frozen=True)
class Thresholds:
    """The knobs of `compare` (see the module docstring for how each is used)."""

    edited_min: float = 0.6  # char similarity of keys for `edited`
    # Calibrated on tests/data/compare_pairs.jsonl (bench/compare_real.py, multilingual-e5-small):
    related_min: float = 0.32  # centred item cosine for a match by meaning (rewritten or related)
    reworded_min: float = 0.4  # share of B's sentence characters with a partner in A: rewritten
    sentence_char_min: float = 0.4  # char similarity of two sentences' keys: partners
    sentence_cos_min: float = 0.96  # or cosine of their windows' vectors (raw): partners
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
    related: int = 0
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

    def of_span(self, start: int, end: int) -> str:
        """The key characters that come from text[start:end]."""
        return self.key[bisect.bisect_left(self.offsets, start):bisect.bisect_left(self.offsets, end)]


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


# --- the two sides, embedding ---------------------------------------------------------------------

def _mean_by_item(vectors: np.ndarray, item_rows: Sequence[int], n_items: int) -> np.ndarray:
    """(n_items, dim): each item's windows' vectors averaged and L2-normalised (zero without any)."""
    out = np.zeros((n_items, vectors.shape[1]), np.float32)
    np.add.at(out, np.asarray(item_rows, dtype=np.intp), vectors)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def item_vectors(items: Sequence[Item], model: str | None = None,
                 index_dir: str | os.PathLike | None = None, progress=None) -> np.ndarray:
    """(len(items), dim) L2-normalised item vectors: the mean of the item's sentence windows'
    vectors, the very windows an index embeds (chunk.windows_of_items), so an index's embedding
    cache answers for them; what it lacks goes through the user's cache
    (store.cached_embedder_vectors). One vector for a whole long paragraph would be diluted and cut
    at the model's input length, and no index holds it."""
    wins = windows_of_items(items)
    v = cached_embedder_vectors(wins.texts, model=model, index_dir=index_dir, progress=progress)
    return _mean_by_item(v, wins.item_rows, len(items))


@dataclass
class _Side:
    """One document's items as compare reads them: their keys and (when asked for: normalising
    every window costs as much as the rest of a char-only compare) their sentence windows."""

    items: list[Item]
    keys: list[_Key]
    window_vectors: np.ndarray | None = None  # per row of `windows`, once embedded

    @classmethod
    def of(cls, items: Sequence[Item]) -> "_Side":
        return cls(list(items), [item_key(it.text) for it in items])

    @functools.cached_property
    def windows(self) -> ItemWindows:
        """chunk.windows_of_items: what an index embeds, and the units of the sentence alignment."""
        return windows_of_items(self.items)

    @functools.cached_property
    def rows(self) -> list[list[int]]:
        """Per item, its rows in `windows`."""
        rows: list[list[int]] = [[] for _ in self.items]
        for r, i in enumerate(self.windows.item_rows):
            rows[i].append(r)
        return rows

    def window_key(self, row: int) -> str:
        return self.keys[self.windows.item_rows[row]].of_span(*self.windows.spans[row])


def _embed_items(A: _Side, B: _Side, model: str | None, index_dir, progress
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Every item's vector (mean of its windows'), the window vectors kept on each side for the
    sentence alignment. All windows, identical items' too: the documents' mean vector, which the
    cosines are measured from, must not depend on which items happen to be identical. One call,
    so a window in both documents is embedded once."""
    n_a = len(A.windows.texts)
    v = cached_embedder_vectors(A.windows.texts + B.windows.texts, model=model,
                                index_dir=index_dir, progress=progress)
    A.window_vectors, B.window_vectors = v[:n_a], v[n_a:]
    return (_mean_by_item(A.window_vectors, A.windows.item_rows, len(A.items)),
            _mean_by_item(B.window_vectors, B.windows.item_rows, len(B.items)))


def centred_cosines(va: np.ndarray, vb: np.ndarray) -> np.ndarray:
    """(len(vb), len(va)) cosines of item vectors measured from the two documents' mean item
    vector. e5 puts every paragraph of a work report in a narrow cone (raw cosine >= 0.93 for two
    paragraphs on different subjects, >= 0.96 for most on one theme): taken from the documents'
    own centre, unrelated items fall near 0 and items on one subject well above it."""
    centre = np.concatenate([va, vb]).mean(axis=0)

    def unit(x):
        x = x - centre
        n = np.linalg.norm(x, axis=1, keepdims=True)
        return x / np.where(n > 0, n, 1.0)

    return unit(vb) @ unit(va).T


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
        if self.cos is not None and self.cos >= th.related_min:
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
    """Align B's items to A's. `vectors` = (A's item vectors, B's) skips embedding (the sentence
    alignment then goes by characters only); `model` picks the embedder (None: the bundled
    default); `index_dir` lends the vectors its cache holds; `progress(stage, done, total)` hears
    how embedding goes."""
    t0 = time.perf_counter()
    th = thresholds
    A, B = _Side.of(a.items), _Side.of(b.items)
    # Identical keys pair up first (the k-th copy in A with the k-th in B): nothing beats them,
    # and the model need not read them (a plan copied to the next year embeds only its changes).
    identical = _identical_pairs(A.keys, B.keys)
    pairs = _char_candidates(A.keys, B.keys, th)  # step 1
    cos = None
    if semantic and A.items and B.items:
        cos, near = _semantic_candidates(A, B, identical, th, vectors, model, index_dir, progress)
        pairs |= near
    scores = _score_pairs(pairs, A, B, cos, th)  # step 2
    matching = _match(identical, scores, len(A.items), len(B.items), th)  # step 3
    _join_splits_and_merges(matching, scores, A, B, th)  # step 4
    summary = CompareSummary()
    _longest_runs(a, b, th, summary)
    verbatim = _verbatim_sentences(B.items, B.keys, A.keys, th, summary)
    alignments = _alignments(matching, _Context(A, B, cos, scores, th), verbatim)  # steps 5-6
    for al in alignments:
        setattr(summary, al.status, getattr(summary, al.status) + 1)
    return Comparison(a, b, alignments, summary, th, cos is not None, time.perf_counter() - t0)


def _semantic_candidates(A: _Side, B: _Side, identical: list[tuple[int, int]], th: Thresholds,
                         vectors, model, index_dir, progress
                         ) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Centred item cosines, (len(B), len(A)) with NaN where not needed (identical items are
    paired already), and each open B item's `semantic_top_k` nearest open A items. Nothing is
    embedded when one side has no open item (a document compared with itself)."""
    fixed_a = {i for i, _ in identical}
    fixed_b = {j for _, j in identical}
    open_a = [i for i in range(len(A.items)) if i not in fixed_a]
    open_b = [j for j in range(len(B.items)) if j not in fixed_b]
    cos = np.full((len(B.items), len(A.items)), np.nan, dtype=np.float32)
    if not open_a or not open_b:
        return cos, set()
    if vectors is not None:
        va, vb = (np.asarray(x, dtype=np.float32) for x in vectors)
    else:
        va, vb = _embed_items(A, B, model, index_dir, progress)
    sub = centred_cosines(va, vb)[np.ix_(open_b, open_a)]
    cos[np.ix_(open_b, open_a)] = sub
    k = min(th.semantic_top_k, len(open_a))
    top = np.argpartition(-sub, k - 1, axis=1)[:, :k]
    return cos, {(open_a[int(x)], open_b[y]) for y in range(len(open_b)) for x in top[y]}


def _score_pairs(pairs: set[tuple[int, int]], A: _Side, B: _Side, cos: np.ndarray | None,
                 th: Thresholds) -> dict[tuple[int, int], _PairScore]:
    scores = {}
    for i, j in pairs:
        x, y = A.keys[i].key, B.keys[j].key
        a_in_b, b_in_a = _containment(x, y, th)
        contain = b_in_a if len(y) <= len(x) else a_in_b
        c = float(cos[j, i]) if cos is not None else float("nan")
        scores[(i, j)] = _PairScore(Indel.normalized_similarity(x, y), contain, b_in_a, a_in_b,
                                    None if np.isnan(c) else c)
    return scores


@dataclass
class _Matching:
    """Which items align: groups keyed by the A item first matched, and each side's partner."""

    groups: dict[int, tuple[set[int], set[int]]]  # (A indices, B indices)
    a_of_b: dict[int, int]  # B index -> its group's key
    b_of_a: dict[int, int]  # A index -> a B index of its group


def _match(identical: list[tuple[int, int]], scores: dict[tuple[int, int], _PairScore], n: int,
           m: int, th: Thresholds) -> _Matching:
    """Identical pairs, then the optimal one-to-one assignment of the rest."""
    fixed_a = {i for i, _ in identical}
    fixed_b = {j for _, j in identical}
    open_scores = {ij: sc for ij, sc in scores.items()
                   if ij[0] not in fixed_a and ij[1] not in fixed_b}
    matched = identical + _assign(open_scores, n, m, th)
    return _Matching({i: ({i}, {j}) for i, j in matched}, {j: i for i, j in matched},
                     {i: j for i, j in matched})


def _join_splits_and_merges(mt: _Matching, scores: dict[tuple[int, int], _PairScore], A: _Side,
                            B: _Side, th: Thresholds) -> None:
    """Many-to-one: a leftover that stands inside a matched item joins that item's alignment."""
    by_b: dict[int, list[tuple[int, _PairScore]]] = {}
    by_a: dict[int, list[tuple[int, _PairScore]]] = {}
    for (i, j), s in scores.items():
        by_b.setdefault(j, []).append((i, s))
        by_a.setdefault(i, []).append((j, s))
    for j in range(len(B.items)):
        if j in mt.a_of_b:
            continue
        best = max(((sc.b_in_a, i) for i, sc in by_b.get(j, ())
                    if i in mt.b_of_a and sc.b_in_a >= th.contain_min
                    and not _repeats(B.keys[j].key, [B.keys[x].key for x in mt.groups[i][1]], th)),
                   default=None)
        if best:
            mt.groups[best[1]][1].add(j)
            mt.a_of_b[j] = best[1]
    for i in range(len(A.items)):
        if i in mt.b_of_a:
            continue
        best = max(((sc.a_in_b, j) for j, sc in by_a.get(i, ())
                    if j in mt.a_of_b and sc.a_in_b >= th.contain_min
                    and not _repeats(A.keys[i].key,
                                     [A.keys[x].key for x in mt.groups[mt.a_of_b[j]][0]], th)),
                   default=None)
        if best:
            mt.groups[mt.a_of_b[best[1]]][0].add(i)
            mt.b_of_a[i] = best[1]


def _repeats(key: str, group_keys: list[str], th: Thresholds) -> bool:
    """Whether `key` only repeats what the group's items on its side already say (a second copy of
    an item is not the other half of a split)."""
    return _containment(key, _SEP.join(group_keys), th)[0] >= th.contain_min


@dataclass
class _Context:
    """What deciding an alignment's status reads."""

    A: _Side
    B: _Side
    cos: np.ndarray | None  # item cosines, (len(B), len(A)), NaN where not computed
    scores: dict[tuple[int, int], _PairScore]
    th: Thresholds


def _alignments(mt: _Matching, ctx: _Context,
                verbatim: dict[int, list[SentenceMatch]]) -> list[Alignment]:
    """Every group, new B item and dropped A item as an alignment, in B's order, a dropped item
    right after the alignment of the nearest aligned A item before it."""
    A, B = ctx.A.items, ctx.B.items
    keyed: list[tuple[tuple, Alignment]] = []
    for a_set, b_set in mt.groups.values():
        ai, bj = sorted(a_set), sorted(b_set)
        al = _grouped_alignment(ai, bj, ctx)
        al.verbatim_sentences = tuple(s for j in bj for s in verbatim.get(j, ()))
        keyed.append(((bj[0], 0, 0), al))
    for j in range(len(B)):
        if j not in mt.a_of_b:
            keyed.append(((j, 0, 0), Alignment("new", (), (B[j],),
                                               verbatim_sentences=tuple(verbatim.get(j, ())))))
    aligned_a = sorted(mt.b_of_a)
    first_b = {i: min(b_set) for a_set, b_set in mt.groups.values() for i in a_set}
    for i in range(len(A)):
        if i in mt.b_of_a:
            continue
        k = bisect.bisect_left(aligned_a, i) - 1
        anchor = first_b[aligned_a[k]] if k >= 0 else -1
        keyed.append(((anchor, 1, i), Alignment("dropped", (A[i],), ())))
    keyed.sort(key=lambda t: t[0])
    return [al for _, al in keyed]


def _grouped_alignment(ai: list[int], bj: list[int], ctx: _Context) -> Alignment:
    """The alignment of A items `ai` with B items `bj`, its status decided on their keys joined in
    reading order: same, edited (characters), or matched by meaning -- then `rewritten` when most
    of B's sentences have a partner in A, else `related` (same topic, new content)."""
    th = ctx.th
    a_items = [ctx.A.items[i] for i in ai]
    b_items = [ctx.B.items[j] for j in bj]
    x = "".join(ctx.A.keys[i].key for i in ai)
    y = "".join(ctx.B.keys[j].key for j in bj)
    char = Indel.normalized_similarity(x, y)
    shorter, longer = (y, x) if len(y) <= len(x) else (x, y)
    contain = _containment(shorter, longer, th)[0]
    sem = None
    if ctx.cos is not None:
        known = [float(ctx.cos[j, i]) for i in ai for j in bj if not np.isnan(ctx.cos[j, i])]
        sem = float(np.mean(known)) if known else None
    if x == y:
        status = "same"
    elif char >= th.edited_min or contain >= th.contain_min or len(ai) + len(bj) > 2:
        status = "edited"
    elif sem is not None and sem >= th.related_min:
        status = "meaning"
    else:  # qualified in the assignment on its own scores; keep what qualified it
        status = "edited" if ctx.scores[(ai[0], bj[0])].char_level(th) else "meaning"
    diff, sentences, share = (), (), None
    if status != "same":
        diff = char_diff("\n".join(it.text for it in a_items), "\n".join(it.text for it in b_items))
    if status == "meaning":
        sentences, share = sentence_alignment(ctx.A, ai, ctx.B, bj, th)
        status = meaning_status(share, th)
    return Alignment(status, tuple(a_items), tuple(b_items), char, sem, contain, diff,
                     sentences=sentences, sentence_share=share)


def meaning_status(sentence_share: float, th: Thresholds) -> str:
    """A pair matched by meaning: `rewritten` when at least `reworded_min` of B's sentence
    characters have a partner in A (the same measures in other words), else `related` (the same
    topic, new content)."""
    return "rewritten" if sentence_share >= th.reworded_min else "related"


@dataclass
class PairEvidence:
    """What compare decides a given (A item, B item) pair on, when characters alone do not pair it."""

    centred_cosine: float  # item cosine from the two documents' mean (centred_cosines)
    sentence_share: float  # share of B's sentence characters with a partner in A
    char_similarity: float  # of the two items' keys

    def status(self, th: Thresholds) -> str | None:
        """`rewritten` / `related`, or None: too far apart in meaning to pair (new + dropped)."""
        if self.centred_cosine < th.related_min:
            return None
        return meaning_status(self.sentence_share, th)


def pair_evidence(a: Document, b: Document, pairs: Sequence[tuple[int, int]],
                  grid: Sequence[Thresholds] = (Thresholds(),), *, model: str | None = None,
                  index_dir: str | os.PathLike | None = None, progress=None
                  ) -> list[list[PairEvidence]]:
    """For each thresholds in `grid` (the sentence ones matter), the evidence on each given pair of
    item indices (A's, B's): the same embedding, centring and sentence alignment compare uses.
    What bench/compare_real.py calibrates the thresholds on, with labelled pairs."""
    A, B = _Side.of(a.items), _Side.of(b.items)
    va, vb = _embed_items(A, B, model, index_dir, progress)
    cos = centred_cosines(va, vb)
    out = []
    for th in grid:
        out.append([PairEvidence(float(cos[j, i]), sentence_alignment(A, [i], B, [j], th)[1],
                                 Indel.normalized_similarity(A.keys[i].key, B.keys[j].key))
                    for i, j in pairs])
    return out


# --- sentences inside an alignment ----------------------------------------------------------------

def sentence_alignment(A: _Side, ai: list[int], B: _Side, bj: list[int], th: Thresholds
                       ) -> tuple[tuple[SentencePair, ...], float]:
    """B's sentence windows (chunk.windows_of_items) paired one to one with A's (same optimal
    assignment as the items): partners are equal keys, keys of char similarity >=
    `sentence_char_min`, or windows of cosine >= `sentence_cos_min`. Returns the pairs in B's order
    (an A sentence without partner after the B sentence whose partner precedes it) and the share
    of B's sentence characters (keys) that have a partner."""
    ua = [r for i in ai for r in A.rows[i]]
    ub = [r for j in bj for r in B.rows[j]]
    ka = [A.window_key(r) for r in ua]
    kb = [B.window_key(r) for r in ub]
    char = np.array([[Indel.normalized_similarity(x, y) if x and y else 0.0 for x in ka] for y in kb])
    char = char.reshape(len(ub), len(ua))
    cos = None
    if A.window_vectors is not None and B.window_vectors is not None:
        cos = B.window_vectors[ub] @ A.window_vectors[ua].T
    w = np.where(char >= th.sentence_char_min, 1.0 + char, 0.0)
    if cos is not None:
        w = np.where((w == 0) & (cos >= th.sentence_cos_min), cos, w)
    partner = {}
    if len(ua) and len(ub):
        partner = {y: x for y, x in _hungarian_max(w) if w[y, x] > 0}
    a_done = {x: y for y, x in partner.items()}
    keyed = []

    def side(s: _Side, r: int) -> tuple[int, int, int]:
        return (s.items[s.windows.item_rows[r]].ordinal, *s.windows.spans[r])

    for y, r_b in enumerate(ub):
        b_ord, b_s, b_e = side(B, r_b)
        x = partner.get(y)
        if x is None:
            keyed.append(((y, 0, 0), SentencePair("new", b_ord, b_s, b_e, None, 0, 0)))
            continue
        a_ord, a_s, a_e = side(A, ua[x])
        same = ka[x] == kb[y]
        diff = () if same else char_diff(A.items[A.windows.item_rows[ua[x]]].text[a_s:a_e],
                                         B.items[B.windows.item_rows[r_b]].text[b_s:b_e])
        keyed.append(((y, 0, 0), SentencePair("same" if same else "reworded", b_ord, b_s, b_e,
                                               a_ord, a_s, a_e, float(char[y, x]),
                                               None if cos is None else float(cos[y, x]), diff)))
    for x, r_a in enumerate(ua):
        if x in a_done:
            continue
        before = [y for xx, y in a_done.items() if xx < x]
        a_ord, a_s, a_e = side(A, r_a)
        keyed.append(((max(before, default=-1), 1, x), SentencePair("dropped", None, 0, 0, a_ord, a_s, a_e)))
    keyed.sort(key=lambda t: t[0])
    total = sum(len(k) for k in kb)
    matched = sum(len(kb[y]) for y in partner)
    return tuple(p for _, p in keyed), (matched / total if total else 0.0)


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
            skey = key.of_span(s, e)
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
