"""`plansearch check`: a 查重 report for one document against an index, on the real seed pages.

- 000#4 is 000#1 again with its years masked (201X -> 202_): checked against the corpus without
  itself, it is all verbatim, from 000#1.
- 003 is a 降重 rewrite (教育→教化, 教师→老师, 安全→平安, 研究→探讨). A copy of it with those swaps
  undone, checked against an index holding 003, is found as *disguised*, with the swaps named.
- A reworded measure (written for this test from a seed sentence) is found as *paraphrased*.
- The CNKI-style figure (verbatim runs of 13) is part of every report, and the disguised level
  catches what it misses.
"""
from __future__ import annotations

from pathlib import Path

import json

import pytest
from typer.testing import CliRunner

from conftest import seed_path

from plansearch.check import (
    CheckSettings,
    FingerprintTable,
    verbatim_key_text,
    check_document,
    diff_ops,
    regions,
    tiles,
    verbatim_key,
)
from plansearch.cli import app
from plansearch.normalise import compact, normalise
from plansearch.corpus import load_corpus
from plansearch.store import StoredIndex

RESTORED = (("教化", "教育"), ("老师", "教师"), ("平安", "安全"), ("探讨", "研究"))


@pytest.fixture(scope="module", autouse=True)
def own_home(tmp_path_factory):
    """check keeps a fingerprint table and embeds unindexed text in the user's own directory."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PLANSEARCH_HOME", str(tmp_path_factory.mktemp("home")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def ix(seed_index):
    index = StoredIndex(seed_index)
    yield index
    index.close()


def _indexed(ix, doc_id):
    return ix.document_with_items([d.doc_id for d in ix.documents].index(doc_id))


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def restored_003(tmp_path_factory):
    text = seed_path("003").read_text(encoding="utf-8")
    for swapped, original in RESTORED:
        text = text.replace(swapped, original)
    p = tmp_path_factory.mktemp("restored") / "restored_003.txt"
    p.write_text(text, encoding="utf-8")
    return p


# --- verbatim ---------------------------------------------------------------------------------------

def test_000_4_checked_without_itself_is_all_verbatim_from_000_1(ix):
    doc = _indexed(ix, "000_5ae896fcb747d54c#4")
    rep = check_document(doc, ix, exclude=[doc.doc_id], settings=CheckSettings(paraphrase=False))
    assert rep.share >= 0.99
    assert rep.by_level["verbatim"] >= 0.99
    top = rep.sources[0]
    assert top.doc.doc_id == "000_5ae896fcb747d54c#1"
    assert rep.max_source_share == top.share >= 0.99
    assert all(s.doc.doc_id != doc.doc_id for s in rep.sources)
    # the first item, 以科学发展观为指导…, stands whole and verbatim in 000#1's first item
    first = [p for p in rep.passages if p.checked_item == 0][0]
    assert first.level == "verbatim" and first.source_doc_id == "000_5ae896fcb747d54c#1"
    assert first.checked_text.startswith("以科学发展观为指导")
    assert first.source_item.ordinal == 0
    assert all(it.share >= 0.9 for it in rep.items if it.chars >= 13)


def test_masked_years_count_as_verbatim_and_show_as_a_changed_variable(ix, tmp_path):
    # 000#1 writes 201X, a copy written for 2024 says 2024: still the verbatim level (years masked),
    # and the diff names the year as what changed.
    src = _indexed(ix, "000_5ae896fcb747d54c#1")
    item = next(it for it in src.items if "201X" in it.text)
    copy = item.text.replace("201X", "2024")
    p = _write(tmp_path, "plan2024.txt", "2024年工作要点\n一、" + copy + "\n")
    (doc,) = load_corpus(p)
    rep = check_document(doc, ix, exclude=["000_5ae896fcb747d54c#4"], settings=CheckSettings(paraphrase=False))
    best = max(rep.passages, key=lambda x: x.chars)
    assert best.level == "verbatim" and best.source_doc_id == "000_5ae896fcb747d54c#1"
    assert ("201X", "2024") in {(o.source_text, o.checked_text) for o in best.ops if o.tag == "variable"}


# --- disguised --------------------------------------------------------------------------------------

def test_the_003_rewrite_with_its_swaps_undone_is_found_as_disguised(ix, restored_003):
    (doc,) = load_corpus(restored_003)
    rep = check_document(doc, ix, settings=CheckSettings(paraphrase=False))
    assert rep.sources[0].doc.doc_id == "003_d3b064de2d82a876"
    assert rep.share >= 0.95
    assert rep.by_level["disguised"] > 0.05
    disguised = [p for p in rep.passages if p.level == "disguised"]
    assert disguised and all(p.source_doc_id == "003_d3b064de2d82a876" for p in disguised)
    swaps = {(o.source_text, o.checked_text) for p in disguised for o in p.ops if o.tag == "synonym"}
    assert ("教化", "教育") in swaps and ("平安", "安全") in swaps
    # the side by side keeps both original texts whole
    p = disguised[0]
    assert "".join(o.source_text for o in p.ops) == p.source_text
    assert "".join(o.checked_text for o in p.ops) == p.checked_text


def _swap_every(text: str, every: int) -> str:
    """A 降重 machine: after every `every` characters, the next word that has a synonym in the
    thesaurus is replaced by one (the first in sorted order)."""
    from plansearch import synonyms

    out, since = [], 0
    for a, b in synonyms.segment(text):
        word = text[a:b]
        alts = sorted(w for w in synonyms.synonyms(word) if len(w) == len(word))
        if since >= every and alts:
            out.append(alts[0])
            since = 0
        else:
            out.append(word)
            since += b - a
    return "".join(out)


def test_a_copy_with_a_word_swapped_every_few_characters_escapes_the_13_character_rule_not_check(ix, tmp_path):
    # CNKI's rule needs 13 identical characters in a row; a synonym machine that swaps a word every
    # 8 characters leaves none, while the disguised level still finds the whole passage.
    src = _indexed(ix, "000_5ae896fcb747d54c#1")
    items = [it.text for it in src.items[:6]]
    swapped = [_swap_every(t, 8) for t in items]
    assert sum(a != b for t, s in zip(items, swapped) for a, b in zip(t, s)) > 40
    p = _write(tmp_path, "swapped.txt", "工作要点\n" + "".join(f"{n + 1}. {t}\n" for n, t in enumerate(swapped)))
    (doc,) = load_corpus(p)
    rep = check_document(doc, ix, exclude=["000_5ae896fcb747d54c#4"], settings=CheckSettings(paraphrase=False))
    assert rep.by_level["verbatim"] < 0.5
    assert rep.share >= 0.9
    assert rep.sources[0].doc.doc_id == "000_5ae896fcb747d54c#1"
    assert rep.by_level["disguised"] > rep.by_level["verbatim"]


def test_clauses_moved_within_a_sentence_are_still_one_disguised_passage(ix, tmp_path):
    # 003: 开展全区性隐患排查整治x次,全面落实全体教职工的平安工作责任 — clauses swapped, synonym undone
    p = _write(tmp_path, "moved.txt", "工作总结\n一、全面落实全体教职工的安全工作责任，开展全区性隐患排查整治3次。\n")
    (doc,) = load_corpus(p)
    rep = check_document(doc, ix, settings=CheckSettings(paraphrase=False))
    assert rep.share >= 0.9
    assert rep.passages[0].level == "disguised"
    assert rep.passages[0].source_doc_id == "003_d3b064de2d82a876"


def test_changed_numbers_and_places_are_bridged_and_named(ix, tmp_path):
    src = _indexed(ix, "000_5ae896fcb747d54c#1")
    item = next(it for it in src.items if "7300人" in it.text)
    p = _write(tmp_path, "numbers.txt", "工作要点\n一、" + item.text.replace("7300", "7500").replace("98%", "99%") + "\n")
    (doc,) = load_corpus(p)
    rep = check_document(doc, ix, exclude=["000_5ae896fcb747d54c#4"], settings=CheckSettings(paraphrase=False))
    best = max(rep.passages, key=lambda x: x.chars)
    assert best.source_doc_id == "000_5ae896fcb747d54c#1" and best.level == "disguised"
    assert rep.items[-1].share >= 0.95
    changed = {(o.source_text, o.checked_text) for o in best.ops if o.tag == "variable"}
    assert ("7300", "7500") in changed and ("98", "99") in changed


# --- paraphrased ------------------------------------------------------------------------------------

def test_a_reworded_measure_is_found_as_paraphrased_from_its_source(ix, tmp_path):
    # written for this test from 004#2 item 37 (加强局机关作风建设。大兴学习之风、实干之风和团结之风,
    # 建设学习型机关和节约型机关。): the same measure in other words, no 13-character run shared
    p = _write(tmp_path, "reworded.txt", "工作打算\n一、抓好局机关的作风建设，在机关里形成爱学习、肯实干、讲团结的风气，"
                                         "把机关建成学习型、节约型机关。\n")
    (doc,) = load_corpus(p)
    rep = check_document(doc, ix)
    assert rep.by_level["verbatim"] == 0 and rep.by_level["disguised"] == 0
    assert rep.by_level["paraphrased"] >= 0.9
    (para,) = [x for x in rep.passages if x.level == "paraphrased"]
    assert para.source_doc_id in ("004_4b2046a4564d6d1c#2", "004_4b2046a4564d6d1c#1")
    assert "作风建设" in para.source_text and para.similarity >= CheckSettings().paraphrase_min


def test_an_original_plan_of_another_city_is_not_called_copied(ix):
    # 002 (泰州) shares topics with every plan of the corpus but no passage: next to nothing copied
    doc = _indexed(ix, "002_4f4de1c647e2620a")
    rep = check_document(doc, ix, exclude=[doc.doc_id])
    assert rep.share < 0.05


def test_paraphrases_are_aligned_one_to_one(ix, tmp_path):
    # the same rewording twice: one source window explains one checked window, not both
    line = "抓好局机关的作风建设，在机关里形成爱学习、肯实干、讲团结的风气，把机关建成学习型、节约型机关。"
    p = _write(tmp_path, "twice.txt", f"工作打算\n一、{line}\n二、{line}\n")
    (doc,) = load_corpus(p)
    rep = check_document(doc, ix)
    para = [x for x in rep.passages if x.level == "paraphrased"]
    assert len({(x.source_item.item_id, x.source_start) for x in para}) == len(para)


# --- filters ----------------------------------------------------------------------------------------

def test_exclude_and_region_decide_which_documents_count_as_sources(ix):
    doc = _indexed(ix, "000_5ae896fcb747d54c#4")
    rep = check_document(doc, ix, exclude=[doc.doc_id, "000_5ae896fcb747d54c#1"],
                         settings=CheckSettings(paraphrase=False))
    assert "000_5ae896fcb747d54c#1" not in {s.doc.doc_id for s in rep.sources}
    assert rep.share < 0.2
    only = check_document(doc, ix, exclude=[doc.doc_id], region="新都", settings=CheckSettings(paraphrase=False))
    assert {s.doc.doc_id for s in only.sources} <= {"003_d3b064de2d82a876"}
    assert only.compared_documents == 1


def test_narrowing_the_sources_never_raises_the_copy_ratio(gwr_index):
    # The 2025 work report against the others, then only against 2021-2024's: the paraphrase level's
    # margin is measured against all other content either way (before, the filter also shrank what
    # counted as generic content: 6.7 % paraphrased with the filter against 5.1 % without).
    ix = StoredIndex(gwr_index)
    try:
        doc = _indexed(ix, "national_gwr_2025")
        every = check_document(doc, ix, exclude=[doc.doc_id])
        fewer = check_document(doc, ix, exclude=[doc.doc_id], years=(2021, 2024))
    finally:
        ix.close()
    assert fewer.compared_documents < every.compared_documents
    assert every.by_level["paraphrased"] > 0.02 and fewer.by_level["paraphrased"] > 0.02
    assert fewer.by_level["paraphrased"] <= every.by_level["paraphrased"]
    assert fewer.share <= every.share
    assert every.sources[0].doc.doc_id == fewer.sources[0].doc.doc_id == "national_gwr_2024"


# --- the pieces ---------------------------------------------------------------------------------------

def test_the_fingerprint_table_keys_are_the_verbatim_keys(corpus_docs):
    # the table is built from the stored normalised text; matching reads the original text
    for d in corpus_docs:
        for it in d.items:
            assert verbatim_key_text(it.norm) == verbatim_key(it.text).text


def test_the_fingerprint_table_finds_every_item_sharing_a_13_character_run(corpus_docs):
    from plansearch.fingerprint import fingerprint

    items = [it for d in corpus_docs for it in d.items]
    table = FingerprintTable.build([verbatim_key_text(it.norm) for it in items], 13)
    probe = verbatim_key(items[5].text).text
    run = probe[3:16]  # any 13 characters of item 5, inside other text
    fp, _ = fingerprint("前后文字" + run + "其他内容", 13)
    assert 5 in set(table.lookup(fp.hashes, 1000).tolist())


def test_the_kept_table_is_mapped_not_read_and_answers_as_the_built_one(ix, tmp_path, monkeypatch):
    # the kept table is 12 bytes a fingerprint of every item: mapped, a check reads only the pages
    # its binary searches touch instead of the whole table on every call after the first
    import numpy as np

    from plansearch.check import fingerprint_table
    from plansearch.fingerprint import fingerprint

    monkeypatch.setenv("PLANSEARCH_HOME", str(tmp_path))
    (tmp_path / "check").mkdir()
    (tmp_path / "check" / "old-13-v1.npz").write_bytes(b"a table of the format before")
    built = fingerprint_table(ix, 13)
    hashes, rows = np.array(built.hashes), np.array(built.rows)  # held: `built` maps the kept file
    kept = list((tmp_path / "check").iterdir())
    assert [p.suffix for p in kept] == [".table"]  # the old format's table is gone
    again = fingerprint_table(ix, 13)
    assert isinstance(again.hashes, np.memmap) and isinstance(again.rows, np.memmap)
    assert np.array_equal(again.hashes, hashes) and np.array_equal(again.rows, rows)
    probe = ix.items([5])[0]
    fp, _k = fingerprint(verbatim_key_text(probe.norm), 13)
    assert 5 in set(again.lookup(np.unique(fp.hashes), 1000).tolist())
    # a table cut short (a full disk, a copied home) is built again, not trusted
    whole = kept[0].read_bytes()
    kept[0].unlink()
    kept[0].write_bytes(whole[:-40])
    rebuilt = fingerprint_table(ix, 13)
    assert np.array_equal(rebuilt.hashes, hashes) and np.array_equal(rebuilt.rows, rows)


def test_tiles_and_regions_join_pieces_across_a_small_gap():
    a = "全面落实全体教职工的安全工作责任开展隐患排查"
    b = "开展隐患排查全面落实全体教职工的安全工作责任"
    t = tiles(a, b, 4)
    assert sum(n for _i, _j, n in t) == len(a)  # both clauses, though they changed places
    (r,) = regions(t, 8, 13, 0.5)
    assert r.a_lo == 0 and r.a_hi == len(a)


def test_diff_ops_name_swapped_words_and_keep_both_texts_whole():
    src, chk = "全区教化系统深化实行党的十九大精神，新增学位3000个。", "全区教育系统深化实行党的十九大精神，新增学位2800个。"
    ops = diff_ops(src, chk)
    assert ("教化", "教育") in {(o.source_text, o.checked_text) for o in ops if o.tag == "synonym"}
    assert ("3000", "2800") in {(o.source_text, o.checked_text) for o in ops if o.tag == "variable"}
    assert "".join(o.source_text for o in ops) == src and "".join(o.checked_text for o in ops) == chk


# --- the command ------------------------------------------------------------------------------------

runner = CliRunner()


def test_check_file_prints_the_report_json_csv_and_html(seed_index, restored_003, tmp_path):
    html = tmp_path / "report.html"
    res = runner.invoke(app, ["check", str(restored_003), "--index", str(seed_index), "--no-paraphrase",
                              "--html", str(html)])
    assert res.exit_code == 0, res.output
    assert "总文字复制比" in res.output and "003_d3b064de2d82a876" in res.output
    assert "单篇最大文字复制比" in res.output
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert '<mark class="synonym">教育</mark>' in page
    res = runner.invoke(app, ["check", str(restored_003), "--index", str(seed_index), "--no-paraphrase", "--json"])
    assert res.exit_code == 0, res.output
    recs = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    summary = recs[0]
    assert summary["type"] == "summary" and summary["share"] >= 0.95
    assert set(summary["by_level"]) == {"verbatim", "disguised", "paraphrased"}
    assert summary["max_source"] == "003_d3b064de2d82a876"
    passage = next(r for r in recs if r["type"] == "passage" and r["level"] == "disguised")
    assert ["教化", "教育"] in passage["swapped"]
    assert {"source", "passage", "item"} <= {r["type"] for r in recs}
    res = runner.invoke(app, ["check", str(restored_003), "--index", str(seed_index), "--no-paraphrase",
                              "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.splitlines()[0].lstrip("\ufeff").startswith("type,level,chars")


def test_check_doc_compares_an_indexed_document_with_all_others(seed_index):
    res = runner.invoke(app, ["check", "--doc", "000_5ae896fcb747d54c#4", "--index", str(seed_index),
                              "--no-paraphrase", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.splitlines()[0])
    assert summary["max_source"] == "000_5ae896fcb747d54c#1" and summary["share"] >= 0.99
    assert summary["excluded"] == ["000_5ae896fcb747d54c#4"]


def test_a_file_the_index_holds_is_not_its_own_source(seed_index, tmp_path):
    # `plansearch check corpus/000_….txt#4` against the index of corpus/: before, 100 % "copied" from
    # itself; now it is left out, said so, and its real source (000#1) is found.
    res = runner.invoke(app, ["check", str(seed_path("000")) + "#4", "--index", str(seed_index),
                              "--no-paraphrase", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.splitlines()[0])
    assert summary["excluded"] == ["000_5ae896fcb747d54c#4"] and summary["max_source"] == "000_5ae896fcb747d54c#1"
    assert any("is in the index as 000_5ae896fcb747d54c#4" in n for n in summary["notices"])
    # the same text under another name is a copy like any other: 100 % from the indexed one
    copy = _write(tmp_path, "another_district.txt", seed_path("003").read_text(encoding="utf-8"))
    res = runner.invoke(app, ["check", str(copy), "--index", str(seed_index), "--no-paraphrase", "--json"])
    summary = json.loads(res.stdout.splitlines()[0])
    assert summary["max_source"] == "003_d3b064de2d82a876" and summary["share"] >= 0.99 and not summary["excluded"]


def test_html_report_escapes_what_the_document_says(seed_index, tmp_path):
    p = _write(tmp_path, "evil.txt", "<script>alert(1)</script>工作要点\n一、以科学发展观为指导,以建设教育强区为总目标,"
                                     "围绕“两个新城”建设<b>加粗</b>\n")
    html = tmp_path / "evil.html"
    res = runner.invoke(app, ["check", str(p), "--index", str(seed_index), "--no-paraphrase", "--html", str(html)])
    assert res.exit_code == 0, res.output
    page = html.read_text(encoding="utf-8")
    assert "<script>" not in page and "<b>加粗" not in page
    assert "&lt;b&gt;加粗&lt;/b&gt;" in page  # the item's text, shown as written


@pytest.mark.parametrize("args, message", [
    (["check", "--doc", "no_such_doc"], "unknown document id 'no_such_doc'"),
    (["check", "missing.txt"], "missing.txt: no such file"),
    (["check"], "give a FILE to check or --doc ID"),
    (["check", "--doc", "000_5ae896fcb747d54c#4", "--exclude", "nope"], "--exclude names an unknown document 'nope'"),
    (["check", "--doc", "000_5ae896fcb747d54c#4", "--min-chars", "1"], "--min-chars must be at least 2"),
    (["check", "--doc", "000_5ae896fcb747d54c#4", "--years", "2020-2010"], "empty year range"),
])
def test_bad_input_is_one_line_and_exit_1(seed_index, args, message):
    res = runner.invoke(app, args + ["--index", str(seed_index)])
    assert res.exit_code == 1
    assert message in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1


def test_an_unreadable_or_empty_file_is_one_line_and_exit_1(seed_index, tmp_path):
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"\x00\x01not a pdf at all\xff" * 50)
    empty = _write(tmp_path, "empty.txt", "   \n\n")
    for path in (binary, empty):
        res = runner.invoke(app, ["check", str(path), "--index", str(seed_index)])
        assert res.exit_code == 1, res.output
        assert str(path.name) in res.output and "Traceback" not in res.output
        assert len(res.output.strip().splitlines()) == 1


def test_no_index_yet_is_one_line(tmp_path, restored_003):
    res = runner.invoke(app, ["check", str(restored_003), "--index", str(tmp_path / "none")])
    assert res.exit_code == 1 and "no index" in res.output


def test_a_reworded_verb_before_a_place_suffix_is_an_edit_not_a_changed_place():
    # 002's "实施市区义务教育质量提升工程" with 实施 -> 采取: 采取 is no place, though 市 follows it;
    # the legend's "changed year, number or place" colour is for 新都 -> 华州 区 and masks alone
    src = "5.实施市区义务教育质量提升工程。"
    assert src[2:] in seed_path("002").read_text("utf-8")
    ops = diff_ops(src, src.replace("实施", "采取"))
    assert [(o.tag, o.source_text, o.checked_text) for o in ops if o.tag != "equal"] == [("replace", "实施", "采取")]
    places = diff_ops("新都区教育局2023年工作要点", "华州区教育局2023年工作要点")
    assert ("variable", "新都", "华州") in {(o.tag, o.source_text, o.checked_text) for o in places}
    masked = diff_ops("XX区教育局工作要点", "华州区教育局工作要点")
    assert ("variable", "XX", "华州") in {(o.tag, o.source_text, o.checked_text) for o in masked}


def test_one_copy_in_an_item_is_one_passage_and_every_figure_rounds_one_way(ix, seed_index, tmp_path):
    from plansearch.records import percent

    # 004's second plan copies its first; its item 22 is 004#1's item 20 less a clause in the
    # middle: one copy, one passage (it was two, touching)
    report = check_document(_indexed(ix, "004_4b2046a4564d6d1c#2"), ix)
    st = report.settings
    runs: dict[tuple[int, str], list] = {}
    for p in report.passages:
        runs.setdefault((p.checked_item, p.source_item.item_id), []).append(p)
    for (item, _src), ps in runs.items():
        ps.sort(key=lambda p: p.checked_start)
        for q, p in zip(ps, ps[1:]):
            between = report.doc.items[item].text[q.checked_end:p.checked_start]
            assert p.level == "paraphrased" or q.level == "paraphrased" or \
                len(compact(normalise(between))) > st.max_gap, (item, q.checked_text, p.checked_text)
    # 001 is 3.0504 % copied: the terminal said 3.1 %, the page (from the record's 0.0305) 3.0 %
    res = runner.invoke(app, ["check", "--doc", "001_c0800182451e36bf", "--index", str(seed_index), "--json"])
    summary = json.loads(res.stdout.splitlines()[0])
    table = runner.invoke(app, ["check", "--doc", "001_c0800182451e36bf", "--index", str(seed_index)])
    html = tmp_path / "r.html"
    runner.invoke(app, ["check", "--doc", "001_c0800182451e36bf", "--index", str(seed_index), "--html", str(html)])
    shown = percent(summary["share"])
    assert shown == "3.1%" and shown in table.stdout and shown in html.read_text("utf-8")
    items = [r for r in map(json.loads, res.stdout.splitlines()) if r["type"] == "item" and r["chars"]]
    assert all(percent(r["share"]) in table.stdout for r in items)
    # an item record says which text its share is of
    doc = _indexed(ix, "001_c0800182451e36bf")
    assert [r["text"] for r in items] == [doc.items[int(r["item_id"].split(":")[1])].text for r in items]


def test_the_html_report_is_written_even_when_the_terminal_report_is_cut_short(seed_index, tmp_path):
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("plansearch")
    html = tmp_path / "report.html"
    # `| head -c 200`: the reader closes the pipe after a few lines; the file must be there anyway
    p = subprocess.run(f'"{exe}" check --doc "000_5ae896fcb747d54c#4" --index "{seed_index}" --html "{html}"'
                       " | head -c 200", shell=True, capture_output=True, text=True, timeout=600)
    assert "99.6%" in p.stdout
    assert html.is_file() and "000_5ae896fcb747d54c#1" in html.read_text(encoding="utf-8")
