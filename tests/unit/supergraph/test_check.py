"""Schema checks: classification of changes, operation-based checks, acknowledgements."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse

from supergraph.check import (
    BREAKING,
    DANGEROUS,
    SAFE,
    StoredOperation,
    check,
    diff_schemas,
    format_text,
    load_acknowledgements,
)

BASE = """
type Query {
  user(id: ID!): User
  users(first: Int = 10, filter: UserFilter): [User!]!
  search(term: String!): [Result!]!
}
type User implements Node { id: ID!, name: String!, nick: String, role: Role!, email: String }
type Team implements Node { id: ID!, size: Int }
interface Node { id: ID! }
union Result = User | Team
enum Role { ADMIN MEMBER }
input UserFilter { role: Role, name: String }
"""


def changes_between(old: str, new: str) -> list[tuple[str, str, str]]:
    return [(c.level, c.code, c.coordinate) for c in diff_schemas(build_schema(old), build_schema(new))]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("name: String!, nick", "nick", (BREAKING, "FIELD_REMOVED", "User.name")),
        ("name: String!", "name: String", (BREAKING, "FIELD_TYPE_CHANGED", "User.name")),
        ("nick: String", "nick: String!", (SAFE, "FIELD_TYPE_CHANGED", "User.nick")),
        ("nick: String", "nick: Int", (BREAKING, "FIELD_TYPE_CHANGED", "User.nick")),
        ("email: String }", "email: String, age: Int }", (SAFE, "FIELD_ADDED", "User.age")),
        ("user(id: ID!)", "user(id: ID!, tenant: String!)", (BREAKING, "REQUIRED_ARG_ADDED", "Query.user(tenant:)")),
        ("user(id: ID!)", "user(id: ID!, tenant: String)", (SAFE, "OPTIONAL_ARG_ADDED", "Query.user(tenant:)")),
        ("user(id: ID!)", "user(id: ID)", (SAFE, "ARG_TYPE_CHANGED", "Query.user(id:)")),
        ("search(term: String!)", "search(term: Int!)", (BREAKING, "ARG_TYPE_CHANGED", "Query.search(term:)")),
        ("users(first: Int = 10, filter", "users(first: Int, filter", (DANGEROUS, "ARG_DEFAULT_CHANGED", "Query.users(first:)")),
        ("users(first: Int = 10, filter: UserFilter)", "users(first: Int = 10)", (BREAKING, "ARG_REMOVED", "Query.users(filter:)")),
        ("enum Role { ADMIN MEMBER }", "enum Role { ADMIN }", (BREAKING, "ENUM_VALUE_REMOVED", "Role.MEMBER")),
        ("enum Role { ADMIN MEMBER }", "enum Role { ADMIN MEMBER GUEST }", (DANGEROUS, "ENUM_VALUE_ADDED", "Role.GUEST")),
        ("union Result = User | Team", "union Result = User", (BREAKING, "UNION_MEMBER_REMOVED", "Result.Team")),
        ("union Result = User", "union Result = User | Team", None),
        ("input UserFilter { role: Role, name: String }", "input UserFilter { role: Role, name: String, org: ID! }",
         (BREAKING, "REQUIRED_INPUT_FIELD_ADDED", "UserFilter.org")),
        ("input UserFilter { role: Role, name: String }", "input UserFilter { role: Role, name: String, org: ID }",
         (SAFE, "OPTIONAL_INPUT_FIELD_ADDED", "UserFilter.org")),
        ("input UserFilter { role: Role, name: String }", "input UserFilter { role: Role }",
         (BREAKING, "INPUT_FIELD_REMOVED", "UserFilter.name")),
        ("type Team implements Node {", "type Team {", (BREAKING, "IMPLEMENTED_INTERFACE_REMOVED", "Team")),
        ("nick: String", 'nick: String @deprecated(reason: "use name")', (SAFE, "DEPRECATION_ADDED", "User.nick")),
        ("type Team implements Node", '"A team"\ntype Team implements Node', (SAFE, "DESCRIPTION_CHANGED", "Team")),
    ],
)
def test_change_classification(before: str, after: str, expected: tuple[str, str, str] | None) -> None:
    old = BASE if expected is not None else BASE.replace("union Result = User | Team", "union Result = User")
    new = old.replace(before, after, 1)
    assert new != old
    found = changes_between(old, new)
    if expected is None:
        assert found == [(DANGEROUS, "UNION_MEMBER_ADDED", "Result.Team")]
    else:
        assert expected in found, found


def test_removed_type_and_identical_schemas() -> None:
    assert changes_between(BASE, BASE) == []
    without_team = BASE.replace("type Team implements Node { id: ID!, size: Int }\n", "").replace("User | Team", "User")
    found = changes_between(BASE, without_team)
    assert (BREAKING, "TYPE_REMOVED", "Team") in found
    assert (BREAKING, "UNION_MEMBER_REMOVED", "Result.Team") in found


def op(name: str, text: str) -> StoredOperation:
    return StoredOperation(name, parse(text))


def test_operation_based_check_fails_only_for_used_breaking_changes() -> None:
    old = build_schema(BASE)
    new = build_schema(BASE.replace("nick: String, ", "").replace("email: String", "email: String!"))
    ops = [op("me.graphql (Me)", "query Me { user(id: 1) { id name } }")]
    result = check(old, new, ops)
    removed = next(c for c in result.changes if c.code == "FIELD_REMOVED")
    assert removed.coordinate == "User.nick" and removed.operations == []
    assert result.passed
    assert "BREAKING (unused)" in format_text(result)

    ops.append(op("nick.graphql (Nick)", "query Nick { users { nick } }"))
    result = check(old, new, ops)
    assert not result.passed
    removed = next(c for c in result.changes if c.code == "FIELD_REMOVED")
    assert removed.operations == ["nick.graphql (Nick)"]
    [broken] = result.broken_operations
    assert broken.name == "nick.graphql (Nick)"
    assert "Cannot query field 'nick' on type 'User'." in broken.errors[0]


def test_operations_see_enum_values_arguments_and_fragments() -> None:
    old = build_schema(BASE)
    new = build_schema(BASE.replace("enum Role { ADMIN MEMBER }", "enum Role { ADMIN }").replace("union Result = User | Team", "union Result = User"))
    ops = [
        op("a", "query A { users(filter: {role: MEMBER}) { id } }"),
        op("b", "query B { search(term: \"x\") { ... on Team { size } } }"),
        op("c", "query C { user(id: 1) { role } }"),
    ]
    result = check(old, new, ops)
    by_code = {c.code: c.operations for c in result.changes}
    assert set(by_code["ENUM_VALUE_REMOVED"]) == {"a", "c"}
    assert by_code["UNION_MEMBER_REMOVED"] == ["b"]


def test_acknowledged_breaking_changes_pass(tmp_path: Path) -> None:
    ack = tmp_path / "ack.txt"
    ack.write_text("# intentional removals\nFIELD_REMOVED User.nick  # nobody uses it\n\n")
    old, new = build_schema(BASE), build_schema(BASE.replace("nick: String, ", ""))
    assert not check(old, new).passed
    result = check(old, new, acknowledged=load_acknowledgements(ack))
    assert result.passed and result.changes[0].acknowledged
    assert load_acknowledgements(tmp_path / "absent.txt") == set()
    ack.write_text("FIELD_REMOVED\n")
    with pytest.raises(ValueError, match="expected `CODE coordinate`"):
        load_acknowledgements(ack)


def test_subgraph_sdls_are_compared_by_their_api() -> None:
    from supergraph.check import load_api_schema

    sdl = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@inaccessible"])\n'
        'type Query { me: User }\ntype User @key(fields: "id") { id: ID!, secret: String @inaccessible }\n'
    )
    api = load_api_schema(sdl)
    assert set(api.type_map) >= {"Query", "User"}
    assert "_Service" not in api.type_map and "secret" not in api.type_map["User"].fields  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="INVALID_GRAPHQL"):
        load_api_schema(sdl.replace("id: ID!", "id: Missing!"))
