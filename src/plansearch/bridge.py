"""The term bridge: the corpus's own words nearest a query's meaning, read by the keyword side.

A reader writes 小企业借钱难; the plans say 融资难. The embedding finds some such items, BM25 none,
because no item holds the reader's words. Every index therefore keeps a vocabulary: the jieba words
of its items (two or more Chinese characters, in at least MIN_ITEMS items, not a stop word and not
in nearly every item), each with its document frequency and its vector, embedded as a query is (a
word is compared with a query, not with a passage). At query time, for a query no item holds whole,
the words nearest its vector (at most BRIDGE_WORDS, each at least BRIDGE_MIN in cosine) are read by
BM25 as a second keyword query whose score joins the fusion at BRIDGE_WEIGHT (search.Searcher.
_bridge_evidence), and a hit says which bridged word it holds. Put inside the typed query instead,
as the thesaurus rewrite's synonyms are, they outweighed the reader's own words (seeds R@10 .821 ->
.816 at 4 words; bench/RESULTS.md).

The vectors go through the embedding cache (store.embed_cached, keyed apart from passages), so a
rebuild embeds only words it has not seen. BRIDGE_WORDS and BRIDGE_MIN were fitted on the tuning sets
(seeds + gwr) only: bench/tune_bridge.py, figures in bench/RESULTS.md.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from .i18n import _
from .models import PlansearchError

MIN_ITEMS = 2  # a word in one item only names nothing a second item could be found by
MAX_SHARE = 0.5  # a word in more than half the items (工作, 加强 in a plan) tells them apart from nothing
# Fitted on seeds + gwr (bench/tune_bridge.py: 4/8/12/16 words x weight 0.1-0.5 x scope): 8 words at
# 0.3, bridging only queries no item holds whole, mean R@10 + MRR@10 1.769 against 1.753 without
BRIDGE_WORDS = 8  # the most corpus words one query is bridged to
# the least cosine a bridged word needs: none (.90 and .92 changed nothing: e5 puts a query and its
# nearest words at .88-.97, so the count decides)
BRIDGE_MIN = 0.0
# A fused candidate gains BRIDGE_WEIGHT x its BM25 for the bridged words over their best item's
# (the fusion's scores are on [0, 1])
BRIDGE_WEIGHT = 0.3
# Bridge only a query no item holds whole: one whose words all stand somewhere is the plans' own
# wording already, and read as typed (exact terms must rank at least as BM25 alone ranks them)
ONLY_UNHELD = True
_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")

# Function words and the plans' connective phrases: jieba keeps them as words, and a query's vector
# lands near them for no reason of meaning.
STOP_WORDS = frozenset("""
我们 你们 他们 它们 自己 这个 那个 这些 那些 这样 那样 这里 那里 什么 怎么 怎样 如何 为什么 哪里 哪些
一个 一些 一种 一是 二是 三是 四是 五是 以及 并且 而且 或者 还是 但是 然而 因此 所以 因为 如果 虽然
可以 能够 应当 应该 需要 必须 已经 正在 进一步 不断 同时 其中 之一 有关 相关 通过 按照 根据 围绕 对于
关于 由于 为了 以上 以下 左右 以来 之后 之前 方面 等等 一批 一项 各类 各级 全面 切实 积极 认真 努力
""".split())


@dataclass
class Vocabulary:
    """An index's words, the items holding each, and (once embedded) their vectors, row for row."""

    words: list[str]
    items: np.ndarray  # int32: how many items hold each word
    vectors: np.ndarray | None = None  # float32, one L2-normalised row per word
    rows: np.ndarray | None = None  # each word's row in the embedding cache's vector file, when it holds all

    def __len__(self) -> int:
        return len(self.words)


class WordCounter:
    """How many items hold each word, fed the items' normalised texts a batch at a time (a build
    streams its documents)."""

    def __init__(self):
        from .synonyms import jieba_segmenter

        self._seg = jieba_segmenter()
        self.held: Counter = Counter()
        self.items = 0

    def add(self, norms: Iterable[str]) -> None:
        for norm in norms:
            self.items += 1
            self.held.update({w for run in _HAN.findall(norm) for w in self._seg.cut(run) if len(w) >= 2})

    def vocabulary(self) -> Vocabulary:
        """The words worth bridging to, in a fixed order."""
        most = max(MIN_ITEMS, MAX_SHARE * self.items)
        words = sorted(w for w, c in self.held.items() if MIN_ITEMS <= c <= most and w not in STOP_WORDS)
        return Vocabulary(words, np.array([self.held[w] for w in words], np.int32))


# From this many items on, a build counts in a second process: a corpus smaller than that (the seeds,
# the work reports) never pays for starting it (about 0.7 s: Python, jieba's dictionary); a larger
# one reads about twice as fast on 2 cores, and its counting goes on while the first version is written.
BACKGROUND_AFTER = 5_000
_QUEUED_BATCHES = 2  # batches of texts waiting for the counter at most: the build's memory stays bounded


class BackgroundWordCounter(WordCounter):
    """A WordCounter that, past `background_after` items, counts in a second process while the build
    goes on reading (jieba's cut is about half of a build's reading time, and one process uses one
    core). The vocabulary is the same word for word: counts add up in any order, and the words are
    sorted. Call close() when the build ends early, so the process does not outlive it.

    The process is a plain `python -c` child fed through a pipe, not a multiprocessing one: spawn
    and forkserver import the caller's __main__ again, which hangs a script without a
    `__name__ == "__main__"` guard, and fork copies a process that may hold threads (the model's)."""

    def __init__(self, background_after: int | None = None):
        super().__init__()
        self._after = BACKGROUND_AFTER if background_after is None else background_after
        self._child: subprocess.Popen | None = None
        self._outbox: queue.Queue = queue.Queue(_QUEUED_BATCHES)
        self._feeder: threading.Thread | None = None
        self._failed: BaseException | None = None
        self._errors = None  # the child's stderr, a temporary file

    def add(self, norms: Iterable[str]) -> None:
        batch = list(norms)
        if self._child is None and self.items + len(batch) < self._after:
            super().add(batch)
            return
        if self._child is None:
            try:
                self._start()
            except OSError:  # no process to be had (limits, no temporary directory): count here, slower
                self.close()
                self._after = float("inf")
                super().add(batch)
                return
        self._put(batch)

    def finish(self) -> None:
        """The second process's counts added to these, and the process ended (a build calls this
        once reading is over, so that no idle process waits through the embedding)."""
        if self._child is not None:
            self._put(None)
            self._feeder.join()
            if self._failed is not None:
                self._fail()
            out = self._child.stdout.read()
            if self._child.wait() != 0 or not out:
                self._fail()
            held, items = pickle.loads(out)
            self.close()
            self.held.update(held)
            self.items += items

    def vocabulary(self) -> Vocabulary:
        self.finish()
        return super().vocabulary()

    def close(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            self._child = None
            with contextlib.suppress(queue.Full):
                self._outbox.put_nowait(None)  # a feeder waiting for a batch ends too
        if self._errors is not None:
            self._errors.close()
            self._errors = None

    def _put(self, batch: list[str] | None) -> None:
        while self._feeder.is_alive():  # a feeder that ended early (the child died) takes no more
            try:
                self._outbox.put(batch, timeout=1.0)
                return
            except queue.Full:
                continue
        self._fail()

    def _start(self) -> None:
        package_parent = str(Path(__file__).resolve().parents[1])  # importable however the caller found it
        self._errors = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])))
        self._child = subprocess.Popen(
            [sys.executable, "-c", "from plansearch.bridge import count_words_from_stdin; count_words_from_stdin()"],
            # stderr into a file, read on failure: a pipe nobody reads would block a talkative child
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, env=env)
        self._feeder = threading.Thread(target=self._feed, daemon=True, name="plansearch-word-feeder")
        self._feeder.start()

    def _feed(self) -> None:
        """Batches from the queue into the child's stdin (a thread: the build reads on meanwhile)."""
        pipe = self._child.stdin
        try:
            while (batch := self._outbox.get()) is not None:
                data = pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)
                pipe.write(len(data).to_bytes(8, "little") + data)
            pipe.close()
        except (OSError, ValueError) as e:  # the child ended (a broken pipe), or was killed by close()
            self._failed = e

    def _fail(self) -> None:
        child, self._child = self._child, None
        code = child.wait() if child is not None else None
        self._errors.seek(0)
        err = self._errors.read().decode("utf-8", "replace").strip().splitlines()
        raise PlansearchError(_("the process counting the corpus's words for the term bridge failed "
                                "(exit code {code}{why}); run the build again").format(
            code=code, why=_(": {line}").format(line=err[-1]) if err else ""))


def count_words_from_stdin() -> None:
    """The second process of a BackgroundWordCounter: count the batches on stdin (8-byte length,
    pickled list of texts) until it closes, then write the counts, pickled, to stdout."""
    # Ctrl-C reaches the whole process group: the build decides what an interrupt does, and ends this
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    counter = WordCounter()
    source = sys.stdin.buffer
    while head := source.read(8):
        counter.add(pickle.loads(source.read(int.from_bytes(head, "little"))))
    sys.stdout.buffer.write(pickle.dumps((counter.held, counter.items), pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


def vocabulary(norms: Iterable[str]) -> Vocabulary:
    """The words of the items (their normalised texts) worth bridging to."""
    counter = WordCounter()
    counter.add(norms)
    return counter.vocabulary()


def nearest(words: list[str], vectors: np.ndarray, query_vector: np.ndarray, n: int = BRIDGE_WORDS,
            floor: float = BRIDGE_MIN) -> list[tuple[str, float]]:
    """The n words whose vectors are nearest the query's (cosine ≥ floor), best first."""
    if not len(words) or n < 1:
        return []
    scores = np.asarray(vectors, np.float32) @ np.asarray(query_vector, np.float32)
    top = np.argpartition(-scores, min(n, len(scores)) - 1)[:n] if len(scores) > n else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(words[i], float(scores[i])) for i in top.tolist() if scores[i] >= floor]


def bridge_words(near: Iterable[tuple[str, float]], query_key: str) -> list[str]:
    """The nearest words a query is bridged to: those it does not hold already (its own words are
    read by the keyword side as they are)."""
    return [w for w, _s in near if w not in query_key]
