"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.core.observability import REGISTRY, register_gauge
from app.db import engine as db_engine

router = APIRouter(tags=["health"])


def _pool(attribute: str) -> float:
    if not db_engine.is_configured():
        return 0.0
    pool = db_engine.get_engine().pool
    value = getattr(pool, attribute, None)
    return float(value()) if callable(value) else 0.0


register_gauge("cna_db_pool_checked_out", "Database connections in use",
               lambda: _pool("checkedout"))
register_gauge("cna_db_pool_size", "Database connections held by the pool",
               lambda: _pool("size"))


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}},
                             "description": "Prometheus text format"}})
def metrics() -> Response:
    """Request latency per route, in-flight requests, database pool use, relay and webhook
    failures, and the change backlog."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
