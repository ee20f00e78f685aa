"""Production safety of the settings: no start without a SECRET_KEY (except a local one, which makes its
own random key in var/), a clean `check --deploy` in the documented production settings, and a
Content-Security-Policy that the pages' own scripts live with."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRINT_KEY = "import onetrip.settings as s; print(s.SECRET_KEY)"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ONETRIP_LOCAL", "HTTPS"}}
    env.update(ONETRIP_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_start_without_secret_key_and_debug_off_refuses_to_run(tmp_path):
    result = _python(PRINT_KEY, _env(tmp_path))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_a_local_start_creates_a_random_key_once_and_keeps_it(tmp_path):
    first = _python(PRINT_KEY, _env(tmp_path, ONETRIP_LOCAL="1"))
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    path = tmp_path / "var" / "secret_key"
    assert len(key) >= 50 and path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A later start of any kind reads the same key; another machine gets another one.
    assert _python(PRINT_KEY, _env(tmp_path)).stdout.strip() == key
    assert _python(PRINT_KEY, _env(tmp_path / "other", DEBUG="1")).stdout.strip() not in ("", key)


def test_the_environments_key_wins(tmp_path):
    result = _python(PRINT_KEY, _env(tmp_path, SECRET_KEY="k" * 60))
    assert result.stdout.strip() == "k" * 60


def test_check_deploy_is_clean_in_the_documented_production_settings(tmp_path):
    env = _env(
        tmp_path,
        SECRET_KEY="a-production-key-" + "x7Q" * 20,
        HTTPS="true",
        ALLOWED_HOSTS="zwfw.lishui.gov.cn",
    )
    code = "from onetrip.cli import main; main(['check', '--deploy', '--fail-level', 'WARNING'])"
    result = _python(code, env)
    assert result.returncode == 0, result.stdout + result.stderr
    flags = _python(
        "import onetrip.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)",
        env,
    )
    assert flags.stdout.split() == ["True", "True", "True", "True", "True", "31536000"]


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "<script>" not in response.content.decode()


def test_no_template_has_an_inline_script_the_policy_would_block():
    """Every <script> in the project's templates loads a file or is a JSON data block."""
    offenders = []
    for path in (ROOT / "onetrip").rglob("templates/**/*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text()):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path.relative_to(ROOT)}: {tag}")
        if re.search(r"\son[a-z]+=\"", path.read_text()):
            offenders.append(f"{path.relative_to(ROOT)}: inline event handler")
    assert not offenders, offenders
