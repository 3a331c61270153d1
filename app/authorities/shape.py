"""The record's shape, taken from the output model, and the one function that applies it.

``AuthorityOut`` (app/authorities/schemas.py) declares the interchange record field by
field in interchange order (docs/interchange.md).  Every record that leaves the service
(reads, history and versions, search hits, the feed, the export, webhooks, vCards and
pages) goes through ``shaped``: its keys put in the model's order at every depth, and
what the caller's view may not see taken out.  Stored revisions come back from JSONB
with their keys in JSONB's own order, so this is needed on every path.

Hot paths (search hits: thousands a second; an export of 100k records) must not run
pydantic per record.  The model is walked once (``record_shape``, cached) into a tree of
keys, and from that tree one function per view is compiled, once (``_compiled``), that
builds the ordered document in a single expression, the way ``dataclasses`` builds its
``__init__``.  Like a model dump, it emits the model's keys only.  A document it cannot
take as it is (one older than a field, so missing a key) goes through ``_apply``, the
same walk written generically, which emits a missing key with the field's default.
"""

from __future__ import annotations

import copy
import itertools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from app.authorities.schemas import AuthorityOut

# What the public view never shows: named contacts, and these lists' restricted entries.
PUBLIC_OMITS = ("contacts",)
RESTRICTABLE = ("phones", "emails")

Document = dict[str, Any]


@dataclass(frozen=True)
class Nested:
    """A key whose value is an object (``many``: a list of objects) of its own shape."""

    key: str
    shape: Shape
    many: bool


@dataclass(frozen=True)
class Shape:
    """One object's keys in declaration order, the nested objects among them, and the
    JSON default of each key."""

    keys: tuple[str, ...]
    nested: tuple[Nested, ...]
    defaults: tuple[Any, ...]

    @property
    def tree(self) -> dict[str, Any]:
        """The shape as plain data: key -> None (a value) or the nested object's tree."""
        inner = {n.key: n.shape.tree for n in self.nested}
        return {k: inner.get(k) for k in self.keys}


def _nested_model(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model inside ``X | None``, ``list[X]`` or ``Annotated[X, ...]``, and whether
    it is a list of them.  A ``dict`` (a text map: language tag -> text) is a value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    if origin in (typing.Annotated, list, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = _nested_model(argument)
            if found is not None:
                return found[0], found[1] or origin is list
    return None


def _json_default(model: type[BaseModel], key: str) -> Any:
    default = model.model_fields[key].get_default(call_default_factory=True)
    return default.model_dump(mode="json") if isinstance(default, BaseModel) else default


def shape_of(model: type[BaseModel], omit: tuple[str, ...] = ()) -> Shape:
    """The key order of ``model`` and of the models inside it, in declaration order."""
    keys = tuple(name for name in model.model_fields if name not in omit)
    nested = []
    for name in keys:
        found = _nested_model(model.model_fields[name].annotation)
        if found is not None:
            nested.append(Nested(name, shape_of(found[0]), many=found[1]))
    return Shape(keys, tuple(nested), tuple(_json_default(model, k) for k in keys))


@cache
def record_shape() -> Shape:
    """The interchange record's shape, every field (the full view)."""
    return shape_of(AuthorityOut)


@cache
def public_record_shape() -> Shape:
    """The record's shape in the public view (without ``contacts``)."""
    return shape_of(AuthorityOut, omit=PUBLIC_OMITS)


def _apply(value: Document, shape: Shape, public: bool = False) -> Document:
    """The generic walk: any document, whatever it lacks or holds besides the model."""
    out = {k: value[k] if k in value else copy.deepcopy(default)
           for k, default in zip(shape.keys, shape.defaults, strict=True)}
    for nested in shape.nested:
        item = out[nested.key]
        if type(item) is list:
            out[nested.key] = [_apply(x, nested.shape) if type(x) is dict else x
                               for x in item]
        elif type(item) is dict:
            out[nested.key] = _apply(item, nested.shape)
    if public:
        for key in RESTRICTABLE:
            out[key] = [x for x in out.get(key) or ()
                        if not (type(x) is dict and x.get("restricted"))]
    return out


def ordered(value: Document, shape: Shape) -> Document:
    """One object (``value``) in ``shape``: its keys in order, missing ones defaulted."""
    return _apply(value, shape)


def _expression(source: str, shape: Shape, names: typing.Iterator[str],
                restrict: tuple[str, ...] = ()) -> str:
    """A dict display that reads ``source`` (an object) in ``shape``'s order.

    Keys come from the model's field names (identifiers), so ``repr`` quotes them."""
    nested = {n.key: n for n in shape.nested}
    parts = []
    for key in shape.keys:
        read = f"{source}[{key!r}]"
        inner = nested.get(key)
        if inner is None:
            parts.append(f"{key!r}: {read}")
            continue
        name = next(names)
        element = _expression(name, inner.shape, names)
        if inner.many:
            keep = f" if not {name}.get('restricted')" if key in restrict else ""
            parts.append(f"{key!r}: [{element} for {name} in {read}{keep}]")
        else:
            parts.append(f"{key!r}: ({element} if ({name} := {read}) is not None else None)")
    return "{" + ", ".join(parts) + "}"


@cache
def _compiled(public: bool) -> Callable[[Document], Document]:
    """The shaping function of one view, compiled from the model's shape once."""
    shape = public_record_shape() if public else record_shape()
    names = (f"_{n}" for n in itertools.count())
    body = _expression("document", shape, names, RESTRICTABLE if public else ())
    namespace: dict[str, Any] = {}
    exec(f"def shape_document(document):\n    return {body}\n", namespace)
    function: Callable[[Document], Document] = namespace["shape_document"]
    return function


def shaped(document: Document, public: bool) -> Document:
    """``document`` (a rendered or stored record) in the model's key order at every
    depth; for the public view without contacts and restricted phones and e-mails."""
    try:
        return _compiled(public)(document)
    except (KeyError, TypeError, AttributeError):
        # A key missing (a document older than a field), or a value of another type.
        shape = public_record_shape() if public else record_shape()
        return _apply(document, shape, public)
