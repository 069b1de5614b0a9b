"""The benchmark's corpus generator keeps its promises; the benchmark runs end to end (slow)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.gen_corpus import generate, load_seed_material, make_compare_pair, read_truth  # noqa: E402
from plansearch.corpus import load_corpus  # noqa: E402
from plansearch.normalise import normalise  # noqa: E402


@pytest.fixture(scope="module")
def material():
    return load_seed_material()


@pytest.fixture(scope="module")
def small(tmp_path_factory, material):
    out = tmp_path_factory.mktemp("synth")
    summary = generate(600, out, seed=3, items_per_doc=40, copy_rate=0.5, trad_share=0.3, mat=material)
    return out, summary, load_corpus(out / "docs")


def test_every_generated_item_is_parsed_as_written(small):
    out, summary, docs = small
    prov = json.loads((out / "provenance.json").read_text())
    assert len(docs) == summary["documents"] == len(prov)
    assert sum(len(d.items) for d in docs) == summary["items"]
    for d in docs:
        assert len(d.items) == len(prov[d.doc_id]), d.doc_id
        assert all(it.label.rstrip(".").isdigit() for it in d.items)


def test_planted_copies_stand_in_both_documents(small):
    out, summary, docs = small
    by_id = {d.doc_id: d for d in docs}
    truth = read_truth(out)
    assert len(truth) == summary["copies"] >= 5
    assert {t["kind"] for t in truth} == {"items", "sentences"}
    for t in truth:
        src, tgt = t["source"], t["target"]
        assert src["doc"] != tgt["doc"]
        for side in (src, tgt):
            doc = by_id[side["doc"]]
            for o, text in zip(side["items"], side["text"]):
                assert text in doc.items[o].text  # the copy is where the truth says, as written
        # the copied text is the same passage on both sides (one small edit at most)
        a = normalise("".join(src["text"]))
        b = normalise("".join(tgt["text"]))
        if not t["edited"]:
            assert a == b
        else:
            import difflib

            assert difflib.SequenceMatcher(None, a, b).ratio() > 0.9


def test_planted_copies_are_long_enough_to_be_found(small):
    # min_chars=30 plus one edit near the middle: shorter copies are no fair target for reuse
    from bench.gen_corpus import MIN_COPY_CHARS, _copy_chars

    out, summary, _docs = small
    assert "chance_items_regenerated" in summary
    assert all(_copy_chars("".join(t["source"]["text"])) >= MIN_COPY_CHARS for t in read_truth(out))


def test_manifest_sets_years_and_regions(small):
    out, _summary, docs = small
    import csv

    rows = {r["file"][:-4]: r for r in csv.DictReader(open(out / "docs" / "manifest.csv", encoding="utf-8"))}
    for d in docs:
        assert d.year == int(rows[d.doc_id]["year"]) and d.region == rows[d.doc_id]["region"]


def test_compare_pair_truth_matches_the_parsed_plans(tmp_path, material):
    from rapidfuzz.distance import Indel

    truth = make_compare_pair(30, tmp_path, seed=1, mat=material)
    (a,) = load_corpus(tmp_path / "a.txt")
    (b,) = load_corpus(tmp_path / "b.txt")
    assert len(a.items) == 30 and len(b.items) == len(truth)
    kept = 0
    for j, i in enumerate(truth):
        if i is None:  # a new item is none of A's
            assert all(b.items[j].text != it.text for it in a.items), j
            continue
        if b.items[j].text == a.items[i].text:
            kept += 1
        else:  # an edited item stays close to the A item the truth names
            assert Indel.normalized_similarity(b.items[j].text, a.items[i].text) >= 0.6, (j, i)
    assert kept >= 0.4 * len(truth)  # ~60% of A is kept verbatim


@pytest.mark.slow
def test_quick_benchmark_writes_a_table(tmp_path, seed_item_vectors):
    out = tmp_path / "RESULTS.md"
    p = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--out", str(out),
                        "--work", str(tmp_path / "work"), "--seed-vectors", str(seed_item_vectors)],
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert "Machine:" in text and "| items |" in text and "pre-cached synthetic vectors" in text
    targets = text.split("## Targets", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in targets.splitlines() if ln.startswith("| ") and not ln.startswith(("| target", "|---"))]
    assert rows, targets
    status = {ln.strip("| ").split(" |", 1)[0]: ln.rstrip(" |").rsplit("|", 1)[-1].strip() for ln in rows}
    assert all(st.startswith(("met", "missed")) for st in status.values()), status
    # what a 10^3 run must meet whatever the machine's load: memory, re-indexing, reuse. (Latency
    # depends on the load; the 2.5 KB an item target is missed at every size while the vectors are
    # float16, bench/RESULTS-1e7.md, and the table must say so rather than hide it.)
    must = [t for t in status if t.startswith(("build peak RSS", "re-index unchanged", "reuse over"))]
    assert len(must) == 3 and all(status[t].startswith("met") for t in must), status
    assert status["disk ≤ 2.5 KB an item, index and cache (1,000 items)"] == "missed"


def test_a_benchmark_run_keeps_the_sections_other_benchmarks_wrote():
    from bench.run import keep_marked_sections

    old = ("# plansearch benchmarks\nold tables\n<!-- check-bench:begin -->\n## check\nfigures\n"
           "<!-- check-bench:end -->\n<!-- web-bench:begin -->\n## web\nold web\n<!-- web-bench:end -->\n")
    new = "# plansearch benchmarks\nnew tables\n<!-- web-bench:begin -->\n## web\nnew web\n<!-- web-bench:end -->\n"
    out = keep_marked_sections(old, new)
    assert "new tables" in out and "old tables" not in out
    assert "## check\nfigures" in out  # kept from the old file
    assert "new web" in out and "old web" not in out  # rewritten by this run: its own wins
