"""Synthetic corpora of numbered work plans made from the real seed items, with planted copy-paste.

    python -m bench.gen_corpus --items 10000 --out bench/out/synth-10000

writes, under --out:
    docs/NNNNN.txt       one plan per file: a title, `一、…` headings, `1.` items
    docs/manifest.csv    file,year,region,kind (the columns plansearch.metadata accepts)
    truth.jsonl          one planted copy per line: source and target document, the copied text as
                         written in each (the target may be Traditional or lightly edited), the item
                         ordinals and character spans in each file
    provenance.json      for each document, the seed item each of its items was made from (the
                         benchmark derives "cached-real + noise" vectors from it)

How the text is made. Every synthetic item starts from a real seed item (`load_corpus("corpus")`):
its clauses are reordered, one may be dropped or one from another item inserted, numbers and years
are swapped, and about two words in five are replaced by another seed word of the same length. The
word swaps matter: sampling 10^5 items from ~290 seeds would otherwise repeat each seed ~350 times,
and every document would "copy" every other one, so precision against the planted truth would mean
nothing. With them, two unplanted items rarely share a verbatim run of 16+ characters, while the
text keeps the vocabulary, length and punctuation of real plans; the rare item that still shares a
run of CHANCE_SHINGLE (24) characters (as reuse compares them: normalised, numbers and
enumerations masked) with another document's item is made again, so every
shared passage of reuse's min_chars=30 is a planted one. About 10% of the documents are
written in Traditional script (opencc s2t) after copies are planted, as scraped plans sometimes are.

Planted copies: a run of 1-3 consecutive items of document X inserted as items of document Y, or
1-2 sentences of an item of X appended to an item of Y, at least MIN_COPY_CHARS (60) Han characters
and digits long; half of them with a small edit (a character or a number changed). Each source passage is copied once and no copied item is copied again, so a
copy is one (X, Y) pair.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent.parent / "corpus"
CN_NUM = "一二三四五六七八九十"
REGIONS = ["华州区", "夷陵区", "东营市", "泰州市", "新都区", "海淀区", "朝阳区", "浦东新区", "江宁区", "余杭区",
           "武侯区", "雁塔区", "岳麓区", "鼓楼区", "思明区", "南山区", "天河区", "历下区", "金水区", "洪山区",
           "长安区", "西湖区", "玄武区", "和平区", "南岗区", "宽城区", "小店区", "城关区", "兴庆区", "五华区",
           "青羊区", "渝中区", "秀英区", "青秀区", "云岩区", "东湖区", "瑶海区", "仓山区", "市中区", "莲湖区"]
ISSUERS = ["教育局", "人民政府", "发展和改革局", "卫生健康局", "财政局", "民政局"]
_CLAUSE = re.compile(r"[^，,；;。！？]+[，,；;。！？]?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_YEAR = re.compile(r"(?:19|20)\d{2}(?=年)")
# A planted copy has at least this many Han characters and digits. Reuse is scored at min_chars=30
# and half the copies carry one edit near the middle, which splits a verbatim run in two: a copy
# shorter than 2 x 30 is not a fair target (the first run planted 30-41-char copies and counted
# them as misses).
MIN_COPY_CHARS = 60
CHANCE_SHINGLE = 24  # unplanted items of two documents share no run this long (reuse's masked key)


def _copy_chars(text: str) -> int:
    return len(re.sub(r"[^\u4e00-\u9fff0-9]", "", text))


@dataclass
class SeedMaterial:
    items: list[list[str]]  # each seed item as clauses (Simplified, punctuation kept)
    words: dict[int, list[str]]  # seed words by length, for replacements
    headings: list[str]  # top-level heading titles


@dataclass
class SynthDoc:
    name: str
    year: int
    region: str
    kind: str
    title: str
    sections: list[tuple[str, list[str]]]  # (heading title, item texts)
    provenance: list[int] = field(default_factory=list)  # seed item per item, in order

    def items(self) -> list[str]:
        return [t for _, its in self.sections for t in its]

    def locate(self, ordinal: int) -> tuple[int, int]:
        for s, (_, its) in enumerate(self.sections):
            if ordinal < len(its):
                return s, ordinal
            ordinal -= len(its)
        raise IndexError(ordinal)


def load_seed_material(seed_dir: str | Path = SEED_DIR) -> SeedMaterial:
    import logging

    import jieba

    from plansearch.corpus import load_corpus
    from plansearch.normalise import to_simplified

    jieba.setLogLevel(logging.WARNING)
    docs = load_corpus(str(seed_dir))
    items, words, headings = [], {}, set()
    for d in docs:
        for h in d.headings:
            t = re.sub(r"[。.，,：:；;\s]+$", "", to_simplified(h.title)).strip()
            if h.level == 1 and 2 <= len(t) <= 30 and not re.search(r"\d|x|\*", t):
                headings.add(t)
        for it in d.items:
            text = re.sub(r"\s+", "", to_simplified(it.text))
            # a clause opening with a number reads as the next item's label ("。9修订…"): drop it
            clauses = [re.sub(r"^[\d\u2488-\u249b\u2460-\u2473]+[.、．)）]?", "", c) for c in _CLAUSE.findall(text)]
            clauses = [c for c in clauses if len(c) >= 4]
            if len(clauses) >= 1 and len(text) >= 12:
                items.append(clauses)
            for w in jieba.lcut(text):
                if re.fullmatch(r"[\u4e00-\u9fff]{1,4}", w):
                    words.setdefault(len(w), []).append(w)
    words = {n: sorted(set(ws)) for n, ws in words.items()}
    return SeedMaterial(items, words, sorted(headings) or ["重点工作"])


def _replacement(w: str, mat: SeedMaterial, rng: random.Random) -> str:
    """A seed word (or words) of the same length as `w`."""
    out, n = "", len(w)
    while n > 0:
        k = min(n, 4)
        while k not in mat.words:
            k -= 1
        out += rng.choice(mat.words[k])
        n -= k
    return out


def _perturb_clause(clause: str, mat: SeedMaterial, rng: random.Random, p_word: float,
                    max_run: int = 10) -> str:
    """Swap about `p_word` of the words for seed words of the same length, and at least one word in
    every `max_run` characters: two unplanted items then never share a 16+ character run."""
    import jieba

    out, run = [], 0
    for w in jieba.lcut(clause):
        cjk = re.fullmatch(r"[\u4e00-\u9fff]+", w) is not None
        if cjk and (rng.random() < p_word or run + len(w) > max_run):
            out.append(_replacement(w, mat, rng))
            run = 0
        else:
            out.append(w)
            run += len(w)
    s = "".join(out)
    s = _YEAR.sub(lambda m: str(rng.randint(2008, 2025)), s)
    s = _NUMBER.sub(lambda m: str(rng.randint(1, 99)) if "." not in m.group(0) else f"{rng.uniform(1, 99):.1f}"
                    if not _YEAR.fullmatch(m.group(0)) else m.group(0), s)
    return s


def make_item(mat: SeedMaterial, rng: random.Random, p_word: float = 0.4) -> tuple[str, int]:
    """A new item from a random seed item: clauses reordered / dropped / borrowed, words and
    numbers swapped. Returns (text, seed item index)."""
    src = rng.randrange(len(mat.items))
    clauses = list(mat.items[src])
    if len(clauses) > 2 and rng.random() < 0.3:
        clauses.pop(rng.randrange(len(clauses)))
    if rng.random() < 0.3:
        other = mat.items[rng.randrange(len(mat.items))]
        clauses.insert(rng.randrange(len(clauses) + 1), rng.choice(other))
    if len(clauses) > 2 and rng.random() < 0.4:
        head, tail = clauses[0], clauses[1:]
        rng.shuffle(tail)
        clauses = [head] + tail
    text = "".join(_perturb_clause(c, mat, rng, p_word) for c in clauses)
    text = re.sub(r"[，,；;]$", "", text)
    if not re.search(r"[。！？]$", text):
        text += "。"
    return text, src


def small_edit(text: str, mat: SeedMaterial, rng: random.Random) -> str:
    """One local edit a copier makes: a number changed, else one word swapped near the middle."""
    nums = list(_NUMBER.finditer(text))
    if nums and rng.random() < 0.5:
        m = rng.choice(nums)
        return text[:m.start()] + str(int(float(m.group(0))) + rng.randint(1, 9)) + text[m.end():]
    mid = len(text) // 2
    for i in range(mid, len(text) - 2):
        w = text[i:i + 2]
        if re.fullmatch(r"[\u4e00-\u9fff]{2}", w):
            return text[:i] + rng.choice(mat.words[2]) + text[i + 2:]
    return text


def _sentences(text: str) -> list[str]:
    return [s for s in re.findall(r"[^。！？]+[。！？]?", text) if s]


def render(doc: SynthDoc) -> tuple[str, list[tuple[int, int]]]:
    """The file text and each item's [start, end) (label excluded) in it."""
    lines = [doc.title, ""]
    spans = []
    pos = sum(len(x) + 1 for x in lines)
    for s, (heading, its) in enumerate(doc.sections):
        h = f"{CN_NUM[s] if s < 10 else str(s + 1)}、{heading}"
        lines.append(h)
        pos += len(h) + 1
        for n, t in enumerate(its, 1):
            label = f"{n}."
            lines.append(label + t)
            spans.append((pos + len(label), pos + len(label) + len(t)))
            pos += len(label) + len(t) + 1
        lines.append("")
        pos += 1
    return "\n".join(lines) + "\n", spans


def _chance_shingles(text: str) -> list[str]:
    # the key reuse compares: normalised, numbers and enumerations (一是, 八是, 首届...) masked
    from plansearch.normalise import compact, mask_variables, normalise

    key = compact(mask_variables(normalise(text)))
    return [key[i:i + CHANCE_SHINGLE] for i in range(len(key) - CHANCE_SHINGLE + 1)]


def _remove_chance_reuse(docs: list["SynthDoc"], mat: SeedMaterial, rng: random.Random, rounds: int = 8) -> int:
    """Regenerate items that share a run of CHANCE_SHINGLE+ characters (masked key) with an item of
    another document. With ~350 items per seed at 10^5 items, a few runs of clauses survive the word
    swaps unchanged in several documents (the first run found a 40-char passage in 5 documents):
    real shared text, found as it should be, that the planted truth did not list. Returns the
    number of items regenerated."""
    redone = 0
    for _ in range(rounds):
        owner: dict[str, int] = {}
        bad: set[tuple[int, int, int]] = set()
        for di, d in enumerate(docs):
            for si, (_h, its) in enumerate(d.sections):
                for ii, t in enumerate(its):
                    for sh in _chance_shingles(t):
                        o = owner.setdefault(sh, di)
                        if o != di:
                            bad.add((di, si, ii))
                            break
        if not bad:
            return redone
        for di, si, ii in bad:
            d = docs[di]
            t, src = make_item(mat, rng)
            d.sections[si][1][ii] = t
            d.provenance[sum(len(its) for _, its in d.sections[:si]) + ii] = src
        redone += len(bad)
    return redone


def generate(n_items: int, out: str | Path, seed: int = 0, items_per_doc: int = 50,
             copy_rate: float = 0.25, trad_share: float = 0.1, mat: SeedMaterial | None = None,
             remove_chance_reuse: bool = True) -> dict:
    """Write a corpus of about `n_items` items (see module docstring). Returns a summary.
    `remove_chance_reuse=False` skips re-making items that share text by chance: its shingle table
    (~10^8 strings at 10^6 items) does not fit in memory, and only reuse scoring needs it."""
    import opencc

    rng = random.Random(seed)
    mat = mat or load_seed_material()
    out = Path(out)
    docs_dir = out / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    n_docs = max(2, round(n_items / items_per_doc))
    sizes = [items_per_doc] * n_docs
    for i in range(n_docs):  # vary sizes, keeping the total
        d = rng.randint(-items_per_doc // 3, items_per_doc // 3)
        j = rng.randrange(n_docs)
        if sizes[i] + d >= 5 and sizes[j] - d >= 5:
            sizes[i] += d
            sizes[j] -= d
    # planted copies add items; shrink the generated ones so the total stays n_items
    n_copies = max(2, int(n_docs * copy_rate))
    docs: list[SynthDoc] = []
    width = max(5, len(str(n_docs)))
    for i in range(n_docs):
        region = rng.choice(REGIONS)
        issuer = rng.choice(ISSUERS)
        year = rng.randint(2010, 2025)
        kind = "summary" if rng.random() < 0.15 else "plan"
        title = f"{region}{issuer}{year}年工作{'总结' if kind == 'summary' else '要点'}"
        n_sec = rng.randint(3, 6)
        # headings are perturbed too: a heading shared verbatim by every plan is boilerplate reuse
        # the planted truth does not list
        heads = [_perturb_clause(h, mat, rng, 0.5) for h in rng.sample(mat.headings, min(n_sec, len(mat.headings)))]
        sections: list[tuple[str, list[str]]] = [(h, []) for h in heads]
        prov = []
        for _ in range(sizes[i]):
            t, src = make_item(mat, rng)
            sections[len(prov) * len(sections) // sizes[i]][1].append(t)
            prov.append(src)
        docs.append(SynthDoc(f"{i:0{width}d}", year, region, kind, title, sections, prov))

    chance = _remove_chance_reuse(docs, mat, rng) if remove_chance_reuse else None

    # Items become mutable entries [text] so planted insertions do not disturb earlier truth:
    # truth rows hold entries and are resolved to ordinals once every copy is planted.
    for d in docs:
        d.sections = [(h, [[t] for t in its]) for h, its in d.sections]
    truth = []
    used: set[int] = set()  # id() of entries that are copied or are copies
    attempts = 0
    while len(truth) < n_copies and attempts < n_copies * 20:
        attempts += 1
        x, y = rng.sample(range(n_docs), 2)
        X, Y = docs[x], docs[y]
        x_entries = X.items()
        if rng.random() < 0.7:  # a run of whole items
            run = rng.randint(1, 3)
            a = rng.randrange(max(1, len(x_entries) - run + 1))
            src = x_entries[a:a + run]
            if any(id(e) in used for e in src):
                continue
            if _copy_chars("".join(e[0] for e in src)) < MIN_COPY_CHARS:
                continue
            edited = rng.random() < 0.5
            tgt = [[small_edit(e[0], mat, rng) if edited and k == 0 else e[0]] for k, e in enumerate(src)]
            sec, pos = Y.locate(rng.randrange(len(Y.items())))
            Y.sections[sec][1][pos:pos] = tgt
            at = sum(len(its) for _, its in Y.sections[:sec]) + pos
            Y.provenance[at:at] = [X.provenance[a + k] for k in range(len(src))]
            used |= {id(e) for e in src + tgt}
            truth.append({"kind": "items", "edited": edited, "source": (X, src, [e[0] for e in src]),
                          "target": (Y, tgt, [e[0] for e in tgt])})
        else:  # one or two sentences of an item appended to an item of Y
            e = rng.choice(x_entries)
            if id(e) in used:
                continue
            sents = _sentences(e[0])
            s0 = rng.randrange(len(sents)) if sents else 0
            piece = "".join(sents[s0:s0 + rng.randint(1, 2)])
            if _copy_chars(piece) < MIN_COPY_CHARS:
                continue
            f = rng.choice(Y.items())
            if id(f) in used:
                continue
            edited = rng.random() < 0.5
            tgt_piece = small_edit(piece, mat, rng) if edited else piece
            f[0] = f[0] + tgt_piece
            used |= {id(e), id(f)}
            truth.append({"kind": "sentences", "edited": edited, "source": (X, [e], [piece]),
                          "target": (Y, [f], [tgt_piece])})
    for t in truth:
        for side in ("source", "target"):
            d, entries, _pieces = t[side]
            ordinal = {id(e): o for o, e in enumerate(d.items())}
            t[side + "_ords"] = [ordinal[id(e)] for e in entries]
    for d in docs:
        d.sections = [(h, [e[0] for e in its]) for h, its in d.sections]

    s2t = opencc.OpenCC("s2t")
    trad = {d.name for d in docs if rng.random() < trad_share}
    texts = {}
    for d in docs:
        if d.name in trad:
            d.title = s2t.convert(d.title)
            d.sections = [(s2t.convert(h), [s2t.convert(t) for t in its]) for h, its in d.sections]
        text, spans = render(d)
        texts[d.name] = (text, spans)
        (docs_dir / f"{d.name}.txt").write_text(text, encoding="utf-8")
    with open(docs_dir / "manifest.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "year", "region", "kind"])
        for d in docs:
            w.writerow([f"{d.name}.txt", d.year, d.region, d.kind])
    with open(out / "truth.jsonl", "w", encoding="utf-8") as f:
        for t in truth:
            row = {"kind": t["kind"], "edited": t["edited"]}
            for side in ("source", "target"):
                d, _entries, pieces = t[side]
                text, spans = texts[d.name]
                items = d.items()
                ordinals = t[side + "_ords"]
                rec = {"doc": d.name, "items": ordinals, "text": [], "spans": [],
                       "traditional": d.name in trad}
                for o, piece in zip(ordinals, pieces):
                    if d.name in trad:
                        piece = s2t.convert(piece)
                    a, _b = spans[o]
                    at = items[o].find(piece)
                    assert at >= 0, (d.name, o, piece)
                    rec["text"].append(piece)
                    rec["spans"].append([a + at, a + at + len(piece)])
                row[side] = rec
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "provenance.json").write_text(json.dumps({d.name: d.provenance for d in docs}), encoding="utf-8")
    n_total = sum(len(d.items()) for d in docs)
    summary = {"documents": n_docs, "items": n_total, "copies": len(truth), "traditional": len(trad),
               "seed_items": len(mat.items), "seed": seed, "chance_items_regenerated": chance}
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def read_truth(out: str | Path) -> list[dict]:
    with open(Path(out) / "truth.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def make_compare_pair(n_items: int, out: str | Path, seed: int = 0, mat: SeedMaterial | None = None) -> list:
    """Two plans A and B of `n_items` items each for compare benchmarks: B keeps ~60% of A's items
    verbatim, edits ~20% slightly, drops the rest and adds new items, and moves a few around.
    Writes out/a.txt and out/b.txt; returns the truth: for each B item, A's ordinal or None (new)."""
    rng = random.Random(seed)
    mat = mat or load_seed_material()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    a_items = [make_item(mat, rng)[0] for _ in range(n_items)]
    b: list[tuple[str, int | None]] = []
    for i, t in enumerate(a_items):
        r = rng.random()
        if r < 0.6:
            b.append((t, i))
        elif r < 0.8:
            b.append((small_edit(small_edit(t, mat, rng), mat, rng), i))
        # else dropped
    while len(b) < n_items:
        b.insert(rng.randrange(len(b) + 1), (make_item(mat, rng)[0], None))
    for _ in range(max(1, n_items // 20)):  # a few moves
        j = rng.randrange(len(b))
        b.insert(rng.randrange(len(b)), b.pop(j))

    def doc(name: str, items: list[str]) -> SynthDoc:
        per = max(1, len(items) // 5)
        secs = [(mat.headings[s % len(mat.headings)], items[s * per:(s + 1) * per if s < 4 else None])
                for s in range(5)]
        return SynthDoc(name, 2021, "华州区", "plan", f"华州区教育局{2020 + (name == 'b')}年工作要点",
                        [s for s in secs if s[1]])
    for name, items in (("a", a_items), ("b", [t for t, _ in b])):
        (out / f"{name}.txt").write_text(render(doc(name, items))[0], encoding="utf-8")
    truth = [i for _, i in b]
    (out / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, required=True, help="about how many items in all")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--items-per-doc", type=int, default=50)
    ap.add_argument("--copy-rate", type=float, default=0.25, help="planted copies per document")
    ap.add_argument("--trad-share", type=float, default=0.1)
    args = ap.parse_args(argv)
    print(json.dumps(generate(args.items, args.out, args.seed, args.items_per_doc, args.copy_rate,
                              args.trad_share)))


if __name__ == "__main__":
    main()


# --- a diffusion corpus for lineage (issue #26) ------------------------------------------------------

def synonym_swap(text: str, share: float, rng: random.Random) -> str:
    """Swap `share` of the words the thesaurus (词林, as check reads it) holds for one of their
    synonyms: the 降重 a copier does to hide a copy."""
    from plansearch.synonyms import segment, synonyms

    out = []
    for a, b in segment(text):
        w = text[a:b]
        alts = sorted(synonyms(w)) if len(w) >= 2 else []
        out.append(rng.choice(alts) if alts and rng.random() < share else w)
    return "".join(out)


def reword(text: str, mat: SeedMaterial, rng: random.Random) -> str:
    """The same measure in other words: clauses kept in order, most words swapped for seed words
    (a char-level copy no longer; the meaning is carried by the vectors the benchmark gives it)."""
    clauses = _CLAUSE.findall(text)
    return "".join(_perturb_clause(c, mat, rng, 0.7) for c in clauses) or text


@dataclass
class DiffusionItem:
    key: str  # "doc_id:ordinal" once placed; "absent:N" for a source outside the corpus
    text: str
    seed: int  # the seed item its vectors derive from (originals)
    parent: str | None = None  # the key of the item it was copied from (truth)
    how: str = ""  # original | edit | reword | boilerplate | sibling (a copy of an absent source)
    source: str | None = None  # a sibling's absent source


def generate_diffusion(n_items: int, out: str | Path, seed: int = 0, swap_share: float = 0.25,
                       items_per_doc: int = 40, years: tuple[int, int] = (2016, 2024),
                       mat: SeedMaterial | None = None) -> dict:
    """A corpus whose copies are known: who copied which item from whom, when.

    - Issuers (a district's 教育局) publish one plan a year over `years`; a third of the plans state
      their day (印发日期).
    - Each plan's items are new measures (made from seed items), except: one boilerplate item every
      plan holds; copies of measures of *other* issuers published 1-3 years before (each copy edited,
      `swap_share` of its thesaurus words swapped for synonyms, one in six reworded), so that a copy
      of a copy is a chain (the copy inherits its parent's edits and swaps and adds its own);
    - absent sources: a measure outside the corpus copied by two plans of one year: undated, they are
      same-period relatives (no parent); dated, the later has the earlier as parent.
    Writes docs/*.txt, docs/manifest.csv and lineage_truth.json (every item's key, parent, how, text
    and seed; the absent sources too). Returns a summary."""
    rng = random.Random(seed)
    mat = mat or load_seed_material()
    out = Path(out)
    (out / "docs").mkdir(parents=True, exist_ok=True)
    span = list(range(years[0], years[1] + 1))
    n_docs = max(8, round(n_items / items_per_doc))
    per_issuer = 3  # plans of an issuer in the corpus (years drawn from `years`)
    n_issuers = max(3, n_docs // per_issuer)
    issuers = [f"{REGIONS[i % len(REGIONS)]}{'' if i < len(REGIONS) else i // len(REGIONS)}教育局"
               for i in range(n_issuers)]
    made: dict[int, list[str]] = {}  # seed item -> the originals made from it

    def fresh_item() -> tuple[str, int]:
        """A new measure that is no chance copy of another made from the same seed item: the
        truth has no edge for it, so it must not read as one (char similarity < 0.5)."""
        from rapidfuzz.distance import Indel

        for _ in range(30):
            text, s = make_item(mat, rng)
            if all(Indel.normalized_similarity(text, t) < 0.5 for t in made.get(s, ())):
                break
        made.setdefault(s, []).append(text)
        return text, s

    boiler = make_item(mat, rng)
    plans = []  # (doc_id, issuer, year, date or None)
    for i, iss in enumerate(issuers):
        for y in sorted(rng.sample(span, min(per_issuer, len(span)))):
            if len(plans) >= n_docs:
                break
            date = f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 1 / 3 else None
            plans.append((f"p{i:04d}_{y}", iss, y, date))
    plans.sort(key=lambda p: (p[2], p[3] or "9999", p[0]))
    published: dict[int, list[DiffusionItem]] = {}  # year -> measures placed that year (copyable later)
    docs_items: dict[str, list[DiffusionItem]] = {}
    issuer_of = {p[0]: p[1] for p in plans}
    absent: list[DiffusionItem] = []
    # absent sources: pairs of plans of one year, one measure each
    by_year: dict[int, list[tuple]] = {}
    for p in plans:
        by_year.setdefault(p[2], []).append(p)
    sibling_pairs = []
    for y, ps in by_year.items():
        rng.shuffle(ps)
        for a, b in zip(ps[0:max(1, len(ps) // 10) * 2:2], ps[1:max(1, len(ps) // 10) * 2:2]):
            sibling_pairs.append((a[0], b[0]))
    sibling_of: dict[str, list[DiffusionItem]] = {}
    for a, b in sibling_pairs:
        text, s = fresh_item()
        src = DiffusionItem(f"absent:{len(absent)}", text, s, None, "absent")
        absent.append(src)
        for d in (a, b):
            sibling_of.setdefault(d, []).append(src)

    def copy_of(parent: DiffusionItem) -> DiffusionItem:
        if rng.random() < 1 / 6:
            return DiffusionItem("", reword(parent.text, mat, rng), parent.seed, parent.key, "reword")
        text = synonym_swap(small_edit(parent.text, mat, rng), swap_share, rng)
        return DiffusionItem("", text, parent.seed, parent.key, "edit")

    for doc_id, iss, y, date in plans:
        items = [DiffusionItem("", boiler[0], boiler[1], None, "boilerplate")]
        pool = [m for yy in range(y - 3, y) for m in published.get(yy, []) if issuer_of[m.key.partition(":")[0]] != iss]
        k = min(len(pool), rng.choice([0, 1, 2, 3, 4, 6]))
        for parent in rng.sample(pool, k):
            items.append(copy_of(parent))
        for src in sibling_of.get(doc_id, []):
            items.append(copy_of(src))
        while len(items) < items_per_doc:
            text, s = fresh_item()
            items.append(DiffusionItem("", text, s, None, "original"))
        head, rest = items[:1], items[1:]
        rng.shuffle(rest)
        items = head + rest
        for n, it in enumerate(items):
            it.key = f"{doc_id}:{n}"
        docs_items[doc_id] = items
        published.setdefault(y, []).extend(it for it in items[1:])
    # a copy of an absent source: its parent is outside the corpus; between the two siblings, the dated
    # earlier one is the later one's parent (truth follows the rule lineage is asked to follow)
    when = {p[0]: (p[2], p[3]) for p in plans}
    key_of_absent = {a.key for a in absent}
    for a, b in sibling_pairs:
        ia = next(it for it in docs_items[a] if it.parent in key_of_absent and it.parent in
                  {x.parent for x in docs_items[b]})
        ib = next(it for it in docs_items[b] if it.parent == ia.parent)
        (ya, da), (yb, db) = when[a], when[b]
        for it in (ia, ib):
            it.how, it.source = "sibling", it.parent
        if da and db and da != db and ya == yb:
            first, second = (ia, ib) if da < db else (ib, ia)
            second.parent = first.key
            first.parent = None
        else:
            ia.parent = ib.parent = None
    # write
    rows = []
    for doc_id, iss, y, date in plans:
        lines = [f"{iss}{y}年工作要点", "一、总体要求", docs_items[doc_id][0].text, "二、重点工作"]
        lines += [f"{n}. {it.text}" for n, it in enumerate(docs_items[doc_id][1:], 1)]
        if date:
            yy, mm, dd = date.split("-")
            lines += [iss, f"{yy}年{int(mm)}月{int(dd)}日"]
        (out / "docs" / f"{doc_id}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        rows.append({"file": f"{doc_id}.txt", "year": y, "region": iss.removesuffix("教育局"), "issuer": iss,
                     "kind": "plan"})
    with open(out / "docs" / "manifest.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["file", "year", "region", "issuer", "kind"])
        w.writeheader()
        w.writerows(rows)
    truth = {"seed": seed, "swap_share": swap_share, "absent": [vars(a) for a in absent],
             "plans": [{"doc_id": p[0], "issuer": p[1], "year": p[2], "date": p[3]} for p in plans],
             "items": [vars(it) for d in plans for it in docs_items[d[0]]]}
    (out / "lineage_truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    n_copies = sum(1 for d in docs_items.values() for it in d if it.parent)
    return {"documents": len(plans), "issuers": n_issuers, "items": sum(len(v) for v in docs_items.values()),
            "copies": n_copies, "absent_sources": len(absent)}
