"""Conditions on case data for exclusive choices, skipped steps and simulated approval: no eval.

Two equivalent forms compile to the same predicate (a closure over the case variables):

* text, as the catalogue stores it on a transition::

      amount >= 1000000 and (kind == "new" or kind in ["change", "move"]) and not is_foreign
      land_rights == true        has_licence           applicant.type != "company"

  Operators: ``== != < <= > >= in``, ``not in``, ``and or not`` (also ``&& || !`` and 且/或/非), parentheses;
  literals: numbers, strings in single or double quotes, ``true false null`` (also True/False/None), lists
  ``[...]``. A bare name is true when the variable is truthy. Dotted names are plain variable names.

* a predicate spec (JSON): ``{"var": "x", "op": "==", "value": 1}``, ``{"all": [...]}``, ``{"any": [...]}``,
  ``{"not": {...}}``; ``{"var": "x"}`` alone tests truthiness.

Evaluation never raises: a missing variable is None, and an ordering between values of different types
(or with None) is false.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import EngineError, bad

Variables = Mapping[str, Any]
Predicate = Callable[[Variables], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d+)?)
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|<|>|&&|\|\||!|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z_\u4e00-\u9fff][\w.\u4e00-\u9fff]*)
    )""",
    re.VERBOSE,
)
_WORD_OPS = {"and": "and", "or": "or", "not": "not", "in": "in", "且": "and", "或": "or", "非": "not"}
_SYMBOL_OPS = {"&&": "and", "||": "or", "!": "not"}
_LITERALS: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}
_COMPARE = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")


def _invalid(source: str, why_zh: str, why_en: str) -> EngineError:
    return bad(
        "invalid_condition",
        f"条件“{source}”无法识别：{why_zh}",
        f"The condition {source!r} cannot be read: {why_en}",
        "condition",
    )


def _tokens(source: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = source.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _invalid(source, f"第{pos + 1}个字符处有无法识别的内容", f"unexpected text at {pos + 1}")
        pos = m.end()
        if m.group("num") is not None:
            num = m.group("num")
            out.append(("lit", float(num) if "." in num else int(num)))
        elif m.group("str") is not None:
            raw = m.group("str")[1:-1]
            out.append(("lit", re.sub(r"\\(.)", r"\1", raw)))
        elif m.group("op") is not None:
            op = m.group("op")
            out.append(("op", _SYMBOL_OPS.get(op, op)))
        else:
            name = m.group("name")
            if name in _WORD_OPS:
                out.append(("op", _WORD_OPS[name]))
            elif name in _LITERALS:
                out.append(("lit", _LITERALS[name]))
            else:
                out.append(("var", name))
    return out


def _compare(op: str, left: Any, right: Any) -> bool:
    try:
        if op == "==":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if op in ("in", "not in"):
            inside = isinstance(right, list | tuple | str) and left in right
            return inside if op == "in" else not inside
        if left is None or right is None or isinstance(left, bool) != isinstance(right, bool):
            return False
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        return False


Getter = Callable[[Variables], Any]


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take_op(self, *ops: str) -> str | None:
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ops:
            self.i += 1
            return str(tok[1])
        return None

    def parse(self) -> Predicate:
        if not self.tokens:
            raise _invalid(self.source, "条件为空", "it is empty")
        pred = self.or_()
        if self.peek() is not None:
            raise _invalid(self.source, "条件末尾有多余内容", "unexpected text at the end")
        return pred

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.take_op("or"):
            parts.append(self.and_())
        if len(parts) == 1:
            return parts[0]
        return lambda v: any(p(v) for p in parts)

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while self.take_op("and"):
            parts.append(self.not_())
        if len(parts) == 1:
            return parts[0]
        return lambda v: all(p(v) for p in parts)

    def not_(self) -> Predicate:
        if self.take_op("not"):
            inner = self.not_()
            return lambda v: not inner(v)
        return self.comparison()

    def comparison(self) -> Predicate:
        tok = self.peek()
        if tok == ("op", "("):
            # Parentheses group boolean sub-expressions (values themselves never need them).
            self.i += 1
            inner = self.or_()
            if not self.take_op(")"):
                raise _invalid(self.source, "缺少右括号", "a closing parenthesis is missing")
            return inner
        left = self.value()
        op = self.take_op("==", "!=", "<", "<=", ">", ">=", "in")
        if op is None and self.peek() == ("op", "not"):
            nxt = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
            if nxt == ("op", "in"):
                self.i += 2
                op = "not in"
        if op is None:
            return lambda v: bool(left(v))
        right = self.value()
        return lambda v: _compare(op, left(v), right(v))

    def value(self) -> Getter:
        tok = self.peek()
        if tok is None:
            raise _invalid(self.source, "条件不完整", "it ends too early")
        self.i += 1
        kind, val = tok
        if kind == "lit":
            return lambda v: val
        if kind == "var":
            name = str(val)
            return lambda v: v.get(name)
        if tok == ("op", "["):
            items: list[Any] = []
            while not self.take_op("]"):
                nxt = self.peek()
                if nxt is None or nxt[0] != "lit":
                    raise _invalid(self.source, "列表只能包含常量", "a list may hold constants only")
                items.append(nxt[1])
                self.i += 1
                if not self.take_op(","):
                    if not self.take_op("]"):
                        raise _invalid(self.source, "列表缺少右方括号", "a list is not closed")
                    break
            frozen = tuple(items)
            return lambda v: frozen
        raise _invalid(self.source, f"此处不能是“{val}”", f"{val!r} is not allowed here")


def _spec(spec: Mapping[str, Any], source: str) -> Predicate:
    if "all" in spec or "any" in spec:
        key = "all" if "all" in spec else "any"
        parts = spec[key]
        if not isinstance(parts, list | tuple) or not parts:
            raise _invalid(source, f"“{key}”需要非空列表", f"{key!r} needs a non-empty list")
        preds = [_spec(p, source) if isinstance(p, Mapping) else _bad_spec(source) for p in parts]
        if key == "all":
            return lambda v: all(p(v) for p in preds)
        return lambda v: any(p(v) for p in preds)
    if "not" in spec:
        inner_spec = spec["not"]
        if not isinstance(inner_spec, Mapping):
            return _bad_spec(source)
        inner = _spec(inner_spec, source)
        return lambda v: not inner(v)
    name = spec.get("var")
    if not isinstance(name, str) or not name:
        return _bad_spec(source)
    if "op" not in spec:
        return lambda v: bool(v.get(name))
    op = spec["op"]
    if op not in _COMPARE:
        raise _invalid(source, f"未知的比较符“{op}”", f"unknown operator {op!r}")
    value = spec.get("value")
    if isinstance(value, list):
        value = tuple(value)
    return lambda v: _compare(op, v.get(name), value)


def _bad_spec(source: str) -> Predicate:
    raise _invalid(
        source, "条件格式应为 {var, op, value}、all、any 或 not", "use {var, op, value}, all, any or not"
    )


def compile_condition(condition: str | Mapping[str, Any]) -> Predicate:
    """The predicate for a condition text or spec; raises EngineError `invalid_condition`."""
    if isinstance(condition, str):
        return _Parser(condition).parse()
    return _spec(condition, repr(dict(condition)))
