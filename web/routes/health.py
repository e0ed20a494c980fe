"""``GET /health``: 200 only when Rasa, the action server and the knowledge index are all up, else 503.

The three checks run concurrently, each bounded by the health timeout. The index check is
``knowledge.index_store.check_index(index_dir) -> (ok, detail)``, imported when the route runs so the app
starts even where the knowledge package is not installed (then the index is reported down).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import anyio.to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from web.deps import HealthTimeoutDep, HttpClientDep, SettingsDep
from web.rasa_client import action_server_health_url, probe, rasa_root_url
from web.schemas import HealthPublic

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


async def check_index_status(index_dir: Path, timeout_s: float) -> tuple[bool, str]:
    try:
        from knowledge.index_store import check_index
    except ImportError:
        return False, "index check unavailable (knowledge.index_store cannot be imported)"
    try:
        with anyio.fail_after(timeout_s):
            ok, detail = await anyio.to_thread.run_sync(check_index, index_dir, abandon_on_cancel=True)
    except TimeoutError:
        return False, f"index check timed out after {timeout_s:g} s"
    except Exception as exc:  # a broken index must show as down, not crash the health check
        logger.warning("index check raised %s", type(exc).__name__)
        return False, f"index check failed ({type(exc).__name__})"
    return bool(ok), str(detail)


@router.get("/health", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
async def health(settings: SettingsDep, client: HttpClientDep, timeout_s: HealthTimeoutDep) -> JSONResponse:
    (rasa_ok, rasa_detail), (action_ok, action_detail), (index_ok, index_detail) = await asyncio.gather(
        probe(client, rasa_root_url(settings.rasa_url), timeout_s),
        probe(client, action_server_health_url(settings.action_server_url), timeout_s),
        check_index_status(settings.index_dir, timeout_s),
    )
    all_ok = rasa_ok and action_ok and index_ok
    body = HealthPublic(
        status="ok" if all_ok else "degraded",
        services={
            "rasa": {"ok": rasa_ok, "detail": rasa_detail},
            "action_server": {"ok": action_ok, "detail": action_detail},
            "index": {"ok": index_ok, "detail": index_detail},
        },
    )
    if not all_ok:
        logger.warning("health degraded: rasa=%s action_server=%s index=%s", rasa_ok, action_ok, index_ok)
    status_code = 200 if all_ok else 503
    return JSONResponse(body.model_dump(), status_code=status_code, headers={"Cache-Control": "no-store"})
