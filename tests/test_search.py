"""Search, specified on the sample corpus and on small plans written for the purpose."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plansearch.cli import app
from plansearch.models import PlansearchError
from plansearch.normalise import normalise
from plansearch.metadata import year_range
from plansearch.search import Filters, Searcher
from plansearch.store import build_index

from conftest import CORPUS, REPO

runner = CliRunner()

DISTRICT_PLANS = {
    "huazhou2021.txt": "华州区教育局2021年工作要点\n一、重点工作\n1.建立农村留守儿童关爱档案，落实结对帮扶。\n"
                       "2.开展教师全员培训。\n",
    "huazhou2023.txt": "华州区教育局2023年工作要点\n一、重点工作\n1.完善留守儿童关爱服务体系，建立代理家长制度。\n"
                       "2.加强校园食品安全管理。\n",
    "yiling2023.txt": "夷陵区教育局2023年工作总结\n一、主要成绩\n1.留守儿童关爱工作覆盖全部乡镇学校。\n"
                      "2.新建公办幼儿园三所。\n",
}


@pytest.fixture(scope="module")
def district_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("districts")
    for name, text in DISTRICT_PLANS.items():
        (root / name).write_text(text, encoding="utf-8")
    ix = root / "index"
    build_index(root, ix)
    return ix


def ids(hits) -> list[str]:
    return [h.item.doc_id for h in hits]


# --- the topic search users come for --------------------------------------------------------------

def test_left_behind_children_are_found_across_plans_and_scripts(searcher):
    hits = searcher.search("留守儿童关爱", k=10)
    with_topic = [h for h in hits if "留守" in normalise(h.item.text)]
    docs = {h.item.doc_id for h in with_topic}
    # 000's second plan, both plans of 004, and 001 which says 留守兒童 in Traditional script.
    assert {"000_5ae896fcb747d54c#2", "001_c0800182451e36bf", "004_4b2046a4564d6d1c#2"} <= docs
    assert "留守" in normalise(hits[0].item.text)


def test_simplified_and_traditional_queries_find_the_same_items(searcher):
    simp = searcher.search("留守儿童", k=5, mode="keyword")
    trad = searcher.search("留守兒童", k=5, mode="keyword")
    assert [h.item.item_id for h in simp] == [h.item.item_id for h in trad]
    assert any("留守兒童" in h.item.text for h in simp)  # the original script is what users see


def test_a_hit_points_at_its_best_sentence_inside_a_long_item(searcher):
    # 004#1's item 4 is 291 characters about moral education; 留守儿童 is in its last sentence.
    hit = next(h for h in searcher.search("留守儿童关爱", k=10, mode="dense")
               if h.item.item_id == "004_4b2046a4564d6d1c#1:3")
    a, b = hit.match_span
    assert b - a < len(hit.item.text) / 3  # a sentence, not the item
    assert "留守儿童" in normalise(hit.item.text[a:b])
    (h_start, h_end), = [s for s in hit.highlights if normalise(hit.item.text[s[0]:s[1]]) == "留守儿童"]
    assert a <= h_start < h_end <= b  # the highlighted words sit in the underlined sentence


def test_every_mode_answers_and_unknown_modes_and_empty_queries_are_refused(searcher):
    for mode in Searcher.modes:
        hits = searcher.search("教师培训", k=3, mode=mode)
        assert len(hits) == 3
        # the best hit is about teacher training in every mode, and says it holds the words
        assert "培训" in normalise(hits[0].item.text) and "教师" in normalise(hits[0].item.text), mode
        assert hits[0].coverage == 1.0, (mode, hits[0].found)
    with pytest.raises(PlansearchError, match="unknown mode"):
        searcher.search("教师培训", mode="magic")
    with pytest.raises(PlansearchError, match="empty query"):
        searcher.search("   ")


# --- filters ---------------------------------------------------------------------------------------

def test_year_region_kind_and_document_filters(district_index):
    s = Searcher(district_index)
    assert set(ids(s.search("留守儿童", years=(2023, 2023)))) == {"huazhou2023", "yiling2023"}
    assert set(ids(s.search("留守儿童", years=(2021, 2023), region="华州"))) == {"huazhou2021", "huazhou2023"}
    assert set(ids(s.search("留守儿童", kind="summary"))) == {"yiling2023"}
    assert set(ids(s.search("留守儿童", doc="huazhou2021"))) == {"huazhou2021"}
    assert s.search("留守儿童", years=(2030, 2031)) == []


def test_a_masked_year_counts_only_for_ranges_that_hold_all_its_years(docs_by_id):
    masked = docs_by_id["000_5ae896fcb747d54c#1"]  # 201X
    assert year_range(masked) == (2010, 2019)
    assert Filters(years=(2010, 2019)).accepts(masked)
    assert not Filters(years=(2015, 2015)).accepts(masked)


def test_a_run_of_missing_years_is_one_row_and_review_plan_documents_count_under_their_plan_year(searcher):
    groups = searcher.search_by("留守儿童", by="year", per_group=1)
    keys = [g.key for g in groups]
    # 001 reviews 2010 and plans 2011; 003 reviews 2021 and plans 2022; nothing in between.
    assert keys[:3] == ["2011", "2012–2021", "2022"]
    assert groups[1].hits == [] and groups[1].note == "no document for these years"
    assert groups[0].hits[0].item.doc_id == "001_c0800182451e36bf"
    assert {"201X (year unknown)", "202_ (year unknown)"} <= set(keys[3:])
    # Asked to, they count under the year they review instead.
    by_review = searcher.search_by("留守儿童", by="year", per_group=1, year_basis="review")
    assert [g.key for g in by_review][:3] == ["2010", "2011–2020", "2021"]


def test_best_matches_per_year_in_order_with_missing_years_shown(district_index):
    groups = Searcher(district_index).search_by("留守儿童关爱", by="year", per_group=2)
    assert [g.key for g in groups] == ["2021", "2022", "2023"]
    assert groups[1].hits == [] and "no document" in groups[1].note
    assert set(ids(groups[2].hits)) == {"huazhou2023", "yiling2023"}
    by_region = Searcher(district_index).search_by("留守儿童关爱", by="region", per_group=1)
    assert [g.key for g in by_region] == ["华州区", "夷陵区"]


# --- the command line ------------------------------------------------------------------------------

def test_json_lines_carry_the_fields_scripts_depend_on(seed_index):
    result = runner.invoke(app, ["search", "控辍保学", "--index", str(seed_index), "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 3 and [r["rank"] for r in records] == [1, 2, 3]
    for field in ("rank", "score", "doc_id", "title", "year", "region", "issuer", "kind", "path", "label",
                  "text", "source"):
        assert field in records[0]
    assert "控辍保学" in normalise(records[0]["text"])
    assert records[0]["source"].endswith(".txt")


def test_terminal_output_shows_title_path_and_the_original_text(seed_index):
    result = runner.invoke(app, ["search", "留守儿童", "--index", str(seed_index), "-k", "5"])
    assert result.exit_code == 0, result.output
    assert "留守兒童" in result.stdout  # 001 shown in its own script
    # 001's hit shows its outline path above the text, ending in the item's label
    assert "\n    三、明年工作安排 › (三)\n" in result.stdout


@pytest.mark.parametrize("width", [110, 80, 61])
def test_in_a_terminal_every_line_fits_and_continues_under_its_indent(searcher, monkeypatch, width):
    # At 110 columns 004#2's item 32 once ended a full line on "措施" and hung the "," after it past
    # the margin: the terminal put the "," alone at column 0. A header too long for the line
    # (东营's, with its id and "words: 留守儿童 · cos 0.89") wrapped to column 0 as well.
    import io
    import re
    import unicodedata

    from rich.console import Console

    from plansearch import render

    out = io.StringIO()
    monkeypatch.setattr(render, "_make_console",
                        lambda stderr=False: Console(file=out, width=width, force_terminal=True, color_system=None,
                                                     highlight=False, emoji=False))
    render.print_hits("留守儿童关爱", searcher.search("留守儿童关爱", k=5))
    lines = out.getvalue().splitlines()
    assert any("留守儿童" in ln or "留守兒童" in ln for ln in lines)

    def cells(line):
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)

    for line in lines:
        assert cells(line) <= width, line
        assert line[:1] == " " or re.match(r"score: ", line), line  # only the notice line starts at column 0
        # (an excerpt's own leading "…" and a header's "· cos 0.90" aside)
        assert line.strip()[:1] not in render._NO_LINE_START - {"…", "·"} or re.match(r"\s*\d+\. ", line), line


@pytest.mark.parametrize("width", [100, 120])
def test_table_cells_wrap_cjk_text_without_a_closing_mark_at_a_line_start(searcher, monkeypatch, width):
    # The per-year table (and trend's example column) is folded by rich at the exact cell width: at 100
    # columns 东营's and 新都's cells had lines beginning with "。" and "、".
    import io

    from rich.console import Console

    from plansearch import render
    from plansearch.trend import trend

    out = io.StringIO()
    monkeypatch.setattr(render, "_make_console",
                        lambda stderr=False: Console(file=out, width=width, force_terminal=True, color_system=None,
                                                     highlight=False, emoji=False))
    render.print_hit_groups("留守儿童", "year", searcher.search_by("留守儿童", by="year", per_group=2))
    render.print_trend(trend("留守儿童", searcher))
    cells = [part.strip() for line in out.getvalue().splitlines() for part in line.split("│")[1:-1]]
    assert any("留守兒童" in c for c in cells) and any("留守儿童" in c for c in cells)
    starts = [c for c in cells if c[:1] in render._NO_LINE_START - {"…", "·"}]
    assert not starts, starts


def test_cjk_wrapping_brings_the_character_before_a_closing_mark_down_with_it():
    from plansearch.render import wrap_offsets

    text = "切实解决好进城农民工同住子女入学问题，做到应入全入。"
    breaks = wrap_offsets(text, 2 * text.index("，"))  # the line is full just before the comma
    assert breaks and text[breaks[0]] not in "，。" and text[breaks[0]:breaks[0] + 2] == "题，"
    assert wrap_offsets("。。。。。。", 4) == [2, 4]  # nothing but marks: broken where full


@pytest.mark.parametrize("args, message", [
    (["search", "", "--index", "{ix}"], "empty query"),
    (["search", "留守儿童", "--index", "{missing}"], "no index in"),
    (["search", "留守儿童", "--index", "{ix}", "--year", "1999"],
     "no matches with these filters (year 1999): no document has year 1999; years here: 2010-2022"),
    (["search", "留守儿童", "--index", "{ix}", "--kind", "report", "--region", "东营"],
     "no document has kind report; kinds here: mixed, plan"),
    (["trend", "留守儿童", "--index", "{ix}", "--region", "火星"],
     "no document has region 火星; regions here: 东营市, 华州区, 夷陵区, 新都区, 泰州市"),
    (["search", "留守儿童", "--index", "{ix}", "--doc", "000_5ae896fcb747d54c#9"], "did you mean"),
    (["search", "留守儿童", "--index", "{ix}", "--years", "2022-2019"], "empty year range"),
])
def test_user_mistakes_get_one_line_and_exit_1(seed_index, tmp_path, args, message):
    args = [a.format(ix=seed_index, missing=tmp_path / "none") for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_index_command_reports_what_it_embedded_and_reused(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    (root / "huazhou2021.txt").write_text(DISTRICT_PLANS["huazhou2021.txt"], encoding="utf-8")
    first = runner.invoke(app, ["index", str(root), "--index", str(tmp_path / "ix")])
    assert first.exit_code == 0, first.output
    assert "embedded 2, reused 0" in first.stdout
    again = runner.invoke(app, ["index", str(root), "--index", str(tmp_path / "ix")])
    assert "up to date" in again.stdout and "nothing to embed" in again.stdout


def test_hong_kong_variant_forms_match_too(searcher):
    # 001 prints 保衞 (a Hong Kong form of 保衛); a search for 保卫 must still find it.
    assert normalise("校园安全保衞") == normalise("校園安全保衛") == normalise("校园安全保卫")
    hits = searcher.search('"保卫"', k=5, mode="keyword")
    assert hits and all("保衞" in h.item.text or "保衛" in h.item.text or "保卫" in h.item.text for h in hits)
    assert any(h.item.doc_id == "001_c0800182451e36bf" and "保衞" in h.item.text for h in hits)


def test_the_per_year_view_on_the_command_line(district_index):
    result = runner.invoke(app, ["search", "留守儿童关爱", "--index", str(district_index), "--by", "year", "-k", "1"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("2021") < out.index("2022") < out.index("2023")
    assert "no document for this year" in out and "华州区教育局2021年工作要点" in out
    as_json = runner.invoke(app, ["search", "留守儿童关爱", "--index", str(district_index), "--by", "region",
                                  "-k", "1", "--json"])
    groups = [json.loads(line)["group"] for line in as_json.stdout.splitlines()]
    assert groups == ["华州区", "夷陵区"]


# --- the keyword side's other tokenizers ------------------------------------------------------------

def test_jieba_schemes_tokenize_words_and_find_the_same_measures(tmp_path):
    from plansearch.keyword import tokenize

    # search mode: a long word and its parts (义务教育 and 义务, 教育)
    assert {"义务", "教育", "义务教育", "均衡"} <= set(tokenize("义务教育均衡发展", "jieba"))
    mixed = tokenize("义务教育均衡发展", "bigram+jieba")
    assert {"务教", "育均", "w:义务教育"} <= set(mixed)  # every bigram, plus jieba's longer words as w:…
    assert all(t.startswith("w:") or len(t) <= 2 for t in mixed)
    root = tmp_path / "c"
    root.mkdir()
    for name, text in DISTRICT_PLANS.items():
        (root / name).write_text(text, encoding="utf-8")
    for scheme in ("jieba", "bigram+jieba"):
        ix = tmp_path / scheme
        build_index(root, ix, keyword_scheme=scheme)
        hits = Searcher(ix).search("留守儿童", k=3, mode="keyword")
        assert set(ids(hits)) == {"huazhou2021", "huazhou2023", "yiling2023"}, scheme


# --- Ctrl-C ---------------------------------------------------------------------------------------------

def test_ctrl_c_ends_a_command_with_one_word_and_exit_130(seed_index, monkeypatch):
    import plansearch.search as search_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(search_module.Searcher, "search", interrupted)
    result = runner.invoke(app, ["search", "留守儿童", "--index", str(seed_index)])
    assert result.exit_code == 130 and result.output.strip() == "interrupted"
# --- what the score means (issue #11, item 7) and how the two sides are weighed (issue #16) -------

def test_a_term_no_seed_plan_holds_scores_low_whatever_comes_nearest(searcher):
    hits = searcher.search("低空经济", k=5)  # the low-altitude economy: work reports, not school plans
    assert not hits.all_words_somewhere
    assert hits and max(h.score for h in hits) < 0.5, [(round(h.score, 3), h.item.text[:20]) for h in hits]


def test_an_item_holding_the_whole_term_scores_as_likely_relevant(searcher):
    hits = searcher.search("控辍保学", k=5)
    assert hits[0].coverage == 1.0 and "控辍保学" in normalise(hits[0].item.text)
    assert hits[0].score > 0.9
    assert all(0.0 <= h.score <= 1.0 for h in hits)


def test_every_hybrid_hit_carries_its_raw_cosine_and_bm25_whichever_side_found_it(searcher):
    hits = searcher.search("孩子心理出问题", k=10)
    assert all(h.dense_score is not None and h.keyword_score is not None for h in hits)
    # an item that shares no bigram with the query, nor holds a word the term bridge read, is there
    # by meaning alone: BM25 0
    alone = [h for h in hits if h.keyword_score == 0.0]
    assert alone and not any(h.found or h.bridged for h in alone)
    assert searcher.search("控辍保学", k=3, mode="dense")[0].keyword_score is None  # dense mode reads no BM25


def test_the_dense_side_weighs_most_when_no_item_holds_the_query_and_least_when_one_holds_it_all():
    from plansearch.search import ADAPTIVE_WEIGHTS, adaptive_dense_weight

    w_all, w_none = ADAPTIVE_WEIGHTS
    assert adaptive_dense_weight(1.0) == pytest.approx(w_all) and adaptive_dense_weight(0.0) == pytest.approx(w_none)
    weights = [adaptive_dense_weight(c / 10) for c in range(11)]
    assert weights == sorted(weights, reverse=True)
    assert w_all < 0.5 < w_none  # whole match: keyword side first; no match: meaning first


# --- answers that mean what they say ----------------------------------------------------------------

def test_a_year_whose_best_hit_is_more_likely_unrelated_shows_no_match(gwr_index):
    from plansearch.search import RELEVANT_MIN

    groups = Searcher(gwr_index).search_by("新质生产力", by="year", per_group=2)
    answered = [g.key for g in groups if g.hits]
    # the term is 2024's heading (its items answer through it, #29) and 2025's items; no earlier item says it
    assert answered == ["2024", "2025"]
    below = [g for g in groups if g.below is not None]
    assert below and all(g.below.score < RELEVANT_MIN and "no match" in g.note for g in below)
    result = runner.invoke(app, ["search", "新质生产力", "--by", "year", "--index", str(gwr_index)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "2013" in line)
    assert "no match" in lines[at]
    # under it, dimmed, the year's nearest item: a near miss is told from nothing at all
    g2013 = next(g for g in groups if g.key == "2013")
    assert "closest: " in lines[at + 1] and f"{g2013.below.score:.0%}" in lines[at + 1]
    assert sum("closest: " in line for line in lines) == len(below)
    assert "2025 mixes levels (6 province, 1 national)" in result.stderr


def test_level_filters_and_groups_the_work_reports(gwr_index):
    s = Searcher(gwr_index)
    hits = s.search("新质生产力", k=20, filters=Filters(level="province"))
    assert hits and {h.doc.level for h in hits} == {"province"}
    assert [g.key for g in s.search_by("新质生产力", by="level", per_group=1)] == ["national", "province"]
    as_json = runner.invoke(app, ["search", "新质生产力", "--index", str(gwr_index), "--level", "全国", "--json"])
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert records and {r["level"] for r in records} == {"national"}
    bad = runner.invoke(app, ["search", "新质生产力", "--index", str(gwr_index), "--level", "planet"])
    assert bad.exit_code == 1 and "unknown level 'planet'" in bad.stderr and "Traceback" not in bad.output


# --- headings as evidence (issue #29) ----------------------------------------------------------------

def test_an_item_under_a_heading_that_names_the_query_says_so_and_rises(searcher, monkeypatch):
    # 000's "㈡进一步加强教师队伍建设": its items ⒏ (培训) and ⒐ (补充) say 教师 but not 教师队伍建设.
    import plansearch.search as search

    def under_heading(hits):
        return {h.item.item_id: h.rank for h in hits
                if h.item.doc_id.startswith("000") and h.item.path and "教师队伍建设" in h.item.path[-1]
                and "教师队伍建设" not in normalise(h.item.text)}

    with_headings = searcher.search("教师队伍建设", k=10)
    ranked = under_heading(with_headings)
    assert ranked, [(h.item.item_id, h.item.path) for h in with_headings]
    for h in with_headings:
        if h.item.item_id in ranked:
            assert h.heading_found == ("教师队伍建设",)
        elif "教师队伍建设" in normalise(h.item.text):
            assert h.heading_found == ()  # the text holds the words: the match does not rest on the heading
    monkeypatch.setattr(search, "HEADING_WEIGHT", 0.0)
    without = {h.item.item_id: h.rank for h in searcher.search("教师队伍建设", k=50)}
    assert all(rank < without.get(item_id, 51) for item_id, rank in ranked.items())


def test_the_heading_words_are_shown_in_the_terminal_and_in_json(seed_index):
    result = runner.invoke(app, ["search", "教师队伍建设", "--index", str(seed_index), "--json"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert all("heading_found" in r for r in records)
    assert any(r["heading_found"] == ["教师队伍建设"] for r in records)
    shown = runner.invoke(app, ["search", "教师队伍建设", "--index", str(seed_index)])
    assert "words in its heading: 教师队伍建设" in shown.stdout


def test_constraints_read_the_item_text_not_its_heading(searcher):
    # "-word" and "quoted" phrases bind the item's own words; a heading is context only.
    hits = searcher.search('"教师队伍建设"', k=20)
    assert hits and all("教师队伍建设" in normalise(h.item.text) for h in hits)


def test_new_quality_productive_forces_finds_2024s_item_under_that_heading(gwr_index):
    # 2024's work report: "（一）…加快发展新质生产力。" heads items whose text says only 生产力.
    hits = Searcher(gwr_index).search("新质生产力", k=10, filters=Filters(level="national"))
    under = [h for h in hits if h.doc.year == 2024 and any("新质生产力" in normalise(p) for p in h.item.path)
             and "新质生产力" not in normalise(h.item.text)]
    assert under and under[0].rank <= 5 and under[0].heading_found == ("新质生产力",)


def test_the_index_keeps_the_words_a_readers_query_may_be_bridged_to(searcher):
    # the term bridge's vocabulary: the plans' words (乱收费, 课业负担), each in at least two items and
    # at most half of them, no function words; an item counts a word once, as jieba cuts it
    from plansearch.bridge import STOP_WORDS

    vocab = searcher.index.vocabulary
    n = len(searcher.index.item_doc)
    assert {"乱收费", "课业负担"} <= set(vocab.words)
    assert all(2 <= c <= n / 2 for c in vocab.items.tolist()) and not STOP_WORDS & set(vocab.words)
    norms = [it.norm for it in searcher.index.items(range(n))]
    for w, c in list(zip(vocab.words, vocab.items.tolist()))[::97]:
        assert c <= sum(w in t for t in norms), w
    assert vocab.vectors.shape == (len(vocab.words), searcher.index.meta.dim)


def test_a_large_corpus_counts_its_words_in_a_second_process_to_the_same_vocabulary(corpus_docs):
    # past BACKGROUND_AFTER items the build hands jieba's cutting to a second process (half of its
    # reading time); counted there in batches, the vocabulary is the one counted in-process
    from plansearch.bridge import BackgroundWordCounter, WordCounter

    norms = [it.norm for d in corpus_docs for it in d.items]
    here, there = WordCounter(), BackgroundWordCounter(background_after=100)
    for start in range(0, len(norms), 60):
        here.add(norms[start:start + 60])
        there.add(norms[start:start + 60])
    assert there._child is not None  # the second process did count
    mine, theirs = here.vocabulary(), there.vocabulary()
    assert mine.words == theirs.words and mine.items.tolist() == theirs.items.tolist()
    assert {"乱收费", "课业负担"} <= set(theirs.words) and there._child is None  # it has ended


def test_a_word_counter_that_dies_is_one_line_and_close_leaves_no_process(corpus_docs):
    from plansearch.bridge import BackgroundWordCounter

    norms = [it.norm for d in corpus_docs for it in d.items]
    counter = BackgroundWordCounter(background_after=0)
    counter.add(norms[:50])
    counter._child.kill()  # as the out-of-memory killer would
    with pytest.raises(PlansearchError, match=r"^the process counting the corpus's words for the term bridge "
                                              r"failed \(exit code -9\); run the build again$"):
        for _ in range(20):  # the pipe's buffer may take a batch or two before it breaks
            counter.add(norms)
        counter.vocabulary()

    counter = BackgroundWordCounter(background_after=0)
    counter.add(norms[:50])
    child = counter._child
    counter.close()  # a build that failed or was interrupted
    assert child.poll() is not None and counter._child is None


def test_without_a_second_process_the_words_are_counted_in_the_build_alike(corpus_docs, monkeypatch):
    import plansearch.bridge as bridge

    def no_process(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")
    monkeypatch.setattr(bridge.subprocess, "Popen", no_process)
    norms = [it.norm for d in corpus_docs for it in d.items]
    counter = bridge.BackgroundWordCounter(background_after=0)
    counter.add(norms[:100])
    counter.add(norms[100:])
    assert counter.vocabulary().words == bridge.vocabulary(norms).words


def test_a_build_from_a_script_without_a_main_guard_counts_in_the_background(tmp_path):
    # a notebook's or a script's build_index, past the threshold: the second process must not import
    # the caller's __main__ again (multiprocessing's spawn does, and an unguarded script hangs)
    script = tmp_path / "build.py"
    script.write_text(textwrap.dedent(f"""
        import numpy as np
        import plansearch.bridge as bridge
        import plansearch.store as store

        class Hash:
            name, dim = "test/hash-8", 8
            def embed_passages(self, texts):
                out = np.array([[hash(t) >> s & 255 for s in range(0, 64, 8)] for t in texts], np.float32) + 1
                return out / np.linalg.norm(out, axis=1, keepdims=True)
            embed_queries = embed_passages

        store.get_embedder = lambda model=None: Hash()
        store.resolve_model = lambda model=None: None
        bridge.BACKGROUND_AFTER = 1
        store.build_index({str(CORPUS)!r}, {str(tmp_path / "index")!r})
        print("built")
        """), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), PYTHONHASHSEED="0")
    res = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == "built", res.stderr[-2000:]
    assert {"乱收费", "课业负担"} <= set(Searcher(tmp_path / "index").index.vocabulary.words)
