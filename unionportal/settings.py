"""Settings, configured by environment variables (see README.md, "Configuration")."""

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from unionportal import redis_sentinels

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "development-only-secret-key-not-for-production"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "unionportal.core.admin_apps.BackOfficeAdminConfig",  # django.contrib.admin, our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "treebeard",
    "members",
    "stations",
    "benefits",
    "convalescence",
    "unionportal.core",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below whitenoise, which sends static files compressed already (core.compression).
    "unionportal.core.compression.TextCompressionMiddleware",
    "unionportal.core.content_security.ContentSecurityPolicyMiddleware",
    # Django's session, sign-in and messages layers, which stand aside for API calls that carry
    # no cookie (core.page_middleware). CSRF stays Django's own, as its deploy check asks.
    "unionportal.core.page_middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "unionportal.core.page_middleware.AuthenticationMiddleware",
    "unionportal.core.page_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "unionportal.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "unionportal.urls"
WSGI_APPLICATION = "unionportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database and Redis ------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgis://unionportal@127.0.0.1:55432/unionportal"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DATABASES["default"]["ENGINE"] = "unionportal.core.database"  # PostGIS; see its module
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
# A runaway query is cancelled instead of holding its locks for ever; 0 turns this off (the
# setup does so for migrations and data loads).
STATEMENT_TIMEOUT_OPTION = f"-c statement_timeout={int(os.environ.get('DATABASE_STATEMENT_TIMEOUT_MS', '60000'))}"
DATABASES["default"].setdefault("OPTIONS", {})["options"] = STATEMENT_TIMEOUT_OPTION
# Queries inside core.prepared.prepared_statements() are prepared on their third run on a
# connection ("off": never, e.g. behind a PgBouncer older than 1.21).
PREPARE_THRESHOLD = os.environ.get("DATABASE_PREPARE_THRESHOLD", "2")
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None if PREPARE_THRESHOLD == "off" else int(PREPARE_THRESHOLD)
# Read replicas (optional, separated by spaces): read-only selectors inside `replica_reads()`
# read from one of them (unionportal/core/routers.py). DATABASE_REPLICA_URL names a single one.
REPLICA_URLS = (os.environ.get("DATABASE_REPLICA_URLS") or os.environ.get("DATABASE_REPLICA_URL", "")).split()
for number, url in enumerate(REPLICA_URLS, start=1):
    replica = dj_database_url.parse(
        url, conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")), conn_health_checks=True,
    )
    replica["ENGINE"] = "unionportal.core.database"
    replica["TEST"] = {"MIRROR": "default"}
    # A replica that is away is found out in seconds, and the primary answers meanwhile.
    replica.setdefault("OPTIONS", {}).update(
        options=STATEMENT_TIMEOUT_OPTION, prepare_threshold=DATABASES["default"]["OPTIONS"]["prepare_threshold"],
        connect_timeout=int(os.environ.get("DATABASE_REPLICA_CONNECT_TIMEOUT", "2")),
    )
    DATABASES["replica" if number == 1 else f"replica_{number}"] = replica
DATABASE_ROUTERS = ["unionportal.core.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:56379/0")
# High availability: the Sentinels that watch the primary, REDIS_URL's host naming it
# (unionportal/redis_sentinels.py).
REDIS_SENTINELS = redis_sentinels.sentinel_addresses(os.environ.get("REDIS_SENTINELS", ""))
REDIS_SENTINEL_PASSWORD = os.environ.get("REDIS_SENTINEL_PASSWORD", "")
if REDIS_SENTINELS:
    redis_sentinels.primary_name(REDIS_URL)  # fails at start, not at the first request
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "unionportal"),
        "OPTIONS": redis_sentinels.cache_options(REDIS_SENTINELS, REDIS_SENTINEL_PASSWORD),
    },
    # Rendered fragments that depend only on what their key names (the back office's menu):
    # kept in each process, where reading them costs no round trip.
    "fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments",
                  "OPTIONS": {"MAX_ENTRIES": 2000}},
}

# --- Users and authentication ------------------------------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = ["members.auth.PhoneBackend"]
LOGIN_URL = "/accounts/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Personal data (PIPL): encryption keys and the keyed-hash key live outside the database.
# PII_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first (older ones still decrypt,
# which is how keys are rotated). PII_HASH_KEY: the HMAC key for exact-match search.
def _development_key(purpose):
    import base64

    return base64.urlsafe_b64encode(hashlib.sha256(f"{SECRET_KEY}:{purpose}".encode()).digest()).decode()


PII_ENCRYPTION_KEYS = [k for k in os.environ.get("PII_ENCRYPTION_KEYS", "").split(",") if k]
PII_HASH_KEY = os.environ.get("PII_HASH_KEY", "")
if not PII_ENCRYPTION_KEYS or not PII_HASH_KEY:
    if not DEBUG:
        raise RuntimeError("PII_ENCRYPTION_KEYS and PII_HASH_KEY must be set when DJANGO_DEBUG is off")
    PII_ENCRYPTION_KEYS = PII_ENCRYPTION_KEYS or [_development_key("pii-encryption")]
    PII_HASH_KEY = PII_HASH_KEY or _development_key("pii-hash")

# --- Internationalisation ------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
# Claim documents and other private files: never under MEDIA_URL, served through views.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "private_media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "unionportal.core.authentication.BearerTokenAuthentication",
        "unionportal.core.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "unionportal.core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "unionportal.core.schema.TranslatedAutoSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "unionportal.core.negotiation.JsonFirstNegotiation",
    "EXCEPTION_HANDLER": "unionportal.core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "unionportal.core.throttling.CallerRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("THROTTLE_USER", "600/min"),
        "api_key": os.environ.get("THROTTLE_API_KEY", "1200/min"),
        "anon": os.environ.get("THROTTLE_ANON", "300/min"),
        "token": os.environ.get("THROTTLE_TOKEN", "10/min"),
        # Wrong coupon codes per partner key (guessing protection); only failures count.
        "coupon_redeem_failures": os.environ.get("THROTTLE_COUPON_REDEEM_FAILURES", "5/min"),
    },
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_TOKEN_LIFETIME = timedelta(hours=int(os.environ.get("API_TOKEN_LIFETIME_HOURS", "12")))
# How long a member export stays downloadable before its file is deleted.
MEMBER_EXPORT_LIFETIME = timedelta(hours=int(os.environ.get("MEMBER_EXPORT_HOURS", "24")))

SPECTACULAR_SETTINGS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "unionportal.core.schema.add_standard_error_responses",
        "unionportal.core.schema.drop_bare_enum_descriptions",
        "unionportal.core.schema.add_title_and_tags",
    ],
    # The schema's file name; the title and description shown are translated (core.schema).
    "TITLE": "unionportal API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CouponKindEnum": "benefits.models.merchants.CouponKind",
        "AidClaimKindEnum": "benefits.models.aid.AidClaimKind",
        "AidClaimStatusEnum": "benefits.models.aid.AidClaim.Status",
        "CouponStatusEnum": "benefits.models.coupons.Coupon.Status",
        "WorkerCategoryEnum": "members.models.WorkerCategory",
        "MemberStatusEnum": "members.models.Member.Status",
        "StationKindEnum": "stations.models.Station.Kind",
        "StationAmenityEnum": "stations.models.Amenity",
        "ServiceSessionKindEnum": "stations.models.ServiceSession.Kind",
    },
}

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or redis_sentinels.celery_broker_url(REDIS_URL, REDIS_SENTINELS)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A task whose worker died unacknowledged is handed out again once it is older than the
# visibility timeout; workers sweep for such tasks every interval × throttle seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "600")),
    "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": int(os.environ.get("CELERY_RESTORE_THROTTLE", "10")),
    **redis_sentinels.celery_transport_options(REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_PASSWORD),
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Every periodic job in one place.
CELERY_BEAT_SCHEDULE = {
    "stations-session-reminders": {
        "task": "stations.tasks.session_reminders_send",
        "schedule": timedelta(minutes=15),
    },
    "notifications-redeliver-stuck": {
        "task": "unionportal.core.tasks.notifications_redeliver_pending",
        "schedule": timedelta(minutes=5),
    },
    "coupons-draw-due-lotteries": {
        "task": "benefits.coupon_tasks.coupon_lotteries_draw_due",
        "schedule": timedelta(minutes=5),
    },
    "coupons-expire-unused": {
        "task": "benefits.coupon_tasks.coupons_expire_due",
        "schedule": timedelta(minutes=15),
    },
    "members-exports-tidy": {
        "task": "members.tasks.member_exports_tidy",
        "schedule": timedelta(minutes=10),
    },
    "members-bulk-actions-tidy": {
        "task": "members.tasks.member_bulk_actions_tidy",
        "schedule": timedelta(minutes=5),
    },
    "convalescence-lapse-overdue-nominations": {
        "task": "convalescence.tasks.nominations_lapse_overdue",
        "schedule": timedelta(minutes=10),
    },
}

# Notifications: how SMS leave the portal. The logging backend writes them to the log.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "unionportal.core.sms.LoggingSmsBackend")
NOTIFICATION_MAX_ATTEMPTS = 5

# --- Maps ---------------------------------------------------------------------------------
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (24.874, 118.676),  # Quanzhou
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 18,
    "TILES": [
        (
            os.environ.get("MAP_TILES_NAME", "OpenStreetMap"),
            os.environ.get("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            {"attribution": os.environ.get("MAP_TILES_ATTRIBUTION", "&copy; OpenStreetMap"), "maxZoom": 19},
        )
    ],
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}
# "wgs84" for OpenStreetMap-like tiles; "gcj02" for AMap/Tianditu-style tiles in China.
MAP_TILES_CRS = os.environ.get("MAP_TILES_CRS", "wgs84")

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_personal_numbers": {"()": "unionportal.core.log_filters.MaskPersonalNumbers"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A 4xx is an answer (sold out, wrong code, not logged in): the access log records it.
        # Logging each one as a warning filled the log during a claim rush; 5xx still log.
        # Its messages name request paths ("Not Found: /…"); gunicorn's access lines are masked too.
        "django.request": {
            "level": os.environ.get("REQUEST_LOG_LEVEL", "ERROR"), "filters": ["mask_personal_numbers"],
        },
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Debian 12 ships GDAL 3.6. The portal never hands user-supplied spatial references or
# file paths to GDAL (coordinates are parsed in Python), which is what this check is about.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Login lockout (unionportal.core.lockout): failures counted per account and per address.
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5"))
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "30"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))

# Redis down must not take pages down: cache reads miss, writes are dropped (and logged).
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- Security headers --------------------------------------------------------------------
# Behind the TLS-terminating proxy the README describes; off in development.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy: scripts only from our own origin (inline ones need the
# per-request nonce); images also from the configured map tile server.
from csp.constants import NONCE, NONE, SELF  # noqa: E402


def _origin(url):
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "*"))  # Leaflet's subdomain placeholder
    return f"{parts.scheme}://{parts.netloc}"


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],  # Leaflet and the admin set style attributes
        "img-src": [SELF, "data:", "blob:", _origin(LEAFLET_CONFIG["TILES"][0][1])],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
