"""Compact JSON for response bodies and stored documents (orjson: several times faster
than the standard library on the large pages search and lists return)."""

from __future__ import annotations

from typing import Any

import orjson


def compact_json(value: Any) -> bytes:
    """UTF-8 JSON without spaces; non-ASCII characters as they are."""
    return orjson.dumps(value)


def compact_json_text(value: Any) -> str:
    return orjson.dumps(value).decode()
