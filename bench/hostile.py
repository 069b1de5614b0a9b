"""The hostile pass of issue #24: the CLI run as a user would, over the machine's faults and damaged
files, each as a real process with a time limit. Counts tracebacks, hangs (over the limit) and data
lost (an index that answered before a fault and does not after it, or an input file that is not
indexed). Needs root for the read-only bind mount and the small tmpfs, as CI has.

    .venv/bin/python bench/hostile.py [--rounds N]      # prints the counts and every failure
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from plansearch.cli import app; app()"]
LIMIT = 120  # seconds a run may take before it counts as a hang


def live_docs_collection(db: Path) -> Path:
    """The documents collection of a Milvus Lite index's live version, read from the alias that
    names it: a build keeps the version before the live one too, and their names (a second's
    timestamp and a random suffix) do not sort by age when both were made in the same second."""
    import json

    items = next(iter(json.loads((db / "aliases.json").read_text(encoding="utf-8")).values()))
    return db / "collections" / (items.rsplit("__", 1)[0] + "__docs")


def run(*args, stdout=subprocess.PIPE, env=None, limit: float = LIMIT) -> tuple[int | None, str, float]:
    t0 = time.monotonic()
    try:
        p = subprocess.run([*CLI, *map(str, args)], stdout=stdout, stderr=subprocess.PIPE, text=True,
                           timeout=limit, env={**os.environ, **(env or {})})
        out = (p.stdout or "") + p.stderr
        return p.returncode, out, time.monotonic() - t0
    except subprocess.TimeoutExpired:
        return None, "", time.monotonic() - t0


def sh(*cmd) -> bool:
    return subprocess.run(list(map(str, cmd)), capture_output=True).returncode == 0


class Tally:
    def __init__(self):
        self.runs = self.tracebacks = self.hangs = self.lost = 0
        self.failures: list[str] = []

    def check(self, name: str, result, ok_codes=(0, 1)) -> bool:
        code, out, _secs = result
        self.runs += 1
        if code is None:
            self.hangs += 1
            self.failures.append(f"hang: {name}")
            return False
        if "Traceback" in out:
            self.tracebacks += 1
            self.failures.append(f"traceback: {name}: {out.strip().splitlines()[-1][:160]}")
            return False
        if code not in ok_codes:
            self.failures.append(f"exit {code}: {name}: {out.strip()[-160:]}")
            return False
        return True

    def answers(self, name: str, ix: Path) -> None:
        code, out, _ = run("search", "留守儿童关爱", "--index", ix, "-k", "1")
        if code != 0 or "留守" not in out:
            self.lost += 1
            self.failures.append(f"lost: {name}: {out.strip()[-160:]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1)
    rounds = ap.parse_args().rounds
    t = Tally()
    root = Path(tempfile.mkdtemp(prefix="plansearch-hostile-"))
    corpus = root / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    ix = root / "index"
    # the set-up build embeds the sample corpus cold: not a case, so not held to the hang limit
    assert run("index", corpus, "--index", ix, limit=1800)[0] == 0
    docs = [ln.split()[0] for ln in run("docs", corpus, "--format", "csv")[1].splitlines()[1:] if "," in ln]
    a, b = sorted(corpus.glob("00*.txt"))[:2]
    reading = [["search", "留守儿童关爱"], ["search", "留守儿童", "--by", "year"], ["trend", "留守儿童"],
               ["compare", a, b], ["check", b], ["reuse"], ["outline", a.stem + "#1"]]
    for _ in range(rounds):
        # read-only index
        ro = root / "ro"
        ro.mkdir(exist_ok=True)
        if sh("mount", "--bind", ix, ro) and sh("mount", "-o", "remount,bind,ro", ro):
            for args in reading:
                t.check(f"read-only {args[0]}", run(*args, "--index", ro))
            t.check("read-only index", run("index", corpus, "--index", ro), ok_codes=(1,))
            sh("umount", "-l", ro)
        t.answers("read-only", ix)
        # full disk: a build, and output
        disk = root / "disk"
        disk.mkdir(exist_ok=True)
        if sh("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", disk):
            t.check("full disk build", run("index", corpus, "--index", disk / "ix"), ok_codes=(1,))
            if list((disk / "ix").glob(".tmp-gen-*")):
                t.failures.append("full disk: .tmp-gen left")
            sh("umount", "-l", disk)
        for args in (["search", "留守儿童", "--json", "--index", ix], ["search", "留守儿童", "--format", "csv", "--index", ix],
                     ["docs", corpus, "--json"], ["docs", corpus], ["compare", a, b, "--index", ix],
                     ["trend", "留守儿童", "--index", ix, "--json"], ["reuse", "--index", ix, "--json"]):
            with open("/dev/full", "w") as full:
                t.check(f"/dev/full {args[0]}", run(*args, stdout=full), ok_codes=(1,))
        # names, bytes, sizes
        odd = root / "odd"
        shutil.rmtree(odd, ignore_errors=True)
        odd.mkdir()
        shutil.copy(a, odd / os.fsdecode(b"bad-\xff.txt"))
        data = b.read_bytes()
        cut = data.index("。".encode(), len(data) // 2) + 3
        (odd / "stray.txt").write_bytes(data[:cut] + b"\xff" + data[cut:])
        with open(odd / "sparse.txt", "wb") as f:
            f.truncate(3 * 2**30)
        (odd / "one-line.txt").write_text(a.read_text(encoding="utf-8").replace("\n", "") * 300, encoding="utf-8")
        code, out, _ = run("docs", odd, "--json")
        t.check("odd files docs", (code, out, 0))
        for name in ("bad-\\\\xff", "stray", "one-line"):
            if f'"doc_id": "{name}' not in out:
                t.lost += 1
                t.failures.append(f"lost: {name} not listed")
        t.check("odd files index", run("index", odd, "--index", root / "odd-ix"))
        t.check("check sparse", run("check", odd / "sparse.txt", "--index", ix), ok_codes=(1,))
        # damage in the index folder
        for case in ("cache-mid", "lock-dir", "store-json"):
            c = root / f"ix-{case}"
            shutil.rmtree(c, ignore_errors=True)
            shutil.copytree(ix, c)
            if case == "cache-mid":
                p = c / "cache.sqlite"
                size = p.stat().st_size
                with open(p, "r+b") as f:
                    f.seek(size - size // 8)
                    f.write(b"\xff" * (size // 8))
                t.check(case, run("index", corpus, "--index", c, "--force"))
            elif case == "lock-dir":
                (c / ".lock").unlink(missing_ok=True)
                (c / ".lock").mkdir()
                t.check(case, run("index", corpus, "--index", c, "--force"), ok_codes=(1,))
                (c / ".lock").rmdir()
            else:
                (c / "store.json").write_text("garbage{", encoding="utf-8")
                t.check(case + " search", run("search", "教育", "--index", c), ok_codes=(1,))
                t.check(case + " index --force", run("index", corpus, "--index", c, "--force"))
            t.answers(case, c)
        # Milvus Lite damage
        try:
            import milvus_lite  # noqa: F401
            import pymilvus  # noqa: F401
        except ImportError:
            continue
        mv = root / "mv"
        shutil.rmtree(mv, ignore_errors=True)
        if not t.check("milvus build", run("index", corpus, "--index", mv, "--store", f"milvus-lite:{mv / 'plans.db'}")):
            continue
        pristine = root / "mv-pristine"
        shutil.rmtree(pristine, ignore_errors=True)
        shutil.copytree(mv, pristine)
        for how in ("db-file", "aliases", "parquet-trunc", "parquet-zero", "schema", "manifest"):
            shutil.rmtree(mv, ignore_errors=True)
            shutil.copytree(pristine, mv)
            db = mv / "plans.db"
            docs_dir = live_docs_collection(db)  # damage in the version before it is not what is tested
            parquet = next(docs_dir.glob("partitions/_default/data/*.parquet"))
            if how == "db-file":
                shutil.rmtree(db)
                db.write_bytes(os.urandom(4096))
            elif how == "aliases":
                (db / "aliases.json").write_bytes(os.urandom(300))
            elif how == "parquet-trunc":
                os.truncate(parquet, 100)
            elif how == "parquet-zero":
                parquet.write_bytes(b"\0" * parquet.stat().st_size)
            elif how == "schema":
                (docs_dir / "schema.json").write_bytes(os.urandom(200))
            else:
                (docs_dir / "manifest.json").write_bytes(os.urandom(200))
            code, out, s = run("search", "留守儿童关爱", "--index", mv)
            t.check(f"milvus {how} search", (code, out, s), ok_codes=(1,))
            if code == 1 and len(out.strip().splitlines()) != 1:
                t.failures.append(f"milvus {how}: {len(out.strip().splitlines())} lines of error")
            t.check(f"milvus {how} index", run("index", corpus, "--index", mv))
            t.answers(f"milvus {how}", mv)
    shutil.rmtree(root, ignore_errors=True)
    print(f"hostile pass: {t.runs} runs, {t.tracebacks} tracebacks, {t.hangs} hangs, {t.lost} data lost, "
          f"{len(t.failures)} failures")
    for f in t.failures:
        print("  " + f)


if __name__ == "__main__":
    main()
