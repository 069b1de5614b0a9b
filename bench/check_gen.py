"""Documents to check, with the truth about what in them is copied (issue #13).

    from bench.check_gen import Rewriter, make_checked_doc
    text, truth = make_checked_doc(sources, originals, rate=0.3, disguise="swap25", rng=rng)

A checked plan is assembled from items: a share `rate` of them copied from indexed documents (runs
of one to three consecutive items of one source, as people copy), the rest original text from
documents that are not indexed. Copied items are then disguised:

- `none`: as they are;
- `swap10` / `swap25` / `swap40`: that share of the words replaced by a thesaurus rewriter like the
  one that made the seed 003 (教育→教化, 教师→老师, 研究→探讨): a word's synonyms are the other words
  of its 同义词词林 `=` line *and of the sibling lines of the same paragraph* (研究 / 探讨 stand in
  Hg14C01= / Hg14C02=), so part of its swaps are not ones check's canonicalisation can undo;
- `reorder`: the clauses of every sentence put in another order;
- `variables`: numbers and years changed, place names swapped for others.

Original items can be `distractors` instead: real sentences of other documents on the same
measures (chosen by the caller, e.g. by embedding similarity to the index), not copies.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from bench.gen_corpus import CN_NUM, REGIONS

DISGUISES = ("none", "swap10", "swap25", "swap40", "reorder", "variables")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_CLAUSE = re.compile(r"[^，,；;。！？!?]+[，,；;]?")
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")
_NUM = re.compile(r"\d+(?:\.\d+)?")
_PLACE_WORD = re.compile(r"[\u4e00-\u9fff]{2,3}[区县市]")


class Rewriter:
    """Swaps words for thesaurus neighbours: a word of the word's own `=` lines (70%) or of their
    sibling lines in the same paragraph (30%)."""

    TIGHT = 0.7

    def __init__(self):
        from plansearch.synonyms import thesaurus

        th = thesaurus()
        by_paragraph: dict[str, set[str]] = {}
        for code, words in th.lines.items():
            by_paragraph.setdefault(code[:5], set()).update(words)
        self.tight: dict[str, list[str]] = {}  # the word's own lines
        self.loose: dict[str, list[str]] = {}  # their sibling lines
        for word, codes in th.codes.items():
            own = set().union(*(th.lines[c] for c in codes)) - {word}
            near = set().union(*(by_paragraph[c[:5]] for c in codes)) - own - {word}
            own_n = sorted(w for w in own if len(w) == len(word))
            near_n = sorted(w for w in near if len(w) == len(word))
            if own_n:
                self.tight[word] = own_n
            if near_n:
                self.loose[word] = near_n
        self.alternatives = {w: self.tight.get(w, []) + self.loose.get(w, [])
                             for w in set(self.tight) | set(self.loose)}

    def swap(self, text: str, share: float, rng: random.Random) -> tuple[str, int]:
        """`text` with `share` of its words (of those the thesaurus can replace, when fewer)
        replaced; returns the text and how many words were swapped."""
        from plansearch.synonyms import segment

        words = [text[a:b] for a, b in segment(text)]
        n_words = sum(1 for w in words if _HAN.fullmatch(w))
        can = [i for i, w in enumerate(words) if w in self.alternatives]
        k = min(len(can), round(share * n_words))
        for i in rng.sample(can, k):
            w = words[i]
            # mostly a synonym of the word's own line (教师→老师), sometimes a sibling line's (研究→探讨)
            pool = self.tight.get(w) if (w in self.tight and (rng.random() < self.TIGHT or w not in self.loose)) \
                else self.loose[w]
            words[i] = rng.choice(pool)
        return "".join(words), k


def reorder(text: str, rng: random.Random) -> str:
    """Every sentence's clauses in another order (the sentence's end mark stays at its end)."""
    out = []
    for s in _SENTENCE.findall(text):
        end = s[-1] if s[-1] in "。！？!?" else ""
        body = s[:-1] if end else s
        clauses = [c.rstrip("，,；;") for c in _CLAUSE.findall(body) if c.strip("，,；; ")]
        if len(clauses) >= 2:
            order = list(range(len(clauses)))
            while order == sorted(order):
                rng.shuffle(order)
            body = "，".join(clauses[i] for i in order)
        out.append(body + end)
    return "".join(out)


def change_variables(text: str, rng: random.Random) -> str:
    """Numbers and years changed, place names (X区 / X县 / X市) swapped for others."""
    def num(m):
        v = m.group(0)
        if re.fullmatch(r"(19|20)\d\d", v):
            return str(int(v) + rng.choice((-2, -1, 1, 2)))
        if "." in v:
            return f"{float(v) * rng.uniform(0.8, 1.2):.1f}"
        return str(max(1, int(int(v) * rng.uniform(0.7, 1.3)) + rng.randint(1, 9)))

    text = _NUM.sub(num, text)
    return _PLACE_WORD.sub(lambda m: rng.choice([r for r in REGIONS if r != m.group(0)]), text)


@dataclass
class TruthItem:
    ordinal: int  # item of the checked document
    copied: bool
    source_doc: str | None
    source_item: int | None
    disguise: str  # what was done to a copied item ("" for an original)
    kind: str  # "copy", "original" or "distractor"
    text: str


def disguise_text(text: str, disguise: str, rng: random.Random, rewriter: Rewriter | None) -> str:
    if disguise == "none":
        return text
    if disguise.startswith("swap"):
        return rewriter.swap(text, int(disguise[4:]) / 100, rng)[0]
    if disguise == "reorder":
        return reorder(text, rng)
    if disguise == "variables":
        return change_variables(text, rng)
    raise ValueError(f"unknown disguise {disguise!r}")


def make_checked_doc(sources: list[tuple[str, list[str]]], originals: list[str], rate: float, disguise: str,
                     rng: random.Random, n_items: int = 40, rewriter: Rewriter | None = None,
                     original_kind: str = "original", title: str = "工作要点") -> tuple[str, list[TruthItem]]:
    """A plan of `n_items` items, about `rate` of them copied from `sources` ([(doc id, item texts)]),
    the rest drawn from `originals`. Returns the file text and the truth per item, in order."""
    n_copy = round(rate * n_items)
    copies: list[tuple[str, int, str]] = []
    used: set[tuple[str, int]] = set()
    while len(copies) < n_copy:
        doc_id, items = rng.choice(sources)
        run = min(rng.randint(1, 3), n_copy - len(copies), len(items))
        start = rng.randrange(len(items) - run + 1)
        if any((doc_id, start + k) in used for k in range(run)):
            continue
        for k in range(run):
            used.add((doc_id, start + k))
            copies.append((doc_id, start + k, items[start + k]))
    pool = rng.sample(originals, min(len(originals), n_items - n_copy))
    # copied runs keep their order; originals are shuffled in between them
    slots = [("copy", c) for c in copies] + [("orig", o) for o in pool]
    keys = [i / max(1, len(copies)) if kind == "copy" else rng.random() for i, (kind, _v) in enumerate(slots)]
    order = sorted(range(len(slots)), key=lambda i: keys[i])
    lines, truth = [title, ""], []
    per_section = max(1, len(order) // 4)
    for n, i in enumerate(order):
        if n % per_section == 0 and n // per_section < 10:
            lines.append(f"{CN_NUM[n // per_section]}、重点工作{n // per_section + 1}")
        kind, val = slots[i]
        if kind == "copy":
            doc_id, ordinal, text = val
            text = disguise_text(_one_line(text), disguise, rng, rewriter)
            truth.append(TruthItem(n, True, doc_id, ordinal, disguise, "copy", text))
        else:
            text = _one_line(val)
            truth.append(TruthItem(n, False, None, None, "", original_kind, text))
        lines.append(f"{n + 1}. {text}")
    return "\n".join(lines) + "\n", truth


_JUNK = re.compile(r"版權|版权|索引号|已閱讀|已阅读|字号|发布日期|發布日期|第\d+[頁页]|http|www|点击|點擊")


def original_items(docs, min_han: int = 20) -> list[str]:
    """Item texts fit to stand as a plan's measures: enough Han characters, no page furniture."""
    out = []
    for d in docs:
        for it in d.items:
            t = _one_line(it.text)
            if len(re.findall(r"[\u4e00-\u9fff]", t)) >= min_han and not _JUNK.search(t) and len(t) <= 400:
                out.append(t)
    return out


def _one_line(text: str) -> str:
    text = re.sub(r"\s+", "", text)
    return re.sub(r"^[\d\u2460-\u2473\u2488-\u249b]+[.、．)）]?", "", text)  # no number a parser reads as a label
