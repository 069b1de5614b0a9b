"""Below the item: sentences and sentence windows.

Items are the unit users see, but a long item (a work-report paragraph, a compound measure) holds
several topics; one vector for all of it is diluted. Search embeds windows of whole sentences and
scores an item by its best window; compare and reuse work at sentence level inside items.
All spans are offsets into the text given, so a match can be highlighted in the original.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalise import SENTENCE_CLOSERS, SENTENCE_END, normalise

# A run of end marks and the closers after it; a line break also ends a sentence (scraped pages put
# one item per line, and an item's own line breaks are layout, not prose, in the rare other case).
_SENTENCE_END = re.compile(rf"[{re.escape(SENTENCE_END)}]+[{re.escape(SENTENCE_CLOSERS)}]*|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence, end punctuation included, surrounding whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        _add_trimmed(text, start, m.end(), spans)
        start = m.end()
    _add_trimmed(text, start, len(text), spans)
    return spans


def sentence_bounds(text: str, start: int, end: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """[s, e) of the whole sentences of text[lo:hi] that hold [start, end): a passage found from
    "的结果，是全党…" is read from the start of its sentence to the end of its last one."""
    hi = len(text) if hi is None else hi
    spans = [(a + lo, b + lo) for a, b in sentence_spans(text[lo:hi])]
    s = next((a for a, b in spans if b > start), start)
    e = next((b for a, b in reversed(spans) if a < end), end)
    return min(s, start), max(e, end)


def _add_trimmed(text: str, a: int, b: int, out: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        out.append((a, b))


def windows(text: str, min_chars: int = 20, max_chars: int = 400) -> list[tuple[int, int]]:
    """Sentence windows to embed: consecutive sentences merged until a window has `min_chars`
    characters (a 6-character clause alone is too little context for the model), split at
    `max_chars` (the model reads ~512 tokens). A text shorter than `min_chars` is one window."""
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for a, b in sentence_spans(text):
        while b - a > max_chars:  # one very long "sentence" (no punctuation): hard split
            if cur:
                out.append(cur)
                cur = None
            out.append((a, a + max_chars))
            a += max_chars
        cur = (cur[0], b) if cur else (a, b)
        if cur[1] - cur[0] >= min_chars:
            out.append(cur)
            cur = None
    if cur:
        if out and cur[1] - cur[0] < min_chars and cur[1] - out[-1][0] <= max_chars:
            out[-1] = (out[-1][0], cur[1])  # a short tail joins the window before it
        else:
            out.append(cur)
    return out


# --- the windows an index embeds ------------------------------------------------------------------

WINDOW_MIN_CHARS = 20
# A 5 MB line without punctuation would make thousands of windows (hours of embedding); past this
# many an item's windows are not embedded (its keyword side still finds all of it).
MAX_WINDOWS_PER_ITEM = 64


@dataclass
class ItemWindows:
    """The sentence windows of a list of items, as parallel lists (10^6 items make 2.7e6
    windows: one object each would double the build's memory)."""

    item_rows: list[int] = field(default_factory=list)  # the item (its position in the list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # [start, end) in the item's text
    texts: list[str] = field(default_factory=list)  # what is embedded: the window's normalised text
    capped: list[tuple[int, int]] = field(default_factory=list)  # (item row, windows it would have had)


def windows_of_items(items, min_chars: int = WINDOW_MIN_CHARS,
                     max_per_item: int = MAX_WINDOWS_PER_ITEM) -> ItemWindows:
    """Every item's sentence windows and the normalised text each embeds: the one rule the index
    and the benchmark's cache prefill share. An item too short for a window is one window."""
    out = ItemWindows()
    for row, it in enumerate(items):
        spans = windows(it.text, min_chars) or [(0, len(it.text))]
        if len(spans) > max_per_item:
            out.capped.append((row, len(spans)))
            spans = spans[:max_per_item]
        for a, b in spans:
            out.item_rows.append(row)
            out.spans.append((a, b))
            out.texts.append(normalise(it.text[a:b]) or it.norm or ".")
    return out
