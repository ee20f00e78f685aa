import pytest


@pytest.fixture(autouse=True)
def _test_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tests run without collectstatic; hashed manifest names are a deployment concern.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
