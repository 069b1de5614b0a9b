"""Text normalisation for matching. Users always see the original text; matching uses these forms.

- `normalise(text)`: NFKC (numbering forms, full-width letters/digits/punctuation), Traditional ->
  Simplified, lower case, runs of whitespace folded to one space. `normalise_with_map` also returns,
  for each output character, the offset of the source character it came from, so a match found in
  normalised text can be highlighted in the original.
- `mask_variables(norm)`: replaces what legitimately changes between two years' copies of one plan
  (years and their masks 201X/202_/20**/xxxx/二〇一九, masked places **区/XX区) with placeholders.
- `compact(text)`: drops whitespace and punctuation, for "is this the same wording" checks.
"""
from __future__ import annotations

import functools
import re
import unicodedata

_WS = re.compile(r"\s+")


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


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text plus, for each of its characters, the index of the source character."""
    simp = to_simplified(text)
    out: list[str] = []
    offsets: list[int] = []
    prev_space = True  # also strips leading whitespace
    for i, ch in enumerate(simp):
        if ch.isspace():
            if not prev_space:
                out.append(" ")
                offsets.append(i)
            prev_space = True
            continue
        prev_space = False
        n = unicodedata.normalize("NFKC", ch).translate(_PUNCT_MAP).lower()
        for c in n:
            if c.isspace():  # NFKC can yield spaces (e.g. U+3000 handled above, ⑴ does not)
                continue
            out.append(c)
            offsets.append(i)
    if out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


def normalise(text: str) -> str:
    return normalise_with_map(text)[0]


# Years as printed and masked: 2019, 201X, 201x, 20**, 202_, 20XX, xxxx, 二〇一九, 二零一九.
_YEAR = re.compile(
    r"(?<![0-9a-z])(?:(?:19|20)[0-9][0-9x*_]|20[x*_]{2}|x{4}|\*{4})(?![0-9a-z])"
    r"|[一二][〇零○o][一二三四五六七八九〇零○o][一二三四五六七八九〇零○o]"
)
# Masked places: **区, xx区, x市, ××县 (after normalise, X is lower case).
_MASKED_PLACE = re.compile(r"(?:\*+|x{1,3}|×+)(?=[省市区县镇乡村])")


_VARIABLES = ((_YEAR, "§Y"), (_MASKED_PLACE, "§P"))


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


def compact(text: str) -> str:
    """Letters, digits and CJK only (placeholders' § kept): for wording-level equality."""
    return _PUNCT_OR_SPACE.sub("", text)


def fold_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()
