"""Below the item: sentences and sentence windows.

Items are the unit users see, but a long item (a work-report paragraph, a compound measure) holds
several topics; one vector for all of it is diluted. Search embeds windows of whole sentences and
scores an item by its best window; compare and reuse work at sentence level inside items.
All spans are offsets into the text given, so a match can be highlighted in the original.
"""
from __future__ import annotations

import re

from .normalise import SENTENCE_CLOSERS, SENTENCE_END

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
