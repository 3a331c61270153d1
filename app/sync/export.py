"""The body of `GET /v1/export`: one snapshot's records, shaped and encoded, in blocks.

Where the time goes (bench/sync.py, profiled): reading each stored revision (JSONB, parsed
by orjson), shaping it for the view (``view_of``, compiled once), encoding it, and handing
each block of the body to the event loop (a thread hop).  So records are encoded by orjson
straight to bytes and sent in blocks of about ``BLOCK_BYTES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.authorities.documents import View
from app.authorities.transfer import ndjson_lines, to_csv
from app.sync.service import ExportFilters, Snapshot

BLOCK_BYTES = 256 * 1024


def blocks(chunks: Iterator[bytes], size: int = BLOCK_BYTES) -> Iterator[bytes]:
    """``chunks`` joined into blocks of about ``size`` bytes (the last one shorter)."""
    block: list[bytes] = []
    held = 0
    for chunk in chunks:
        block.append(chunk)
        held += len(chunk)
        if held >= size:
            yield b"".join(block)
            block, held = [], 0
    if block:
        yield b"".join(block)


def body(snapshot: Snapshot, filters: ExportFilters, view: View,
         format: str = "ndjson") -> Iterator[bytes]:
    """The export as NDJSON (or CSV) blocks; the snapshot's transaction ends with it."""
    try:
        documents = snapshot.documents(filters, view)
        if format == "csv":
            yield from blocks((chunk.encode("utf-8") for chunk in to_csv(documents)),
                              BLOCK_BYTES)
        else:
            yield from blocks(ndjson_lines(documents), BLOCK_BYTES)
    finally:
        snapshot.close()
