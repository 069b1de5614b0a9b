"""Cleaning: what on a scraped page is site furniture, read off the real seed pages."""
from __future__ import annotations

import pytest

from plansearch import clean
from plansearch.clean import cn_number, compilation_parts, junk_lines, page_markers, split_lines

from conftest import seed_path


def _lines(prefix: str):
    text = seed_path(prefix).read_text("utf-8")
    return text, split_lines(text)


def _junk_texts(prefix: str) -> dict[str, list[str]]:
    text, lines = _lines(prefix)
    out: dict[str, list[str]] = {}
    for i, kind in junk_lines(lines).items():
        out.setdefault(kind, []).append(text[lines[i].start:lines[i].end])
    return out


def test_lines_are_trimmed_ranges_of_the_text():
    text = "  首页 > 正文 \n\n\u3000一、指导思想\r\n"
    lines = split_lines(text)
    assert [text[ln.start:ln.end] for ln in lines] == ["首页 > 正文", "一、指导思想"]


def test_breadcrumb_and_editor_line_of_000():
    junk = _junk_texts("000")
    assert junk["junk:breadcrumb"] == ["首页\xa0>\xa0精品范文库\xa0>\xa02号文库"]
    (meta,) = junk["junk:meta"]
    assert meta.startswith("编辑:紫陌红尘 识别码:11-903924")
    assert junk["junk:top"] == ["TOP"]


def test_traditional_nav_menu_breadcrumb_column_and_tags_of_001():
    junk = _junk_texts("001")
    assert junk["junk:nav"] == ["網站首頁 文學常識 簡歷 公文文書 文學名著 實用文 人生哲理 作文 熱點話題作文"]
    assert junk["junk:breadcrumb"][0].startswith("當前位置:文萃咖")
    assert junk["junk:meta"] == ["欄目: 工作總結 / 發佈於: / 人氣:6.51K"]
    assert junk["junk:tags"] == ["Tags:教育局"]


def test_share_notice_of_003_names_the_document():
    junk = _junk_texts("003")
    (notice,) = junk["junk:share-notice"]
    assert "由会员分享" in notice
    assert clean.share_notice_title(notice) == "教育局委员会关于2021年工作总结及来年工作思路报告"


def test_related_article_list_at_the_end_of_002():
    text, lines = _lines("002")
    kinds = junk_lines(lines)
    related = [text[lines[i].start:lines[i].end] for i, k in sorted(kinds.items()) if k == "junk:related-articles"]
    assert related[0] == "教育局基础教育处2023年工作要点"
    assert related[-1].endswith("...")
    assert "教育局2023年工作计划与教育局2023年工作计划" in related
    # the last real measure is not part of it
    last_real = next(i for i in range(len(lines) - 1, -1, -1) if i not in kinds)
    assert text[lines[last_real].start:lines[last_real].end].startswith("新创建10-12所省优质幼儿园")


def test_plan_text_is_not_junk():
    for prefix in ("000", "001", "002", "003", "004"):
        text, lines = _lines(prefix)
        for i in junk_lines(lines):
            line = text[lines[i].start:lines[i].end]
            assert not line.startswith(("一、", "1、", "⒈", "(一)")), (prefix, line)


def test_viewer_page_markers_of_003():
    text, lines = _lines("003")
    marks = page_markers(text, lines)
    assert [text[m.start:m.end] for m in marks] == ["1、", "2、", "3、", "4、", "5、", "6、"]
    # the marker that cut 支部建设“x+ | x+x”帮扶模式
    second = marks[1]
    assert text[second.end:].startswith("x+x”帮扶模式")


def test_numbered_items_are_not_page_markers():
    # 004's "1、认真学习…" … "34、" start lines too, but each ends its sentence: a list, not pages.
    for prefix in ("000", "001", "004"):
        text, lines = _lines(prefix)
        assert page_markers(text, lines) == [], prefix


def test_compilation_parts_of_000_and_004():
    _, lines = _lines("000")
    parts = compilation_parts(lines)
    assert [p.number for p in parts] == [1, 2, 3, 4, 5]
    assert parts[0].start == 0  # the page header belongs to the first plan
    assert parts[0].title == "区教育局201X年工作要点(精)"
    assert parts[4].title == "区教育局计财科202_年工作要点"
    _, lines = _lines("004")
    assert [(p.number, p.title) for p in compilation_parts(lines)] == [(1, ""), (2, "")]


def test_single_plans_are_not_compilations():
    for prefix in ("001", "002", "003"):
        _, lines = _lines(prefix)
        assert compilation_parts(lines) == []


@pytest.mark.parametrize("numeral,value", [("一", 1), ("十", 10), ("十二", 12), ("二十", 20),
                                           ("二十一", 21), ("三十三", 33), ("一百零五", 105), ("两", 2)])
def test_chinese_numerals(numeral, value):
    assert cn_number(numeral) == value


def test_title_lines():
    assert clean.is_title_like("区教育局201X年工作要点(精)")
    assert clean.is_title_like("2025年北京市政府工作报告")
    assert not clean.is_title_like("以科学发展观为指导,以建设教育强区为总目标。")
    assert clean.title_key("区教育局201X年工作要点(精)") == clean.title_key("区教育局201X年工作要点")


def test_short_numbered_title_lines_are_not_page_markers():
    text = "1、指导思想\n2、工作目标\n3、主要措施\n4、保障机制\n"
    assert page_markers(text, split_lines(text)) == []


def test_page_numbers_footers_and_a_related_list_are_junk():
    text = ("一、加强管理\n- 2 -\n第3页 共5页\n版权所有 © 某某网\n相关文章\n"
            "教育局2023年工作计划\n学校2024年工作总结\n")
    lines = split_lines(text)
    kinds = {text[lines[i].start:lines[i].end]: k for i, k in junk_lines(lines).items()}
    assert kinds == {"- 2 -": "page-marker", "第3页 共5页": "page-marker", "版权所有 © 某某网": "junk:footer",
                     "相关文章": "junk:related-articles", "教育局2023年工作计划": "junk:related-articles",
                     "学校2024年工作总结": "junk:related-articles"}


def test_other_compilation_marker_styles():
    text = "学校工作计划范文3篇\n【篇一】\n一、指导思想\n篇二：xx小学2024年工作计划\n一、总体要求\n第3篇\n一、目标\n"
    parts = compilation_parts(split_lines(text), text)
    assert [(p.number, p.title) for p in parts] == [(1, ""), (2, "xx小学2024年工作计划"), (3, "")]


@pytest.mark.parametrize("printed,bare", [
    ("区教育局201X年工作要点(精)", "区教育局201X年工作要点"),
    ("区教育局202_年工作要点[模版]", "区教育局202_年工作要点"),
    ("全市教育工作要点2篇", "全市教育工作要点"),
    ("学校工作计划范文3篇", "学校工作计划"),
    ("2025年北京市政府工作报告", "2025年北京市政府工作报告"),
])
def test_bare_titles(printed, bare):
    assert clean.bare_title(printed) == bare


def test_content_lines_that_mention_site_words_are_not_junk():
    for line in ["加强编辑出版管理", "拓宽经费来源渠道", "作者单位和阅读推广", "做好各项准备工作……"]:
        assert clean.line_junk_kind(line) is None, line
    # a plan that ends in "……" has no related-article list after it
    text = "一、加强管理\n1.做好工作,确保各项任务落到实处,努力办好人民满意的教育……\n"
    lines = split_lines(text)
    assert junk_lines(lines) == {}


def test_a_table_row_is_not_a_nav_menu():
    assert clean.line_junk_kind("序号 工作任务 责任科室 配合科室 完成时限 备注") is None
    assert clean.line_junk_kind("网站首页 工作计划 工作总结 心得体会 演讲稿 范文大全") == "junk:nav"


def test_the_furniture_of_a_speech_to_a_congress(gwr_dir):
    # the head of the Gansu report: title, source, occasion, speaker, salutation, then the text
    text = (gwr_dir / "province_gansu_gwr_2025.txt").read_text("utf-8")
    lines = split_lines(text)
    kinds = [junk_lines(lines).get(i) for i in range(6)]
    assert kinds == [None, "junk:meta", "junk:occasion", "junk:speaker", "junk:salutation", None]
    assert text[lines[2].start:lines[2].end] == "——2025年1月20日在甘肃省第十四届人民代表大会第三次会议上"
    assert text[lines[3].start:lines[3].end] == "甘肃省省长 任振鹤"


@pytest.mark.parametrize("line,kind", [
    ("各位代表！", "junk:salutation"), ("各位代表，", "junk:salutation"), ("国务院总理　李　强", "junk:speaker"),
    ("省长 李炳军", "junk:speaker"), ("四川省人民政府省长 施小琳", "junk:speaker"),
    ("2025年1月20日在四川省第十四届人民代表大会第四次会议上", "junk:occasion"),
    ("----2025年1月15日龚正市长在上海市第十六届人民代表大会第三次会议的政府工作报告", "junk:occasion"),
    # the text of a speech is not furniture
    ("各位代表！信心凝聚力量，实干谱写华章。", None), ("请各位代表审议", None), ("2024年工作回顾", None),
    ("在全县教育工作会议上作动员讲话。", None), ("市长热线受理群众诉求3000件。", None)])
def test_speech_furniture_lines(line, kind):
    assert clean.line_junk_kind(line) == kind


def test_a_salutation_opening_a_paragraph_is_measured():
    assert clean.salutation_length("各位代表！信心凝聚力量") == 5
    assert clean.salutation_length("各位代表，军政军民团结是我们战胜艰难险阻的重要法宝") == 5
    assert clean.salutation_length("各位代表审议") == 0
