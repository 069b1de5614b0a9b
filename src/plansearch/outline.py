"""The outline parser: a scraped page in, Documents of Headings and Items out.

    parse_source(SourceText) -> list[Document]

How a page is read:
1. Lines; a compiled page (第一篇 … 第五篇) is cut into one range per plan (`clean.compilation_parts`).
2. Per plan: site furniture, title lines, viewer page markers and a speech's furniture (各位代表：,
   the speaker and occasion lines) become junk Spans (`clean`).
3. Lines become paragraphs: a line that continues a cut sentence (no closing punctuation, or a
   page marker in between) is joined to the one before.
4. Numbering labels are found at paragraph starts and inside run-on lines, and accepted only when
   they continue a sequence: the next number of an open list, 1 for a new sublist, or the next
   number of a list that a heading interrupted (000 runs ⒈…⒛ 21. … 33. under ㈠…㈦). A label's
   level is the depth of its scheme in the current nesting: a scheme seen for the first time nests
   under the current one (order of appearance), except that one Chinese convention ranks higher
   (一、 > （一） > 1. > （1） > ①) closes the lower lists first.
5. A labelled block is a Heading when deeper-numbered content follows it, or when it is a short
   Chinese-numeral title followed by plain paragraphs (government work reports); otherwise an Item.
   Unlabelled paragraphs are Items with label "" under the current heading path. A short title
   line standing alone between paragraphs ("2024年工作回顾", "附件2 名词解释") is a Heading without
   a label; the numbered lists after it nest under it. In a speech, a salutation ends the numbered
   part it stands in, and after the last numbered heading the closing part sits under no heading.

Every non-whitespace character of the input ends up in a heading, an item or a junk span, and
the parser never raises: whatever it cannot read stays as plain paragraph items.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath

from . import clean
from .clean import Line, cn_number
from .models import Document, Heading, Item, SourceText, Span
from .normalise import SENTENCE_CLOSERS, SENTENCE_END, to_simplified

# ---------------------------------------------------------------- labels

_CN = "一二三四五六七八九十百零〇两"
_D = "0-9０-９"
# Characters after a bare number that make it a quantity, not a list number ("3所", "5年", "13亿").
_QUANTITY = set("年月日号时分秒个人名所次项条万亿元千百届期件家台套米倍岁级类批篇章节天周栋间座辆只张份场处种多余位户亩吨公里克斤度点成折层片支队部校园班门")

_LABEL = re.compile(
    rf"(?P<part>第(?P<part_n>[{_CN}]{{1,4}})(?:部分|章|节)[\s:：、,，.．]*)"
    rf"|(?P<ord>第(?P<ord_n>[{_CN}]{{1,3}})[，,、：:]\s*)"
    rf"|(?P<art>第(?P<art_n>[{_CN}]{{1,4}})条[\s、:：]*)"
    rf"|(?P<roman>(?P<roman_n>[\u2160-\u216b\u2170-\u217b])\s?[、.．]?\s*)"
    rf"|(?P<cparen>[（(〔]\s?(?P<cparen_n>[{_CN}]{{1,3}})\s?[）)〕]\s*)"
    rf"|(?P<cenc>(?P<cenc_n>[\u3220-\u3229])\s*)"
    rf"|(?P<month>(?P<month_n>[{_D}]{{1,2}})(?:\s?[至到\-—~～－]\s?(?P<month_to>[{_D}]{{1,2}}))?\s?月份?[，,、：:；]\s*)"
    rf"|(?P<aparen>[（(]\s?(?P<aparen_n>[{_D}]{{1,3}})\s?[）)]\s*)"
    rf"|(?P<aenc>(?P<aenc_n>[\u2474-\u2487])\s*)"
    rf"|(?P<circ>(?P<circ_n>[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf])\s*)"
    rf"|(?P<adot>(?P<adot_n>[\u2488-\u249b])\s*)"
    rf"|(?P<dun>(?P<dun_n>[{_CN}]{{1,3}})\s?(?P<dun_sep>[、，,．.])(?!是)\s*)"
    rf"|(?P<chalf>(?P<chalf_n>[{_CN}]{{1,3}})[）)]\s*)"
    rf"|(?P<anum>(?P<anum_n>[{_D}]{{1,3}})\s?[、．.](?![{_D}])\s*)"
    rf"|(?P<anumd>(?P<anumd_n>[{_D}]{{1,3}})[．.](?=[{_D}]))"
    rf"|(?P<ahalf>(?P<ahalf_n>[{_D}]{{1,2}})[）)]\s*)"
    rf"|(?P<bare>(?P<bare_n>[{_D}]{{1,2}})\s?(?=[\u4e00-\u9fff]))"
)
_LABEL_START = re.compile(rf"[{_D}{_CN}第(（〔\u2460-\u249b\u3220-\u3229\u3251-\u325f\u32b1-\u32bf\u2160-\u217b]")

# Label kind -> numbering scheme. Kinds in one scheme continue each other's numbers (⒛ then 21.).
_SCHEME = {
    "part": "part", "ord": "ord", "art": "article", "roman": "roman", "dun": "cn", "cparen": "cn-paren", "cenc": "cn-paren",
    "chalf": "cn-paren", "aparen": "arabic-paren", "aenc": "arabic-paren", "ahalf": "arabic-paren",
    "circ": "circled", "adot": "arabic", "anum": "arabic", "anumd": "arabic", "bare": "arabic", "month": "month",
}
_ENCLOSED = {"cenc", "aenc", "circ", "adot"}  # single characters that only ever mean a number
_HEADING_SCHEMES = {"part", "cn", "cn-paren", "roman"}
# The order official Chinese documents nest numbering in (一、 > （一） > 1. > （1） > ①).
_CONVENTIONAL_RANK = {"part": 0, "cn": 1, "cn-paren": 2, "arabic": 3, "arabic-paren": 4, "circled": 5}
# What a label inside a line must follow: a sentence end, or a colon ("主要措施：1.加强…").
_STOP = set(SENTENCE_END + "：:")
# A line ending in one of these ends its paragraph: a sentence end or its closer, a colon closing
# a lead-in whose list starts on the next line, or the 】 of a bracketed title.
_LINE_END = set(SENTENCE_END + SENTENCE_CLOSERS + "：:】")


def _enclosed_number(ch: str) -> int:
    o = ord(ch)
    for lo, hi, first in ((0x3220, 0x3229, 1), (0x2474, 0x2487, 1), (0x2460, 0x2473, 1),
                          (0x2488, 0x249B, 1), (0x3251, 0x325F, 21), (0x32B1, 0x32BF, 36)):
        if lo <= o <= hi:
            return o - lo + first
    return 0


@dataclass
class _Label:
    start: int  # in document text
    end: int  # label end (trailing spaces included)
    kind: str
    scheme: str
    number: int
    printed: str  # the label as printed, spaces trimmed
    at_para_start: bool
    level: int = 0


def _match_label(simp: str, i: int) -> tuple[str, int, int, int] | None:
    """(kind, number, match length, last number) of a label starting at simp[i], or None.
    The last number differs from the number only for ranges ("3至5月")."""
    m = _LABEL.match(simp, i)
    if not m:
        return None
    # One outer alternative matched; its name is the label kind (lastgroup would be the inner group).
    kind = next(k for k in _SCHEME if m.group(k) is not None)
    raw = m.group(f"{kind}_n")
    if kind in _ENCLOSED:
        n = _enclosed_number(raw)
    elif kind == "roman":
        n = (ord(raw) - 0x2160 if ord(raw) < 0x2170 else ord(raw) - 0x2170) + 1
    elif kind in ("part", "ord", "art", "dun", "cparen", "chalf"):
        n = cn_number(raw)
        if n is None or n == 0:
            return None
    else:
        try:
            n = int(raw)
        except ValueError:
            return None
    if kind == "bare":
        nxt = simp[m.end()] if m.end() < len(simp) else ""
        if nxt in _QUANTITY or n == 0:
            return None
    to = n
    if kind == "month":
        to = int(m.group("month_to")) if m.group("month_to") else n
        if not 1 <= n <= to <= 12:
            return None
    return kind, n, m.end() - i, to


def _context_allows(kind: str, simp: str, i: int, seg_start: int, prev_char: str, sep: str) -> bool:
    """May a label of this kind start here? Paragraph starts take any label; inside a line a label
    must follow sentence punctuation or a space (single enclosed numbers may stand anywhere)."""
    if kind in _ENCLOSED:
        return True
    if prev_char in ":：" and i - 2 >= seg_start and simp[i - 2].isdigit():
        return False  # the second half of a ratio or a time (生师比70:10, 8:30), not a label
    after_space = i > seg_start and simp[i - 1].isspace()
    prev = prev_char
    after_stop = prev in _STOP or (prev in SENTENCE_CLOSERS and i - 2 >= seg_start and simp[i - 2] in _STOP)
    if kind == "month":
        return after_stop or after_space or prev in "，,"
    if kind == "dun":
        return sep == "、" and (after_stop or after_space)
    if kind in ("chalf", "ahalf"):
        return after_stop
    return after_stop or after_space


class _Numbering:
    """Sequence expectation over nested lists: which labels really start a new block."""

    def __init__(self, allow_bare: bool):
        self.stack: list[list] = []  # [scheme, last number] from outermost to innermost
        self.ever: dict[str, int] = {}
        self.allow_bare = allow_bare

    def accept(self, kind: str, scheme: str, n: int, at_start: bool, n_end: int | None = None) -> int | None:
        """The label's level if it continues the outline, else None (it is just text).
        `n_end` is where a range label ends ("3至5月" -> 5): the sequence goes on from there."""
        n_end = n if n_end is None else n_end
        if kind == "bare" and not self.allow_bare and scheme not in self.ever:
            return None
        if kind == "anumd":
            # "8.6个重大科技专项": a number glued to a decimal-looking text is a label only when
            # it is exactly the next number of an open list, at a paragraph start.
            top = self.stack[-1] if self.stack else None
            if not (at_start and top is not None and top[0] == scheme and n == top[1] + 1):
                return None
        gap = 6 if scheme == "arabic" else 2  # OCR loses numbers: allow small jumps at line starts
        idx = next((k for k, (s, _) in enumerate(self.stack) if s == scheme), None)
        if scheme == "month":
            # A schedule only moves forward ("3至5月" then "6至7月", "8月"); months may be skipped.
            last = self.stack[idx][1] if idx is not None else 0
            ok = n > last
        elif idx is not None:
            last = self.stack[idx][1]
            ok = n == last + 1 or (at_start and (n == 1 or last + 1 < n <= last + gap))
        else:
            ev = self.ever.get(scheme)
            if ev is None:
                ok = n == 1 or (at_start and n <= 60)
            else:
                ok = n == 1 or n == ev + 1 or (at_start and ev + 1 < n <= ev + gap)
        if not ok:
            return None
        if idx is not None:
            del self.stack[idx + 1:]
            self.stack[idx][1] = n_end
            level = idx + 1
        else:
            # A new scheme nests under the current one - unless Chinese convention ranks it
            # higher: "一、" after a preamble's "1. … 2. …" starts the outline, it is not item 2's child.
            rank = _CONVENTIONAL_RANK.get(scheme)
            while (rank is not None and self.stack
                   and _CONVENTIONAL_RANK.get(self.stack[-1][0], -1) > rank):
                self.stack.pop()
            self.stack.append([scheme, n_end])
            level = len(self.stack)
        self.ever[scheme] = n_end
        return level

    def restart(self) -> None:
        """A titled section begins: its lists are numbered afresh."""
        self.stack.clear()
        self.ever.clear()


# ---------------------------------------------------------------- paragraphs


@dataclass
class _Para:
    segs: list[tuple[int, int]]  # ranges of document text; page markers and line breaks between
    simps: list[str] = field(default_factory=list)  # Simplified form of each segment


def _ends_sentence(s: str) -> bool:
    s = s.rstrip()
    return bool(s) and (s[-1] in _LINE_END or s.endswith("..."))


def _starts_with_label(simp: str) -> bool:
    return simp.startswith("——") or _match_label(simp, 0) is not None


# "一是聚焦全方位扩大内需，着力提消费促投资" on a line of its own is a lead-in title, not a wrapped line
# (so is a numbered title line like "二、2025年经济社会发展总体要求和政策取向").
_LEAD_IN = re.compile(rf"^(?:[{_CN}]{{1,3}}是|第[{_CN}]{{1,3}}[，,、]|——)")


def _display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _dominant(widths: list[int]) -> int | None:
    """The width most lines share (±1), if the lines look wrapped at it: many of them are that
    wide and hardly any are wider (unwrapped text has no such ceiling)."""
    if len(widths) < 6:
        return None
    counts: dict[int, int] = {}
    for w in widths:
        counts[w] = counts.get(w, 0) + 1
    best = max(counts, key=lambda w: (counts[w] + counts.get(w - 1, 0), w))
    near = counts[best] + counts.get(best - 1, 0)
    longer = sum(1 for w in widths if w > best + 1)
    if near >= 0.15 * len(widths) and near >= 5 and longer <= 0.05 * len(widths):
        return best
    return None


class _Wrap:
    """The width a PDF or viewer wrapped this text at, if it was. A line that fills that width
    runs on into the next, whatever character it ends with. Width is counted both in characters
    and in display columns (CJK = 2), as converters wrap by either."""

    def __init__(self, lines: list[Line]):
        long_lines = [ln.simp for ln in lines if len(ln.simp) >= 15]
        self.chars = _dominant([len(s) for s in long_lines])
        self.columns = _dominant([_display_width(s) for s in long_lines])

    def fills(self, simp: str) -> bool:
        return bool((self.chars and len(simp) >= self.chars - 1)
                    or (self.columns and _display_width(simp) >= self.columns - 2))


# A line ending in a bare label ("…规模。5."): the item's text is on the next line.
_LABEL_AT_END = re.compile(rf"(?:^|[。；;！？!?\s])(?:[{_D}]{{1,3}}[.．、]|[{_CN}]{{1,3}}、|[（(][{_CN}{_D}]{{1,3}}[）)]|[\u2488-\u249b\u3220-\u3229\u2460-\u2473])$")


_HEADING_KINDS = {"part", "dun", "cparen", "cenc", "chalf", "roman", "aenc", "circ", "adot"}


def _continues(para: _Para, simp: str, page_break: bool, wrap: _Wrap) -> bool:
    """Does a line (`simp`) continue the paragraph before it rather than start a new one?"""
    prev = para.simps[-1]
    open_sentence = not _ends_sentence(prev)
    label = _match_label(simp, 0)
    starts_labelled = simp.startswith("——") or label is not None
    if _LABEL_AT_END.search(prev):
        return True  # "…规模。5." and the item's text on the next line
    if page_break:
        return open_sentence and not starts_labelled  # a page break cut this sentence
    if wrap.fills(prev):
        # The previous line filled the wrap width, so it runs on - unless a heading starts here,
        # or the sentence ended there and a numbered item starts here.
        strong = simp.startswith("——") or (label is not None and label[0] in _HEADING_KINDS)
        return not strong and (open_sentence or not starts_labelled)
    if not open_sentence or starts_labelled:
        return False
    if sum(map(len, para.simps)) < 15 or (len(simp) < 15 and not _ends_sentence(simp)):
        return False  # short lines: a name line, a subtitle, a title
    if clean.is_title_like(prev) or (len(prev) <= 40 and _LEAD_IN.match(prev)):
        return False
    if len(para.simps) == 1 and len(prev) <= 60 and _starts_with_label(prev):
        return False  # a numbered title line ("二、2025年经济社会发展总体要求和政策取向")
    return True  # a wrapped line


def _skip_space(text: str, s: int, end: int) -> int:
    while s < end and text[s].isspace():
        s += 1
    return s


def _content_starts(text: str, lines: list[Line], skip: dict[int, str], markers: dict[int, Span],
                    junk: list[Span], doc: Document) -> tuple[dict[int, int], set[int]]:
    """Where the own text of each content line starts: after a viewer's page marker, after a title
    glued in front of the first paragraph (003: the viewer runs the title into the text), after a
    salutation opening a paragraph ("各位代表！信心凝聚力量…"). What is cut off is added to `junk`.
    Also the lines a salutation opens: each starts a paragraph."""
    starts: dict[int, int] = {}
    saluted: set[int] = set()
    first = True
    for i, ln in enumerate(lines):
        if i in skip:
            continue
        s = _skip_space(text, markers[i].end, ln.end) if i in markers else ln.start
        rest = ln.simp[s - ln.start:]
        m = _TITLE_PREFIX.match(rest) if first else None
        if m and not _starts_with_label(rest):
            junk.append(Span(s, s + m.end(), "junk:title"))
            if not doc.title:
                doc.title = clean.bare_title(text[s:s + m.end()])
            s = _skip_space(text, s + m.end(), ln.end)
            rest = ln.simp[s - ln.start:]
        n = clean.salutation_length(rest)
        if n and rest[n:].strip():
            junk.append(Span(s, s + n, "junk:salutation"))
            s = _skip_space(text, s + n, ln.end)
            saluted.add(i)
        starts[i] = s
        first = False
    return starts, saluted


def _build_paragraphs(text: str, lines: list[Line], skip: dict[int, str], markers: dict[int, Span],
                      starts: dict[int, int], new_para: set[int]) -> list[_Para]:
    wrap = _Wrap([ln for i, ln in enumerate(lines) if i not in skip])
    paras: list[_Para] = []
    prev_idx = None
    for i, ln in enumerate(lines):
        if i in skip:
            if skip[i] != "page-marker":
                prev_idx = None  # junk between two lines: never join across it
            continue
        s = starts[i]
        simp = ln.simp[s - ln.start:]
        mk = markers.get(i)
        if s >= ln.end:
            prev_idx = i
            continue
        page_break = (mk is not None and mk.start == ln.start) or skip.get(i - 1) == "page-marker"
        join = (bool(paras) and prev_idx is not None and i not in new_para
                and _continues(paras[-1], simp, page_break, wrap))
        if join:
            paras[-1].segs.append((s, ln.end))
            paras[-1].simps.append(simp)
        else:
            paras.append(_Para([(s, ln.end)], [simp]))
        prev_idx = i
    return paras


# ---------------------------------------------------------------- blocks


@dataclass
class _Block:
    """A run of text that starts at a label (or at a paragraph start) and ends before the next."""

    para: int
    start: int
    end: int
    label: _Label | None
    at_para_start: bool
    last_in_para: bool = False
    titled: int = 0  # the level of the unnumbered heading this paragraph is, 0 if it is none


def _scan_labels(text: str, paras: list[_Para], numbering: _Numbering, titled: dict[int, int]) -> list[list[_Label]]:
    """The accepted labels of each paragraph, in order. A paragraph is scanned as one run of its
    joined lines, so a label a wrap cut in two ("…提高。2" | "5.抓好…") is still found. An
    unnumbered heading (`titled`) holds no label and restarts the numbering."""
    out: list[list[_Label]] = []
    for pi, p in enumerate(paras):
        if pi in titled:
            numbering.restart()
            out.append([])
            continue
        joined = "".join(p.simps)
        seg_at = [0]  # where each segment starts in `joined`
        for simp in p.simps[:-1]:
            seg_at.append(seg_at[-1] + len(simp))

        def source(j: int) -> int:
            k = bisect.bisect_right(seg_at, j) - 1
            return p.segs[k][0] + (j - seg_at[k])

        found: list[_Label] = []
        pos = 0
        for m in _LABEL_START.finditer(joined):
            i = m.start()
            if i < pos:
                continue
            got = _match_label(joined, i)
            if got is None:
                continue
            kind, n, length, n_end = got
            at_start = i == 0
            # "四,坚持立德树人,深化素质教育。14强化…": right after a heading's title on its line
            # counts as a line start (the heading took the line's start).
            after_title = (len(found) == 1 and found[0].at_para_start and found[0].scheme in _HEADING_SCHEMES
                           and 0 < i - (found[0].end - p.segs[0][0]) <= 40)
            if not at_start:
                j = i - 1
                while j > 0 and joined[j].isspace():
                    j -= 1
                sep = joined[i:i + length].strip()[-1:]
                if not _context_allows(kind, joined, i, 0, joined[j], sep):
                    continue
            scheme = _SCHEME[kind]
            level = numbering.accept(kind, scheme, n, at_start or after_title, n_end)
            if level is None:
                continue
            start, last = source(i), source(i + length - 1)
            printed = "".join(text[source(j)] for j in range(i, i + length)).rstrip()
            found.append(_Label(start, last + 1, kind, scheme, n, printed, at_start, level))
            pos = i + length
        out.append(found)
    return out


def _blocks(paras: list[_Para], labels: list[list[_Label]], titled: dict[int, int]) -> list[_Block]:
    blocks: list[_Block] = []
    for pi, (p, labs) in enumerate(zip(paras, labels)):
        if pi in titled:
            blocks.append(_Block(pi, p.segs[0][0], p.segs[-1][1], None, True, True, titled[pi]))
            continue
        p_start, p_end = p.segs[0][0], p.segs[-1][1]
        bounds = [p_start] + [lab.start for lab in labs] + [p_end]
        for k in range(len(bounds) - 1):
            a, b = bounds[k], bounds[k + 1]
            if a == b:  # the paragraph starts with a label: no unlabelled lead
                continue
            lab = labs[k - 1] if k > 0 else None
            blocks.append(_Block(pi, a, b, lab, a == p_start))
        if blocks and blocks[-1].para == pi:
            blocks[-1].last_in_para = True
    return blocks


def _clip(p: _Para, a: int, b: int) -> list[tuple[int, int]]:
    return [(max(s, a), min(e, b)) for s, e in p.segs if min(e, b) > max(s, a)]


def _seg_text(text: str, segs: list[tuple[int, int]]) -> str:
    """The segments' text joined as one run: line breaks inside a sentence vanish. A space is kept
    only between the words of Latin text ("5|00" is 500 and "X|X区" is XX区)."""
    out = ""
    prev_piece = ""
    for s, e in segs:
        piece = text[s:e].strip()
        if not piece:
            continue
        if (out and out[-1].isascii() and out[-1].isalpha() and piece[0].isascii() and piece[0].isalpha()
                and sum(ch.isascii() for ch in prev_piece) * 2 > len(prev_piece)):
            out += " "
        out += piece
        prev_piece = piece
    return out


def _title_end(text: str, segs: list[tuple[int, int]], body_start: int) -> int:
    """Where a heading's title ends: at its first sentence end, or at a space after a short
    title ("xxxx年工作思路 一是…"), or with the line. A wrapped title reads on into the next line
    (segments of one paragraph are one run of text)."""
    segs = [(max(s, body_start), e) for s, e in segs if e > body_start]
    if not segs:
        return body_start
    seen = 0
    for k, (s, e) in enumerate(segs):
        line = text[s:e]
        for j, ch in enumerate(line):
            if ch in "。！？!?":
                return s + j + 1
            if ch.isspace() and seen + j > 0 and line[:j].strip():
                if seen + len(line[:j].strip()) <= 40 and line[j:].strip():
                    return s + j
        seen += len(line)
        if seen > 60:  # a long block without a sentence end: its first line is the title
            return segs[0][1]
    return segs[-1][1]


# ---------------------------------------------------------------- documents


# Inline enumerations inside one measure: 一是…二是…, 第一，…第二，…, 其一…其二….
_SUBPOINT_STYLES = (
    re.compile(rf"(?:^|(?<=[。；;，,：:\s]))([{_CN[:10]}]{{1,2}})是"),
    re.compile(rf"(?:^|(?<=[。；;：:\s]))第([{_CN[:10]}]{{1,2}})[，,、]"),
    re.compile(rf"(?:^|(?<=[。；;，,：:\s]))其([{_CN[:10]}]{{1,2}})[，,、:：是]"),
)


def subpoints(text: str) -> tuple[str, ...]:
    """Inline enumerations of an item (一是…二是…三是…), each point's text with its marker.
    The style with the longest run counted from 一 wins; fewer than two points is no enumeration."""
    simp = to_simplified(text) if len(text) < 200_000 else text
    best: list[int] = []
    for style in _SUBPOINT_STYLES:
        marks: list[int] = []
        for m in style.finditer(simp):
            if cn_number(m.group(1)) == len(marks) + 1:
                marks.append(m.start() if m.group(0)[0] in "第其" else m.start(1))
        if len(marks) > len(best):
            best = marks
    if len(best) < 2:
        return ()
    bounds = best + [len(text)]
    return tuple(text[bounds[k]:bounds[k + 1]].strip() for k in range(len(best)))


_TITLE_PREFIX = re.compile(r"^[^\s。，,；;！？]{4,100}?(?:报告|要点|计划|总结|思路|安排)(?=\s)")


def _stem(path: str) -> str:
    try:
        return PurePath(path).stem or "doc"
    except Exception:
        return "doc"


def parse_source(src: SourceText, *, strict: bool = False) -> list[Document]:
    """The documents of one source: one, or one per plan of a compiled page.

    Never raises: should the outline pass itself fail on some input, the source comes back as one
    document of plain paragraph items flagged "unparsed:<error>" (`strict=True` lets the error
    through instead, for tests)."""
    text = src.text if isinstance(src.text, str) else ""
    stem = _stem(getattr(src, "path", "") or "")
    try:
        return _parse_source(src, text, stem)
    except Exception as exc:  # a parser bug must not cost the user the file
        if strict:
            raise
        return [_plain_paragraphs(text, stem, str(getattr(src, "path", "")), f"unparsed:{type(exc).__name__}")]


def _plain_paragraphs(text: str, doc_id: str, path: str, flag: str) -> Document:
    """The fallback reading: every non-blank line an unnumbered item."""
    doc = Document(doc_id=doc_id, source=path, title="", text=text, flags=[flag])
    for ln in clean.split_lines(text):
        doc.items.append(Item(doc_id=doc_id, ordinal=len(doc.items), label="", number=None, level=1,
                              path=(), text=text[ln.start:ln.end], start=ln.start, end=ln.end))
    return doc


def _parse_source(src: SourceText, text: str, stem: str) -> list[Document]:
    lines = clean.split_lines(text)
    parts = clean.compilation_parts(lines, text)
    title_keys = _source_title_keys(lines, parts)
    page_title = _page_title(text, lines, parts)
    if not parts:
        return [_parse_document(text, 0, len(text), stem, src.path, None, page_title, title_keys, lines)]
    docs = []
    for k, part in enumerate(parts):
        end = parts[k + 1].start if k + 1 < len(parts) else len(text)
        doc_lines = [ln for ln in lines if part.start <= ln.start < end]
        title = part.title or page_title
        docs.append(_parse_document(text, part.start, end, f"{stem}#{part.number}", src.path, part,
                                    title, title_keys, doc_lines))
    return docs


def _page_title(text: str, lines: list[Line], parts: list[clean.Part]) -> str:
    """The page's own title: the first title line, or the file named by a 由会员分享 notice."""
    first_part = parts[0].marker.start if parts else None
    for ln in lines[:12]:
        if first_part is not None and ln.start >= first_part:
            break
        if clean.line_junk_kind(ln.simp) == "junk:share-notice":
            t = clean.share_notice_title(text[ln.start:ln.end])
            if t:
                return t
        if clean.line_junk_kind(ln.simp) is None and clean.is_title_like(ln.simp):
            return clean.bare_title(text[ln.start:ln.end])
    return ""


def _source_title_keys(lines: list[Line], parts: list[clean.Part]) -> set[str]:
    """Titles of the page and its plans: a line repeating one of them is a title line, not text."""
    keys: set[str] = set()
    for p in parts:
        if p.title:
            keys.add(clean.title_key(p.title))
    starts = [0] + [p.marker.end for p in parts if p.marker]
    for st in starts:
        n = 0
        for ln in lines:
            if ln.start < st:
                continue
            if clean.line_junk_kind(ln.simp):
                continue
            if clean.is_title_like(ln.simp) and not _starts_with_label(ln.simp):
                keys.add(clean.title_key(ln.simp))
                keys.add(clean.title_key(clean.bare_title(ln.simp)))
            n += 1
            if n >= 3:
                break
    keys.discard("")
    return keys


def _parse_document(source_text: str, start: int, end: int, doc_id: str, path: str,
                    part: clean.Part | None, title: str, title_keys: set[str],
                    src_lines: list[Line]) -> Document:
    text = source_text[start:end]
    lines = [Line(ln.start - start, ln.end - start, ln.simp) for ln in src_lines]
    doc = Document(doc_id=doc_id, source=path, title=title, text=text, source_start=start)

    skip = clean.junk_lines(lines)
    if part is not None and part.marker is not None:
        # the 第N篇 line
        skip.update({i: "junk:title" for i, ln in enumerate(lines) if ln.start == part.marker.start - start})
    # Title lines: at the top of the plan, and any later repeat of a known title.
    seen_content = False
    for i, ln in enumerate(lines):
        if i in skip:
            continue
        key = clean.title_key(ln.simp)
        if not _starts_with_label(ln.simp) and clean.is_title_like(ln.simp) and (not seen_content or key in title_keys):
            skip[i] = "junk:title"
            if not title:
                title = text[ln.start:ln.end].strip()
            continue
        seen_content = True
    doc.title = clean.bare_title(title or "")

    line_at = {ln.start: i for i, ln in enumerate(lines)}
    markers = {line_at[sp.start]: sp for sp in clean.page_markers(text, lines)}
    junk = [Span(ln.start, ln.end, skip[i]) for i, ln in enumerate(lines) if i in skip]
    junk += list(markers.values())

    starts, saluted = _content_starts(text, lines, skip, markers, junk, doc)
    paras = _build_paragraphs(text, lines, skip, markers, starts, saluted)
    # Bare numbers glued to text ("21规范招生…") open a list only in a document that numbers
    # several paragraphs that way; elsewhere "3大攻坚战" at a line start is just text.
    bare_starts = sum(1 for p in paras if (_match_label(p.simps[0], 0) or ("",))[0] == "bare")
    numbering = _Numbering(allow_bare=bare_starts >= 3)
    titled = _unnumbered_headings(paras)
    labels = _scan_labels(text, paras, numbering, titled)
    blocks = _blocks(paras, labels, titled)
    _assemble(doc, text, paras, blocks, junk, _after_salutation(paras, junk))
    junk.sort(key=lambda sp: (sp.start, sp.end))
    doc.junk = junk
    if not any(lab for labs in labels for lab in labs):
        doc.flags.append("no-numbering")
    if not doc.items:
        doc.flags.append("empty")
    return doc


def _is_heading(blocks: list[_Block], k: int, paras: list[_Para], text: str) -> bool:
    b = blocks[k]
    lab = b.label
    nxt_lab = next((blocks[j] for j in range(k + 1, len(blocks)) if blocks[j].label), None)
    if nxt_lab is not None and nxt_lab.label.level > lab.level:
        return True  # deeper-numbered content follows
    if lab.scheme not in _HEADING_SCHEMES:
        return False
    body = _seg_text(text, _clip(paras[b.para], lab.end, b.end))
    nxt = blocks[k + 1] if k + 1 < len(blocks) else None
    short_title = len(body) <= 60 and not any(ch in body[:-1] for ch in "。！？")
    if nxt is not None and nxt.label is None and nxt.para != b.para and not nxt.titled:
        # A title over plain paragraphs (government work reports): the label's first sentence
        # names the topic, the paragraphs after it are its measures.
        if short_title:
            return True
        t_end = _title_end(text, _clip(paras[b.para], lab.end, b.end), lab.end)
        if t_end - lab.end <= 80:
            return True
    if lab.scheme in ("cn", "part") and lab.level == 1:
        # "四,坚持立德树人,深化素质教育。14强化…": a top-level title with text run on after it
        t_end = _title_end(text, _clip(paras[b.para], lab.end, b.end), lab.end)
        if t_end - lab.end <= 40 and text[t_end:b.end].strip():
            return True
    return False


def _heading_flags(blocks: list[_Block], paras: list[_Para], text: str) -> list[bool]:
    """For each block: is it a heading? Siblings are read alike: when some (一)…(十) of one list
    are titles over paragraphs, the others that open with a short title sentence are too."""
    flags = [b.label is not None and _is_heading(blocks, k, paras, text) for k, b in enumerate(blocks)]
    grouped: set[int] = set()
    for k, b in enumerate(blocks):
        if b.label is None or k in grouped:
            continue
        # The run of sibling labels: same scheme and level, until a shallower label.
        sib = [k]
        for j in range(k + 1, len(blocks)):
            lj = blocks[j].label
            if blocks[j].titled:
                break  # a new titled section: its lists are not these siblings
            if lj is None or lj.level > b.label.level:
                continue
            if lj.level < b.label.level or lj.scheme != b.label.scheme:
                break
            sib.append(j)
        if b.label.scheme in _HEADING_SCHEMES and any(flags[j] for j in sib) and not all(flags[j] for j in sib):
            for j in sib:
                bj = blocks[j]
                segs = _clip(paras[bj.para], bj.label.end, bj.end)
                if not segs:
                    continue
                t_end = _title_end(text, segs, bj.label.end)
                if t_end - bj.label.end <= 80 and text[t_end:bj.end].strip():
                    flags[j] = True
        grouped.update(sib)
    return flags


# ---------------------------------------------------------------- unnumbered headings and speeches

# The parts after a report's own text: "附件1", "附件2 名词解释", "名词解释".
_APPENDIX_MARK = re.compile(rf"^(?:附件|附录|附表)\s*[{_D}{_CN}]*$")
_APPENDIX = re.compile(rf"^(?:附件|附录|附表)\s*[{_D}{_CN}]*(?:\s|$)|^名词(?:解释|注释)$")
# No sentence mark, comma or colon in a title line ("…以下工作：" announces a list instead).
_NOT_IN_TITLE = set(SENTENCE_END + "，,：:")
# The passage that turns to the government's own conduct opens a report's closing part, after its
# last numbered task ("新征程新使命，对政府工作提出了新的更高要求"). The reports mark it with a
# salutation as well, but a copy may have lost those lines (the 2025 national text has).
_GOVERNMENT_TURN = re.compile(r"对政府工作提出")


def _title_line(simp: str) -> bool:
    s = simp.strip()
    return (2 <= len(s) <= 20 and any("\u4e00" <= ch <= "\u9fff" for ch in s)
            and not any(ch in _NOT_IN_TITLE for ch in s) and not _starts_with_label(s))


def _unnumbered_headings(paras: list[_Para]) -> dict[int, int]:
    """Paragraph index -> level of each heading that carries no number: a short title line standing
    alone between paragraphs, like the parts of Sichuan's report ("2024年工作回顾", "2025年工作安排
    建议", "加强政府自身建设") or an appendix ("附件2 名词解释"). It must follow a finished sentence
    (not a wrapped line, not a lead-in's colon) and head real content: a numbered line or a
    paragraph, not another short line (short lines in a row are a list). An appendix mark ("附件1")
    may carry its title on the next line, which then nests under it.
    Only the parts of the whole text are read so: a title line after numbered paragraphs is a
    heading only if one came before them, or if it opens an appendix. (A plan's unnumbered
    subtitle under 三、主要措施 stays an item: its level in the numbering is not known.)"""
    out: dict[int, int] = {}
    numbered_before = parts_before = False
    for pi, p in enumerate(paras):
        starts_numbered = _match_label(p.simps[0], 0) is not None
        if len(p.simps) != 1 or not _title_line(p.simps[0]) or pi + 1 >= len(paras):
            numbered_before = numbered_before or starts_numbered
            continue
        appendix = bool(_APPENDIX.match(p.simps[0].strip()))
        if numbered_before and not (parts_before or appendix or pi - 1 in out):
            continue
        under_mark = pi - 1 in out and bool(_APPENDIX_MARK.match(paras[pi - 1].simps[0].strip()))
        prev = paras[pi - 1].simps[-1].rstrip() if pi else ""
        if not under_mark and prev and (not _ends_sentence(prev) or prev[-1] in "：:"):
            continue
        nxt = "".join(paras[pi + 1].simps).strip()
        nxt_short = len(paras[pi + 1].simps) == 1 and _title_line(nxt)
        if nxt_short and not _APPENDIX_MARK.match(p.simps[0].strip()):
            continue
        if not nxt_short and not (_starts_with_label(nxt) or len(nxt) >= 20):
            continue
        out[pi] = 2 if under_mark else 1
        parts_before = parts_before or not (appendix or under_mark)
    return out


def _after_salutation(paras: list[_Para], junk: list[Span]) -> set[int]:
    """The paragraphs a salutation ("各位代表！") stands right before, on its own line or in front."""
    ends = sorted(sp.end for sp in junk if sp.what == "junk:salutation")
    out: set[int] = set()
    prev_end = -1
    for pi, p in enumerate(paras):
        i = bisect.bisect_right(ends, prev_end)
        if i < len(ends) and ends[i] <= p.segs[0][0]:
            out.add(pi)
        prev_end = p.segs[-1][1]
    return out


def _assemble(doc: Document, text: str, paras: list[_Para], blocks: list[_Block], junk: list[Span],
              after_salutation: set[int]) -> None:
    """Blocks into headings and items, each item under the open heading path.

    A speech's salutation ("各位代表！") ends the numbered part it stands in: before a later numbered
    heading it closes the sub-headings (what follows still belongs to 一、/二、's section); after
    the last one it opens the closing part (民族, 国防, 港澳, 台湾, 外交 …), under no heading.
    An unnumbered heading (level 1, or 2 under an appendix mark) holds the numbered lists after it,
    which nest one level deeper than their numbering says."""
    heads: list[Heading] = []  # open headings, outermost first
    items: list[Item] = []
    titled_depth = 0  # level of the innermost open unnumbered heading
    junk_starts = sorted(sp.start for sp in junk if sp.what != "page-marker")

    def junk_between(a: int, b: int) -> bool:
        i = bisect.bisect_left(junk_starts, a)
        return i < len(junk_starts) and junk_starts[i] < b

    def add_item(label: _Label | None, segs: list[tuple[int, int]], start: int, end: int) -> Item | None:
        body = _seg_text(text, segs)
        if not body and label is None:
            return None
        if not body:
            junk.append(Span(start, end, "junk:empty-label"))
            return None
        path = tuple(h.display for h in heads)
        level = label.level + titled_depth if label else len(heads) + 1
        it = Item(doc_id=doc.doc_id, ordinal=len(items), label=label.printed if label else "",
                  number=label.number if label else None, level=level, path=path, text=body,
                  start=start, end=end, subpoints=subpoints(body))
        items.append(it)
        return it

    is_heading = _heading_flags(blocks, paras, text)
    appendix = next((k for k, b in enumerate(blocks)
                     if b.titled and _APPENDIX.match(paras[b.para].simps[0].strip())), len(blocks))
    last_heading = max((k for k in range(appendix) if is_heading[k] and blocks[k].label), default=-1)
    k = 0
    last_item: tuple[Item, _Block] | None = None
    while k < len(blocks):
        b = blocks[k]
        p = paras[b.para]
        lab = b.label
        if b.at_para_start and not b.titled and (
                b.para in after_salutation
                or (k > last_heading and _GOVERNMENT_TURN.search("".join(p.simps)[:60].split("。")[0]))):
            if k > last_heading:
                heads.clear()
                titled_depth = 0
            else:
                del heads[1:]
            last_item = None
        if b.titled:
            while heads and heads[-1].level >= b.titled:
                heads.pop()
            title = _seg_text(text, p.segs)
            h = Heading(label="", number=None, level=b.titled, title=title, start=p.segs[0][0], end=p.segs[-1][1])
            doc.headings.append(h)
            heads.append(h)
            titled_depth = b.titled
            last_item = None
            k += 1
            continue
        if lab is None:
            segs = _clip(p, b.start, b.end)
            # The text of a numbered item that a page wrap pushed onto the next line(s).
            if last_item is not None:
                it, ib = last_item
                short = len(it.text) <= 40
                # "…。3.加强课程基地建设。" at a line end, its text on the next line (002)
                wrapped = (not ib.at_para_start and ib.last_in_para
                           and (len(it.text) <= 60 or not _ends_sentence(it.text)))
                # "…进行。5.实施…" - the line runs on into the next item, so it is a wrapped line
                run_on = not b.last_in_para
                fragment = b.end - b.start < 15 and not _ends_sentence(text[b.start:b.end])
                if ((short or wrapped or run_on) and b.at_para_start and not fragment
                        and not junk_between(it.end, b.start)):
                    it.text = it.text + "\n" + _seg_text(text, segs)
                    it.end = segs[-1][1] if segs else b.end
                    it.subpoints = subpoints(it.text)
                    last_item = None
                    k += 1
                    continue
            add_item(None, segs, segs[0][0] if segs else b.start, segs[-1][1] if segs else b.end)
            last_item = None
            k += 1
            continue
        level = lab.level + titled_depth
        if is_heading[k]:
            segs = _clip(p, lab.end, b.end)
            t_end = _title_end(text, segs, lab.end) if segs else lab.end
            title = _seg_text(text, [(s, min(e, t_end)) for s, e in segs if s < t_end]) if segs else ""
            while heads and heads[-1].level >= level:
                heads.pop()
            h = Heading(label=lab.printed, number=lab.number, level=level, title=title,
                        start=lab.start, end=max(t_end, lab.start + len(lab.printed)))
            doc.headings.append(h)
            heads.append(h)
            rest = [(max(s, t_end), e) for s, e in segs if e > t_end]
            rest = [(s, e) for s, e in rest if text[s:e].strip()]
            if rest:
                a = rest[0][0]
                while text[a].isspace():
                    a += 1
                rest[0] = (a, rest[0][1])
                add_item(None, rest, a, rest[-1][1])
            last_item = None
        else:
            while heads and heads[-1].level >= level:
                heads.pop()
            segs = _clip(p, lab.end, b.end)
            it = add_item(lab, segs, lab.start, segs[-1][1] if segs else lab.start + len(lab.printed))
            last_item = (it, b) if it is not None else None
        k += 1
    doc.items = items


def uncovered(doc: Document) -> list[Span]:
    """Runs of non-whitespace text of `doc` that no heading, item or junk span accounts for.
    Empty for every document the parser produces; a check for tests and for debugging."""
    covered = bytearray(len(doc.text))
    for sp in [*doc.headings, *doc.items, *doc.junk]:
        covered[max(sp.start, 0):max(sp.end, 0)] = b"\x01" * (max(sp.end, 0) - max(sp.start, 0))
    gaps: list[Span] = []
    start = None
    for i, ch in enumerate(doc.text):
        missing = not covered[i] and not ch.isspace()
        if missing and start is None:
            start = i
        elif not missing and start is not None and not ch.isspace():
            gaps.append(Span(start, i, "uncovered"))
            start = None
    if start is not None:
        gaps.append(Span(start, len(doc.text), "uncovered"))
    return gaps
