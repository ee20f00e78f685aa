"""Domain errors: a stable code, Chinese and English text, and the field (or row) concerned.

Services raise DomainError; the API turns it into a 4xx JSON body, views into form errors, the CLI into a
message. Error texts never contain personal data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    message_zh: str
    message_en: str
    field: str | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = f"[{self.field}] " if self.field else ""
        if self.row is not None:
            where = f"第{self.row}行 {where}"
        return f"{self.code}: {where}{self.message_zh} ({self.message_en})"


class DomainError(Exception):
    """One or more problems with a request; nothing was changed."""

    status_code = 400

    def __init__(self, *errors: ErrorDetail) -> None:
        if not errors:
            raise ValueError("DomainError needs at least one ErrorDetail")
        self.errors: tuple[ErrorDetail, ...] = errors
        super().__init__("; ".join(str(e) for e in errors))

    @classmethod
    def single(
        cls, code: str, message_zh: str, message_en: str, field: str | None = None, row: int | None = None
    ) -> DomainError:
        return cls(ErrorDetail(code, message_zh, message_en, field, row))

    def as_dict(self) -> dict[str, Any]:
        return {"errors": [e.as_dict() for e in self.errors]}


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


def not_found(what_zh: str, what_en: str, field: str | None = None) -> NotFound:
    return NotFound(ErrorDetail("not_found", f"{what_zh}不存在", f"{what_en} not found", field))


def forbidden() -> Forbidden:
    return Forbidden(ErrorDetail("forbidden", "无权访问", "You are not allowed to do this"))
