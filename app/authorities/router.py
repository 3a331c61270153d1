"""Read routes for authority records."""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi import Path as FastAPIPath
from pydantic import BaseModel, Field
from sqlalchemy import Subquery
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from app.access.policy import read_beside, readers, rule
from app.access.principal import Principal, Role
from app.api.deps import SessionDep
from app.api.responses import json_headers, json_response, next_link, not_modified
from app.authorities import history, service, transfer, vcard, writes
from app.authorities.documents import render, view_of
from app.authorities.models import Authority
from app.authorities.schemas import AuthorityOut, AuthorityPage, Channel, HistoryOut, Kind
from app.core.errors import problem_responses
from app.core.inputs import Text
from app.core.problems import Problem, not_found
from app.core.settings import get_settings
from app.reference.service import load_reference_cached, resolve_filters

router = APIRouter(prefix="/v1/authorities", tags=["authorities"])

StatusFilter = Literal["active", "withdrawn", "all"]


def actor_of(principal: Principal) -> service.Actor:
    return service.Actor(name=principal.actor_name, role=principal.role or "anonymous")


def record_etag(version: int, principal: Principal) -> str:
    """Distinct per version and per view, so a public copy never validates a full one."""
    return f'"{version}-{principal.view.value}"'


@router.get("", response_model=AuthorityPage, responses=problem_responses(422))
def list_authorities(
    request: Request,
    session: SessionDep,
    country: Annotated[list[str], Query(max_length=300, description="ISO alpha-2 or alpha-3; "
                                                                     "repeatable")] = [],  # noqa: B006
    type: Annotated[str | None, Query(max_length=64)] = None,
    instrument: Annotated[str | None, Query(max_length=64)] = None,
    article: Annotated[str | None, Query(max_length=16)] = None,
    language: Annotated[str | None, Query(max_length=35)] = None,
    channel: Channel | None = None,
    kind: Kind | None = None,
    status: StatusFilter = "active",
    updated_since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    principal: Principal = readers("GET", "/v1/authorities"),
) -> Response:
    """Authorities, filtered; filters on designations apply to one and the same designation."""
    countries = principal.visible_countries(
        resolve_filters(session, country, type, instrument, article)
    )
    if countries == []:  # every requested country is outside the key's scope
        return json_response(request, {"items": [], "next_cursor": None, "limit": limit})
    filters = service.AuthorityFilters(
        countries=countries or [], type=type, instrument=instrument, article=article,
        language=language, channel=channel, kind=kind,
        status=None if status == "all" else status, updated_since=updated_since,
    )
    rows, next_cursor = service.list_authorities(session, filters, limit, cursor)
    items = [view_of(render(a), principal.view) for a in rows]
    headers = {}
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        headers["Link"] = next_link(request, url)
    return json_response(request, {"items": items, "next_cursor": next_cursor, "limit": limit},
                         headers=headers)


def _visible_authority(session: Session, authority_id: uuid.UUID,
                       principal: Principal) -> Authority:
    """The record, or 404 when it does not exist or is outside the caller's scope."""
    authority = service.get_authority(session, authority_id)
    if authority is None or not principal.may_see_country(authority.country):
        raise not_found(f"authority {authority_id}")
    return authority


RECORD_VARY = {"Vary": "Accept, Accept-Language, Authorization"}


def _stamp_beside(request: Request) -> tuple[Hashable, Subquery] | None:
    """For a request with a validator, the record's stamp read in the statement that
    checks the caller's key (``readers(..., beside=...)``)."""
    if not request.headers.get("if-none-match"):
        return None
    try:
        authority_id = uuid.UUID(request.path_params["authority_id"])
    except (KeyError, ValueError):
        return None  # the route's own parameter check answers
    return ("version stamp", authority_id), service.version_stamp_read(authority_id)


async def _not_modified(request: Request, session: Session, authority_id: uuid.UUID,
                        principal: Principal, as_vcard: bool) -> Response | None:
    """The 304 for a client whose copy is current, decided from the record's version and
    country alone, before anything is loaded or rendered; None when the request carries
    no validator or an old one.  An unknown record, or one outside the caller's scope, is
    a 404 here as on the full path: a validator never tells that a record exists.  With a
    key, the stamp was read with the key (no hand-off to a worker thread of its own)."""
    if not request.headers.get("if-none-match"):
        return None
    values = read_beside(request, ("version stamp", authority_id))
    stamp = (service.stamp_of(values) if values is not None
             else await run_in_threadpool(service.version_stamp, session, authority_id))
    if stamp is None or not principal.may_see_country(stamp.country):
        raise not_found(f"authority {authority_id}")
    if as_vcard:
        headers = vcard.vcard_headers(request, authority_id, stamp.version, principal)
    else:
        headers = json_headers(record_etag(stamp.version, principal), RECORD_VARY)
    return not_modified(request, headers["ETag"], headers)


def _vcard_in_full(request: Request, session: Session, authority_id: uuid.UUID,
                   principal: Principal) -> Response:
    authority = _visible_authority(session, authority_id, principal)
    return vcard.vcard_response(request, session, authority, principal)


def _record_in_full(request: Request, session: Session, authority_id: uuid.UUID,
                    principal: Principal) -> Response:
    authority = _visible_authority(session, authority_id, principal)
    return json_response(request, view_of(render(authority), principal.view),
                         etag=record_etag(authority.version, principal), headers=RECORD_VARY)


@router.get("/{authority_id}.vcf", response_class=Response,
            responses={200: {"content": {vcard.MEDIA_TYPE: {}},
                             "description": "RFC 6350 vCard 4.0"},
                       **problem_responses(404, 422), 304: {"description": "Not modified"}})
async def get_authority_vcard(
    request: Request,
    session: SessionDep,
    authority_id: uuid.UUID,
    principal: Principal = readers("GET", "/v1/authorities/{authority_id}.vcf",
                                   beside=_stamp_beside),
) -> Response:
    """One record as a vCard 4.0 contact card, in the caller's view."""
    cheap = await _not_modified(request, session, authority_id, principal, as_vcard=True)
    if cheap is not None:
        return cheap
    return await run_in_threadpool(_vcard_in_full, request, session, authority_id, principal)


@router.get("/{authority_id}", response_model=AuthorityOut,
            responses={**problem_responses(404, 422), 304: {"description": "Not modified"}})
async def get_authority(
    request: Request,
    session: SessionDep,
    authority_id: uuid.UUID,
    principal: Principal = readers("GET", "/v1/authorities/{authority_id}",
                                   beside=_stamp_beside),
) -> Response:
    """One record in the caller's view, with an ETag."""
    as_vcard = vcard.wants_vcard(request)  # Accept: text/vcard
    cheap = await _not_modified(request, session, authority_id, principal, as_vcard=as_vcard)
    if cheap is not None:
        return cheap
    in_full = _vcard_in_full if as_vcard else _record_in_full
    return await run_in_threadpool(in_full, request, session, authority_id, principal)



# --------------------------------------------------------------------------- writes

RECORD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthorityIn"}}},
    }
}
PATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/merge-patch+json": {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}
ReasonQuery = Annotated[str | None, Query(max_length=1000, description="Why (kept in history)")]


class WithdrawIn(BaseModel):
    reason: Text = Field(min_length=1, max_length=1000)


def _written(request: Request, session: SessionDep, result: service.SaveResult,
             principal: Principal, status_code: int = 200) -> Response:
    session.commit()
    response = json_response(request, view_of(render(result.authority), principal.view),
                             etag=record_etag(result.authority.version, principal))
    response.status_code = status_code
    if status_code == 201:
        response.headers["Location"] = f"/v1/authorities/{result.authority.id}"
    return response


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except (ValueError, UnicodeDecodeError):
        raise Problem(status=400, detail="the body is not valid JSON") from None


@router.post("", status_code=201, response_model=AuthorityOut, openapi_extra=RECORD_BODY,
             responses=problem_responses(400, 401, 403, 409, 422))
def create_authority(
    request: Request,
    session: SessionDep,
    reason: ReasonQuery = None,
    body: Any = Depends(_json_body),
    principal: Principal = rule("POST", "/v1/authorities", Role.secretariat),
) -> Response:
    """Record a new authority (secretariat)."""
    result = writes.create(session, body, actor_of(principal), reason)
    return _written(request, session, result, principal, status_code=201)


@router.put("/{authority_id}", response_model=AuthorityOut, openapi_extra=RECORD_BODY,
            responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428))
def replace_authority(
    request: Request,
    session: SessionDep,
    authority_id: uuid.UUID,
    if_match: Annotated[str | None, Header()] = None,
    reason: ReasonQuery = None,
    body: Any = Depends(_json_body),
    principal: Principal = rule("PUT", "/v1/authorities/{authority_id}", Role.secretariat),
) -> Response:
    """Replace a record; needs ``If-Match`` with its current ETag (428 without, 412 stale)."""
    version = writes.required_version(if_match)
    result = writes.replace(session, authority_id, body, version, actor_of(principal), reason)
    return _written(request, session, result, principal)


@router.patch("/{authority_id}", response_model=AuthorityOut, openapi_extra=PATCH_BODY,
              responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428))
def patch_authority(
    request: Request,
    session: SessionDep,
    authority_id: uuid.UUID,
    if_match: Annotated[str | None, Header()] = None,
    reason: ReasonQuery = None,
    body: Any = Depends(_json_body),
    principal: Principal = rule("PATCH", "/v1/authorities/{authority_id}", Role.secretariat),
) -> Response:
    """Change fields with a JSON Merge Patch (RFC 7396); needs ``If-Match``."""
    version = writes.required_version(if_match)
    result = writes.patch(session, authority_id, body, version, actor_of(principal), reason)
    return _written(request, session, result, principal)


@router.post("/{authority_id}/withdraw", response_model=AuthorityOut,
             responses=problem_responses(401, 403, 404, 412, 422))
def withdraw_authority(
    request: Request,
    session: SessionDep,
    authority_id: uuid.UUID,
    body: WithdrawIn,
    if_match: Annotated[str | None, Header()] = None,
    principal: Principal = rule("POST", "/v1/authorities/{authority_id}/withdraw",
                                Role.secretariat),
) -> Response:
    """Withdraw a designation record. Nothing is ever deleted: it stays as a tombstone."""
    version = writes.required_version(if_match) if if_match else None
    result = writes.withdraw(session, authority_id, version, actor_of(principal), body.reason)
    return _written(request, session, result, principal)


# --------------------------------------------------------------------------- history


@router.get("/{authority_id}/history", response_model=HistoryOut,
            responses=problem_responses(401, 404, 422))
def authority_history(
    request: Request,
    session: SessionDep,
    authority_id: uuid.UUID,
    principal: Principal = readers("GET", "/v1/authorities/{authority_id}/history"),
) -> Response:
    """Every version: who (key prefix and role), when, why, and a field-level diff.

    A key limited to some countries sees the versions in which the record was in one of
    them (as ``/versions/{n}`` does); anonymous callers see the changes to public fields
    only, without who or why.
    """
    items = history.visible_versions(history.revisions(session, authority_id), principal)
    if not items:
        raise not_found(f"authority {authority_id}")
    return json_response(request, {"id": str(authority_id), "versions": items})


@router.get("/{authority_id}/versions/{version}", response_model=AuthorityOut,
            responses=problem_responses(401, 404, 422))
def authority_version(
    request: Request,
    session: SessionDep,
    authority_id: uuid.UUID,
    version: Annotated[int, FastAPIPath(ge=1, le=2_000_000_000)],
    principal: Principal = readers("GET", "/v1/authorities/{authority_id}/versions/{version}"),
) -> Response:
    """The record exactly as it was at that version."""
    rev = history.revision(session, authority_id, version)
    if rev is None or not principal.may_see_country(rev.document["country"]):
        raise not_found(f"version {version} of authority {authority_id}")
    return json_response(request, view_of(rev.document, principal.view),
                         etag=record_etag(version, principal))


# --------------------------------------------------------------------------- import

import_router = APIRouter(prefix="/v1/import", tags=["authorities"])


class ImportReportOut(BaseModel):
    records: int
    created: int
    updated: int
    unchanged: int
    invalid: int
    dry_run: bool
    written: bool
    errors: list[dict[str, Any]]


async def _read_limited(request: Request, limit: int) -> str:
    """The body, read as it streams in; 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(status=413, detail=f"an import may be at most {limit} bytes")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(status=413, detail=f"an import may be at most {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise Problem(status=408, detail="the upload stopped before it was complete") from None
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(status=400, detail=f"the file is not UTF-8 (byte {exc.start})") from None


def _run_import(text: str, dry_run: bool, principal: Principal,
                reason: str | None) -> transfer.ImportReport:
    from sqlmodel import Session

    from app.db.engine import get_engine

    with Session(get_engine(), expire_on_commit=False) as session:
        report = transfer.import_records(
            session, transfer.parse_records(text), load_reference_cached(session),
            actor_of(principal), dry_run=dry_run, reason=reason,
        )
        if report.written:
            session.commit()
        else:
            session.rollback()
    return report


@import_router.post(
    "", response_model=ImportReportOut,
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/x-ndjson": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array",
                                         "items": {"$ref": "#/components/schemas/AuthorityIn"}}},
    }}},
    responses=problem_responses(400, 401, 403, 413, 422),
)
async def import_file(
    request: Request,
    dry_run: bool = False,
    reason: ReasonQuery = None,
    principal: Principal = rule("POST", "/v1/import", Role.secretariat),
) -> Response:
    """Import NDJSON or a JSON array: all or nothing, with a report of every bad record.

    Same semantics as ``cna import``: matched by id, else country + ref; unchanged records
    are left alone; with ``dry_run=true`` nothing is written.
    """
    text = await _read_limited(request, get_settings().import_max_bytes)
    report = await run_in_threadpool(_run_import, text, dry_run, principal, reason)
    summary = report.as_dict()
    if not report.ok:
        raise Problem(status=422, title="Invalid records",
                      type="https://cna-directory.example.org/problems/import",
                      detail=f"{summary['invalid']} invalid record(s); nothing was written",
                      extra={"report": summary})
    return json_response(request, summary)
