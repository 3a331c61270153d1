"""webhook log without receivers' answers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:20:00

Before this release a failed webhook attempt kept the first 200 characters of what the
receiver answered (``HTTP 500: <body>``), and the ping route and the delivery log handed
them back, so a subscriber could read pages of hosts it should never see.  Attempts now
keep only the status; this clears the answers already stored in the delivery log, the
attempt log and the reason an endpoint was disabled.  Errors other than an HTTP status
keep only their kind (``ConnectError``), since protocol errors quote the received bytes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Old forms: "HTTP 503: <body>" and "<ExceptionName>: <message>"; the new writer never
# puts a colon after the status, so rows already in the new form are left as they are.
_REDACT = r"""
    CASE
        WHEN {col} ~ '^HTTP [0-9]{{3}}: ' THEN substring({col} from '^HTTP [0-9]{{3}}')
        WHEN {col} ~ '^[A-Za-z_][A-Za-z0-9_]*: ' THEN substring({col} from '^[A-Za-z_][A-Za-z0-9_]*')
        ELSE {col}
    END
"""


def upgrade() -> None:
    for table, column in (("webhook_deliveries", "last_error"), ("webhook_attempts", "error")):
        op.execute(f"UPDATE {table} SET {column} = {_REDACT.format(col=column)} "
                   f"WHERE {column} ~ '^(HTTP [0-9]{{3}}|[A-Za-z_][A-Za-z0-9_]*): '")
    # "failing since <time> (last: <error>)": keep the time, drop what the receiver said.
    op.execute("UPDATE webhook_endpoints SET disabled_reason = "
               "regexp_replace(disabled_reason, ' \\(last: .*\\)$', '') "
               "WHERE disabled_reason LIKE 'failing since % (last: %'")


def downgrade() -> None:
    """What was removed was never to be shown again; nothing to restore."""
