"""POST /api/v1/flow/tasks/batch-approve: reached (it answered 405, shadowed by GET /tasks/{task_id})."""

from __future__ import annotations

import pytest

from onetrip.flow.tests.casebuilders import item_case, open_tasks, staff, version

pytestmark = pytest.mark.django_db


def test_batch_approve_over_the_api_approves_each_task_and_reports_the_rest(client):
    first = item_case()
    second = item_case(item=first.item_version.item)
    [task1], [task2] = open_tasks(first), open_tasks(second)
    client.force_login(staff(first.lead_department))
    response = client.post(
        "/api/v1/flow/tasks/batch-approve",
        {
            "tasks": [
                {"id": task1.pk, "expected_version": version(first)},
                {"id": task2.pk, "expected_version": version(second) - 1},
                {"id": 987654321, "expected_version": 1},
            ],
            "opinion": "同意",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["approved"] == [task1.pk]
    assert {f["id"] for f in body["failed"]} == {task2.pk, 987654321}
    assert open_tasks(first)[0].step_code == "review"
    assert open_tasks(second)[0].pk == task2.pk


def test_task_detail_still_answers_by_number_and_not_for_words(client):
    case = item_case()
    [task] = open_tasks(case)
    client.force_login(staff(task.department))
    assert client.get(f"/api/v1/flow/tasks/{task.pk}").status_code == 200
    assert client.get("/api/v1/flow/tasks/batch-approve").status_code in (404, 405)
