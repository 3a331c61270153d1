"""The FastAPI application."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.access.policy import ALL_ROLES, ROUTE_RULES
from app.access.router import router as keys_router
from app.accounts.access_requests_router import router as access_requests_router
from app.accounts.me_router import router as me_router
from app.accounts.passwords import Passwords
from app.accounts.router import router as accounts_router
from app.accounts.totp_router import router as totp_router
from app.api.deps import refuse_nul_parameters
from app.authorities.router import import_router
from app.authorities.router import router as authorities_router
from app.authorities.schemas import AuthorityIn
from app.core.errors import install_error_handlers
from app.core.limits import LimitsMiddleware
from app.core.logging import configure_logging
from app.core.observability import RequestContextMiddleware
from app.core.problems import PROBLEM_MEDIA_TYPE
from app.core.ratelimit import RateLimitMiddleware, VerifiedKeys
from app.core.settings import get_settings
from app.db import engine as db_engine
from app.db.runtime import database_url
from app.health.metrics import router as metrics_router
from app.health.router import router as health_router
from app.mail.router import router as mail_router
from app.networks.router import router as networks_router
from app.proposals.router import router as proposals_router
from app.publications.router import router as publications_router
from app.publications.slots import RenderSlots
from app.reference.router import router as reference_router
from app.routecard.router import router as route_router
from app.search import service as search_service
from app.search.engines import engine_from_settings
from app.search.indexing import install_search_listener, telling
from app.search.router import router as search_router
from app.sync.router import router as sync_router
from app.sync.service import FeedWatcher
from app.web.access_request_pages import router as access_request_pages_router
from app.web.account_pages import router as account_pages_router
from app.web.admin_pages import router as admin_pages_router
from app.web.currency_pages import router as currency_pages_router
from app.web.edit_pages import router as edit_pages_router
from app.web.factor_pages import router as factor_pages_router
from app.web.history_pages import router as history_pages_router
from app.web.inbox_pages import router as inbox_pages_router
from app.web.reset_pages import router as reset_pages_router
from app.web.router import router as web_router
from app.webhooks.pinger import Pinger
from search.memory import MemoryEngine

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    configure_logging(settings.log_level)
    with ExitStack() as stack:
        if not db_engine.is_configured():
            # Starts the embedded PostgreSQL when DATABASE_URL is unset; stops it on exit.
            url = stack.enter_context(database_url(settings))
            db_engine.configure_engine(url)
            stack.callback(db_engine.dispose_engine)
        # The search engine of the process (with MEILI_URL, one Meilisearch client).
        app.state.search = search = engine_from_settings(settings)
        if isinstance(search, MemoryEngine):
            # The in-process search index: built in the background, kept in step by the
            # change rows and this process's commits, stopped before the engine is disposed.
            stack.enter_context(search.running(db_engine.get_engine(),
                                               warm=search_service.warm_up(settings)))
            stack.enter_context(telling(search))
        app.state.webhook_pinger = stack.enter_context(Pinger(db_engine.get_engine()))
        # One watcher of the change log for all the long polls of this process.
        async with FeedWatcher(db_engine.get_engine()).watching() as watcher:
            app.state.feed_watcher = watcher
            yield


def create_app() -> FastAPI:
    app = FastAPI(
        title="CNA Directory",
        version="1.0.0",
        summary="Competent national authorities designated under the UN crime conventions",
        description=(
            "Who receives an extradition, mutual legal assistance or transfer request in "
            "each State, in which languages, through which channels, and on what terms. "
            "Records follow the interchange format v1. Errors are RFC 9457 problem+json."
        ),
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul_parameters)],
    )
    install_error_handlers(app)
    install_search_listener()  # a transaction's search-write flag ends with it
    settings = get_settings()
    # Added innermost first: request context wraps everything, so limits and rate-limit
    # refusals get a request id, security headers and a log line too.
    app.state.verified_keys = VerifiedKeys()  # filled by authentication (access policy)
    app.state.passwords = Passwords.from_settings(settings)
    app.state.publication_slots = RenderSlots(settings.publication_renders)
    app.add_middleware(RateLimitMiddleware, anonymous_per_minute=settings.rate_limit_anonymous,
                       key_per_minute=settings.rate_limit_key,
                       verified_keys=app.state.verified_keys)
    app.add_middleware(LimitsMiddleware, max_body_bytes=settings.max_body_bytes,
                       body_timeout=settings.body_timeout_seconds)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "If-Match",
                                          "If-None-Match", "Accept-Language"],
                           expose_headers=["ETag", "Link", "X-Request-ID", "Retry-After"])
    app.add_middleware(RequestContextMiddleware)
    if settings.trusted_proxies:
        # The client address from X-Forwarded-For, believed only from these proxies
        # (`cna serve` turns uvicorn's own handling off, which trusts 127.0.0.1).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.include_router(metrics_router)
    app.include_router(health_router)
    app.include_router(search_router)  # the hot path: matched early
    app.include_router(reference_router)
    app.include_router(authorities_router)
    app.include_router(import_router)
    app.include_router(proposals_router)
    app.include_router(keys_router)
    app.include_router(accounts_router)
    app.include_router(totp_router)
    app.include_router(access_requests_router)
    app.include_router(me_router)
    app.include_router(sync_router)
    app.include_router(mail_router)
    app.include_router(networks_router)
    app.include_router(route_router)
    app.include_router(publications_router)
    app.include_router(edit_pages_router)  # before web_router: /authorities/new is no id
    app.include_router(web_router)
    app.include_router(account_pages_router)
    app.include_router(history_pages_router)
    app.include_router(currency_pages_router)
    app.include_router(admin_pages_router)
    app.include_router(factor_pages_router)
    app.include_router(inbox_pages_router)
    app.include_router(reset_pages_router)
    app.include_router(access_request_pages_router)
    _document_record_schema(app)
    return app


def _document_record_schema(app: FastAPI) -> None:
    """Write routes read the body themselves (one validator for API and import); put the
    record schema they accept into the OpenAPI components so the docs show it."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                             description=app.description, routes=app.routes)
        _, definitions = models_json_schema(
            [(AuthorityIn, "validation")], ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in definitions.get("$defs", {}).items():
            components.setdefault(name, definition)
        _document_common_problems(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemModel"}}}
_COMMON_PROBLEMS = {
    "401": "Missing, malformed, revoked or expired API key",
    "414": "Query string too long",
    "429": "Rate limit exceeded (see Retry-After)",
    "500": "Internal error (logged; no details are returned)",
    "503": "Database unavailable (see Retry-After)",
}
_BODY_PROBLEMS = {
    "400": "Body is not valid JSON or UTF-8, or nests too deeply",
    "408": "The body did not arrive in time",
    "413": "Body too large",
}


_INVALID = {"description": "Invalid parameter or body: each bad field is in errors[] with "
                           "its JSON Pointer (NUL characters are refused in any parameter)",
            "content": _PROBLEM_CONTENT}


def _document_common_problems(schema: dict[str, Any]) -> None:
    """Every /v1 operation can meet the refusals that middleware and access rules give;
    say so in the schema, so that clients (and the fuzzer) find them documented."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            # Every route refuses NUL in its parameters; FastAPI's own 422 entry says
            # application/json, where the answer is problem+json.
            responses = operation.setdefault("responses", {})
            if PROBLEM_MEDIA_TYPE not in responses.get("422", {}).get("content", {}):
                responses["422"] = _INVALID
    components = schema.get("components", {}).get("schemas", {})
    if "#/components/schemas/HTTPValidationError" not in json.dumps(schema.get("paths")):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            extra = dict(_COMMON_PROBLEMS)
            if method in ("post", "put", "patch") or "requestBody" in operation:
                extra.update(_BODY_PROBLEMS)
            rule = ROUTE_RULES.get((method.upper(), path))
            if rule is not None and rule.roles != ALL_ROLES:
                extra["403"] = "The caller's role may not do this"
            if method in ("post", "put", "patch", "delete"):
                extra.setdefault("403", "Signed in with a session cookie but without the "
                                        "session's X-CSRF-Token header")
            for status, description in extra.items():
                responses.setdefault(status, {"description": description,
                                              "content": _PROBLEM_CONTENT})

