"""Wiring the console into the app: its state on ``app.state``, its routers, its static files.

The case database is opened (and migrated) when the app starts. If that fails, the chat keeps working
(patients must not lose the assistant because the navigators' database is down): console routes answer 503
and each later request tries to open it again.
"""

from __future__ import annotations

import logging
import threading

from fastapi import FastAPI

from cases.store import CaseStore
from trialbot.settings import WebSettings
from web.navigator import api, live, pages
from web.navigator.auth import RateLimiter, SessionCookies

logger = logging.getLogger(__name__)


class CaseStoreHolder:
    """Opens the case store on first need (thread-safe) and remembers it; a given store is used as is."""

    def __init__(self, database_url: str, store: CaseStore | None = None) -> None:
        self._url = database_url
        self._store = store
        self._owned = store is None
        self._lock = threading.Lock()

    def get(self) -> CaseStore:
        with self._lock:
            if self._store is None:
                self._store = CaseStore.from_url(self._url)
            return self._store

    def try_open(self) -> bool:
        try:
            self.get()
        except Exception as exc:  # logged by type only: a driver's message may contain the URL's password
            logger.error("the case database cannot be opened (%s); the console answers 503 until it can",
                         type(exc).__name__)
            return False
        return True

    def close(self) -> None:
        with self._lock:
            if self._store is not None and self._owned:
                self._store.dispose()
                self._store = None


def install(app: FastAPI, settings: WebSettings, case_store: CaseStore | None = None) -> None:
    """Put the console's state on ``app.state`` and add its routers and static files."""
    app.state.case_store_holder = CaseStoreHolder(settings.database_url, case_store)
    app.state.session_cookies = SessionCookies(settings)
    app.state.login_limiter = RateLimiter(settings.login_rate_limit, settings.rate_limit_storage_uri, "login")
    app.state.messages_limiter = RateLimiter(settings.messages_rate_limit, settings.rate_limit_storage_uri,
                                             "messages")
    app.include_router(api.public_router)
    app.include_router(api.router)
    app.include_router(live.router)
    app.include_router(pages.router)
    pages.mount_static(app)
