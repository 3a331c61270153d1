"""Managing API keys through the API (secretariat)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import AfterValidator, BaseModel, Field

from app.access import service
from app.access.models import ApiKey
from app.access.policy import rule
from app.access.principal import Principal, Role
from app.api.deps import SessionDep
from app.api.responses import json_response
from app.core.errors import problem_responses
from app.core.inputs import Text
from app.core.problems import not_found
from app.reference.service import resolve_filters

router = APIRouter(prefix="/v1/keys", tags=["access"])


class KeyIn(BaseModel):
    role: Role
    countries: list[Annotated[Text, Field(min_length=2, max_length=3)]] | None = Field(
        default=None, min_length=1, max_length=300,
        description="ISO codes; limits the key to these countries (leave out for every "
                    "country: an empty list is refused)"
    )
    expires_at: Annotated[datetime, AfterValidator(service.key_expiry)] | None = Field(
        default=None, description="In the future and within ten years; naive times are UTC")
    label: Text | None = Field(default=None, max_length=200)


class KeyOut(BaseModel):
    prefix: str
    role: Role
    countries: list[str] | None
    label: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime | None
    created_by: str | None


class KeyCreated(KeyOut):
    key: str = Field(description="The key itself. Shown this once; only a digest is stored.")


class KeyList(BaseModel):
    items: list[KeyOut]


def key_out(row: ApiKey) -> dict[str, Any]:
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "prefix": row.prefix, "role": row.role, "countries": row.countries, "label": row.label,
        "expires_at": when(row.expires_at), "revoked_at": when(row.revoked_at),
        "last_used_at": when(row.last_used_at), "created_at": when(row.created_at),
        "created_by": row.created_by,
    }


def resolve_countries(session: SessionDep, codes: list[str] | None) -> list[str] | None:
    if codes is None:
        return None
    return resolve_filters(session, codes, loc=("body", "countries"),
                           detail="unknown countries")


@router.post("", status_code=201, response_model=KeyCreated,
             responses=problem_responses(401, 403, 422))
def create_key(
    request: Request,
    session: SessionDep,
    body: KeyIn,
    principal: Principal = rule("POST", "/v1/keys", Role.secretariat),
) -> Response:
    """Create a key. The response is the only time the key is shown."""
    key, row = service.create_key(session, body.role, resolve_countries(session, body.countries),
                                  body.expires_at, body.label, created_by=principal.actor_name)
    session.commit()
    response = json_response(request, {**key_out(row), "key": key},
                             headers={"Cache-Control": "no-store"})
    response.status_code = 201
    return response


@router.get("", response_model=KeyList, responses=problem_responses(401, 403))
def list_keys(
    request: Request,
    session: SessionDep,
    principal: Principal = rule("GET", "/v1/keys", Role.secretariat),
) -> Response:
    """Every key that has not been revoked (prefix, role, scope, expiry, last use)."""
    return json_response(request, {"items": [key_out(k) for k in service.list_keys(session)]})


@router.delete("/{prefix}", response_model=KeyOut, responses=problem_responses(401, 403, 404))
def revoke_key(
    request: Request,
    session: SessionDep,
    prefix: Annotated[str, Path(min_length=8, max_length=80)],
    principal: Principal = rule("DELETE", "/v1/keys/{prefix}", Role.secretariat),
) -> Response:
    """Revoke a key (by prefix). It is kept, marked revoked, and refused from now on."""
    row = service.revoke_key(session, prefix)
    if row is None:
        raise not_found(f"key {prefix!r}")
    session.commit()
    return json_response(request, key_out(row))
