"""``GET /healthz`` (contract 7) and ``GET /metrics`` (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from gateway.dependencies import StateDep
from gateway.health import check_all

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz(state: StateDep) -> JSONResponse:
    """200 when Rasa, the action server, the search index, the database and the policy library
    are all ready, else 503; the body lists each dependency's state."""
    report = await check_all(
        http=state.http,
        rasa_url=state.settings.rasa_url,
        actions_url=state.settings.actions_url,
        search_backend=state.search_backend,
        engine=state.engine,
        library=state.library,
        library_error=state.library_error,
        timeout=state.settings.health_timeout,
    )
    for name, dependency in report.dependencies.items():
        state.metrics.dependency_up.labels(name).set(1 if dependency.ok else 0)
    return JSONResponse(report.as_dict(), status_code=200 if report.ok else 503)


@router.get("/metrics")
def metrics(state: StateDep) -> Response:
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
