"""Prometheus metrics."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.errors import problem_responses
from app.core.observability import REGISTRY, register_gauge
from app.core.problems import Problem
from app.core.settings import get_settings
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


class DatabaseStateCollector:
    """Gauges read from Postgres at scrape time, so they are right whichever process (API,
    `cna worker`) did the work: the search backlog, relay and webhook failures."""

    QUERY = text("""
        SELECT
          (SELECT count(*) FROM changes WHERE mirrored_at IS NULL) AS backlog,
          (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)
             FROM changes WHERE mirrored_at IS NULL) AS oldest,
          (SELECT count(*) FROM changes
             WHERE mirrored_at IS NULL AND mirror_error IS NOT NULL) AS relay_failing,
          (SELECT count(*) FROM webhook_attempts
             WHERE error IS NOT NULL OR status_code IS NULL
                OR status_code NOT BETWEEN 200 AND 299) AS webhook_failed,
          (SELECT count(*) FROM webhook_endpoints WHERE status <> 'active') AS disabled
    """)

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        if not db_engine.is_configured():
            return
        try:
            with db_engine.get_engine().connect() as conn:
                conn.execute(text("SET LOCAL statement_timeout = 2000"))
                row = conn.execute(self.QUERY).one()
        except SQLAlchemyError:
            return
        yield GaugeMetricFamily("cna_change_backlog", "Change rows not yet mirrored to "
                                "the search index", value=row.backlog)
        yield GaugeMetricFamily("cna_change_backlog_oldest_age_seconds", "Age of the oldest "
                                "change row not yet mirrored", value=float(row.oldest))
        yield GaugeMetricFamily("cna_search_relay_failing_changes", "Unmirrored change rows "
                                "whose last relay attempt failed", value=row.relay_failing)
        yield GaugeMetricFamily("cna_webhook_failed_attempts", "Webhook delivery attempts "
                                "that failed (all time)", value=row.webhook_failed)
        yield GaugeMetricFamily("cna_webhook_endpoints_disabled", "Webhook endpoints not "
                                "active", value=row.disabled)


REGISTRY.register(DatabaseStateCollector())


def require_metrics_access(request: Request) -> None:
    """CNA_METRICS: ``public``; ``token`` (``Authorization: Bearer <CNA_METRICS_TOKEN>``,
    compared in constant time); ``off``: no such page."""
    settings = get_settings()
    access = settings.metrics_access
    if access == "public":
        return
    if access == "off" or settings.metrics_token is None:
        raise Problem(status=404, detail=f"no resource at {request.url.path}")
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    expected = settings.metrics_token.get_secret_value()
    if not (scheme.lower() == "bearer"
            and secrets.compare_digest(presented.strip().encode(), expected.encode())):
        raise Problem(status=401, detail="/metrics needs 'Authorization: Bearer <metrics "
                                         "token>'", headers={"WWW-Authenticate": "Bearer"})


@router.get("/metrics", response_class=Response,
            dependencies=[Depends(require_metrics_access)],
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}},
                             "description": "Prometheus text format"},
                       **problem_responses(401, 404)})
def metrics() -> Response:
    """Request latency per route, in-flight requests, database pool use, relay and webhook
    failures, and the change backlog.  Who may read it: CNA_METRICS."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
