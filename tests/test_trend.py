"""`plansearch trend`: how many items of each year's (region's, …) documents match a topic, on the
real work reports (../shared/corpora/gwr: national 2013-2025 without 2020, six provinces 2025)
and the sample corpus (masked years, review→plan documents). A match is a decision per item, not
a top-k: a year that never mentions the topic counts 0, a year without a document is a gap."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from typer.testing import CliRunner

from plansearch.cli import app
from plansearch.i18n import use_lang
from plansearch.models import PlansearchError
from plansearch.normalise import normalise
from plansearch.search import Filters, Searcher
from plansearch.trend import MatchRule, chart_svg, query_evidence, trend

runner = CliRunner()
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def gwr(gwr_index):
    s = Searcher(gwr_index)
    yield s
    s.close()


def years_with_matches(table, q: int = 0) -> list[str]:
    return [g.key for g in table.groups if g.cells and g.cells[q].matches]


def national_items_saying(gwr_dir, phrase: str) -> dict[int, int]:
    """Per year, the items of the national reports whose text says `phrase` (as the index cuts
    them), read straight from the files."""
    from plansearch import load_corpus

    out: dict[int, int] = {}
    for d in load_corpus(gwr_dir):
        if d.doc_id.startswith("national_"):
            n = sum(phrase in normalise(it.text) for it in d.items)
            if n:
                out[d.year] = n
    return out


# --- what the reports say, year by year ---------------------------------------------------------

def test_carbon_peak_is_absent_before_2021_and_present_every_year_after(gwr):
    table = trend("碳达峰", gwr)
    q = table.queries[0]
    assert q.basis == "words" and q.first == "2021"
    for year in range(2013, 2020):
        cell = table.cell(str(year))
        assert cell.matches == 0 and cell.documents == 0 and cell.example is None
    for year in range(2021, 2026):
        assert table.cell(str(year)).matches >= 1
    example = table.cell("2021").example
    assert "碳达峰" in normalise(example.item.text)
    assert [example.item.text[a:b] for a, b in example.highlights] == ["碳达峰"]


def test_every_item_that_says_it_counts_once_however_many_sentences_say_it(gwr, gwr_dir):
    table = trend("碳达峰", gwr, filters=Filters(region="全国"))
    counted = {int(g.key): g.cells[0].matches for g in table.groups if g.cells and g.cells[0].matches}
    # 2022's report says 碳达峰 three times, in two items: two matches, not three.
    assert counted == national_items_saying(gwr_dir, "碳达峰") and counted[2022] == 2


def test_new_quality_productive_forces_first_appear_in_2024_as_a_heading(gwr):
    table = trend("新质生产力", gwr)
    assert table.queries[0].first == "2024"
    # 2024 names it in a heading, （一）…加快发展新质生产力。, over items that do not repeat it.
    cell = table.cell("2024")
    assert (cell.matches, cell.headings, cell.documents) == (0, 1, 1)
    assert table.cell("2025").matches >= 10 and table.cell("2023").documents == 0


def test_2020_has_no_report_and_is_a_gap_not_a_zero(gwr):
    table = trend(["双减", "留守儿童"], gwr, filters=Filters(years=(2013, 2025)))
    assert [g.key for g in table.groups] == [str(y) for y in range(2013, 2026)]
    gap = next(g for g in table.groups if g.key == "2020")
    assert gap.gap and gap.documents == 0 and gap.cells == [] and table.cell("2020") is None
    assert all(len(g.cells) == 2 for g in table.groups if not g.gap)
    assert years_with_matches(table, 0) == ["2024", "2025"]  # 双减, as the reports write it
    assert years_with_matches(table, 1)[:5] == ["2014", "2015", "2016", "2017", "2018"]


def test_a_topic_the_reports_only_paraphrase_is_matched_by_meaning(gwr):
    # No report writes 房住不炒; 2018-2023 write 房子是用来住的、不是用来炒的.
    table = trend("房住不炒", gwr)
    assert table.queries[0].basis == "meaning" and any("by meaning" in n for n in table.notices)
    assert years_with_matches(table)[0] >= "2017"
    for year in ("2018", "2021", "2022"):
        assert "不是用来炒的" in table.cell(year).example.item.text


def test_per_region_the_2025_provinces_and_the_national_reports(gwr):
    table = trend("碳达峰", gwr, by="region")
    assert {g.key for g in table.groups} == {"全国", "北京市", "上海市", "四川省", "广东省", "甘肃省", "贵州省"}
    assert table.cell("北京市").matches == 0 and table.cell("四川省").matches >= 1
    national = trend("碳达峰", gwr, filters=Filters(region="全国"))
    assert table.group("全国").items == sum(g.items for g in national.groups)
    assert table.cell("全国").matches == national.queries[0].matches


def test_the_share_is_of_the_groups_items_and_documents_count_once(gwr):
    table = trend("延迟退休", gwr, filters=Filters(years=(2025, 2025)))
    g, cell = table.group("2025"), table.cell("2025")
    assert g.documents == 7 and cell.share == pytest.approx(cell.matches / g.items)
    assert cell.documents <= min(cell.matches, g.documents)


# --- the match decision -------------------------------------------------------------------------

def test_words_weigh_by_rarity_and_contiguity(gwr):
    (ev,) = query_evidence(gwr, ["乡村振兴"])
    items = gwr.index.items(range(len(gwr.index.item_doc)))
    holds = np.array(["乡村振兴" in normalise(it.text) for it in items])
    assert ev.coverage[holds].min() == pytest.approx(1.0)
    # 乡村 and 振兴 apart (乡村医生 … 种业振兴) miss the pair 村振 that joins them: less than all.
    apart = np.array(["乡村" in normalise(it.text) and "振兴" in normalise(it.text) for it in items]) & ~holds
    assert apart.any() and ev.coverage[apart].max() < 1.0


def test_every_items_best_window_for_several_queries_comes_in_one_pass(gwr):
    ix = gwr.index
    qvs = gwr.query_vectors(["房住不炒", "碳达峰"])
    best = ix.dense_all_many(qvs)
    assert best.shape == (2, len(ix.item_doc))
    assert np.allclose(best[0], ix.dense_all(qvs[0]), atol=1e-5)
    for row in (0, 1, len(ix.item_doc) // 2, len(ix.item_doc) - 1):
        wins, _ = ix.item_windows(row)
        assert np.allclose(best[:, row], (ix.window_vectors(wins) @ qvs.T).max(axis=0), atol=1e-5)


def test_phrases_and_minus_words_apply_as_in_search(gwr):
    plain = trend("碳达峰", gwr).queries[0].matches
    without = trend("碳达峰 -碳中和", gwr).queries[0].matches
    assert 0 < without < plain


def test_thresholds_can_be_set_by_the_caller(gwr):
    loose = trend("地方政府专项债券", gwr, rule=MatchRule(words_min=0.3)).queries[0].matches
    strict = trend("地方政府专项债券", gwr, rule=MatchRule(words_min=0.9)).queries[0].matches
    assert strict < trend("地方政府专项债券", gwr).queries[0].matches < loose


def test_bad_arguments_are_one_line_errors(gwr):
    with pytest.raises(PlansearchError, match="grouping must be one of"):
        trend("双减", gwr, by="doc")
    with pytest.raises(PlansearchError, match="plan or review"):
        trend("双减", gwr, year_basis="any")
    with pytest.raises(PlansearchError, match="empty query"):
        trend(["双减", "  "], gwr)


# --- the sample corpus: masked years, review→plan documents --------------------------------------

def test_masked_years_are_their_own_groups_after_the_known_years(seed_index):
    table = trend("留守儿童", seed_index)
    keys = [g.key for g in table.groups]
    assert keys[:2] == ["2011", "2012"] and keys[-3:] == ["201X", "202_", "?"]
    masked = next(g for g in table.groups if g.key == "201X")
    assert masked.masked and masked.label == "201X (year unknown)" and masked.documents == 1
    assert table.cell("202_ (year unknown)").matches == 1  # 000's second plan


def test_review_plan_documents_count_under_their_plan_year_or_their_review_year(seed_index):
    # 001 reviews 2010 and plans 2011, and says 留守兒童 in Traditional script.
    by_plan = trend("留守儿童", seed_index)
    assert by_plan.cell("2011").matches == 1 and by_plan.cell("2011").example.item.doc_id == "001_c0800182451e36bf"
    assert "2010" not in [g.key for g in by_plan.groups]
    by_review = trend("留守儿童", seed_index, year_basis="review")
    assert by_review.cell("2010").matches == 1 and by_review.groups[0].key == "2010"
    # the year filter reads the year the same way: 001 is 2011's, or 2010's with review
    assert trend("留守儿童", seed_index, filters=Filters(years=(2011, 2011))).cell("2011").documents == 1
    assert trend("留守儿童", seed_index, filters=Filters(years=(2011, 2011)), year_basis="review"
                 ).group("2011").gap


# --- the command line -------------------------------------------------------------------------------

def run(*args):
    return runner.invoke(app, ["trend", *[str(a) for a in args]])


def test_the_table_has_one_column_per_query_and_shows_the_gap(gwr_index):
    result = run("双减", "碳达峰", "新质生产力", "--index", gwr_index)
    assert result.exit_code == 0, result.output
    head = next(ln for ln in result.stdout.splitlines() if "双减" in ln and "碳达峰" in ln and "year" in ln)
    assert head.index("双减") < head.index("碳达峰") < head.index("新质生产力")
    row_2020 = next(ln for ln in result.stdout.splitlines() if ln.strip("│ ").startswith("2020"))
    assert "no document" in row_2020 and "0.0%" not in row_2020
    row_2024 = next(ln for ln in result.stdout.splitlines() if ln.strip("│ ").startswith("2024"))
    assert "█" in row_2024 and "+1h" in row_2024  # 新质生产力: a heading, no item


def test_json_has_one_record_per_year_and_query_with_the_example_offsets(gwr_index):
    result = run("新质生产力", "碳达峰", "--index", gwr_index, "--years", "2019-2025", "--json")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 7 * 2 and [r["group"] for r in records[::2]] == [str(y) for y in range(2019, 2026)]
    gap = next(r for r in records if r["group"] == "2020")
    assert gap["gap"] is True and gap["matches"] is None and gap["share"] is None
    r2024 = next(r for r in records if r["group"] == "2024" and r["query"] == "新质生产力")
    assert (r2024["matches"], r2024["matching_headings"], r2024["matching_documents"]) == (0, 1, 1)
    r2021 = next(r for r in records if r["group"] == "2021" and r["query"] == "碳达峰")
    assert r2021["matches"] == 1 and r2021["decided_by"] == "words"
    assert [r2021["example_text"][a:b] for a, b in r2021["example_highlights"]] == ["碳达峰"]
    a, b = r2021["example_match"]
    assert "碳达峰" in r2021["example_text"][a:b]


def test_csv_is_one_row_per_group_and_query(gwr_index):
    result = run("碳达峰", "--index", gwr_index, "--by", "region", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert len(rows) == 7 and {r["label"] for r in rows} >= {"全国", "北京市"}
    beijing = next(r for r in rows if r["label"] == "北京市")
    assert beijing["matches"] == "0" and beijing["example_text"] == ""


def test_year_of_review_lists_a_review_plan_document_under_its_review_year(seed_index):
    result = run("留守儿童", "--index", seed_index, "--year-of", "review", "--years", "2010-2011", "--json")
    assert result.exit_code == 0, result.output
    records = {r["group"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert records["2010"]["matches"] == 1 and records["2010"]["example_doc_id"] == "001_c0800182451e36bf"
    assert records["2011"]["gap"] is True


def test_the_chart_is_valid_svg_with_one_bar_per_year_and_query_and_the_gap_hatched(gwr_index, tmp_path):
    out = tmp_path / "trend.svg"
    result = run("碳达峰", "乡村振兴", "--index", gwr_index, "--years", "2013-2025", "--chart", out)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stderr
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    gaps = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "gap"]
    assert len(bars) == 12 * 2 and len(gaps) == 1  # 13 years, 2020 without a report
    tips = [r.find(f"{SVG}title").text for r in bars]
    assert "2021 · 碳达峰: 1 of 86 items (1.2%), 1 of 1 documents" in tips
    assert "2020: no document" == gaps[0].find(f"{SVG}title").text
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"碳达峰", "乡村振兴", "2013", "2025"} <= texts


def test_chart_text_is_escaped(seed_index):
    table = trend('"<b>&"', seed_index)
    svg = chart_svg(table)
    ET.fromstring(svg)  # a query holding markup characters still gives well-formed SVG
    assert "&lt;b&gt;&amp;" in svg


@pytest.mark.parametrize("args, fragment", [
    (["双减", "--by", "doc"], "--by takes year, region, level, issuer or kind"),
    (["双减", "--year-of", "any"], "--year-of takes plan or review"),
    (["双减", "--years", "2025-2013"], "empty year range"),
    (["双减", "--years", "twenty"], "years must look like"),
    (["双减", "--year", "2021", "--years", "2013-2025"], "not both"),
    (["双减", "--years", "1000-3000"], "too long for a trend"),
    (["双减", "--kind", "poem"], "--kind takes"),
    (["双减", "--format", "xml"], "--format takes"),
    (["双减", "   "], "empty query"),
    (["双减", "--chart", "{tmp}/trend.png"], "SVG only"),
    (["双减", "--chart", "{tmp}/trend.pdf"], "ending in .svg"),
    (["双减", "--chart", "{tmp}/no/such/folder/t.svg"], "does not exist"),
    (["双减", "--chart", "{tmp}"], "ending in .svg"),
])
def test_a_bad_option_is_one_line_before_the_index_is_opened(args, fragment, tmp_path):
    # --index names no index: had any work started, the error would be "no index … yet"
    result = run(*[a.format(tmp=tmp_path) for a in args], "--index", tmp_path / "none")
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "Traceback" not in result.output, result.output
    assert fragment in lines[0], lines[0]


def test_filters_that_leave_no_document_or_an_unknown_document_are_one_line(gwr_index):
    result = run("双减", "--index", gwr_index, "--region", "火星")
    assert result.exit_code == 1 and "no document with these filters (region 火星)" in result.output
    result = run("双减", "--index", gwr_index, "--doc", "national_gwr_2020")
    assert result.exit_code == 1 and "unknown document id 'national_gwr_2020'" in result.output


def test_first_seen_tells_a_heading_alone_from_an_item_that_says_it(gwr_index):
    # 2024 names 新质生产力 in a heading only (0 items); 2025's items say it: "first seen 2024" misled
    result = run("新质生产力", "碳达峰", "--index", gwr_index)
    assert result.exit_code == 0, result.output
    assert "新质生产力: first in a heading: 2024; first in an item: 2025" in result.stdout
    assert "碳达峰: first in an item: 2021" in result.stdout  # an item as early: no heading is named
    with use_lang("zh"):
        table = trend("新质生产力", Searcher(gwr_index))
        assert table.queries[0].first_seen().say() == "最早见于标题：2024；最早见于条目：2025"


def test_a_year_that_mixes_levels_says_so_and_level_keeps_them_apart(gwr):
    table = trend("新质生产力", gwr)
    assert table.group("2025").levels == {"province": 6, "national": 1}
    assert [n for n in table.notices if "mixes levels" in n] == [
        "2025 mixes levels (6 province, 1 national): --level or --by level keeps them apart"]
    national = trend("新质生产力", gwr, filters=Filters(level="national"))
    assert national.cell("2025").matches < table.cell("2025").matches and national.notices == []
    by_level = trend("新质生产力", gwr, by="level")
    assert [g.key for g in by_level.groups] == ["national", "province"] and by_level.notices == []
    assert by_level.cell("national").matches + by_level.cell("province").matches == table.queries[0].matches
