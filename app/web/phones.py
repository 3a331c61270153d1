"""Phone numbers as people read them: stored in E.164, shown in international format."""

from __future__ import annotations

import phonenumbers


def international(number: str) -> str:
    """``+556120254546`` -> ``+55 61 2025-4546``; anything unreadable is shown as stored."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
