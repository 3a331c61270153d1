"""The directory's PDF laid out in parts, side by side in processes, then put together.

WeasyPrint lays a document out in one Python thread; a 10,000-record directory takes it
minutes.  So the States are cut into contiguous parts of about equal weight, each part
is a document of its own (the same template, ``part="body"``), laid out in a process of
its own, and pypdf joins the cover and contents and the parts.

Two things cross the parts and are made right here:

* the page counter: a part's first page number is the pages before it (cover, contents,
  the earlier parts).  A part's process stops once the part is paginated, before the
  page boxes get their margin boxes (the footers), reports its page count and waits for
  its first number (``_numbered_from_parent``); the first part gets it at once;
* the contents: each State's first page comes from its part's anchors, and the cover and
  contents are laid out once every part is, while the parts are drawn, with those numbers
  written in (``data-page``).  Their page count is taken first with placeholder numbers;
  should the real numbers change it, the parts are laid out again with the right offset.

Each part is joined on as soon as it and those before it are drawn, so that little is
left to do once the last part is.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from typing import TYPE_CHECKING, Any

from app.publications.service import (
    HERE,
    STYLESHEET,
    Directory,
    StateSection,
    pages_reported,
    render_html,
)

if TYPE_CHECKING:
    import weasyprint

PLACEHOLDER_PAGE = "0000"
"""What the contents show while their own page count is taken (as wide as real numbers)."""

Stages = Callable[[str, float], None]
"""Told each stage of the making (``part 2: layout``, ``join``) and its seconds."""


def default_processes() -> int:
    """Two parts at once where there are two cores or more: the goal's machine has two."""
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class Paginated:
    """A part's pages and anchors, sent as soon as it is laid out, before it is drawn:
    the contents are laid out meanwhile."""

    pages: int
    anchors: dict[str, int]
    """Anchor (``state-BRA``, ``annex``) -> index of the part's page it is on."""


@dataclass(frozen=True)
class LaidOutPart:
    pdf: bytes
    pages: int
    anchors: dict[str, int]
    """Anchor (``state-BRA``, ``annex``) -> index of the part's page it is on."""
    seconds: dict[str, float]
    """How long the part's process took for each step (``layout``, ``draw``...)."""


def split_states(states: list[StateSection], parts: int) -> list[list[StateSection]]:
    """Contiguous runs of States of about equal weight (entries, plus one for the page
    each State starts), at most ``parts`` of them, none empty."""
    weights = [1 + sum(len(g.entries) for g in s.groups) for s in states]
    total = sum(weights)
    runs: list[list[StateSection]] = [[]]
    done = 0
    for state, weight in zip(states, weights, strict=True):
        if runs[-1] and len(runs) < parts and done >= total * len(runs) / parts:
            runs.append([])
        runs[-1].append(state)
        done += weight
    return [run for run in runs if run] or [[]]


BODY_CSS = "@page :first { @bottom-center { content: counter(page); } }"
"""A body part's first page is numbered (the cover's rule hides the first page's)."""


def _document(html: str, extra_css: str = "") -> weasyprint.Document:
    import weasyprint

    sheets = [weasyprint.CSS(filename=str(STYLESHEET))]
    if extra_css:
        sheets.append(weasyprint.CSS(string=extra_css))
    return weasyprint.HTML(string=html, base_url=str(HERE)).render(stylesheets=sheets)


def _anchors(document: weasyprint.Document) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("state-") or anchor == "annex":
                found.setdefault(anchor, index)
    return found


def _part(document: weasyprint.Document,
          seconds: dict[str, float] | None = None) -> LaidOutPart:
    started = time.perf_counter()
    pdf = document.write_pdf()
    return LaidOutPart(pdf=pdf, pages=len(document.pages), anchors=_anchors(document),
                       seconds={**(seconds or {}), "draw": time.perf_counter() - started})


@contextmanager
def _numbered_from_parent(conn: Connection, seconds: dict[str, float]) -> Iterator[None]:
    """In a part's own process: once the part is paginated, send its page count and wait
    for the number of its first page, then add it to every page's counter before the
    footers are made.  (WeasyPrint makes margin boxes after the whole pagination; this
    process lays out this one document only, so the patch touches nothing else.  It
    reaches into WeasyPrint's layout module: the test of the parts' page numbers is what
    says it still holds after an upgrade.)"""
    from weasyprint import layout

    original = layout.make_margin_boxes
    first: list[int] = []

    def numbered(context: Any, page: Any, state: Any) -> Any:
        if not first:
            asked = time.perf_counter()
            conn.send(len(context.page_maker) - 1)
            first.append(int(conn.recv()))
            seconds["waiting for the first page number"] = time.perf_counter() - asked
        quote_depth, counters, scopes, groups = state
        shifted = {**counters, "page": [value + first[0] - 1
                                        for value in counters.get("page", [1])]}
        return original(context, page, (quote_depth, shifted, scopes, groups))

    layout.make_margin_boxes = numbered
    try:
        yield
    finally:
        layout.make_margin_boxes = original


def _lay_out_in_child(conn: Connection, laid_out: Synchronized[int]) -> None:
    """One part, in its own process (the target of ``multiprocessing``): it gets its
    States (a ``Directory`` holding those only) and whether the annex is its, writes their
    HTML and lays it out, so that the parts' HTML too is written side by side.

    The cyclic garbage collector is off: a part lives for one layout, its boxes are
    garbage only at the end, and each collection walks every box made so far (a tenth
    of the time at 2,000 entries, more the larger the part)."""
    try:
        part, with_annex = conn.recv()
        gc.disable()
        started = time.perf_counter()
        html = render_html(part, part="body", with_annex=with_annex)
        seconds = {"HTML": time.perf_counter() - started}
        started = time.perf_counter()

        def count(page: int) -> None:
            laid_out.value = page

        with _numbered_from_parent(conn, seconds), pages_reported(count):
            document = _document(html, BODY_CSS)
        conn.send(Paginated(pages=len(document.pages), anchors=_anchors(document)))
        seconds["layout"] = (time.perf_counter() - started
                             - seconds.get("waiting for the first page number", 0.0))
        laid_out_part = _part(document, seconds)
        laid_out_part.seconds["CPU of the whole process"] = time.process_time()
        conn.send(laid_out_part)
    except BaseException as exc:  # the parent re-raises it
        conn.send(RuntimeError(f"laying out a part of the directory failed: {exc!r}"))
        raise
    finally:
        conn.close()


@dataclass
class _Child:
    process: BaseProcess
    conn: Connection
    laid_out: Synchronized[int]

    def receive(self) -> Any:
        message = self.conn.recv()
        if isinstance(message, BaseException):
            raise message
        return message


ENTRIES_PER_PART = 400
"""Below this many entries a part of its own costs more (a process, its imports, fonts
embedded again) than it saves: a small directory, or a filtered one, is laid out whole."""


def parts_for(directory: Directory, processes: int | None) -> int:
    """How many parts: ``processes`` when given, else the default, as far as the
    directory's size makes them worth it."""
    if processes is not None:
        return max(1, processes)
    entries = sum(len(g.entries) for s in directory.states for g in s.groups)
    return max(1, min(default_processes(), entries // ENTRIES_PER_PART))


def _ignore_stage(name: str, seconds: float) -> None:
    pass


def publish_pdf(directory: Directory, processes: int | None = None,
                on_page: Callable[[int], None] | None = None,
                on_stage: Stages = _ignore_stage) -> bytes:
    """The whole directory as one PDF, its body laid out in up to ``processes`` parts at
    once (one part: laid out whole, in this process); ``on_page`` is told how many body
    pages are laid out so far, ``on_stage`` how long each stage took (bench/publish.py)."""
    parts = parts_for(directory, processes)
    if parts == 1:
        started = time.perf_counter()
        whole = _whole(directory, on_page)
        on_stage("laid out whole, in this process", time.perf_counter() - started)
        return whole
    runs = split_states(directory.states, parts)
    front_pages: int | None = None
    for _ in range(3):
        pdf, assumed, actual = _publish(directory, runs, on_page, front_pages, on_stage)
        if assumed == actual:
            return pdf
        front_pages = actual
    raise RuntimeError("the contents' page count did not settle")


def _whole(directory: Directory, on_page: Callable[[int], None] | None) -> bytes:
    """Cover, contents and body as one document, in this process (WeasyPrint numbers the
    contents itself)."""
    html = render_html(directory)
    if on_page is None:
        pdf: bytes = _document(html).write_pdf()
        return pdf
    with pages_reported(on_page):
        pdf = _document(html).write_pdf()
    return pdf


def _publish(directory: Directory, runs: list[list[StateSection]],
             on_page: Callable[[int], None] | None,
             front_pages: int | None, on_stage: Stages) -> tuple[bytes, int, int]:
    """The PDF, the front's page count the numbering assumed, and the one it has.

    Every part is laid out in a process of its own; this one takes the front's page count
    meanwhile, then hands each part its first page number as soon as the parts before it
    are paginated, and joins the whole."""
    context = multiprocessing.get_context("spawn")
    children: list[_Child] = []
    started = time.perf_counter()
    try:
        for _ in runs:
            parent_end, child_end = context.Pipe()
            laid_out = context.Value("i", 0)
            process = context.Process(target=_lay_out_in_child, daemon=True,
                                      args=(child_end, laid_out))
            process.start()
            child_end.close()
            children.append(_Child(process, parent_end, laid_out))
        on_stage("parts' processes started", time.perf_counter() - started)
        for index, (run, child) in enumerate(zip(runs, children, strict=True)):
            child.conn.send((replace(directory, states=run), index == len(runs) - 1))
        on_stage(f"parts handed their States ({', '.join(str(len(r)) for r in runs)})",
                 time.perf_counter() - started)
        if front_pages is None:
            stage = time.perf_counter()
            placeholders = {anchor: PLACEHOLDER_PAGE for anchor in _all_anchors(directory)}
            front_pages = len(_document(render_html(directory, part="front",
                                                    pages=placeholders)).pages)
            on_stage("contents' page count (placeholders)", time.perf_counter() - stage)
        parts_pages: dict[int, int] = {}
        paginated: dict[int, Paginated] = {}
        parts: dict[int, LaidOutPart] = {}
        joined = _Joined()
        front: LaidOutPart | None = None
        children[0].conn.send(front_pages + 1)
        numbered = 1
        waiting = {child.conn: index for index, child in enumerate(children)}
        while waiting:
            for conn in wait(list(waiting), timeout=0.25):
                index = waiting[conn]  # type: ignore[index]
                message = children[index].receive()
                if isinstance(message, LaidOutPart):
                    parts[index] = message
                    del waiting[conn]  # type: ignore[arg-type]
                    for step, seconds in message.seconds.items():
                        on_stage(f"part {index + 1}: {step}", seconds)
                    on_stage(f"part {index + 1}: done, from the start",
                             time.perf_counter() - started)
                elif isinstance(message, Paginated):
                    paginated[index] = message
                else:
                    # Paginated (parts may finish in any order): each part whose earlier
                    # parts all are gets its first page number.
                    parts_pages[index] = int(message)
                    while numbered < len(children) and numbered - 1 in parts_pages:
                        children[numbered].conn.send(
                            front_pages + sum(parts_pages[i] for i in range(numbered)) + 1)
                        numbered += 1
            if front is None and len(paginated) == len(children):
                # Every part is laid out: the contents are laid out while they are drawn.
                stage = time.perf_counter()
                front = _part(_document(render_html(
                    directory, part="front",
                    pages=_first_pages(front_pages, [paginated[i] for i in range(len(runs))]))))
                on_stage("cover and contents", time.perf_counter() - stage)
                if front.pages != front_pages:
                    return b"", front_pages, front.pages
                joined.append(front)
            # Each part is joined on as soon as it and the parts before it are drawn.
            while front is not None and joined.parts - 1 in parts:
                stage = time.perf_counter()
                joined.append(parts.pop(joined.parts - 1))
                on_stage(f"part {joined.parts - 1}: joined on", time.perf_counter() - stage)
            if on_page is not None:
                on_page(sum(child.laid_out.value for child in children))
    finally:
        for index, child in enumerate(children):
            child.conn.close()
            if index < joined.parts - 1:  # done: it is exiting
                child.process.join(timeout=5)
            if child.process.is_alive():
                child.process.terminate()
                child.process.join()
    stage = time.perf_counter()
    pdf = joined.written()
    on_stage("joined PDF written", time.perf_counter() - stage)
    return pdf, front_pages, front_pages


def _first_pages(front_pages: int, parts: list[Paginated]) -> dict[str, str]:
    """Each anchor's page number in the whole document."""
    first_pages: dict[str, str] = {}
    before = front_pages
    for part in parts:
        for anchor, page_index in part.anchors.items():
            first_pages[anchor] = str(before + page_index + 1)
        before += part.pages
    return first_pages


def _all_anchors(directory: Directory) -> list[str]:
    anchors = [state.anchor for state in directory.states]
    return anchors + (["annex"] if directory.annex is not None else [])


class _Joined:
    """The document's PDF, joined on part after part (pypdf)."""

    def __init__(self) -> None:
        from pypdf import PdfWriter

        self.writer = PdfWriter()
        self.parts = 0

    def append(self, part: LaidOutPart) -> None:
        from pypdf import PdfReader

        self.writer.append(PdfReader(io.BytesIO(part.pdf)))
        self.parts += 1

    def written(self) -> bytes:
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()
