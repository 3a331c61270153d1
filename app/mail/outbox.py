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
from sqlmodel import Session

from app.core.settings import Settings, get_settings
from app.mail.models import MailMessage
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
