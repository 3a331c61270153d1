"""Import every table model so that ``SQLModel.metadata`` is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from app.authorities import models as authority_models
from app.changes import models as change_models
from app.reference import models as reference_models

metadata = SQLModel.metadata

__all__ = ["authority_models", "change_models", "metadata", "reference_models"]
