import pytest


@pytest.mark.django_db
def test_home_page_renders_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "最多跑一次" in response.content.decode()


@pytest.mark.django_db
def test_openapi_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "OneTrip API"
