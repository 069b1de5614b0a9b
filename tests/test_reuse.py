"""`find_reuse` / `plansearch reuse`: passages copied across documents, on the real corpora."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from plansearch import PlansearchError, find_reuse
from plansearch.cli import app
from plansearch.fingerprint import FingerprintText, shared_runs
from plansearch.models import Document, Item
from plansearch.reuse import MAX_GAP

from conftest import CORPUS

SAME_PLAN = {"000_5ae896fcb747d54c#1", "000_5ae896fcb747d54c#4"}


def _wording(text: str) -> str:
    return FingerprintText.from_text(text).text


@pytest.fixture(scope="module")
def corpus_report(corpus_docs):
    return find_reuse(corpus_docs)


@pytest.fixture(scope="module")
def gwr_docs(gwr_dir):
    from plansearch import load_corpus

    return load_corpus(gwr_dir)


@pytest.fixture(scope="module")
def gwr_report(gwr_docs):
    return find_reuse(gwr_docs)


# ---------------------------------------------------------------- seed corpus


def test_the_plan_compiled_twice_in_seed_000_is_the_top_cluster_covering_both(corpus_report, docs_by_id):
    top = corpus_report.clusters[0]
    assert {p.doc_id for p in top.locations} == SAME_PLAN and top.n_docs == 2
    assert len(top.locations) == 2  # one copied plan is one passage, not one per sentence
    for loc in top.locations:
        doc = docs_by_id[loc.doc_id]
        # the passage runs from the first heading to the last item of each plan
        assert loc.start <= min(it.start for it in doc.items) and loc.end >= doc.items[-2].end
        assert loc.text == doc.text[loc.start:loc.end]
    assert top.chars > 2500 and top.score > 10 * corpus_report.clusters[1].score
    # 201X in the first copy, 202_ in the fourth: masked years do not break the passage
    texts = {p.doc_id: p.text for p in top.locations}
    assert "201X" in texts["000_5ae896fcb747d54c#1"] and "202_" in texts["000_5ae896fcb747d54c#4"]


def test_the_two_copies_stand_almost_entirely_in_each_other(corpus_report):
    shares = {s.doc_id: s for s in corpus_report.doc_shares}
    for doc_id in SAME_PLAN:
        (other,) = SAME_PLAN - {doc_id}
        assert shares[doc_id].share_any > 0.99  # measured 0.999 and 1.000
        assert shares[doc_id].sources[0].doc_id == other
    assert shares["000_5ae896fcb747d54c#2"].share_any == 0.0  # a different plan on the same page


def test_locations_name_the_items_their_span_overlaps(corpus_report, docs_by_id):
    for cluster in corpus_report.clusters:
        for loc in cluster.locations:
            doc = docs_by_id[loc.doc_id]
            overlapping = tuple(it.ordinal for it in doc.items if it.start < loc.end and it.end > loc.start)
            assert loc.item_ordinals == overlapping and loc.item_ordinal == overlapping[0]


def test_doc_restricts_to_clusters_touching_it_and_unknown_ids_get_suggestions(corpus_docs):
    rep = find_reuse(corpus_docs, doc="004_4b2046a4564d6d1c#2")
    assert rep.clusters and all(any(p.doc_id == "004_4b2046a4564d6d1c#2" for p in c.locations)
                                for c in rep.clusters)
    assert [s.doc_id for s in rep.doc_shares] == ["004_4b2046a4564d6d1c#2"]
    with pytest.raises(PlansearchError, match="did you mean .*000_5ae896fcb747d54c#"):
        find_reuse(corpus_docs, doc="000_5ae896fcb747d54c#9")


def test_no_documents_or_one_document_means_no_clusters(corpus_docs):
    assert find_reuse([]).clusters == [] and find_reuse([]).doc_shares == []
    alone = find_reuse([corpus_docs[0]])
    assert alone.clusters == [] and alone.doc_shares[0].share_any == 0.0


def test_bad_options_are_user_errors(corpus_docs):
    with pytest.raises(PlansearchError, match="across"):
        find_reuse(corpus_docs, across="decades")
    with pytest.raises(PlansearchError, match="min_chars"):
        find_reuse(corpus_docs, min_chars=0)


# ---------------------------------------------------------------- boilerplate


def _doc(doc_id: str, paragraphs: list[str]) -> Document:
    text = "\n".join(paragraphs)
    doc = Document(doc_id=doc_id, source=doc_id, title=doc_id, text=text)
    start = 0
    for n, para in enumerate(paragraphs):
        doc.items.append(Item(doc_id=doc_id, ordinal=n, label="", number=None, level=1, path=(), text=para,
                              start=start, end=start + len(para)))
        start += len(para) + 1
    return doc


def test_a_phrase_every_plan_has_ranks_below_a_passage_two_plans_share(corpus_docs):
    boiler = "以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针，落实立德树人根本任务，办人民满意的教育。"
    copied = "实施城乡学校共同体建设，推动城区优质学校与乡村薄弱学校结对帮扶，教师交流轮岗比例不低于百分之十五。"
    # six documents of different real text, each opening with the same boilerplate sentence
    own = [it.text for d in corpus_docs for it in d.items if len(it.text) > 60][:6]
    docs = [_doc(f"d{n}", [boiler, text] + ([copied] if n in (1, 4) else [])) for n, text in enumerate(own)]
    rep = find_reuse(docs)
    ranked = [{p.doc_id for p in c.locations} for c in rep.clusters]
    assert ranked[0] == {"d1", "d4"}
    every = ranked.index({f"d{n}" for n in range(6)})
    assert rep.clusters[every].chars * 6 > rep.clusters[0].chars * 2  # longer × more documents ...
    assert every > 0  # ... yet ranked lower: it is in every document
    assert all({f"d{n}" for n in range(6)} != ids for ids in [{p.doc_id for p in c.locations}
                                                              for c in find_reuse(docs, max_spread=5).clusters])


_PIECE = st.text(alphabet="教育工作强区发展", min_size=0, max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_PIECE, min_size=1, max_size=4), min_size=2, max_size=4), _PIECE, st.integers(6, 20))
def test_every_verbatim_run_of_min_chars_between_two_documents_lies_in_one_cluster(bodies, shared, min_chars):
    docs = [_doc(f"d{n}", parts + ([shared] if n % 2 else [])) for n, parts in enumerate(bodies)]
    rep = find_reuse(docs, min_chars=min_chars)
    texts = [FingerprintText.from_text(d.text) for d in docs]
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            for run in shared_runs(texts[i], texts[j], min_len=min_chars):
                assert any(
                    any(p.doc_id == f"d{i}" and p.start <= run.a_start and run.a_end <= p.end for p in c.locations)
                    and any(p.doc_id == f"d{j}" and p.start <= run.b_start and run.b_end <= p.end
                            for p in c.locations)
                    for c in rep.clusters), (i, j, run)


# ---------------------------------------------------------------- government work reports


def _find_location(report, doc_id: str, sentence: str, docs_by_id: dict):
    start = docs_by_id[doc_id].text.index(sentence)
    for c in report.clusters:
        for loc in c.locations:
            if loc.doc_id == doc_id and loc.start <= start and start + len(sentence) <= loc.end:
                return c
    return None


def test_consecutive_reports_share_a_sentence_inside_longer_paragraphs(gwr_report, gwr_docs):
    by_id = {d.doc_id: d for d in gwr_docs}
    sentence = "自觉接受同级人大及其常委会的监督，自觉接受人民政协的民主监督，自觉接受社会和舆论监督。"
    cluster = _find_location(gwr_report, "national_gwr_2024", sentence, by_id)
    assert cluster is not None and cluster is _find_location(gwr_report, "national_gwr_2025", sentence, by_id)
    locs = {p.doc_id: p for p in cluster.locations}
    a, b = locs["national_gwr_2024"], locs["national_gwr_2025"]
    for loc in (a, b):
        item = by_id[loc.doc_id].items[loc.item_ordinal]
        assert len(item.text) > 3 * len(loc.text)  # a sentence-level passage, not the whole paragraph
        assert loc.text == by_id[loc.doc_id].text[loc.start:loc.end]
    assert _wording(a.text) == _wording(b.text)


def test_a_clause_inserted_next_year_keeps_the_sentence_one_passage(gwr_report, gwr_docs):
    by_id = {d.doc_id: d for d in gwr_docs}
    cluster = _find_location(gwr_report, "national_gwr_2025", "习近平主席等党和国家领导人出访多国", by_id)
    locs = {p.doc_id: p for p in cluster.locations}
    assert "上海合作组织峰会" in locs["national_gwr_2025"].text
    assert "上海合作组织峰会" not in locs["national_gwr_2024"].text
    assert locs["national_gwr_2024"].text.endswith("亚太经合组织领导人非正式会议")


def test_thanks_paragraph_recurs_through_the_years_despite_诚挚_becoming_衷心(gwr_report, gwr_docs):
    by_id = {d.doc_id: d for d in gwr_docs}
    cluster = _find_location(gwr_report, "national_gwr_2023", "表示诚挚感谢！向香港特别行政区同胞", by_id)
    ids = {p.doc_id for p in cluster.locations}
    assert {"national_gwr_2023", "national_gwr_2024", "national_gwr_2025"} <= ids
    assert "衷心感谢" in next(p.text for p in cluster.locations if p.doc_id == "national_gwr_2024")


def test_across_years_and_regions_keep_only_what_different_documents_share(gwr_docs):
    years = {d.doc_id: d.year for d in gwr_docs}
    regions = {d.doc_id: d.region for d in gwr_docs}
    by_years = find_reuse(gwr_docs, across="years")
    by_regions = find_reuse(gwr_docs, across="regions")
    assert by_years.clusters and by_regions.clusters
    assert all(len({years[p.doc_id] for p in c.locations}) > 1 for c in by_years.clusters)
    assert all(len({regions[p.doc_id] for p in c.locations}) > 1 for c in by_regions.clusters)
    # provinces' 2025 reports open alike ("我代表省人民政府，向大会报告工作"): same year, other regions
    opening = "向大会报告工作"
    assert any(all(opening in p.text for p in c.locations) for c in by_regions.clusters)
    assert not any(all(opening in p.text and p.doc_id.startswith("province") for p in c.locations)
                   for c in by_years.clusters)


def test_each_report_reuses_most_from_its_neighbouring_years(gwr_report, gwr_docs):
    shares = {s.doc_id: s for s in gwr_report.doc_shares}
    s2025 = shares["national_gwr_2025"]
    assert s2025.sources[0].doc_id == "national_gwr_2024" and s2025.sources[0].earlier
    assert 0 < s2025.share_earlier <= s2025.share_any
    assert shares["national_gwr_2013"].share_earlier == 0.0  # nothing earlier in the corpus


# ---------------------------------------------------------------- CLI


runner = CliRunner()


def test_cli_json_gives_ranked_clusters_then_one_share_record_per_document(corpus_docs):
    res = runner.invoke(app, ["reuse", str(CORPUS), "--json", "--top", "2"])
    assert res.exit_code == 0, res.output
    records = [json.loads(line) for line in res.stdout.splitlines()]
    clusters = [r for r in records if r["type"] == "cluster"]
    shares = [r for r in records if r["type"] == "doc_share"]
    assert [c["rank"] for c in clusters] == [1, 2] and len(shares) == len(corpus_docs)
    top = clusters[0]
    assert {loc["doc_id"] for loc in top["locations"]} == SAME_PLAN and top["chars"] > 2500
    loc = top["locations"][0]
    assert set(loc) >= {"doc_id", "item_id", "label", "path", "start", "end", "text"}
    assert loc["item_id"].startswith(loc["doc_id"] + ":")


def test_cli_terminal_lists_passages_and_the_share_table():
    res = runner.invoke(app, ["reuse", str(CORPUS), "--top", "1", "--min-chars", "40"])
    assert res.exit_code == 0, res.output
    assert "2 docs" in res.stdout and "000_5ae896fcb747d54c#4" in res.stdout and "in any other" in res.stdout


def test_cli_errors_are_one_line(tmp_path):
    res = runner.invoke(app, ["reuse", str(CORPUS), "--doc", "000_5ae896fcb747d54c#9"])
    assert res.exit_code == 1 and "did you mean" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["reuse", str(tmp_path)])
    assert res.exit_code == 1 and "no documents" in res.output


def test_across_levels_keeps_what_a_province_shares_with_the_national_report(gwr_docs, gwr_dir):
    report = find_reuse(gwr_docs, across="levels")
    levels = {d.doc_id: d.level for d in gwr_docs}
    assert report.clusters
    for c in report.clusters:
        assert len({levels[loc.doc_id] for loc in c.locations}) > 1
    result = runner.invoke(app, ["reuse", str(gwr_dir), "--level", "province", "--json"])
    assert result.exit_code == 0, result.output
    ids = {loc["doc_id"] for line in result.stdout.splitlines()
           for loc in json.loads(line).get("locations", [])}
    assert ids and all(i.startswith("province_") for i in ids)


def test_a_passage_is_shown_in_its_whole_sentences_with_the_copy_marked(gwr_docs, gwr_report, gwr_dir):
    from plansearch.normalise import SENTENCE_CLOSERS, SENTENCE_END
    from plansearch.records import reuse_cluster_record

    docs = {d.doc_id: d for d in gwr_docs}
    ends = SENTENCE_END + SENTENCE_CLOSERS
    for cluster in gwr_report.clusters:
        for loc in cluster.locations:
            d = docs[loc.doc_id]
            first, last = d.items[loc.item_ordinals[0]], d.items[loc.item_ordinals[-1]]
            assert loc.sentence_start <= loc.start < loc.end <= loc.sentence_end
            before = d.text[first.start:loc.sentence_start].rstrip()
            assert not before or before[-1] in ends, (loc.doc_id, d.text[loc.sentence_start:loc.end][:30])
            assert loc.sentence_end >= last.end or d.text[loc.sentence_end - 1] in ends  # (or it runs on into a heading)
    # the thanks every report gives ("…的结果，是全党…") was cut mid-sentence; its sentence is whole now
    top = gwr_report.clusters[0]
    rec = reuse_cluster_record(1, top, docs)
    a, b = rec["copied"]
    assert rec["sentence"][a:b] == top.text and a > 0 and rec["sentence"][:a].endswith("，")
    assert all(loc["sentence"][slice(*loc["copied"])] == loc["text"] for loc in rec["locations"])
    shown = runner.invoke(app, ["reuse", str(gwr_dir), "--top", "1"]).stdout
    assert rec["sentence"][:a] + "[" + top.text[:20] in "".join(shown.split())


# ---------------------------------------------------------------- at scale: boilerplate and a kept report


def _crowd(corpus_docs, n: int) -> tuple[list[Document], str]:
    """n documents of different real items, each holding the same real sentence (boilerplate)."""
    boiler = "以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针，落实立德树人根本任务，办人民满意的教育。"
    own = [it.text for d in corpus_docs for it in d.items if len(it.text) > 60][:n]
    assert len(own) == n
    return [_doc(f"d{i:02d}", [text, boiler]) for i, text in enumerate(own)], boiler


def test_a_sentence_in_more_plans_than_the_pair_cap_is_one_cluster_of_all_of_them(corpus_docs, monkeypatch):
    import plansearch.reuse as reuse_mod

    docs, boiler = _crowd(corpus_docs, 30)  # under PAIR_CAP (32): every pair is compared
    compared: list[tuple[int, int]] = []
    runs_from_seeds = reuse_mod.runs_from_seeds

    def counted(a, b, seeds, k, min_len):
        compared.append((a, b))
        return runs_from_seeds(a, b, seeds, k, min_len)

    monkeypatch.setattr(reuse_mod, "runs_from_seeds", counted)
    every = find_reuse(docs)
    pairs_all = len(compared)
    monkeypatch.setattr(reuse_mod, "PAIR_CAP", 8)  # 30 holders > 8: each pairs with a representative
    compared.clear()
    capped = find_reuse(docs)
    assert pairs_all >= 30 * 29 // 2 and len(compared) < 2 * 30  # linear in the holders, not square

    def crowd_cluster(report):
        return next(c for c in report.clusters if boiler[:20] in c.text)

    # the same passage, in the same 30 documents, each of them covered by the others as much
    assert crowd_cluster(capped).n_docs == crowd_cluster(every).n_docs == 30
    assert crowd_cluster(capped).text == crowd_cluster(every).text
    # each document's share comes out as before but for the few characters on either side of the
    # sentence that some documents happen to share (a run reaches them only against those)
    for c, e in zip(capped.doc_shares, every.doc_shares):
        assert c.doc_id == e.doc_id and 0 <= (e.share_any - c.share_any) * e.chars <= 2 * MAX_GAP, c.doc_id


def test_with_the_cap_each_document_is_still_compared_with_one_it_may_be_across(corpus_docs, monkeypatch):
    import plansearch.reuse as reuse_mod

    docs, boiler = _crowd(corpus_docs, 40)
    for n, d in enumerate(docs):
        d.year = 2022 if n < 39 else 2023  # one plan of another year among 39 of one year
    monkeypatch.setattr(reuse_mod, "PAIR_CAP", 8)
    report = find_reuse(docs, across="years")
    cluster = next(c for c in report.clusters if boiler[:20] in c.text)
    assert cluster.n_docs == 40  # the 2023 plan shares it with every 2022 one, and they with it
    assert all(s.share_any > 0 for s in report.doc_shares)


def test_an_index_keeps_its_reuse_report_and_its_fingerprint_pass(seed_index, fresh_home, monkeypatch):
    import plansearch.reuse as reuse_mod
    from plansearch.reuse import SeedTable, reuse_in_index
    from plansearch.store import open_index

    stages = []
    ix = open_index(seed_index)
    try:
        first, docs = reuse_in_index(ix, progress=lambda stage, done, total: stages.append((stage, done, total)))
        # every document was read for the fingerprint pass, and none is held after it
        assert docs and all(not d.items for d in docs)
        assert first.clusters and {s[0] for s in stages} == {"fingerprinting the documents (once per index)",
                                                             "comparing the documents that share passages"}
        assert stages[-1][1] == stages[-1][2]  # the bar ends full
        assert len(list((fresh_home / "reuse").glob("*.pickle"))) == 1
        assert len(list((fresh_home / "reuse").glob("*.npz"))) == 1

        def not_again(*args, **kwargs):
            raise AssertionError("computed again")

        # the whole report is read back; on a large index with no whole report kept, a document is
        # compared with the others alone, from the kept fingerprint pass
        monkeypatch.setattr(SeedTable, "build", not_again)
        monkeypatch.setattr(reuse_mod, "WHOLE_REPORT_MAX_ITEMS", 0)
        for p in (fresh_home / "reuse").glob("*.pickle"):
            p.rename(p.with_suffix(".aside"))
        doc = first.clusters[0].locations[0].doc_id
        one, _ = reuse_in_index(ix, doc=doc)
        assert one.clusters and all(any(p.doc_id == doc for p in c.locations) for c in one.clusters)
        assert [s.doc_id for s in one.doc_shares] == [doc]
        # compared with every other document itself, it finds the documents the whole report links it to
        linked = {p.doc_id for c in first.touching(doc).clusters for p in c.locations}
        assert {p.doc_id for c in one.clusters for p in c.locations} == linked
        assert one.doc_shares[0].share_any == pytest.approx(first.touching(doc).doc_shares[0].share_any)
        assert not list((fresh_home / "reuse").glob("*.pickle"))  # a document's part is not kept as the whole
        # it is kept as the document's own: the second call reads it, and the documents as metadata
        assert len(list((fresh_home / "reuse").glob("*.doc-report"))) == 1
        compare_all = reuse_mod._whole_report
        monkeypatch.setattr(reuse_mod, "_whole_report", not_again)
        monkeypatch.setattr(ix, "all_documents", not_again)
        kept, shown = reuse_in_index(ix, doc=doc)
        assert [c.text for c in kept.clusters] == [c.text for c in one.clusters]
        assert [s.share_any for s in kept.doc_shares] == [s.share_any for s in one.doc_shares]
        assert len(shown) == len(docs)
        monkeypatch.setattr(reuse_mod, "_whole_report", compare_all)
        monkeypatch.delattr(ix, "all_documents")
        for p in (fresh_home / "reuse").glob("*.aside"):
            p.rename(p.with_suffix(".pickle"))
        monkeypatch.setattr(reuse_mod, "_whole_report", not_again)
        again, _ = reuse_in_index(ix)
        assert [c.text for c in again.clusters] == [c.text for c in first.clusters]
        with pytest.raises(PlansearchError, match="unknown document id 'no-such-plan'"):
            reuse_in_index(ix, doc="no-such-plan")
    finally:
        ix.close()
    # a damaged kept report is computed again, not an error
    for p in (fresh_home / "reuse").glob("*.pickle"):
        p.write_bytes(b"not a pickle")
    monkeypatch.undo()
    ix = open_index(seed_index)
    try:
        again, _ = reuse_in_index(ix)
        assert [c.text for c in again.clusters] == [c.text for c in first.clusters]
    finally:
        ix.close()


@pytest.mark.parametrize("lang, said", [("zh", "（跨年份）"), ("en", "(across years)")])
def test_the_report_names_its_across_choice_in_the_readers_language(gwr_dir, lang, said):
    # `reuse --across years` in Chinese said "（跨 years）": the option's own value reached the reader
    result = runner.invoke(app, ["--lang", lang, "reuse", str(gwr_dir), "--across", "years", "--top", "1"])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert said in first and (lang == "en" or "years" not in first), first
