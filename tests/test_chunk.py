"""Sentences and sentence windows: the units below an item that search, compare and reuse read."""
from hypothesis import given, strategies as st

from plansearch.chunk import sentence_spans, windows

REPORT = ("坚持教育优先发展。加快建设高质量教育体系，落实立德树人根本任务；"
          "实施义务教育薄弱环节改善与能力提升工程！关心留守儿童、困境儿童。")


def test_a_report_paragraph_splits_at_chinese_sentence_ends():
    assert [REPORT[a:b] for a, b in sentence_spans(REPORT)] == [
        "坚持教育优先发展。",
        "加快建设高质量教育体系，落实立德树人根本任务；",
        "实施义务教育薄弱环节改善与能力提升工程！",
        "关心留守儿童、困境儿童。",
    ]


def test_closing_quotes_stay_with_their_sentence_and_line_breaks_end_one():
    text = "开展“我为群众办实事。”活动\n  二是加强督导"
    assert [text[a:b] for a, b in sentence_spans(text)] == ["开展“我为群众办实事。”", "活动", "二是加强督导"]


def test_short_sentences_merge_into_windows_of_at_least_min_chars():
    wins = [REPORT[a:b] for a, b in windows(REPORT, min_chars=20)]
    assert wins == [
        "坚持教育优先发展。加快建设高质量教育体系，落实立德树人根本任务；",
        "实施义务教育薄弱环节改善与能力提升工程！关心留守儿童、困境儿童。",
    ]


def test_a_short_item_is_one_window_and_an_empty_one_none():
    assert windows("加强安全教育。") == [(0, 7)]
    assert windows("   ") == []


@given(st.text(alphabet="教育。；！？\n ，a1“”", max_size=300), st.integers(1, 50))
def test_windows_are_ordered_disjoint_and_cover_every_sentence(text, min_chars):
    wins = windows(text, min_chars=min_chars, max_chars=120)
    for (a, b), (c, d) in zip(wins, wins[1:]):
        assert a < b <= c < d
    covered = {i for a, b in wins for i in range(a, b)}
    for a, b in sentence_spans(text):
        assert set(range(a, b)) <= covered
