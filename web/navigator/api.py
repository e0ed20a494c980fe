"""The console's JSON API under ``/api/navigator``.

``public_router`` holds only ``POST /login``. Everything on ``router`` needs a live session (401) and, for
any state-changing method, the CSRF header (403); case routes see only the navigator's trials (404 for
others). Views, changes, exports and erasures are written to the audit log. Store errors become HTTP
statuses here and nowhere else.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from cases.schemas import (
    AuditEntryPublic,
    CasePublic,
    CaseSummaryPublic,
    CaseUpdate,
    NoteCreate,
    NotePublic,
    Status,
    TranscriptMessage,
)
from cases.store import EXPORT_FIELDS, CaseConflict, CaseNotFound, CaseStore, UnknownNavigator, queue_total
from web.deps import HttpClientDep, SettingsDep
from web.errors import ApiError
from web.navigator.auth import SessionCookies
from web.navigator.deps import (
    CookiesDep,
    LoginLimiterDep,
    NavigatorUser,
    ScopedCase,
    SessionDep,
    StoreDep,
    require_csrf,
    require_session,
)
from web.navigator.rasa_api import (
    RasaApiError,
    append_events,
    fetch_tracker,
    navigator_bot_event,
    pause_event,
    resume_event,
    transcript_from_events,
)
from web.navigator.schemas import AssignRequest, LoginRequest, MePublic, ReplyRequest, TranscriptPublic

logger = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}

public_router = APIRouter(prefix="/api/navigator", tags=["navigator"])
router = APIRouter(
    prefix="/api/navigator",
    tags=["navigator"],
    dependencies=[Depends(require_session), Depends(require_csrf)],
)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_session_cookie(response: Response, cookies: SessionCookies, token: str) -> None:
    response.set_cookie(cookies.name, cookies.dump(token), httponly=True, secure=cookies.secure,
                        samesite="strict", path="/")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


# ---- sign-in / sign-out ----------------------------------------------------------------------------------


@public_router.post("/login", response_model=MePublic)
def login(body: LoginRequest, request: Request, store: StoreDep, cookies: CookiesDep,
          limiter: LoginLimiterDep) -> JSONResponse:
    # JSON only, from our own origin: an HTML form on another site can send neither (no login CSRF).
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the sign-in as application/json.")
    if not _same_origin(request):
        raise ApiError(403, "forbidden", "Sign in from the console's own page.")
    keys = (f"ip:{client_address(request)}", f"user:{body.username}")
    if limiter.blocked(*keys):
        logger.warning("sign-in refused: too many failures for this address or username")
        error = ApiError(429, "too_many_requests", "Too many failed sign-ins. Please wait a minute and try again.")
        error.headers = {"Retry-After": str(limiter.retry_after_s(*keys))}
        raise error
    navigator = store.verify_navigator(body.username, body.password)
    if navigator is None:
        limiter.hit(*keys)
        store.audit(body.username[:64], "login_failed")
        raise ApiError(401, "invalid_credentials", "The username or password is not right.")
    token = store.open_session(navigator.username)
    store.audit(navigator.username, "login")
    me = MePublic(username=navigator.username, trials=navigator.trials, csrf_token=cookies.csrf_token(token))
    response = JSONResponse(me.model_dump(), headers=NO_STORE)
    set_session_cookie(response, cookies, token)
    return response


@router.post("/logout", status_code=204)
def logout(signed_in: SessionDep, store: StoreDep, cookies: CookiesDep) -> Response:
    store.close_session(signed_in.token)
    store.audit(signed_in.navigator.username, "logout")
    response = Response(status_code=204)
    response.delete_cookie(cookies.name, path="/", secure=cookies.secure, httponly=True, samesite="strict")
    return response


@router.get("/me", response_model=MePublic)
def me(signed_in: SessionDep) -> JSONResponse:
    body = MePublic(username=signed_in.navigator.username, trials=signed_in.navigator.trials,
                    csrf_token=signed_in.csrf_token)
    return JSONResponse(body.model_dump(), headers=NO_STORE)


@router.get("/navigators", response_model=list[str])
def navigators(navigator: NavigatorUser, store: StoreDep) -> list[str]:
    """Usernames of navigators who share at least one trial with the caller (for assignment)."""
    mine = set(navigator.trials)
    return [n.username for n in store.list_navigators() if mine & set(n.trials)]


# ---- the queue and one case ------------------------------------------------------------------------------

DEFAULT_CASES_PER_REQUEST = 100
MAX_CASES_PER_REQUEST = 500


@router.get("/cases", response_model=list[CaseSummaryPublic])
def list_cases(navigator: NavigatorUser, store: StoreDep, response: Response,
               status: Annotated[Status | None, Query()] = None,
               trial: Annotated[str | None, Query(max_length=32)] = None,
               channel: Annotated[str | None, Query(max_length=32)] = None,
               limit: Annotated[int, Query(ge=1, le=MAX_CASES_PER_REQUEST)] = DEFAULT_CASES_PER_REQUEST,
               offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> list[CaseSummaryPublic]:
    """One page of the queue (urgent first, then oldest); ``X-Total-Count`` says how many cases match."""
    counts = store.count_by_status(navigator.trials, trial=trial, channel=channel)
    response.headers["X-Total-Count"] = str(queue_total(counts, status))
    return store.list_summaries(navigator.trials, status=status, trial=trial, channel=channel,
                                limit=limit, offset=offset)


async def refresh_transcript(request: Request, case: CasePublic, store: CaseStore) -> tuple[CasePublic, bool]:
    """The case with its transcript as Rasa's tracker holds it now (saved in the case), and whether Rasa
    answered; when it does not, the stored transcript stands."""
    settings = request.app.state.settings
    client = request.app.state.http_client
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    try:
        tracker = await fetch_tracker(client, settings.rasa_url, token, case.sender_id, settings.rasa_api_timeout_s)
    except RasaApiError as exc:
        logger.warning("case %s: transcript not refreshed: %s", case.id, exc)
        return case, False
    transcript = transcript_from_events(tracker["events"])
    if not transcript:  # the tracker store was emptied or the conversation is unknown: keep what we have
        return case, False
    if transcript != case.transcript:
        case = await run_in_threadpool(store.set_transcript, case.id, transcript)
    return case, True


@router.get("/cases/{case_id}", response_model=CasePublic)
async def get_case(request: Request, case: ScopedCase, navigator: NavigatorUser, store: StoreDep) -> JSONResponse:
    case, _live = await refresh_transcript(request, case, store)
    await run_in_threadpool(store.audit, navigator.username, "case_viewed", case.id)
    return JSONResponse(case.model_dump(mode="json"), headers=NO_STORE)


@router.get("/cases/{case_id}/transcript", response_model=TranscriptPublic)
async def get_transcript(request: Request, case: ScopedCase, store: StoreDep) -> JSONResponse:
    """The live transcript, for the case page to poll while a navigator holds the conversation (not audited
    separately: opening the case was)."""
    case, live = await refresh_transcript(request, case, store)
    body = TranscriptPublic(transcript=case.transcript, live=live, held_by=case.held_by)
    return JSONResponse(body.model_dump(mode="json"), headers=NO_STORE)


@router.patch("/cases/{case_id}", response_model=CasePublic)
def update_case(changes: CaseUpdate, case: ScopedCase, navigator: NavigatorUser, store: StoreDep) -> CasePublic:
    try:
        return store.update(case.id, changes, navigator.username)
    except CaseConflict as exc:
        raise ApiError(409, "conflict", "This conversation already has another open case.") from exc
    except CaseNotFound as exc:
        raise ApiError(404, "not_found", "There is no such case.") from exc


@router.post("/cases/{case_id}/notes", response_model=NotePublic, status_code=201)
def add_note(note: NoteCreate, case: ScopedCase, navigator: NavigatorUser, store: StoreDep) -> NotePublic:
    try:
        return store.add_note(case.id, note, navigator.username)
    except CaseNotFound as exc:
        raise ApiError(404, "not_found", "There is no such case.") from exc


@router.post("/cases/{case_id}/assign", response_model=CasePublic)
def assign(body: AssignRequest, case: ScopedCase, navigator: NavigatorUser, store: StoreDep) -> CasePublic:
    try:
        return store.assign(case.id, body.username or None, navigator.username)
    except UnknownNavigator as exc:
        raise ApiError(422, "unknown_navigator", "No navigator of this trial has that username.") from exc
    except CaseNotFound as exc:
        raise ApiError(404, "not_found", "There is no such case.") from exc


@router.delete("/cases/{case_id}", status_code=204)
def erase_case(case: ScopedCase, navigator: NavigatorUser, store: StoreDep) -> Response:
    try:
        store.erase_case(case.id, navigator.username)
    except CaseNotFound as exc:
        raise ApiError(404, "not_found", "There is no such case.") from exc
    return Response(status_code=204)


# ---- live reply: take the conversation over, reply, hand it back ------------------------------------------


def _rasa_token(settings: Any) -> str | None:
    return settings.rasa_token.get_secret_value() if settings.rasa_token else None


_RASA_DOWN = "The assistant's server cannot be reached; the conversation was not changed. Try again shortly."


NAVIGATOR_JOINED = "A patient navigator (a person) has joined this conversation and will answer you here."
NAVIGATOR_LEFT = ("The patient navigator has handed this conversation back to the automated assistant. You can ask "
                  "for a person again at any time.")


@router.post("/cases/{case_id}/take", response_model=CasePublic)
async def take(case: ScopedCase, navigator: NavigatorUser, store: StoreDep, settings: SettingsDep,
               client: HttpClientDep) -> CasePublic:
    """Pause the bot in this conversation; the navigator now answers the patient."""
    if case.held_by not in (None, navigator.username):
        raise ApiError(409, "held_by_other", f"{case.held_by} is already answering this conversation.")
    try:
        # the patient sees that a person has joined (the bot is silent from now on)
        joined = navigator_bot_event(NAVIGATOR_JOINED, navigator.username)
        await append_events(client, settings.rasa_url, _rasa_token(settings), case.sender_id,
                            [pause_event(), joined], settings.rasa_api_timeout_s, deliver=True)
    except RasaApiError as exc:
        logger.warning("case %s: pause failed: %s", case.id, exc)
        raise ApiError(503, "bot_unavailable", _RASA_DOWN) from None
    try:
        return await run_in_threadpool(store.set_held_by, case.id, navigator.username, navigator.username,
                                       only_if_free=True)
    except CaseConflict as exc:
        raise ApiError(409, "held_by_other", "Another navigator took this conversation a moment ago.") from exc


@router.post("/cases/{case_id}/reply", response_model=CasePublic)
async def reply(body: ReplyRequest, case: ScopedCase, navigator: NavigatorUser, store: StoreDep,
                settings: SettingsDep, client: HttpClientDep) -> CasePublic:
    """Send the navigator's words to the patient, in the conversation (as a bot message marked navigator)."""
    if case.held_by != navigator.username:
        raise ApiError(409, "not_held", "Take the conversation over before replying.")
    event = navigator_bot_event(body.text, navigator.username)
    try:
        await append_events(client, settings.rasa_url, _rasa_token(settings), case.sender_id, [event],
                            settings.rasa_api_timeout_s, deliver=True)
    except RasaApiError as exc:
        logger.warning("case %s: reply failed: %s", case.id, exc)
        raise ApiError(503, "bot_unavailable", _RASA_DOWN) from None
    at = datetime.fromtimestamp(event["timestamp"], UTC).isoformat(timespec="seconds")
    message: TranscriptMessage = {"role": "navigator", "text": body.text, "at": at}
    updated = await run_in_threadpool(store.append_transcript, case.id, [message])
    await run_in_threadpool(store.audit, navigator.username, "navigator_replied", case.id,
                            f"{len(body.text)} characters")
    return updated


@router.post("/cases/{case_id}/hand-back", response_model=CasePublic)
async def hand_back(case: ScopedCase, navigator: NavigatorUser, store: StoreDep, settings: SettingsDep,
                    client: HttpClientDep) -> CasePublic:
    """Resume the bot in this conversation."""
    try:
        left = navigator_bot_event(NAVIGATOR_LEFT, navigator.username)
        await append_events(client, settings.rasa_url, _rasa_token(settings), case.sender_id,
                            [left, resume_event()], settings.rasa_api_timeout_s, deliver=True)
    except RasaApiError as exc:
        logger.warning("case %s: resume failed: %s", case.id, exc)
        raise ApiError(503, "bot_unavailable", _RASA_DOWN) from None
    return await run_in_threadpool(store.set_held_by, case.id, None, navigator.username)


# ---- export and audit ------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP: prefix with a quote)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _export_name(extension: str) -> str:
    return f"cases-{datetime.now(UTC):%Y%m%d-%H%M%S}.{extension}"


@router.get("/export.csv")
def export_csv(navigator: NavigatorUser, store: StoreDep) -> Response:
    rows = store.export(navigator.trials)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_FIELDS)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in EXPORT_FIELDS])
    store.audit(navigator.username, "exported", None, f"csv: {len(rows)} cases of {', '.join(navigator.trials)}")
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{_export_name("csv")}"'}
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/export.json")
def export_json(navigator: NavigatorUser, store: StoreDep) -> Response:
    rows = store.export(navigator.trials)
    store.audit(navigator.username, "exported", None, f"json: {len(rows)} cases of {', '.join(navigator.trials)}")
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{_export_name("json")}"'}
    return JSONResponse(rows, headers=headers)


@router.get("/audit", response_model=list[AuditEntryPublic])
def audit_log(navigator: NavigatorUser, store: StoreDep,
              limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[AuditEntryPublic]:
    return store.list_audit(navigator.trials, actor=navigator.username, limit=limit)
