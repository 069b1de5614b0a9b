"""Text normalisation for matching. Users always see the original text; matching uses these forms.

- `normalise(text)`: NFKC (numbering forms, full-width letters/digits/punctuation), Traditional ->
  Simplified, lower case, runs of whitespace folded to one space. `normalise_with_map` also returns,
  for each output character, the offset of the source character it came from, so a match found in
  normalised text can be highlighted in the original.
- `mask_variables(norm)`: replaces what legitimately changes between two years' copies of one plan
  (years and their masks 201X/202_/20**/xxxx年/二〇一九, masked places **区/XX区/某市/○○县) with
  placeholders. `YEAR` and `MASKED_PLACE` are the one definition of those masks (metadata uses them).
- `SENTENCE_END` / `SENTENCE_CLOSERS`: the marks that end a sentence, for every stage that cuts text.
- `compact(text)`: drops whitespace and punctuation, for "is this the same wording" checks.
"""
from __future__ import annotations

import functools
import re
import unicodedata

_WS = re.compile(r"\s+")

# The marks that end a sentence, in either script and width, and the closing quotes and brackets
# that may follow one and still belong to its sentence (…。” / …！）). Every stage that cuts text
# into sentences or asks "does this line end a sentence?" starts from these two.
SENTENCE_END = "。！？!?；;…"
SENTENCE_CLOSERS = "”’\"'）)」』"


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    # hk2s = t2s plus the Hong Kong variant forms (001 prints 保衞, which t2s leaves alone);
    # on the seeds and the work reports it differs from t2s only there.
    return opencc.OpenCC("hk2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified, guaranteed to keep the length (phrase rules that would change
    it fall back to character-by-character conversion), so offsets stay valid."""
    if not text:
        return text
    conv = _t2s().convert(text)
    if len(conv) == len(text):
        return conv
    out = []
    for ch in text:
        c = _t2s().convert(ch)
        out.append(c if len(c) == 1 else ch)
    return "".join(out)


# Punctuation NFKC leaves alone but people type in either width/form.
_PUNCT_MAP = str.maketrans({"。": ".", "、": ",", "“": '"', "”": '"', "‘": "'", "’": "'",
                            "【": "[", "】": "]", "《": "<", "》": ">", "—": "-", "－": "-",
                            "–": "-", "〔": "(", "〕": ")", "．": "."})


# What one (non-space) character normalises to, memoised: search highlights every hit through
# normalise_with_map, and the per-character NFKC call was most of a warm query's Python time.
# Bounded, so text of every code point cannot grow it without end.
_CHAR_FORMS: dict[str, str] = {}
_CHAR_FORMS_MAX = 200_000


def _char_form(ch: str) -> str:
    """What `ch` normalises to, computed and remembered (the caller looks in _CHAR_FORMS first)."""
    # NFKC can yield spaces (⑴ does not, U+3000 is a space already): dropped
    form = "".join(c for c in unicodedata.normalize("NFKC", ch).translate(_PUNCT_MAP).lower()
                   if not c.isspace())
    if len(_CHAR_FORMS) < _CHAR_FORMS_MAX:
        _CHAR_FORMS[ch] = form
        if len(form) == 1:
            _ONE_FORM[ord(ch)] = form
            _ONE_FORM_CHARS.add(ch)
    return form


# The characters seen so far whose form is one character, as a str.translate table: normalise()
# (no offsets wanted) maps a text made only of them, CJK ideographs and spaces in a few C calls. A
# search reads ~200 candidate items and recomputes each one's norm (the index does not store it):
# character by character that was +30 ms a hybrid query at 10^6 items.
_ONE_FORM: dict[int, str] = {}
_ONE_FORM_CHARS: set[str] = {" "}


# A run of CJK unified ideographs normalises to itself (NFKC, lower() and _PUNCT_MAP leave them be):
# copied whole, so only the punctuation, digits and Latin between runs take the per-character path.
# Most of a plan's characters are in such runs, and this function reads every character of a corpus
# (its items' norms, reuse's fingerprints).
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text plus, for each of its characters, the index of the source character."""
    simp = to_simplified(text)
    out: list[str] = []
    offsets: list[int] = []
    prev_space = True  # also strips leading whitespace
    pos = 0
    for run in _HAN_RUN.finditer(simp):
        a, b = run.span()
        if a > pos:
            prev_space = _normalise_chars(simp, pos, a, out, offsets, prev_space)
        out.append(run.group())
        offsets.extend(range(a, b))
        prev_space = False
        pos = b
    if pos < len(simp):
        _normalise_chars(simp, pos, len(simp), out, offsets, prev_space)
    if out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


def _normalise_chars(simp: str, lo: int, hi: int, out: list[str], offsets: list[int], prev_space: bool) -> bool:
    """normalise_with_map one character at a time over simp[lo:hi], appending to out / offsets; a
    space is one element " " of `out`. Returns whether the last character seen was a space."""
    for i in range(lo, hi):
        ch = simp[i]
        if ch.isspace():
            if not prev_space:
                out.append(" ")
                offsets.append(i)
            prev_space = True
            continue
        prev_space = False
        form = _CHAR_FORMS.get(ch)
        if form is None:
            form = _char_form(ch)
        if len(form) == 1:  # nearly every character: the cheap path (extend costs a list each)
            out.append(form)
            offsets.append(i)
        else:
            out.extend(form)
            offsets.extend([i] * len(form))
    return prev_space


def normalise(text: str) -> str:
    """normalise_with_map's text alone, the same string."""
    simp = to_simplified(text)
    spaced = " ".join(simp.split())  # whitespace runs as one space, none at either end
    unknown = set(spaced) - _ONE_FORM_CHARS
    if unknown and all("\u4e00" <= ch <= "\u9fff" for ch in unknown):  # ideographs are their own form
        if len(_ONE_FORM_CHARS) < _CHAR_FORMS_MAX:
            _ONE_FORM_CHARS.update(unknown)
        unknown = ()
    if not unknown:
        return spaced.translate(_ONE_FORM)
    return normalise_with_map(text)[0]


# ---------------------------------------------------------------- masks: years and places

# The one definition of a year as printed or masked, for every stage: mask_variables (on normalised
# text) and metadata.find_years (on the Simplified original) use these very patterns, so the
# characters come in every case and width either text may hold.
MASK_CHARS = "XxＸｘ*＊_＿×"
_M = re.escape(MASK_CHARS)
_CN_YEAR_DIGITS = "〇零○ＯOo一二三四五六七八九"
# - a year 1900-2099: 2019, and masked with its leading digits kept: 201X, 202_, 20**, 20××, 199x;
# - a fully masked year, xxxx / ****: only before 年 / 学年 / 届 / a range dash (the corpus also
#   masks counts that way: "xxxx名", "xxxx万元"); so are the two-character masks of a title ("XX年");
# - a Chinese-numeral year: 二〇一九, 二零一九, 一九九八.
# Nothing glued to Latin letters or other digits counts (GB2019, 12019).
YEAR = re.compile(
    rf"(?<![0-9A-Za-z{_M}])(?:(?P<num>(?:19|20)[0-9]{{2}})|(?P<mask>(?:19|20)[0-9][{_M}]|20[{_M}]{{2}}"
    rf"|(?:[XxＸｘ]{{4}}|[*＊]{{4}}|[XxＸｘ]{{2}}|[*＊]{{2}})(?=\s*(?:年|学年|届|[-—~～至到]))))(?![0-9A-Za-z{_M}])"
    rf"|(?P<cn>(?:一九|二[〇零○ＯOo])[{_CN_YEAR_DIGITS}]{{2}})"
)
# The suffixes the name of a region or an administrative unit ends in.
PLACE_SUFFIX = "省|自治区|市|区|县|旗|州|盟|镇|乡"
# A place the publisher masked: **区, XX区, x市, ××县, 某市, ○○区, xx村. The suffix is looked at,
# not matched (mask_variables replaces only the mask; the `suffix` group names it), and is needed:
# 某 alone is no mask (某些), nor is 全市.
MASKED_PLACE = re.compile(
    rf"(?:[*＊]+|(?<![A-Za-zＸｘ])[XxＸｘ×]{{1,4}}|某+|[○〇]{{2,4}})(?=\s?(?P<suffix>{PLACE_SUFFIX}|村))"
)


_VARIABLES = ((YEAR, "§Y"), (MASKED_PLACE, "§P"))


def mask_variables(norm: str) -> str:
    """Normalised text with years and masked places replaced by placeholders ("§Y", "§P")."""
    for pattern, placeholder in _VARIABLES:
        norm = pattern.sub(placeholder, norm)
    return norm


def mask_variables_with_map(norm: str, starts: list[int], ends: list[int]) -> tuple[str, list[int], list[int]]:
    """`mask_variables` that carries each character's source span along; a placeholder's two
    characters both span the whole text it replaced."""
    text = norm
    for pattern, placeholder in _VARIABLES:
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        last = 0
        for m in pattern.finditer(text):
            out.append(text[last:m.start()])
            new_starts.extend(starts[last:m.start()])
            new_ends.extend(ends[last:m.start()])
            out.append(placeholder)
            new_starts.extend([starts[m.start()]] * len(placeholder))
            new_ends.extend([ends[m.end() - 1]] * len(placeholder))
            last = m.end()
        out.append(text[last:])
        new_starts.extend(starts[last:])
        new_ends.extend(ends[last:])
        text, starts, ends = "".join(out), new_starts, new_ends
    return text, starts, ends


_PUNCT_OR_SPACE = re.compile(r"[^\w§]+|_+")


_KEPT_RUN = re.compile(r"(?:[^\W_]|§)+")  # what compact keeps, as runs


def compact(text: str) -> str:
    """Letters, digits and CJK only (placeholders' § kept): for wording-level equality."""
    return _PUNCT_OR_SPACE.sub("", text)


def union_spans(spans, join_touching: bool = True) -> list[tuple[int, int]]:
    """[start, end) spans merged where they overlap (and, with `join_touching`, where one ends
    where the next begins), in order: the one merge highlights, reuse's coverage and the
    fingerprinted text of a document use."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and (a <= out[-1][1] if join_touching else a < out[-1][1]):
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def compact_with_map(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    """`compact` that carries each kept character's entry of `offsets` along."""
    kept: list[str] = []
    kept_offsets: list[int] = []
    for m in _KEPT_RUN.finditer(text):
        kept.append(m.group())
        kept_offsets.extend(offsets[m.start():m.end()])
    return "".join(kept), kept_offsets


def fold_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()
