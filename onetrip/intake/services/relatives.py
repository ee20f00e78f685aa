"""Fields about another person, prefilled from a relationship in a shared source (户籍家庭成员).

A form field whose subject is not the applicant (catalog FieldSubject: a child, a spouse, a parent …) is never
prefilled from the applicant's own record (formspec.FormDefinition.applicant_elements). Where the household
register source knows the applicant's relatives of that kind — school enrolment: the applicant's children —
they are offered as choices; choosing one fills that person's fields (name, ID number, sex, birth date) with
the source marked, as any prefilled value, and the applicant may still change them. Every read goes through
sharing.services.household_relatives, which checks the reader and logs the read like any prefill.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from onetrip.core.errors import DomainError, ErrorDetail, Forbidden
from onetrip.core.masking import mask_id_number
from onetrip.intake.formspec import form_definition
from onetrip.intake.models import Application
from onetrip.intake.services.application import SaveResult, application_save
from onetrip.orgs.models import ApplicantKind
from onetrip.sharing import services as sharing
from onetrip.sharing.models import AccessPurpose

# Form subject → the kinship the household register is asked for.
SUBJECT_KINSHIP = {"child": "child", "spouse": "spouse", "mother": "mother", "father": "father"}


@dataclass(frozen=True)
class RelativeChoice:
    number: int  # 1-based position in the list: what the page posts back (no ID number in the request)
    label: str  # 张子涵（2020-03-15 出生，331102********0620）
    values: dict[str, Any]  # field key → value
    source: str


def relative_subjects(application: Application) -> list[str]:
    """The other people of this form that a household relationship could fill (before anything is read)."""
    applicant = application.applicant
    if applicant.applicant_kind == ApplicantKind.OFFICE or not applicant.id_number:
        return []
    definition = form_definition(application=application)
    return [
        s
        for s in definition.other_subjects()
        if s in SUBJECT_KINSHIP
        and any(f.data_element in sharing.RELATIVE_ELEMENTS for f in definition.subject_fields(s))
    ]


def relative_choices(*, application: Application, subject: str, actor: Any) -> list[RelativeChoice]:
    """The applicant's relatives of the subject's kind in the household register, as fill-in choices (a
    logged read). Empty when the form has no such fields or no source knows the household."""
    if subject not in relative_subjects(application):
        return []
    fields = [
        f
        for f in form_definition(application=application).subject_fields(subject)
        if f.data_element in sharing.RELATIVE_ELEMENTS
    ]
    try:
        relatives = sharing.household_relatives(
            subject_id_number=application.applicant.id_number,
            kinship=SUBJECT_KINSHIP[subject],
            purpose=AccessPurpose.PREFILL,
            actor=actor,
            application=application,
        )
    except Forbidden:
        raise
    except DomainError:
        return []  # an account whose ID number no register can take: the applicant types the fields
    out = []
    for n, r in enumerate(relatives, start=1):
        values = r.element_values()
        out.append(
            RelativeChoice(
                number=n,
                label=f"{r.name}（{r.birth_date} 出生，{mask_id_number(r.id_number)}）",
                values={f.key: values[f.data_element] for f in fields if f.data_element in values},
                source=r.source_label,
            )
        )
    return out


def application_relative_fill(
    *, application: Application, subject: str, number: int, revision: int, actor: Any
) -> SaveResult:
    """Fill the subject's fields with the chosen relative (`number` from relative_choices), as one save of
    the draft (stale revision, not editable: refused as any save) with the source marked on each field."""
    with transaction.atomic():
        chosen = next(
            (
                c
                for c in relative_choices(application=application, subject=subject, actor=actor)
                if c.number == number
            ),
            None,
        )
        if chosen is None:
            raise DomainError(
                ErrorDetail(
                    "unknown_relative",
                    "请从列出的家庭成员中选择",
                    "Choose one of the household members listed",
                    "relative",
                )
            )
        result = application_save(
            application=application, revision=revision, form_data=dict(chosen.values), actor=actor
        )
        saved = result.application
        for key in chosen.values:
            saved.prefilled[key] = chosen.source
        saved.save(update_fields=["prefilled"])
    return result
