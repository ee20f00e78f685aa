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


@pytest.mark.django_db
def test_api_docs_page_loads_its_assets_locally(client):
    import re

    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]*)"', response.content.decode())
    assert urls, "the docs page should load Swagger UI"
    assert all(not u.startswith(("http://", "https://", "//")) for u in urls), urls


def test_no_template_or_static_file_loads_anything_from_the_internet():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.suffix in {".html", ".css", ".js"} and pattern.search(path.read_text(errors="ignore"))
    ]
    assert offenders == []
