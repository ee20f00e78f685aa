"""Search text for Chinese names: the words, their full pinyin and pinyin initials.

`search_text("企业职工退休")` gives a space-separated string containing 企业职工退休, the segmented words,
`qiyezhigongtuixiu`, `tuixiu`, `qyzgtx`, `tx` … so that one LIKE/trigram query on one column answers Chinese,
full-pinyin and initials searches (退休 / tuixiu / tx).
"""

from __future__ import annotations

import logging

import jieba
from pypinyin import lazy_pinyin

jieba.setLogLevel(logging.WARNING)


def _pinyin(text: str) -> tuple[str, str]:
    syllables = [s for s in lazy_pinyin(text, errors="ignore") if s.isascii() and s.isalnum()]
    full = "".join(syllables).lower()
    initials = "".join(s[0] for s in syllables).lower()
    return full, initials


def segment(text: str) -> list[str]:
    return [w.strip() for w in jieba.cut_for_search(text) if w.strip()]


def search_text(*parts: str) -> str:
    """Tokens for the given texts (name first), lower-cased, de-duplicated, in a stable order."""
    tokens: list[str] = []
    for part in parts:
        if not part:
            continue
        part = part.strip().lower()
        tokens.append(part)
        full, initials = _pinyin(part)
        tokens += [full, initials]
        for word in segment(part):
            tokens.append(word)
            if not word.isascii():
                w_full, w_initials = _pinyin(word)
                tokens += [w_full, w_initials]
    seen: set[str] = set()
    unique = []
    for token in tokens:
        if token and token not in seen:
            seen.add(token)
            unique.append(token)
    return " ".join(unique)


def normalise_query(query: str) -> str:
    return " ".join(query.strip().lower().split())


MAX_TOKEN_LENGTH = 64


def search_tokens(name: str, text: str) -> set[str]:
    """Index tokens for a name and its search text (from search_text()).

    Prefix lookups on these find: any substring of the name (every suffix is a token), any run of its pinyin
    syllables (suffixes of the full pinyin at syllable boundaries) and of its initials, and any token of the
    search text (words of the department and themes, their pinyin and initials).
    """
    tokens: set[str] = set()
    name = name.strip().lower()
    syllables = [s for s in lazy_pinyin(name, errors="ignore") if s.isascii() and s.isalnum()]
    initials = "".join(s[0] for s in syllables)
    for i in range(len(name)):
        if not name[i].isspace():
            tokens.add(name[i:][:MAX_TOKEN_LENGTH])
    for i in range(len(syllables)):
        tokens.add("".join(syllables[i:])[:MAX_TOKEN_LENGTH])
    for i in range(len(initials)):
        tokens.add(initials[i:][:MAX_TOKEN_LENGTH])
    tokens.update(t[:MAX_TOKEN_LENGTH] for t in text.split())
    tokens.discard("")
    return tokens
