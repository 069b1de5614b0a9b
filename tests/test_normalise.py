"""The masks and sentence ends every stage shares: one definition each (normalise.py), read the same
way by compare/reuse (mask_variables), by metadata (find_years, masked places) and by the outline."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plansearch.chunk import sentence_spans
from plansearch.metadata import _masked_places, find_years
from plansearch.models import SourceText
from plansearch.normalise import (SENTENCE_END, compact, compact_with_map, mask_variables, normalise,
                                  normalise_with_map)
from plansearch.outline import parse_source

from conftest import seed_path

# What legitimately changes between two years' copies of one plan, as the corpus prints it.
MASKED_YEARS = ["201X年", "201x年", "202_年", "20**年", "20＊＊年", "20××年", "20XX年", "199X年",
                "xxxx年", "XXXX学年", "XX年", "**年", "202_届", "【202_】", "202_-202_", "二〇一九年", "二零二一年"]
MASKED_PLACES = ["某市", "某县", "○○区", "〇〇镇", "XX区", "xx市", "X县", "**区", "＊＊县", "××县", "XX 区", "XX自治区", "xx村"]


@pytest.mark.parametrize("text", MASKED_YEARS)
def test_a_masked_or_printed_year_is_a_year_for_metadata_and_for_compare(text):
    assert find_years(text), text
    masked = mask_variables(normalise(text))
    assert "§Y" in masked and not any(ch.isdigit() or ch in "xX*_×" for ch in masked), (text, masked)


@pytest.mark.parametrize("text", MASKED_PLACES)
def test_a_masked_place_is_a_place_for_metadata_and_for_compare(text):
    assert _masked_places(text) == [text.replace(" ", "")]
    masked = mask_variables(normalise(text))
    assert masked.startswith("§P") and masked[-1] == text[-1], (text, masked)


@pytest.mark.parametrize("text", [
    "某些", "全市", "某项工作", "xxxx名新增教师",  # 003 masks counts too: not a year
    "XX中心小学", "GB2019", "12019年", "2019x", "box市"])
def test_these_are_no_masks(text):
    assert find_years(text) == [] and _masked_places(text) == []
    assert "§" not in mask_variables(normalise(text)), text


def test_the_seed_masks_read_alike_in_both_stages():
    # 002 says "总编发xx年各处…" (a masked year) and 003 "保障xxxx名新增…" (a masked count)
    text_002 = seed_path("002").read_text("utf-8")
    i = text_002.index("xx年")
    assert mask_variables(normalise(text_002[i - 3:i + 4])).count("§Y") == 1
    assert [t.mask for t in find_years(text_002[i - 3:i + 4])] == ["xx"]
    text_003 = seed_path("003").read_text("utf-8")
    j = text_003.index("xxxx名")
    assert find_years(text_003[j - 3:j + 6]) == [] and "§" not in mask_variables(normalise(text_003[j - 3:j + 6]))


@pytest.mark.parametrize("mark", list(SENTENCE_END))
def test_every_sentence_end_ends_a_sentence_and_a_paragraph(mark):
    first = f"加强教师队伍建设，实施中小学教师全员培训工程{mark}"
    second = "完善考核制度和评价办法，推进教师管理改革。"
    assert [(a, b) for a, b in sentence_spans(first + second)][0] == (0, len(first))
    (doc,) = parse_source(SourceText("t.txt", f"一、工作措施\n{first}\n{second}\n", "txt"), strict=True)
    assert [it.text for it in doc.items] == [first, second]


def test_a_line_without_a_sentence_end_runs_on():
    (doc,) = parse_source(SourceText("t.txt", "一、工作措施\n加强教师队伍建设，实施中小学教师全员培训工程，\n"
                                               "完善考核制度和评价办法。\n", "txt"), strict=True)
    assert [it.text for it in doc.items] == ["加强教师队伍建设，实施中小学教师全员培训工程，完善考核制度和评价办法。"]


# --- the character map behind highlights ---------------------------------------------------------

SEED_LINE = "（二）關愛留守兒童，⑴ 落實２０２１年“雙減”　政策；ＸＸ区 Ⅻ ﬁ ㈠"


@pytest.mark.parametrize("text, norm, offsets", [
    ("⑴落实", "(1)落实", [0, 0, 0, 1, 2]),          # one character, three normalised ones
    ("㈠加强", "(一)加强", [0, 0, 0, 1, 2]),
    ("Ⅻ ﬁ", "xii fi", [0, 0, 0, 1, 2, 2]),          # NFKC, lower case, the ligature split
    ("關愛\u3000留守", "关爱 留守", [0, 1, 2, 3, 4]),  # Traditional to Simplified, the ideographic space
    ("  两端  ", "两端", [2, 3]),                     # outer spaces dropped
])
def test_each_normalised_character_maps_to_its_source(text, norm, offsets):
    assert normalise_with_map(text) == (norm, offsets)


@given(st.text(alphabet=st.sampled_from(SEED_LINE + " \t\n\u3000_§abcÅİ①⒈"), max_size=60) | st.text(max_size=40))
def test_the_memoised_character_forms_change_nothing(text):
    from plansearch import normalise as nm

    remembered = nm.normalise_with_map(text)
    saved, limit = dict(nm._CHAR_FORMS), nm._CHAR_FORMS_MAX
    nm._CHAR_FORMS.clear()
    nm._CHAR_FORMS_MAX = 0  # nothing remembered: every character normalised afresh
    try:
        assert nm.normalise_with_map(text) == remembered
    finally:
        nm._CHAR_FORMS.update(saved)
        nm._CHAR_FORMS_MAX = limit
    norm, offsets = remembered
    assert len(offsets) == len(norm) and offsets == sorted(offsets)
    flat, flat_offsets = compact_with_map(norm, offsets)
    assert flat == compact(norm)
    assert len(flat_offsets) == len(flat) and all(0 <= o < len(text) for o in flat_offsets)


def test_a_traditional_seed_line_maps_each_character_to_its_source():
    norm, offsets = normalise_with_map(SEED_LINE)
    flat, flat_offsets = compact_with_map(norm, offsets)
    at = flat.index("留守儿童")
    assert SEED_LINE[flat_offsets[at]:flat_offsets[at + 3] + 1] == "留守兒童"
    at = flat.index("2021")
    assert SEED_LINE[flat_offsets[at]:flat_offsets[at + 3] + 1] == "２０２１"


def test_spans_merge_where_they_overlap_and_touching_ones_as_asked():
    from plansearch.normalise import union_spans

    assert union_spans([(5, 9), (0, 3), (2, 4), (9, 12)]) == [(0, 4), (5, 12)]
    assert union_spans([(5, 9), (0, 3), (2, 4), (9, 12)], join_touching=False) == [(0, 4), (5, 9), (9, 12)]
    assert union_spans([]) == []


@given(st.text(alphabet=st.sampled_from(list("教育局留守兒童工作龍𠀀 \u3000\t\n，。、（）１２ABCａｂ①⑴ﬁ")),
               max_size=60))
def test_normalising_runs_of_ideographs_whole_gives_what_each_character_alone_gives(text):
    from plansearch.normalise import _normalise_chars, normalise_with_map, to_simplified

    simp = to_simplified(text)
    out: list[str] = []
    offsets: list[int] = []
    _normalise_chars(simp, 0, len(simp), out, offsets, True)  # every character on its own
    if out and out[-1] == " ":
        out.pop()
        offsets.pop()
    assert normalise_with_map(text) == ("".join(out), offsets)


@given(st.text(alphabet=st.sampled_from(list("教育局留守兒童工作龍𠀀 \u3000\t\n\x1c，。、（）１２ABCａｂ①⑴ﬁ´\u00ad")), max_size=60)
       | st.text(max_size=40))
def test_normalise_without_offsets_is_normalise_with_map_s_text(text):
    from plansearch.normalise import normalise_with_map

    assert normalise(text) == normalise_with_map(text)[0]
    assert normalise(text) == normalise_with_map(text)[0]  # again, once every character has been seen
