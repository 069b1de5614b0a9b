"""The command line as a user meets it: options checked before any work, ids the index knows,
years of review→plan documents, output a reader (or a pipe) can use, user data never taken for
markup. In-process through typer's CliRunner (the installed command is driven in test_e2e.py)."""
from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from plansearch.cli import app
from plansearch.normalise import normalise

from conftest import CORPUS

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, *fragments: str) -> str:
    """The result is a failure told in one line (exit 1, no traceback) holding `fragments`."""
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


# --- options are checked before any work -----------------------------------------------------------

@pytest.mark.parametrize("args, fragments", [
    (["index", "{corpus}", "--index", "{tmp}/ix", "--vectors", "foo"], ["unknown vector index kind 'foo'", "flat, hnsw, pq"]),
    (["index", "{corpus}", "--index", "{tmp}/ix", "--model", "no-such-model-anywhere"], ["not on this machine", "nothing is downloaded"]),
    (["index", "{corpus}", "--index", "{tmp}/ix", "--model", "xyz:thing"], ["unknown model backend 'xyz'"]),
    (["search", "留守儿童", "--index", "{seed_index}", "--mode", "magic"], ["--mode takes"]),
    (["search", "留守儿童", "--index", "{seed_index}", "--by", "colour"], ["--by takes"]),
    (["search", "留守儿童", "--index", "{seed_index}", "--year-of", "both"], ["--year-of takes plan or review"]),
    (["search", "留守儿童", "--index", "{seed_index}", "-k", "0"], ["at least 1"]),
    (["search", "留守儿童", "--index", "{seed_index}", "--format", "xml"], ["--format takes table, json, csv or xlsx"]),
    (["reuse", "--max-spread", "-1"], ["--max-spread must be at least the minimum documents (2)"]),
    (["reuse", "--min-chars", "0"], ["--min-chars must be at least 1"]),
    (["reuse", "--top", "0"], ["--top must be at least 1"]),
    (["compare", "a", "b", "--html", "{tmp}"], ["is a directory"]),
    (["compare", "a", "b", "--html", "{tmp}/no/such/folder/x.html"], ["does not exist"]),
])
def test_a_bad_option_is_one_line_before_any_work(args, fragments, tmp_path, seed_index):
    args = [a.format(corpus=CORPUS, tmp=tmp_path, seed_index=seed_index) for a in args]
    one_line_error(run(*args), *fragments)
    assert not (tmp_path / "ix").exists()  # nothing was built: the check came first


# --- documents the index knows ---------------------------------------------------------------------

def test_compare_and_outline_find_ids_in_the_index_without_a_corpus(gwr_index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no corpus/ here: only the index knows these ids
    res = run("compare", "national_gwr_2024", "national_gwr_2025", "--index", gwr_index, "--no-semantic",
              "--format", "json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.splitlines()[0])
    assert (summary["a"], summary["b"]) == ("national_gwr_2024", "national_gwr_2025")
    assert summary["same"] > 0
    res = run("outline", "national_gwr_2025", "--index", gwr_index, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["doc_id"] == "national_gwr_2025"
    line = one_line_error(run("outline", "national_gwr_2052", "--index", gwr_index),
                          "unknown document 'national_gwr_2052'", "did you mean")
    assert "national_gwr_2025" in line


def test_outline_of_a_directory_or_a_binary_file_says_what_is_wrong(tmp_path):
    one_line_error(run("outline", CORPUS), "is a directory")
    junk = tmp_path / "urandom.txt"
    junk.write_bytes(bytes(range(256)) * 40)
    line = one_line_error(run("outline", junk), "urandom.txt")
    assert "not a text file" in line and "name one as" not in line


# --- years of review→plan documents -----------------------------------------------------------------

def _doc_ids(result) -> set[str]:
    assert result.exit_code == 0, result.output
    return {json.loads(line)["doc_id"] for line in result.stdout.splitlines()}


@pytest.mark.parametrize("year, reports", [
    (2016, {"national_gwr_2016", "national_gwr_2017"}),  # 2016 plans 2016; 2017 reviews 2016
    (2018, {"national_gwr_2018", "national_gwr_2019"}),
    (2024, {"national_gwr_2024", "national_gwr_2025"}),
])
def test_a_year_filter_finds_the_reports_planning_or_reviewing_that_year(gwr_index, year, reports):
    found = _doc_ids(run("search", "减税降费", "--index", gwr_index, "--year", year, "-k", "60", "--json"))
    assert reports <= found, found
    plan_only = _doc_ids(run("search", "减税降费", "--index", gwr_index, "--year", year, "--year-of", "plan",
                             "-k", "60", "--json"))
    assert f"national_gwr_{year}" in plan_only and f"national_gwr_{year + 1}" not in plan_only


def test_2025_finds_every_province_and_the_readme_range_holds_2019(gwr_index):
    found = _doc_ids(run("search", "营商环境", "--index", gwr_index, "--year", "2025", "-k", "100", "--json"))
    provinces = {d for d in found if d.startswith("province_")}
    assert len(provinces) == 6, provinces
    found = _doc_ids(run("search", "减税降费", "--index", gwr_index, "--years", "2019-2022", "-k", "60", "--json"))
    assert {"national_gwr_2019", "national_gwr_2021", "national_gwr_2022"} <= found


def test_the_sample_corpus_summary_of_2010_is_found_under_2010_and_2011(seed_index):
    for y in (2010, 2011):
        assert "001_c0800182451e36bf" in _doc_ids(run("search", "留守儿童", "--index", seed_index, "--year", y,
                                                      "--json"))


def test_by_year_and_the_year_filter_agree_on_where_a_document_belongs(gwr_index):
    res = run("search", "减税降费", "--index", gwr_index, "--by", "year", "-k", "1", "--json")
    assert res.exit_code == 0, res.output
    for rec in map(json.loads, res.stdout.splitlines()):
        if rec["group"].isdigit():
            found = _doc_ids(run("search", "减税降费", "--index", gwr_index, "--year", rec["group"], "-k", "60",
                                 "--json"))
            assert rec["doc_id"] in found, rec["group"]


# --- search says what it found --------------------------------------------------------------------

def test_a_phrase_no_report_contains_is_said_plainly(gwr_index):
    res = run("search", "课后服务", "--index", gwr_index, "-k", "3")
    assert res.exit_code == 0, res.output
    assert "no item holds all of “课后服务”" in res.stderr
    # each hit tells which of the query's words it does hold
    assert "words: 服务" in res.stdout and "all query words" not in res.stdout


def test_quoted_phrases_must_stand_in_every_hit(seed_index):
    res = run("search", '"留守儿童" 关爱', "--index", seed_index, "--json")
    hits = [json.loads(line) for line in res.stdout.splitlines()]
    assert hits and all("留守儿童" in normalise(h["text"]).replace(" ", "") for h in hits)
    none = run("search", '"留守儿童外星人"', "--index", seed_index)
    assert none.exit_code == 1 and "no item holds “留守儿童外星人”" in none.output


def test_a_hit_says_which_of_the_plans_words_it_was_found_by(seed_index):
    # the term bridge: 学校乱收钱 is also read as the plans' 乱收费, said in --json and in both languages
    res = run("search", "学校乱收钱", "--index", seed_index, "--json")
    hits = [json.loads(line) for line in res.stdout.splitlines()]
    assert any(["乱收费", "学校乱收钱"] in h["bridged"] for h in hits)
    assert "乱收费 for 学校乱收钱" in run("search", "学校乱收钱", "--index", seed_index).stdout
    assert "乱收费（代替 学校乱收钱）" in run("--lang", "zh", "search", "学校乱收钱", "--index", seed_index).stdout


def test_several_plans_words_read_for_one_query_are_said_once():
    # 父母不在身边的孩子 on the sample corpus: the bridge reads 家庭 and 子女 for it in one item
    from plansearch.models import Hit, Item
    from plansearch.render import _evidence

    item = Item(doc_id="001_c0800182451e36bf", ordinal=1, label="(三)", number=3, level=2, path=(),
                text="加大对进城务工人员子女、家庭经济困难子女的资助力度", start=0, end=25)
    hit = Hit(rank=1, score=0.26, item=item, doc=None, dense_score=0.86, found=("孩子",), coverage=0.2,
              bridged=(("家庭", "父母不在身边的孩子"), ("子女", "父母不在身边的孩子")))
    from plansearch.i18n import use_lang

    with use_lang("en"):
        assert _evidence(hit).plain == "words: 孩子 · 家庭、子女 for 父母不在身边的孩子 · cos 0.86"
    with use_lang("zh"):
        assert _evidence(hit).plain == "含词：孩子 · 家庭、子女（代替 父母不在身边的孩子） · cos 0.86"


def test_minus_words_keep_items_out(seed_index):
    res = run("search", "留守儿童 -关爱", "--index", seed_index, "--json", "-k", "20")
    assert all("关爱" not in normalise(json.loads(line)["text"]) for line in res.stdout.splitlines())


def test_the_per_year_view_centres_each_excerpt_on_the_matched_words(seed_index):
    # In 004#1 (year unknown) 留守儿童 stands 246 characters into a 291-character item; the per-year
    # cell shows 120 characters: they must be the ones around the word, not the item's start.
    res = run("search", "留守儿童", "--index", seed_index, "--by", "doc", "-k", "1", "--json")
    rec = next(json.loads(line) for line in res.stdout.splitlines()
               if json.loads(line)["doc_id"] == "004_4b2046a4564d6d1c#1")
    (a, b), text = rec["highlights"][0], rec["text"]
    assert normalise(text[a:b]) == "留守儿童" and a > 200
    from plansearch.records import excerpt_bounds

    lo, hi = excerpt_bounds(text, 120, [tuple(h) for h in rec["highlights"]], tuple(rec["match"]))
    assert lo <= a and b <= hi and hi - lo == 120
    table = run("search", "留守儿童", "--index", seed_index, "--by", "doc", "-k", "1")
    assert "留守儿童" in table.stdout.split("004_4b2046a4564d6d1c#1")[1].split("004_4b2046a4564d6d1c#2")[0]


# --- output a pipe can use ------------------------------------------------------------------------

def test_piped_output_keeps_ids_whole_and_text_on_one_line(seed_index):
    res = run("search", "留守儿童关爱", "--index", seed_index, "-k", "5")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert any("[000_5ae896fcb747d54c#2]" in ln for ln in lines)  # the id is not split across lines
    assert not any(ln.lstrip().startswith(("，", "。", "、")) for ln in lines)
    assert not any(ln.rstrip().endswith("›") for ln in lines)  # no stray separator after a path
    docs = run("docs", CORPUS)
    assert "000_5ae896fcb747d54c#1" in docs.stdout and "004_4b2046a4564d6d1c#2" in docs.stdout


def test_csv_output_has_a_header_and_one_row_per_hit(seed_index):
    res = run("search", "控辍保学", "--index", seed_index, "-k", "4", "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout.lstrip("\ufeff"))))
    assert len(rows) == 4 and rows[0]["rank"] == "1" and "控辍保学" in normalise(rows[0]["text"])
    as_json = [json.loads(line) for line in run("search", "控辍保学", "--index", seed_index, "-k", "4",
                                                 "--json").stdout.splitlines()]
    assert [r["item_id"] for r in rows] == [j["item_id"] for j in as_json]
    assert [r["path"] for r in rows] == [" › ".join(j["path"]) for j in as_json]  # lists joined as paths


def test_counts_are_written_as_people_write_them(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "plan.txt").write_text("区教育局2023年工作要点\n1.建立农村留守儿童关爱档案。\n", encoding="utf-8")
    res = run("index", tmp_path / "c", "--index", tmp_path / "ix")
    assert res.exit_code == 0, res.output
    assert "indexed 1 document, 1 item, 1 sentence window" in res.stdout


def test_usage_errors_name_the_arguments_as_readme_writes_them():
    res = run("compare", "000_5ae896fcb747d54c#1")
    assert res.exit_code == 2 and "Missing argument 'B'" in res.output, res.output
    assert "compare [OPTIONS] {A} {B}" in run("compare", "--help").output


def test_reuse_counts_passages_among_the_documents_and_a_pipe_gets_no_progress_residue(seed_index):
    res = run("reuse", CORPUS, "--doc", "000_5ae896fcb747d54c#4")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("1 reused passage found among 10 documents")
    # stderr is a pipe here: the progress bar draws nothing there, not even an empty line
    checked = run("check", "--doc", "000_5ae896fcb747d54c#4", "--index", seed_index, "--no-paraphrase")
    assert checked.exit_code == 0 and checked.stderr == "", repr(checked.stderr)


# --- user data is never markup ----------------------------------------------------------------------

MARKUP_PLAN = "[/bold]区教育局[red]2023年工作要点\n一、重点工作\n1.建立[/x]农村留守儿童关爱档案，落实结对帮扶。\n2.开展[link=http://x]教师培训[/link]。\n"


def test_titles_and_items_holding_rich_markup_print_as_written(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "[link=evil]C.txt").write_text(MARKUP_PLAN, encoding="utf-8")
    (corpus / "other.txt").write_text(MARKUP_PLAN.replace("2023", "2024"), encoding="utf-8")
    docs = run("docs", corpus)
    assert docs.exit_code == 0, docs.output
    assert "[link=evil]C" in docs.stdout and "[/bold]" in docs.stdout
    ix = tmp_path / "idm[red]"
    res = run("index", corpus, "--index", ix)
    assert res.exit_code == 0, res.output
    assert "idm[red]" in res.stdout
    by_year = run("search", "留守儿童", "--index", ix, "--by", "year")
    assert by_year.exit_code == 0 and "[/x]" in by_year.stdout, by_year.output
    cmp = run("compare", corpus / "[link=evil]C.txt", corpus / "other.txt", "--no-semantic")
    assert cmp.exit_code == 0 and "[/bold]" in cmp.stdout, cmp.output


@pytest.mark.parametrize("args", [["search", "留守儿童", "-k", "20"], ["trend", "留守儿童", "双减"]])
def test_a_reader_that_closes_the_pipe_early_ends_the_command_quietly_and_with_0(seed_index, args):
    # `plansearch search … | head -2`: the reader has what it wanted (rich's own handler exited 1)
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("plansearch")
    env = dict(os.environ, COLUMNS="80")
    p = subprocess.run(["bash", "-o", "pipefail", "-c", f"'{exe}' {' '.join(args)} --index '{seed_index}' | head -2"],
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 2 and p.stderr == "", p


def test_a_build_whose_reader_stops_reading_still_builds_the_whole_index(small_corpus, seed_index, tmp_path):
    # `plansearch index 2>&1 | head`: the build is what was asked for. Ended by the first write into
    # the closed pipe, it stopped with 0 at its first version, words only (a walkthrough found this).
    import os
    import subprocess
    import sys
    from pathlib import Path

    from plansearch.store import CACHE_FILE, copy_cache, open_index

    ix = tmp_path / "ix"
    ix.mkdir()
    copy_cache(seed_index / CACHE_FILE, ix / CACHE_FILE)  # the build under test, not the model
    exe = Path(sys.executable).with_name("plansearch")
    # `true` reads nothing and is gone before the build says its first line
    p = subprocess.run(["bash", "-c", f"'{exe}' index '{small_corpus}' --index '{ix}' 2>&1 | true; "
                        "echo ${PIPESTATUS[0]}"], env=dict(os.environ), capture_output=True, text=True, timeout=600)
    assert p.stdout.strip() == "0", p
    index = open_index(ix)
    try:
        assert index.meta.complete and index.meta.windows > 0  # every window and the bridge's words
    finally:
        index.close()
