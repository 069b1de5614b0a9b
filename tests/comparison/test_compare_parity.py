"""Parity with a peer (bm25s's tests/comparison pattern): our item alignment against rapidfuzz's
best match (`process.cdist` with `fuzz.ratio`, i.e. extractOne per B item, cut-off 60) on the same
masked keys, on real plans: the two seed plans and every pair of consecutive national work
reports. The mapping, the peer and the agreement are bench/run.py's own functions, so the bench
figures and this test cannot drift apart; the floors are the figures bench/RESULTS.md reports
(bench/compare-real.json for real plans, 0.999 on the synthetic 1000-item pair).

Where we differ from the peer we do so on purpose, and each difference is checked to be one of
those: an extra copy of a repeated item in B (各位代表！) that we call new where best-match sends
it to a copy A has already paired, or an item we pair by containment (a split, a cut) whose best
ratio is below the peer's cut-off.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.compare_real import OUT_JSON, real_pairs  # noqa: E402
from bench.run import agreement, masked_keys, ours_map, rapidfuzz_map  # noqa: E402
from plansearch import load_corpus  # noqa: E402
from plansearch.compare import compare  # noqa: E402

SYNTHETIC_AGREEMENT = 0.999  # bench/RESULTS.md, 1000×1000 synthetic plans


@pytest.fixture(scope="module")
def docs(gwr_dir):
    return {d.doc_id: d for path in (gwr_dir, REPO / "corpus") for d in load_corpus(path)}


@pytest.fixture(scope="module")
def reported() -> dict:
    return json.loads(OUT_JSON.read_text(encoding="utf-8"))["parity"]


def pair_ids(docs) -> list[tuple[str, str]]:
    return real_pairs(docs)


def test_every_real_pair_is_checked(docs, reported):
    assert len(pair_ids(docs)) == len(reported["pairs"]) >= 13
    assert {f"{a} → {b}" for a, b in pair_ids(docs)} == set(reported["pairs"])


@pytest.mark.parametrize("k", range(13))
def test_alignment_agrees_with_rapidfuzz_as_often_as_results_report(k, docs, reported):
    a, b = (docs[x] for x in pair_ids(docs)[k])
    cmp = compare(a, b, semantic=False)
    ka, kb = masked_keys(a), masked_keys(b)
    ours, peer = ours_map(cmp), rapidfuzz_map(ka, kb)
    agree = agreement(ours, peer, ka)
    assert agree >= reported["min"] - 1e-9
    assert agree == pytest.approx(reported["pairs"][f"{a.doc_id} → {b.doc_id}"])
    if a.doc_id.startswith("000") or a.doc_id.startswith("004"):
        assert agree >= SYNTHETIC_AGREEMENT  # the seed plans: as on the synthetic benchmark

    # Each difference is a deliberate one.
    from rapidfuzz import fuzz

    paired_keys = [ka[i] for i in ours if i is not None]
    for j, (mine, theirs) in enumerate(zip(ours, peer)):
        if mine == theirs or (mine is not None and theirs is not None and ka[mine] == ka[theirs]):
            continue
        if mine is None:  # an extra copy: B holds the key more often than A can pair it
            assert kb.count(kb[j]) > ka.count(kb[j]) and paired_keys.count(ka[theirs]) >= ka.count(ka[theirs]), (j, kb[j])
        else:  # paired by containment, below the peer's cut-off
            (al,) = [al for al in cmp.alignments if any(it.ordinal == j for it in al.b_items)]
            assert fuzz.ratio(ka[mine], kb[j]) < 60 and al.containment >= cmp.thresholds.contain_min, (j, kb[j])
