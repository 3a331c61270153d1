"""Import is all-or-nothing and idempotent; export → import reproduces every record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.authorities.documents import View
from app.authorities.models import Authority
from app.authorities.transfer import export_documents, import_records, parse_records, to_csv
from app.changes.models import Change, Revision
from app.reference.data import ReferenceData
from tests.conftest import TEST_ACTOR, make_record

CNA = str(Path(sys.executable).with_name("cna"))


def _ndjson(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _records(n: int = 3) -> list[dict[str, Any]]:
    return [make_record(ref=f"REF-{i}", phones=[], emails=[]) for i in range(n)]


def _import(session: Session, reference: ReferenceData, text: str, dry_run: bool = False):
    report = import_records(session, parse_records(text), reference, TEST_ACTOR,
                            dry_run=dry_run)
    if report.written:
        session.commit()
    else:
        session.rollback()
    return report


def test_one_bad_record_means_nothing_is_written(session: Session,
                                                 reference: ReferenceData) -> None:
    records = _records(4)
    records[2]["designations"][0]["article"] = "99"
    records[3]["emails"] = [{"address": "not-an-address"}]
    report = _import(session, reference, _ndjson(records))
    assert not report.ok
    assert [(e.line, [f.pointer for f in e.errors]) for e in report.errors] == [
        (3, ["/designations/0/article"]),
        (4, ["/emails/0/address"]),
    ]
    assert _count(session, Authority) == 0
    assert _count(session, Change) == 0
    assert _count(session, Revision) == 0


def test_invalid_json_line_is_reported_with_its_line_number(session: Session,
                                                            reference: ReferenceData) -> None:
    text = _ndjson(_records(2)) + "\n{not json}\n"
    report = _import(session, reference, text)
    assert [e.line for e in report.errors] == [4]
    assert "not valid JSON" in report.errors[0].errors[0].message
    assert _count(session, Authority) == 0


def test_json_array_is_accepted_and_errors_carry_line_numbers(
        session: Session, reference: ReferenceData) -> None:
    records = _records(3)
    records[1]["country"] = "XXX"
    text = json.dumps(records, ensure_ascii=False, indent=2)
    report = _import(session, reference, text)
    assert len(report.errors) == 1
    expected_line = text.splitlines().index("  {", 1 + text.splitlines().index("  {")) + 1
    assert report.errors[0].line == expected_line
    assert report.errors[0].errors[0].pointer == "/country"

    records[1]["country"] = "BRA"
    report = _import(session, reference, json.dumps(records))
    assert report.ok and report.counts["created"] == 3
    assert _count(session, Authority) == 3


def test_duplicate_records_in_one_file_are_rejected(session: Session,
                                                   reference: ReferenceData) -> None:
    records = _records(2)
    records[1]["ref"] = records[0]["ref"]
    report = _import(session, reference, _ndjson(records))
    assert [(e.line, e.errors[0].pointer) for e in report.errors] == [(2, "/ref")]
    assert _count(session, Authority) == 0


def test_dry_run_validates_but_writes_nothing(session: Session,
                                              reference: ReferenceData) -> None:
    report = _import(session, reference, _ndjson(_records(3)), dry_run=True)
    assert report.ok and report.counts["created"] == 3
    assert _count(session, Authority) == 0


def test_reimporting_the_same_file_changes_nothing(session: Session,
                                                   reference: ReferenceData) -> None:
    text = _ndjson(_records(3))
    first = _import(session, reference, text)
    assert first.counts["created"] == 3
    ref_versions = select(col(Authority.ref), col(Authority.version))
    versions = dict(session.execute(ref_versions).all())
    changes = _count(session, Change)

    second = _import(session, reference, text)
    assert second.ok
    assert second.counts["unchanged"] == 3 and second.counts["created"] == 0
    assert dict(session.execute(ref_versions).all()) == versions
    assert _count(session, Change) == changes == 3
    assert _count(session, Revision) == 3


def test_reimport_matches_by_country_and_ref_and_bumps_version_on_change(
        session: Session, reference: ReferenceData) -> None:
    _import(session, reference, _ndjson(_records(1)))
    changed = _records(1)
    changed[0]["acronym"] = "NEW"
    report = _import(session, reference, _ndjson(changed))
    assert report.counts["updated"] == 1
    authority = session.scalars(select(Authority)).one()
    assert (authority.acronym, authority.version) == ("NEW", 2)
    assert _count(session, Change) == 2
    assert [r.version for r in session.scalars(select(Revision).order_by(col(Revision.version)))] \
        == [1, 2]


def test_import_matches_by_id_before_ref(session: Session, reference: ReferenceData) -> None:
    _import(session, reference, _ndjson(_records(1)))
    authority = session.scalars(select(Authority)).one()
    renamed = make_record(id=str(authority.id), ref="RENAMED", phones=[], emails=[])
    report = _import(session, reference, _ndjson([renamed]))
    assert report.counts["updated"] == 1
    session.expire_all()
    assert [a.ref for a in session.scalars(select(Authority))] == ["RENAMED"]


def test_export_then_import_into_an_empty_database_reproduces_every_record(
        session: Session, reference: ReferenceData, new_database: Any) -> None:
    records = _records(3)
    records[1]["status"] = "withdrawn"
    records.append(make_record(ref="WITH-CONTACTS"))
    assert _import(session, reference, _ndjson(records)).ok
    exported = list(export_documents(session, View.full))
    assert len(exported) == 4

    from app.db.engine import make_engine

    other = make_engine(new_database())
    with Session(other) as target:
        report = import_records(target, parse_records(_ndjson(exported)), reference,
                                TEST_ACTOR)
        assert report.ok and report.counts["created"] == 4
        target.commit()
        again = list(export_documents(target, View.full))
    other.dispose()

    def content(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in d.items() if k not in ("version", "updated_at")}
                for d in docs]

    assert content(again) == content(exported)


def test_csv_export_has_one_row_per_designation(session: Session,
                                                reference: ReferenceData) -> None:
    record = make_record()
    record["designations"].append({"type": "extradition", "instrument": "untoc",
                                   "article": "16"})
    assert _import(session, reference, _ndjson([record])).ok
    text = "".join(to_csv(export_documents(session, View.public)))
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,ref,country,kind,name")
    assert len(lines) == 3
    assert {line.split(",")[10] for line in lines[1:]} == {"mutual_legal_assistance",
                                                          "extradition"}
    assert "+556120253009" not in text  # restricted phone: public view


def _cli(args: list[str], db_url: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url, "CNA_DATA_DIR": "/nonexistent-embedded"}
    return subprocess.run([CNA, *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=120)


def test_cli_export_piped_into_cli_import_on_an_empty_database(
        session: Session, reference: ReferenceData, db_url: str, new_database: Any,
        tmp_path: Path) -> None:
    records = [*_records(2), make_record(ref="FULL")]
    source = tmp_path / "records.ndjson"
    source.write_text(_ndjson(records), encoding="utf-8")
    loaded = _cli(["import", str(source)], db_url)
    assert loaded.returncode == 0, loaded.stderr
    assert "3 created" in loaded.stderr

    exported = _cli(["export"], db_url)
    assert exported.returncode == 0, exported.stderr
    target_url = new_database()
    imported = _cli(["import", "-"], target_url, stdin=exported.stdout)
    assert imported.returncode == 0, imported.stderr
    reexported = _cli(["export"], target_url)

    def content(text: str) -> list[dict[str, Any]]:
        docs = [json.loads(line) for line in text.splitlines()]
        return [{k: v for k, v in d.items() if k not in ("version", "updated_at")}
                for d in docs]

    assert len(content(exported.stdout)) == 3
    assert content(reexported.stdout) == content(exported.stdout)


def test_cli_import_reports_every_bad_record_and_exits_non_zero(
        session: Session, db_url: str, tmp_path: Path) -> None:
    records = _records(3)
    records[0]["phones"] = [{"number": "123"}]
    records[2]["office_hours"] = [{"days": ["mon"], "opens": "18:00", "closes": "09:00"}]
    source = tmp_path / "bad.ndjson"
    source.write_text(_ndjson(records), encoding="utf-8")
    result = _cli(["import", "--json", str(source)], db_url)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["written"] is False
    assert [(e["line"], e["errors"][0]["pointer"]) for e in report["errors"]] == [
        (1, "/phones/0/number"), (3, "/office_hours/0"),
    ]
    assert "Nothing was written" in result.stderr
    assert _count(session, Authority) == 0


def test_every_cli_command_has_help() -> None:
    for command in ([], ["serve"], ["migrate"], ["seed"], ["import"], ["export"]):
        result = subprocess.run([CNA, *command, "--help"], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, (command, result.stderr)
        assert "Usage" in result.stdout
