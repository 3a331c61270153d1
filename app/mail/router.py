"""The outbox as the secretariat sees it: which mail is waiting, retrying or failed."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.access.policy import rule
from app.access.principal import Principal, Role
from app.api.deps import SessionDep
from app.api.responses import json_response
from app.core.errors import problem_responses
from app.core.inputs import ID_MAX
from app.mail.models import MailStatus
from app.mail.outbox import UNDELIVERED, list_outbox, outbox_out

router = APIRouter(prefix="/v1/mail", tags=["mail"])


@router.get("", responses=problem_responses(401, 403, 422))
def list_mail(
    request: Request, session: SessionDep,
    status: Annotated[Literal["pending", "sending", "failed", "sent"] | None, Query(
        description="Only mail in this state; none: every mail not sent yet")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, le=ID_MAX,
                                        description="Mail id: older ones only")] = None,
    principal: Principal = rule("GET", "/v1/mail", Role.secretariat),
) -> Response:
    """The outbox, newest first: recipient, template, cause, status, attempts, the last
    error and times. Never a subject or body: they hold tokens."""
    statuses = (MailStatus(status),) if status else UNDELIVERED
    items = list_outbox(session, statuses, limit, before)
    return json_response(request, {"items": [outbox_out(m) for m in items]},
                         headers={"Cache-Control": "no-store"})
