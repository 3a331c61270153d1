"""Turning an outbox row into a MIME message, and handing it over: to an SMTP server
(``CNA_SMTP_URL``) or, without one, to the Maildir ``$CNA_DATA_DIR/mail``.

SMTP URLs:

- ``smtp://user:password@host:587``: a plain connection upgraded with STARTTLS (the
  server's certificate is verified). STARTTLS is required, except on a loopback host
  (``localhost``, ``127.0.0.1``, ``::1``), where it is used if offered and plain SMTP is
  accepted otherwise (a local relay). Default port 587.
- ``smtps://user:password@host:465``: implicit TLS from the first byte. Default port 465.

User and password are optional and percent-decoded; they are sent only over TLS (or on
loopback). Neither they nor a message body are ever logged or kept in ``last_error``.
"""

from __future__ import annotations

import ipaddress
import mailbox
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from app.core.settings import Settings
from app.mail.models import MailMessage

SMTP_TIMEOUT_SECONDS = 30.0
ERROR_MAX_CHARS = 500
DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


class MailConfigError(ValueError):
    """CNA_SMTP_URL or CNA_MAIL_FROM is unusable (the message never repeats the URL)."""


class SendFailure(Exception):
    """A mail was not accepted. ``permanent``: retrying cannot help (a 5xx for the
    recipient or the message); otherwise it is retried later. ``server_down``: nothing can
    be sent right now, so the pass stops.

    ``str()`` is the reason kept in ``last_error`` (with the server's answer, which may
    name the recipient); ``summary`` is what the log gets: the kind of error and its code.
    """

    def __init__(self, reason: str, summary: str, *, permanent: bool = False,
                 server_down: bool = False) -> None:
        super().__init__(reason[:ERROR_MAX_CHARS])
        self.summary = summary
        self.permanent = permanent
        self.server_down = server_down

    @classmethod
    def of(cls, exc: BaseException, *, permanent: bool = False,
           server_down: bool = False) -> SendFailure:
        summary = type(exc).__name__
        if isinstance(exc, smtplib.SMTPResponseException):
            summary += f" {exc.smtp_code}"
        return cls(_reason(exc), summary, permanent=permanent, server_down=server_down)


def build_email(row: MailMessage, settings: Settings, now: datetime) -> EmailMessage:
    """multipart/alternative: the text part, then the HTML part."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(now)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    # After the parts are made: making them moves every Content-* header into the first.
    message["Content-Language"] = row.language
    return message


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpTarget:
    implicit_tls: bool
    host: str
    port: int
    username: str | None
    password: str | None

    @property
    def loopback(self) -> bool:
        if self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname or port == -1:
            raise MailConfigError("CNA_SMTP_URL must look like smtp://user:password@host:587 "
                                  "or smtps://user:password@host:465")
        return cls(implicit_tls=parts.scheme == "smtps", host=parts.hostname,
                   port=port or DEFAULT_PORTS[parts.scheme],
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{type(exc).__name__}: {exc.smtp_code} {' '.join(answer.split())}"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


class SmtpTransport:
    """One connection, opened on first use and kept for the pass; dropped after any error."""

    def __init__(self, target: SmtpTarget, timeout: float = SMTP_TIMEOUT_SECONDS,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.target = target
        self.timeout = timeout
        self.ssl_context = ssl_context  # None: the system's trusted CAs, names checked
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        target, context = self.target, self.ssl_context or ssl.create_default_context()
        connection: smtplib.SMTP
        try:
            if target.implicit_tls:
                connection = smtplib.SMTP_SSL(target.host, target.port, timeout=self.timeout,
                                              context=context)
            else:
                connection = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendFailure.of(exc, server_down=True) from None
        try:
            connection.ehlo()
            if not target.implicit_tls:
                if connection.has_extn("starttls"):
                    connection.starttls(context=context)
                    connection.ehlo()
                elif not target.loopback:
                    raise SendFailure("the server does not offer STARTTLS (required off "
                                      "loopback; use smtps:// for implicit TLS)",
                                      "no STARTTLS", server_down=True)
            if target.username is not None:
                connection.login(target.username, target.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            connection.close()
            raise SendFailure.of(exc, server_down=True) from None
        except SendFailure:
            connection.close()
            raise
        return connection

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            refused = self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            raise SendFailure(_reason_refused(exc),
                              "SMTPRecipientsRefused " + ",".join(map(str, codes)),
                              permanent=all(500 <= code < 600 for code in codes)) from None
        except smtplib.SMTPDataError as exc:
            self.close()
            raise SendFailure.of(exc, permanent=500 <= exc.smtp_code < 600) from None
        except smtplib.SMTPNotSupportedError as exc:
            # An internationalised address the server cannot take (no SMTPUTF8).
            self.close()
            raise SendFailure.of(exc, permanent=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            # Includes a refused sender: our configuration, so nothing else can go either.
            self.close()
            raise SendFailure.of(exc, server_down=True) from None
        if refused:  # one recipient per message: a partial refusal cannot happen
            raise SendFailure(f"refused: {sorted(refused.values())}", "refused")

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


def _reason_refused(exc: smtplib.SMTPRecipientsRefused) -> str:
    answers = [f"{code} {' '.join(text.decode('utf-8', 'replace').split())}"
               for code, text in exc.recipients.values()]
    return "SMTPRecipientsRefused: " + "; ".join(answers)


class MaildirTransport:
    """Delivers into a Maildir (the embedded default): ``cna mail list|show`` read it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: EmailMessage) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            mailbox.Maildir(self.path, create=True).add(message)
        except OSError as exc:
            raise SendFailure.of(exc, server_down=True) from None

    def close(self) -> None:
        """Nothing is held open."""


def maildir_path(settings: Settings) -> Path:
    return settings.data_dir / "mail"


def check_mail_settings(settings: Settings) -> None:
    """Refuse an unusable CNA_SMTP_URL or CNA_MAIL_FROM before any mail is tried."""
    if settings.smtp_url is not None and settings.smtp_url.get_secret_value():
        SmtpTarget.parse(settings.smtp_url.get_secret_value())
    probe = EmailMessage()
    try:
        probe["From"] = settings.mail_from
        from_header = probe["From"]
    except (ValueError, IndexError):
        from_header = None
    if from_header is None or len(from_header.addresses) != 1 or not (
            from_header.addresses[0].domain):
        raise MailConfigError(f"CNA_MAIL_FROM must be one address, e.g. "
                              f"'CNA Directory <no-reply@cna.example.org>', not "
                              f"{settings.mail_from!r}")


@contextmanager
def open_transport(settings: Settings) -> Iterator[Transport]:
    """SMTP when CNA_SMTP_URL is set, else the Maildir; closed at the end of the pass."""
    check_mail_settings(settings)
    transport: Transport
    if settings.smtp_url is not None and settings.smtp_url.get_secret_value():
        transport = SmtpTransport(SmtpTarget.parse(settings.smtp_url.get_secret_value()))
    else:
        transport = MaildirTransport(maildir_path(settings))
    try:
        yield transport
    finally:
        transport.close()
