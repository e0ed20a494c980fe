"""``Annotated`` dependencies of the console: the store, the signed-in navigator, CSRF, and a case the
navigator may see.

``require_session`` (401) and ``require_csrf`` (403 on any method other than GET/HEAD/OPTIONS) are attached
to the whole ``/api/navigator`` router, so a new route there is protected without anyone remembering to.
Case routes take ``ScopedCase``: a case outside the navigator's trials is a 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Path, Request

from cases.schemas import CasePublic, NavigatorPublic
from cases.store import CaseStore
from trialbot.settings import WebSettings
from web.errors import ApiError
from web.navigator.auth import CSRF_HEADER, SAFE_METHODS, RateLimiter, SessionCookies


@dataclass(frozen=True)
class SignedIn:
    navigator: NavigatorPublic
    token: str
    csrf_token: str


def get_store(request: Request) -> CaseStore:
    try:
        return request.app.state.case_store_holder.get()
    except Exception:  # the database is down or misconfigured; the holder logged why at start
        raise ApiError(503, "cases_unavailable", "The case database is not available right now.") from None


def get_cookies(request: Request) -> SessionCookies:
    return request.app.state.session_cookies


def get_login_limiter(request: Request) -> RateLimiter:
    return request.app.state.login_limiter


def get_messages_limiter(request: Request) -> RateLimiter:
    return request.app.state.messages_limiter


StoreDep = Annotated[CaseStore, Depends(get_store)]
CookiesDep = Annotated[SessionCookies, Depends(get_cookies)]
LoginLimiterDep = Annotated[RateLimiter, Depends(get_login_limiter)]
MessagesLimiterDep = Annotated[RateLimiter, Depends(get_messages_limiter)]


def optional_session(request: Request, store: StoreDep, cookies: CookiesDep) -> SignedIn | None:
    """The live session named by the request's cookie, or ``None`` (no cookie, bad signature, expired,
    signed out)."""
    cookie = request.cookies.get(cookies.name)
    token = cookies.load(cookie) if cookie else None
    if token is None:
        return None
    settings: WebSettings = request.app.state.settings
    navigator = store.session_user(token, idle_timeout=timedelta(seconds=settings.session_max_age_s),
                                   absolute_timeout=timedelta(seconds=settings.session_absolute_max_age_s))
    if navigator is None:
        return None
    return SignedIn(navigator, token, cookies.csrf_token(token))


OptionalSession = Annotated[SignedIn | None, Depends(optional_session)]


def require_session(signed_in: OptionalSession) -> SignedIn:
    if signed_in is None:
        raise ApiError(401, "unauthorized", "Please sign in to the navigator console.")
    return signed_in


SessionDep = Annotated[SignedIn, Depends(require_session)]


def require_csrf(request: Request, signed_in: SessionDep, cookies: CookiesDep) -> None:
    if request.method in SAFE_METHODS:
        return
    if not cookies.csrf_ok(signed_in.token, request.headers.get(CSRF_HEADER)):
        raise ApiError(403, "csrf_failed", "The request lacks a valid CSRF token; reload the page and try again.")


def current_navigator(signed_in: SessionDep) -> NavigatorPublic:
    return signed_in.navigator


NavigatorUser = Annotated[NavigatorPublic, Depends(current_navigator)]


def scoped_case(case_id: Annotated[int, Path(ge=1, le=2**31 - 1)], store: StoreDep,
                navigator: NavigatorUser) -> CasePublic:
    case = store.get_case(case_id)
    if case is None or case.trial_id not in navigator.trials:
        raise ApiError(404, "not_found", "There is no such case.")
    return case


ScopedCase = Annotated[CasePublic, Depends(scoped_case)]
