"""The printable directory (issue 14): `GET /v1/publications/directory.pdf`, the print view
`/publications/directory` and `cna publish`, read from the text of the PDF itself."""

from __future__ import annotations

import html as html_lib
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session
from typer.testing import CliRunner

from app.access.principal import Role
from app.access.service import create_key
from app.db.engine import get_engine
from app.reference.data import ReferenceData, read_json
from app.sync.service import read_head
from tests.conftest import make_record, settings_env, store

PDF = "/v1/publications/directory.pdf"
ROOT = Path(__file__).resolve().parents[1]
WITHDRAWN_NAME = "Former Extradition Office of Brazil"


def _record(country: str, ref: str, names: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """A valid record of ``country`` with its own names and no Brazilian specifics."""
    base = make_record(country=country, ref=ref, name=names, acronym=None,
                       parent=None, time_zone=None,
                       address={"lines": [f"{ref} street 1"], "locality": "Capital"},
                       phones=[{"number": "+33 1 44 77 60 60", "kind": "voice",
                                "label": "Desk", "restricted": False}],
                       emails=[{"address": f"{ref.lower()}@example.org"}], contacts=[])
    base.update(overrides)
    return base


@pytest.fixture
def directory(session: Session, reference: ReferenceData) -> dict[str, Any]:
    """Brazil (the conftest record: contacts, restricted entries, two designations),
    France, Germany, Spain, Egypt (named in Arabic) and China (named in Chinese), plus a
    withdrawn Brazilian record."""
    bra = make_record()
    bra["designations"].append({
        "type": "mutual_legal_assistance", "instrument": "uncac", "article": "46(13)",
        "languages": ["pt"], "channels": ["central_authority"], "means": ["post"]})
    records = {
        "BRA": bra,
        "FRA": _record("FRA", "FRA-BEPI", {"fr": "Bureau de l'entraide pénale internationale",
                                            "en": "Office of International Criminal "
                                                  "Cooperation"}),
        "DEU": _record("DEU", "DEU-BFJ", {"de": "Bundesamt für Justiz",
                                          "en": "Federal Office of Justice"}),
        "ESP": _record("ESP", "ESP-SGCJI", {"es": "Subdirección General de Cooperación "
                                                  "Jurídica Internacional",
                                            "en": "Directorate of International Legal "
                                                  "Cooperation"}),
        "EGY": _record("EGY", "EGY-IC", {"ar": "إدارة التعاون الدولي",
                                         "en": "International Cooperation Department"}),
        "CHN": _record("CHN", "CHN-MOJ", {"zh": "司法部司法协助交流中心",
                                          "en": "Judicial Assistance Centre"}),
    }
    stored = {code: store(session, reference, data) for code, data in records.items()}
    withdrawn = _record("BRA", "BRA-OLD", {"en": WITHDRAWN_NAME})
    store(session, reference, withdrawn)
    store(session, reference, {**withdrawn, "status": "withdrawn"})
    return {"records": records, "stored": stored}


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", "\n".join(_pages(pdf)))


def _fonts(pdf: bytes) -> set[str]:
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def _bearer(session: Session, role: Role, countries: list[str] | None = None) -> dict[str, str]:
    key = create_key(session, role, countries=countries)[0]
    session.commit()
    return {"Authorization": f"Bearer {key}"}


def test_the_pdf_holds_the_cover_contents_and_every_active_record(
        client: TestClient, directory: dict[str, Any]) -> None:
    response = client.get(PDF, params={"lang": "en"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    pages = _pages(pdf)
    cover, contents = pages[0], re.sub(r"\s+", " ", pages[1])
    head = read_head(get_engine())
    assert response.headers["CNA-Feed-Cursor"] == str(head)
    assert re.search(rf"Feed cursor of the snapshot\s+{head}\b", cover)
    assert datetime.now(UTC).strftime("%Y-%m-%d") in cover
    assert "Directory of competent national authorities" in cover
    assert contents.startswith("Contents")
    for state in ("Brazil", "China", "Egypt", "France", "Germany", "Spain"):
        assert re.search(rf"{state} \.*\s*\d+", contents), state
    text = _text(pdf)
    for record in directory["records"].values():
        assert record["name"]["en"] in text
    assert WITHDRAWN_NAME not in text
    assert "Verified on: May 1, 2026" in text


def test_states_follow_the_order_of_their_names_in_the_language(
        client: TestClient, directory: dict[str, Any]) -> None:
    def order(lang: str) -> list[str]:
        response = client.get("/publications/directory", params={"lang": lang})
        assert response.status_code == 200
        return re.findall(r'<section class="state" id="state-([A-Z]{3})">', response.text)

    # Égypte between Chine and Espagne: a locale's collation, not code points.
    assert order("fr") == ["DEU", "BRA", "CHN", "EGY", "ESP", "FRA"]
    assert order("en") == ["BRA", "CHN", "EGY", "FRA", "DEU", "ESP"]
    # Pinyin: 埃及 Āijí, 巴西 Bāxī, 德国 Déguó, 法国 Fǎguó, 西班牙 Xībānyá, 中国 Zhōngguó.
    assert order("zh") == ["EGY", "BRA", "DEU", "FRA", "ESP", "CHN"]


def test_authorities_are_grouped_by_instrument_and_type(
        client: TestClient, directory: dict[str, Any]) -> None:
    html = client.get("/publications/directory", params={"lang": "en",
                                                        "country": "BRA"}).text
    groups = re.findall(r"<h3>(.*?)</h3>", html)
    assert groups == ["UNTOC — Mutual legal assistance", "UNCAC — Mutual legal assistance"]
    # Contact details once, then a pointer to them.
    assert html.count("mla@drci.example.org") == 1
    assert "Contact details: see this authority above." in html
    text = _text(client.get(PDF, params={"lang": "en", "country": "BRA"}).content)
    assert "Article 18(13)" in text and "Article 46(13)" in text
    assert "Languages accepted: Portuguese, English, Spanish" in text
    assert "Urgent procedure: INTERPOL; e-mail — Original to follow within 30 days." in text
    assert "Dual criminality: for coercive measures only" in text
    assert "Office hours: Mon, Tue, Wed, Thu, Fri 09:00–18:00 (time zone America/Sao_Paulo)" \
        in text
    # The chosen language first, then the State's own (Portuguese).
    assert "Department of Asset Recovery and International Legal Cooperation" in text
    assert "Departamento de Recuperação de Ativos" in text
    instrument = _text(client.get(PDF, params={"lang": "en", "instrument": "uncac"}).content)
    assert "Article 46(13)" in instrument and "Article 18(13)" not in instrument
    assert "Federal Office of Justice" not in instrument


def test_the_public_view_holds_no_contact_and_no_restricted_entry(
        client: TestClient, session: Session, directory: dict[str, Any]) -> None:
    public = _text(client.get(PDF, params={"lang": "en"}).content)
    assert "+55 61 2025-3000" in public and "mla@drci.example.org" in public
    for hidden in ("Duty officer", "duty@drci.example.org", "2025-3009",
                   "internal@drci.example.org", "Contacts:"):
        assert hidden not in public
    refused = client.get(PDF, params={"view": "full"})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    full = client.get(PDF, params={"view": "full"},
                      headers=_bearer(session, Role.official))
    assert full.status_code == 200
    text = _text(full.content)
    for shown in ("Duty officer", "duty@drci.example.org", "2025-3009",
                  "internal@drci.example.org"):
        assert shown in text
    # A key holder asking for the public view gets it.
    asked_public = _text(client.get(PDF, headers=_bearer(session, Role.secretariat)).content)
    assert "Duty officer" not in asked_public


def test_a_scoped_network_key_gets_only_its_countries(
        client: TestClient, session: Session, directory: dict[str, Any]) -> None:
    headers = _bearer(session, Role.network, countries=["FRA", "EGY"])
    text = _text(client.get(PDF, params={"lang": "en", "view": "full"},
                            headers=headers).content)
    assert "Office of International Criminal Cooperation" in text
    assert "International Cooperation Department" in text
    for other in ("BRA", "DEU", "ESP", "CHN"):
        assert directory["records"][other]["name"]["en"] not in text
    assert "Brazil" not in text
    # Asking for a country outside the scope gives an empty directory, not that country.
    outside = _text(client.get(PDF, params={"country": "BRA"}, headers=headers).content)
    assert "No active authority matches this selection." in outside
    assert "Department of Asset Recovery" not in outside


def test_withdrawn_records_appear_only_in_the_annex_of_changes(
        client: TestClient, directory: dict[str, Any]) -> None:
    today = datetime.now(UTC).date().isoformat()
    pages = _pages(client.get(PDF, params={"lang": "en", "changes_since": today}).content)
    annex_start = next(i for i, page in enumerate(pages)
                       if page.lstrip().startswith("Annex: changes since"))
    assert annex_start > 1
    assert not any(WITHDRAWN_NAME in page for page in pages[:annex_start])
    annex = re.sub(r"\s+", " ", " ".join(pages[annex_start:]))
    assert f"{WITHDRAWN_NAME} withdrawn" in annex
    assert "Federal Office of Justice new or changed" in annex
    later = _text(client.get(PDF, params={"changes_since": "2999-01-01"}).content)
    assert "No change in this period." in later and WITHDRAWN_NAME not in later


def test_arabic_is_right_to_left_and_scripts_use_real_noto_fonts(
        client: TestClient, directory: dict[str, Any]) -> None:
    html = client.get("/publications/directory", params={"lang": "ar"}).text
    assert '<html lang="ar" dir="rtl">' in html
    arabic = client.get(PDF, params={"lang": "ar"}).content
    fonts = _fonts(arabic)
    assert any("Noto-Naskh-Arabic" in f for f in fonts), fonts
    assert any("Noto-Sans-CJK" in f for f in fonts), fonts  # 司法部… in the Chinese record
    assert all("Noto" in f for f in fonts), fonts  # no fallback font anywhere
    text = _text(arabic)
    # The text layer keeps the logical order of the Arabic words (shaped glyphs map back).
    assert "إدارة التعاون الدولي" in text
    assert "دليل السلطات الوطنية المختصة" in text
    chinese = client.get(PDF, params={"lang": "zh"}).content
    assert any("Noto-Sans-CJK" in f for f in _fonts(chinese))
    assert "国家主管机关名录" in _text(chinese)


@pytest.mark.parametrize(("params", "pointers"), [
    ({"lang": "xx"}, ["/query/lang"]),
    ({"country": ["BRA", "ZZZ"]}, ["/query/country/1"]),
    ({"instrument": "treaty_of_nowhere"}, ["/query/instrument"]),
    ({"lang": "de", "country": "QQ", "instrument": "nope"},
     ["/query/lang", "/query/country/0", "/query/instrument"]),
    ({"view": "secret"}, ["/query/view"]),
])
def test_bad_input_is_a_422_naming_the_value(client: TestClient, params: dict[str, Any],
                                               pointers: list[str]) -> None:
    for path in (PDF, "/publications/directory"):
        response = client.get(path, params=params)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        errors = response.json()["errors"]
        assert [e["pointer"] for e in errors] == pointers
        for error, value in zip(errors, params.values(), strict=False):
            if isinstance(value, str) and error["pointer"] != "/query/view":
                assert repr(value) in error["detail"] or value in error["detail"]


def test_cli_publishes_and_names_bad_values(db_url: str, tmp_path: Path,
                                            directory: dict[str, Any]) -> None:
    cna = str(Path(sys.executable).with_name("cna"))
    env = {**os.environ, "DATABASE_URL": db_url}
    out = tmp_path / "directory.pdf"
    done = subprocess.run([cna, "publish", "--lang", "fr", "--country", "fr", "-o", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temporary file's 0600
    text = _text(out.read_bytes())
    assert "Bureau de l'entraide pénale internationale" in text
    assert "Répertoire des autorités nationales compétentes" in text
    assert "Bundesamt" not in text
    assert f"Feed cursor: {read_head_of(db_url)}" in done.stderr
    for args, named in ((["--lang", "xx"], "'xx'"), (["--country", "ZZZ"], "'ZZZ'"),
                        (["--instrument", "nope"], "'nope'")):
        bad = subprocess.run([cna, "publish", *args, "-o", str(tmp_path / "bad.pdf")],
                             capture_output=True, text=True, env=env, timeout=300)
        assert bad.returncode == 2 and named in bad.stderr, bad.stderr
        assert not (tmp_path / "bad.pdf").exists()
    assert "--changes-since" in subprocess.run([cna, "publish", "--help"], capture_output=True,
                                               text=True, env=env, timeout=60).stdout


def read_head_of(db_url: str) -> int:
    from app.db.engine import make_engine

    engine = make_engine(db_url)
    try:
        return read_head(engine)
    finally:
        engine.dispose()


def test_a_failed_rendering_leaves_no_half_written_file(
        db_url: str, tmp_path: Path, directory: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli.main import app as cli
    from app.publications import parallel, service

    out = tmp_path / "directory.pdf"
    out.write_bytes(b"the previous edition")

    def broken(directory: service.Directory, *args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the layout engine gave up")

    monkeypatch.setattr(parallel, "publish_pdf", broken)
    with settings_env(DATABASE_URL=db_url):
        result = CliRunner().invoke(cli, ["publish", "-o", str(out)])
    assert result.exit_code != 0
    assert out.read_bytes() == b"the previous edition"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["directory.pdf"]

    # A failure while writing (here: the rename) leaves the old file and no temporary one.
    from app.cli import publish_commands

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(publish_commands.os, "replace", refuse)
    with pytest.raises(OSError):
        publish_commands.write_atomically(out, b"%PDF-new")
    assert out.read_bytes() == b"the previous edition"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["directory.pdf"]


def test_the_print_view_is_the_same_document_as_html(
        client: TestClient, directory: dict[str, Any]) -> None:
    response = client.get("/publications/directory", params={"lang": "ru"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert '<link rel="stylesheet" href="/publications/print.css">' in html
    assert "Справочник компетентных национальных органов" in html
    assert '<a href="#state-BRA">Бразилия</a>' in html
    css = client.get("/publications/print.css")
    assert css.status_code == 200 and "@page" in css.text
    # A language code in any case.
    assert "Directorio de autoridades nacionales competentes" in client.get(
        "/publications/directory", params={"lang": "ES"}).text
    # The reader's language when none is asked for.
    assert 'lang="es"' in client.get("/publications/directory",
                                      headers={"Accept-Language": "es-MX"}).text


def test_public_reading_off_means_401_for_anonymous(
        client: TestClient, session: Session, directory: dict[str, Any]) -> None:
    with settings_env(CNA_PUBLIC_READ="false"):
        assert client.get(PDF).status_code == 401
        assert client.get("/publications/directory").status_code == 401
        assert client.get(PDF, headers=_bearer(session, Role.official)).status_code == 200


def test_every_label_of_the_document_is_in_the_six_languages() -> None:
    from app.publications.service import _strings
    from app.web.i18n import UI_LANGUAGES

    table = _strings()
    assert len(table) > 50
    assert [(key, lang) for key, texts in table.items() for lang in UI_LANGUAGES
            if not texts.get(lang, "").strip()] == []


def test_renders_beyond_the_setting_are_a_503_with_retry_after(
        client: TestClient, directory: dict[str, Any]) -> None:
    """A large directory takes minutes to lay out and anyone may ask for the public view:
    past CNA_PUBLICATION_RENDERS (1) renders in flight, the next is refused at once."""
    slots = client.app.state.publication_slots  # type: ignore[attr-defined]
    with slots.claim():
        for path in (PDF, "/publications/directory"):
            busy = client.get(path, params={"lang": "en"})
            assert busy.status_code == 503, path
            assert busy.headers["content-type"] == "application/problem+json"
            assert busy.headers["retry-after"] == "60"
    assert client.get(PDF, params={"lang": "en"}).status_code == 200


def test_the_new_designation_type_and_interpol_requests_are_published(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    """UNTOC 31(6) (prevention of organized crime) is grouped under its own heading, and
    the requests that may go through INTERPOL are said in the chosen language."""
    record = make_record()
    mla = record["designations"][0]
    mla["requirements"] = {**(mla.get("requirements") or {}),
                           "interpol_requests": ["urgent", "provisional_arrest"]}
    prevention = {key: value for key, value in mla.items()
                  if key in ("languages", "channels", "means")}
    record["designations"].append({**prevention, "instrument": "untoc", "article": "31(6)",
                                   "type": "organized_crime_prevention"})
    store(session, reference, record)
    session.commit()
    html = client.get("/publications/directory", params={"lang": "fr", "country": "BRA"}).text
    groups = [html_lib.unescape(g) for g in re.findall(r"<h3>(.*?)</h3>", html)]
    prevention_fr = next(t["names"]["fr"] for t in read_json("designation_types.json")
                         if t["code"] == "organized_crime_prevention")
    assert any(g.endswith("— " + prevention_fr) for g in groups), groups
    assert "31(6)" in html
    french = json.loads((ROOT / "app/publications/strings.json").read_text())
    expected = (f'{french["interpol_requests"]["fr"]}: {french["interpol_urgent"]["fr"]}, '
                f'{french["interpol_provisional_arrest"]["fr"]}')
    assert expected in html_lib.unescape(html)


@pytest.mark.parametrize("processes", [3, None], ids=["three-parts", "small-laid-out-whole"])
def test_parts_laid_out_in_other_processes_keep_contents_and_page_numbers_right(
        session: Session, directory: dict[str, Any], processes: int | None) -> None:
    from app.authorities.documents import View
    from app.publications import parallel, service

    query = service.PublicationQuery(lang="en", view=View.full,
                                     changes_since=datetime(2000, 1, 1).date())
    read = service.read_directory(get_engine(), query)
    runs = parallel.split_states(read.states, 3)
    assert len(runs) == 3 and [s for run in runs for s in run] == read.states
    # By default a directory this small is one part, laid out whole in this process.
    assert parallel.parts_for(read, processes) == (3 if processes else 1)
    pages = _pages(parallel.publish_pdf(read, processes=processes))
    # Every page after the cover carries its own number at its foot, across the parts.
    for number, page in enumerate(pages[1:], start=2):
        assert page.split()[-1] == str(number), (number, page[-80:])
    contents = re.sub(r"\s+", " ", pages[1])
    listed = re.findall(r"([A-Z][a-z]+) \.+ ?(\d+)", contents)
    assert [name for name, _ in listed] == [s.name for s in read.states]
    for name, number in listed:
        # The State's heading (and the rule of its own page) is on the page the contents give.
        assert pages[int(number) - 1].lstrip().startswith(name), (name, number)
    annex = re.search(r"Annex: changes since January 1, 2000 \.+ ?(\d+)", contents)
    assert annex is not None
    assert pages[int(annex.group(1)) - 1].lstrip().startswith("Annex: changes since")
