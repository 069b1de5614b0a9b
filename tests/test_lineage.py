"""`plansearch lineage`: where each item came from, and who copies whom.

The corpus below is a diffusion written for this test from the seeds' measures (001's 弱势群体资助,
003's 校园安全), with the relations known:
- 区甲 2019 states a measure; 区乙 2021 copies it with edits; 区丙 2023 copies 乙's copy with a further
  edit, so 丙's parent is 乙 (closer) and the chain goes back to 甲 -- a chain, not a star;
- 区丁 and 区戊 (both 2022, no date) copy one source that is not in the corpus: same period, neither
  the other's parent;
- 区己 and 区庚 (both 2022) share a measure but state their dates (3月 and 9月): 庚 copied 己;
- 区辛 2024 copies 甲's measure with its words swapped for synonyms (教育→教化, 教师→老师): disguised;
- every plan opens with the same guiding sentence: boilerplate, which links nobody.
"""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from conftest import require_shared, GWR

from plansearch.cli import app
from plansearch.corpus import load_corpus
from plansearch.lineage import corpus_lineage, diffusion_graph, document_lineage, write_graphml
from plansearch.store import StoredIndex, build_index

runner = CliRunner()

BOILER = "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针，落实立德树人根本任务，办好人民满意的教育。"
AID_2019 = ("积极关注弱势群体上学问题。全面落实家庭经济困难学生资助政策，落实资金321万元，对2010名幼儿、中小学生进行救助，"
            "为贫困大学生办理助学贷款手续，确保不让一个学生因家庭经济困难而失学。")
AID_2021 = ("积极关注弱势群体上学问题。全面落实家庭经济困难学生资助政策，落实资金400万元，对2500名幼儿、中小学生进行救助，"
            "为贫困大学生办理生源地助学贷款手续，确保不让一个学生因家庭经济困难而失学。")
AID_2023 = ("持续关注弱势群体上学问题。全面落实家庭经济困难学生资助政策，落实资金400万元，对2500名幼儿、中小学生进行救助，"
            "为贫困大学生办理生源地助学贷款手续，建立资助对象动态管理机制，确保不让一个学生因家庭经济困难而失学。")
SAFETY_A = ("全面加强校园安全管理。落实校园安全责任制，开展防溺水、防欺凌、交通安全专项教育，"
            "每学期组织不少于两次应急疏散演练，完善校园视频监控和一键报警系统建设。")
SAFETY_B = ("全面加强校园安全管理。落实校园安全主体责任，开展防溺水、防欺凌、消防安全专项教育，"
            "每学期组织不少于两次应急疏散演练，完善校园视频监控和一键报警系统建设。")
TEACHERS = ("加强教师队伍建设。实施县管校聘管理改革，开展新任教师岗前培训和骨干教师研修，"
            "完善教师培训学分管理制度，推进城乡教师交流轮岗，提升教育质量。")
TEACHERS_SWAPPED = ("加强老师队伍建设。实施县管校聘管理改革，开展新任老师岗前培训和骨干老师研修，"
                    "完善老师培训学分管理制度，推进城乡老师交流轮岗，提升教化质量。")
DEDUP = "深化课后服务。推动课后服务全覆盖，每所学校开设不少于十类课后服务项目，满足学生多样化需求，减轻家长接送负担。"


def _plan(district: str, year: int, items: list[str], date: str | None = None) -> str:
    lines = [f"{district}教育局{year}年工作要点", "一、总体要求", BOILER, "二、重点工作"]
    lines += [f"{n}. {text}" for n, text in enumerate(items, 1)]
    if date:
        lines += [f"{district}教育局", date]
    return "\n".join(lines) + "\n"


PLANS = {
    "jia_2019.txt": _plan("区甲", 2019, [AID_2019, TEACHERS, "推进智慧校园建设，建成区级教育资源公共服务平台，实现优质数字资源班班通。"]),
    "yi_2021.txt": _plan("区乙", 2021, ["办好特殊教育，完善送教上门制度，残疾儿童少年入学率保持在95%以上。", AID_2021]),
    "bing_2023.txt": _plan("区丙", 2023, [AID_2023, "推动集团化办学，组建三个教育集团，实现城乡学校结对帮扶全覆盖。"]),
    "ding_2022.txt": _plan("区丁", 2022, [SAFETY_A, "实施课堂教学改革，推广大单元教学，开展优质课评比活动。"]),
    "wu_2022.txt": _plan("区戊", 2022, [SAFETY_B, "加强劳动教育，每所学校建设劳动实践基地，开齐开足劳动教育课程。"]),
    "ji_2022.txt": _plan("区己", 2022, [DEDUP, "落实教育督导责任，开展责任督学挂牌督导，完成学校督导评估全覆盖。"],
                         date="2022年3月1日"),
    "geng_2022.txt": _plan("区庚", 2022, ["办好家长学校，每学期开展家庭教育指导活动不少于两次。", DEDUP],
                           date="2022年9月1日"),
    "xin_2024.txt": _plan("区辛", 2024, ["实施义务教育优质均衡发展工程，新建改扩建学校五所。", TEACHERS_SWAPPED]),
}


def write_plans(folder):
    """The diffusion corpus's plans written into `folder` (returned)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in PLANS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def diffusion_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("diffusion-index")
    build_index(write_plans(tmp_path_factory.mktemp("diffusion")), index_dir)
    return index_dir


@pytest.fixture(scope="module")
def ix(diffusion_index):
    index = StoredIndex(diffusion_index)
    yield index
    index.close()


def _item(lin, text_start: str):
    return next(il for il in lin.items if il.text.startswith(text_start))


def test_a_later_copy_of_a_copy_has_the_copy_as_parent_and_the_chain_back_to_the_earliest(ix):
    lin = document_lineage(ix, "bing_2023")
    aid = _item(lin, "持续关注弱势群体")
    assert aid.parent.doc_id == "yi_2021" and aid.parent.level == "edited"
    assert [o.doc_id for o in aid.chain] == ["yi_2021", "jia_2019"]
    assert aid.earliest.doc_id == "jia_2019" and aid.earliest.year == 2019
    assert [o.relation for o in aid.occurrences] == ["earlier", "earlier"]
    assert [o.doc_id for o in aid.occurrences] == ["jia_2019", "yi_2021"]  # in time order
    # the middle of the chain sees both sides: one earlier copy, one later
    mid = _item(document_lineage(ix, "yi_2021"), "积极关注弱势群体")
    assert mid.parent.doc_id == "jia_2019"
    assert {o.doc_id: o.relation for o in mid.occurrences} == {"jia_2019": "earlier", "bing_2023": "later"}


def test_the_earliest_copy_has_no_parent_and_lists_its_followers(ix):
    aid = _item(document_lineage(ix, "jia_2019"), "积极关注弱势群体")
    assert aid.parent is None and aid.earliest is None and aid.chain == []
    assert {o.doc_id for o in aid.occurrences} == {"yi_2021", "bing_2023"}
    assert all(o.relation == "later" for o in aid.occurrences)


def test_two_copies_of_one_year_without_dates_are_the_same_period_not_parent_and_child(ix):
    for doc, other in (("ding_2022", "wu_2022"), ("wu_2022", "ding_2022")):
        safety = _item(document_lineage(ix, doc), "全面加强校园安全管理")
        assert safety.parent is None and safety.earliest is None
        assert [o.doc_id for o in safety.occurrences] == [other]
        assert safety.occurrences[0].relation == "same-period"


def test_stated_dates_order_two_copies_of_one_year(ix):
    assert {d.doc_id: d.date for d in ix.documents if d.doc_id in ("ji_2022", "geng_2022")} == {
        "ji_2022": "2022-03-01", "geng_2022": "2022-09-01"}
    later = _item(document_lineage(ix, "geng_2022"), "深化课后服务")
    assert later.parent.doc_id == "ji_2022" and later.parent.level == "verbatim" and later.parent.date == "2022-03-01"


def test_a_copy_with_its_words_swapped_for_synonyms_is_disguised(ix):
    swapped = _item(document_lineage(ix, "xin_2024"), "加强老师队伍建设")
    assert swapped.parent.doc_id == "jia_2019" and swapped.parent.level == "disguised"


def test_the_guiding_sentence_every_plan_opens_with_is_boilerplate_and_draws_no_edge(ix):
    boiler = _item(document_lineage(ix, "bing_2023"), "坚持以习近平")
    assert boiler.boilerplate and boiler.parent is None and boiler.documents == len(PLANS)
    graph = diffusion_graph(ix, by="doc")
    pairs = {(e.source, e.target, e.same_period) for e in graph.edges}
    assert pairs == {("jia_2019", "yi_2021", False), ("yi_2021", "bing_2023", False),
                     ("ding_2022", "wu_2022", True), ("ji_2022", "geng_2022", False),
                     ("jia_2019", "xin_2024", False)}
    assert graph.boilerplate_groups == 1


def test_the_issuer_graph_says_who_was_copied_and_who_took(ix):
    graph = diffusion_graph(ix, by="issuer")
    roles = {r.node: r for r in graph.roles}
    assert roles["区甲教育局"].first_seen_copied == 2 and roles["区甲教育局"].taken == 0
    assert roles["区甲教育局"].top_followers == [("区乙教育局", 1), ("区辛教育局", 1)]
    assert roles["区丙教育局"].top_sources == [("区乙教育局", 1)] and roles["区丙教育局"].median_lag == 2
    edge = next(e for e in graph.edges if e.target == "区辛教育局")
    assert edge.source == "区甲教育局" and edge.by_level == {"disguised": 1} and edge.median_lag == 5


def test_corpus_lineage_gives_every_item_its_parent_and_earliest(ix):
    lin = corpus_lineage(ix)
    # item ids are doc:ordinal; ordinal 0 is each plan's guiding sentence
    assert lin.parent["bing_2023:1"] == "yi_2021:2" and lin.earliest["bing_2023:1"] == "jia_2019:1"
    assert lin.parent["jia_2019:1"] is None and lin.earliest["jia_2019:1"] == "jia_2019:1"
    assert lin.same_period["ding_2022:1"] == ("wu_2022:1",)
    assert any(set(g) == {"jia_2019:1", "yi_2021:2", "bing_2023:1"} for g in lin.groups)
    assert "bing_2023:0" in lin.boilerplate and lin.parent["bing_2023:0"] is None and lin.boilerplate_groups == 1


def test_graphml_is_read_back_by_networkx(ix, tmp_path):
    import networkx as nx

    path = tmp_path / "g.graphml"
    write_graphml(diffusion_graph(ix, by="issuer"), path)
    g = nx.read_graphml(path, force_multigraph=True)  # a same-period pair may also have a directed edge
    assert g.has_edge("区乙教育局", "区丙教育局")
    data = next(iter(g.get_edge_data("区乙教育局", "区丙教育局").values()))
    assert data["items"] == 1 and data["items_edited"] == 1 and data["same_period"] is False
    # same period: both directions, flagged
    assert g.has_edge("区丁教育局", "区戊教育局") and g.has_edge("区戊教育局", "区丁教育局")


# --- the command -------------------------------------------------------------------------------------

def test_lineage_json_has_one_record_per_item_with_earliest_parent_and_occurrences(diffusion_index):
    res = runner.invoke(app, ["lineage", "bing_2023", "--index", str(diffusion_index), "--json"])
    assert res.exit_code == 0, res.output
    recs = [json.loads(line) for line in res.stdout.splitlines()]
    aid = next(r for r in recs if r["text"].startswith("持续关注"))
    assert aid["earliest"] == {"doc_id": "jia_2019", "item_id": "jia_2019:1", "year": 2019, "date": None}
    assert aid["parent"]["doc_id"] == "yi_2021"
    occ = {o["doc_id"]: o for o in aid["occurrences"]}
    assert occ["yi_2021"]["level"] == "edited" and occ["yi_2021"]["relation"] == "earlier"
    assert set(occ["yi_2021"]) >= {"doc_id", "item_id", "year", "date", "region", "issuer", "level", "similarity", "relation"}


def test_lineage_in_the_terminal_shows_the_chain_and_never_calls_the_earliest_the_origin(diffusion_index):
    res = runner.invoke(app, ["lineage", "bing_2023", "--index", str(diffusion_index), "--item", "1."])
    assert res.exit_code == 0, res.output
    assert "earliest in this corpus: 2019  jia_2019" in res.stdout
    assert "parent chain: this ← 2021 yi_2021 ← 2019 jia_2019" in res.stdout
    assert "origin" not in res.stdout.replace("not the origin", "")
    same = runner.invoke(app, ["lineage", "ding_2022", "--index", str(diffusion_index)])
    assert "same period" in same.stdout and "nothing earlier in this corpus" in same.stdout


def test_lineage_graph_writes_graphml_and_html(diffusion_index, tmp_path):
    res = runner.invoke(app, ["lineage", "--graph", "--index", str(diffusion_index), "--graphml", str(tmp_path / "g.graphml"),
                              "--html", str(tmp_path / "g.html")])
    assert res.exit_code == 0, res.output
    assert "区甲教育局" in res.stdout and "(same period, undirected)" in res.stdout
    assert (tmp_path / "g.graphml").read_text(encoding="utf-8").startswith("<?xml")
    page = (tmp_path / "g.html").read_text(encoding="utf-8")
    assert "区乙教育局" in page and "<svg" in page and "<script" not in page


@pytest.mark.parametrize("args, says", [
    (["lineage"], "give a DOC"),
    (["lineage", "bing_2023", "--graph"], "give a DOC"),
    (["lineage", "nope_2023"], "unknown document id 'nope_2023'"),
    (["lineage", "bing_2023", "--item", "9."], "'9.' is no item of bing_2023"),
    (["lineage", "--graph", "--by", "county"], "--by must be one of"),
    (["lineage", "bing_2023", "--graphml", "x.graphml"], "--graphml needs --graph"),
])
def test_lineage_mistakes_are_one_line(diffusion_index, args, says):
    res = runner.invoke(app, [*args, "--index", str(diffusion_index)])
    assert res.exit_code == 1 and says in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.output


# --- dates ----------------------------------------------------------------------------------------------

def test_the_work_reports_are_dated_by_their_occasion_line():
    gwr = require_shared(GWR)
    docs = {d.doc_id: d for d in load_corpus([gwr / "national_gwr_2024.txt", gwr / "province_beijing_gwr_2025.txt",
                                              gwr / "province_gansu_gwr_2025.txt", gwr / "national_gwr_2025.txt"])}
    assert docs["national_gwr_2024"].date == "2024-03-05"  # ——2024年3月5日在第十四届全国人民代表大会…
    assert docs["province_gansu_gwr_2025"].date == "2025-01-20"
    assert docs["province_beijing_gwr_2025"].date == "2025-01-14"  # the occasion line kept as an item
    assert docs["national_gwr_2025"].date is None  # this copy of the text states no day


def test_a_manifest_sets_a_date_the_text_does_not_state(tmp_path):
    gwr = require_shared(GWR)
    shutil.copy(gwr / "national_gwr_2025.txt", tmp_path)
    (tmp_path / "manifest.csv").write_text("file,date\nnational_gwr_2025.txt,2025-03-05\n", encoding="utf-8")
    doc = load_corpus([tmp_path])[0]
    assert doc.date == "2025-03-05" and "date" in doc.overridden
    (tmp_path / "manifest.csv").write_text("file,date\nnational_gwr_2025.txt,2025-13-05\n", encoding="utf-8")
    res = runner.invoke(app, ["docs", str(tmp_path)])
    assert "date '2025-13-05' is not a date" in res.output


def test_lineage_reads_a_milvus_lite_store_alike(tmp_path):
    pytest.importorskip("pymilvus")
    build_index(write_plans(tmp_path / "c"), tmp_path / "ix", store=f"milvus-lite:{tmp_path}/plans.db")
    from plansearch.store import open_index

    ix = open_index(tmp_path / "ix")
    try:
        aid = _item(document_lineage(ix, "bing_2023"), "持续关注弱势群体")
        assert [o.doc_id for o in aid.chain] == ["yi_2021", "jia_2019"]
        pairs = {(e.source, e.target, e.same_period) for e in diffusion_graph(ix, by="doc").edges}
        assert ("ding_2022", "wu_2022", True) in pairs and ("yi_2021", "bing_2023", False) in pairs
    finally:
        ix.close()


# --- the work reports ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gwr(gwr_index):
    index = StoredIndex(gwr_index)
    yield index
    index.close()


def test_the_2024_report_s_targets_go_back_through_2023_to_2022(gwr):
    lin = document_lineage(gwr, "national_gwr_2024")
    targets = _item(lin, "今年发展主要预期目标是")
    assert [(o.doc_id, o.date) for o in targets.chain] == [("national_gwr_2023", "2023-03-05"),
                                                            ("national_gwr_2022", "2022-03-05")]
    assert targets.earliest.doc_id == "national_gwr_2022"
    later = {o.doc_id for o in targets.occurrences if o.relation == "later"}
    assert "national_gwr_2025" in later
    assert _item(lin, "现在，我代表国务院").boilerplate  # every report's opening


def test_the_national_and_provincial_2025_reports_are_not_ordered_by_their_year_alone(gwr):
    """The 2025 national report of this corpus states no day; the provincial ones state January days.
    Copies between them are of the same period; between provinces, the days order them."""
    graph = diffusion_graph(gwr, by="issuer")
    between = [e for e in graph.edges if "国务院" in (e.source, e.target) and not e.is_self]
    assert any(e.same_period for e in between)
    assert all(e.same_period or (e.median_lag or 0) >= 1 for e in between)  # directed only from earlier years
    provinces = [e for e in graph.edges if "国务院" not in (e.source, e.target) and not e.same_period]
    assert provinces and all(e.median_lag == 0 for e in provinces)  # one year, ordered by the stated days


def test_a_plan_that_is_not_in_the_index_is_traced_through_it(diffusion_index, tmp_path):
    """A journalist holds a 2025 county plan: its measure came from 丙 2023, which had it from 乙 and 甲."""
    path = tmp_path / "ren_2025.txt"
    path.write_text(_plan("区壬", 2025, [AID_2023, "开展校园足球特色学校创建。"]), encoding="utf-8")
    res = runner.invoke(app, ["lineage", str(path), "--index", str(diffusion_index), "--json"])
    assert res.exit_code == 0, res.output
    aid = next(json.loads(line) for line in res.stdout.splitlines() if "持续关注" in line)
    assert aid["parent"]["doc_id"] == "bing_2023" and aid["earliest"]["doc_id"] == "jia_2019"
    assert [c["doc_id"] for c in aid["chain"]] == ["bing_2023", "yi_2021", "jia_2019"]
    assert aid["occurrences"][-1] == {**aid["occurrences"][-1], "doc_id": "bing_2023", "level": "verbatim"}


def test_a_file_the_index_holds_is_read_as_the_index_holds_it(diffusion_index, tmp_path):
    path = tmp_path / "bing_2023.txt"
    path.write_text(PLANS["bing_2023.txt"], encoding="utf-8")
    res = runner.invoke(app, ["lineage", str(path), "--index", str(diffusion_index), "--json"])
    aid = next(json.loads(line) for line in res.stdout.splitlines() if "持续关注" in line)
    assert aid["item_id"] == "bing_2023:1" and aid["parent"]["doc_id"] == "yi_2021"
    assert "bing_2023" not in {o["doc_id"] for o in aid["occurrences"]}  # not its own copy


def test_lineage_csv_is_one_row_per_copy(diffusion_index):
    import csv
    import io

    res = runner.invoke(app, ["lineage", "bing_2023", "--index", str(diffusion_index), "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout.lstrip("\ufeff"))))
    aid = [r for r in rows if r["item_id"] == "bing_2023:1"]
    assert [(r["copy_doc_id"], r["level"], r["relation"], r["is_parent"]) for r in aid] == [
        ("jia_2019", "edited", "earlier", "False"), ("yi_2021", "edited", "earlier", "True")]
    assert all(r["earliest_doc_id"] == "jia_2019" for r in aid)
