"""The console's HTML pages under ``/navigator`` (Jinja2, autoescaped), and its static files.

Pages hold no inline script or style (the app's CSP forbids them): ``static/console.js`` and
``static/console.css`` do the rest, calling the JSON API with the CSRF token from ``<meta name="csrf-token">``.
Without a live session every page except the sign-in page redirects to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from cases.schemas import STATUSES, Status
from cases.store import queue_total
from web.errors import ApiError
from web.navigator.api import refresh_transcript
from web.navigator.deps import OptionalSession, StoreDep

HERE = Path(__file__).resolve().parent
STATUS_LABELS = {"new": "New", "in_review": "In review", "contacted": "Contacted", "closed": "Closed"}
ROLE_LABELS = {"user": "Patient", "bot": "Assistant", "navigator": "Navigator"}
CRITERION_LABELS = {"met": "Met", "not_met": "Not met", "unknown": "Unknown"}
NO_STORE = {"Cache-Control": "no-store"}
QUEUE_PAGE_SIZE = 50  # cases shown per status group

router = APIRouter(prefix="/navigator", include_in_schema=False)


def age(then: datetime, now: datetime | None = None) -> str:
    """How long ago, briefly: "5 min", "3 h 20 min", "2 d 4 h"."""
    seconds = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["age"] = age
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else ""
    env.globals.update(STATUS_LABELS=STATUS_LABELS, ROLE_LABELS=ROLE_LABELS, CRITERION_LABELS=CRITERION_LABELS)
    return env


templates = Jinja2Templates(env=_environment())


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=NO_STORE)


def _to_login() -> RedirectResponse:
    return RedirectResponse("/navigator/login", status_code=303)


@router.get("/login")
def login_page(request: Request, signed_in: OptionalSession) -> Response:
    if signed_in is not None:
        return RedirectResponse("/navigator", status_code=303)
    return _page(request, "login.html", {"signed_in": None})


@router.get("")
def queue_page(request: Request, signed_in: OptionalSession, store: StoreDep,
               status: Annotated[Status | None, Query()] = None,
               trial: Annotated[str | None, Query(max_length=32)] = None,
               channel: Annotated[str | None, Query(max_length=32)] = None,
               page: Annotated[int, Query(ge=1, le=2**31 - 1)] = 1) -> Response:
    """The queue, grouped by status, at most ``QUEUE_PAGE_SIZE`` cases a group; a group with more links to
    its own view (the status filter), which pages through it."""
    if signed_in is None:
        return _to_login()
    trials = signed_in.navigator.trials
    filters = {"status": status or "", "trial": trial or "", "channel": channel or ""}
    counts = store.count_by_status(trials, trial=trial or None, channel=channel or None)
    pages = max(1, -(-counts[status] // QUEUE_PAGE_SIZE)) if status else 1
    page = min(page, pages)
    groups = [(s, store.list_summaries(trials, status=s, trial=trial or None, channel=channel or None,
                                       limit=QUEUE_PAGE_SIZE, offset=(page - 1) * QUEUE_PAGE_SIZE))
              for s in STATUSES if status in (None, s)]
    context = {
        "signed_in": signed_in, "groups": groups, "counts": counts, "trials": trials,
        "channels": store.channels(trials), "statuses": STATUSES, "filters": filters,
        "total": queue_total(counts, status), "now": store.now(),
        "page": page, "pages": pages, "page_size": QUEUE_PAGE_SIZE,
        "filter_query": urlencode({k: v for k, v in filters.items() if v}),
    }
    return _page(request, "queue.html", context)


@router.get("/cases/{case_id}")
async def case_page(request: Request, signed_in: OptionalSession, store: StoreDep,
                    case_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]) -> Response:
    if signed_in is None:
        return _to_login()
    navigator = signed_in.navigator
    case = await run_in_threadpool(store.get_case, case_id)
    if case is None or case.trial_id not in navigator.trials:
        raise ApiError(404, "not_found", "There is no such case.")
    case, live = await refresh_transcript(request, case, store)
    await run_in_threadpool(store.audit, navigator.username, "case_viewed", case.id)
    colleagues = [n.username for n in await run_in_threadpool(store.list_navigators) if case.trial_id in n.trials]
    context = {"signed_in": signed_in, "case": case, "live": live, "colleagues": colleagues, "statuses": STATUSES,
               "now": store.now()}
    return _page(request, "case.html", context)


@router.get("/audit")
def audit_page(request: Request, signed_in: OptionalSession, store: StoreDep) -> Response:
    if signed_in is None:
        return _to_login()
    entries = store.list_audit(signed_in.navigator.trials, actor=signed_in.navigator.username)
    return _page(request, "audit.html", {"signed_in": signed_in, "entries": entries})


def mount_static(app: FastAPI) -> None:
    app.mount("/navigator/static", StaticFiles(directory=HERE / "static"), name="navigator-static")
