"""Plain input data for the pure bundle core (merge, projection, critical path, figures).

selectors.member_specs() builds these from the database in a fixed number of queries; the benchmark and
the unit tests build them directly. Nothing in the core touches the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a member item's form, as the item's own guide defines it."""

    code: str
    label: str
    field_type: str
    data_element: str | None = None  # element code; None: an item-specific field
    element_name: str = ""
    required: bool = True
    max_length: int | None = None
    options: tuple[Any, ...] = ()
    pattern: str = ""
    section: str = ""
    help_text: str = ""
    subject: str = "applicant"  # whose data (catalog FieldSubject): another person's is asked apart


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    code: str
    text: str
    options: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class MaterialSpec:
    code: str
    name: str
    kind: str = "original"
    necessity: str = "key"
    source: str = "applicant"
    source_note: str = ""
    licence_type: str = ""
    data_elements: tuple[str, ...] = ()
    situations: tuple[str, ...] = ()  # situation codes it applies to; empty: every situation
    deficiency_allowed: bool = False
    paper_copies: int = 0


@dataclass(frozen=True, slots=True)
class StepSpec:
    code: str
    name: str
    kind: str = "task"
    department_id: int | None = None


@dataclass(frozen=True, slots=True)
class MemberSpec:
    """One bundle member with the parts of its (pinned or previewed) item version the core needs."""

    code: str
    item_code: str
    item_name: str
    department_id: int
    department_name: str
    optional: bool = False
    situation_code: str = ""
    situation_name: str = ""
    depends_on: tuple[str, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    questions: tuple[QuestionSpec, ...] = ()
    materials: tuple[MaterialSpec, ...] = ()
    steps: tuple[StepSpec, ...] = ()
    promised_limit: int | None = None
    promised_limit_unit: str = "working"
    statutory_limit: int | None = None
    statutory_limit_unit: str = "working"
    immediate: bool = False
    trips: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def field_key(self, spec: FieldSpec) -> str:
        """The merged-submission key of one of this member's fields: the data element, else namespaced."""
        return spec.data_element or f"{self.code}.{spec.code}"


def member_to_dict(member: MemberSpec) -> dict[str, Any]:
    """JSON-ready form of a member (options and other tuples become lists)."""
    out = asdict(member)
    out.pop("extra", None)
    return out


def member_from_dict(data: dict[str, Any]) -> MemberSpec:
    def tup(value: Any) -> tuple[Any, ...]:
        return tuple(value or ())

    return MemberSpec(
        **{
            **{
                k: v
                for k, v in data.items()
                if k not in {"fields", "questions", "materials", "steps", "extra"}
            },
            "depends_on": tup(data.get("depends_on")),
            "fields": tuple(
                FieldSpec(**{**f, "options": tup(f.get("options"))}) for f in data.get("fields", ())
            ),
            "questions": tuple(
                QuestionSpec(**{**q, "options": tup(q.get("options"))}) for q in data.get("questions", ())
            ),
            "materials": tuple(
                MaterialSpec(
                    **{
                        **m,
                        "data_elements": tup(m.get("data_elements")),
                        "situations": tup(m.get("situations")),
                    }
                )
                for m in data.get("materials", ())
            ),
            "steps": tuple(StepSpec(**s) for s in data.get("steps", ())),
        }
    )
