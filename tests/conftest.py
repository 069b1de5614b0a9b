"""Shared test fixtures: where the real corpora are, the sample corpus loaded once per session, and
the two corpora indexed once per session.

../shared (the second corpus) beside the repository is optional on a developer's machine (tests
that need it are skipped) but required in CI (CI=true): there a missing ../shared fails the run
instead of silently skipping the work-report tests."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
GWR = SHARED / "corpora" / "gwr"


def seed_path(prefix: str) -> Path:
    """The sample-corpus file whose name starts with `prefix` (e.g. "000")."""
    (p,) = sorted(CORPUS.glob(f"{prefix}_*"))
    return p


def require_shared(path: Path) -> Path:
    """`path` under ../shared, or a skip (locally) / a failure (in CI) when it is not there."""
    if not path.exists():
        message = f"second corpus not found at {path} (../shared beside the repo)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + ": CI must run with ../shared beside the clone")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session", autouse=True)
def plansearch_home(tmp_path_factory) -> Path:
    """No test writes into the real ~/.cache/plansearch: for the whole session, plansearch's own
    directory (store.user_home: compare's embedding cache) is a temporary one. Tests share it, so
    a text the model embedded once is not embedded again; `fresh_home` gives a test its own."""
    home = tmp_path_factory.mktemp("plansearch-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANSEARCH_HOME", str(home))
        yield home


@pytest.fixture
def fresh_home(tmp_path, monkeypatch) -> Path:
    """An empty plansearch home for this test alone (to see what it embeds into the user's cache)."""
    home = tmp_path / "plansearch-home"
    monkeypatch.setenv("PLANSEARCH_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def gwr_dir() -> Path:
    return require_shared(GWR)


# Embeddings of the real corpora kept between local runs (never in CI, which starts clean): an
# index built in a test starts from this cache and embeds only what changed.
EMBED_CACHE = REPO / ".cache" / "test-embeddings"


def build_cached(corpus: Path, index_dir: Path, name: str) -> Path:
    """Index `corpus` into `index_dir` with the default model, starting from (and refreshing) the
    kept embedding cache `name`."""
    from plansearch.store import CACHE_FILE, build_index

    kept = EMBED_CACHE / f"{name}.sqlite"
    index_dir.mkdir(parents=True, exist_ok=True)
    if kept.is_file() and not os.environ.get("CI"):
        shutil.copy(kept, index_dir / CACHE_FILE)
    build_index(corpus, index_dir)
    if not os.environ.get("CI"):
        EMBED_CACHE.mkdir(parents=True, exist_ok=True)
        shutil.copy(index_dir / CACHE_FILE, kept)
    return index_dir


@pytest.fixture(scope="session")
def gwr_index(tmp_path_factory, gwr_dir) -> Path:
    """The work reports indexed once with the default model (a few minutes cold on 2 cores)."""
    return build_cached(gwr_dir, tmp_path_factory.mktemp("gwr-index"), "gwr")


@pytest.fixture(scope="session")
def corpus_docs():
    """Every document of the bundled sample corpus, loaded once."""
    from plansearch import load_corpus

    return load_corpus(CORPUS)


@pytest.fixture(scope="session")
def docs_by_id(corpus_docs):
    return {d.doc_id: d for d in corpus_docs}


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """The sample corpus indexed once with the default model (about 15 s on 2 cores)."""
    return build_cached(CORPUS, tmp_path_factory.mktemp("seed-index"), "seeds")


@pytest.fixture(scope="session")
def searcher(seed_index):
    from plansearch.search import Searcher

    return Searcher(seed_index)
