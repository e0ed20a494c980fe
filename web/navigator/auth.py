"""Console sessions, CSRF tokens and rate limits.

A session is a random token stored (hashed) in the case database; the browser holds it in a signed cookie
(itsdangerous) that is HTTP-only, ``SameSite=Strict`` and, by default, ``Secure`` with the ``__Host-``
prefix. The signature's age bounds the session's total lifetime; the database bounds its idle time and
lets sign-out end it for good.

The CSRF token is a synchronizer token derived from the session: ``HMAC(secret, session token)``. Pages carry
it in ``<meta name="csrf-token">``, the API returns it at sign-in and from ``/api/navigator/me``, and every
state-changing request must send it in the ``X-CSRF-Token`` header.

Rate limits use the maintained ``limits`` library (moving window), in memory by default or in Redis
(``rate_limit_storage_uri``) when several web processes share the load.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time

from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from trialbot.settings import WebSettings

logger = logging.getLogger(__name__)

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SessionCookies:
    """Signs and reads the session cookie and derives each session's CSRF token."""

    def __init__(self, settings: WebSettings) -> None:
        if settings.session_secret is None:
            secret = secrets.token_urlsafe(48)
            logger.warning("TRIALBOT_SESSION_SECRET is not set: using a random secret for this process; "
                           "console sessions end when the web service restarts")
        else:
            secret = settings.session_secret.get_secret_value()
        self._serializer = URLSafeTimedSerializer(secret, salt="trialbot.navigator.session")
        self._csrf_key = hmac.new(secret.encode("utf-8"), b"trialbot.navigator.csrf", hashlib.sha256).digest()
        self.secure = settings.cookie_secure
        self.name = "__Host-trialbot_nav" if settings.cookie_secure else "trialbot_nav"
        self.max_age_s = settings.session_absolute_max_age_s

    def dump(self, token: str) -> str:
        return self._serializer.dumps(token)

    def load(self, cookie: str) -> str | None:
        """The session token in a cookie whose signature is good and younger than the absolute lifetime."""
        try:
            token = self._serializer.loads(cookie, max_age=self.max_age_s)
        except BadSignature:  # also SignatureExpired
            return None
        return token if isinstance(token, str) else None

    def csrf_token(self, session_token: str) -> str:
        return hmac.new(self._csrf_key, session_token.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, session_token: str, sent: str | None) -> bool:
        return bool(sent) and hmac.compare_digest(self.csrf_token(session_token), sent or "")


class RateLimiter:
    """A moving-window limit over several keys at once (for example the client address and the username)."""

    def __init__(self, rate: str, storage_uri: str, namespace: str) -> None:
        self._item: RateLimitItem = parse(rate)
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._namespace = namespace

    def _key(self, key: str) -> str:
        return f"{self._namespace}:{key}"

    def blocked(self, *keys: str) -> bool:
        """True when any key has used up its limit (nothing is counted)."""
        return not all(self._limiter.test(self._item, self._key(k)) for k in keys)

    def hit(self, *keys: str) -> bool:
        """Count one attempt against every key; False when any of them was already over its limit."""
        results = [self._limiter.hit(self._item, self._key(k)) for k in keys]
        return all(results)

    def retry_after_s(self, *keys: str) -> int:
        """Seconds until every key has room again (at least 1)."""
        now = time.time()
        waits = [self._limiter.get_window_stats(self._item, self._key(k)).reset_time - now for k in keys]
        return max(1, int(max(waits, default=1) + 0.999))
