"""Shared test fixtures: where the real corpora are, and the sample corpus loaded once per session."""
from __future__ import annotations

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
    if not GWR.is_dir():
        pytest.skip(f"second corpus not found at {GWR} (../shared beside the repo)")
    return GWR


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
    from plansearch.store import build_index

    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index(CORPUS, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def searcher(seed_index):
    from plansearch.search import Searcher

    return Searcher(seed_index)
