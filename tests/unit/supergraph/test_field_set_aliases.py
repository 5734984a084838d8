"""Field sets of @key, @requires and @provides may not alias a field (anywhere in them)."""

from __future__ import annotations

import pytest

from supergraph import fieldset as fs
from supergraph.compose import compose
from supergraph.errors import Code

from .conftest import fixture_inputs


@pytest.mark.parametrize(("text", "expected"), [
    ("id name", None),
    ("myid: id", ("myid", "myid: id")),
    ('usd: price(currency: "USD") eur: price(currency: "EUR")', ("usd", 'usd: price(currency: "USD")')),
    ("price { amount c: currency }", ("c", "c: currency")),
    ("shape { ... on Circle { r: radius } }", ("r", "r: radius")),
])
def test_the_first_alias_in_reading_order_is_found(text: str, expected: tuple[str, str] | None) -> None:
    assert fs.first_alias(text) == expected


@pytest.mark.parametrize(("case", "code", "message"), [
    ("err_key_fields_alias", Code.KEY_INVALID_FIELDS,
     '[a] On type "Product", for @key(fields: "myid: id"): Cannot use alias "myid" in "myid: id": aliases are not'
     " currently supported in @key"),
    ("err_provides_fields_alias", Code.PROVIDES_INVALID_FIELDS,
     '[b] On field "Query.q", for @provides(fields: "n: name"): Cannot use alias "n" in "n: name": aliases are not'
     " currently supported in @provides"),
    ("err_requires_fields_nested_alias", Code.REQUIRES_INVALID_FIELDS,
     '[b] On field "Product.tax", for @requires(fields: "price { a: amount currency }"): Cannot use alias "a" in'
     ' "a: amount": aliases are not currently supported in @requires'),
])
def test_an_aliased_field_set_is_invalid(case: str, code: str, message: str) -> None:
    result = compose(fixture_inputs(case))
    assert [(e.code, e.message) for e in result.errors] == [(code, message)]
