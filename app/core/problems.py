"""RFC 9457 problem details: the one error shape every route returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class FieldError:
    """One bad field: ``loc`` is the path into the submitted document."""

    loc: tuple[str | int, ...]
    message: str
    type: str = "invalid"

    @property
    def pointer(self) -> str:
        """The path as an RFC 6901 JSON Pointer, e.g. ``/designations/0/article``."""
        parts = (str(p).replace("~", "~0").replace("/", "~1") for p in self.loc)
        return "/" + "/".join(parts) if self.loc else ""

    def as_dict(self) -> dict[str, Any]:
        return {"pointer": self.pointer, "loc": list(self.loc), "type": self.type,
                "detail": self.message}


@dataclass
class Problem(Exception):
    """An error that becomes a problem+json response."""

    status: int
    detail: str | None = None
    title: str | None = None
    type: str = "about:blank"
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title or HTTPStatus(self.status).phrase,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        body.update(self.extra)
        return body


class ValidationFailed(Problem):
    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(
            status=422,
            title="Invalid record",
            type="https://cna-directory.example.org/problems/validation",
            detail=detail or f"{len(errors)} field(s) failed validation",
            errors=errors,
        )


def not_found(what: str) -> Problem:
    return Problem(status=404, detail=f"{what} was not found")
