"""A reference sync client: what a regional network could run (`cna sync`).

It keeps a local mirror in ``DIR/mirror.sqlite`` (one row per record, and the feed
cursor), so it needs nothing but Python.  First run: ``GET /v1/export``, stored with the
export's ``CNA-Feed-Cursor`` in one local transaction.  Then ``GET /v1/changes`` from that
cursor; each page and its ``next_cursor`` are stored in one local transaction, so a client
stopped at any point resumes exactly where it stopped, with nothing missed or applied twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, country TEXT NOT NULL, version INTEGER NOT NULL,
    status TEXT NOT NULL, document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class SyncReport:
    exported: int = 0
    changes: int = 0
    cursor: str = ""


class Mirror:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(directory / "mirror.sqlite", isolation_level=None)
        self.db.executescript(SCHEMA)

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def _set(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO state VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                        "SET value = excluded.value", (key, value))

    def _put(self, records: list[dict[str, Any]]) -> None:
        self.db.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "country = excluded.country, version = excluded.version, "
            "status = excluded.status, document = excluded.document",
            [(r["id"], r["country"], r["version"], r["status"],
              json.dumps(r, ensure_ascii=False, separators=(",", ":"))) for r in records])

    def load_snapshot(self, records: Iterator[dict[str, Any]], cursor: str, source: str,
                      batch: int = 2000) -> int:
        """Replace the mirror by an export, atomically with its cursor."""
        count = 0
        self.db.execute("BEGIN")
        try:
            self.db.execute("DELETE FROM records")
            chunk: list[dict[str, Any]] = []
            for record in records:
                chunk.append(record)
                if len(chunk) >= batch:
                    self._put(chunk)
                    count += len(chunk)
                    chunk = []
            self._put(chunk)
            count += len(chunk)
            self._set("cursor", cursor)
            self._set("source", source)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return count

    def apply_page(self, items: list[dict[str, Any]], next_cursor: str) -> None:
        """One feed page and the cursor after it, atomically."""
        self.db.execute("BEGIN")
        try:
            self._put([item["record"] for item in items])
            self._set("cursor", next_cursor)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def documents(self) -> dict[str, dict[str, Any]]:
        return {row[0]: json.loads(row[1])
                for row in self.db.execute("SELECT id, document FROM records")}

    def close(self) -> None:
        self.db.close()


class SyncError(Exception):
    pass


def _check(response: httpx.Response) -> None:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise SyncError(f"{response.request.method} {response.request.url.path}: "
                        f"{response.status_code} {detail}")


def sync(http: httpx.Client, into: Path, follow: bool = False, wait: float = 25.0,
         limit: int = 1000, progress: Callable[[str, int], None] | None = None,
         stop: Callable[[], bool] | None = None) -> SyncReport:
    """Snapshot if the mirror is new, then follow the feed: until caught up, or for ever
    with ``follow`` (long polls of ``wait`` seconds) until ``stop()`` says so."""
    mirror = Mirror(into)
    report = SyncReport()
    source = str(http.base_url)
    try:
        cursor = mirror.get("cursor")
        if cursor is not None and mirror.get("source") not in (None, source):
            raise SyncError(f"{into} mirrors {mirror.get('source')}, not {source}")
        if cursor is None:
            with http.stream("GET", "/v1/export") as response:
                _check(response)
                cursor = response.headers["cna-feed-cursor"]
                lines = (json.loads(line) for line in response.iter_lines() if line.strip())
                report.exported = mirror.load_snapshot(lines, cursor, source)
            if progress:
                progress("exported", report.exported)
        while not (stop and stop()):
            response = http.get("/v1/changes", params={
                "after": cursor, "limit": limit, "wait": wait if follow else 0})
            _check(response)
            page = response.json()
            if page["items"] or page["next_cursor"] != cursor:
                mirror.apply_page(page["items"], page["next_cursor"])
                report.changes += len(page["items"])
                cursor = page["next_cursor"]
                if progress and page["items"]:
                    progress("changes", len(page["items"]))
            if not page["has_more"] and not follow:
                break
        report.cursor = cursor
        return report
    finally:
        mirror.close()
