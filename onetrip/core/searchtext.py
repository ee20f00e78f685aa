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


TOKEN_NAME, TOKEN_NAME_PART, TOKEN_OTHER = 1, 2, 3


def search_tokens(name: str, text: str) -> dict[str, int]:
    """Index tokens for a name and its search text (from search_text()), each with its kind: 1 the whole
    name, 2 another suffix of the name, 3 anything else (pinyin, initials, department and theme words).

    Prefix lookups on these find: any substring of the name (every suffix is a token), its pinyin and
    initials from any word on, and the Chinese words of the search text (department, themes, item type).
    A token in several kinds keeps the smallest.
    """
    tokens: dict[str, int] = {}

    def add(token: str, kind: int) -> None:
        token = token[:MAX_TOKEN_LENGTH]
        if token and kind < tokens.get(token, 99):
            tokens[token] = kind

    name = name.strip().lower()
    add(name, TOKEN_NAME)
    for i in range(1, len(name)):
        if name[i].isalnum():  # not from a space or bracket: nobody starts a search with "（"
            add(name[i:], TOKEN_NAME_PART)
    # Pinyin and initials from each word start on, so "tuixiushenpi" and "txsp" find 企业职工退休审批.
    words = [_pinyin(w) for w in jieba.cut(name) if w.strip()]
    for i in range(len(words)):
        add("".join(full for full, _ in words[i:]), TOKEN_OTHER)
        add("".join(initials for _, initials in words[i:]), TOKEN_OTHER)
    # From the rest of the search text (department, themes, type) the Chinese words only: pinyin and
    # initials are for item names, and every item of a department would otherwise repeat ~30 tokens.
    for token in text.split():
        if not token.isascii():
            add(token, TOKEN_OTHER)
    return tokens
