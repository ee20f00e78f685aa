"""The 好差评 pages: the applicant rates and follows up from /ratings/case/<number>/ and /ratings/visit/<id>/;
departments call back and rectify; supervisors see their region and decide appeals. Scoped, masked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from onetrip.catalog.tests import factories as f
from onetrip.flow.tests.casebuilders import item_case
from onetrip.intake.tests import factories as itf
from onetrip.ratings.models import AppealStatus, Rating, RatingStatus, Rectification, RectificationStatus
from onetrip.ratings.services import case_rate, rating_appeal
from onetrip.ratings.tests.builders import (
    RATED_AT,
    completed_case,
    hall_with_windows,
    handler,
    leader,
    outside_supervisor,
    served_ticket,
    supervisor,
)

pytestmark = pytest.mark.django_db


def test_the_applicant_rates_a_case_on_its_page_and_a_refused_form_keeps_what_was_typed(client):
    case = completed_case()
    client.force_login(case.applicant)
    url = reverse("ratings:rate_case", args=[case.number])
    assert url == f"/ratings/case/{case.number}/"
    page = client.get(url).content.decode()
    assert "非常不满意" in page and case.title in page and "提交评价" in page
    response = client.post(url, {"level": "1", "comment": ""})
    assert response.status_code == 400
    assert "差评请写明不满意的原因" in response.content.decode() and not Rating.objects.exists()
    response = client.post(url, {"level": "2", "comment": "办理慢，电话13812345678打不通"})
    assert response.status_code == 302
    rating = Rating.objects.get(case=case)
    assert rating.level == 2 and Rectification.objects.filter(rating=rating).exists()
    page = client.get(url).content.decode()
    assert "部门正在回访整改" in page and "提交评价" not in page


def test_the_home_page_lists_cases_awaiting_a_rating(client):
    case = completed_case()
    client.force_login(case.applicant)
    page = client.get(reverse("ratings:home")).content.decode()
    assert reverse("ratings:rate_case", args=[case.number]) in page
    case_rate(case=case, rater=case.applicant, level=5, now=RATED_AT)
    page = client.get(reverse("ratings:home")).content.decode()
    assert "没有待评价的办件" in page and "我的评价" in page


def test_someone_elses_case_or_an_unfinished_one_cannot_be_rated_on_the_page(client):
    case = completed_case()
    client.force_login(itf.make_applicant())
    url = reverse("ratings:rate_case", args=[case.number])
    assert client.get(url).status_code == 403
    assert client.post(url, {"level": "5"}).status_code == 403
    assert client.get(reverse("ratings:rate_case", args=["331102-2026-999999"])).status_code == 404
    running = item_case()
    client.force_login(running.applicant)
    page = client.get(reverse("ratings:rate_case", args=[running.number])).content.decode()
    assert "办件办结后才能评价" in page and "提交评价" not in page
    response = client.post(reverse("ratings:rate_case", args=[running.number]), {"level": "5"})
    assert response.status_code == 409 and not Rating.objects.exists()


def test_a_visit_is_rated_on_its_page(client):
    department = f.make_department()
    _, window = hall_with_windows(region=department.region, department=department)
    holder = itf.make_applicant()
    ticket = served_ticket(holder=holder, window=window)
    client.force_login(holder)
    url = reverse("ratings:rate_visit", args=[ticket.pk])
    assert window.number in client.get(url).content.decode()
    assert client.post(url, {"level": "4", "comment": "很好"}).status_code == 302
    assert Rating.objects.get(ticket=ticket).department_id == department.pk
    client.force_login(itf.make_applicant())
    assert client.get(url).status_code == 403


def test_the_department_calls_back_rectifies_and_the_applicant_follows_up(client):
    case = completed_case()
    rating = case_rate(
        case=case, rater=case.applicant, level=1, comment="身份证号330102199001011234被展示", now=RATED_AT
    )
    rect = Rectification.objects.get(rating=rating)
    staff = handler(case.lead_department)
    client.force_login(staff)
    listing = client.get(reverse("ratings:rectifications")).content.decode()
    assert reverse("ratings:rectification", args=[rect.pk]) in listing
    page = client.get(reverse("ratings:rectification", args=[rect.pk])).content.decode()
    assert "330102********1234" in page and "330102199001011234" not in page, "comments are masked for staff"
    action = reverse("ratings:rectification_action", args=[rect.pk, "close"])
    response = client.post(action, {"note": "已整改"})
    assert response.status_code == 409 and "请先登记回访情况" in response.content.decode()
    client.post(reverse("ratings:rectification_action", args=[rect.pk, "callback"]), {"note": "已回访"})
    assert client.post(action, {"note": "已整改"}).status_code == 302
    rect.refresh_from_db()
    assert rect.status == RectificationStatus.CLOSED

    client.force_login(case.applicant)
    url = reverse("ratings:rate_case", args=[case.number])
    assert "整改后追评" in client.get(url).content.decode()
    assert client.post(url, {"level": "5", "follow_up": "1", "comment": "满意"}).status_code == 302
    rating.refresh_from_db()
    assert rating.status == RatingStatus.REPLACED and "您已追评" in client.get(url).content.decode()


def test_other_departments_and_other_regions_see_nothing(client):
    case = completed_case()
    rating = case_rate(case=case, rater=case.applicant, level=1, comment="差", now=RATED_AT)
    rect = Rectification.objects.get(rating=rating)
    for outsider in (handler(f.make_department()), outside_supervisor(), itf.make_applicant()):
        client.force_login(outsider)
        assert client.get(reverse("ratings:rectification", args=[rect.pk])).status_code == 404
        assert client.get(reverse("ratings:rating", args=[rating.pk])).status_code == 404
        assert "暂无评价" in client.get(reverse("ratings:list")).content.decode()
    client.force_login(supervisor(department=case.lead_department))
    assert (
        reverse("ratings:rating", args=[rating.pk])
        in client.get(reverse("ratings:list") + "?bad=1").content.decode()
    )


def test_appeal_filed_by_the_department_and_decided_by_the_supervisor(client):
    case = completed_case()
    rating = case_rate(case=case, rater=case.applicant, level=1, comment="恶意", now=RATED_AT)
    client.force_login(leader(case.lead_department))
    page = client.get(reverse("ratings:rating", args=[rating.pk])).content.decode()
    assert "提交申诉" in page
    response = client.post(
        reverse("ratings:appeal_file", args=[rating.pk]), {"reason": "malicious", "reasons": ""}
    )
    assert response.status_code == 400 and "请填写申诉说明" in response.content.decode()
    response = client.post(
        reverse("ratings:appeal_file", args=[rating.pk]), {"reason": "malicious", "reasons": "当事人已致歉"}
    )
    assert response.status_code == 302
    appeal = rating.appeal
    boss = supervisor(department=case.lead_department)
    client.force_login(boss)
    assert (
        reverse("ratings:appeal", args=[appeal.pk]) in client.get(reverse("ratings:appeals")).content.decode()
    )
    url = reverse("ratings:appeal", args=[appeal.pk])
    assert "申诉成立（评价作废）" in client.get(url).content.decode()
    assert client.post(url, {"decision": "uphold", "note": "核实属实"}).status_code == 302
    appeal.refresh_from_db()
    rating.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD and rating.status == RatingStatus.VOIDED


def test_a_handler_cannot_decide_appeals_on_the_page(client):
    case = completed_case()
    rating = case_rate(case=case, rater=case.applicant, level=1, comment="差", now=RATED_AT)
    staff = handler(case.lead_department)
    appeal = rating_appeal(rating=rating, actor=staff, reason="mistaken", reasons="误评", now=RATED_AT)
    client.force_login(staff)
    url = reverse("ratings:appeal", args=[appeal.pk])
    assert "申诉成立（评价作废）" not in client.get(url).content.decode()
    assert client.post(url, {"decision": "uphold", "note": "自己批准"}).status_code == 403
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING
