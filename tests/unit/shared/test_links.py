"""The router's model and the API-schema derivation read spec names from one reader: a
supergraph that renames its specs or imports directives under other names must plan and hide
exactly as one that does not."""

from graphql import parse

from router.supergraph import Supergraph
from shared.links import read_links

RENAMED = '''
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", as: "j", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", import: [{name: "@inaccessible", as: "@hidden"}])
{
  query: Query
}

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @j__graph(name: String!, url: String!) on ENUM_VALUE
directive @j__type(graph: j__Graph!, key: j__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @j__field(graph: j__Graph, requires: j__FieldSet, provides: j__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @hidden on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

scalar j__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
enum j__Graph {
  A @j__graph(name: "a", url: "http://a")
}

type Query @j__type(graph: A) {
  shown: String @j__field(graph: A)
  secret: String @j__field(graph: A) @hidden
}
'''


def test_renamed_specs_and_imports_are_read_under_their_local_names() -> None:
    links = read_links(parse(RENAMED))
    assert links.features["join"].alias == "j" and links.features["join"].version == (0, 3)
    assert links.directive("join", "field") == "j__field"
    assert links.prefix("join") == "j__"
    assert links.directive("inaccessible", "inaccessible") == "hidden"
    assert links.inaccessible == "hidden"
    assert links.linked_directive("inaccessible") == "hidden"
    assert links.linked_directive("cost") is None
    assert links.linked("j__Graph") and links.linked("link__Import") and not links.linked("Query")


def test_the_router_plans_a_renamed_supergraph_and_hides_what_it_hides() -> None:
    sg = Supergraph(RENAMED)
    assert sg.join_version == (0, 3)
    assert set(sg.graphs) == {"A"}
    query = sg.api_schema.query_type
    assert query is not None and set(query.fields) == {"shown"}
    assert sg.api_schema.get_type("j__Graph") is None
