"""The one settings module. Every knob is a ``GRIDGOV_*`` environment variable with a sane default."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("GRIDGOV_VAR_DIR", REPO_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("GRIDGOV_DEBUG", False)
# The development default is only for the demo on 127.0.0.1; production sets its own.
SECRET_KEY = os.environ.get(
    "GRIDGOV_SECRET_KEY", "gridgov-demo-secret-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = env_list("GRIDGOV_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("GRIDGOV_CSRF_TRUSTED_ORIGINS", "")

# Key for encrypted personal fields (ID numbers, phones). A Fernet key (urlsafe base64, 32 bytes);
# several keys separated by commas: the first encrypts, all decrypt (for rotation).
FIELD_KEY = os.environ.get("GRIDGOV_FIELD_KEY", "Z3JpZGdvdi1kZW1vLWZpZWxkLWtleS0wMDAwMDAwMDA=")

REDIS_URL = os.environ.get("GRIDGOV_REDIS_URL", "")

# The reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks, comma-separated).
# None by default: the client is the socket peer (gridgov.core.net.client_address).
TRUSTED_PROXIES = env_list("GRIDGOV_TRUSTED_PROXIES", "")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as exc:
        raise ValueError(f"GRIDGOV_TRUSTED_PROXIES: {_proxy!r} is not an address or a network") from exc

# Rate limits of the public endpoints: requests per window per client address (IPv6: per /64), per
# endpoint class; 0 turns a class off. Counted in Redis with GRIDGOV_REDIS_URL (shared by every web
# process), else in the database (gridgov.core.ratelimit; docs/api.md lists the endpoints).
RATE_LIMIT_WINDOW_SECONDS = 60
RATE_LIMITS = {
    name: int(os.environ.get(f"GRIDGOV_RATE_LIMIT_{name.upper()}", default))
    for name, default in {
        "signin": 20,  # POST /api/v1/auth/token, /login/, /admin/login/
        "intake": 30,  # anonymous reports: POST /api/v1/cases, /report/
        "tracking": 120,  # GET /api/v1/public/cases/{ref}, /track/{ref}
        "rating": 10,  # rating or reopening with a rating code (API and page)
        "wall": 120,  # the wish wall: GET /api/v1/wishes/wall, /wishes/
        "public": 300,  # other public reads: categories, the report map, the OpenAPI document
        "code": 10,  # sign-in codes sent: POST /api/v1/residents/codes, /resident/signin/
    }.items()
}
RATE_LIMIT_REDIS_URL = os.environ.get("GRIDGOV_RATE_LIMIT_REDIS_URL", REDIS_URL)
RATE_LIMIT_KEY_PREFIX = os.environ.get("GRIDGOV_RATE_LIMIT_KEY_PREFIX", "gridgov:rl")
# Attempts with a rating code on one case before the code is locked for that case (brute force).
RATING_CODE_ATTEMPTS = int(os.environ.get("GRIDGOV_RATING_CODE_ATTEMPTS", "5"))
RATING_CODE_WINDOW_SECONDS = int(os.environ.get("GRIDGOV_RATING_CODE_WINDOW", "3600"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "gridgov.core",
    "gridgov.areas",
    "gridgov.accounts",
    "gridgov.notify",
    "gridgov.services",
    "gridgov.cases",
    "gridgov.ledger",
    "gridgov.visits",
    "gridgov.orders",
    "gridgov.wishes",
    "gridgov.projects",
    "gridgov.points",
    "gridgov.party",
    "gridgov.deliberation",
    "gridgov.assessment",
    "gridgov.dashboards",
    "gridgov.hooks",
    "gridgov.open311",
    "gridgov.assist",
    "gridgov.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gridgov.core.middleware.SecurityHeadersMiddleware",
    "gridgov.core.api.ApiErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gridgov.core.inputs.InputGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"
ASGI_APPLICATION = "gridgov.asgi.application"

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
                "django.template.context_processors.i18n",
                "gridgov.core.context_processors.calendar_warnings",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("GRIDGOV_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gridgov.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept (CONN_MAX_AGE above) as on PostgreSQL: opening the file and running the PRAGMAs
    # cost about a millisecond per request. Nothing replaces the database file under a running server.
    # WAL lets readers go on while one writer commits; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-gridgov.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Values go to the server apart from the statement text (server-side binding), so hot writes can be
    # prepared: see gridgov.core.db.prepared_statements. No statement is prepared anywhere else, so every
    # read is planned with its own values. "off" inlines the values on the client and prepares nothing,
    # for a transaction-mode pooler that cannot keep prepared statements (PgBouncer before 1.21, or
    # without max_prepared_statements).
    DB_PREPARE = os.environ.get("GRIDGOV_DB_PREPARE", "on").strip().lower()
    if DB_PREPARE not in {"on", "off"}:
        raise ValueError(f"GRIDGOV_DB_PREPARE must be 'on' or 'off', not {DB_PREPARE!r}")
    if DB_PREPARE == "on":
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=None
        )
# A read replica for dashboards and reports (decision 46, docs/deploy.md): the same engine and options as the
# primary; in tests it mirrors the test database through a second connection.
READ_DATABASE_URL = os.environ.get("GRIDGOV_READ_DATABASE_URL", "")
if READ_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(READ_DATABASE_URL, conn_max_age=60)
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ValueError(
            "GRIDGOV_READ_DATABASE_URL must name a database of the same kind as GRIDGOV_DATABASE_URL"
        )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["gridgov.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Where `gridgov backup`/`restore` find pg_dump, pg_restore and psql; empty: the PATH and the usual
# installation directories (docs/deploy.md, "Backup and restore").
PG_BIN_DIR = os.environ.get("GRIDGOV_PG_BIN_DIR", "")

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Every way of signing in (API token, page, admin) checks passwords through this one backend, which holds
# the sign-in throttle (decision 8).
AUTHENTICATION_BACKENDS = ["gridgov.accounts.backends.ThrottledModelBackend"]
# Sign-in throttling, counted over the window (decision 8): this many failures for one (username,
# address) pair lock that pair; this many from one address, whatever the usernames, lock that address;
# beyond this many for one username from all addresses together, each attempt waits 1 s, 2 s, 4 s …
# (at most LOGIN_DELAY_MAX_SECONDS) after the previous failure — slowed down, never locked out.
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("GRIDGOV_LOGIN_FAILURE_WINDOW", "900"))
LOGIN_FAILURE_LIMIT = int(os.environ.get("GRIDGOV_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("GRIDGOV_LOGIN_ADDRESS_FAILURE_LIMIT", "50"))
LOGIN_USERNAME_FAILURE_LIMIT = int(os.environ.get("GRIDGOV_LOGIN_USERNAME_FAILURE_LIMIT", "50"))
LOGIN_DELAY_MAX_SECONDS = int(os.environ.get("GRIDGOV_LOGIN_DELAY_MAX", "60"))
API_TOKEN_TTL_DAYS = int(os.environ.get("GRIDGOV_API_TOKEN_TTL_DAYS", "30"))
# Residents' sign-in by mobile number (accounts.codes, docs/residents.md): who delivers the codes (a dotted
# path; the default writes them to the server log, for the demo only), how long a code lives, how many wrong
# tries kill it, and how often one number may be sent a code.
CODE_SENDER = os.environ.get("GRIDGOV_CODE_SENDER", "gridgov.accounts.codes.LogSender")
CODE_TTL_SECONDS = int(os.environ.get("GRIDGOV_CODE_TTL", "300"))
CODE_ATTEMPTS = int(os.environ.get("GRIDGOV_CODE_ATTEMPTS", "5"))
CODE_PHONE_INTERVAL_SECONDS = int(os.environ.get("GRIDGOV_CODE_PHONE_INTERVAL", "60"))
CODE_PHONE_PER_HOUR = int(os.environ.get("GRIDGOV_CODE_PHONE_PER_HOUR", "5"))
WORK_HOURS = os.environ.get("GRIDGOV_WORK_HOURS", "09:00-12:00,13:30-17:30")  # working windows (工作时)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
FORMAT_MODULE_PATH = ["gridgov.core.formats"]  # named date formats per language (core/formats)
LOCALE_PATHS = [REPO_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it even before collectstatic
NODE_MODULES = Path(os.environ.get("GRIDGOV_NODE_MODULES", REPO_DIR / "node_modules"))
# Third-party front-end assets come from the npm registry at set-up (package.json) and are served
# from here; nothing of theirs is committed.
STATICFILES_DIRS = [
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/leaflet.markercluster", NODE_MODULES / "leaflet.markercluster" / "dist"),
    ("vendor/leaflet.heat", NODE_MODULES / "leaflet.heat" / "dist"),
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("GRIDGOV_MEDIA_ROOT", VAR_DIR / "media"))

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_HTTPONLY = True
# Served over HTTPS (directly or behind a TLS-terminating proxy, see docs/deploy.md): cookies only over
# HTTPS, and browsers told to use nothing else for a year (HSTS, sent on HTTPS responses only).
SECURE_COOKIES = env_bool("GRIDGOV_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_HSTS_SECONDS = int(os.environ.get("GRIDGOV_HSTS_SECONDS", "31536000")) if SECURE_COOKIES else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_COOKIES
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Sent on every response by gridgov.core.middleware (see "Content-Security-Policy" in docs/architecture.md).
# Scripts only from our own static files: no inline script, no inline event handler, no eval (htmx runs
# with allowEval off). Styles, fonts and fetches fall back to default-src: our own origin only, and no
# inline style either (Leaflet and htmx set styles through the DOM, which a policy does not restrict).
# Images may also be data: URLs (the icons in the API documentation's stylesheet).
# A base map where one exists (docs/maps.md): a tile server's URL template ("https://…/{z}/{x}/{y}.png",
# "{s}" for subdomains), its attribution, and the coordinate system its tiles are drawn in ("wgs84" or
# "gcj02"; the platform stores WGS-84). Without a URL the maps draw boundaries and buildings only.
TILE_URL = os.environ.get("GRIDGOV_TILE_URL", "").strip()
TILE_ATTRIBUTION = os.environ.get("GRIDGOV_TILE_ATTRIBUTION", "").strip()
TILE_CRS = os.environ.get("GRIDGOV_TILE_CRS", "wgs84").strip().lower() or "wgs84"
if TILE_CRS not in ("wgs84", "gcj02"):
    raise ImproperlyConfigured(f"GRIDGOV_TILE_CRS must be wgs84 or gcj02, not {TILE_CRS!r}")


def _tile_origin(url: str) -> str:
    """The img-src source the tile URL needs: its scheme and host, a "{s}" subdomain as a wildcard."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"GRIDGOV_TILE_URL must be an http(s) URL, not {url!r}")
    host = ".".join("*" if "{" in label else label for label in parts.netloc.split("."))
    return f"{parts.scheme}://{host}"


CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "img-src": ["'self'", "data:", *([_tile_origin(TILE_URL)] if TILE_URL else [])],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
# Our own pages may ask for the device's position and the camera (the report page); no frame may, and
# nothing may use the microphone, payment or USB.
PERMISSIONS_POLICY = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"

NINJA_PAGINATION_PER_PAGE = 50

# Uploaded images of every module (core/uploads.py): size of each file, files per request, and pixels
# per image (read from the header before decoding; decompression bombs).
UPLOAD_MAX_BYTES = int(os.environ.get("GRIDGOV_UPLOAD_MAX_MB", "5")) * 1024 * 1024
UPLOAD_MAX_FILES = 9
UPLOAD_MAX_PIXELS = int(os.environ.get("GRIDGOV_UPLOAD_MAX_PIXELS", "40000000"))
# Ledger spreadsheets (台账导入): the upload limit, the limit of their unzipped size (zip bombs), and
# whether imports run in the request (tests) instead of a background thread / Celery worker.
LEDGER_IMPORT_MAX_BYTES = int(os.environ.get("GRIDGOV_LEDGER_IMPORT_MAX_MB", "20")) * 1024 * 1024
LEDGER_IMPORT_MAX_UNCOMPRESSED = 400 * 1024 * 1024
LEDGER_JOBS_INLINE = False
# Days a delivered service order waits for the resident's rating before the community may close it (中心结单).
ORDER_RATE_DAYS = int(os.environ.get("GRIDGOV_ORDER_RATE_DAYS", "7"))
# Deliberation (议事协商): the support that puts a topic on the agenda, by the level of its area, and the
# days a decision is published for objections (公示期).
DELIBERATION_SUPPORT = {
    "microgrid": int(os.environ.get("GRIDGOV_DELIBERATION_SUPPORT_MICROGRID", "5")),
    "grid": int(os.environ.get("GRIDGOV_DELIBERATION_SUPPORT_GRID", "10")),
    "community": int(os.environ.get("GRIDGOV_DELIBERATION_SUPPORT_COMMUNITY", "30")),
    "street": int(os.environ.get("GRIDGOV_DELIBERATION_SUPPORT_STREET", "100")),
}
DELIBERATION_NOTICE_DAYS = int(os.environ.get("GRIDGOV_DELIBERATION_NOTICE_DAYS", "7"))
WHISTLE_REPORT_HOURS = os.environ.get("GRIDGOV_WHISTLE_REPORT_HOURS", "2")
# The outbox (core.outbox): messages that leave the building — webhooks, email, SMS. Destinations in
# private, loopback and reserved ranges are refused unless listed here (networks, comma-separated).
OUTBOUND_ALLOW = env_list("GRIDGOV_OUTBOUND_ALLOW", "")
OUTBOX_THREADS = int(os.environ.get("GRIDGOV_OUTBOX_THREADS", "8"))
OUTBOX_BATCH = int(os.environ.get("GRIDGOV_OUTBOX_BATCH", "500"))
OUTBOX_POLL_SECONDS = float(os.environ.get("GRIDGOV_OUTBOX_POLL_SECONDS", "1"))
OUTBOX_KEEP_DAYS = int(os.environ.get("GRIDGOV_OUTBOX_KEEP_DAYS", "30"))
# Outbound webhooks (docs/webhooks.md): after a secret is rotated the previous one keeps signing this long.
WEBHOOK_SECRET_OVERLAP_HOURS = float(os.environ.get("GRIDGOV_WEBHOOK_SECRET_OVERLAP_HOURS", "24"))
# Notifications that leave the building (docs/notifications.md). The site's public address, which links in
# emails and SMS start with (e.g. https://grid.example.gov.cn; empty: messages carry no link).
SITE_URL = os.environ.get("GRIDGOV_SITE_URL", "").strip().rstrip("/")
# Email over SMTP: without a host the email channel is not offered and no preference can choose it.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("GRIDGOV_EMAIL_HOST", "").strip()
EMAIL_PORT = int(os.environ.get("GRIDGOV_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("GRIDGOV_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("GRIDGOV_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("GRIDGOV_EMAIL_USE_TLS", False)  # STARTTLS (usually port 587)
EMAIL_USE_SSL = env_bool("GRIDGOV_EMAIL_USE_SSL", False)  # TLS from the start (usually port 465)
EMAIL_TIMEOUT = float(os.environ.get("GRIDGOV_EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("GRIDGOV_EMAIL_FROM", "gridgov@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# SMS and WeChat gateways: a JSON POST signed with the gateway's secret (Standard Webhooks; several secrets
# separated by spaces while rotating). Without a URL the channel is not offered.
SMS_GATEWAY_URL = os.environ.get("GRIDGOV_SMS_GATEWAY_URL", "").strip()
SMS_GATEWAY_SECRET = os.environ.get("GRIDGOV_SMS_GATEWAY_SECRET", "")
WECHAT_GATEWAY_URL = os.environ.get("GRIDGOV_WECHAT_GATEWAY_URL", "").strip()
WECHAT_GATEWAY_SECRET = os.environ.get("GRIDGOV_WECHAT_GATEWAY_SECRET", "")
GATEWAY_TIMEOUT = float(os.environ.get("GRIDGOV_GATEWAY_TIMEOUT", "10"))
# Residents who reported by phone get their case's key steps by SMS, never inside these local hours
# ("HH:MM-HH:MM"; empty: at any hour).
RESIDENT_SMS_QUIET_HOURS = os.environ.get("GRIDGOV_RESIDENT_SMS_QUIET_HOURS", "21:00-08:00").strip()
# Minutes between deadline sweeps (Celery beat in production; a thread of `gridgov serve` when embedded).
SLA_SWEEP_MINUTES = int(os.environ.get("GRIDGOV_SLA_SWEEP_MINUTES", "5"))
# The command centre (docs/dashboards.md): how often the sweep refreshes the figures and looks for recurring
# problems, how far back the first refresh counts, and which areas get the daily, weekly and monthly reports.
FIGURES_MINUTES = float(os.environ.get("GRIDGOV_FIGURES_MINUTES", "5"))
FIGURES_BACKFILL_DAYS = int(os.environ.get("GRIDGOV_FIGURES_BACKFILL_DAYS", "400"))
HOTSPOT_MINUTES = float(os.environ.get("GRIDGOV_HOTSPOT_MINUTES", "60"))
REPORTS_SCHEDULED = os.environ.get("GRIDGOV_REPORTS_SCHEDULED", "on").strip().lower() != "off"
REPORT_LEVELS = tuple(
    level.strip()
    for level in os.environ.get("GRIDGOV_REPORT_LEVELS", "district,street").split(",")
    if level.strip()
)
# The TrueType CJK font (.ttf/.ttc) the PDF reports embed; empty: fonts-wqy-microhei, else fonts-wqy-zenhei.
PDF_FONT = os.environ.get("GRIDGOV_PDF_FONT", "")
# `gridgov serve`: every worker listens on its own SO_REUSEPORT socket, so the kernel spreads connections
# over the workers (Linux; off: one shared socket).
REUSE_PORT = env_bool("GRIDGOV_REUSE_PORT", True)

# Suggestions (M14, docs/assist.md): a threshold applies a category suggestion by itself only where the
# active model's measured precision rests on at least this many held-out cases.
ASSIST_THRESHOLD_MIN_SUPPORT = int(os.environ.get("GRIDGOV_ASSIST_THRESHOLD_MIN_SUPPORT", "20"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDGOV_LOG_LEVEL", "WARNING")},
}

GRIDGOV_SITE_NAME = _("网格化基层治理平台")

# Text-aware duplicates (M14, docs/assist.md "Text-aware duplicates", "Recurring problems by words",
# "Needs and resources by words"). Texts are compared as character-bigram profiles with personal data
# masked (gridgov.core.text); a similarity is a cosine, 0 … 1.
# A duplicate suggestion: an open case of any category alike in words (similarity ≥ the minimum) within the
# radius and days of the report; same-category cases within 100 m and 7 days are suggested as before. At
# most DUPLICATE_TEXT_MAX_CANDIDATES cases of the lat/lng box and window are compared.
DUPLICATE_TEXT_MIN_SIMILARITY = float(os.environ.get("GRIDGOV_DUPLICATE_TEXT_MIN_SIMILARITY", "0.25"))
DUPLICATE_TEXT_RADIUS_M = float(os.environ.get("GRIDGOV_DUPLICATE_TEXT_RADIUS_M", "200"))
DUPLICATE_TEXT_DAYS = float(os.environ.get("GRIDGOV_DUPLICATE_TEXT_DAYS", "10"))
DUPLICATE_TEXT_MAX_CANDIDATES = int(os.environ.get("GRIDGOV_DUPLICATE_TEXT_MAX_CANDIDATES", "200"))
# Recurring problems: a located case of another category within the problem's radius of one of its cases,
# reported within its time span (± its rule's window), joins it "by words" when this alike to the problem's
# words; the problem page shows its common words and those cases.
HOTSPOT_TEXT_MIN_SIMILARITY = float(os.environ.get("GRIDGOV_HOTSPOT_TEXT_MIN_SIMILARITY", "0.25"))
# Needs ↔ resources: points for the words a need and a resource share (similarity × the points), and the
# similarity below which the words are not counted or shown.
MATCH_TEXT_POINTS = float(os.environ.get("GRIDGOV_MATCH_TEXT_POINTS", "30"))
MATCH_TEXT_MIN_SIMILARITY = float(os.environ.get("GRIDGOV_MATCH_TEXT_MIN_SIMILARITY", "0.3"))

# Suggester training (M14, gridgov.assist.training, docs/assist.md "Suggestions"). A training needs at
# least ASSIST_MIN_EXAMPLES labelled cases of at least two categories; the most recent ASSIST_TEST_FRACTION
# of them are held out for the figures. A new model replaces the active one only when, on the same held-out
# cases, its category macro-F1 and unit top-1 accuracy are each at least the active model's minus
# ASSIST_NOT_WORSE_TOLERANCE. ASSIST_TRAINING_INLINE runs a requested training at once in the caller (tests).
ASSIST_MIN_EXAMPLES = int(os.environ.get("GRIDGOV_ASSIST_MIN_EXAMPLES", "200"))
ASSIST_TEST_FRACTION = float(os.environ.get("GRIDGOV_ASSIST_TEST_FRACTION", "0.2"))
ASSIST_SEED = int(os.environ.get("GRIDGOV_ASSIST_SEED", "0"))
ASSIST_NOT_WORSE_TOLERANCE = float(os.environ.get("GRIDGOV_ASSIST_NOT_WORSE_TOLERANCE", "0.0"))
ASSIST_N_FEATURES = int(os.environ.get("GRIDGOV_ASSIST_N_FEATURES", str(2**18)))
ASSIST_TRAINING_INLINE = False
# A new model is trained when the newest is this many days old and cases were labelled since (0: never).
ASSIST_RETRAIN_DAYS = int(os.environ.get("GRIDGOV_ASSIST_RETRAIN_DAYS", "7"))
