"""Ingest end to end: `load_corpus` and the `plansearch docs` / `outline` commands on the real seed
pages and the government-work-report corpus, and what a user sees when a file is bad."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import CORPUS, seed_path
from plansearch import load_corpus
from plansearch.cli import app
from plansearch.metadata import year_range
from plansearch.models import LoadError, PlansearchError

runner = CliRunner()


def test_the_seed_corpus(corpus_docs, docs_by_id):
    by_file = {}
    for d in corpus_docs:
        by_file.setdefault(d.source.split("/")[-1][:3], []).append(d.doc_id)
    assert {k: len(v) for k, v in by_file.items()} == {"000": 5, "001": 1, "002": 1, "003": 1, "004": 2}
    assert all(it.norm for d in corpus_docs for it in d.items)


def test_seed_metadata_after_the_manifest(docs_by_id):
    d = docs_by_id["001_c0800182451e36bf"]
    assert (d.kind, d.review_year, d.plan_year, d.region, d.issuer) == ("mixed", 2010, 2011, "东营市", "东营市教育局")
    assert [s.year for s in d.sections] == [2010, 2011]
    assert year_range(d) == (2010, 2011)
    assert "year" in d.overridden and "region" in d.overridden
    d1 = docs_by_id["000_5ae896fcb747d54c#1"]
    assert (d1.year, d1.year_mask, year_range(d1), d1.overridden) == (None, "201X", (2010, 2019), ())
    d3 = docs_by_id["003_d3b064de2d82a876"]
    assert (d3.review_year, d3.plan_year, d3.region) == (2021, 2022, "新都区")
    assert docs_by_id["004_4b2046a4564d6d1c#2"].issuer == "市教育局"  # a file row reaches both plans


def test_the_government_work_reports_load_with_their_manifest(gwr_dir):
    docs = load_corpus(gwr_dir)
    assert len(docs) == 18
    assert sorted({d.year for d in docs}) == [y for y in range(2013, 2026) if y != 2020]
    assert {d.kind for d in docs} == {"report"}
    national = [d for d in docs if d.doc_id.startswith("national_")]
    assert len(national) == 12 and {d.region for d in national} == {"全国"}
    assert {d.region for d in docs if d.doc_id.startswith("province_")} == {"北京市", "上海市", "四川省", "广东省",
                                                                             "甘肃省", "贵州省"}


def test_a_bad_file_is_reported_and_the_rest_load(tmp_path):
    (tmp_path / "a.txt").write_bytes(seed_path("003").read_bytes())
    (tmp_path / "b.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "c.txt").write_bytes(b"")
    errors: list[LoadError] = []
    docs = load_corpus(tmp_path, errors=errors)
    assert [d.doc_id for d in docs] == ["a"]
    assert [(e.path.split("/")[-1], e.problem) for e in errors] == [
        ("b.txt", "not a text file (binary data: NUL bytes)"), ("c.txt", "empty file")]
    with pytest.raises(LoadError, match=r"b\.txt: not a text file"):
        load_corpus(tmp_path)  # without an error list the first bad file raises


def test_missing_path_raises():
    with pytest.raises(PlansearchError, match="missing: no such file or directory"):
        load_corpus("missing")


def test_cli_docs_lists_the_corpus():
    result = runner.invoke(app, ["docs", str(CORPUS), "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 10
    first = records[0]
    assert (first["doc_id"], first["year_mask"], first["kind"], first["items"]) == \
        ("000_5ae896fcb747d54c#1", "201X", "plan", 42)
    table = runner.invoke(app, ["docs", str(CORPUS)])
    assert table.exit_code == 0 and "10 documents" in table.stdout and "201X" in table.stdout


def test_cli_docs_skips_a_bad_file_and_lists_the_rest(tmp_path):
    (tmp_path / "good.txt").write_bytes(seed_path("004").read_bytes())
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02\x03" * 64)
    result = runner.invoke(app, ["docs", str(tmp_path), "--json"])
    assert result.exit_code == 0
    assert f"skipped {tmp_path / 'bad.txt'}: not a text file (binary data: NUL bytes)" in result.stderr
    assert [json.loads(x)["doc_id"] for x in result.stdout.splitlines()] == ["good#1", "good#2"]


def test_cli_docs_on_a_missing_directory_is_one_line_and_exit_1():
    result = runner.invoke(app, ["docs", "missing/"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["error: missing: no such file or directory"]


def test_cli_warns_about_manifest_rows_that_match_nothing(tmp_path):
    (tmp_path / "good.txt").write_bytes(seed_path("003").read_bytes())
    (tmp_path / "manifest.csv").write_text("doc,region,note\nother.txt,新都区,typo\n", encoding="utf-8")
    result = runner.invoke(app, ["docs", str(tmp_path)])
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "'other.txt' matches no document" in result.stderr


def test_cli_outline_of_a_compiled_page_document():
    result = runner.invoke(app, ["outline", "000_5ae896fcb747d54c#1", "--corpus", str(CORPUS), "--json"])
    assert result.exit_code == 0, result.output
    rec = json.loads(result.stdout)
    assert rec["title"] == "区教育局201X年工作要点" and rec["year_mask"] == "201X"
    assert len(rec["outline"]) == 42 and rec["headings"][0]["title"] == "指导思想"
    tree = runner.invoke(app, ["outline", "001_c0800182451e36bf", "--corpus", str(CORPUS)])
    assert tree.exit_code == 0 and "2010→2011" in tree.stdout and "明年工作安排" in tree.stdout
