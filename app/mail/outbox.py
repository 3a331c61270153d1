"""The outbox: mail is rendered and queued in the transaction of the action that causes it.

``enqueue`` adds one ``mail_outbox`` row to the caller's session and does not commit: the
mail exists if and only if the action commits (no mail without its cause, no cause whose
mail is lost). ``cna worker`` sends it later (app/mail/worker.py).

Templates live in app/mail/templates/ (see app/mail/render.py for their form)::

    from app.mail.outbox import enqueue

    enqueue(session, to=account.email, language=account.language, template="invitation",
            context={"name": account.display_name, "path": f"/invitations/{token}"},
            cause=f"invitation:{invitation.id}")
"""

from __future__ import annotations

import uuid
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, col, select

from app.core.settings import Settings, get_settings
from app.mail.models import MailMessage, MailStatus
from app.mail.render import MailRenderer


def message_id_domain(settings: Settings) -> str:
    """The right-hand side of our Message-IDs: the From address's domain."""
    _, address = parseaddr(settings.mail_from)
    domain = address.rpartition("@")[2]
    return domain or "localhost"


def enqueue(session: Session, *, to: str, language: str, template: str,
            context: dict[str, Any], cause: str | None = None,
            settings: Settings | None = None) -> MailMessage:
    """Render and add one mail to the outbox in the caller's transaction (no commit).

    ``language`` is the recipient's preference (BCP 47); the mail is written in the UN
    language it names, or English. Raises ``ValueError`` for an address that is not one
    (``EmailNotValidError`` is a ``ValueError``) or an unknown template.
    """
    settings = settings or get_settings()
    try:
        recipient = validate_email(to, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a mail address: {exc}") from None
    Address(addr_spec=recipient)  # what the sender will build: refuses anything odd now
    rendered = MailRenderer(settings).render(template, language, context)
    message = MailMessage(
        message_id=f"<{uuid.uuid4().hex}@{message_id_domain(settings)}>",
        recipient=recipient, language=rendered.language, template=template, cause=cause,
        subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
    )
    session.add(message)
    return message


UNDELIVERED = (MailStatus.pending, MailStatus.sending, MailStatus.failed)


def list_outbox(session: Session, statuses: tuple[MailStatus, ...], limit: int,
                before: int | None) -> list[MailMessage]:
    """Outbox rows in these states, newest first."""
    query = select(MailMessage).where(col(MailMessage.status).in_(statuses))
    if before is not None:
        query = query.where(col(MailMessage.id) < before)
    return list(session.scalars(query.order_by(col(MailMessage.id).desc()).limit(limit)))


def outbox_out(message: MailMessage) -> dict[str, Any]:
    """What the secretariat sees of a mail: never its subject or body (they hold tokens)."""
    return {
        "id": message.id, "message_id": message.message_id, "recipient": message.recipient,
        "language": message.language, "template": message.template, "cause": message.cause,
        "status": message.status, "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at if message.status in (
            MailStatus.pending, MailStatus.sending) else None,
        "last_attempt_at": message.last_attempt_at, "last_error": message.last_error,
        "sent_at": message.sent_at, "created_at": message.created_at,
    }
