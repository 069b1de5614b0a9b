"""Properties of the outline parser on hostile generated text and on cut-up real seed text:
it never raises, every span is inside its document and in order, and nothing is lost."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plansearch.models import Document, SourceText
from plansearch.outline import parse_source, uncovered

from conftest import CORPUS

SEED_TEXTS = [p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt"))]

# Pieces scraped plan pages are made of: every numbering style, junk lines, page markers,
# compilation markers, masks, Traditional characters and stray punctuation.
TOKENS = [
    "一、", "二、", "十一、", "二十一、", "（一）", "(二)", "三)", "㈠", "㈡", "⒈", "⒉", "⒛", "21.", "1、", "2.",
    "3．", "(1)", "（2）", "⑴", "①", "②", "1月,", "3至5月,", "12月，", "第一篇:", "第二篇", "第一，", "第二部分",
    "一是", "二是", "——", "32加强", "30开展", "8.6个", "2、x+x”", "TOP", "Tags:教育局", "首页 > 正文",
    "编辑:某某 识别码:11-903924 发布时间: 2024-02-08", "《报告.docx》由会员分享,请在某网上搜索。",
    "網站首頁 文學常識 簡歷 公文文書", "教育局2023年工作计划", "区教育局201X年工作要点(精)", "...", "…",
    "。", "，", ",", "；", ":", " ", "\u3000", "\xa0", "\n", "\n\n", "\r\n", "\t",
    "加强教师队伍建设", "進一步加強學校管理", "20**年", "xx区", "2009年", "3所", "5万元",
    "\x00", "\ufffd", "\u2028", "𠀀", "a", "Z9",
]
hostile_text = st.lists(
    st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=80
).map("".join)


@st.composite
def seed_mashups(draw) -> str:
    """Random slices of the real seed pages glued together (cuts fall mid-line and mid-label)."""
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(SEED_TEXTS))
        a = draw(st.integers(0, len(text)))
        b = draw(st.integers(a, min(len(text), a + 3000)))
        pieces.append(text[a:b])
    sep = draw(st.sampled_from(["", "\n", "\n\n", "。"]))
    return sep.join(pieces)


def check_invariants(text: str, docs: list[Document]) -> None:
    assert docs, "every input gives at least one document"
    # the documents partition the source
    assert "".join(d.text for d in docs) == text
    pos = 0
    for d in docs:
        assert d.source_start == pos
        pos += len(d.text)
        n = len(d.text)
        structural = sorted(
            [(h.start, h.end) for h in d.headings] + [(it.start, it.end) for it in d.items]
            + [(j.start, j.end) for j in d.junk if j.what != "page-marker"]
        )
        for s, e in structural:
            assert 0 <= s < e <= n
        for (_, a_end), (b_start, _) in zip(structural, structural[1:]):
            assert a_end <= b_start, "spans overlap"
        for j in d.junk:
            assert 0 <= j.start < j.end <= n
        assert [it.start for it in d.items] == sorted(it.start for it in d.items)
        assert [it.ordinal for it in d.items] == list(range(len(d.items)))
        for it in d.items:
            assert it.text and it.text == it.text.strip()
            assert d.text[it.start:it.end].startswith(it.label)
            assert it.level >= 1
        # the character accounting: no non-whitespace character is dropped
        assert uncovered(d) == []


def parse(text: str) -> list[Document]:
    return parse_source(SourceText(path="generated.txt", text=text, fmt="txt"), strict=True)


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(hostile_text)
def test_hostile_text(text):
    check_invariants(text, parse(text))


@FAST
@given(st.text(max_size=300))
def test_arbitrary_unicode(text):
    check_invariants(text, parse(text))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed_mashups())
def test_cut_up_seed_text(text):
    check_invariants(text, parse(text))


def test_whole_seeds_concatenated():
    text = "\n".join(SEED_TEXTS)
    check_invariants(text, parse(text))
