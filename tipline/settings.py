"""Tipline settings. Every value comes from a ``TIPLINE_*`` environment variable."""

from __future__ import annotations

import os
import re
from pathlib import Path

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from tipline.crypto.kdf import KdfCost
from tipline.envconfig import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_password,
    env_secret,
    env_size,
    env_str,
    env_times,
)

django_stubs_ext.monkeypatch()  # lets admin classes be subscripted for type checking

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("TIPLINE_DATA_DIR", str(PACKAGE_DIR.parent / "var"))).resolve()

DEBUG = env_bool("TIPLINE_DEBUG", False)
SECRET_KEY = env_secret("TIPLINE_SECRET_KEY", fallback_file=DATA_DIR / "secret_key")
# The pepper mixed into receipt derivations; never stored in the database.
TIPLINE_PEPPER = env_secret("TIPLINE_PEPPER", fallback_file=DATA_DIR / "pepper", max_bytes=64).encode()
# Where the pepper came from: inside the data folder it is copied with the database (warned
# about, outside the demo that `make run` serves with TIPLINE_DEMO=1).
TIPLINE_PEPPER_FILE = (
    None if "TIPLINE_PEPPER" in os.environ else Path(os.environ.get("TIPLINE_PEPPER_FILE") or DATA_DIR / "pepper")
)
TIPLINE_DEMO = env_bool("TIPLINE_DEMO", False)
# Where a reporter whose session ended logs in again (the portal's page).
TIPLINE_REPORTER_LOGIN = "portal:login"
# Seals every audit entry (HMAC); kept out of the database like the pepper.
TIPLINE_AUDIT_KEY = env_secret("TIPLINE_AUDIT_KEY", fallback_file=DATA_DIR / "audit_key").encode()
TIPLINE_AUDIT_KEY_FILE = (
    None
    if "TIPLINE_AUDIT_KEY" in os.environ
    else Path(os.environ.get("TIPLINE_AUDIT_KEY_FILE") or DATA_DIR / "audit_key")
)
# Encrypts the second factor's secrets (authenticator keys) and keys the digests of
# recovery codes; kept out of the database like the audit key.
TIPLINE_TWO_FACTOR_KEY = env_secret(
    "TIPLINE_TWO_FACTOR_KEY", fallback_file=DATA_DIR / "two_factor_key", max_bytes=64
).encode()
TIPLINE_TWO_FACTOR_KEY_FILE = (
    None
    if "TIPLINE_TWO_FACTOR_KEY" in os.environ
    else Path(os.environ.get("TIPLINE_TWO_FACTOR_KEY_FILE") or DATA_DIR / "two_factor_key")
)
ALLOWED_HOSTS = env_list("TIPLINE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
TIPLINE_SITE_URL = env_str("TIPLINE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "tipline.site.admin_apps.StaffAdminConfig",  # the admin behind the staff log-in and 2FA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # From the bottom layer up (see docs/architecture in the README): import-linter checks it.
    "tipline.audit",
    "tipline.limits",
    "tipline.jobs",
    "tipline.accounts",
    "tipline.register",
    "tipline.intake",
    "tipline.mailbox",
    "tipline.calls",
    "tipline.portal",
    "tipline.cases",
    "tipline.publishing",
    "tipline.rewards",
    "tipline.site",
]

MIDDLEWARE = [
    "tipline.http_privacy.ClientAddressScrubMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tipline.http_privacy.PrivacyHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tipline.session_vault.SessionVaultMiddleware",
    "tipline.site.middleware.LocaleMiddleware",
    "tipline.site.middleware.MethodNotAllowedPage",
    "django.middleware.common.CommonMiddleware",
    "tipline.site.middleware.RequestBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tipline.urls"
WSGI_APPLICATION = "tipline.wsgi.application"
AUTH_USER_MODEL = "accounts.StaffUser"
LOGIN_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tipline.site.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(env_str("TIPLINE_DATABASE_URL", f"sqlite:///{DATA_DIR / 'tipline.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Encrypted attachments: file:///path (default) or s3://bucket?endpoint=…&region=…
TIPLINE_STORAGE_URL = env_str("TIPLINE_STORAGE_URL", f"file://{DATA_DIR / 'attachments'}")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Argon2id costs. Production refuses anything below t=3, m=64 MiB.
TIPLINE_KDF_COST = KdfCost.parse(env_str("TIPLINE_KDF_COST", "t=3,m=64M"))
TIPLINE_ALLOW_WEAK_KDF = env_bool("TIPLINE_ALLOW_WEAK_KDF", False)
if not TIPLINE_ALLOW_WEAK_KDF and (TIPLINE_KDF_COST.ops < 3 or TIPLINE_KDF_COST.mem < 64 * 1024**2):
    msg = "TIPLINE_KDF_COST must be at least t=3,m=64M (set TIPLINE_ALLOW_WEAK_KDF=1 only for tests)"
    raise ImproperlyConfigured(msg)
# At most this many derivations at once on the machine (0: no limit); more only slow each other down.
TIPLINE_KDF_SLOTS = env_int("TIPLINE_KDF_SLOTS", len(os.sched_getaffinity(0)), minimum=0)
TIPLINE_KDF_SLOT_DIR = DATA_DIR / "run" / "kdf"  # the lock files of those slots, shared by the processes

# Attachments and form limits.
TIPLINE_MAX_FILE_SIZE = env_size("TIPLINE_MAX_FILE_SIZE", 50 * 1024**2)
TIPLINE_MAX_FILES = env_int("TIPLINE_MAX_FILES", 10, minimum=0)
TIPLINE_MAX_TOTAL_SIZE = env_size("TIPLINE_MAX_TOTAL_SIZE", 200 * 1024**2)
TIPLINE_MAX_ANSWER_CHARS = env_int("TIPLINE_MAX_ANSWER_CHARS", 20000, minimum=100)
# Mailbox channels: how often the worker reads each mailbox, the largest message read
# whole (a larger one is kept in quarantine), the most parts and files read from one
# message, and how many messages are taken in at once (each costs an Argon2id and cleaning).
TIPLINE_MAIL_POLL_SECONDS = env_int("TIPLINE_MAIL_POLL_SECONDS", 60, minimum=1)
TIPLINE_MAIL_MAX_BYTES = env_size("TIPLINE_MAIL_MAX_BYTES", 25 * 1024 * 1024)
# A message larger than this is not downloaded at all (the worker holds a message in memory
# while it is taken in): it stays in the mailbox, and a held report says so from its headers.
TIPLINE_MAIL_FETCH_MAX_BYTES = max(env_size("TIPLINE_MAIL_FETCH_MAX_BYTES", 100 * 1024 * 1024), TIPLINE_MAIL_MAX_BYTES)
TIPLINE_MAIL_MAX_PARTS = env_int("TIPLINE_MAIL_MAX_PARTS", 200, minimum=1)
TIPLINE_MAIL_MAX_FILES = env_int("TIPLINE_MAIL_MAX_FILES", 20, minimum=0)
# The longest header of a message that is read (its parser needs time and memory growing
# with the square of its length): a longer Subject or From is left out, a longer header that
# says how the message is built holds the message for a supervisor.
TIPLINE_MAIL_MAX_HEADER_CHARS = env_int("TIPLINE_MAIL_MAX_HEADER_CHARS", 16 * 1024, minimum=1024)
# One more than the cores: while the others run Argon2id (at most one a core), one parses,
# cleans and stores; with one a core the cores stood idle about 8 % of the time.
TIPLINE_MAIL_THREADS = env_int("TIPLINE_MAIL_THREADS", (os.cpu_count() or 1) + 1, minimum=1)
TIPLINE_CLEAN_DIR = Path(env_str("TIPLINE_CLEAN_DIR", "/dev/shm"))  # noqa: S108 - memory-backed on purpose
TIPLINE_MAT2 = env_str("TIPLINE_MAT2", "mat2")
# Keep one warm mat2 per server process (each file still cleaned in a process of its own).
TIPLINE_MAT2_WARM = env_bool("TIPLINE_MAT2_WARM", True)
# Limits of each process in the cleaning sandbox (tipline/register/sandbox.py). A 48-megapixel
# JPEG needs about 180 MB of address space, a 40-page PDF of photographs about 540 MB; a PNG
# that declares 20000x20000 pixels asks for 1.6 GB at once and is stopped.
TIPLINE_CLEAN_MEMORY = env_size("TIPLINE_CLEAN_MEMORY", 1024**3)
TIPLINE_CLEAN_CPU_SECONDS = env_int("TIPLINE_CLEAN_CPU_SECONDS", 120, minimum=1)
TIPLINE_CLEAN_MAX_OUTPUT = env_size("TIPLINE_CLEAN_MAX_OUTPUT", 256 * 1024**2)
TIPLINE_HELD_FILE_HOURS = env_int("TIPLINE_HELD_FILE_HOURS", 24, minimum=1)
# The cleaned, encrypted files of a refused web-form send, kept for the retry (intake.KeptUpload).
TIPLINE_KEPT_UPLOAD_HOURS = env_int("TIPLINE_KEPT_UPLOAD_HOURS", 2, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_size("TIPLINE_MAX_FORM_SIZE", 1024**2)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("TIPLINE_MAX_FORM_FIELDS", 400, minimum=10)
DATA_UPLOAD_MAX_NUMBER_FILES = TIPLINE_MAX_FILES + 1
FILE_UPLOAD_HANDLERS = ["tipline.register.uploads.MemoryBackedUploadHandler"]

# Reporter sessions and receipt log-in.
TIPLINE_REPORTER_IDLE_SECONDS = env_int("TIPLINE_REPORTER_IDLE_SECONDS", 15 * 60, minimum=10)
# A reply typed past the idle time is kept (sealed, in the session vault) for the next log-in this long.
TIPLINE_KEPT_REPLY_HOURS = env_int("TIPLINE_KEPT_REPLY_HOURS", 2, minimum=1)
# Where "Leave quickly" goes after logging the reporter out: an unrelated, everyday page.
TIPLINE_QUICK_EXIT_URL = env_str("TIPLINE_QUICK_EXIT_URL", "https://www.wikipedia.org/")
if not re.fullmatch(r"https?://[^\s\"'<>]+", TIPLINE_QUICK_EXIT_URL):
    raise ImproperlyConfigured("TIPLINE_QUICK_EXIT_URL must be an http:// or https:// address")
TIPLINE_STAFF_IDLE_SECONDS = env_int("TIPLINE_STAFF_IDLE_SECONDS", 30 * 60, minimum=60)
# Staff log-in: this many wrong passwords or codes in a row lock the username for a while.
TIPLINE_LOGIN_ATTEMPTS = env_int("TIPLINE_LOGIN_ATTEMPTS", 5, minimum=1)
TIPLINE_LOGIN_ATTEMPTS_OVERALL = env_int("TIPLINE_LOGIN_ATTEMPTS_OVERALL", 50, minimum=1)
TIPLINE_LOGIN_LOCK_SECONDS = env_int("TIPLINE_LOGIN_LOCK_SECONDS", 15 * 60, minimum=60)
TIPLINE_RECEIPT_ATTEMPTS = env_int("TIPLINE_RECEIPT_ATTEMPTS", 10, minimum=1)
TIPLINE_RECEIPT_WINDOW_SECONDS = env_int("TIPLINE_RECEIPT_WINDOW_SECONDS", 3600, minimum=60)
# Allowances per client and window, shared by every process and machine (tipline.limits).
# A client past its own allowance goes on only while the overflow, shared by all such
# clients, lasts: a reporter behind the same address as an abuser is still served.
TIPLINE_RECEIPT_OVERFLOW = env_int("TIPLINE_RECEIPT_OVERFLOW", 200, minimum=0)
# Receipts a call-taker enters for callers that open no report, per call-taker per receipt
# window (a right one is not counted); past it the call-taker waits, or a colleague helps.
TIPLINE_CALL_RECEIPT_FAILURES = env_int("TIPLINE_CALL_RECEIPT_FAILURES", 10, minimum=1)
TIPLINE_SUBMISSIONS_PER_CLIENT = env_int("TIPLINE_SUBMISSIONS_PER_CLIENT", 10, minimum=1)
TIPLINE_SUBMISSIONS_OVERFLOW = env_int("TIPLINE_SUBMISSIONS_OVERFLOW", 100, minimum=0)
TIPLINE_REPLIES_PER_CLIENT = env_int("TIPLINE_REPLIES_PER_CLIENT", 30, minimum=1)
TIPLINE_REPLIES_OVERFLOW = env_int("TIPLINE_REPLIES_OVERFLOW", 300, minimum=0)
TIPLINE_LIMITS_WINDOW_SECONDS = env_int("TIPLINE_LIMITS_WINDOW_SECONDS", 3600, minimum=60)

# Rewards, commendations and proof of reporting (tipline.rewards).
# Keys the digests of claim codes and commendation codes, and the roll of honour's aliases;
# kept out of the database like the pepper.
TIPLINE_REWARDS_KEY = env_secret("TIPLINE_REWARDS_KEY", fallback_file=DATA_DIR / "rewards_key", max_bytes=64).encode()
TIPLINE_REWARDS_KEY_FILE = (
    None
    if "TIPLINE_REWARDS_KEY" in os.environ
    else Path(os.environ.get("TIPLINE_REWARDS_KEY_FILE") or DATA_DIR / "rewards_key")
)
# The seed of the Ed25519 key that signs proofs of reporting (its public half is published).
TIPLINE_SIGNING_KEY = env_secret("TIPLINE_SIGNING_KEY", fallback_file=DATA_DIR / "signing_key", max_bytes=64).encode()
TIPLINE_SIGNING_KEY_FILE = (
    None
    if "TIPLINE_SIGNING_KEY" in os.environ
    else Path(os.environ.get("TIPLINE_SIGNING_KEY_FILE") or DATA_DIR / "signing_key")
)
# Wrong claim codes or PINs at the cash desk, per staff member, then shared by all, per window.
TIPLINE_CLAIM_CODES_PER_CLIENT = env_int("TIPLINE_CLAIM_CODES_PER_CLIENT", 10, minimum=1)
TIPLINE_CLAIM_CODES_OVERFLOW = env_int("TIPLINE_CLAIM_CODES_OVERFLOW", 50, minimum=0)
# Whether reporters may choose to appear (by an alias) on the public roll of honour.
TIPLINE_ROLL_OF_HONOUR = env_bool("TIPLINE_ROLL_OF_HONOUR", True)
# Clients are counted in this many buckets, so that no stored count singles out an address.
TIPLINE_LIMIT_BUCKETS = env_int("TIPLINE_LIMIT_BUCKETS", 4096, minimum=64)
# Behind a reverse proxy: the header in which the proxy passes the visitor's address (used
# only for the in-memory rate-limit tag, then dropped), and the addresses it connects from.
TIPLINE_CLIENT_ADDRESS_HEADER = env_str("TIPLINE_CLIENT_ADDRESS_HEADER", "")
if TIPLINE_CLIENT_ADDRESS_HEADER and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", TIPLINE_CLIENT_ADDRESS_HEADER):
    msg = (
        f"TIPLINE_CLIENT_ADDRESS_HEADER must be a header name such as X-Real-IP, not {TIPLINE_CLIENT_ADDRESS_HEADER!r}"
    )
    raise ImproperlyConfigured(msg)
TIPLINE_TRUSTED_PROXIES = env_list("TIPLINE_TRUSTED_PROXIES", ["127.0.0.1", "::1"])

# Cookies, HTTPS and headers.
TIPLINE_SECURE_COOKIES = env_bool("TIPLINE_SECURE_COOKIES", True)
SESSION_ENGINE = "tipline.session_vault"  # database sessions, see session_vault.SessionStore
SESSION_COOKIE_NAME = "tipline_session"
SESSION_COOKIE_SECURE = TIPLINE_SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = 12 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SECURE = TIPLINE_SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_AGE = None  # gone when the browser closes: no year-long trace in a reporter's browser
CSRF_FAILURE_VIEW = "tipline.http_privacy.csrf_failure"
CSRF_TRUSTED_ORIGINS = env_list("TIPLINE_CSRF_TRUSTED_ORIGINS", [])
LANGUAGE_COOKIE_SECURE = TIPLINE_SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Sent only over HTTPS (so harmless for the demo on plain HTTP); 0 turns it off.
SECURE_HSTS_SECONDS = env_int("TIPLINE_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on POST and CSRF fails.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Error pages and reports (even with DEBUG on) never show the pepper or another secret setting.
DEFAULT_EXCEPTION_REPORTER_FILTER = "tipline.http_privacy.SecretHidingFilter"
if env_bool("TIPLINE_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False

LANGUAGE_CODE = env_str("TIPLINE_LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TIPLINE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tipline"},
}

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("TIPLINE_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("TIPLINE_SMTP_PORT", 25)
# How outgoing mail (receipts among it) reaches the relay: "plain" (a relay on this machine),
# "starttls" or "tls" (implicit TLS, port 465), and the account if the relay asks for one.
TIPLINE_SMTP_SECURITY = env_str("TIPLINE_SMTP_SECURITY", "plain").lower()
if TIPLINE_SMTP_SECURITY not in {"plain", "starttls", "tls"}:
    msg = f"TIPLINE_SMTP_SECURITY must be plain, starttls or tls, not {TIPLINE_SMTP_SECURITY!r}"
    raise ImproperlyConfigured(msg)
EMAIL_USE_TLS = TIPLINE_SMTP_SECURITY == "starttls"
EMAIL_USE_SSL = TIPLINE_SMTP_SECURITY == "tls"
EMAIL_HOST_USER = env_str("TIPLINE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_password("TIPLINE_SMTP_PASSWORD")
# A relay that stops answering costs a reply this long, never the worker's loop.
EMAIL_TIMEOUT = env_int("TIPLINE_SMTP_TIMEOUT", 60, minimum=1)
DEFAULT_FROM_EMAIL = env_str("TIPLINE_FROM_EMAIL", "tipline@localhost")
# Alerts to staff that something waits in the console (no content, no reference): the
# digest goes to every opted-in staff member at each of these local times, the same size
# whether anything happened or not; immediate alerts are checked this often.
TIPLINE_ALERT_DIGEST_TIMES = env_times("TIPLINE_ALERT_DIGEST_TIMES", "08:00,13:00,17:00")
TIPLINE_ALERT_IMMEDIATE_SECONDS = env_int("TIPLINE_ALERT_IMMEDIATE_SECONDS", 300, minimum=60)

# No request data (addresses, agents, referrers) reaches a log: see tipline.http_privacy.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_request": {"()": "tipline.http_privacy.DropRequestFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_request"]},
    },
    "root": {"handlers": ["console"], "level": env_str("TIPLINE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
    },
}
ADMINS: list[tuple[str, str]] = []

# Publishing: the official public channel (tipline.publishing).
# Public pages: browsers and CDNs may keep a page this long; the server keeps rendered
# pages this long, keyed by the public version, so publishing invalidates them at once.
TIPLINE_PUBLIC_MAX_AGE = env_int("TIPLINE_PUBLIC_MAX_AGE", 60)
TIPLINE_PUBLIC_CACHE_SECONDS = env_int("TIPLINE_PUBLIC_CACHE_SECONDS", 3600, minimum=1)
# How long a process trusts the public version it read: other processes see a new one this late.
TIPLINE_PUBLIC_STAMP_SECONDS = env_int("TIPLINE_PUBLIC_STAMP_SECONDS", 1)
# Answer anonymous GETs of public pages from the kept answer before Django (publishing/fast_path.py).
TIPLINE_PUBLIC_FAST_PATH = env_bool("TIPLINE_PUBLIC_FAST_PATH", True)
TIPLINE_PUBLIC_PAGE_SIZE = env_int("TIPLINE_PUBLIC_PAGE_SIZE", 10, minimum=1)
TIPLINE_FEED_ITEMS = env_int("TIPLINE_FEED_ITEMS", 20, minimum=1)
TIPLINE_SEARCH_MAX_CHARS = env_int("TIPLINE_SEARCH_MAX_CHARS", 200, minimum=10)
TIPLINE_SEARCH_MAX_WORDS = env_int("TIPLINE_SEARCH_MAX_WORDS", 8, minimum=1)
# Article images: resized and stripped of metadata, kept (both sizes) in this folder.
TIPLINE_PUBLISHING_MEDIA_DIR = Path(env_str("TIPLINE_PUBLISHING_MEDIA_DIR", str(DATA_DIR / "public-media")))
TIPLINE_IMAGE_MAX_SIZE = env_size("TIPLINE_IMAGE_MAX_SIZE", 10 * 1024**2)
TIPLINE_IMAGE_MAX_PIXELS = env_int("TIPLINE_IMAGE_MAX_PIXELS", 30_000_000, minimum=1)
TIPLINE_IMAGE_MAX_WIDTH = env_int("TIPLINE_IMAGE_MAX_WIDTH", 1600, minimum=320)
# Subscriptions: unconfirmed addresses are deleted after this many hours; requests per
# visitor and hour; the weekly digest goes out on this weekday (0 = Monday) and hour.
TIPLINE_SUBSCRIPTION_CONFIRM_HOURS = env_int("TIPLINE_SUBSCRIPTION_CONFIRM_HOURS", 48, minimum=1)
TIPLINE_SUBSCRIBE_ATTEMPTS = env_int("TIPLINE_SUBSCRIBE_ATTEMPTS", 10, minimum=1)
TIPLINE_SUBSCRIBE_OVERFLOW = env_int("TIPLINE_SUBSCRIBE_OVERFLOW", 100, minimum=0)
TIPLINE_DIGEST_WEEKDAY = env_int("TIPLINE_DIGEST_WEEKDAY", 0)
TIPLINE_DIGEST_HOUR = env_int("TIPLINE_DIGEST_HOUR", 8)
if TIPLINE_DIGEST_WEEKDAY > 6 or TIPLINE_DIGEST_HOUR > 23:
    msg = "TIPLINE_DIGEST_WEEKDAY must be 0-6 (Monday-Sunday) and TIPLINE_DIGEST_HOUR 0-23"
    raise ImproperlyConfigured(msg)
