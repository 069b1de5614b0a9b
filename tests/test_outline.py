"""The outline parser, specified on the real seed pages and the government work reports."""
from __future__ import annotations

from pathlib import Path

import pytest

from plansearch.models import Document, SourceText
from plansearch.outline import parse_source, subpoints, uncovered

from conftest import seed_path


def parse_file(path: Path) -> list[Document]:
    return parse_source(SourceText(path=str(path), text=path.read_text("utf-8"), fmt="txt"), strict=True)


def parse_text(text: str, name: str = "t.txt") -> list[Document]:
    return parse_source(SourceText(path=name, text=text, fmt="txt"), strict=True)


@pytest.fixture(scope="module")
def seeds() -> dict[str, list[Document]]:
    return {p: parse_file(seed_path(p)) for p in ("000", "001", "002", "003", "004")}


def numbered(doc: Document, level: int | None = None):
    return [it for it in doc.items if it.number is not None and (level is None or it.level == level)]


# ---------------------------------------------------------------- 000: a page of five plans

def test_000_is_five_plans_with_stable_ids_and_titles(seeds):
    docs = seeds["000"]
    stem = seed_path("000").stem
    assert [d.doc_id for d in docs] == [f"{stem}#{n}" for n in range(1, 6)]
    assert docs[0].title == "区教育局201X年工作要点"  # the site's "(精)" is not part of it
    assert docs[3].title == "区教育局202_年工作要点"  # nor is "[模版]"
    assert docs[2].title == "区教育局202_年工作要点"
    assert docs[4].title == "区教育局计财科202_年工作要点"


@pytest.mark.parametrize("part", [0, 3])
def test_000_first_and_fourth_plan_run_one_list_of_33_under_the_seven_key_tasks(seeds, part):
    doc = seeds["000"][part]
    key_tasks = [it for it in doc.items if it.path[:1] == ("四、重点工作",) and it.label and it.level == 3]
    assert [it.number for it in key_tasks] == list(range(1, 34))
    # ⒈…⒛ then 21. … 33.: one list in two printing styles
    assert key_tasks[19].label == "⒛" and key_tasks[20].label == "21."
    subheads = [h.display for h in doc.headings if h.level == 2]
    assert subheads[:5] == ["㈠进一步改善办学条件", "㈡进一步加强教师队伍建设", "㈢进一步加强学校管理",
                            "㈣进一步加强教育科研。", "㈤进一步提高教育质量"]
    assert key_tasks[6].path == ("四、重点工作", "㈡进一步加强教师队伍建设")
    assert key_tasks[6].text.startswith("以“教师队伍建设年”为总载体")
    # ㈥ and ㈦ are measures of their own, with no sub-items: items at level 2
    last_two = [it for it in doc.items if it.label in ("㈥", "㈦")]
    assert [(it.number, it.level, it.path) for it in last_two] == [(6, 2, ("四、重点工作",)), (7, 2, ("四、重点工作",))]


@pytest.mark.parametrize("part", [0, 3])
def test_000_specific_targets_are_five_items(seeds, part):
    doc = seeds["000"][part]
    targets = [it for it in doc.items if it.path == ("三、具体目标",)]
    assert [it.label for it in targets] == ["⒈", "⒉", "⒊", "⒋", "⒌"]


def test_000_items_run_together_on_one_line_are_split(seeds):
    doc = seeds["000"][0]
    by_number = {(it.path[-1], it.number): it for it in doc.items if it.number}
    two = by_number[("㈠进一步改善办学条件", 2)]
    three = by_number[("㈠进一步改善办学条件", 3)]
    assert two.text == "完成**一中、**三中、艳山红小学田径场及校园环境建设工作。"
    assert three.text.startswith("完成**三中、牛场民族中学")
    # "…工作。㈡进一步加强教师队伍建设" on one line: item 6 ends, heading ㈡ starts
    six = by_number[("㈠进一步改善办学条件", 6)]
    assert six.text.endswith("完成校舍安全工程年度任务。")
    assert doc.text[six.end:].lstrip().startswith("㈡")


def test_000_bare_ocr_number_continues_the_list(seeds):
    doc = seeds["000"][0]
    (it,) = [it for it in doc.items if it.number == 32 and it.level == 3]
    assert it.label == "32"
    assert it.text.startswith("加强体、艺、卫和国防教育。")


def test_000_guiding_principle_is_a_heading_with_its_paragraph_as_item(seeds):
    doc = seeds["000"][0]
    assert doc.headings[0].display == "一、指导思想"
    first = doc.items[0]
    assert first.label == "" and first.number is None
    assert first.path == ("一、指导思想",)
    assert first.text.startswith("以科学发展观为指导")


def test_000_fifth_plan_joins_a_broken_line_and_reads_the_month_schedule(seeds):
    doc = seeds["000"][4]
    nine = next(it for it in doc.items if it.label == "9、")
    assert "确保应当实施政府采购的项目全部实行政府采购;建好政府采购统计台帐" in nine.text
    guiding = next(it for it in doc.items if it.path == ("一、指导思想",))
    assert "贯彻落实《国家中长期教育改革和发展规划纲要" in guiding.text
    schedule = [it for it in doc.items if it.path == ("三、主要活动安排",)]
    assert [it.label for it in schedule] == ["1月,", "2月,", "3至5月,", "6至7月,", "8月,", "9月,",
                                             "10月,", "11月,", "12月,"]
    assert [it.number for it in schedule] == [1, 2, 3, 6, 8, 9, 10, 11, 12]
    # a paragraph between a heading and its first numbered item is an item of that heading
    lead = [it for it in doc.items if it.path[-1:] == ("(二)优方案高质量管项目,为学校发展构建基础平台。",)]
    assert lead[0].label == "" and lead[0].text.startswith("中小学项目建设管理")
    assert [it.number for it in lead[1:]] == [4, 5, 6]


def test_000_inline_enumerations_are_subpoints_of_their_item(seeds):
    doc = seeds["000"][4]
    five = next(it for it in doc.items if it.label == "5、")
    assert len(five.subpoints) == 8
    assert five.subpoints[0].startswith("一是校舍安全工程二期规划")
    assert five.subpoints[7].startswith("八是加大高中项目建设力度")
    assert all(sp in five.text for sp in five.subpoints)


def test_000_second_plan_a_number_that_breaks_the_sequence_is_text(seeds):
    doc = seeds["000"][1]
    item23 = next(it for it in doc.items if it.number == 23)
    assert "培育四个区级学前教育课程示范基地30开展员给观摩交流" in item23.text
    assert 30 not in [it.number for it in doc.items[:doc.items.index(item23) + 1]]
    # "九,完善骨干教师…" under 二 is not heading 九 (三 was expected next)
    assert [h.number for h in doc.headings] == [1, 2, 3, 4, 5, 6, 7]


def test_000_third_plan_numbered_paragraphs_are_top_level_items(seeds):
    doc = seeds["000"][2]
    assert doc.headings == []
    assert [it.label for it in numbered(doc)] == ["1、", "2、", "3、", "4、", "5、"]
    assert numbered(doc)[0].subpoints[1].startswith("二是进一步落实双减政策平稳落地")


# ---------------------------------------------------------------- 001: Traditional, summary + plan

def test_001_is_one_traditional_document_with_both_parts(seeds):
    (doc,) = seeds["001"]
    assert doc.title == "市教育局年的度重點工作總結"
    tops = [h.display for h in doc.headings if h.level == 1]
    assert tops == ["一、主要工作情況", "二、存在的主要問題", "三、明年工作安排"]
    review = [it for it in doc.items if it.path[:1] == ("一、主要工作情況",) and it.number]
    assert [it.number for it in review] == [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 5, 6]
    plan = [it for it in doc.items if it.path == ("三、明年工作安排",) and it.number]
    assert [it.label for it in plan] == ["(一)", "(二)", "(三)", "(四)", "(五)", "(六)"]
    assert plan[0].text.startswith("進一步加強教師隊伍建設。")  # original script kept


def test_001_preamble_paragraph_is_an_item(seeds):
    (doc,) = seeds["001"]
    assert doc.items[0].path == () and doc.items[0].text.startswith("20**年,在市委、市政府的正確領導下")


# ---------------------------------------------------------------- 002: wrapped lines, related list

def test_002_ends_before_the_related_articles(seeds):
    (doc,) = seeds["002"]
    assert not any("..." in it.text or "教育局2023年工作计划与" in it.text for it in doc.items)
    assert doc.items[-1].text == "举办全市幼儿园教科研活动观摩和幼儿教师专业成长展示活动,进一步提高保教水平。"
    assert any(j.what == "junk:related-articles" for j in doc.junk)


def test_002_half_parenthesis_headings_and_wrapped_item_text(seeds):
    (doc,) = seeds["002"]
    assert [h.display for h in doc.headings if h.level == 2][0] == "一)牵头推进教育转型升级“163”行动。"
    quality = [it for it in doc.items if it.path[-1:] == ("二)深化素质教育。",)]
    assert [it.number for it in quality] == [1, 2, 3, 4, 5, 6, 7]
    # "1.启动实施…工程。" then its explanation on the next line: one item
    assert quality[0].text.startswith("启动实施xx素质教育“5+2”工程。")
    assert "致力于为新一代xx人着底色" in quality[0].text
    # "…6." at a line end with its text on the next line
    assert quality[5].label == "6." and quality[5].text.startswith("配合做好“8+37”学校")


# ---------------------------------------------------------------- 003: viewer page markers

def test_003_page_markers_are_not_items(seeds):
    (doc,) = seeds["003"]
    assert not any(it.text.startswith("x+x”帮扶模式") for it in doc.items)
    whole = "实施基层学校党支部建设“x+x+x”帮扶模式"
    assert sum(whole in it.text for it in doc.items) == 1
    assert [j.what for j in doc.junk].count("page-marker") == 6
    assert not any(it.label.endswith("、") and it.number and it.level == 1 and it.label[0].isdigit()
                   for it in doc.items)


def test_003_outline_inside_run_on_pages(seeds):
    (doc,) = seeds["003"]
    assert doc.title == "教育局委员会关于2021年工作总结及来年工作思路报告"
    assert [h.display for h in doc.headings] == ["一、xxxx年主要工作总结", "二、xxxx年工作思路"]
    review = [it for it in doc.items if it.path == ("一、xxxx年主要工作总结",)]
    assert [it.label for it in review] == ["(一)", "(二)", "(三)", "(四)", "(五)", "(六)", "(七)"]
    # a page break cut "…构" | "按规定筹设": the item reads through it
    assert "指导xxx所“有照无证”机构按规定筹设" in review[2].text
    plan = [it for it in doc.items if it.path == ("二、xxxx年工作思路",)]
    assert len(plan) == 1 and len(plan[0].subpoints) == 5


# ---------------------------------------------------------------- 004: two plans

def test_004_two_plans_with_34_and_37_numbered_measures(seeds):
    docs = seeds["004"]
    assert len(docs) == 2
    assert [it.number for it in numbered(docs[0], level=2)] == list(range(1, 35))
    assert [it.number for it in numbered(docs[1], level=2)] == list(range(1, 38))
    assert [len(d.headings) for d in docs] == [9, 8]
    assert all(d.title == "全市教育工作要点" for d in docs)
    assert docs[1].items[0].path == ("一、深入学习实践科学发展观,积极推进教育体制、机制和制度创新",)


# ---------------------------------------------------------------- every seed

@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_nothing_is_lost_and_spans_are_ordered(seeds, prefix):
    docs = seeds[prefix]
    source = seed_path(prefix).read_text("utf-8")
    assert "".join(d.text for d in docs) == source
    for d in docs:
        assert source[d.source_start:d.source_start + len(d.text)] == d.text
        assert uncovered(d) == []
        _assert_spans_well_formed(d)


def _assert_spans_well_formed(d: Document) -> None:
    structural = sorted([(s.start, s.end) for s in [*d.headings, *d.items]]
                        + [(j.start, j.end) for j in d.junk if j.what != "page-marker"])
    for (a0, a1), (b0, b1) in zip(structural, structural[1:]):
        assert 0 <= a0 < a1 <= b0 < b1 <= len(d.text)
    assert [it.ordinal for it in d.items] == list(range(len(d.items)))
    assert [it.start for it in d.items] == sorted(it.start for it in d.items)
    for it in d.items:
        assert it.doc_id == d.doc_id and it.text.strip() == it.text and it.text
        assert d.text[it.start:it.end].startswith(it.label)
    for j in d.junk:
        if j.what == "page-marker":
            assert any(it.start <= j.start and j.end <= it.end for it in d.items) or j.start < (
                d.items[0].start if d.items else len(d.text))


# ---------------------------------------------------------------- other layouts

def test_document_without_numbering_is_one_item_per_paragraph():
    text = "今年我们要做好三件事情。\n\n第一件事情是把学校办好，让孩子们满意。\n最后还要总结经验。\n"
    (doc,) = parse_text(text)
    assert "no-numbering" in doc.flags
    assert [it.text for it in doc.items] == ["今年我们要做好三件事情。", "第一件事情是把学校办好，让孩子们满意。",
                                             "最后还要总结经验。"]
    assert all(it.label == "" and it.number is None for it in doc.items)


def test_nested_schemes_get_levels_in_order_of_appearance():
    text = ("一、总体要求\n（一）加强党建\n1.开展学习教育。\n（1）每月一次专题学习。\n（2）每季度一次交流。\n"
            "2.落实责任制。\n①明确分工。\n②定期考核。\n二、保障措施\n（一）经费保障\n1.足额拨付经费。\n")
    (doc,) = parse_text(text)
    assert [(h.display, h.level) for h in doc.headings] == [
        ("一、总体要求", 1), ("（一）加强党建", 2), ("1.开展学习教育。", 3), ("2.落实责任制。", 3),
        ("二、保障措施", 1), ("（一）经费保障", 2)]
    assert [(it.label, it.level) for it in doc.items] == [("（1）", 4), ("（2）", 4), ("①", 4), ("②", 4), ("1.", 3)]
    assert doc.items[0].path == ("一、总体要求", "（一）加强党建", "1.开展学习教育。")
    assert doc.items[-1].path == ("二、保障措施", "（一）经费保障")


def test_chinese_numbers_above_ten():
    text = "".join(f"{n}、第{n}项工作要认真落实。\n" for n in "一二三四五六七八九十") + \
        "十一、第十一项工作。\n二十一、不是下一项。\n十二、第十二项工作。\n"
    (doc,) = parse_text(text)
    numbers = sorted([it.number for it in doc.items if it.number] + [h.number for h in doc.headings])
    assert numbers == list(range(1, 13))
    # 二十一 does not follow 十一: it is a plain paragraph (under 十一, which thereby becomes a title)
    (odd,) = [it for it in doc.items if it.number is None]
    assert odd.text == "二十一、不是下一项。" and odd.path == ("十一、第十一项工作。",)


def test_quantities_are_not_bare_numbers():
    text = "1、新建学校3所。\n2、投入资金5万元,12所学校受益。\n3、培训教师300人次。\n"
    (doc,) = parse_text(text)
    assert [it.number for it in doc.items] == [1, 2, 3]
    assert doc.items[1].text == "投入资金5万元,12所学校受益。"


def test_subpoints():
    assert subpoints("加强管理。一是建立制度;二是落实责任;三是强化考核。") == (
        "一是建立制度;", "二是落实责任;", "三是强化考核。")
    assert subpoints("统一思想,形成合力。") == ()


@pytest.mark.parametrize("text", ["", "   \n\n\t", "\x00\x01\xff\ufffd" * 50, "一、\n（一）\n1.\n①",
                                  "第一篇\n第二篇\n", "首页 > 正文\nTOP\n"])
def test_degenerate_input_never_raises(text):
    docs = parse_text(text)
    assert docs and all(uncovered(d) == [] for d in docs)


def test_large_input_parses():
    body = seed_path("004").read_text("utf-8")
    text = body * 60  # ~2 MB of text with the numbering restarting again and again
    docs = parse_text(text)
    assert sum(len(d.items) for d in docs) >= 60 * 34
    assert all(uncovered(d) == [] for d in docs)


# ---------------------------------------------------------------- government work reports

def test_every_government_work_report_parses_into_paragraph_items(gwr_dir):
    for path in sorted(gwr_dir.glob("*.txt")):
        (doc,) = parse_file(path)
        text = path.read_text("utf-8")
        # one paragraph a line: every line starts its own heading, item or junk span
        starts = {x.start for x in [*doc.items, *doc.headings, *doc.junk]}
        pos = 0
        for line in text.split("\n"):
            if line.strip():
                lead = pos + len(line) - len(line.lstrip())
                assert lead in starts, (path.name, line[:30])
            pos += len(line) + 1
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert len(doc.items) + len(doc.headings) + len(doc.junk) >= len(lines), path.name
        assert uncovered(doc) == [], path.name
        _assert_spans_well_formed(doc)
        for it in doc.items:
            if len(it.path) >= 2 and it.path[0].startswith("一、"):
                assert it.path[1].startswith("（"), (path.name, it.path)


def test_work_report_2025_tasks_sit_under_their_headings(gwr_dir):
    (doc,) = parse_file(gwr_dir / "national_gwr_2025.txt")
    tops = [h.display for h in doc.headings if h.level == 1]
    assert tops[:3] == ["一、2024年工作回顾", "二、2025年经济社会发展总体要求和政策取向", "三、2025年政府工作任务"]
    tasks = [h for h in doc.headings if h.level == 2]
    assert tasks[0].display.startswith("（一）大力提振消费、提高投资效益")
    under_first = [it for it in doc.items if it.path[:2] == ("三、2025年政府工作任务", tasks[0].display)]
    assert len(under_first) >= 3 and all(it.label == "" for it in under_first)


def test_a_sentence_cut_by_a_page_number_line_is_joined():
    text = ("一、工作措施\n1.加强教师队伍建设，实施中小学教师全员培训工程，分期分批对全区教师进\n- 2 -\n"
            "行培训。\n2.完善考核制度。\n")
    (doc,) = parse_text(text)
    assert [it.text for it in doc.items] == ["加强教师队伍建设，实施中小学教师全员培训工程，分期分批对全区教师进行培训。",
                                             "完善考核制度。"]
    assert [j.what for j in doc.junk] == ["page-marker"]


def test_a_parser_failure_still_returns_the_text_as_paragraphs(monkeypatch):
    import plansearch.outline as outline

    def broken(*args, **kwargs):
        raise ValueError("simulated parser bug")

    monkeypatch.setattr(outline, "_parse_source", broken)
    (doc,) = outline.parse_source(SourceText(path="x/plan.txt", text="一、总体要求\n加强管理。\n", fmt="txt"))
    assert doc.doc_id == "plan" and doc.flags == ["unparsed:ValueError"]
    assert [it.text for it in doc.items] == ["一、总体要求", "加强管理。"]
    assert uncovered(doc) == []


def test_subpoints_in_other_styles():
    assert subpoints("做好三项工作：第一，稳增长；第二，调结构；第三，惠民生。") == (
        "第一，稳增长；", "第二，调结构；", "第三，惠民生。")
    # a lone 一是 is not an enumeration
    assert subpoints("关键一是要落实。") == ()


@pytest.mark.parametrize("prefix,width", [("004", 38), ("004", 50), ("000", 38)])
def test_text_wrapped_at_a_fixed_width_reads_the_same(seeds, prefix, width):
    # A PDF converter breaks the paragraphs every `width` characters, wherever that falls (after
    # a full stop, inside "XX区", between the two digits of "22."): the measures come out the same.
    source = seed_path(prefix).read_text("utf-8")
    wrapped = "\n".join("\n".join(line[i:i + width] for i in range(0, len(line), width))
                        for line in source.split("\n"))
    docs = parse_text(wrapped, f"{prefix}.txt")
    assert [[(it.label, it.path, it.text) for it in d.items] for d in docs] == \
        [[(it.label, it.path, it.text) for it in d.items] for d in seeds[prefix]]


SCHOOL_PLAN = """XX中学2024年工作计划
　　为全面贯彻党的教育方针，结合我校实际，特制定本计划。
　　一、指导思想
　　以习近平新时代中国特色社会主义思想为指导，落实立德树人根本任务。
　　二、工作目标
　　1．教学质量稳步提升。
　　2．师资队伍建设取得新进展。
　　三、主要措施
　　（一）加强德育工作
　　1．开展主题教育活动：（1）每月一次升旗仪式；（2）每学期一次主题班会；（3）每年一次社会实践。
　　2．加强班主任队伍建设。
　　四、工作安排
　　9月：开学工作，制定各项计划。
　　10月：开展教学常规检查。
　　XX中学
　　2024年8月30日
"""


def test_a_typical_school_plan_layout():
    (doc,) = parse_text(SCHOOL_PLAN)
    assert doc.title == "XX中学2024年工作计划"
    assert [h.display for h in doc.headings] == [
        "一、指导思想", "二、工作目标", "三、主要措施", "（一）加强德育工作", "1．开展主题教育活动：", "四、工作安排"]
    rows = [(it.label, it.level, it.path[-1] if it.path else "") for it in doc.items]
    assert rows == [
        ("", 1, ""), ("", 2, "一、指导思想"), ("1．", 2, "二、工作目标"), ("2．", 2, "二、工作目标"),
        ("（1）", 4, "1．开展主题教育活动："), ("（2）", 4, "1．开展主题教育活动："), ("（3）", 4, "1．开展主题教育活动："),
        ("2．", 3, "（一）加强德育工作"), ("9月：", 2, "四、工作安排"), ("10月：", 2, "四、工作安排")]
    # the issuer and date that sign the plan are not a measure
    assert doc.items[-1].text == "开展教学常规检查。"
    assert [doc.text[j.start:j.end] for j in doc.junk if j.what == "signature"] == ["XX中学", "2024年8月30日"]


def test_a_numbered_preamble_list_does_not_swallow_the_outline():
    text = ("今年的主要目标：1.教学质量稳步提升；2.队伍建设取得进展。\n一、指导思想\n落实立德树人根本任务。\n"
            "二、主要措施\n1.加强德育。\n2.提高质量。\n")
    (doc,) = parse_text(text)
    assert [(h.display, h.level) for h in doc.headings] == [("一、指导思想", 1), ("二、主要措施", 1)]
    assert [(it.label, it.path) for it in doc.items][-2:] == [("1.", ("二、主要措施",)), ("2.", ("二、主要措施",))]
    assert [(it.label, it.level, it.path) for it in doc.items][:2] == [("", 1, ()), ("1.", 1, ())]


def test_a_ratio_or_time_is_not_read_as_the_next_item():
    # Found by the benchmark: "实现70:10的…" inside item 9 was read as item 10 starting mid-line.
    items = "".join(f"{i}.开展第{i}项工作。\n" for i in range(1, 9))
    text = ("区教育局2023年工作要点\n一、重点工作\n" + items +
            "9.优化生师比，实现70:10的配备标准，8:30前到岗。\n10.加强校园安全。\n")
    (doc,) = parse_text(text)
    assert [it.label for it in doc.items][-2:] == ["9.", "10."]
    assert doc.items[-2].text.startswith("优化生师比，实现70:10的配备标准")


NATIONAL_YEARS = (2013, 2014, 2015, 2016, 2017, 2018, 2019, 2021, 2022, 2023, 2024, 2025)


def item_with(doc: Document, fragment: str):
    (it,) = [it for it in doc.items if fragment in it.text]
    return it


def test_work_report_2025_closing_part_is_not_under_the_last_task(gwr_dir):
    # The 2025 text lost the 各位代表！ lines; the turn to the government's own work still marks
    # where the ten numbered tasks end.
    (doc,) = parse_file(gwr_dir / "national_gwr_2025.txt")
    last_task = ("三、2025年政府工作任务", "（十）加大保障和改善民生力度，提升社会治理效能。")
    assert item_with(doc, "维护国家安全和社会稳定。").path == last_task
    assert item_with(doc, "今年将开展“十五五”规划编制工作").path == last_task
    for fragment in ("对政府工作提出新的更高要求",     # the government's own work
                     "自觉接受同级人大及其常委会的监督",  # 人大监督
                     "国防和军队建设取得新的重要进展",    # 强军
                     "“港人治港”、“澳人治澳”",          # 港澳
                     "解决台湾问题", "独立自主的和平外交政策", "信心凝聚力量"):
        assert item_with(doc, fragment).path == (), fragment


@pytest.mark.parametrize("year", NATIONAL_YEARS)
def test_every_national_report_closes_with_the_hong_kong_and_macao_paragraph_under_no_heading(gwr_dir, year):
    (doc,) = parse_file(gwr_dir / f"national_gwr_{year}.txt")
    closing = [it for it in doc.items if "一国两制" in it.text and it.text.startswith("我们")]
    assert len(closing) == 1 and closing[0].path == ()
    # and the last numbered task keeps its own paragraphs
    last_task = [h for h in doc.headings if h.number is not None][-1]
    assert any(it.path[-1:] == (last_task.display,) for it in doc.items)


def test_work_report_2018_last_task_ends_at_the_salutation(gwr_dir):
    (doc,) = parse_file(gwr_dir / "national_gwr_2018.txt")
    ninth = ("三、对2018年政府工作的建议", "（九）提高保障和改善民生水平。")
    assert item_with(doc, "为人民过上美好生活提供丰富精神食粮").path == ninth
    assert item_with(doc, "政府工作在新的一年要有新气象新作为").path == ()
    assert item_with(doc, "面对国家安全环境的深刻变化").path == ()


def test_a_salutation_inside_a_part_closes_only_its_subheadings(gwr_dir):
    # Shanghai: "各位代表，军政军民团结…" after the last task of 二、, before 三、
    (doc,) = parse_file(gwr_dir / "province_shanghai_gwr_2025.txt")
    assert item_with(doc, "军政军民团结是我们战胜艰难险阻的重要法宝").path == ("二、2025年主要任务",)
    assert item_with(doc, "回望过去一年，成绩来之不易").path == ("一、2024年工作回顾",)
    assert item_with(doc, "奋斗成就伟业，实干创造辉煌").path == ()


def test_sichuan_unnumbered_part_titles_are_headings_over_their_numbered_tasks(gwr_dir):
    (doc,) = parse_file(gwr_dir / "province_sichuan_gwr_2025.txt")
    tops = [h for h in doc.headings if h.level == 1]
    assert [(h.label, h.title) for h in tops] == [
        ("", "2024年工作回顾"), ("", "2025年工作安排建议"), ("", "加强政府自身建设"), ("", "名词解释")]
    assert [h.display for h in doc.headings if h.level == 2][6] == "（一）全方位扩大内需，稳住经济大盘。"
    assert item_with(doc, "做实项目支撑扩大有效投资").path == (
        "2025年工作安排建议", "（一）全方位扩大内需，稳住经济大盘。")
    assert item_with(doc, "大兴务实为民之风").path == ("加强政府自身建设", "（三）强化服务优作风。")
    # the review's own closing words stay in the review; the report's closing is under no heading
    assert item_with(doc, "艰难方显勇毅，磨砺始得玉成").path == ("2024年工作回顾",)
    assert item_with(doc, "迎接风险挑战，惟有无畏前行").path == ()
    glossary = [it for it in doc.items if it.path == ("名词解释",)]
    assert len(glossary) >= 41 and [it.number for it in glossary] == list(range(1, len(glossary) + 1))
    assert glossary[5].text.startswith("“两重”")


def test_guangdong_appendices_hold_their_own_numbered_lists(gwr_dir):
    (doc,) = parse_file(gwr_dir / "province_guangdong_gwr_2025.txt")
    assert [(h.level, h.display) for h in doc.headings if not h.label] == [
        (1, "附件1"), (2, "2025年省十件民生实事"), (1, "附件2 名词解释")]
    first = item_with(doc, "65岁及以上失能老年人")
    assert first.path[:2] == ("附件1", "2025年省十件民生实事") and first.path[2].startswith("一、为老年人")
    terms = [it for it in doc.items if it.path == ("附件2 名词解释",)]
    assert [it.number for it in terms][:3] == [1, 2, 3] and terms[1].text.startswith("分线管理")
    assert item_with(doc, "潮头逐浪勇击桨").path == ()


@pytest.mark.parametrize("name", [f"national_gwr_{y}" for y in NATIONAL_YEARS] + [
    "province_beijing_gwr_2025", "province_gansu_gwr_2025", "province_guangdong_gwr_2025",
    "province_guizhou_gwr_2025", "province_shanghai_gwr_2025", "province_sichuan_gwr_2025"])
def test_speech_furniture_is_junk_not_items(gwr_dir, name):
    (doc,) = parse_file(gwr_dir / f"{name}.txt")
    furniture = ("各位代表", "国务院总理", "省长 ", "全国人民代表大会第", "人民代表大会第")
    assert not [it.text for it in doc.items if it.text.startswith(furniture) or len(it.text) <= 12 and "代表" in it.text]
    kinds = {j.what for j in doc.junk}
    assert "junk:salutation" in kinds
    assert all(not doc.text[j.start:j.end].strip().startswith("各位代表") or j.what == "junk:salutation"
               for j in doc.junk)


def test_speaker_and_occasion_lines_of_the_2024_report(gwr_dir):
    (doc,) = parse_file(gwr_dir / "national_gwr_2024.txt")
    junk = {j.what: doc.text[j.start:j.end] for j in doc.junk if j.what in ("junk:speaker", "junk:occasion")}
    assert junk == {"junk:speaker": "国务院总理　李　强",
                    "junk:occasion": "——2024年3月5日在第十四届全国人民代表大会第二次会议上"}
    assert doc.items[0].text.startswith("现在，我代表国务院，向大会报告政府工作")


def test_a_salutation_opening_a_paragraph_is_cut_off_it(gwr_dir):
    (doc,) = parse_file(gwr_dir / "national_gwr_2025.txt")
    last = doc.items[-1]
    assert last.text.startswith("信心凝聚力量，实干谱写华章。")
    (sal,) = [j for j in doc.junk if j.what == "junk:salutation" and j.end <= last.start and j.start > doc.items[-2].end]
    assert doc.text[sal.start:sal.end] == "各位代表！"


def test_short_lines_in_a_row_are_a_list_not_headings():
    text = ("XX中学2024年工作计划\n为全面贯彻党的教育方针，结合我校实际，特制定本计划。\n"
            "教学质量稳步提升\n师资队伍建设取得新进展\n校园安全零事故\n"
            "全体教职工要统一思想，确保各项目标落到实处。\n")
    (doc,) = parse_text(text)
    assert doc.headings == []
    assert [it.text for it in doc.items][1:4] == ["教学质量稳步提升", "师资队伍建设取得新进展", "校园安全零事故"]


def test_a_title_line_between_paragraphs_heads_the_numbered_list_after_it():
    text = ("各位代表：\n现在，我代表县人民政府，向大会报告工作，请予审议。\n2024年工作回顾\n"
            "过去一年，全县经济社会发展取得新成效，主要做了以下工作。\n（一）抓产业。\n新建园区三个，招引项目二十个。\n"
            "（二）抓民生。\n新增就业岗位一千个，城乡居民收入稳步增长。\n2025年工作安排\n"
            "今年是“十四五”规划收官之年，要重点做好以下工作。\n（一）扩大有效投资。实施重点项目五十个。\n"
            "（二）办好民生实事。新建幼儿园五所。\n")
    (doc,) = parse_text(text)
    assert [(h.level, h.display) for h in doc.headings] == [
        (1, "2024年工作回顾"), (2, "（一）抓产业。"), (2, "（二）抓民生。"), (1, "2025年工作安排")]
    assert item_with(doc, "新增就业岗位一千个").path == ("2024年工作回顾", "（二）抓民生。")
    # one-paragraph tasks are items, one level under the title line
    assert [(it.label, it.level, it.path) for it in doc.items[-2:]] == [
        ("（一）", 2, ("2025年工作安排",)), ("（二）", 2, ("2025年工作安排",))]
    assert [j.what for j in doc.junk] == ["junk:salutation"]


def test_an_unnumbered_subtitle_inside_a_numbered_plan_stays_under_its_heading():
    text = ("一、指导思想\n以习近平新时代中国特色社会主义思想为指导，落实立德树人根本任务。\n二、主要措施\n"
            "加强师德建设\n开展师德主题教育活动，评选师德标兵二十名，树立先进典型。\n"
            "提高教学质量\n深化课堂教学改革，推进集体备课和听评课制度。\n附件\n1.2024年校历安排表。\n")
    (doc,) = parse_text(text)
    assert [(h.level, h.display) for h in doc.headings] == [(1, "一、指导思想"), (1, "二、主要措施"), (1, "附件")]
    assert item_with(doc, "加强师德建设").path == ("二、主要措施",)
    assert item_with(doc, "推进集体备课").path == ("二、主要措施",)
    assert item_with(doc, "校历安排表").path == ("附件",)
