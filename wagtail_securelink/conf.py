"""Operational settings, read from Django settings under the ``WAGTAIL_SECURELINK_`` prefix.

Policy that an administrator decides (code lifetime, audiences, ...) lives in the
``SecureLinkPolicy`` Wagtail settings model instead. Everything here is what an
operator configures once per deployment. The values are reloaded on
``setting_changed`` so ``override_settings`` works in tests.
"""

from django.conf import settings as django_settings
from django.core.signals import setting_changed

__all__ = ["settings"]

DEFAULTS = {
    # Seconds after which an email task still marked running in django-tasks-db is
    # taken as lost with its worker (SIGKILL, power cut) and run again (recovery.py).
    # Keep it well above EMAIL_TIMEOUT: a task still sending must not be run twice.
    "TASK_STALE_AFTER": 600,
    # Absolute URL (scheme + host [+ path prefix]) used to build every link and every
    # email URL (S12): never the request's Host header. Falls back to
    # WAGTAILADMIN_BASE_URL when unset.
    "BASE_URL": None,
    # Client addresses (IPs or CIDR networks) of reverse proxies whose
    # X-Forwarded-For header is believed (S6). Empty: only REMOTE_ADDR counts.
    "TRUSTED_PROXIES": [],
    # Prefix lengths that define a "client network" for rate limits.
    "IPV4_NETWORK_PREFIX": 24,
    "IPV6_NETWORK_PREFIX": 48,
    # Where the rate-limit counters live (S5, S6): "auto" (the cache named by
    # RATELIMIT_USE_CACHE, "default" unless set, when it is Redis or Memcached — shared
    # and atomic — else the database), "database" (rows of our own table), or the alias
    # of a cache in CACHES.
    "RATE_LIMIT_STORE": "auto",
    # Rate limits ("count/period", as django-ratelimit writes them), see
    # docs/configuration.md (S5).
    "RATE_SEND_PER_NETWORK": "10/h",
    "RATE_SEND_PER_LINK": "50/h",
    "RATE_SEND_PER_ADDRESS": 5,  # codes an hour per (link, address), counted in the DB
    "RATE_CHECK_PER_NETWORK": "30/h",
    "RATE_CHECK_PER_LINK": "100/h",
    "RATE_LOOKUP_PER_NETWORK": "60/m",
    # Access requests ("Didn't get a code? Ask the person who shared this"), counted
    # like code sends in windows of their own.
    "RATE_REQUEST_PER_NETWORK": "10/h",
    "RATE_REQUEST_PER_LINK": "50/h",
    # Reviewers' comments on a page preview, per client network and per link.
    "RATE_COMMENT_PER_NETWORK": "20/h",
    "RATE_COMMENT_PER_LINK": "100/h",
    # Calls to the API v3 endpoints (Wagtail 8) per bearer token; "" or None: no limit.
    "RATE_API_PER_TOKEN": "600/m",
    # Bearer tokens that match no usable API token, per client network (IPv4 /24, IPv6
    # /48); past it, every bearer call from that network answers 429, a valid token's
    # too, until the window ends. "" or None: no limit.
    "RATE_API_AUTH_FAILURES_PER_NETWORK": "30/m",
    # Grant cookie name (a "__Host-" prefix is added on HTTPS).
    "COOKIE_NAME": "securelink",
    # Task backend alias (TASKS setting) used for email.
    "TASK_BACKEND": "default",
    # With the immediate task backend, run the work that follows a response (codes,
    # emails, notices to the sharer, sealing) in a background thread, recorded in the
    # database first, so the worker closes the connection as early for a listed
    # address as for an unlisted one (S7). See wagtail_securelink/tasks/background.py.
    "BACKGROUND_DELIVERY": True,
    # Dotted path of a SecureLinkEmails subclass that builds the emails.
    "EMAIL_CLASS": None,
    # Seconds between recording an access event and sealing it into the hash chain
    # (S15), in batches, by a task queued by the process that recorded it. 0 seals within the
    # request that records the event (one more write per event; tests use it); a
    # negative value leaves sealing to securelink_purge / securelink_verify_audit --seal. The
    # window is documented in docs/security.md; keep it well under 60.
    "AUDIT_SEAL_DELAY": 5,
    # Where to send visitors who should sign in with their site account.
    "LOGIN_URL": None,
    # Whether a site account's email address is proof of owning it (S17). Only when
    # True does a signed-in user whose address matches a recipient open a ``specific``
    # link without a code, and is a recipient with an account told to sign in instead
    # of getting a code. Leave False while users can change their own address without
    # proving it (Wagtail's WAGTAIL_EMAIL_MANAGEMENT_ENABLED, default True): check
    # wagtail_securelink.W004 says so.
    "ACCOUNT_EMAILS_VERIFIED": False,
    # Dotted path of a callable ``scanner(uploaded_file, context)`` run on every file
    # received through a link before it is saved (a virus scanner, a content check).
    # It raises ValidationError with a message to refuse the file. None: no scan.
    "UPLOAD_SCANNER": None,
    # View-only links render pages in a child process (rendering.py): its address-space
    # limit in MB and its CPU-time limit in seconds (the wall-clock timeout is 2 s
    # more). An uploaded PDF is untrusted input; past a limit the visitor is told the
    # file cannot be shown.
    "RENDER_MEMORY_MB": 512,
    "RENDER_TIMEOUT_SECONDS": 15,
    # Alias in STORAGES of the storage for the files the package writes itself (earlier
    # versions, unwatermarked page renders): private, never the default storage. With
    # no such alias, the folder "securelink_private" beside MEDIA_ROOT (core/storage.py).
    "STORAGE": "securelink",
    # What page renders may cost the site (serving/renders.py). Renders in progress at
    # a time per link and per client network (waiting for another request's render of
    # the same page counts); past it the visitor gets "being prepared" (503) at once.
    # 0 or None: no bound.
    "RENDER_CONCURRENT_PER_LINK": 1,
    "RENDER_CONCURRENT_PER_NETWORK": 1,
    # The same on the whole site, every process and host sharing the rate-limit store:
    # keep it well below the web workers (workers x threads), so that renders never
    # hold them all.
    "RENDER_CONCURRENT_SITE": 2,
    # Seconds of rendering per link and per client network ("seconds/period", each
    # render counted as at least one second); past it, 429 until the window ends.
    # "" or None: no budget.
    "RENDER_SECONDS_PER_LINK": "600/h",
    "RENDER_SECONDS_PER_NETWORK": "300/h",
    # How long a request waits for another request's render of the same page before
    # it answers "being prepared" (503); 0 answers at once.
    "RENDER_WAIT_SECONDS": 2,
}


class Settings:
    def __init__(self):
        self.reload()

    def reload(self):
        for name, default in DEFAULTS.items():
            setattr(
                self,
                name,
                getattr(django_settings, f"WAGTAIL_SECURELINK_{name}", default),
            )

    @property
    def base_url(self) -> str:
        url = (
            self.BASE_URL or getattr(django_settings, "WAGTAILADMIN_BASE_URL", "") or ""
        )
        return url.rstrip("/")


settings = Settings()


def _reload(*, setting, **kwargs):
    if setting.startswith("WAGTAIL_SECURELINK_") or setting == "WAGTAILADMIN_BASE_URL":
        settings.reload()


setting_changed.connect(_reload)
