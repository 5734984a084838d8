"""Typed configuration: strict pydantic models whose validation errors become one message naming
the full key path (`rate_limit.per_client.requests: expected an integer, got 'many'`).

Shared by the router (router.yaml), the composer (supergraph.yaml) and the subgraphs (their
environment), so a mistake reads the same everywhere."""

from __future__ import annotations

from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

__all__ = ["Settings", "describe", "validate"]

M = TypeVar("M", bound=BaseModel)


class Settings(BaseModel):
    """A section (or a mapping inside one): strict types, unknown keys refused, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def validate(model: type[M], where: str, raw: Any, error: type[Exception] = ValueError) -> M:
    """`raw` (the mapping at `where`, None for an empty one) as `model`, or `error` naming the
    first bad key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise error(f"{where}: expected a mapping, got {_kind(raw)} {raw!r}")
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise error(describe(e, where, raw, model)) from None


def describe(error: ValidationError, where: str, raw: Any, model: type[BaseModel]) -> str:
    """The first error as `where.key.path: what is wrong`."""
    errors = error.errors(include_url=False)
    # a value of several accepted shapes fails each: the shape it meant is the deepest error
    first = max(errors, key=lambda e: len(_data_path(e, raw)))
    path = _data_path(first, raw)
    at = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return f"{at.lstrip('.')}: {_message(first, model, path, errors)}"


def _data_path(error: ErrorDetails, raw: Any) -> list[int | str]:
    """The part of pydantic's location that indexes the data (it also names union members)."""
    loc = error["loc"]
    missing = error["type"] == "missing"
    path: list[int | str] = []
    node = raw
    for i, part in enumerate(loc):
        if missing and i == len(loc) - 1:
            path.append(part)  # the key that is not there
            break
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue  # a union member's or a validator's name
        path.append(part)
    return path


_EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "string_type": "a string", "list_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "tuple_type": "a list", "set_type": "a list", "frozen_set_type": "a list",
}


def _message(e: ErrorDetails, model: type[BaseModel], path: list[int | str], errors: list[ErrorDetails]) -> str:
    kind, ctx, got = e["type"], e.get("ctx") or {}, e.get("input")
    if kind == "extra_forbidden":
        known = _known_keys(model, path[:-1])
        return "unknown key" + (f" (known: {', '.join(known)})" if known else "")
    if kind == "missing":
        info = _field(model, path)
        return "required" + (f" ({info.description})" if info is not None and info.description else "")
    if kind in _EXPECTED:
        shapes = [_EXPECTED[x["type"]] for x in errors if x["type"] in _EXPECTED and x["input"] is got]
        wanted = " or ".join(dict.fromkeys(shapes)) if len(shapes) > 1 else _EXPECTED[kind]
        return f"expected {wanted}, got {got!r}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {"greater_than_equal": "at least", "greater_than": "greater than",
                "less_than_equal": "at most", "less_than": "less than"}[kind]
        bound = next(iter(ctx.values()))
        return f"must be {word} {bound}, got {got!r}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {expected}, got {got!r}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", e["msg"]))
    return f"{e['msg'][0].lower()}{e['msg'][1:]}, got {got!r}"


def _field(model: type[BaseModel], path: list[int | str]) -> FieldInfo | None:
    """The declaration of the key at `path` (for its description)."""
    if not path or not isinstance(path[-1], str):
        return None
    parent = _model_at(model, path[:-1])
    if parent is None:
        return None
    return {f.alias or name: f for name, f in parent.model_fields.items()}.get(path[-1])


def _known_keys(model: type[BaseModel], path: list[int | str]) -> list[str]:
    """The keys a mapping at `path` (inside `model`) accepts, for the unknown-key message."""
    current = _model_at(model, path)
    return [f.alias or name for name, f in current.model_fields.items()] if current is not None else []


def _model_at(model: type[BaseModel], path: list[int | str]) -> type[BaseModel] | None:
    current: Any = model
    for part in path:
        if isinstance(part, int):
            current = _inner(current, list)
            continue
        fields = {f.alias or name: f for name, f in current.model_fields.items()} \
            if isinstance(current, type) and issubclass(current, BaseModel) else {}
        if part in fields:
            current = _inner(fields[part].annotation, BaseModel)
        else:
            current = _inner(current, dict)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner(annotation: Any, want: type) -> Any:
    """The model (or list/dict item type) inside an annotation such as `Model | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = get_origin(annotation)
    args = get_args(annotation)
    if want is list and origin in (list, tuple):
        return args[0] if args else None
    if want is dict and origin is dict:
        return args[1] if len(args) == 2 else None
    for arg in args:
        found = _inner(arg, want if want is not BaseModel else BaseModel)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return None


def _kind(value: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            list: "a list"}.get(type(value), type(value).__name__)
