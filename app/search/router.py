"""Routes of the search domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["search"])
