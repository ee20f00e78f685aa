"""Whose data a form field holds (信息主体), as plain Python: the bundle merge (a pure function) uses it too.

A field about the applicant is keyed by its data element's code (一源多用: the element is asked once); a field
about someone else — a child, a spouse, the deceased, an agent's principal — by `<subject>:<element>`, so it
never shares a value, a prefill or a check with the applicant's own field. The choices with their labels are
catalog.models.FieldSubject.
"""

from __future__ import annotations

APPLICANT = "applicant"

# The form section a field about another person goes to when the catalogue names none.
SUBJECT_SECTIONS = {
    "child": "子女信息",
    "spouse": "配偶信息",
    "deceased": "逝者信息",
    "principal": "委托人信息",
    "mother": "母亲信息",
    "father": "父亲信息",
    "groom": "男方信息",
    "bride": "女方信息",
    "seller": "出卖人信息",
    "buyer": "买受人信息",
    "other": "其他人员信息",
}


def field_key(data_element: str | None, subject: str, code: str) -> str:
    """The key a form field's value is stored under: the element's code for the applicant's own data,
    `<subject>:<element>` for another person's, and the field's own code for an item-specific field."""
    if not data_element:
        return code
    if not subject or subject == APPLICANT:
        return data_element
    return f"{subject}:{data_element}"
