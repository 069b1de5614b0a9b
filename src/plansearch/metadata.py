"""Document metadata: what year, place, issuer and kind a plan is, and the manifest that corrects it.

    infer_metadata(doc)            sets year / year_mask / plan_year / review_year / region / level / issuer /
                                   kind / sections (+ item.section) from the title, the opening
                                   lines, the signature and the top-level headings; a document
                                   titled nothing or only "政府工作报告" gets a built title
                                   ("2019年国务院政府工作报告", flag "title-built")
    year_range(doc)                (first, last) year a document can be from: 201X -> (2010, 2019)
    load_manifest(path)            rows of corpus/manifest.csv (what a person knows the tool cannot)
    apply_manifest(docs, rows)     overrides; returns warnings for rows that match no document

Where the evidence is read from, strongest first: title lines (the document title and the title
lines cleaning removed, e.g. "XX区教育局202_年工作要点"), the signature (issuer/date lines at the
end), the opening paragraph, the top-level headings (一、2024年工作回顾 / 三、明年工作安排), and
only for the place, the body.

Manifest format (one header, documented in corpus/manifest.csv itself):
    doc,title,year,region,level,issuer,kind,note
`doc` is a file name ("000_5ae896fcb747d54c.txt"), a file stem, or a document id
("000_5ae896fcb747d54c#4"). `year` is 2021, a mask (201X, 20**, 202_), or review→plan for a
document with both parts ("2010→2011", "2010->2011"). Empty cells leave the inferred value. The
second corpus's header (file,source,year,region,issuer,kind) is read too: `file` is `doc`, and
`source` is kept as the row's note. `level` is national, province, city, county or district (or
全国 / 省 / 市 / 县 / 区); left empty, it is inferred from the issuer and region (infer_level).
"""
from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Literal

from .i18n import _
from .load import decode_text
from .models import Document, LoadError, PlansearchError, Section
from .normalise import MASK_CHARS as _MASK_CHARS
from .normalise import MASKED_PLACE as _MASKED_PLACE
from .normalise import PLACE_SUFFIX as _PLACE_SUFFIX
from .normalise import YEAR as _YEAR
from .normalise import to_simplified

# ---------------------------------------------------------------- years

# A year as people write it (2021, 201X, 20**, 202_, xxxx年, XX年, 二〇二一): normalise.YEAR, the
# one definition mask_variables uses too (groups num / mask / cn).
_CN_YEAR_DIGIT = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "o": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                  "七": 7, "八": 8, "九": 9}


@dataclass
class YearToken:
    """One year mention: a known year or a mask, and where it stands in the searched string."""

    year: int | None
    mask: str | None
    start: int
    end: int


def find_years(text: str) -> list[YearToken]:
    out: list[YearToken] = []
    for m in _YEAR.finditer(text):
        if m.group("num"):
            out.append(YearToken(int(m.group("num")), None, m.start(), m.end()))
        elif m.group("cn"):
            digits = [_CN_YEAR_DIGIT[ch] for ch in m.group("cn")]
            out.append(YearToken(int("".join(map(str, digits))), None, m.start(), m.end()))
        else:
            out.append(YearToken(None, canonical_mask(m.group("mask")), m.start(), m.end()))
    return out


def canonical_mask(mask: str) -> str:
    """Masks as the corpus prints them, full-width forms folded: 20＊＊ -> 20**, 201x -> 201X."""
    m = mask.replace("＊", "*").replace("＿", "_").replace("×", "X").replace("Ｘ", "X").replace("ｘ", "x")
    if re.fullmatch(r"\d+[xX]+", m):
        return m.upper()
    return m


def mask_range(mask: str) -> tuple[int, int] | None:
    """The years a masked year can stand for: 201X -> (2010, 2019), 20** -> (2000, 2099).
    Masks that keep no digit (xxxx, **) say nothing."""
    m = re.fullmatch(r"(\d*)([^\d]*)", mask)
    if not m or len(mask) != 4 or not m.group(1):
        return None
    fixed, free = m.group(1), len(m.group(2))
    lo = int(fixed) * 10 ** free
    return lo, lo + 10 ** free - 1


def year_range(doc: Document) -> tuple[int, int] | None:
    """The span of years a document can be from: (y, y) for a known year, (review, plan) for a
    document with both parts, the mask's decade or century for 201X / 20**, None when nothing is
    known."""
    ys = [y for y in (doc.year, doc.review_year, doc.plan_year) if y is not None]
    if ys:  # a document that reviews 2010 and plans 2011 is about both
        return min(ys), max(ys)
    if doc.year_mask:
        return mask_range(doc.year_mask)
    return None


# Which of a review→plan document's two years a question is about. Filters default to "any" (a
# document reviewing 2023 and planning 2024 is found under either); grouping and trends put it
# under its plan year unless asked for the review year.
YearBasis = Literal["any", "plan", "review"]
YEAR_BASES = ("any", "plan", "review")


def year_of(doc: Document, basis: YearBasis = "plan") -> int | None:
    """The one year a document is counted under: its plan year (the review year with
    basis="review"), else its own year; None for a masked or unknown year."""
    if basis == "review":
        return doc.review_year or doc.year or doc.plan_year
    return doc.plan_year or doc.year or doc.review_year


def year_bounds(doc: Document, basis: YearBasis = "plan") -> tuple[int, int] | None:
    """(earliest, latest) year the document can be dated to for ordering it against others: its
    year as `year_of` gives it, or the range of a masked year (201X -> 2010-2019)."""
    y = year_of(doc, basis)
    if y is not None:
        return y, y
    return mask_range(doc.year_mask) if doc.year_mask else None


def is_earlier(a: Document, b: Document) -> bool:
    """Whether `a` certainly predates `b`: every year `a` can be from comes before every year `b`
    can be from (201X is earlier than 202_; 201X is not earlier than 2015)."""
    ra, rb = year_bounds(a), year_bounds(b)
    return ra is not None and rb is not None and ra[1] < rb[0]


def matches_years(doc: Document, lo: int, hi: int, basis: YearBasis = "any") -> bool:
    """Whether a filter on the years lo..hi takes the document. A known year matches when it lies
    in the range; a review→plan document matches on either year ("any"), or only on its plan /
    review year. A masked year (201X) matches only a range holding every year it can stand for."""
    if basis == "any":
        years = {y for y in (doc.year, doc.review_year, doc.plan_year) if y is not None}
    else:
        y = year_of(doc, basis)
        years = {y} if y is not None else set()
    if years:
        return any(lo <= y <= hi for y in years)
    span = mask_range(doc.year_mask) if doc.year_mask else None
    return span is not None and lo <= span[0] and span[1] <= hi


def year_label(doc: Document) -> str:
    """The year as a reader wants it: 2023, 2021→2022 (review→plan), 201X (masked), or ?."""
    if doc.review_year and doc.plan_year and doc.review_year != doc.plan_year:
        return f"{doc.review_year}→{doc.plan_year}"
    if doc.year:
        return str(doc.year)
    return doc.year_mask or "?"


# ---------------------------------------------------------------- kinds

# What a title calls itself. Checked on the Simplified title with the year removed.
_REPORT_TITLE = re.compile(r"政府工作报告")
_SUMMARY_TITLE = re.compile(r"总结|述职|回顾|工作报告|情况报告|汇报")
_PLAN_TITLE = re.compile(r"要点|计划|思路|安排|打算|规划|方案|意见|任务")
# Opening words of a government work report read to a people's congress.
_REPORT_OPENING = re.compile(r"向大会报告|各位代表")

# Top-level headings that open the part looking back / the part looking ahead.
_SUMMARY_HEADING = re.compile(
    r"工作(情况|回顾|总结|成效|成绩)|主要工作(情况|回顾|总结|成效)|主要(成绩|成效|做法)|取得的(成绩|成效)|过去|一年来|五年来|回顾|总结")
_PROBLEM_HEADING = re.compile(r"存在的?(主要)?问题|问题(和|与)不足|不足之处|困难和问题")
_PLAN_HEADING = re.compile(
    r"(明年|来年|下一年|下年|今年|新的一年|下一步|今后|\d{4}年|[Xx*_]{2,4}年|[一二][〇零][一二三四五六七八九〇零]{2}年)"
    r".{0,12}(思路|计划|打算|安排|要点|任务|重点|目标|总体要求|建议|工作)"
    r"|工作(思路|打算|计划|安排|任务|建议)|政府工作任务|总体要求|主要任务|重点任务|对今年.{0,6}建议")

# Body cues when the title says nothing: what has been done vs what will be done.
_SUMMARY_CUES = re.compile(r"[了]|取得|一年来|成效|圆满")
_PLAN_CUES = re.compile(r"将|要|力争|确保|计划|推进|加快|启动")


def _kind_of_title(simp: str) -> str:
    """plan / summary / report / mixed / unknown from a (Simplified) title."""
    if _REPORT_TITLE.search(simp):
        return "report"
    t = _YEAR.sub("", simp)
    summary = _SUMMARY_TITLE.search(t)
    plan = _PLAN_TITLE.search(t)
    if summary and plan:
        # "工作总结及来年工作思路报告": both parts; "工作计划完成情况报告" would put plan first
        return "mixed"
    if summary:
        return "summary"
    if plan:
        return "plan"
    return "unknown"


# ---------------------------------------------------------------- places and issuers

# A named place: 2-4 Han characters before the suffix (渭南市华州区 gives 渭南市 and 华州区).
_NAMED_PLACE = re.compile(rf"([\u4e00-\u9fff]{{2,4}}?)({_PLACE_SUFFIX})")
# What stands before 省/市/区/县 without naming a place: 全区, 我市, 城区, 示范区, 新区 …
_NOT_A_PLACE_PREFIX = re.compile(
    r"(全|我|本|各|该|外|城|市|县|区|省|乡|社|校|园|景|片|辖|山|库|老|矿|牧|林|灾|示范|试验|实验|先行|开发|保护|功能|"
    r"新|特|郊|小|街|地|同|邻|跨|周边|边远|偏远|发达|贫困|民族|少数民族|重点|城乡|城镇|农村|县城|中心|直辖|副省|"
    r"教育|学|上|下|入|进|回|到|在|和|与|及|或|对|向|为|等|个|两|几|多)$")
_PLACE_STOP = re.compile(r"^(全|我|本|各|该|直|省|市|区|县|城|分|社|园|辖|外|地|乡|镇)")
_ORG_SUFFIX = re.compile(
    r"(教育局|教体局|教育体育局|教育和体育局|教育厅|教育委员会|教委|人民政府|政府|国务院|委员会|党委|党组|办公室|"
    r"局|厅|委|办|处|科|室|中心|院|学校|中学|小学|幼儿园|部)$")
# A unit inside an office: 计财科, 基础教育处, 教研室.
_SUBUNIT = re.compile(r"[\u4e00-\u9fff]{1,8}?(处|科|室|股|中心)$")
_ISSUER_OPENING = re.compile(r"我代表([\u4e00-\u9fff]{0,16}?(?:国务院|人民政府|政府))")
_NATIONAL_ISSUERS = {"国务院"}


@functools.lru_cache(maxsize=4096)
def is_place_name(name: str, suffix: str) -> bool:
    """Whether jieba's dictionary knows `name` (or `name+suffix`) as a place (POS tag ns). The
    dictionary is the gazetteer: "华州区" and "夷陵区" pass, "设教育强区" / "根据省" do not."""
    import logging

    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(logging.ERROR)
    for word in (name + suffix, name):
        toks = pseg.lcut(word, HMM=False)
        if len(toks) == 1 and toks[0].flag == "ns":
            return True
    toks = pseg.lcut(name + suffix, HMM=False)
    return len(toks) == 2 and toks[0].word == name and toks[0].flag == "ns"


def _places_in(simp: str) -> list[str]:
    """Named places in a Simplified string, in order: 渭南市华州区 -> 渭南市, 华州区."""
    out = []
    for m in _NAMED_PLACE.finditer(simp):
        name, suffix = m.group(1), m.group(2)
        # the longest tail of the matched run that is a known place: "认真贯彻东营" -> "东营"
        for k in range(len(name) - 1):
            cand = name[k:]
            if _PLACE_STOP.match(cand) or _NOT_A_PLACE_PREFIX.search(cand):
                continue
            if is_place_name(cand, suffix):
                out.append(cand + suffix)
                break
    return out


def _masked_places(simp: str) -> list[str]:
    """Places the publisher masked ("XX区", "某市"), with their suffix."""
    return [m.group(0) + m.group("suffix") for m in _MASKED_PLACE.finditer(simp)]


def _issuer_of_title(simp: str) -> str | None:
    """The issuing body a title names before its year or subject: "区教育局计财科202_年工作要点"
    -> "区教育局计财科"; "2025年北京市政府工作报告" -> "北京市政府"."""
    t = re.sub(r"^[\s\d年Xx*_＊－\-—~～至到]+", "", simp)  # a leading year range
    t = _YEAR.sub("|", t)
    head = re.split(r"\||关于|年|工作|重点|要点|计划|总结|思路|安排|报告|述职|[（(\[【]", t, maxsplit=1)[0]
    head = head.strip(" ：:·-—")
    if len(head) < 2 or len(head) > 24:
        return None
    if not _ORG_SUFFIX.search(head):
        return None
    return head


# ---------------------------------------------------------------- the inference

def _title_lines(doc: Document) -> list[str]:
    """The document title, then the title lines cleaning removed (they often keep what the page
    title lost: "XX区教育局202_年工作要点" under a "区教育局202_年工作要点" page title)."""
    out = [doc.title] if doc.title else []
    for sp in doc.junk:
        if sp.what == "junk:title":
            line = doc.text[sp.start:sp.end].strip()
            line = re.sub(r"^第[一二三四五六七八九十\d]+篇\s*[:：]?\s*", "", line)
            if line and line not in out:
                out.append(line)
    return out


def _signature(doc: Document) -> list[str]:
    return [doc.text[sp.start:sp.end].strip() for sp in doc.junk if sp.what == "signature"]


def _opening(doc: Document, chars: int = 300) -> str:
    """The start of the document's own text (first items), not the site furniture above it."""
    out, n = [], 0
    for it in doc.items[:4]:
        out.append(it.text)
        n += len(it.text)
        if n >= chars:
            break
    return "\n".join(out)[:chars]


def _addresses_deputies(doc: Document) -> bool:
    """Does the text address the congress ("各位代表："; the outline keeps it as junk, not as text)?"""
    return any(sp.what == "junk:salutation" and "代表" in doc.text[sp.start:sp.end] for sp in doc.junk[:40])


def _top_headings(doc: Document):
    if not doc.headings:
        return []
    top = min(h.level for h in doc.headings)
    return [h for h in doc.headings if h.level == top]


def _find_sections(doc: Document) -> tuple[int, int | None, int | None] | None:
    """(boundary offset, review year, plan year) when the top-level headings look back first and
    ahead after: 一、主要工作情况 … 二、存在的主要问题 … 三、明年工作安排. None otherwise."""
    seen_summary = False
    review_year = None
    for h in _top_headings(doc):
        title = to_simplified(h.title)
        if _PROBLEM_HEADING.search(title):
            continue
        if not seen_summary:
            if _SUMMARY_HEADING.search(title):
                seen_summary = True
                ys = find_years(title)
                review_year = ys[0].year if ys else None
            continue
        if _PLAN_HEADING.search(title):
            ys = find_years(title)
            return h.start, review_year, ys[0].year if ys else None
    return None


def infer_metadata(doc: Document) -> Document:
    """Fill in the document's year, place, issuer, kind and sections. Never raises on odd text;
    leaves a field None/"unknown" when the text does not say."""
    titles = [to_simplified(t) for t in _title_lines(doc)]
    signature = [to_simplified(s) for s in _signature(doc)]
    opening = to_simplified(_opening(doc))

    # kind: the title says it, else the opening (a report to the congress), else the body's verbs
    kind = "unknown"
    for t in titles:
        kind = _kind_of_title(t)
        if kind != "unknown":
            break
    sections = _find_sections(doc)
    if kind == "unknown" and (_REPORT_OPENING.search(opening[:80]) or _addresses_deputies(doc)):
        kind = "report"
    if sections is not None and kind != "report":
        kind = "mixed"  # looks back, then ahead: whatever the title stresses, it holds both
    if kind == "unknown":
        body = to_simplified("".join(it.text for it in doc.items))
        summary_cues = len(_SUMMARY_CUES.findall(body))
        plan_cues = len(_PLAN_CUES.findall(body))
        if summary_cues or plan_cues:
            kind = "summary" if summary_cues > plan_cues else "plan"
            doc.flags.append("kind-from-body")
    doc.kind = kind

    _infer_years(doc, titles, opening, signature, sections, _occasion_years(doc))
    _infer_place_and_issuer(doc, titles, opening, signature)
    doc.date = infer_date(doc)
    doc.level = infer_level(doc.region, doc.issuer, titles)
    if is_generic_title(doc.title):
        built = built_title(doc)
        if built and built != doc.title:
            doc.title = built
            doc.flags.append("title-built")  # a user can tell it is not the document's own

    doc.sections = []
    if sections is not None and kind in ("mixed", "report"):
        boundary = sections[0]
        doc.sections = [Section("summary", 0, boundary, doc.review_year),
                        Section("plan", boundary, len(doc.text), doc.plan_year)]
        for it in doc.items:
            it.section = "summary" if it.start < boundary else "plan"
    if not doc.items and "empty" not in doc.flags:
        doc.flags.append("empty")
    return doc


# ---------------------------------------------------------------- the date of issue

_FULL_DATE = re.compile(r"((?:19|20)\d\d)\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?")
_OCCASION_LINE = re.compile(r"日\s*在.{0,40}(?:会议|大会)上")
_DATE_LINE = re.compile(r"(?:印发|发布|成文|签发)日期\s*[:：]?\s*")


def parse_date(text: str) -> str | None:
    """"2024-01-15" from 2024年1月15日 / 2024-1-15 / 2024.01.15; None when it is no real date."""
    m = _FULL_DATE.search(text)
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def infer_date(doc: Document) -> str | None:
    """The day the document was issued or delivered, where it says so: an 印发日期 line, a full date
    above the first item (——2024年3月5日在第十四届全国人民代表大会…), or the date under the signature.
    A date more than a year away from the document's own year is something the text talks about
    (a meeting, a deadline), not its date, and is not taken. Lineage orders two copies of one year by it."""
    first = doc.items[0].start if doc.items else min(len(doc.text), 600)
    places = [m.group(0) + doc.text[m.end():m.end() + 20] for m in _DATE_LINE.finditer(doc.text)]
    places.append(to_simplified(doc.text[:min(first, 600)]))
    if doc.items and _OCCASION_LINE.search(doc.items[0].text[:80]):  # the occasion line read as an item
        places.append(doc.items[0].text[:80])
    places.extend(_signature(doc))
    places.append(doc.text[-80:])  # a signature the outline kept as text
    bounds = year_range(doc)
    for place in places:
        date = parse_date(place)
        if date is None:
            continue
        year = int(date[:4])
        if bounds is None or bounds[0] - 1 <= year <= bounds[1] + 1:
            return date
    return None


# ---------------------------------------------------------------- titles

# A title naming only the kind of document, which tells one report from another by nothing
# (seven national reports have no title line, five say only 政府工作报告).
_KIND_TAIL = r"(?:政府|年度)?(?:工作)?(?:报告|要点|计划|总结|思路|安排|规划|方案|意见)"
_GENERIC_TITLE = re.compile(rf"(?:{_KIND_TAIL})?")
_KIND_WORDS = {"plan": "工作计划", "summary": "工作总结", "mixed": "工作总结和计划", "report": "工作报告"}


def _title_core(title: str) -> str:
    """The title without its years, spaces and punctuation."""
    return re.sub(r"[\s\W_年]+", "", _YEAR.sub("", to_simplified(title or "")))


def is_generic_title(title: str) -> bool:
    """Empty, or only a kind word and maybe a year: "政府工作报告", "2019年工作要点"."""
    return bool(_GENERIC_TITLE.fullmatch(_title_core(title)))


def built_title(doc: Document) -> str:
    """A title from what the metadata knows: year + issuer (or region) + the kind words of the
    document's title ("政府工作报告", "工作要点"), else of its kind: "2019年国务院政府工作报告",
    "202_年华州区教育局工作要点". "" when neither a year nor an issuer or region is known."""
    year = f"{doc.year}年" if doc.year is not None else f"{doc.year_mask}年" if doc.year_mask else ""
    tail = re.search(rf"{_KIND_TAIL}$", _title_core(doc.title))
    words = tail.group(0) if tail else ""
    who = doc.issuer or doc.region or ""
    if not words:
        words = _KIND_WORDS.get(doc.kind, "")
        if doc.kind == "report" and re.search(r"(国务院|政府)$", who):
            words = "政府工作报告"
    if words.startswith("政府") and re.search(r".(人民政府|政府)$", who):
        who = re.sub(r"(人民政府|政府)$", "", who)  # 北京市 + 政府工作报告, not 北京市人民政府政府…
    if not (year or who):
        return ""
    return f"{year}{who}{words}"


def _occasion_years(doc: Document) -> list[YearToken]:
    """The years of the line saying when a speech was given ("——2023年3月5日在…会议上")."""
    return [y for sp in doc.junk if sp.what == "junk:occasion"
            for y in find_years(to_simplified(doc.text[sp.start:sp.end])) if y.year is not None][:1]


def settle_built_title(doc: Document) -> None:
    """After the manifest: a title it gives wins (the "title-built" flag goes); a built title is
    built again from the year, issuer and region it may have corrected."""
    if "title-built" not in doc.flags:
        return
    if "title" in doc.overridden:
        doc.flags.remove("title-built")
    else:
        doc.title = built_title(doc) or doc.title


def _infer_years(doc: Document, titles: list[str], opening: str, signature: list[str],
                 sections: tuple[int, int | None, int | None] | None, occasion: list[YearToken]) -> None:
    year = mask = review = plan = None
    title_years: list[YearToken] = []
    title_text = ""
    for t in titles:
        title_years = find_years(t)
        if title_years:
            title_text = t
            break
    if title_years:
        first = title_years[0]
        year, mask = first.year, first.mask
        if doc.kind == "mixed":
            review = first.year
            later = [y for y in title_years[1:] if y.year is not None]
            if later:
                plan = later[0].year
            elif review is not None and re.search(r"来年|明年|下一年|下年|新一年", title_text):
                plan = review + 1
    elif occasion and doc.kind == "report":
        # a report is read in the year it plans (its opening speaks of the year it reviews)
        year = plan = occasion[0].year
    else:
        opening_years = find_years(opening[:120])
        if opening_years:
            year, mask = opening_years[0].year, opening_years[0].mask
    if sections is not None and doc.kind in ("mixed", "report"):
        _b, sec_review, sec_plan = sections
        review = review if review is not None else sec_review
        plan = plan if plan is not None else sec_plan
        if review is None and doc.kind == "mixed" and year is not None:
            review = year
        if plan is None and review is not None:
            plan = review + 1
        if review is None and plan is not None and doc.kind == "report":
            review = plan - 1
        # a summary/mixed document is dated by the year it reviews, a report by the year it plans
        if doc.kind == "report" and plan is not None:
            year, mask = plan, None
        elif review is not None:
            year, mask = review, None
    if year is None and mask is None:
        for s in signature:  # a plan signed "2024年1月" plans 2024
            ys = find_years(s)
            if ys and ys[0].year is not None:
                year = ys[0].year
                doc.flags.append("year-from-signature")
                break
    doc.year, doc.year_mask, doc.review_year, doc.plan_year = year, mask, review, plan
    if doc.kind == "plan" and year is not None:
        doc.plan_year = year
    elif doc.kind == "summary" and year is not None:
        doc.review_year = year


def _infer_place_and_issuer(doc: Document, titles: list[str], opening: str, signature: list[str]) -> None:
    issuer = None
    speaker = _ISSUER_OPENING.search(opening[:200])
    if speaker:  # "我代表北京市人民政府": the formal name, fuller than the title's 北京市政府
        issuer = speaker.group(1)
    for t in ([] if issuer else titles + signature[::-1]):
        issuer = _issuer_of_title(t) if t in titles else (t if _ORG_SUFFIX.search(t) and len(t) <= 24 else None)
        if issuer:
            break
    doc.issuer = issuer

    region = None
    masked: list[str] = []
    if issuer in _NATIONAL_ISSUERS:
        region = "全国"
    head = titles + signature + [opening] + ([issuer] if issuer else [])
    if region is None:
        for s in head:
            places = _places_in(s)
            if places:
                region = places[-1] if len(places) > 1 and issuer and places[-1] in issuer else places[0]
                break
            masked += _masked_places(s)
    if region is None:
        # The body, at the issuer's level only: a 区教育局 plan naming 夷陵区 in its own rules.
        level = re.match(r"^(省|市|区|县|旗)", issuer or "")
        body = to_simplified("\n".join(it.text for it in doc.items))
        counts = Counter(_places_in(body))
        if level:
            counts = Counter({p: n for p, n in counts.items() if p.endswith(level.group(1))})
        masked_body = _masked_places(body)
        if level:
            masked_body = [m for m in masked_body if m.endswith(level.group(1))]
        if counts:
            region = counts.most_common(1)[0][0]
            doc.flags.append("region-from-body")
        elif not masked:
            masked = masked_body
    if region is None and masked:
        doc.flags.append(f"region-masked:{masked[0]}")
    doc.region = region


# ---------------------------------------------------------------- administrative level

LEVELS = ("national", "province", "city", "county", "district")
# What a manifest cell may say for each level (English or the usual Chinese word).
_LEVEL_WORDS = {"national": "national", "国家": "national", "全国": "national", "中央": "national",
                "province": "province", "省": "province", "省级": "province",
                "city": "city", "市": "city", "市级": "city", "地市": "city",
                "county": "county", "县": "county", "县级": "county",
                "district": "district", "区": "district", "区级": "district"}
_MUNICIPALITIES = ("北京市", "上海市", "天津市", "重庆市")  # 直辖市: a province's level
# A unit's name, last suffix first (自治县 before 县, 地区 before 区); and the bare level an issuer
# may start with when the place is masked or left out ("区教育局", "市教育局").
_UNIT = re.compile(r"(特别行政区|自治区|自治州|自治县|自治旗|县级市|地区|省|市|州|盟|县|旗|区)")
_UNIT_LEVEL = {"特别行政区": "province", "自治区": "province", "省": "province", "自治州": "city",
               "地区": "city", "州": "city", "盟": "city", "市": "city", "县级市": "county", "自治县": "county",
               "自治旗": "county", "县": "county", "旗": "county", "区": "district"}


def infer_level(region: str | None, issuer: str | None, titles: list[str] = ()) -> str | None:
    """The administrative level a document speaks for, from its issuer (the body that signs it
    says most), else its region, else its titles: 国务院 / 全国 -> national; 省, 自治区 and the
    four 直辖市 -> province; 市 / 州 / 盟 / 地区 -> city; 县 / 旗, and a 市 named under another 市
    or marked 县级 (苏州市昆山市, 昆山市（县级）) -> county; 区 -> district (a 市辖区; 新区 and
    开发区 too). None when nothing names a unit."""
    if region == "全国" or (issuer or "") in _NATIONAL_ISSUERS or re.match(r"(国务院|国家|中共中央|中央)", issuer or ""):
        return "national"
    for text in ([issuer] if issuer else []) + ([region] if region else []) + list(titles):
        level = _level_of_name(to_simplified(text))
        if level:
            return level
    return None


def _level_of_name(text: str) -> str | None:
    """The level of the most specific unit a name holds ("渭南市华州区教育局" -> district)."""
    head = re.split(r"人民政府|政府|教育|委员会|办公|党委|[局厅委办处科室]|工作|关于|\d", text, maxsplit=1)[0]
    if "县级" in text and "市" in head:
        return "county"
    units = [m for m in _UNIT.finditer(head)]
    if not units:
        return None
    last = units[-1].group(1)
    if last == "市":
        if any(m.group(1) == "市" for m in units[:-1]):  # a 市 under a 市 is a 县级市
            return "county"
        name = head[:units[-1].end()]
        if any(name.endswith(m) for m in _MUNICIPALITIES) and len(units) == 1:
            return "province"
    return _UNIT_LEVEL[last]


def parse_level(value: str, where: str = "") -> str | None:
    """A level as a person writes it (national / province / … or 全国 / 省 / 市 / 县 / 区)."""
    v = value.strip().lower()
    if not v:
        return None
    if v not in _LEVEL_WORDS:
        raise PlansearchError(_("{where}unknown level {value!r} (one of {levels})").format(
            where=f"{where}: " if where else "", value=value, levels=", ".join(LEVELS)))
    return _LEVEL_WORDS[v]


# ---------------------------------------------------------------- the manifest

_KINDS = ("plan", "summary", "report", "mixed", "unknown")
_COLUMNS = {"doc", "file", "title", "year", "date", "region", "level", "issuer", "kind", "note", "source"}


@dataclass
class ManifestRow:
    """One line of manifest.csv: what a person knows about a file or one document of it."""

    key: str  # file name, file stem, or document id (stem#N)
    line: int  # line number in the manifest, for messages
    title: str | None = None
    year: int | None = None
    year_mask: str | None = None
    review_year: int | None = None
    plan_year: int | None = None
    region: str | None = None
    level: str | None = None
    issuer: str | None = None
    kind: str | None = None
    date: str | None = None  # "2024-01-15" or "2024-01"
    note: str = ""

    @property
    def is_document_row(self) -> bool:
        return "#" in self.key


def _parse_manifest_year(value: str, where: str) -> dict:
    v = value.strip()
    if not v:
        return {}
    m = re.fullmatch(r"((?:19|20)\d{2})\s*(?:→|->|>)\s*((?:19|20)\d{2})", v)
    if m:
        review, plan = int(m.group(1)), int(m.group(2))
        if plan < review:  # a plan looks ahead: 2022→2010 is a typo for 2022→2023 or 2010→2011
            raise PlansearchError(_("{where}: review→plan year {value!r} plans for a year before the one it reviews "
                                    "(write the reviewed year first, e.g. {plan}→{next})").format(
                where=where, value=v, plan=plan, next=plan + 1))
        return {"review_year": review, "plan_year": plan, "year": review}
    if re.fullmatch(r"(?:19|20)\d{2}", v):
        return {"year": int(v)}
    if re.fullmatch(rf"20[{_MASK_CHARS}]{{2}}|20\d[{_MASK_CHARS}]|[Xx]{{4}}", v):
        return {"year_mask": canonical_mask(v)}
    raise PlansearchError(_("{where}: bad year {value!r} (use 2021, a mask like 201X / 20** / 202_, or review→plan "
                            "like 2010→2011)").format(where=where, value=v))


_MANIFEST_COLUMNS = "columns: doc,title,year,date,region,level,issuer,kind,note"
_NOTE_COLUMNS = ("note", "source")  # free text: the only cells where a line break is meant


class _Lines:
    """A manifest's lines handed to csv.reader one at a time, so that each record's line numbers
    are known and reading can start again just after a record that went wrong."""

    def __init__(self, lines: list[str]):
        self.lines, self.next = lines, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.next >= len(self.lines):
            raise StopIteration
        self.next += 1
        return self.lines[self.next - 1]


def _manifest_records(text: str, breaks_allowed) -> Iterator[tuple[int, list[str] | str]]:
    """(line number, cells) for every CSV record of the text, or (line number, problem) for one
    that cannot be read. A quote left open would swallow the rows after it (csv reads on to the
    next quote or the end of the file); instead such a record costs its own line only, and reading
    resumes on the line after it. `breaks_allowed(cells)` says whether a record spanning lines is
    one (a quoted note with a line break) or a quote left open."""
    lines = _Lines(list(io.StringIO(text, newline="")))
    reader = csv.reader(lines, strict=True)
    while lines.next < len(lines.lines):
        first = lines.next
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            if "end of data" in str(e):
                problem = "a quote is opened and never closed"
            elif lines.next - first > 1:  # closed by a quote of a later row
                problem = f"a quote is left open (its cell runs on to line {lines.next})"
            else:
                problem = f"bad quoting ({e}; a quote inside a quoted cell is written \"\")"
        else:
            if lines.next - first == 1 or breaks_allowed(cells):
                yield first + 1, cells
                continue
            problem = f"a quote is left open (its cell runs on to line {lines.next})"
        yield first + 1, problem
        lines.next = first + 1
        reader = csv.reader(lines, strict=True)


def load_manifest(path: str | Path, warnings: list[str] | None = None) -> list[ManifestRow]:
    """The rows of a manifest CSV, in any encoding a corpus file may have (UTF-8 with or without
    BOM, GB18030/GBK, Big5, UTF-16: detected as for .txt files).

    A bad row (bad year, unknown kind, empty key, a quote left open, more cells than columns) and
    an unknown column are reported in `warnings` as "manifest.csv:LINE: problem", and the good
    rows are kept; without `warnings` the first problem raises PlansearchError naming the file and
    line. A manifest that cannot be used at all (unreadable, not text, no 'doc' column) raises
    PlansearchError naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PlansearchError(_("{path}: cannot read manifest ({error})").format(path=path, error=e.strerror or e)) from None
    try:
        text, _encoding = decode_text(data, path)
    except LoadError as e:
        if e.problem == "empty file":
            return []
        raise PlansearchError(_("{path}: cannot read manifest ({error})").format(path=path, error=e.problem)) from None

    def problem(message: str, row_ignored: bool = True) -> None:
        if warnings is None:
            raise PlansearchError(message)
        warnings.append(message + (_("; row ignored") if row_ignored else ""))

    header: list[str] = []
    columns: dict[str, int] = {}  # column name -> its first position

    def breaks_allowed(cells: list[str]) -> bool:
        return bool(header) and all(
            "\n" not in c and "\r" not in c for i, c in enumerate(cells)
            if i >= len(header) or header[i] not in _NOTE_COLUMNS)

    rows: list[ManifestRow] = []
    for lineno, cells in _manifest_records(text, breaks_allowed):
        where = f"{path}:{lineno}"
        if isinstance(cells, str):
            problem(f"{where}: {cells}")
            continue
        if not cells or not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if not header:
            header = [h.strip().lower() for h in cells]
            for i, h in enumerate(header):
                if h and h not in _COLUMNS:
                    problem(_("{where}: unknown column {column!r} ignored ({columns})").format(where=where, column=h, columns=_MANIFEST_COLUMNS), row_ignored=False)
                elif h in columns:
                    problem(_("{where}: column {column!r} appears twice; the first is read").format(where=where, column=h), row_ignored=False)
                elif h:
                    columns[h] = i
            if "doc" not in columns and "file" not in columns:
                raise PlansearchError(_("{where}: no 'doc' column ({columns})").format(where=f"{path}:{lineno}", columns=_MANIFEST_COLUMNS))
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            extra = _("{cells} cells for {columns} columns").format(cells=len(cells), columns=len(header))
            if header[-1] not in _NOTE_COLUMNS:
                problem(_("{where}: {extra} (quote a cell that holds a comma)").format(where=where, extra=extra))
                continue
            # an unquoted comma in the note, the last column: the note is the rest of the line
            problem(_("{where}: {extra}: the cells from column {n} on are read as the {column} (quote a cell that "
                      "holds a comma)").format(where=where, extra=extra, n=len(header), column=header[-1]),
                    row_ignored=False)
            cells = cells[:len(header) - 1] + [",".join(cells[len(header) - 1:])]
        rec = {h: (cells[i].strip() if i < len(cells) else "") for h, i in columns.items()}
        key_col = "doc" if "doc" in columns else "file"
        if rec[key_col].startswith("#"):  # a commented-out row, whichever column holds the key
            continue
        try:
            rows.append(_manifest_row(rec, key_col, lineno, where))
        except PlansearchError as e:
            problem(str(e))
    return rows


_MANIFEST_DATE = re.compile(r"((?:19|20)\d\d)\s*[-./年]\s*(\d{1,2})\s*月?(?:\s*[-./]?\s*(\d{1,2})\s*日?)?")


def _manifest_row(rec: dict[str, str], key_col: str, lineno: int, where: str) -> ManifestRow:
    key = rec[key_col]
    if not key:
        raise PlansearchError(_("{where}: empty {column!r} cell").format(where=where, column=key_col))
    row = ManifestRow(key=key, line=lineno)
    row.title = rec.get("title") or None
    for k, v in _parse_manifest_year(rec.get("year", ""), where).items():
        setattr(row, k, v)
    row.region = rec.get("region") or None
    row.level = parse_level(rec.get("level", ""), where)
    row.issuer = rec.get("issuer") or None
    if raw_date := rec.get("date", ""):
        m = _MANIFEST_DATE.fullmatch(raw_date)
        if not m or not 1 <= int(m.group(2)) <= 12 or (m.group(3) and not 1 <= int(m.group(3)) <= 31):
            raise PlansearchError(_("{where}: date {value!r} is not a date such as 2024-01-15 or 2024-01").format(
                where=where, value=raw_date))
        row.date = "-".join(f"{int(g):02d}" for g in m.groups() if g)
    kind = rec.get("kind", "").lower()
    if kind and kind not in _KINDS:
        raise PlansearchError(_("{where}: unknown kind {value!r} (one of {choices})").format(where=where, value=kind, choices=", ".join(_KINDS)))
    row.kind = kind or None  # type: ignore[assignment]
    row.note = rec.get("note") or rec.get("source") or ""
    return row


def apply_manifest(docs: list[Document], rows: list[ManifestRow]) -> list[str]:
    """Apply manifest rows: a file row to every document of the file, then document-id rows (which
    win). Each document's `overridden` names the fields set. Returns warnings for rows that match
    no document."""
    return unmatched_rows(rows, manifest_applied(docs, rows))


def manifest_applied(docs: list[Document], rows: list[ManifestRow]) -> set[int]:
    """`apply_manifest` without the warnings: the lines of the rows that matched a document (a
    streaming load applies the manifest file by file and reports the rest at the end)."""
    # A file row names a file (name or stem) or a document id; look documents up by each of those
    # (scanning every document per row took ~20 min for a 20,000-file corpus and its manifest).
    by_key: dict[str, list[Document]] = {}
    for d in docs:
        src = PurePath(d.source)
        for key in dict.fromkeys((src.name, src.stem, d.doc_id)):
            by_key.setdefault(key, []).append(d)
    matched: set[int] = set()
    ordered = [r for r in rows if not r.is_document_row] + [r for r in rows if r.is_document_row]
    for row in ordered:
        targets = by_key.get(row.key, [])
        if row.is_document_row:
            targets = [d for d in targets if d.doc_id == row.key]
        if targets:
            matched.add(row.line)
        for doc in targets:
            _apply_row(doc, row)
    return matched


def unmatched_rows(rows: list[ManifestRow], matched: set[int]) -> list[str]:
    return [_("manifest line {line}: {key!r} matches no document").format(line=r.line, key=r.key)
            for r in rows if r.line not in matched]


def _apply_row(doc: Document, row: ManifestRow) -> None:
    set_fields: list[str] = []
    if row.title:
        doc.title = row.title
        set_fields.append("title")
    if row.kind:
        doc.kind = row.kind  # type: ignore[assignment]
        set_fields.append("kind")
    if row.year is not None or row.year_mask is not None:
        inferred_review, inferred_plan = doc.review_year, doc.plan_year
        doc.year, doc.year_mask = row.year, row.year_mask
        doc.review_year, doc.plan_year = row.review_year, row.plan_year
        if row.review_year is None and row.year is not None:
            # a plain year means what Document.year means for the document's kind
            y = row.year
            if doc.kind == "plan":
                doc.plan_year = y
            elif doc.kind == "summary":
                doc.review_year = y
            elif doc.kind == "report":
                doc.plan_year = y
                doc.review_year = y - 1 if inferred_review is not None else None
            elif doc.kind == "mixed":
                doc.review_year = y
                keep_next = inferred_plan is None or (inferred_review is not None and inferred_plan == inferred_review + 1)
                doc.plan_year = y + 1 if keep_next else inferred_plan
        for sec in doc.sections:
            sec.year = doc.review_year if sec.kind == "summary" else doc.plan_year
        set_fields.append("year")
    if row.date:
        doc.date = row.date
        set_fields.append("date")
    if row.region:
        doc.region = row.region
        doc.flags[:] = [f for f in doc.flags if not f.startswith("region-")]
        set_fields.append("region")
    if row.issuer:
        doc.issuer = row.issuer
        set_fields.append("issuer")
    if row.level:
        doc.level = row.level
        set_fields.append("level")
    elif (row.region or row.issuer) and "level" not in doc.overridden:
        doc.level = infer_level(doc.region, doc.issuer, [doc.title])  # the corrected place says it again
    doc.overridden = tuple(dict.fromkeys(doc.overridden + tuple(set_fields)))
