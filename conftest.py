import os

import pytest

# The settings refuse to start without a SECRET_KEY unless DEBUG or a local start; the suite brings its own
# (pytest-django imports the settings after this file).
os.environ.setdefault("SECRET_KEY", "onetrip-test-suite-only-" + "k" * 40)


@pytest.fixture(autouse=True)
def _test_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tests run without collectstatic; hashed manifest names are a deployment concern.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _forget_process_caches():
    """Definitions and published versions are cached per process by key or primary key; a rolled-back test
    may make the same key again with other rows (or SQLite may reuse a primary key), so every test starts
    with empty caches."""
    from onetrip.bundles.selectors import frozen_cache_clear
    from onetrip.flow.services import definitions_forget

    definitions_forget()
    frozen_cache_clear()
