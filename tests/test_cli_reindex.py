"""`cna reindex --postgres-only`: the derived search documents rebuilt in batches."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session
from typer.testing import CliRunner

from app.core.settings import get_settings
from app.db import engine as db_engine
from app.reference.data import ReferenceData
from tests.conftest import make_record, store


def test_postgres_only_rebuilds_every_search_document_batch_by_batch(
        db_url: str, session: Session, reference: ReferenceData,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli.main import app as cli

    for n in range(3):
        store(session, reference, make_record(ref=f"RX-{n}", name={"en": f"Quorvath {n}"}))
    session.execute(text("DELETE FROM search_documents"))
    session.commit()
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["reindex", "--postgres-only", "--batch-size", "2"])
        refused = CliRunner().invoke(cli, ["reindex", "--postgres-only", "--batch-size", "0"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Rebuilt 3 search document(s)" in result.output
    assert refused.exit_code == 2
    db_engine.configure_engine(db_url)
    with Session(db_engine.get_engine()) as fresh:
        rows = fresh.execute(text("SELECT count(*) FROM search_documents "
                                  "WHERE document::text LIKE '%Quorvath%'")).scalar_one()
    assert rows == 3
