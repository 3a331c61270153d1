"""Import (NDJSON or JSON array, all-or-nothing) and export (NDJSON or CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import orjson
from sqlmodel import Session

from app.authorities.documents import View, render, view_of
from app.authorities.schemas import AuthorityIn, RecordInvalid, validate_record
from app.authorities.service import Actor, Outcome, all_authorities, save_record
from app.authorities.shape import record_shape
from app.core.i18n import pick
from app.core.problems import FieldError, Problem
from app.reference.data import ReferenceData


@dataclass
class SourceRecord:
    line: int
    data: Any = None
    syntax_error: str | None = None


@dataclass
class RecordError:
    line: int
    errors: list[FieldError]
    id: str | None = None
    ref: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "id": self.id, "ref": self.ref,
                "errors": [e.as_dict() for e in self.errors]}


@dataclass
class ImportReport:
    records: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RecordError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "created": self.counts[Outcome.created.value],
            "updated": self.counts[Outcome.updated.value],
            "unchanged": self.counts[Outcome.unchanged.value],
            "invalid": len(self.errors),
            "dry_run": self.dry_run,
            "written": self.written,
            "errors": [e.as_dict() for e in self.errors],
        }


def parse_records(text: str) -> Iterator[SourceRecord]:
    """Records from NDJSON (one per line) or a JSON array, with their line numbers."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        yield from _parse_array(text)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield SourceRecord(number, json.loads(line))
        except RecursionError:
            yield SourceRecord(number, syntax_error="JSON nested too deeply")
        except json.JSONDecodeError as exc:
            yield SourceRecord(number, syntax_error=f"not valid JSON: {exc.msg} "
                                                    f"(column {exc.colno})")


def _parse_array(text: str) -> Iterator[SourceRecord]:
    decoder = json.JSONDecoder()
    length = len(text)
    counted_to, newlines = 0, 0

    def line_at(p: int) -> int:
        nonlocal counted_to, newlines
        newlines += text.count("\n", counted_to, p)
        counted_to = p
        return newlines + 1

    def skip_space(p: int) -> int:
        while p < length and text[p] in " \t\r\n":
            p += 1
        return p

    pos = skip_space(text.index("[") + 1)
    if pos < length and text[pos] == "]":
        return
    while pos < length:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except RecursionError:
            yield SourceRecord(line_at(pos), syntax_error="JSON nested too deeply")
            return
        except json.JSONDecodeError as exc:
            yield SourceRecord(exc.lineno, syntax_error=f"not valid JSON: {exc.msg}")
            return
        yield SourceRecord(line_at(pos), obj)
        pos = skip_space(end)
        if pos < length and text[pos] == ",":
            pos = skip_space(pos + 1)
            continue
        if pos < length and text[pos] == "]":
            return
        yield SourceRecord(line_at(pos), syntax_error="expected ',' or ']' after a record")
        return
    yield SourceRecord(line_at(length), syntax_error="the JSON array is not closed")


def _identity(data: Any) -> tuple[str | None, str | None]:
    if isinstance(data, dict):
        rid, ref = data.get("id"), data.get("ref")
        return (str(rid) if rid is not None else None, str(ref) if ref is not None else None)
    return None, None


def validate_all(
    sources: Iterable[SourceRecord],
    reference: ReferenceData,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[tuple[int, AuthorityIn]], list[RecordError]]:
    """Validate every record; return the valid ones and an error for each bad one."""
    valid: list[tuple[int, AuthorityIn]] = []
    errors: list[RecordError] = []
    seen_ids: dict[str, int] = {}
    seen_refs: dict[tuple[str, str], int] = {}
    for source in sources:
        rid, ref = _identity(source.data)
        if source.syntax_error is not None:
            errors.append(RecordError(source.line, [FieldError((), source.syntax_error,
                                                               "json")]))
        else:
            try:
                record = validate_record(source.data, reference)
            except RecordInvalid as exc:
                errors.append(RecordError(source.line, exc.errors, rid, ref))
            else:
                duplicate = _duplicate(record, source.line, seen_ids, seen_refs)
                if duplicate:
                    errors.append(RecordError(source.line, [duplicate], rid, ref))
                else:
                    valid.append((source.line, record))
        if progress:
            progress(1)
    return valid, errors


def _duplicate(record: AuthorityIn, line: int, seen_ids: dict[str, int],
               seen_refs: dict[tuple[str, str], int]) -> FieldError | None:
    if record.id is not None:
        key = str(record.id)
        if key in seen_ids:
            return FieldError(("id",), f"the same id already appears on line {seen_ids[key]}",
                              "duplicate")
        seen_ids[key] = line
    if record.ref is not None:
        ref_key = (record.country, record.ref)
        if ref_key in seen_refs:
            return FieldError(("ref",), f"the same country and ref already appear on line "
                                        f"{seen_refs[ref_key]}", "duplicate")
        seen_refs[ref_key] = line
    return None


def import_records(
    session: Session,
    sources: Iterable[SourceRecord],
    reference: ReferenceData,
    actor: Actor,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    reason: str | None = None,
) -> ImportReport:
    """Validate everything, then write everything in the caller's transaction, or nothing.

    The caller commits when ``report.written`` and rolls back otherwise.
    """
    valid, errors = validate_all(sources, reference, progress)
    report = ImportReport(records=len(valid) + len(errors), errors=errors, dry_run=dry_run)
    if errors:
        return report
    for line, record in valid:
        try:
            with session.begin_nested():
                result = save_record(session, record, actor, reason=reason)
        except Problem as exc:
            rid, ref = _identity(record.model_dump(mode="json"))
            report.errors.append(RecordError(line, exc.errors or [FieldError((), exc.detail or
                                                                             "conflict")],
                                             rid, ref))
            continue
        report.counts[result.outcome.value] += 1
    return report


def export_documents(session: Session, view: View) -> Iterator[dict[str, Any]]:
    for authority in all_authorities(session):
        yield view_of(render(authority), view)


def ndjson_lines(documents: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """One UTF-8 line per document: compact JSON, keys in the document's order, non-ASCII
    characters as they are.

    orjson writes every string byte for byte as ``json.dumps(ensure_ascii=False,
    separators=(",", ":"))`` does, several times faster.  An integer beyond 64 bits it
    refuses, so that document goes through ``json``; a float it may spell another way
    (``0.00001`` for ``1e-05``).  No field of the record holds either.
    """
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for document in documents:
        try:
            yield dumps(document, option=newline)
        except orjson.JSONEncodeError:
            yield (json.dumps(document, ensure_ascii=False, separators=(",", ":"))
                   + "\n").encode("utf-8")


def to_ndjson(documents: Iterable[dict[str, Any]]) -> Iterator[str]:
    for line in ndjson_lines(documents):
        yield line.decode("utf-8")


# The CSV's columns, in order: the model field each one flattens (a path into the record,
# "designations." for the one-row-per-designation part) and, where it is not the path's
# last part, its column name.  Checked against the model by ``csv_columns``.
_CSV_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("id", None), ("ref", None), ("country", None), ("kind", None), ("name", None),
    ("name", "name_local"), ("acronym", None), ("status", None), ("version", None),
    ("updated_at", None), ("designations.type", None), ("designations.instrument", None),
    ("designations.article", None), ("designations.territory", None),
    ("designations.since", None), ("designations.until", None),
    ("designations.languages", None), ("designations.channels", None),
    ("designations.means", None), ("designations.urgent.channels", "urgent_channels"),
    ("designations.urgent.means", "urgent_means"),
    ("designations.requirements.legal_basis_convention", None),
    ("designations.requirements.dual_criminality", None), ("phones", None),
    ("emails", None), ("website", None), ("time_zone", None), ("verified_on", None),
    ("designations.requirements.interpol_requests", None),
)


def csv_columns() -> list[str]:
    """The CSV header, each column's field looked up in the record's model."""
    return list(_csv_columns())


@cache
def _csv_columns() -> tuple[str, ...]:
    columns = []
    for path, name in _CSV_FIELDS:
        shape = record_shape()
        *parents, leaf = path.split(".")
        for part in parents:
            inner = {n.key: n.shape for n in shape.nested}.get(part)
            if inner is None:
                raise LookupError(f"the CSV column {path}: {part} holds no object")
            shape = inner
        if leaf not in shape.keys:
            raise LookupError(f"the CSV column {path} is not a field of the record")
        columns.append(name or leaf)
    return tuple(columns)


def __getattr__(name: str) -> list[str]:
    if name == "CSV_COLUMNS":  # the header, as a constant, derived when first asked for
        return csv_columns()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _csv_rows(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    _, name = pick(document["name"], ["en"])
    local = next((v for k, v in document["name"].items() if not k.startswith("en")), "")
    base = {
        "id": document["id"], "ref": document["ref"] or "", "country": document["country"],
        "kind": document["kind"], "name": name, "name_local": local,
        "acronym": document["acronym"] or "", "status": document["status"],
        "version": document["version"], "updated_at": document["updated_at"],
        "phones": " | ".join(p["number"] for p in document["phones"]),
        "emails": " | ".join(e["address"] for e in document["emails"]),
        "website": document["website"] or "", "time_zone": document["time_zone"] or "",
        "verified_on": document["verified_on"] or "",
    }
    if not document["designations"]:
        yield base
        return
    for d in document["designations"]:
        urgent = d["urgent"] or {}
        req = d["requirements"] or {}
        yield {
            **base, "type": d["type"], "instrument": d["instrument"], "article": d["article"],
            "territory": " ".join(d["territory"]), "since": d["since"] or "",
            "until": d["until"] or "", "languages": " ".join(d["languages"]),
            "channels": " ".join(d["channels"]), "means": " ".join(d["means"]),
            "urgent_channels": " ".join(urgent.get("channels", [])),
            "urgent_means": " ".join(urgent.get("means", [])),
            "legal_basis_convention": "" if req.get("legal_basis_convention") is None
            else str(req["legal_basis_convention"]).lower(),
            "dual_criminality": req.get("dual_criminality") or "",
            "interpol_requests": " ".join(req.get("interpol_requests") or []),
        }


# A spreadsheet reads a cell that starts with one of these as a formula (OWASP, "CSV
# injection"); LF is added for readers that trim a leading line break.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(cell: Any) -> Any:
    """The cell, with a ``'`` in front when a spreadsheet would read it as a formula.

    Every column alike, phones included (``'+556120253000``: text, still readable)."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def to_csv(documents: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=csv_columns(), restval="", lineterminator="\r\n")
    writer.writeheader()
    for document in documents:
        for row in _csv_rows(document):
            writer.writerow({column: spreadsheet_safe(cell) for column, cell in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
