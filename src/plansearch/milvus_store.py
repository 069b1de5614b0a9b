"""The Milvus store: an index's versions as Milvus collections, in a Milvus Lite file
(`--store milvus-lite:PATH.db`, the `milvus` extra) or on a Milvus server or cluster
(`--store milvus://HOST:PORT`). The same pymilvus client talks to both.

One version (a "generation" `g<time>_<hex>`) is three collections named `<name>__<gen>__…`:

    items    one row per item: its record (JSON), its compact normalised text (for "phrase"
             filters, LIKE), the keyword text that Milvus's BM25 function turns into a sparse
             vector, and the document's filter fields
    windows  one row per sentence window: its vector, item row, [start, end) in the item, and the
             document's filter fields (so a filtered dense search is one Milvus search)
    docs     the index meta (row -1) and each document as JSON cut into parts (row part 0 holds
             its metadata, the rest its text and headings); Milvus wants a vector in every
             collection, so each row carries a constant 2-d one

The alias `<name>` points at the live version's items collection; a build writes a new version
and switches the alias only when all of it is written and flushed (one alias, so the switch is
atomic), so a failed or killed build leaves the previous version answering. The index directory
keeps the build lock (two builds do not interleave), the embedding cache and store.json, which
names the store and the collection name.

Keyword side: our character bigrams, spelled as ASCII words (each character as 4 base-36 digits)
so that the `standard` analyzer of Milvus and of Milvus Lite keeps each bigram one term, and
Milvus's BM25 function scores them: the same terms as the local store's BM25 and the same
formula (k1, b, Lucene idf). `keyword_scheme="jieba"` uses Milvus's jieba analyzer on the
normalised text instead; bench/milvus_bench.py measured both on the judged sets (bench/RESULTS.md).

Filters travel as Milvus filter expressions over the documents' fields, evaluated by Milvus next
to the vectors: a year range at 10^8 items selects 10^5-10^6 documents, which as a list of rows
would be sent with every query. A filter the expression cannot say exactly (a region holding
a LIKE wildcard) is sent as the documents' rows.

Milvus Lite serves one process at a time (it locks its file): a search waits for no build in
another process, it fails with a message saying so. A Milvus server has no such limit.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .chunk import ItemWindows
from .keyword import bigrams, tokenize
from .i18n import N_, _
from .metadata import infer_level
from .models import Document, Heading, Item, PlansearchError, Section
from .normalise import compact, normalise
from .store import (FORMAT_VERSION, DenseWindows, IndexDamaged, IndexMeta, KeywordHits, Progress, Selection,
                    Version, filled_document, user_home)

INSTALL_HINT = N_("install it with pip install 'plansearch[milvus]'")
MAX_VARCHAR = 65_535  # bytes: Milvus's limit for a VARCHAR field
BODY_PART_CHARS = 16_000  # a document's JSON is cut into parts of this many characters (<= 64 KB)
BATCH = 2_000  # rows a single insert carries
QUERY_LIMIT = 16_384  # Milvus's most rows a single search or query returns
META_ID = -1
# The docs collection also keeps how many items hold each character pair (doc_row BIGRAM_ROW, ids
# from BIGRAM_ID on, JSON in parts): what the local store reads off its BM25 postings, so that
# phrase_frequency, and with it search's query rewrite, costs no scan and answers as there.
BIGRAM_ROW = -2
BIGRAM_ID = -1_000_000_000
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
KEYWORD_ALL_LIMIT = QUERY_LIMIT  # keyword_scores gives the best this many items, zero for the rest


def _pymilvus():
    # gRPC's C core logs to stderr on its own ("Received a GOAWAY … too_many_pings" when a long
    # build outlasts Milvus Lite's keepalive policy; the client reconnects): a user reads those as
    # errors of ours. Real failures still reach us as exceptions. A user's own setting wins.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    try:
        import pymilvus
    except ImportError:
        raise PlansearchError(_("the Milvus store needs pymilvus: {hint}").format(hint=_(INSTALL_HINT))) from None
    _route_logs()
    return pymilvus


LOG_FILE = "milvus.log"
_LOGGERS = ("pymilvus", "milvus_lite")


def milvus_log() -> Path:
    """Where pymilvus's and Milvus Lite's own messages go (their tracebacks too): a file in
    plansearch's home that our one-line errors name, not the user's terminal."""
    return user_home() / LOG_FILE


@functools.lru_cache(maxsize=None)
def _route_logs() -> None:
    try:
        milvus_log().parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(milvus_log(), encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    except OSError:
        handler = logging.NullHandler()
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False


def _damage_note(e: BaseException) -> str:
    said = getattr(e, "message", None) or str(e)  # a MilvusException's own words, not its repr
    first = (str(said).strip().splitlines() or [type(e).__name__])[0]
    return f"{first[:160]}; details in {milvus_log()}"


def _milvus_lite():
    """The milvus_lite package (the embedded engine behind --store milvus-lite), or one line saying
    how to install it."""
    try:
        import milvus_lite.server_manager  # binds milvus_lite, its server manager loaded
    except ImportError:
        raise PlansearchError(_("--store milvus-lite needs the milvus-lite package: {hint}").format(hint=_(INSTALL_HINT))) from None
    return milvus_lite


# --- where: a Milvus Lite file or a server ------------------------------------------------------

_LITE_USERS: dict[str, int] = {}  # Milvus Lite path -> clients open in this process


def connect(uri: str):
    """A MilvusClient for a Lite path or a server address, or one line saying why not."""
    pm = _pymilvus()
    if not uri.startswith("http"):
        _milvus_lite()
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        lock = Path(uri) / "LOCK"
        if lock.is_file() and _locked_elsewhere(lock) and uri not in _LITE_USERS:
            raise PlansearchError(_("{uri}: the Milvus Lite database is open in another process (a build or a "
                                    "search; Milvus Lite serves one process at a time): try again when it has "
                                    "finished, or use a Milvus server (--store milvus://HOST:PORT)").format(uri=uri))
    kwargs = {}
    if uri.startswith("http") and os.environ.get("PLANSEARCH_MILVUS_TOKEN"):
        kwargs["token"] = os.environ["PLANSEARCH_MILVUS_TOKEN"]  # user:password or an API key
    if not uri.startswith("http") and Path(uri).exists() and not Path(uri).is_dir():
        raise LiteDamaged(uri, "it is a file, not a Milvus Lite database folder")
    try:
        client = pm.MilvusClient(uri, **kwargs)
    except Exception as e:  # pymilvus raises MilvusException and grpc errors of many kinds
        if not uri.startswith("http"):
            raise LiteDamaged(uri, _damage_note(e)) from None
        raise PlansearchError(_("cannot reach Milvus at {uri}: {error}").format(uri=uri, error=str(e).splitlines()[0][:200])) from None
    if uri.startswith("http"):
        try:
            _check_server_version(client, uri)
        except BaseException:
            client.close()
            raise
    else:
        _LITE_USERS[uri] = _LITE_USERS.get(uri, 0) + 1
    return client


# 2.5: the BM25 function (full-text search) and infix LIKE "%…%" filters, which the store uses;
# a 2.3 server rejects the index on the sparse field and silently drops the function.
MIN_SERVER = (2, 5, 0)


def server_version_tuple(text: str) -> tuple[int, ...] | None:
    """'v2.3.5-lite' -> (2, 3, 5); None for what is not a version."""
    m = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    return tuple(int(x or 0) for x in m.groups()) if m else None


def _check_server_version(client, uri: str) -> None:
    try:
        text = str(client.get_server_version())
    except Exception as e:
        raise PlansearchError(_("Milvus at {uri} did not say its version ({error})").format(uri=uri, error=_damage_note(e))) from None
    have = server_version_tuple(text)
    if have is None or have < MIN_SERVER:
        raise PlansearchError(_("Milvus at {uri} is version {version}; the plansearch store needs Milvus {needed} or "
                                "newer (full-text BM25 and infix filters)").format(
            uri=uri, version=text, needed=".".join(map(str, MIN_SERVER))))


class LiteDamaged(IndexDamaged):
    """A Milvus Lite database that cannot be opened or read: `plansearch index` sets it aside."""

    def __init__(self, uri: str, what: str):
        self.uri = uri
        PlansearchError.__init__(self, _("the Milvus Lite database {uri} is damaged ({what}); run `plansearch index` "
                                         "to set it aside and rebuild").format(uri=uri, what=what))
        self.index_dir, self.what = Path(uri).parent, f"Milvus Lite database {uri}: {what}"


def _locked_elsewhere(lock: Path) -> bool:
    import fcntl

    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def disconnect(client, uri: str) -> None:
    """Close a client; the last one of a Lite path in this process stops its server too, so
    another process (the next build) can open the file."""
    try:
        client.close()
    except Exception:
        pass
    if uri.startswith("http") or uri not in _LITE_USERS:
        return
    _LITE_USERS[uri] -= 1
    if _LITE_USERS[uri] <= 0:
        del _LITE_USERS[uri]
        try:  # only a Lite client was counted, so the package is there
            _milvus_lite().server_manager.server_manager_instance.release_server(uri)
        except Exception:
            pass


def parse_spec(spec: str, index_dir: Path) -> str:
    """The URI pymilvus takes for a --store value: a Lite path (relative ones to the working
    directory when given, to the index directory when recorded there) or http://HOST:PORT."""
    if spec.startswith("milvus://"):
        return "http://" + spec[len("milvus://"):].rstrip("/")
    path = Path(spec[len("milvus-lite:"):].strip())
    if not path.is_absolute():
        path = index_dir / path
    return str(path.resolve())


class MilvusStore:
    """An index directory's versions in Milvus (store.IndexStore)."""

    def __init__(self, index_dir: Path, spec: str, uri: str, name: str):
        self.index_dir, self.spec, self.uri, self.name = Path(index_dir), spec, uri, name

    @classmethod
    def for_index(cls, index_dir: Path, spec: str, rec: dict | None) -> "MilvusStore":
        """The store `spec` names for this index directory. A Lite path given on the command line
        is relative to the working directory and is recorded relative to the index directory
        when it lies inside it; the collection name is made once and kept in store.json."""
        index_dir = Path(index_dir)
        _pymilvus()  # a missing extra fails before anything is built
        if spec.startswith("milvus-lite:"):
            raw = Path(spec[len("milvus-lite:"):].strip())
            if rec is not None and rec.get("store") == spec:
                uri = parse_spec(spec, index_dir)  # as recorded: relative to the index directory
            else:
                uri = str(raw.resolve())
                try:
                    spec = "milvus-lite:" + str(Path(uri).relative_to(index_dir.resolve()))
                except ValueError:
                    spec = "milvus-lite:" + uri
        else:
            uri = parse_spec(spec, index_dir)
        same = rec is not None and rec.get("store") == spec and isinstance(rec.get("collection"), str)
        name = rec["collection"] if same else _collection_name(index_dir)
        return cls(index_dir, spec, uri, name)

    def record(self) -> dict:
        return {"store": self.spec, "collection": self.name}

    def live(self, full: bool = False) -> Version | None:
        client = connect(self.uri)
        try:
            return self._live(client, full)
        except PlansearchError:
            raise
        except Exception as e:  # the database's own files, unreadable
            raise self.damaged(e) from None
        finally:
            disconnect(client, self.uri)

    def damaged(self, e: BaseException) -> IndexDamaged:
        if self.uri.startswith("http"):
            return IndexDamaged(self.index_dir, f"Milvus at {self.uri} failed reading collection {self.name} "
                                                f"({_damage_note(e)})")
        return LiteDamaged(self.uri, _damage_note(e))

    def repair(self, damage: IndexDamaged) -> str | None:
        """Before a build over damage: a damaged Milvus Lite database is moved aside (renamed
        *.damaged-<time>) so the build starts a new one; a server's collections need nothing (the
        build writes a new version and sweeps the old ones). Returns what was done, to say."""
        if self.uri.startswith("http") or not Path(self.uri).exists():
            return None
        if not isinstance(damage, LiteDamaged):  # one of our collections: drop ours, keep the database
            try:
                return f"dropped the damaged Milvus collections {', '.join(self.drop()) or '(none)'}; rebuilding"
            except PlansearchError:
                pass  # the database itself does not answer: set it aside whole
        _LITE_USERS.pop(self.uri, None)
        try:
            _milvus_lite().server_manager.server_manager_instance.release_server(self.uri)
        except Exception:
            pass
        aside = f"{self.uri}.damaged-{time.strftime('%Y%m%dT%H%M%S')}"
        os.replace(self.uri, aside)
        return f"set the damaged Milvus Lite database aside as {Path(aside).name}; building a new one"

    def drop(self) -> list[str]:
        """Remove every collection and the alias of this index from its Milvus (what deleting
        the index folder leaves behind on a server). Returns the collections dropped."""
        client = connect(self.uri)
        try:
            if self.name in _aliases(client):
                client.drop_alias(self.name)
            mine = [c for c in client.list_collections() if c.startswith(self.name + "__")]
            for c in mine:
                client.drop_collection(c)
            return mine
        except PlansearchError:
            raise
        except Exception as e:
            raise self.damaged(e) from None
        finally:
            disconnect(client, self.uri)

    def _live(self, client, full: bool) -> Version | None:
        gen = _live_gen(client, self.name)
        if gen is None:
            return None
        meta = _read_meta(client, self.name, gen, self.index_dir)
        if full:
            for part, want in (("items", meta.items), ("windows", meta.windows)):
                client.load_collection(_coll(self.name, gen, part))
                have = _count(client, _coll(self.name, gen, part))
                if have != want:
                    raise IndexDamaged(self.index_dir, f"Milvus collection {_coll(self.name, gen, part)} "
                                                       f"holds {have} rows, the index meta says {want}")
        return Version(gen, meta)

    def writer(self, vector_kind: str | None, keyword_scheme: str, progress: Progress | None,
               warnings: list[str]) -> "MilvusWriter":
        return MilvusWriter(self, vector_kind, keyword_scheme, progress, warnings)

    def reader(self) -> "MilvusIndex":
        return MilvusIndex(self)


def _collection_name(index_dir: Path) -> str:
    stem = re.sub(r"[^0-9a-zA-Z_]", "_", Path(index_dir).resolve().name)[:40] or "index"
    return f"plansearch_{stem}_{os.urandom(3).hex()}"


PARTS = ("items", "windows", "docs", "words")  # a version's collections ("words": the term bridge's)


def _coll(name: str, gen: str, part: str) -> str:
    return f"{name}__{gen}__{part}"


def _live_gen(client, name: str) -> str | None:
    if name not in _aliases(client):
        return None
    target = client.describe_alias(name)["collection_name"]
    m = re.fullmatch(re.escape(name) + r"__(g\w+?)__items", target)
    return m.group(1) if m else None


def _aliases(client) -> list[str]:
    got = client.list_aliases()
    return list(got.get("aliases", []) if isinstance(got, dict) else got)


def _count(client, collection: str) -> int:
    rows = client.query(collection, filter="", output_fields=["count(*)"])
    return int(rows[0]["count(*)"])


def _read_meta(client, name: str, gen: str, index_dir: Path) -> IndexMeta:
    from dataclasses import fields

    try:
        client.load_collection(_coll(name, gen, "docs"))  # a server (or Lite) restarted has it released
        rows = client.query(_coll(name, gen, "docs"), filter=f"id == {META_ID}", output_fields=["body"])
        raw = json.loads(rows[0]["body"])
        known = {f.name for f in fields(IndexMeta)}
        return IndexMeta(**{k: v for k, v in raw.items() if k in known})
    except Exception as e:
        raise IndexDamaged(index_dir, f"the meta of Milvus collection {_coll(name, gen, 'docs')} is "
                                      f"unreadable ({_damage_note(e)})") from None


# --- what goes into the collections ----------------------------------------------------------------

def spell_bigrams(tokens: Iterable[str]) -> str:
    """Our keyword tokens as ASCII words, one per token (4 base-36 digits a character): any
    standard analyzer keeps such a word whole, where it would cut Han text into characters."""
    out = []
    for tok in tokens:
        word = ["t"]
        for ch in tok:
            n = ord(ch)
            word.append("".join(_B36[(n // 36 ** k) % 36] for k in (3, 2, 1, 0)))
        out.append("".join(word))
    return " ".join(out)


def keyword_text(norm: str, scheme: str) -> str:
    """What Milvus's BM25 function reads for an item (or a query) under a keyword scheme."""
    if scheme == "jieba":
        return norm
    return spell_bigrams(tokenize(norm, "bigram"))


def _query_keyword_text(norm: str, scheme: str) -> str:
    if scheme == "jieba":
        return norm
    return spell_bigrams(dict.fromkeys(tokenize(norm, "bigram")))  # a query token counts once, as locally


def _fit(text: str, limit: int = MAX_VARCHAR) -> str:
    """`text` cut to at most `limit` UTF-8 bytes (at a character boundary)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def _fit_words(text: str, limit: int = MAX_VARCHAR) -> str:
    cut = _fit(text, limit)
    return cut if cut == text else cut.rsplit(" ", 1)[0]


def doc_fields(d: Document, row: int) -> dict:
    """The document's fields a filter expression reads (0 / "" for unknown)."""
    from .metadata import mask_range

    lo, hi = mask_range(d.year_mask) if d.year_mask else (0, 0)
    return {"doc_row": row, "doc_id": _fit(d.doc_id, 1024), "stem": _fit(d.doc_id.rpartition("#")[0], 1024),
            "year": d.year or 0,
            "review_year": d.review_year or 0, "plan_year": d.plan_year or 0, "mask_lo": lo or 0,
            "mask_hi": hi or 0, "region": _fit(normalise(d.region or ""), 1024),
            "issuer": _fit(normalise(d.issuer or ""), 1024), "kind": d.kind or ""}


def _item_record(it: Item) -> str:
    return json.dumps([it.ordinal, it.label, it.number, it.level, list(it.path), it.text, it.norm, it.start,
                       it.end, list(it.subpoints), it.section, list(it.flags)], ensure_ascii=False)


def _item_from_record(rec: str, doc_id: str) -> Item:
    (ordinal, label, number, level, path, text, norm, start, end, subpoints, section, flags) = json.loads(rec)
    return Item(doc_id=doc_id, ordinal=ordinal, label=label, number=number, level=level, path=tuple(path),
                text=text, start=start, end=end, norm=norm, subpoints=tuple(subpoints), section=section,
                flags=tuple(flags))


def _doc_head(d: Document, first_item: int) -> str:
    return json.dumps({"doc_id": d.doc_id, "source": d.source, "title": d.title, "source_start": d.source_start,
                       "year": d.year, "year_mask": d.year_mask, "plan_year": d.plan_year,
                       "review_year": d.review_year, "region": d.region, "level": d.level, "date": d.date, "issuer": d.issuer, "kind": d.kind,
                       "sections": [[s.kind, s.start, s.end, s.year] for s in d.sections],
                       "flags": list(d.flags), "overridden": list(d.overridden), "first_item": first_item,
                       "n_items": len(d.items)}, ensure_ascii=False)


def _doc_from_head(head: str) -> tuple[Document, int, int]:
    h = json.loads(head)
    d = Document(doc_id=h["doc_id"], source=h["source"], title=h["title"], text="", source_start=h["source_start"],
                 year=h["year"], year_mask=h["year_mask"], plan_year=h["plan_year"], review_year=h["review_year"],
                 region=h["region"], issuer=h["issuer"], kind=h["kind"], date=h.get("date"),
                 level=h.get("level") or infer_level(h["region"], h["issuer"], [h["title"]]),
                 sections=[Section(*s) for s in h["sections"]], flags=h["flags"],
                 overridden=tuple(h["overridden"]))
    return d, h["first_item"], h["n_items"]


# --- filters as Milvus expressions -------------------------------------------------------------------

def _cut(text: str) -> list[str]:
    """A long JSON text in parts that each fit a docs row's body field."""
    return [text[i:i + BODY_PART_CHARS] for i in range(0, len(text), BODY_PART_CHARS)]


def _uncut(rows: list[dict]) -> object:
    """The JSON value whose parts these docs rows hold (any order)."""
    return json.loads("".join(r["body"] for r in sorted(rows, key=lambda r: r["part"])))


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _like_safe(s: str) -> bool:
    return not any(c in s for c in '%_\\"\'')


def filter_expression(filters) -> str | None:
    """A Milvus filter expression taking exactly the documents `filters.accepts` takes (over the
    fields of `doc_fields`), or None when one of its values cannot be said as a LIKE pattern."""
    if filters.level is not None:  # not a collection field: the documents Filters.accepts picks are sent
        return None
    parts = []
    if filters.years is not None:
        lo, hi = filters.years
        mask = f"(mask_lo > 0 and mask_lo >= {lo} and mask_hi <= {hi})"
        if filters.year_basis == "any":
            known = " or ".join(f"({f} >= {lo} and {f} <= {hi})" for f in ("year", "review_year", "plan_year"))
            none = "(year == 0 and review_year == 0 and plan_year == 0)"
        else:  # metadata.year_of: the plan (review) year, else the year, else the other one
            order = ("plan_year", "year", "review_year") if filters.year_basis == "plan" else \
                ("review_year", "year", "plan_year")
            a, b, c = order
            pick = [f"({a} >= {lo} and {a} <= {hi})",
                    f"({a} == 0 and {b} >= {lo} and {b} <= {hi})",
                    f"({a} == 0 and {b} == 0 and {c} >= {lo} and {c} <= {hi})"]
            known = " or ".join(pick)
            none = "(year == 0 and review_year == 0 and plan_year == 0)"
        parts.append(f"(({known}) or ({none} and {mask}))")
    for field, value in (("region", filters.region), ("issuer", filters.issuer)):
        if value is not None:
            v = normalise(value)
            if not _like_safe(v):
                return None
            if v:
                parts.append(f'{field} like "%{v}%"')
    if filters.kind is not None:
        kinds = [filters.kind, "mixed"] if filters.kind in ("plan", "summary") else [filters.kind]
        parts.append(f"kind in [{', '.join(map(_quote, kinds))}]")
    if filters.doc is not None:
        parts.append(f"(doc_id == {_quote(filters.doc)} or stem == {_quote(filters.doc)})")
    if filters.doc_ids is not None:
        parts.append(f"doc_id in [{', '.join(map(_quote, filters.doc_ids))}]")
    return " and ".join(parts) if parts else None


def selection_expression(selection: Selection | None, item_field: str) -> str:
    """The expression of a Selection over a collection whose item row field is `item_field`."""
    if selection is None:
        return ""
    parts = []
    expr = filter_expression(selection.filters) if selection.filters is not None else None
    if expr:
        parts.append(f"({expr})")
    elif selection.doc_rows is not None:
        parts.append(f"doc_row in [{', '.join(map(str, np.asarray(selection.doc_rows).tolist()))}]")
    if selection.item_rows is not None:
        parts.append(f"{item_field} in [{', '.join(map(str, np.asarray(selection.item_rows).tolist()))}]")
    return " and ".join(parts)


# --- writing ---------------------------------------------------------------------------------------

def _with_doc_fields(s, DataType) -> None:
    s.add_field("doc_row", DataType.INT32)
    s.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    s.add_field("stem", DataType.VARCHAR, max_length=1024)  # the id before its #N: --doc FILE-STEM
    for f in ("year", "review_year", "plan_year", "mask_lo", "mask_hi"):
        s.add_field(f, DataType.INT32)
    for f in ("region", "issuer"):
        s.add_field(f, DataType.VARCHAR, max_length=1024)
    s.add_field("kind", DataType.VARCHAR, max_length=16)


def _item_schemas(client, scheme: str):
    """(schema, index parameters) of a version's items and docs collections."""
    pm = _pymilvus()
    DataType = pm.DataType
    items = client.create_schema(auto_id=False, enable_dynamic_field=False)
    items.add_field("row", DataType.INT64, is_primary=True)
    _with_doc_fields(items, DataType)
    items.add_field("rec", DataType.VARCHAR, max_length=MAX_VARCHAR)
    items.add_field("key", DataType.VARCHAR, max_length=MAX_VARCHAR)
    analyzer = {"tokenizer": "jieba"} if scheme == "jieba" else {"tokenizer": "standard"}
    items.add_field("kw", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True, analyzer_params=analyzer)
    items.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    items.add_function(pm.Function(name="bm25", function_type=pm.FunctionType.BM25, input_field_names=["kw"],
                                   output_field_names=["sparse"]))
    items_ix = client.prepare_index_params()
    # The local store's BM25 parameters (Milvus's default k1 is 1.5). Nested under "params": that
    # is how they reach the server as one JSON value; flat keys are ignored by Milvus Lite.
    items_ix.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                       params={"params": {"bm25_k1": 1.2, "bm25_b": 0.75}})

    docs = client.create_schema(auto_id=False, enable_dynamic_field=False)
    docs.add_field("id", DataType.INT64, is_primary=True)
    docs.add_field("doc_row", DataType.INT32)
    docs.add_field("part", DataType.INT32)
    docs.add_field("body", DataType.VARCHAR, max_length=MAX_VARCHAR)
    docs.add_field("nothing", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
    docs_ix = client.prepare_index_params()
    docs_ix.add_index("nothing", index_type="FLAT", metric_type="IP")
    return (items, items_ix), (docs, docs_ix)


def _window_schema(client, dim: int, kind: str):
    pm = _pymilvus()
    DataType = pm.DataType
    wins = client.create_schema(auto_id=False, enable_dynamic_field=False)
    wins.add_field("id", DataType.INT64, is_primary=True)
    wins.add_field("item_row", DataType.INT64)
    wins.add_field("span_a", DataType.INT32)
    wins.add_field("span_b", DataType.INT32)
    _with_doc_fields(wins, DataType)
    wins.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    wins_ix = client.prepare_index_params()
    if kind == "hnsw":
        from .vectors import HNSW_EF_CONSTRUCTION, HNSW_M

        wins_ix.add_index("vec", index_type="HNSW", metric_type="IP",
                          params={"params": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}})
    else:
        wins_ix.add_index("vec", index_type="FLAT", metric_type="IP")
    wins_ix.add_index("item_row", index_type="INVERTED")
    return wins, wins_ix


def _words_schema(client, dim: int):
    """The term bridge's vocabulary: a word, how many items hold it, its vector (bridge.py)."""
    DataType = _pymilvus().DataType
    words = client.create_schema(auto_id=False, enable_dynamic_field=False)
    words.add_field("id", DataType.INT64, is_primary=True)
    words.add_field("word", DataType.VARCHAR, max_length=256)
    words.add_field("items", DataType.INT32)
    words.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    words_ix = client.prepare_index_params()
    words_ix.add_index("vec", index_type="FLAT", metric_type="IP")
    return words, words_ix


class MilvusWriter:
    """A new version: three collections filled, flushed, then the alias switched (IndexWriter)."""

    def __init__(self, store: MilvusStore, vector_kind: str | None, keyword_scheme: str,
                 progress: Progress | None, warnings: list[str]):
        if vector_kind not in (None, "flat", "hnsw"):
            raise PlansearchError(_("the Milvus store builds --vectors flat or hnsw, not {kind} (for compressed "
                                    "vectors on a Milvus cluster see docs/scale-out.md)").format(kind=vector_kind))
        if keyword_scheme not in ("bigram", "jieba"):
            raise PlansearchError(_("the Milvus store's keyword schemes are bigram and jieba, not {scheme!r}").format(
                scheme=keyword_scheme))
        self.store, self._kind, self.scheme = store, vector_kind or "flat", keyword_scheme
        self._progress, self._warnings = progress, warnings
        self.gen = f"g{time.strftime('%Y%m%dT%H%M%S')}_{os.urandom(3).hex()}"
        self.client = connect(store.uri)
        self._created: list[str] = []
        self._drop_stale()
        self._doc_fields: list[dict] = []
        self._item_doc: np.ndarray | None = None
        self._items = self._docs = None
        self._pairs: Counter = Counter()  # character pair -> items holding it, over every batch
        self._n_items = 0

    def vector_kind(self, n_windows: int) -> str:
        return self._kind

    def _drop_stale(self) -> None:
        """Versions of this index that are neither live nor the one it replaced (a server's search
        may still be reading that one), and what a killed build left."""
        live = _live_gen(self.client, self.store.name)
        gens = sorted({m.group(1) for c in self.client.list_collections()
                       if (m := re.fullmatch(re.escape(self.store.name) + r"__(g\w+?)__(items|windows|docs|words)", c))})
        keep = {live} if live else set()
        older = [g for g in gens if g != live and (live is None or g < live)]
        if older:
            keep.add(older[-1])  # the version before the live one
        for g in gens:
            if g not in keep:
                for part in PARTS:
                    c = _coll(self.store.name, g, part)
                    if self.client.has_collection(c):
                        self.client.drop_collection(c)

    def _create(self, part: str, schema_and_index) -> str:
        name = _coll(self.store.name, self.gen, part)
        schema, index = schema_and_index
        # Noted before the call: creating the collection can succeed and its index fail, and abort
        # must drop it then too (an orphan otherwise, under a name no later build looks for).
        self._created.append(name)
        self.client.create_collection(name, schema=schema, index_params=index)
        return name

    def _insert(self, collection: str, rows: list[dict]) -> None:
        for i in range(0, len(rows), BATCH):
            self.client.insert(collection, rows[i:i + BATCH])

    def add_documents(self, documents: list[Document]) -> None:
        """Items (Milvus computes their BM25 terms as they go in) and documents, a batch at a
        time, before the embedding, as the local store builds its keyword index first."""
        if self._items is None:
            items_s, docs_s = _item_schemas(self.client, self.scheme)
            self._items = self._create("items", items_s)
            self._docs = self._create("docs", docs_s)
        row = self._n_items
        doc_rows: list[dict] = []
        item_rows: list[dict] = []
        pairs = self._pairs
        for d_row, d in enumerate(documents, start=len(self._doc_fields)):
            fields = doc_fields(d, d_row)
            self._doc_fields.append(fields)
            first = row
            spilled: dict[str, str] = {}
            for it in d.items:
                rec = _item_record(it)
                if len(rec.encode("utf-8")) > MAX_VARCHAR:
                    spilled[str(row)] = rec  # too long for a field: kept with the document's text
                    rec = ""
                norm = it.norm or normalise(it.text)
                pairs.update(set(bigrams(norm)))
                kw = keyword_text(norm, self.scheme)
                if len(kw.encode("utf-8")) > MAX_VARCHAR:
                    self._warnings.append(f"{it.item_id}: {len(it.text):,} characters; the Milvus store's keyword "
                                          f"search covers its first ~{MAX_VARCHAR // 9:,} bigrams")
                    kw = _fit_words(kw)
                item_rows.append({"row": row, **fields, "rec": rec, "key": _fit(compact(norm)), "kw": kw})
                row += 1
                if len(item_rows) >= BATCH:
                    self._insert(self._items, item_rows)
                    item_rows = []
            body = json.dumps({"text": d.text, "headings": [[h.label, h.number, h.level, h.title, h.start, h.end]
                                                           for h in d.headings], "big_items": spilled},
                              ensure_ascii=False)
            parts = [_doc_head(d, first)] + _cut(body)
            doc_rows += [{"id": d_row * 65_536 + p, "doc_row": d_row, "part": p, "body": part,
                          "nothing": [1.0, 0.0]} for p, part in enumerate(parts)]
            if len(doc_rows) >= BATCH:
                self._insert(self._docs, doc_rows)
                doc_rows = []
        self._insert(self._items, item_rows)
        self._insert(self._docs, doc_rows)
        first = len(self._doc_fields) - len(documents)
        batch_doc = np.repeat(np.arange(first, first + len(documents), dtype=np.int32), [len(d.items) for d in documents])
        self._item_doc = batch_doc if self._item_doc is None else np.concatenate([self._item_doc, batch_doc])
        self._n_items = row

    def add_windows(self, windows: ItemWindows, vectors: np.ndarray) -> None:
        self._wins = self._create("windows", _window_schema(self.client, int(vectors.shape[1]), self._kind))
        progress = self._progress
        n = len(windows.item_rows)
        if progress:
            progress("write", 0, n)
        for i in range(0, n, BATCH):
            rows = []
            block = np.asarray(vectors[i:min(n, i + BATCH)], np.float32)  # RowVectors read a block at once
            for w in range(i, min(n, i + BATCH)):
                item = windows.item_rows[w]
                a, b = windows.spans[w]
                rows.append({"id": w, "item_row": item, "span_a": a, "span_b": b,
                             **self._doc_fields[int(self._item_doc[item])], "vec": block[w - i]})
            self.client.insert(self._wins, rows)
            if progress:
                progress("write", min(n, i + BATCH), n)

    def add_vocabulary(self, vocab) -> None:
        name = self._create("words", _words_schema(self.client, int(np.shape(vocab.vectors)[1])))
        self._insert(name, [{"id": i, "word": w[:64], "items": int(n), "vec": v}
                            for i, (w, n, v) in enumerate(zip(vocab.words, vocab.items.tolist(), vocab.vectors))])

    def commit(self, meta: IndexMeta) -> str:
        c = self.client
        table = json.dumps(self._pairs, ensure_ascii=False, separators=(",", ":"))
        self._insert(self._docs, [{"id": BIGRAM_ID + p, "doc_row": BIGRAM_ROW, "part": p, "body": part,
                                   "nothing": [1.0, 0.0]} for p, part in enumerate(_cut(table))])
        c.insert(self._docs, [{"id": META_ID, "doc_row": -1, "part": 0, "nothing": [1.0, 0.0],
                               "body": json.dumps(meta.__dict__, ensure_ascii=False)}])
        for name in self._created:
            c.flush(name)
            c.load_collection(name)
        if self.store.name in _aliases(c):
            c.alter_alias(collection_name=self._items, alias=self.store.name)
        else:
            c.create_alias(collection_name=self._items, alias=self.store.name)
        self._created = []  # live now: abort must not drop them
        self._drop_stale()
        disconnect(c, self.store.uri)
        return self.gen

    def next_version(self) -> "MilvusWriter":
        """A collection cannot be shared between versions: the next one's items and documents are
        copied from this one's collections, page by page (the documents streamed by once; the
        items' BM25 terms are computed again as they go in). Only its windows are new."""
        nxt = MilvusWriter(self.store, self._kind, self.scheme, self._progress, self._warnings)
        try:
            items_s, docs_s = _item_schemas(nxt.client, self.scheme)
            nxt._items = nxt._create("items", items_s)
            nxt._docs = nxt._create("docs", docs_s)
            item_fields = ["row", *(self._doc_fields[0] if self._doc_fields else {}), "rec", "key", "kw"]
            for source, target, pk, expr, fields in (
                    (self._items, nxt._items, "row", "", item_fields),
                    # not this version's meta and pair table: the next commit writes its own
                    (self._docs, nxt._docs, "id", "doc_row >= 0", ["id", "doc_row", "part", "body", "nothing"])):
                nxt.client.load_collection(source)  # a new connection (Lite) finds it released
                last = None
                while True:
                    page = expr if last is None else f"({expr}) and {pk} > {last}" if expr else f"{pk} > {last}"
                    rows = nxt.client.query(source, filter=page or f"{pk} >= 0", output_fields=fields,
                                            limit=QUERY_LIMIT)
                    nxt._insert(target, [{k: r[k] for k in fields} for r in rows])
                    if len(rows) < QUERY_LIMIT:
                        break
                    last = max(r[pk] for r in rows)
        except BaseException:
            nxt.abort()
            raise
        nxt._doc_fields, nxt._item_doc, nxt._n_items = self._doc_fields, self._item_doc, self._n_items
        nxt._pairs = self._pairs
        return nxt

    def abort(self) -> None:
        try:
            for name in self._created:
                if self.client.has_collection(name):
                    self.client.drop_collection(name)
        except Exception:
            pass  # the next build sweeps what is left
        finally:
            disconnect(self.client, self.store.uri)


# --- reading ---------------------------------------------------------------------------------------

class MilvusIndex:
    """The live version of a Milvus store, opened for reading (store.IndexReader)."""

    def __init__(self, store: MilvusStore):
        self.store = store
        self.location = str(store.index_dir)  # messages, and compare's embedding cache, name the directory
        self.client = connect(store.uri)
        try:
            gen = _live_gen(self.client, store.name)
            if gen is None:
                raise PlansearchError(_("no index in {dir}/ yet (Milvus {uri}, collection {name}): run `plansearch "
                                        "index` first").format(dir=store.index_dir, uri=store.uri, name=store.name))
            self.gen = gen
            self.meta = _read_meta(self.client, store.name, gen, store.index_dir)
            if self.meta.format != FORMAT_VERSION:
                raise PlansearchError(_("index in {dir}/ has format {format}, this plansearch reads {reads}: rebuild "
                                        "it with `plansearch index`").format(dir=store.index_dir, format=self.meta.format,
                                                                             reads=FORMAT_VERSION))
            self._items, self._wins, self._docs = (_coll(store.name, gen, p) for p in ("items", "windows", "docs"))
            for c in (self._items, self._wins):
                self.client.load_collection(c)
            heads = self._query_all(self._docs, "part == 0 and doc_row >= 0", ["doc_row", "body"])
            heads.sort(key=lambda r: r["doc_row"])
            self.documents: list[Document] = []
            counts = []
            for r in heads:
                d, _first, n = _doc_from_head(r["body"])
                self.documents.append(d)
                counts.append(n)
            self.item_doc = np.repeat(np.arange(len(self.documents), dtype=np.int32), counts)
        except PlansearchError:
            self.close()
            raise
        except Exception as e:
            self.close()
            raise store.damaged(e) from None
        except BaseException:
            self.close()
            raise
        if len(self.documents) != self.meta.documents or len(self.item_doc) != self.meta.items:
            raise IndexDamaged(store.index_dir, f"Milvus collection {self._docs} holds {len(self.documents)} "
                                                f"documents of {len(self.item_doc)} items, the meta says "
                                                f"{self.meta.documents} and {self.meta.items}")
        self._complete: set[int] = set()
        self._records: dict[int, str] = {}  # item row -> record, of items read lately
        self._spans: dict[int, tuple[int, int]] = {}  # window -> span, from recent dense searches
        self._windows_of: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # item -> windows

    def _query_all(self, collection: str, expr: str, fields: list[str]) -> list[dict]:
        """Every row matching `expr` (Milvus returns at most 16,384 a query: pages by primary key)."""
        pk = "row" if collection == self._items else "id"
        out: list[dict] = []
        last = None
        while True:
            page_expr = expr if last is None else f"({expr}) and {pk} > {last}" if expr else f"{pk} > {last}"
            rows = self.client.query(collection, filter=page_expr or f"{pk} >= {META_ID}",
                                     output_fields=list(dict.fromkeys(fields + [pk])), limit=QUERY_LIMIT)
            out += rows
            if len(rows) < QUERY_LIMIT:
                return out
            last = max(r[pk] for r in rows)

    # --- items and documents ----------------------------------------------------------------------
    def items(self, rows: Sequence[int]) -> list[Item]:
        rows = [int(r) for r in rows]
        if not rows:
            return []
        # A search reads its keyword candidates' records, then its hits' (mostly the same items):
        # records seen lately are kept, so the second read is no round trip.
        got = {r: self._records[r] for r in rows if r in self._records}
        todo = [r for r in dict.fromkeys(rows) if r not in got]
        for i in range(0, len(todo), 4_000):
            chunk = todo[i:i + 4_000]
            for r in self.client.query(self._items, filter=f"row in [{', '.join(map(str, chunk))}]",
                                       output_fields=["row", "rec"]):
                got[r["row"]] = r["rec"]
        if len(self._records) > 20_000:
            self._records.clear()
        self._records.update(got)
        out = []
        for r in rows:
            doc_row = int(self.item_doc[r])
            rec = got.get(r)
            if rec is None:
                raise IndexDamaged(self.store.index_dir, f"Milvus collection {self._items} has no item {r}")
            if rec == "":  # too long for a field: kept with its document
                rec = self._body(doc_row)["big_items"][str(r)]
            out.append(_item_from_record(rec, self.documents[doc_row].doc_id))
        return out

    def _body(self, doc_row: int) -> dict:
        parts = self.client.query(self._docs, filter=f"doc_row == {doc_row} and part > 0",
                                  output_fields=["part", "body"])
        return _uncut(parts)

    def document_of_item(self, row: int) -> Document:
        return self.documents[int(self.item_doc[row])]

    def document_with_items(self, doc_row: int, keep: bool = True) -> Document:
        d = self.documents[doc_row]
        if doc_row in self._complete:
            return d
        body = self._body(doc_row)
        return filled_document(d, body["text"], self.items(np.flatnonzero(self.item_doc == doc_row)),
                       [Heading(*h) for h in body["headings"]], keep, self._complete, doc_row)

    def all_documents(self) -> list[Document]:
        return [self.document_with_items(i) for i in range(len(self.documents))]

    # --- dense --------------------------------------------------------------------------------------
    def _search(self, collection: str, data, field: str, n: int, expr: str, fields: list[str], metric: str):
        # Milvus returns at most 16,384 hits a search
        return self.client.search(collection, data=data, anns_field=field, limit=min(n, QUERY_LIMIT),
                                  filter=expr, output_fields=fields,
                                  search_params={"metric_type": metric})[0]

    def dense_windows(self, query_vector: np.ndarray, n: int, selection: Selection | None = None
                      ) -> DenseWindows:
        if not self.meta.windows:  # a version committed before anything was embedded: words only
            return DenseWindows(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64))
        hits = self._search(self._wins, [np.asarray(query_vector, np.float32).tolist()], "vec",
                            min(n, self.meta.windows), selection_expression(selection, "item_row"),
                            ["item_row", "span_a", "span_b"], "IP")
        if len(self._spans) > 100_000:
            self._spans.clear()
        for h in hits:
            e = h["entity"]
            self._spans[int(h["id"])] = (int(e["span_a"]), int(e["span_b"]))
        return DenseWindows(np.array([h["id"] for h in hits], np.int64),
                            np.array([h["distance"] for h in hits], np.float32),
                            np.array([h["entity"]["item_row"] for h in hits], np.int64))

    def dense_all(self, query_vector: np.ndarray) -> np.ndarray:
        """Every window read back (a whole-corpus pass; trend's count of items above a threshold)."""
        best = np.full(len(self.item_doc), -1.0, np.float32)
        qv = np.asarray(query_vector, np.float32)
        for r in self._query_all(self._wins, "", ["item_row", "vec"]):
            s = float(np.dot(np.asarray(r["vec"], np.float32), qv))
            if s > best[r["item_row"]]:
                best[r["item_row"]] = s
        return best

    def nearest_words(self, query_vector: np.ndarray, n: int, floor: float) -> list[tuple[str, float]]:
        if self._words is None:  # a version built before the term bridge kept words
            return []
        hits = self._search(self._words, [np.asarray(query_vector, np.float32).tolist()], "vec", n, "",
                            ["word"], "IP")
        return [(h["entity"]["word"], float(h["distance"])) for h in hits if h["distance"] >= floor]

    @functools.cached_property
    def _words(self) -> str | None:
        name = _coll(self.store.name, self.gen, "words")
        if not self.client.has_collection(name):
            return None
        self.client.load_collection(name)
        return name

    # --- keyword ------------------------------------------------------------------------------------
    def keyword_top(self, query_norm: str, n: int, selection: Selection | None = None) -> KeywordHits:
        text = _query_keyword_text(query_norm, self.meta.keyword_scheme)
        if not text.strip():
            return KeywordHits(np.zeros(0, np.int64), np.zeros(0, np.float32), 0.0)
        hits = self._search(self._items, [text], "sparse", n, selection_expression(selection, "row"),
                            ["row"], "BM25")
        # Milvus Lite gives BM25 distances as negative numbers, a server as positive ones
        rows = np.array([h["entity"]["row"] for h in hits], np.int64)
        vals = np.array([abs(h["distance"]) for h in hits], np.float32)
        keep = vals > 0
        rows, vals = rows[keep], vals[keep]
        order = np.argsort(-vals, kind="stable")
        rows, vals = rows[order], vals[order]
        if selection is None:
            best = float(vals[0]) if len(vals) else 0.0
        else:
            top = self._search(self._items, [text], "sparse", 1, "", ["row"], "BM25")
            best = abs(float(top[0]["distance"])) if top else 0.0
        return KeywordHits(rows, vals, best)

    def keyword_scores(self, query_norm: str) -> np.ndarray:
        """BM25 of the best KEYWORD_ALL_LIMIT items (Milvus returns no more a search), 0 elsewhere."""
        kw = self.keyword_top(query_norm, KEYWORD_ALL_LIMIT)
        out = np.zeros(len(self.item_doc), np.float32)
        out[kw.rows] = kw.scores
        return out

    def keyword_scores_of(self, query_norm: str, rows: Sequence[int]) -> np.ndarray:
        """From the best KEYWORD_ALL_LIMIT items' BM25 (0 beyond them)."""
        return self.keyword_scores(query_norm)[np.asarray(rows, np.int64)]

    def items_with_phrase(self, key: str) -> np.ndarray:
        if not _like_safe(key):
            rows = self._query_all(self._items, "", ["row", "key"])
            return np.array(sorted(r["row"] for r in rows if key in r["key"]), np.int64)
        rows = self._query_all(self._items, f'key like "%{key}%"', ["row"])
        return np.array(sorted(r["row"] for r in rows), np.int64)

    def phrase_frequency(self, key: str) -> int:
        pairs = self._pair_counts
        if pairs is None:  # built before the table was kept: count by scanning
            return len(self.items_with_phrase(key))
        return min((pairs.get(p, 0) for p in dict.fromkeys(tokenize(key))), default=len(self.item_doc))

    @functools.cached_property
    def _pair_counts(self) -> dict[str, int] | None:
        """The items holding each character pair, read from the docs collection once (None: an
        index built before the table was kept)."""
        parts = self._query_all(self._docs, f"doc_row == {BIGRAM_ROW}", ["part", "body"])
        return _uncut(parts) if parts else None

    # --- windows ------------------------------------------------------------------------------------
    def preload(self, rows: Sequence[int]) -> None:
        """The windows of these items (search is about to find each hit's best window): one query."""
        want = [int(r) for r in rows if int(r) not in self._windows_of]
        if not want:
            return
        if len(self._windows_of) > 10_000:
            self._windows_of.clear()
        got: dict[int, list] = {r: [] for r in want}
        for r in self.client.query(self._wins, filter=f"item_row in [{', '.join(map(str, want))}]",
                                   output_fields=["id", "item_row", "span_a", "span_b", "vec"]):
            got[int(r["item_row"])].append(r)
        for row, ws in got.items():
            ws.sort(key=lambda w: w["id"])
            self._windows_of[row] = (np.array([w["id"] for w in ws], np.int64),
                                     np.array([[w["span_a"], w["span_b"]] for w in ws], np.int64).reshape(-1, 2),
                                     np.array([w["vec"] for w in ws], np.float32).reshape(len(ws), self.meta.dim))
            for w in ws:
                self._spans[int(w["id"])] = (int(w["span_a"]), int(w["span_b"]))

    def item_windows(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        self.preload([row])
        wins, spans, _docs = self._windows_of[int(row)]
        return wins, spans

    def _window_rows(self, windows: np.ndarray, fields: list[str]) -> dict[int, dict]:
        ids = [int(w) for w in np.asarray(windows).tolist()]
        got = self.client.query(self._wins, filter=f"id in [{', '.join(map(str, ids))}]", output_fields=fields)
        return {int(r["id"]): r for r in got}

    def window_vectors(self, windows: np.ndarray) -> np.ndarray:
        windows = np.asarray(windows)
        cached = {}
        for wins, _spans, vecs in self._windows_of.values():
            for w, v in zip(wins.tolist(), vecs):
                cached[w] = v
        if all(int(w) in cached for w in windows.tolist()):
            return np.array([cached[int(w)] for w in windows.tolist()], np.float32).reshape(len(windows), self.meta.dim)
        got = self._window_rows(windows, ["id", "vec"])
        return np.array([got[int(w)]["vec"] for w in windows.tolist()], np.float32).reshape(len(windows), self.meta.dim)

    def window_spans(self, windows: np.ndarray) -> np.ndarray:
        windows = [int(w) for w in np.asarray(windows).tolist()]
        missing = [w for w in windows if w not in self._spans]
        if missing:
            for w, r in self._window_rows(np.array(missing), ["id", "span_a", "span_b"]).items():
                self._spans[w] = (int(r["span_a"]), int(r["span_b"]))
        return np.array([self._spans[w] for w in windows], np.int64).reshape(-1, 2)

    def close(self) -> None:
        if getattr(self, "client", None) is not None:
            disconnect(self.client, self.store.uri)
            self.client = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
