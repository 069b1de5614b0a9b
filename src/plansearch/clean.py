"""Cleaning scraped pages: what on a line is site furniture, not the plan.

Everything here works on *lines*: (start, end) ranges of a text with surrounding whitespace
trimmed, so a junk verdict is a Span that indexes straight into the document text. Matching is
done on the Simplified form of a line (`to_simplified` keeps length), so one rule covers the
Traditional pages too.

- `split_lines(text)`: the non-blank lines of a text.
- `junk_lines(...)`: breadcrumbs, nav menus, editor/ID/date lines, "由会员分享" notices, Tags:, TOP,
  footers, stand-alone page numbers, the trailing list of related-article teasers, and the
  issuer/date lines that sign a plan. Title lines are decided in `outline` (it knows the page's
  titles); `is_title_like` / `bare_title` / `title_key` are the helpers.
- speech furniture of a work report read to a congress: the salutation ("各位代表：", and
  `salutation_length` for one that opens a paragraph: "各位代表！信心凝聚力量…"), the speaker line
  ("国务院总理　李克强") and the occasion line ("——2024年3月5日在第十四届全国人民代表大会…上").
- `page_markers(...)`: "2、" "3、" counters a document viewer puts at the top of each page; they
  cut sentences and must not become items.
- `compilation_parts(...)`: a page compiling several plans (第一篇 … 第五篇, 篇一, 【篇二】) split into
  one range per plan.

Span kinds (Span.what): junk:breadcrumb, junk:nav, junk:meta, junk:share-notice, junk:tags,
junk:top, junk:footer, junk:title, junk:related-articles, junk:empty-label, junk:salutation,
junk:speaker, junk:occasion, page-marker, signature.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .models import Span
from .normalise import SENTENCE_CLOSERS, SENTENCE_END, to_simplified


@dataclass
class Line:
    """One non-blank line: [start, end) in the text, surrounding whitespace excluded."""

    start: int
    end: int
    simp: str  # the line's Simplified form (same length as the line)


_LINE = re.compile(r"[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")


def split_lines(text: str, offset: int = 0, end: int | None = None) -> list[Line]:
    """Non-blank lines of text[offset:end], trimmed of whitespace (as str.isspace sees it)."""
    end = len(text) if end is None else end
    lines: list[Line] = []
    for m in _LINE.finditer(text, offset, end):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            lines.append(Line(s, e, _simplified(text[s:e])))
    return lines


def _simplified(s: str) -> str:
    # opencc is fast but a pathological line (megabytes of garbage) is not worth converting.
    if len(s) > 200_000:
        return s
    try:
        return to_simplified(s)
    except Exception:  # never let a converter quirk break parsing
        return s


# ---------------------------------------------------------------- titles

# Words that make a short line a document title rather than a sentence.
TITLE_WORDS = re.compile(r"(工作)?(要点|计划|总结|思路|报告|安排|意见|方案|规划|通知)")
# A title ends in no sentence mark and no colon (a colon ends a lead-in: "主要做了以下工作：").
_END_PUNCT = SENTENCE_END + "：:"
_TITLE_DECOR = re.compile(r"[\(（\[【〔](精|模版|模板|范文|通用|\d+篇|精选|最新|完整版|word版)[\)）\]】〕]\s*$")


def is_title_like(simp: str) -> bool:
    """A short line naming a plan/summary/report: no sentence punctuation at the end."""
    s = simp.strip()
    if not s or len(s) > 60:
        return False
    core = re.sub(r"\s*\d+篇$", "", _TITLE_DECOR.sub("", s))
    if not core or core[-1] in _END_PUNCT or core[-1] in "，,、":
        return False
    if any(ch in core for ch in "。，,；;"):
        return False
    # the plan word ends the title ("…工作要点", "…工作思路的报告"), it is not buried in a clause
    ends = [m.end() for m in TITLE_WORDS.finditer(core)]
    return bool(ends) and ends[-1] >= len(core) - 1


def bare_title(title: str) -> str:
    """A title without the site's decorations: "区教育局201X年工作要点(精)" -> "区教育局201X年工作要点"."""
    t = title.strip()
    while True:
        u = _TITLE_DECOR.sub("", t).strip()
        u = re.sub(r"(范文|精选|通用|汇编|合集|大全)?\s*[\(（]?\d+篇[\)）]?$|(范文|精选|大全)$", "", u).strip() or t
        if u == t:
            return t
        t = u


def title_key(simp: str) -> str:
    """What two title lines must share to count as the same title (decorations and masks ignored)."""
    core = _TITLE_DECOR.sub("", simp.strip())
    core = re.sub(r"^第[一二三四五六七八九十]+篇\s*[:：]?\s*", "", core)
    return re.sub(r"[\s\W_]+", "", core.lower())


# ---------------------------------------------------------------- site furniture

_BREADCRUMB = re.compile(r"^(首页|当前位置|您的位置|你的位置|现在位置|位置)\s*[:：>›»/]|\s[>›»]\s|^.{0,20}[>›»]\s*.{0,20}[>›»]")
_META = re.compile(
    r"(编辑|责任编辑|作者|识别码|发布时间|发布于|发表时间|更新时间|来源|栏目|人气|浏览|阅读|点击|字号|上传时间|文章来源|下载次数)"
    r"\s*[:：]"
)
_META_WORDS = re.compile(r"(编辑|作者|识别码|发布时间|发布于|栏目|人气|来源)\s*[:：]|浏览次数|阅读次数|点击数")
_SHARE = re.compile(r"由会员分享|请在.{0,80}上搜索|更多相关《|可在线阅读")
_TAGS = re.compile(r"^(tags|标签|关键词|关键字)\s*[:：]", re.I)
_TOP = re.compile(r"^(top|返回顶部|回到顶部|返回首页|打印本页|关闭窗口|收藏本页|上一篇[:：].*|下一篇[:：].*|【?打印】?\s*【?关闭】?)$", re.I)
_FOOTER = re.compile(
    r"^(版权所有|copyright|©|免责声明|声明[:：]|本文(来源|由|链接)|原文(链接|地址)|转载请|分享到|扫一扫|微信扫一扫"
    r"|点击(下载|查看|收藏)|下载(本文|全文|文档|word)|(本文|全文|文档)下载|word文档|网友评论|发表评论|我要评论|相关(标签|搜索))",
    re.I)
# A stand-alone page number of a paginated document: "- 2 -", "第2页 共5页", "2/5".
_PAGE_NUMBER = re.compile(r"^(?:[-—–\s]*\d{1,3}[-—–\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})$")
_RELATED_HEAD = re.compile(r"^[【\[]?(相关(文章|阅读|推荐|范文|内容)|推荐(阅读|文章|范文)|延伸阅读|猜你喜欢|热门(文章|推荐|范文)|最新(文章|范文)|更多(相关)?(文章|范文|阅读)|精选(文章|范文))[】\]]?\s*[:：]?$")
_NAV_WORDS = re.compile(r"首页|网站|主页|导航|登录|注册|范文|作文|文库|文档|专题|频道|资讯|下载|会员|网站地图|联系我们")
_NAV_TOKEN = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9]{1,7}$")
_TEASER_END = re.compile(r"(\.\.\.|…|。。。)\s*$")


# ---------------------------------------------------------------- speech furniture

# The address to the congress, as a line of its own or opening a paragraph ("各位代表！信心凝聚…").
_SALUTATION = re.compile(r"^(?:各位(?:人大)?代表|各位(?:政协)?委员|代表们|同志们)\s*[：:！!，,]")
# "国务院总理　李　强", "四川省人民政府省长 施小琳", "省长 李炳军": an office, a space, a name.
_SPEAKER = re.compile(
    r"^[\u4e00-\u9fff]{0,12}?(?:总理|省长|市长|区长|县长|州长|旗长|盟长|镇长|乡长|主席)[\s\u3000]+"
    r"[\u4e00-\u9fff·](?:[\s\u3000]?[\u4e00-\u9fff·]){1,5}$")
# "——2024年3月5日在第十四届全国人民代表大会第二次会议上", "2025年1月20日在四川省第十四届人民代表大会
# 第四次会议上", "----2025年1月15日龚正市长在上海市…会议的政府工作报告": when and where it was read.
_OCCASION = re.compile(
    r"^(?:[-—–－]+\s*(?=[0-9０-９在])|(?=[0-9０-９]))(?:[0-9０-９]{4}\s*年\s*[0-9０-９]{1,2}\s*月\s*[0-9０-９]{1,2}\s*日)?"
    r"[\u4e00-\u9fff·]{0,8}?在.{0,40}?(?:代表大会|人代会|会议|大会)")


def salutation_length(simp: str) -> int:
    """Length of the salutation that opens this (Simplified) text ("各位代表！"), 0 if none."""
    m = _SALUTATION.match(simp)
    return m.end() if m else 0


def _speech_furniture(s: str) -> str | None:
    if len(s) <= 12 and _SALUTATION.match(s) and salutation_length(s) == len(s):
        return "junk:salutation"
    if len(s) <= 30 and _SPEAKER.match(s):
        return "junk:speaker"
    if len(s) <= 90 and "。" not in s and _OCCASION.match(s):
        return "junk:occasion"
    return None


def _is_nav_menu(simp: str) -> bool:
    """"網站首頁 文學常識 簡歷 公文文書 …": many short words separated by spaces, no sentence."""
    toks = simp.split()
    if len(toks) < 4:
        return False
    if any(ch in simp for ch in "。，,；;"):
        return False
    short = sum(1 for t in toks if _NAV_TOKEN.match(t))
    # a table row is also short words with spaces: a menu names the site's sections
    return short >= 0.8 * len(toks) and bool(_NAV_WORDS.search(simp))


def line_junk_kind(simp: str) -> str | None:
    """The kind of site furniture this (Simplified) line is, or None for content."""
    s = simp.strip()
    if _TOP.match(s):
        return "junk:top"
    if _TAGS.match(s):
        return "junk:tags"
    if len(s) <= 16 and _PAGE_NUMBER.match(s):
        return "page-marker"
    if len(s) <= 120 and _FOOTER.match(s):
        return "junk:footer"
    if len(s) <= 300 and s.startswith("《") and _SHARE.search(s):
        return "junk:share-notice"
    if len(s) <= 120 and _BREADCRUMB.search(s) and "。" not in s:
        return "junk:breadcrumb"
    if _is_nav_menu(s):
        return "junk:nav"
    speech = _speech_furniture(s)
    if speech:
        return speech
    if len(s) <= 160 and "。" not in s and (len(_META.findall(s)) >= 2 or (_META_WORDS.search(s) and len(s) <= 80)):
        return "junk:meta"
    return None


def share_notice_title(line: str) -> str | None:
    """《教育局…报告.docx》由会员分享 … → the file's title."""
    m = re.match(r"^《(.+?)》", line)
    if not m:
        return None
    return re.sub(r"\.(docx?|pdf|txt|wps|html?)$", "", m.group(1), flags=re.I)


def related_tail_start(lines: list[Line]) -> int | None:
    """Index of the first line of a trailing related-articles list, or None.

    The list is title lines and teaser snippets ending in "..." (002 ends with three of them). We
    walk back from the end while lines are titles or teasers and need at least one teaser."""
    # "相关文章" and then nothing but short lines (headlines) to the end
    for k in range(max(0, len(lines) - 40), len(lines)):
        if _RELATED_HEAD.match(lines[k].simp.strip()):
            rest = lines[k + 1:]
            if all(len(ln.simp) <= 80 or _TEASER_END.search(ln.simp) for ln in rest):
                return k
    i = len(lines)
    teasers = titles = 0
    while i > 0:
        s = lines[i - 1].simp
        if _TEASER_END.search(s) and len(s) >= 20:
            teasers += 1
        elif is_title_like(s):
            titles += 1
        elif line_junk_kind(s) not in ("junk:top", "junk:tags"):
            break
        i -= 1
    if teasers == 0 or titles == 0:  # a plan may end in "……"; a list has headlines too
        return None
    # The list starts at a title line (the teaser's headline), not at a stray teaser.
    while i < len(lines) and not is_title_like(lines[i].simp) and not _TEASER_END.search(lines[i].simp):
        i += 1
    return i if i < len(lines) else None


_DATE_LINE = re.compile(
    r"^[(（]?(?:[0-9０-９]{4}|20[xX*_]{2}|[xX]{4}|[一二][〇零○][一二三四五六七八九〇零○十]{2})\s*年"
    r"(?:\s*[0-9０-９一二三四五六七八九十xX*_]{1,3}\s*月(?:\s*[0-9０-９一二三四五六七八九十xX*_]{1,3}\s*日)?)?[)）]?$")
_ISSUER_LINE = re.compile(r"(局|厅|委|委员会|政府|办公室|办|中学|小学|学校|学院|大学|幼儿园|中心|科|处|室|党委|党支部|支部|教研室)$")


def signature_lines(lines: list[Line], junk: dict[int, str]) -> list[int]:
    """The issuer and date lines that close an official document ("XX区教育局" / "2024年3月1日").
    Only the last few content lines qualify, and only if a date is among them."""
    tail: list[int] = []
    for i in range(len(lines) - 1, -1, -1):
        if i in junk:
            continue
        s = lines[i].simp.strip()
        if len(tail) >= 3 or len(s) > 30 or any(ch in s for ch in "。，,；;：:！？!?"):
            break
        if not (_DATE_LINE.match(s) or _ISSUER_LINE.search(s)):
            break
        tail.append(i)
    if not any(_DATE_LINE.match(lines[i].simp.strip()) for i in tail):
        return []
    return sorted(tail)


def junk_lines(lines: list[Line]) -> dict[int, str]:
    """Line index -> junk kind, for whole lines that are not part of the plan."""
    out: dict[int, str] = {}
    for i, ln in enumerate(lines):
        kind = line_junk_kind(ln.simp)
        if kind:
            out[i] = kind
    tail = related_tail_start(lines)
    if tail is not None:
        for i in range(tail, len(lines)):
            kind = out.get(i)
            if kind is None or kind == "junk:title":
                out[i] = "junk:related-articles"
    for i in signature_lines(lines, out):
        out[i] = "signature"  # not a measure; metadata may read the issuer and date from it
    return out


# ---------------------------------------------------------------- page markers

_PAGE_MARK = re.compile(r"^([0-9]{1,3})、")
# A line whose last character is one of these ends its sentence; a page break did not cut it.
_LINE_END = SENTENCE_END + SENTENCE_CLOSERS


def page_markers(text: str, lines: list[Line]) -> list[Span]:
    """Document-viewer page counters ("2、" at the start of the line that continues a cut sentence).

    Recognised only as a run: the line-initial numbers go 1, 2, 3 … over consecutive lines and most
    of those lines continue the sentence the previous line cut off - which numbered items never do.
    """
    cands: list[tuple[int, int, int]] = []  # (line index, number, marker end)
    for i, ln in enumerate(lines):
        m = _PAGE_MARK.match(ln.simp)
        if m:
            cands.append((i, int(m.group(1)), ln.start + m.end()))
    best: list[tuple[int, int, int]] = []
    run: list[tuple[int, int, int]] = []
    for c in cands:
        if run and c[1] == run[-1][1] + 1 and c[0] == run[-1][0] + 1:
            run.append(c)
        else:
            run = [c] if c[1] == 1 else []
        if len(run) > len(best):
            best = list(run)
    if len(best) < 3:
        return []
    # Pages are long and a page break cuts wherever it falls; numbered title lines ("1、指导思想")
    # are short and do not run into each other.
    run_lines = [lines[i] for i, _n, _e in best]
    if sum(ln.end - ln.start for ln in run_lines) < 80 * len(run_lines):
        return []
    cut = 0
    for idx, _n, _e in best[1:]:
        prev = lines[idx - 1]
        if text[prev.end - 1] not in _LINE_END and prev.end - prev.start >= 40:
            cut += 1
    if cut * 2 < len(best) - 1:
        return []
    return [Span(lines[i].start, e, "page-marker") for i, _n, e in best]


# ---------------------------------------------------------------- compilations

# 第一篇 / 篇一 / 【篇二】 / 第3篇 / 范文一, optionally with the plan's title after a colon.
_PART = re.compile(
    r"^[【\[]?(?:第\s*([一二三四五六七八九十]+|[0-9]{1,2})\s*篇|篇\s*([一二三四五六七八九十]+|[0-9]{1,2})|范文([一二三四五六七八九十]+))"
    r"[】\]]?\s*(?:[:：、.．]\s*(.*))?$")
_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_number(s: str) -> int | None:
    """Chinese numerals up to the hundreds: 一 / 十二 / 二十一 / 一百零五 / 两 / 〇."""
    if not s:
        return None
    digits = dict(_CN_DIGIT, 两=2, 〇=0, 零=0)
    total, cur = 0, 0
    for ch in s:
        if ch in digits:
            cur = digits[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
        else:
            return None
    return total + cur


@dataclass
class Part:
    """One plan of a compiled page: its marker line and where it starts in the source."""

    number: int
    start: int  # start of the marker line (or 0 for the first part: the page header belongs to it)
    marker: Span | None
    title: str


def compilation_parts(lines: list[Line], text: str | None = None) -> list[Part]:
    """第一篇 / 第二篇 … lines numbered 1, 2, 3 …: one part per plan. [] if this is a single plan.
    With `text` (the text the lines index) titles are in the original script."""
    found: list[tuple[int, Line, str]] = []
    for ln in lines:
        if len(ln.simp) > 80:
            continue
        m = _PART.match(ln.simp)
        if m:
            raw = m.group(1) or m.group(2) or m.group(3)
            n = int(raw) if raw.isdigit() else cn_number(raw)
            if n == len(found) + 1:
                title = ""
                if m.group(4):
                    src = text[ln.start:ln.end] if text is not None else ln.simp
                    title = src[m.start(4):m.end(4)].strip()
                found.append((n, ln, title))
    if len(found) < 2:
        return []
    parts = []
    for k, (n, ln, title) in enumerate(found):
        parts.append(Part(n, 0 if k == 0 else ln.start, Span(ln.start, ln.end, "junk:title"), title))
    return parts
