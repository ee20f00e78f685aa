"""The acceptance documents render as PDFs with the Chinese text a reader needs."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from onetrip.core import clock
from onetrip.core.masking import mask_id_number
from onetrip.intake.documents import notice_pdf, receipt_pdf, refusal_pdf
from onetrip.intake.services.acceptance import (
    case_accept_with_deficiency,
    case_notice,
    case_refuse,
)
from onetrip.intake.tests import factories as itf
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    previous = clock.set_clock(clock.FixedClock(dt.datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)))
    yield
    clock.set_clock(previous)


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")


def test_receipt_shows_number_dates_deficiency_and_masked_id():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    accepted = case_accept_with_deficiency(
        case=case, clerk=clerk, commitments=[{"material_key": "household_register", "due_date": "2026-10-20"}]
    )
    text = text_of(receipt_pdf(accepted))
    assert "容缺受理回执" in text
    assert accepted.number in text
    assert "2026年10月13日" in text  # promised: 5 working days across the National Day holiday
    assert "户口簿" in text and "2026年10月20日" in text
    assert case.applicant.id_number not in text
    assert mask_id_number(case.applicant.id_number) in text


def test_receipt_needs_an_accepted_case():
    case = itf.make_submitted_case()
    with pytest.raises(ValueError):
        receipt_pdf(case)


def test_notice_lists_every_problem_and_the_legal_basis():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    notice = case_notice(
        case=case,
        clerk=clerk,
        problems=[
            {"material_key": "household_register", "problem": "缺少户口簿复印件"},
            {"field": "person.phone", "problem": "联系电话无法接通"},
        ],
    )
    text = text_of(notice_pdf(notice))
    assert "一次性告知书" in text
    assert "缺少户口簿复印件" in text and "联系电话无法接通" in text
    assert "第三十二条" in text and "重新提交" in text


def test_refusal_states_reasons_basis_and_remedies():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    refusal = case_refuse(
        case=case,
        clerk=clerk,
        reasons="申请事项不属于本机关职权范围",
        legal_basis="《中华人民共和国行政许可法》第三十二条",
    )
    text = text_of(refusal_pdf(refusal))
    assert "不予受理决定书" in text
    assert "不属于本机关职权范围" in text
    assert "行政复议" in text and "行政诉讼" in text
