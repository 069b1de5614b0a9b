"""Verbatim-overlap primitives: winnowing fingerprints and shared runs between two texts.

Matching works on a *fingerprint text*: the original text normalised (`normalise_with_map`), with
years and masked places replaced by placeholders (as `mask_variables` does) and whitespace and
punctuation dropped (as `compact` does). So "201X年" matches "202_年", a changed line break or
comma does not break a run, and Traditional matches Simplified. Every fingerprint-text character
keeps the [start, end) of the source characters it came from, so a run found here maps back to a
span of the original text (a placeholder maps to the whole year/place it replaced).

    a = FingerprintText.from_text(doc_a.text)            # or .from_spans(text, item spans)
    b = FingerprintText.from_text(doc_b.text)
    runs = shared_runs(a, b, min_len=20)                  # maximal verbatim runs, original offsets
    verbatim_share(runs, b, side="b")                    # share of b's characters inside a run

Winnowing (Schleimer, Wilkerson & Aiken 2003): hash every k-gram, then from every window of `w`
consecutive k-gram hashes keep the minimum. Guarantee used throughout: two texts that share a
substring of at least `w + k - 1` characters share at least one kept fingerprint inside it (the
window lying inside the shared substring is identical in both and selects the same k-gram).
`shared_runs` turns such seeds into maximal runs by extending them character by character.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Literal

import numpy as np

# The very patterns mask_variables applies, so both forms of masking agree (tested).
from .normalise import mask_variables_with_map, normalise_with_map

DEFAULT_K = 8  # characters per k-gram: an 8-character Chinese string rarely recurs by chance

_DROPPED = re.compile(r"[^\w§]|_")  # what `compact` removes, one character at a time


@dataclass(frozen=True)
class FingerprintText:
    """Masked, compact, normalised text with each character's source span.

    `starts[i]`/`ends[i]` are the [start, end) in the source text (offset by `base`) of the
    characters that produced `text[i]`."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def from_text(cls, text: str, base: int = 0) -> "FingerprintText":
        return cls.from_spans(text, [(0, len(text))], base=base)

    @classmethod
    def from_spans(cls, text: str, spans: Iterable[tuple[int, int]], base: int = 0) -> "FingerprintText":
        """Only the given [start, end) spans of `text` (e.g. a document's headings and items, leaving
        out site furniture), concatenated in the order given, so a run may cross span borders."""
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for a, b in spans:
            norm, offsets = normalise_with_map(text[a:b])
            seg_starts = [a + o for o in offsets]
            seg_ends = [s + 1 for s in seg_starts]
            masked, m_starts, m_ends = mask_variables_with_map(norm, seg_starts, seg_ends)
            for ch, s, e in zip(masked, m_starts, m_ends):
                if not _DROPPED.match(ch):
                    chars.append(ch)
                    starts.append(s + base)
                    ends.append(e + base)
        return cls("".join(chars), tuple(starts), tuple(ends))

    def __len__(self) -> int:
        return len(self.text)

    def source_span(self, pos: int, end: int) -> tuple[int, int]:
        """The [start, end) in the source text of fingerprint characters [pos, end)."""
        if end <= pos:
            raise ValueError(f"empty span {pos}:{end}")
        return self.starts[pos], self.ends[end - 1]


# ---------------------------------------------------------------- k-grams and winnowing

_BASE = np.uint64(0x100000001B3)  # FNV prime: odd, so the polynomial hash uses all 64 bits
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def kgrams(text: str, k: int = DEFAULT_K) -> np.ndarray:
    """64-bit hash of every k-gram of `text` (element i hashes text[i:i+k]); empty if len < k.

    A polynomial hash over code points, then a splitmix64 finaliser so that the minimum of a
    window (what winnowing keeps) is spread evenly over positions. Deterministic across runs."""
    n = len(text) - k + 1
    if k < 1:
        raise ValueError("k must be at least 1")
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # numpy uint64 arithmetic wraps modulo 2**64
        h = h * _BASE + codes[j:j + n]
    h ^= h >> np.uint64(30)
    h *= _MIX1
    h ^= h >> np.uint64(27)
    h *= _MIX2
    h ^= h >> np.uint64(31)
    return h


@dataclass(frozen=True)
class Fingerprints:
    """The k-gram hashes winnowing kept and where they start in the fingerprint text."""

    hashes: np.ndarray  # uint64
    positions: np.ndarray  # int64, ascending


def winnow(hashes: np.ndarray, window: int) -> Fingerprints:
    """Keep the smallest hash of every `window` consecutive k-gram hashes (the leftmost on ties).

    Any substring of `window + k - 1` characters holds `window` whole k-grams, so two texts sharing
    it keep a common fingerprint inside it. Fewer hashes than `window`: the smallest one is kept."""
    if window < 1:
        raise ValueError("window must be at least 1")
    n = len(hashes)
    if n == 0:
        return Fingerprints(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
    if n <= window:
        pos = np.array([int(np.argmin(hashes))], dtype=np.int64)
    else:
        views = np.lib.stride_tricks.sliding_window_view(hashes, window)
        pos = np.unique(np.arange(len(views), dtype=np.int64) + views.argmin(axis=1))
    return Fingerprints(hashes[pos], pos)


def fingerprint(text: str, guaranteed_len: int, k: int = DEFAULT_K) -> tuple[Fingerprints, int]:
    """Winnowed fingerprints of `text` such that every shared substring of `guaranteed_len`
    characters or more is seen; returns them with the k used (k shrinks for very short lengths)."""
    k = max(1, min(k, guaranteed_len))
    return winnow(kgrams(text, k), guaranteed_len - k + 1), k


# ---------------------------------------------------------------- runs


@dataclass(frozen=True)
class SharedRun:
    """A maximal verbatim run: fingerprint characters a[a_pos:a_pos+length] == b[b_pos:b_pos+length],
    not extendable on either side, with the run's span in each source text."""

    a_pos: int
    b_pos: int
    length: int
    a_start: int
    a_end: int
    b_start: int
    b_end: int

    @property
    def a_stop(self) -> int:
        return self.a_pos + self.length

    @property
    def b_stop(self) -> int:
        return self.b_pos + self.length


def _common_suffix_len(a: str, i: int, b: str, j: int) -> int:
    """How many characters before a[i] and b[j] are equal (a[i-n:i] == b[j-n:j])."""
    n = 0
    step = 64
    while step:
        while n + step <= min(i, j) and a[i - n - step:i - n] == b[j - n - step:j - n]:
            n += step
        step //= 4 if step > 1 else 2
    return n


def _common_prefix_len(a: str, i: int, b: str, j: int) -> int:
    """How many characters from a[i] and b[j] on are equal."""
    n = 0
    step = 64
    limit = min(len(a) - i, len(b) - j)
    while step:
        while n + step <= limit and a[i + n:i + n + step] == b[j + n:j + n + step]:
            n += step
        step //= 4 if step > 1 else 2
    return n


def runs_from_seeds(a: FingerprintText, b: FingerprintText, seeds: Iterable[tuple[int, int]],
                    k: int, min_len: int) -> list[SharedRun]:
    """Verify seeds (a_pos, b_pos of a k-gram with equal hashes), extend each to its maximal run,
    keep runs of at least `min_len` characters, each once, ordered by a_pos then b_pos."""
    by_diagonal: dict[int, list[int]] = defaultdict(list)
    for pa, pb in seeds:
        by_diagonal[pb - pa].append(pa)
    runs: list[SharedRun] = []
    at, bt = a.text, b.text
    for diag, positions in by_diagonal.items():
        covered_until = -1  # a seed inside a run already extended on this diagonal is that run
        for pa in sorted(set(positions)):
            pb = pa + diag
            if pa < covered_until or at[pa:pa + k] != bt[pb:pb + k]:  # hash collision
                continue
            left = _common_suffix_len(at, pa, bt, pb)
            right = _common_prefix_len(at, pa, bt, pb)
            start, length = pa - left, left + right
            covered_until = start + length
            if length >= min_len:
                a_start, a_end = a.source_span(start, start + length)
                b_start, b_end = b.source_span(start + diag, start + diag + length)
                runs.append(SharedRun(start, start + diag, length, a_start, a_end, b_start, b_end))
    runs.sort(key=lambda r: (r.a_pos, r.b_pos))
    return runs


def shared_runs(a: FingerprintText, b: FingerprintText, min_len: int = 20,
                k: int = DEFAULT_K) -> list[SharedRun]:
    """Every maximal verbatim run of at least `min_len` fingerprint characters between a and b
    (all of them: winnowing is set up so that a run of `min_len` is guaranteed a common
    fingerprint), ordered by position in a. A passage repeated inside a text gives one run per
    pair of occurrences."""
    if min_len < 1:
        raise ValueError("min_len must be at least 1")
    fa, k = fingerprint(a.text, min_len, k)
    fb, _ = fingerprint(b.text, min_len, k)
    where_in_a: dict[int, list[int]] = defaultdict(list)
    for h, p in zip(fa.hashes.tolist(), fa.positions.tolist()):
        where_in_a[h].append(p)
    seeds = [(pa, pb) for h, pb in zip(fb.hashes.tolist(), fb.positions.tolist())
             for pa in where_in_a.get(h, ())]
    return runs_from_seeds(a, b, seeds, k, min_len)


def covered(runs: Iterable[SharedRun], side: Literal["a", "b"]) -> int:
    """Fingerprint characters of one side that lie inside at least one run (overlaps counted once)."""
    spans = sorted((r.a_pos, r.a_stop) if side == "a" else (r.b_pos, r.b_stop) for r in runs)
    total, reach = 0, 0
    for s, e in spans:
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return total


def verbatim_share(runs: Iterable[SharedRun], text: FingerprintText, side: Literal["a", "b"]) -> float:
    """Share (0..1) of `text`'s characters — `text` being side a or b of `runs` — that stand in a run."""
    return covered(runs, side) / len(text) if len(text) else 0.0


# ---------------------------------------------------------------- near-verbatim chains


@dataclass(frozen=True)
class RunChain:
    """Consecutive shared runs of a and b joined across small edits (诚挚感谢 -> 衷心感谢, an
    inserted or dropped clause): one passage [a_pos, a_stop) of a matching [b_pos, b_stop) of b."""

    runs: tuple[SharedRun, ...]  # in order; each starts after the one before on both sides

    @property
    def a_pos(self) -> int:
        return self.runs[0].a_pos

    @property
    def b_pos(self) -> int:
        return self.runs[0].b_pos

    @property
    def a_stop(self) -> int:
        return max(r.a_stop for r in self.runs)

    @property
    def b_stop(self) -> int:
        return max(r.b_stop for r in self.runs)

    @property
    def verbatim(self) -> int:
        """Characters inside the runs (the smaller side's count, overlaps once): what is shared
        word for word, gaps excluded."""
        return min(covered(self.runs, "a"), covered(self.runs, "b"))

    @property
    def exact(self) -> bool:
        return len(self.runs) == 1


def chain_runs(runs: Iterable[SharedRun], max_gap: int = 8) -> list[RunChain]:
    """Join runs into near-verbatim passages. Rule: run r continues a chain when it starts after the
    chain's last run on both sides, ends beyond the chain's end on both sides, and at most `max_gap`
    fingerprint characters separate it from the chain's end on each side (the two gaps may differ:
    a clause inserted in b only; a gap may be negative, up to `max_gap`, when the runs overlap). Among several chains it could continue, r joins the one it lies
    closest to. Runs are taken in order of their position in a."""
    open_chains: list[list[SharedRun]] = []
    done: list[list[SharedRun]] = []
    for r in sorted(runs, key=lambda r: (r.a_pos, r.b_pos)):
        still_open = []
        for ch in open_chains:  # runs come in a order: a chain ending well before r is finished
            (still_open if max(x.a_stop for x in ch) >= r.a_pos - max_gap else done).append(ch)
        open_chains = still_open
        best, best_gap = None, None
        for ch in open_chains:
            last = ch[-1]
            a_stop, b_stop = max(x.a_stop for x in ch), max(x.b_stop for x in ch)
            gap_a, gap_b = r.a_pos - a_stop, r.b_pos - b_stop
            if (r.a_pos > last.a_pos and r.b_pos > last.b_pos and r.a_stop > a_stop and r.b_stop > b_stop
                    and -max_gap <= gap_a <= max_gap and -max_gap <= gap_b <= max_gap):
                gap = max(gap_a, gap_b, 0)
                if best_gap is None or gap < best_gap:
                    best, best_gap = ch, gap
        if best is None:
            open_chains.append([r])
        else:
            best.append(r)
    done.extend(open_chains)
    chains = [RunChain(tuple(ch)) for ch in done]
    chains.sort(key=lambda c: (c.a_pos, c.b_pos))
    return chains
