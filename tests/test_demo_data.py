"""seed_data/build_demo.py: the generator reproduces the committed demo files, and --check
runs the app's validator plus the demo-only rules (marker, example domains, coverage)."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "seed_data" / "build_demo.py"
DEMO_DIR = ROOT / "seed_data" / "demo"


@pytest.fixture(scope="module")
def build_demo() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("build_demo", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through it
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def _records(folder: Path) -> list[dict[str, Any]]:
    text = (folder / "authorities.ndjson").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _check_copy(
    build_demo: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    records: list[dict[str, Any]],
) -> tuple[int, str]:
    """Run --check on a copy of the demo folder holding ``records``."""
    shutil.copy(DEMO_DIR / "README.md", tmp_path / "README.md")
    lines = [json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) for r in records]
    (tmp_path / "authorities.ndjson").write_text("\n".join(lines) + "\n", "utf-8")
    capsys.readouterr()
    status = build_demo.main(["--check", "--out-dir", str(tmp_path)])
    return status, capsys.readouterr().err


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), "--out-dir", str(tmp_path)],
                         capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "wrote 149 records for 81 countries" in run.stdout
    for name in ("authorities.ndjson", "README.md"):
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name


def test_help_names_the_options() -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True,
                         text=True, check=True)
    assert "--out-dir" in run.stdout and "--check" in run.stdout


def test_check_passes_on_the_committed_files(
    build_demo: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build_demo.main(["--check", "--out-dir", str(DEMO_DIR)]) == 0
    out = capsys.readouterr().out
    assert "149 valid records, 81 countries" in out
    assert "OK: all checks passed" in out


def test_check_reports_what_the_apps_validator_rejects(
    build_demo: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = _records(DEMO_DIR)
    records[3]["designations"][0]["channels"] = ["carrier_pigeon"]
    records[5]["designations"][0]["article"] = "99"
    records[7]["emails"] = "mla@example.org"
    status, err = _check_copy(build_demo, tmp_path, capsys, records)
    assert status == 1
    assert f"line 4 {records[3]['ref']} /designations/0/channels/0:" in err
    assert f"line 6 {records[5]['ref']} /designations/0/article: article '99'" in err
    assert f"line 8 {records[7]['ref']} /emails: " in err


def test_check_reports_a_missing_marker_a_real_domain_and_a_foreign_zone(
    build_demo: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = _records(DEMO_DIR)
    records[0]["notes"]["en"] = "A real-looking record."
    records[1]["website"] = "https://www.justice.gov"
    records[2]["emails"][0]["address"] = "mla@justice.gov"
    records[4]["ref"] = "REAL-" + records[4]["ref"]
    records[6]["time_zone"] = "Asia/Tokyo"
    russian = next(r for r in records if r["country"] == "RUS")
    russian["name"]["ru"] = "Ministerstvo yustitsii"
    status, err = _check_copy(build_demo, tmp_path, capsys, records)
    assert status == 1
    assert f"line 1 {records[0]['ref']}: notes.en must start with 'DEMO DATA" in err
    assert "website 'https://www.justice.gov' must be https on a reserved example domain" in err
    assert "e-mail 'mla@justice.gov' is not on a reserved example domain" in err
    assert "must start with DEMO-" in err
    assert f"time_zone 'Asia/Tokyo' but {records[6]['country']} has the zones" in err
    assert f"{russian['ref']} /name/ru: letters in ['Latn'] but ru is written in Cyrl" in err


def test_check_reports_missing_coverage(
    build_demo: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    oceania = {"AUS", "NZL", "FJI", "PNG"}
    records = [r for r in _records(DEMO_DIR) if r["country"] not in oceania
               and all(d["type"] != "corruption_prevention" for d in r["designations"])]
    status, err = _check_copy(build_demo, tmp_path, capsys, records)
    assert status == 1
    assert "set: no country from Oceania (009)" in err
    assert "required countries missing: ['AUS', 'FJI', 'NZL', 'PNG']" in err
    assert "set: type corruption_prevention appears 0 times, not 2+" in err


def test_key_order_comes_from_the_record_model(build_demo: ModuleType) -> None:
    from app.authorities.schemas import AuthorityIn, DesignationIn

    record = _records(DEMO_DIR)[0]
    shuffled = dict(random.Random(1).sample(list(record.items()), len(record)))
    shuffled["designations"] = [
        dict(reversed(list(d.items()))) for d in record["designations"]
    ]
    assert build_demo.order_problems("r", shuffled)
    fixed = build_demo.in_model_order(shuffled)
    assert json.dumps(fixed, ensure_ascii=False) == json.dumps(record, ensure_ascii=False)
    assert build_demo.order_problems("r", fixed) == []
    model_order = list(AuthorityIn.model_fields)
    assert list(fixed) == [k for k in model_order if k in fixed]
    assert list(fixed["designations"][0]) == [
        k for k in DesignationIn.model_fields if k in fixed["designations"][0]
    ]
    assert build_demo.order_problems("r", {**record, "colour": "red"}) == [
        "r: unknown key 'colour'"
    ]
