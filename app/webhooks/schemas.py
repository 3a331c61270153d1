"""Request bodies of the webhook routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import ID_MAX, Text


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Text = Field(max_length=2000, description="http(s) URL receiving signed POSTs")
    event_types: list[Text] | None = Field(
        default=None, max_length=10,
        description="authority.upsert, authority.withdraw; default both")
    countries: list[Text] | None = Field(
        default=None, min_length=1, max_length=300,
        description="ISO alpha-2 or alpha-3 codes; default every country the key may read "
                    "(an empty list is refused)")
    description: Text | None = Field(default=None, max_length=500)


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "disabled"] | None = Field(
        default=None, description="`active` re-enables a disabled endpoint: its queue "
                                  "resumes in order")
    description: Text | None = Field(default=None, max_length=500)


class RedeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery_id: int = Field(ge=1, le=ID_MAX, description="An id from the delivery log")
