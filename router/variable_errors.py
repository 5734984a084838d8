"""Variable errors in the client's notation: graphql-core words a bad variable value with
Python's repr (`ID cannot represent value: {'x': 1}`, `not to be None`), which a JavaScript or
Swift client has never seen. This rewrites the values it quotes as the JSON the client sent
(`{"x":1}`, `null`), leaving the rest of graphql-core's wording alone."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from graphql.pyutils import inspect

VARIABLE = re.compile(r"^(Variable '\$([_A-Za-z][_0-9A-Za-z]*)'[^:]*: )(.*)$", re.S)
# A bad value is a part of what was sent; big inputs are not walked past this many parts.
MAX_PARTS = 2000


def _parts(value: Any) -> Iterator[Any]:
    """The value and everything inside it, breadth first, bounded."""
    queue = [value]
    seen = 0
    while queue and seen < MAX_PARTS:
        item = queue.pop(0)
        seen += 1
        yield item
        if isinstance(item, dict):
            queue.extend(item.values())
        elif isinstance(item, list):
            queue.extend(item)


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def clean(message: str, variables: Mapping[str, Any]) -> str:
    m = VARIABLE.match(message)
    if m is None:
        return message
    prefix, name, detail = m.group(1), m.group(2), m.group(3)
    replacements: dict[str, str] = {}
    if name in variables:
        for part in _parts(variables[name]):
            python, json = inspect(part), _json(part)
            if python != json:
                replacements.setdefault(python, json)
    for python in sorted(replacements, key=len, reverse=True):  # a whole value before its parts
        detail = detail.replace(python, replacements[python])
    detail = re.sub(r"\bnot to be None\b", "not to be null", detail)
    return prefix + detail
