"""Batched loading: N entity references in one request cost one `$in` query, not N.

Batches are capped (MAX_BATCH): the embedded store gets slow with hundreds of ids in one
`$in`, and a cap keeps any single query bounded on real MongoDB too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Hashable, TypeVar

from beanie import Document, SortDirection
from strawberry.dataloader import DataLoader

MAX_BATCH = 100

D = TypeVar("D", bound=Document)


def load_by_key(
    model: type[D],
    *,
    field: str = "_id",
    to_db: Callable[[str], Any] = lambda key: key,
) -> DataLoader[str, D | None]:
    """Documents by a unique key, in the order asked; None where nothing matches."""

    async def load(keys: list[str]) -> list[D | None]:
        wanted = {key: to_db(key) for key in keys}
        values = [value for value in wanted.values() if value is not None]
        found: dict[Hashable, D] = {}
        if values:
            for document in await model.find({field: {"$in": values}}).to_list():
                found[_field_value(document, field)] = document
        return [found.get(wanted[key]) if wanted[key] is not None else None for key in keys]

    return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)


def load_groups(
    model: type[D],
    *,
    field: str,
    sort: list[tuple[str, SortDirection]] | None = None,
    extra_filter: dict[str, Any] | None = None,
) -> DataLoader[str, list[D]]:
    """All documents whose `field` equals each key (a one-to-many relation), in one query."""

    async def load(keys: list[str]) -> list[list[D]]:
        groups: dict[Any, list[D]] = defaultdict(list)
        query = {field: {"$in": list(dict.fromkeys(keys))}, **(extra_filter or {})}
        cursor = model.find(query)
        if sort:
            cursor = cursor.sort(sort)
        for document in await cursor.to_list():
            groups[_field_value(document, field)].append(document)
        return [groups.get(key, []) for key in keys]

    return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)


def _field_value(document: Document, field: str) -> Any:
    if field == "_id":
        return document.id
    return getattr(document, field)
