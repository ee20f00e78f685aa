"""Engine errors: a stable code, Chinese and English text, and whether the problem is a conflict (409).

An operation that raises has changed nothing: operations work on a copy of the instance (see engine.py).
`DefinitionError` carries every problem found when compiling a definition at once.
"""

from __future__ import annotations


class EngineError(Exception):
    """A refused operation. `conflict`: the state moved on (stale version, task already done) → HTTP 409;
    `forbidden`: the actor may not do this → 403; otherwise a bad request → 400."""

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        conflict: bool = False,
        forbidden: bool = False,
        field: str | None = None,
    ) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.conflict = conflict
        self.forbidden = forbidden
        self.field = field
        super().__init__(f"{code}: {message_zh} ({message_en})")


class DefinitionError(Exception):
    """A process definition that does not compile; `errors` lists every problem (each an EngineError)."""

    def __init__(self, errors: list[EngineError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


def conflict(code: str, zh: str, en: str, field: str | None = None) -> EngineError:
    return EngineError(code, zh, en, conflict=True, field=field)


def forbidden(code: str, zh: str, en: str, field: str | None = None) -> EngineError:
    return EngineError(code, zh, en, forbidden=True, field=field)


def bad(code: str, zh: str, en: str, field: str | None = None) -> EngineError:
    return EngineError(code, zh, en, field=field)
