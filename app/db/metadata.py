"""Import every table model so that ``SQLModel.metadata`` is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from app.access import models as access_models
from app.accounts import access_request_models
from app.accounts import models as account_models
from app.accounts import totp_models as account_totp_models
from app.authorities import models as authority_models
from app.changes import models as change_models
from app.mail import models as mail_models
from app.networks import models as network_models
from app.proposals import models as proposal_models
from app.reference import models as reference_models
from app.reminders import models as reminder_models
from app.web import form_models
from app.webhooks import models as webhook_models
from search import models as search_models  # noqa: F401

metadata = SQLModel.metadata

__all__ = [
    "access_models",
    "access_request_models",
    "account_models",
    "account_totp_models",
    "authority_models",
    "change_models",
    "form_models",
    "mail_models",
    "metadata",
    "network_models",
    "proposal_models",
    "reference_models",
    "reminder_models",
    "webhook_models",
]
