"""One JSON error shape for every failure: ``{"error": "<code>", "detail": "<human sentence>"}``.

Routes raise :class:`ApiError`; the handlers registered by :func:`install_error_handlers` also turn
FastAPI's own validation errors and Starlette's HTTP errors (404, 405, ...) into that shape, and
:class:`CatchAllMiddleware` does the same for any unexpected exception (a generic 500). Nothing echoes request
content or a stack trace back to the client, and logs get the exception type and frames, not its message.
"""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.security import SECURITY_HEADERS

logger = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    502: "bad_gateway",
    503: "service_unavailable",
}


_SENTENCES_BY_STATUS = {
    404: "There is nothing at this address.",
    405: "This method is not allowed at this address.",
}


class ApiError(StarletteHTTPException):
    """An HTTP error with a machine-readable ``code``; raised only in routes."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(status_code=status_code, detail=detail)
        self.code = code


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = getattr(exc, "code", None) or _CODES_BY_STATUS.get(exc.status_code, "http_error")
    if isinstance(exc, ApiError):
        detail = exc.detail
    else:  # Starlette's own errors carry a bare phrase such as "Not Found"
        detail = _SENTENCES_BY_STATUS.get(exc.status_code, "The request could not be handled.")
    return JSONResponse(error_body(code, detail), status_code=exc.status_code, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Name the offending fields only; never echo the submitted values.
    fields = sorted({".".join(str(p) for p in err.get("loc", ()) if p != "body") for err in exc.errors()})
    where = ", ".join(f for f in fields if f) or "the request"
    return JSONResponse(error_body("validation_error", f"Invalid value for {where}."), status_code=422)


def _log_unexpected(exc: BaseException, method: str, path: str) -> None:
    # Frames only (file, line, source); the exception's message may contain user input.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("unexpected %s on %s %s\n%s", type(exc).__name__, method, path, frames)


def _internal_error_response(headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        error_body("internal_error", "Something went wrong on our side. Please try again later."),
        status_code=500,
        headers=headers,
    )


class CatchAllMiddleware:
    """Turns an unexpected exception into the generic 500 JSON and does not re-raise it.

    Starlette's own ``ServerErrorMiddleware`` would re-raise after responding, and the server would then log
    the full exception, message included; this middleware logs the type and frames only.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            _log_unexpected(exc, scope.get("method", ""), scope.get("path", ""))
            if not started:
                await _internal_error_response()(scope, receive, send)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Fallback for errors outside CatchAllMiddleware. Starlette's outermost error middleware sends this
    # response, outside the security-headers middleware, so the headers are added here.
    _log_unexpected(exc, request.method, request.url.path)
    return _internal_error_response(headers=dict(SECURITY_HEADERS))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
