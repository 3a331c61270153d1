"""Contact cards: an authority record as an RFC 6350 vCard 4.0.

The card is built from the caller's view of the record (``view_of``), so an anonymous
caller's card carries no named contact and no restricted phone or e-mail.  A key holder's
file also carries one card per named contact, each RELATED to the authority's card.

Every value is escaped here, whatever validation let through: text per RFC 6350 §3.4,
parameter values quoted without controls, URIs percent-encoded, so no stored value can
end a content line and start another property.  (vobject, the parser the tests use, writes
vCard 3.0; this small writer is the vCard 4.0 one.)
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from sqlmodel import Session

from app.access.principal import Principal
from app.api.responses import etag_matches, service_url
from app.authorities.documents import render, view_of
from app.authorities.models import Authority
from app.core.i18n import pick, preferences
from app.reference.service import get_country

MEDIA_TYPE = "text/vcard"
_VCARD_TYPES = ("text/vcard", "text/x-vcard", "text/directory")
_JSON_TYPES = ("application/json", "application/*", "*/*")
_PHONE_TYPES = {"voice": "voice", "fax": "fax", "mobile": "cell"}
_MEDIA_ITEM = re.compile(r"^\s*([^;\s]+)\s*(.*)$")
# What some reader takes for the end of a line, and the other controls (TAB is kept).
_NEWLINE = re.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
# RFC 3986 reserved characters and "%": kept in a URI; anything else is percent-encoded.
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"


def escape(value: str) -> str:
    """Escape a text value (RFC 6350 §3.4): backslash, comma, semicolon, and any line
    break as ``\\n``; other control characters are dropped."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return _CONTROL.sub("", _NEWLINE.sub("\\\\n", value))


def _param(value: str) -> str:
    """A parameter value, quoted when it holds a comma, colon or semicolon (RFC 6350 §5);
    a quoted value cannot hold a double quote, nor any value a control character."""
    value = _CONTROL.sub("", _NEWLINE.sub(" ", value.replace('"', "'")))
    return f'"{value}"' if any(c in value for c in ",:;") else value


def uri(value: str) -> str:
    """A URI value: spaces, controls, backslashes and non-ASCII percent-encoded (UTF-8)."""
    return quote(value, safe=_URI_SAFE)


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 sequence (§3.2)."""
    out: list[str] = []
    current = b""
    limit = 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current = b""
            limit = 74  # continuation lines start with a space
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _line(name: str, content: str, **params: str | None) -> str:
    rendered = "".join(f";{k.upper().replace('_', '-')}={v}" for k, v in params.items()
                       if v is not None)
    return fold(f"{name}{rendered}:{content}")


def _text_map_lines(name: str, texts: dict[str, str] | None, prefs: list[str],
                    altid: str, compose: Any = escape) -> list[str]:
    """One line per language, the preferred one first, tied together by ALTID."""
    if not texts:
        return []
    first = pick(texts, prefs)[0] or next(iter(texts))
    ordered = [first] + [t for t in texts if t != first]
    if len(ordered) == 1:
        return [_line(name, compose(texts[ordered[0]]), language=_param(ordered[0]))]
    return [_line(name, compose(texts[tag]), altid=altid, language=_param(tag),
                  pref="1" if i == 0 else None)
            for i, tag in enumerate(ordered)]


def _tel(phone: dict[str, Any], work: bool = True) -> str:
    kind = _PHONE_TYPES.get(phone.get("kind") or "voice", "voice")
    types = ",".join(["work", kind] if work else [kind])
    number = re.sub(r"[^0-9+]", "", phone["number"])
    return _line("TEL", f"tel:{number}", value="uri", type=_param(types))


def _email(email: dict[str, Any]) -> str:
    return _line("EMAIL", escape(email["address"]), type="work")


def _rev(updated_at: str | None) -> str | None:
    if not updated_at:
        return None
    moment = datetime.fromisoformat(updated_at.replace("Z", "+00:00"))
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _card(lines: list[str]) -> list[str]:
    return ["BEGIN:VCARD", "VERSION:4.0", "PRODID:-//CNA Directory//vCard//EN", *lines,
            "END:VCARD"]


def render_vcards(document: dict[str, Any], prefs: list[str], country_name: str | None,
                  source: str | None = None) -> str:
    """The vCard text (CRLF line ends) of a record already in the caller's view."""
    lines: list[str] = [_line("UID", f"urn:uuid:{document['id']}"), "KIND:org"]
    lines += _text_map_lines("FN", document["name"], prefs, "1")
    name_of = document["name"]
    parent = document.get("parent")
    if parent:
        _, parent_text = pick(parent, prefs)
        lines += _text_map_lines(
            "ORG", name_of, prefs, "2",
            compose=lambda n: f"{escape(parent_text or '')};{escape(n)}")
    else:
        lines += _text_map_lines("ORG", name_of, prefs, "2")
    if document.get("acronym"):
        lines.append(_line("NICKNAME", escape(document["acronym"])))
    address = document.get("address")
    if address:
        street = ",".join(escape(x) for x in address.get("lines") or [])
        parts = ["", "", street, escape(address.get("locality") or ""),
                 escape(address.get("region") or ""), escape(address.get("postal_code") or ""),
                 escape(country_name or document["country"])]
        lines.append(_line("ADR", ";".join(parts), type="work"))
    lines += [_tel(p) for p in document.get("phones") or []]
    lines += [_email(e) for e in document.get("emails") or []]
    if document.get("website"):
        lines.append(_line("URL", uri(document["website"])))
    if document.get("time_zone"):
        lines.append(_line("TZ", escape(document["time_zone"])))
    accepted: list[str] = []
    for d in document.get("designations") or []:
        accepted += [lang for lang in d.get("languages") or [] if lang not in accepted]
    lines += [_line("LANG", escape(lang), pref=str(i + 1))
              for i, lang in enumerate(accepted[:100])]
    types = sorted({d["type"] for d in document.get("designations") or []})
    if types:
        lines.append(_line("CATEGORIES", ",".join(escape(t) for t in types)))
    lines += _text_map_lines("NOTE", document.get("notes"), prefs, "3")
    rev = _rev(document.get("updated_at"))
    if rev:
        lines.append(f"REV:{rev}")
    if source:
        lines.append(_line("SOURCE", uri(source)))
    cards = _card(lines)

    authority_uid = uuid.UUID(document["id"])
    _, org_name = pick(name_of, prefs)
    for i, contact in enumerate(document.get("contacts") or []):
        person = [_line("UID", f"urn:uuid:{uuid.uuid5(authority_uid, f'contact/{i}')}"),
                  "KIND:individual", _line("FN", escape(contact["name"])),
                  _line("ORG", escape(org_name or ""))]
        person += _text_map_lines("TITLE", contact.get("title"), prefs, "1")
        person += [_tel(p) for p in contact.get("phones") or []]
        person += [_email(e) for e in contact.get("emails") or []]
        person += [_line("LANG", escape(lang), pref=str(n + 1))
                   for n, lang in enumerate(contact.get("languages") or [])]
        person.append(_line("RELATED", f"urn:uuid:{document['id']}", type="co-worker"))
        cards += _card(person)
    return "\r\n".join(cards) + "\r\n"


def _quality(accept: str, media_types: tuple[str, ...]) -> float:
    best = 0.0
    for item in accept.split(",")[:32]:
        match = _MEDIA_ITEM.match(item)
        if not match or match.group(1).lower() not in media_types:
            continue
        q = 1.0
        for param in match.group(2).split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best


def wants_vcard(request: Request) -> bool:
    """True when the Accept header prefers a vCard to JSON (an explicit text/vcard)."""
    accept = request.headers.get("accept") or ""
    vcard_q = _quality(accept, _VCARD_TYPES)
    return vcard_q > 0 and vcard_q >= _quality(accept, _JSON_TYPES)


def card_languages(request: Request) -> list[str]:
    return preferences(request.query_params.get("lang"), request.headers.get("accept-language"))


def vcard_headers(request: Request, authority_id: uuid.UUID, version: int,
                  principal: Principal) -> dict[str, str]:
    """The card's ``ETag`` (version, view and a digest of the languages asked for, as the
    card's languages follow them), ``Vary`` and file name: the same on a 200 and a 304."""
    languages = hashlib.blake2b("\n".join(card_languages(request)).lower().encode(),
                                digest_size=6).hexdigest()
    return {"ETag": f'"{version}-{principal.view.value}-vcard-{languages}"',
            "Vary": "Accept, Accept-Language, Authorization",
            "Content-Disposition": f'inline; filename="{authority_id}.vcf"'}


def vcard_response(request: Request, session: Session, authority: Authority,
                   principal: Principal) -> Response:
    """The record as ``text/vcard`` in the caller's view, with its own ETag.

    The card's languages follow ``?lang=`` and Accept-Language, so the ETag carries a
    digest of the preferences: a card in one language never validates another's.
    """
    prefs = card_languages(request)
    headers = vcard_headers(request, authority.id, authority.version, principal)
    if etag_matches(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    country = get_country(session, authority.country)
    country_name = pick(country.names, prefs)[1] if country else None
    source = service_url(request, f"/v1/authorities/{authority.id}.vcf")
    text = render_vcards(view_of(render(authority), principal.view), prefs, country_name,
                         source)
    return Response(content=text.encode("utf-8"), media_type=f"{MEDIA_TYPE}; charset=utf-8",
                    headers=headers)
