"""End to end through the installed command, as a new user runs it: a fresh venv with README's
install only (core dependencies, no extras), then the real `plansearch` console script in a
subprocess on corpus/ and on ../shared/corpora/gwr, asserting on what the user reads: the right
document, the right year, a one-line error with exit 1. Then every `plansearch` line of README.md,
run as shown.

A suite that installs every extra and drives the CLI in-process missed a crash of `compare` after a
plain install (rapidfuzz sat in an extra): this group installs what a user installs."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from conftest import CORPUS, REPO, require_shared
from plansearch.store import copy_cache

pytestmark = pytest.mark.slow

GWR_REL = "../shared/corpora/gwr"


@pytest.fixture(scope="session")
def user_bin(tmp_path_factory) -> Path:
    """bin/ of a venv holding plansearch installed the way README's first command installs it
    (`pip install .` of this checkout, core dependencies only)."""
    env_dir = tmp_path_factory.mktemp("user-venv")
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip"]
    subprocess.run(pip + ["install", "-q", "--disable-pip-version-check", str(REPO)], check=True)
    extras = subprocess.run(pip + ["list", "--format=json"], check=True, capture_output=True, text=True)
    installed = {p["name"].lower() for p in json.loads(extras.stdout)}
    assert "sentence-transformers" not in installed and "torch" not in installed  # core only
    return env_dir / "bin"


@pytest.fixture(scope="session")
def workdir(tmp_path_factory, gwr_dir, gwr_index) -> Path:
    """A directory laid out like a clone beside ../shared: corpus/ (a copy), ../shared -> the real
    one, and gwr-index/ starting from the embeddings the in-process fixture already made (so the
    work reports are indexed through the command without re-embedding them)."""
    base = tmp_path_factory.mktemp("e2e")
    work = base / "repo"
    work.mkdir()
    shutil.copytree(CORPUS, work / "corpus")
    shutil.copytree(REPO / "tests" / "data" / "unseen", work / "tests" / "data" / "unseen")  # README's check example
    (base / "shared").symlink_to(require_shared(REPO.parent / "shared"))
    (work / "gwr-index").mkdir()
    copy_cache(gwr_index / "cache.sqlite", work / "gwr-index" / "cache.sqlite")
    return work


def plansearch(user_bin: Path, workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{user_bin}{os.pathsep}{os.environ['PATH']}", PLANSEARCH_HOME=str(workdir / ".home"))
    env.pop("PLANSEARCH_INDEX", None)
    env.pop("PLANSEARCH_CORPUS", None)
    res = subprocess.run([str(user_bin / "plansearch"), *args], cwd=workdir, env=env, capture_output=True,
                         text=True, timeout=1800)
    if check:
        assert res.returncode == 0, f"plansearch {' '.join(args)}\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
    return res


def one_line_error(res: subprocess.CompletedProcess, fragment: str) -> None:
    assert res.returncode == 1, (res.stdout, res.stderr)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr and fragment in lines[0], res.stderr


def jsonl(res: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def indexed(user_bin, workdir) -> Path:
    """Both corpora indexed through the installed command: corpus/ cold (real embedding), the work
    reports from the carried-over embedding cache."""
    first = plansearch(user_bin, workdir, "index", "corpus/")
    assert "indexed 10 documents" in first.stdout and "embedded" in first.stdout
    again = plansearch(user_bin, workdir, "index", "corpus/")
    assert "up to date" in again.stdout
    gwr = plansearch(user_bin, workdir, "index", GWR_REL, "--index", "gwr-index")
    assert "indexed 18 documents" in gwr.stdout and "embedded 0" in gwr.stdout
    return workdir


# --- every command once, on both corpora ---------------------------------------------------------------

def test_docs_lists_both_corpora(user_bin, workdir):
    out = plansearch(user_bin, workdir, "docs").stdout
    assert "000_5ae896fcb747d54c#1" in out and "东营市" in out
    recs = jsonl(plansearch(user_bin, workdir, "docs", GWR_REL, "--json"))
    assert len(recs) == 18 and {r["doc_id"] for r in recs} >= {"national_gwr_2013", "province_sichuan_gwr_2025"}
    assert all(r["year"] for r in recs)


def test_outline_by_id_by_file_and_from_the_index(user_bin, indexed):
    out = plansearch(user_bin, indexed, "outline", "000_5ae896fcb747d54c#1").stdout
    assert "⒈" in out and "进一步改善办学条件" in out
    rec = json.loads(plansearch(user_bin, indexed, "outline", "corpus/003_d3b064de2d82a876.txt", "--json").stdout)
    assert rec["doc_id"] == "003_d3b064de2d82a876" and rec["outline"]
    rec = json.loads(plansearch(user_bin, indexed, "outline", "national_gwr_2025", "--index", "gwr-index",
                                "--json").stdout)
    assert rec["doc_id"] == "national_gwr_2025"


def test_search_modes_filters_and_groups(user_bin, indexed):
    hits = jsonl(plansearch(user_bin, indexed, "search", "留守儿童关爱", "--json"))
    assert {"000_5ae896fcb747d54c#2", "001_c0800182451e36bf"} <= {h["doc_id"] for h in hits}
    trad = jsonl(plansearch(user_bin, indexed, "search", "留守兒童", "--mode", "keyword", "--json"))
    assert trad and all("留守" in h["text"] or "留守" in h["text"].replace("兒", "儿") for h in trad[:3])
    para = jsonl(plansearch(user_bin, indexed, "search", "父母不在身边的孩子", "-k", "5", "--json"))
    assert any("留守" in h["text"] for h in para)
    kind = jsonl(plansearch(user_bin, indexed, "search", "控辍保学", "--kind", "plan", "--json"))
    assert kind and all(h["kind"] in ("plan", "mixed") for h in kind)
    issuer = jsonl(plansearch(user_bin, indexed, "search", "教师培训", "--issuer", "教育局", "--json"))
    assert issuer and all("教育局" in (h["issuer"] or "") for h in issuer)
    region = jsonl(plansearch(user_bin, indexed, "search", "教育", "--region", "东营", "--json"))
    assert region and {h["doc_id"] for h in region} == {"001_c0800182451e36bf"}
    groups = jsonl(plansearch(user_bin, indexed, "search", "留守儿童", "--by", "year", "--json"))
    # 2022's one plan (003) never says 留守: its year answers "no match", no hit
    assert "2011" in {g["group"] for g in groups} and "2022" not in {g["group"] for g in groups}
    for mode in ("dense", "keyword", "rrf", "weighted", "tiebreak"):
        assert jsonl(plansearch(user_bin, indexed, "search", "教师培训", "--mode", mode, "--json", "-k", "2"))


def test_search_on_the_work_reports_by_year_and_range(user_bin, indexed):
    hits = jsonl(plansearch(user_bin, indexed, "search", "减税降费", "--index", "gwr-index", "--year", "2024",
                            "--json", "-k", "30"))
    assert "national_gwr_2024" in {h["doc_id"] for h in hits}
    hits = jsonl(plansearch(user_bin, indexed, "search", "减税降费", "--index", "gwr-index", "--years",
                            "2019-2022", "--json", "-k", "60"))
    assert {"national_gwr_2019", "national_gwr_2021", "national_gwr_2022"} <= {h["doc_id"] for h in hits}
    by_year = plansearch(user_bin, indexed, "search", "老百姓看病贵", "--index", "gwr-index", "--by", "year",
                         "-k", "1").stdout
    assert "2013" in by_year and "2025" in by_year and "no document for this year" in by_year  # 2020 is missing
    none = plansearch(user_bin, indexed, "search", "课后服务", "--index", "gwr-index", "-k", "3")
    assert "no item holds all of" in none.stderr


def test_search_with_an_approximate_vector_backend(user_bin, indexed):
    # from the first index's embeddings: what is under test is the PQ index built over them
    (indexed / "pq-index").mkdir()
    copy_cache(indexed / "index" / "cache.sqlite", indexed / "pq-index" / "cache.sqlite")
    built = plansearch(user_bin, indexed, "index", "corpus/", "--index", "pq-index", "--vectors", "pq")
    assert "embedded 0" in built.stdout, built.stdout
    hits = jsonl(plansearch(user_bin, indexed, "search", "留守儿童关爱", "--index", "pq-index", "--json"))
    assert "000_5ae896fcb747d54c#2" in {h["doc_id"] for h in hits}


def test_compare_with_and_without_the_model_and_as_html(user_bin, indexed):
    out = plansearch(user_bin, indexed, "compare", "000_5ae896fcb747d54c#1", "000_5ae896fcb747d54c#4").stdout
    assert "same 40" in out and "edited 2" in out and "[-年度-]" in out
    fast = jsonl(plansearch(user_bin, indexed, "compare", "004_4b2046a4564d6d1c#1", "004_4b2046a4564d6d1c#2",
                            "--no-semantic", "--json"))
    assert fast[0]["type"] == "summary" and not fast[0]["semantic"]
    plansearch(user_bin, indexed, "compare", "national_gwr_2024", "national_gwr_2025", "--index", "gwr-index",
               "--html", "gwr.html")
    html = (indexed / "gwr.html").read_text(encoding="utf-8")
    assert "national_gwr_2025" in html and "<script>alert" not in html


def test_reuse_on_files_and_on_an_index(user_bin, indexed):
    out = plansearch(user_bin, indexed, "reuse").stdout
    assert "000_5ae896fcb747d54c#4" in out and "reused passage" in out
    recs = jsonl(plansearch(user_bin, indexed, "reuse", GWR_REL, "--across", "years", "--top", "5", "--json"))
    assert sum(r["type"] == "cluster" for r in recs) == 5
    shares = {r["doc_id"]: r for r in jsonl(plansearch(user_bin, indexed, "reuse", "--index", "index", "--json"))
              if r["type"] == "doc_share"}
    assert shares["000_5ae896fcb747d54c#4"]["share_earlier"] > 0.9  # 202_ copies 201X: earlier
    spread = jsonl(plansearch(user_bin, indexed, "reuse", GWR_REL, "--min-docs", "3", "--max-spread", "5",
                              "--json"))
    assert all(3 <= r["n_docs"] <= 5 for r in spread if r["type"] == "cluster")


def test_user_mistakes_are_one_line_and_exit_1(user_bin, indexed):
    one_line_error(plansearch(user_bin, indexed, "search", "", check=False), "empty query")
    one_line_error(plansearch(user_bin, indexed, "search", "x", "--index", "nowhere", check=False), "no index in")
    one_line_error(plansearch(user_bin, indexed, "index", "corpus/", "--vectors", "foo", check=False),
                   "unknown vector index kind")
    # a core install has no sentence-transformers: a model name says what to install, before any work
    one_line_error(plansearch(user_bin, indexed, "index", "corpus/", "--model", "bge-nowhere", check=False),
                   "install it with pip install torch==2.13.0 'plansearch[st]'")
    one_line_error(plansearch(user_bin, indexed, "compare", "000_5ae896fcb747d54c#1", "nope", check=False),
                   "unknown document 'nope'")
    one_line_error(plansearch(user_bin, indexed, "outline", "corpus", check=False), "is a directory")
    one_line_error(plansearch(user_bin, indexed, "compare", "000_5ae896fcb747d54c#1", "000_5ae896fcb747d54c#4",
                              "--html", "/sys/x.html", "--no-semantic", check=False), "cannot write")


# --- README's examples, run as shown ---------------------------------------------------------------------

def readme_commands() -> list[str]:
    """Every command line of README.md's bash blocks that runs plansearch (comments dropped)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line.startswith("plansearch "):
                out.append(line)
    return out


def test_readme_has_examples_to_run():
    cmds = readme_commands()
    assert len(cmds) >= 20 and any("gwr" in c for c in cmds)


@pytest.mark.parametrize("command", readme_commands())
def test_every_readme_example_runs_as_shown(user_bin, indexed, command):
    env = dict(os.environ, PATH=f"{user_bin}{os.pathsep}{os.environ['PATH']}",
               PLANSEARCH_HOME=str(indexed / ".home"))
    if shutil.which("jq") is None and "| jq" in command:
        pytest.fail("jq is not installed: scripts/test.sh installs it (README examples pipe into it)")
    res = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=indexed, env=env, capture_output=True,
                         text=True, timeout=1800)
    assert res.returncode == 0, f"{command}\n{res.stdout[-1500:]}\n{res.stderr[-1500:]}"
    redirect = re.search(r">\s*(\S+)\s*$", command)
    if redirect:  # the output went to a file: it must be there and hold something
        assert (indexed / redirect.group(1)).stat().st_size > 0, command
    else:
        assert res.stdout.strip() or "wrote" in res.stderr, command
    assert "Traceback" not in res.stderr


def test_ctrl_c_during_indexing_says_interrupted_and_leaves_the_index_answering(user_bin, indexed, tmp_path):
    import signal
    import threading

    # three of the five files (48 of 120 KB; every window here is embedded cold): enough batches to
    # be caught embedding, and the two that answer below by words
    corpus = tmp_path / "c"
    corpus.mkdir()
    for name in ("002_4f4de1c647e2620a.txt", "003_d3b064de2d82a876.txt", "004_4b2046a4564d6d1c.txt"):
        shutil.copy(indexed / "corpus" / name, corpus / name)
    plansearch(user_bin, indexed, "index", str(corpus / "003_d3b064de2d82a876.txt"), "--index", "int-index")
    # a progress line after every batch, not every 10 s: on a fast machine these windows embed in
    # under 10 s, and the build ended before its first line (CI, stop 35)
    env = dict(os.environ, PATH=f"{user_bin}{os.pathsep}{os.environ['PATH']}", PLANSEARCH_HOME=str(indexed / ".home"),
               PLANSEARCH_PROGRESS_EVERY="0.001")
    # Ctrl-C as a terminal sends it, however the test run was started (a shell's `cmd &` starts it,
    # and so every child, with SIGINT ignored: the build then ran to its end and exited 0)
    child = subprocess.Popen([str(user_bin / "plansearch"), "--lang", "en", "index", str(corpus), "--index", "int-index"],
                             cwd=indexed, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: list[str] = []
    embedding = threading.Event()

    def read_stderr() -> None:
        for line in child.stderr:
            lines.append(line)
            if "embedding new sentence windows:" in line:  # the first batch is in the cache
                embedding.set()
    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert embedding.wait(600), "the build never said it was embedding:\n" + "".join(lines)
        assert child.poll() is None, "the build ended before it could be interrupted"
        child.send_signal(signal.SIGINT)
        child.wait(timeout=120)
        reader.join(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    err = "".join(lines)
    assert child.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    # what answers is the version committed before embedding began: the new run's documents, by words
    hits = jsonl(plansearch(user_bin, indexed, "search", "教师队伍", "--index", "int-index", "--json"))
    assert {h["doc_id"].split("#")[0] for h in hits} - {"003_d3b064de2d82a876"}, hits
    # and the next run finishes it, embedding only what the interrupted one had not
    to_embed = int(re.search(r"embedding new sentence windows: [\d,]+ / ([\d,]+)", err).group(1).replace(",", ""))
    again = plansearch(user_bin, indexed, "index", str(corpus), "--index", "int-index")
    embedded = int(re.search(r"embedded ([\d,]+)", again.stdout).group(1).replace(",", ""))
    assert embedded < to_embed, (to_embed, again.stdout)
