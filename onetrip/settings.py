"""Django settings for OneTrip.

Everything comes from the environment with safe defaults for the embedded set-up (`make run`): SQLite in
var/, the database task queue, Chinese UI. Production sets DATABASE_URL (PostgreSQL), SECRET_KEY,
ALLOWED_HOSTS, HTTPS=true behind TLS, and optionally OIDC_* for a unified identity provider (README,
Production).
"""

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ONETRIP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else var/secret_key. Only a local start (DEBUG, or ONETRIP_LOCAL=1 as
    `make run` sets) creates that file, with a random key; any other start without a key refuses to run,
    so no deployment signs sessions with a published key (nor makes the access log's HMAC reversible)."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    if not (DEBUG or _env_bool("ONETRIP_LOCAL", False)):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random value "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), or start locally with "
            "`make run`, which creates one in var/secret_key. 未设置 SECRET_KEY，拒绝启动。"
        )
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "csp",
    "ninja",  # serves the API docs page (Swagger UI) from its own static files, not a CDN
    "django_tasks",
    "django_tasks_db",
    "onetrip.core",
    "onetrip.orgs",
    "onetrip.workdays",
    "onetrip.catalog",
    "onetrip.bundles",
    "onetrip.intake",
    "onetrip.sharing",
    "onetrip.flow",
    "onetrip.notify",
    "onetrip.supervision",
    "onetrip.orders",
    "onetrip.ratings",
    "onetrip.stats",
    "onetrip.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # NUL bytes, lone surrogates and out-of-range JSON integers are refused here, before any view sees them.
    "onetrip.core.middleware.BadInputMiddleware",
    # Serves the collected static assets (npm packages, htmx) from this process: no CDN, no extra server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "onetrip.urls"
WSGI_APPLICATION = "onetrip.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onetrip.portal.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'onetrip.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker share the file; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The catalogue's search-filter index uses INCLUDE columns on PostgreSQL; SQLite builds it without them.
# axes.W006 asks to lock by address too; OneTrip locks by username only, on purpose: applicants on mobile
# networks share addresses (carrier NAT) and a service hall's clerks share one, so an address lock would shut
# out strangers. A username lock does not depend on the user agent or cookies the warning is about.
SILENCED_SYSTEM_CHECKS = ["models.W040", "axes.W006"]
AUTH_USER_MODEL = "orgs.User"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email")},
    },
    {"NAME": "onetrip.orgs.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # The username, ID number or phone number, whole or in part (a birth date, the last digits).
    {"NAME": "onetrip.orgs.passwords.PersonalDataPasswordValidator"},
]

# django-axes first: it refuses a locked-out username before any backend checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Login throttling: 5 wrong passwords for one username lock it for 15 minutes, from any address (a service
# hall's clerks share one address behind NAT, so the address alone is not what is locked). Attempts are
# kept in the database, so every web process sees them; a successful login clears the count.
# The login page states these two numbers.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "onetrip.orgs.auth.login_locked_out"
AXES_VERBOSE = False
# Behind a reverse proxy, the client address comes from X-Forwarded-For (set AXES_IPWARE_PROXY_COUNT).
if "AXES_IPWARE_PROXY_COUNT" in os.environ:
    AXES_IPWARE_PROXY_COUNT = int(os.environ["AXES_IPWARE_PROXY_COUNT"])

# Optional unified identity provider (e.g. 浙里办 / 浙政钉 OIDC). Enabled only when configured.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.insert(0, "onetrip.orgs.oidc.OneTripOIDCBackend")
    OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ["OIDC_OP_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = os.environ["OIDC_OP_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = os.environ["OIDC_OP_USER_ENDPOINT"]
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
    OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile")

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "onetrip" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    ("vendor/pico", BASE_DIR / "node_modules" / "@picocss" / "pico" / "css"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# A template naming an asset that collectstatic has not seen falls back to the plain name instead of failing.
WHITENOISE_MANIFEST_STRICT = False
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# Largest accepted upload (applications' materials), in bytes; checked by intake.services.files.
ONETRIP_UPLOAD_MAX_BYTES = int(os.environ.get("ONETRIP_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
# 容缺: the reminder goes out this many working days before a commitment date.
ONETRIP_DEFICIENCY_REMIND_WORKING_DAYS = int(os.environ.get("ONETRIP_DEFICIENCY_REMIND_WORKING_DAYS", "2"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

SESSION_COOKIE_HTTPONLY = True
# htmx reads no cookie (the token travels in the page), so the CSRF cookie is HttpOnly too.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Production runs behind TLS (HTTPS=true): cookies only over HTTPS, HTTP redirected, HSTS for a year. A TLS
# proxy in front says so with X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER), set only when HTTPS is on.
HTTPS = _env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and _env_bool("SECURE_HSTS_PRELOAD", True)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Content-Security-Policy (django-csp): scripts and everything else from this site only (no inline script,
# no eval: htmx, ECharts and the page scripts are static files); styles also inline, for the templates'
# <style> blocks and htmx's indicator style. No framing, no plugins, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal": {"()": "onetrip.core.masking.PersonalDataLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Notifications (onetrip.notify). A channel is used only once it is configured: email needs EMAIL_HOST,
# SMS needs NOTIFY_SMS_URL; DingTalk-style robots are set per department in the admin.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "OneTrip <noreply@localhost>")
NOTIFY_SITE_URL = os.environ.get("NOTIFY_SITE_URL", "")
NOTIFY_SMS_URL = os.environ.get("NOTIFY_SMS_URL", "")
NOTIFY_SMS_API_KEY = os.environ.get("NOTIFY_SMS_API_KEY", "")
NOTIFY_SMS_SIGN = os.environ.get("NOTIFY_SMS_SIGN", "OneTrip")

# The supervision sweep works its batches in this many threads (PostgreSQL; each has its own connection),
# so one thread's Python work overlaps the others' time in the database.
SUPERVISION_SWEEP_THREADS = int(os.environ.get("SUPERVISION_SWEEP_THREADS", "2"))
