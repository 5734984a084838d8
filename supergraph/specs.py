"""The specs a subgraph links and a supergraph declares, as data.

Subgraphs import federation directives through `@link`; we validate them with
graphql-core, which needs the directive definitions, so this module knows each
federation directive's definition per federation version. The supergraph side
(link, join, tag, inaccessible, authorization specs) is printed verbatim, in the
exact words Apollo's composer uses, so that routers recognise the specs.
"""

from __future__ import annotations

from dataclasses import dataclass

FEDERATION_IDENTITY = "https://specs.apollo.dev/federation"
LINK_IDENTITY = "https://specs.apollo.dev/link"
SPECS_HOST = "https://specs.apollo.dev/"

#: Federation 2 versions this composer understands (`@link(url: ".../federation/v2.x")`).
KNOWN_FEDERATION_MINORS = range(0, 15)

# Internal names of the scalar types federation directive arguments use while we
# validate a subgraph with graphql-core (the subgraph's own definitions are dropped).
FIELD_SET = "federation__FieldSet"
SCOPE = "federation__Scope"
POLICY = "federation__Policy"
CONTEXT_FIELD_VALUE = "federation__ContextFieldValue"

ALL_LOCATIONS_TAG = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE"
    " | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
AUTH_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"


@dataclass(frozen=True)
class FederationDirective:
    """One directive of the federation spec: since which version, and how it is declared."""

    name: str
    since: int  # minor version of federation 2 that introduced it
    args: str  # argument list, "" when none
    locations: str
    repeatable: bool = False

    def definition(self, name_in_schema: str, minor: int) -> str:
        args = self.args
        if self.name == "override" and minor < 7:
            args = "(from: String!)"
        repeatable = self.repeatable or (self.name == "shareable" and minor >= 2)
        return f"directive @{name_in_schema}{args}{' repeatable' if repeatable else ''} on {self.locations}"


FEDERATION_DIRECTIVES: dict[str, FederationDirective] = {
    d.name: d
    for d in (
        FederationDirective("key", 0, f"(fields: {FIELD_SET}!, resolvable: Boolean = true)", "OBJECT | INTERFACE", True),
        FederationDirective("requires", 0, f"(fields: {FIELD_SET}!)", "FIELD_DEFINITION"),
        FederationDirective("provides", 0, f"(fields: {FIELD_SET}!)", "FIELD_DEFINITION"),
        FederationDirective("external", 0, "(reason: String)", "OBJECT | FIELD_DEFINITION"),
        FederationDirective("tag", 0, "(name: String!)", ALL_LOCATIONS_TAG + " | SCHEMA", True),
        FederationDirective("extends", 0, "", "OBJECT | INTERFACE"),
        FederationDirective("shareable", 0, "", "OBJECT | FIELD_DEFINITION"),
        FederationDirective("inaccessible", 0, "", ALL_LOCATIONS_TAG),
        FederationDirective("override", 0, "(from: String!, label: String)", "FIELD_DEFINITION"),
        FederationDirective("composeDirective", 1, "(name: String)", "SCHEMA", True),
        FederationDirective("interfaceObject", 3, "", "OBJECT"),
        FederationDirective("authenticated", 5, "", AUTH_LOCATIONS),
        FederationDirective("requiresScopes", 5, f"(scopes: [[{SCOPE}!]!]!)", AUTH_LOCATIONS),
        FederationDirective("policy", 6, f"(policies: [[{POLICY}!]!]!)", AUTH_LOCATIONS),
        FederationDirective("context", 8, "(name: String!)", "INTERFACE | OBJECT | UNION", True),
        FederationDirective("fromContext", 8, f"(field: {CONTEXT_FIELD_VALUE})", "ARGUMENT_DEFINITION"),
        FederationDirective(
            "cost", 9, "(weight: Int!)",
            "ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
        ),
        FederationDirective(
            "listSize", 9,
            "(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true)",
            "FIELD_DEFINITION",
        ),
        FederationDirective("cacheTag", 12, "(format: String!)", "OBJECT | FIELD_DEFINITION", True),
    )
}

#: What a Federation 1 subgraph (no `@link`) may use without declaring it.
FEDERATION1_DIRECTIVES = ("key", "requires", "provides", "external", "tag", "extends", "inaccessible")

#: Types that federation owns in a subgraph (the subgraph's own definitions of them are dropped).
FEDERATION_TYPE_NAMES = ("FieldSet", "Scope", "Policy", "ContextFieldValue")

#: Federation directives whose applications are carried into the supergraph.
#: Ordered as the federation spec registers them: Apollo links the specs in this order.
MERGED_DIRECTIVES = (
    "tag", "inaccessible", "authenticated", "requiresScopes", "policy", "context", "cost", "listSize",
)

#: Merged directives that may be applied several times to one element (all distinct applications are kept).
REPEATABLE_MERGED_DIRECTIVES = ("tag", "context")

#: Directives that gate access: applied on a type, they propagate to the interfaces it implements.
ACCESS_CONTROL_DIRECTIVES = ("authenticated", "requiresScopes", "policy")

GRAPHQL_BUILTIN_DIRECTIVES = ("deprecated", "specifiedBy", "include", "skip", "oneOf")

EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT", "VARIABLE_DEFINITION",
    }
)


def federation_definitions(names: dict[str, str], minor: int) -> str:
    """SDL declaring every federation directive available at `minor`, under its name in the schema."""
    lines = [
        f"scalar {FIELD_SET}",
        f"scalar {SCOPE}",
        f"scalar {POLICY}",
        f"scalar {CONTEXT_FIELD_VALUE}",
        "scalar link__Import",
        "enum link__Purpose { SECURITY EXECUTION }",
        "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA",
    ]
    for spec in FEDERATION_DIRECTIVES.values():
        if spec.since <= minor and spec.name in names:
            lines.append(spec.definition(names[spec.name], minor))
    return "\n".join(lines)


# --- supergraph side -------------------------------------------------------------------


@dataclass(frozen=True)
class SupergraphSpec:
    """A spec linked from the supergraph: its `@link` and the definitions it brings."""

    url: str
    purpose: str | None
    directives: dict[str, str]  # directive name -> definition (all of them are defined when the spec is linked)
    types: dict[str, str]  # type name -> definition

    @property
    def name(self) -> str:
        """The spec's own name: its directive of that name needs no import (`@tag` of the tag spec)."""
        return self.url.rstrip("/").split("/")[-2]


LINK_PURPOSE = '''enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}'''

LINK_SPEC = SupergraphSpec(
    url="https://specs.apollo.dev/link/v1.0",
    purpose=None,
    directives={
        "link": "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA"
    },
    types={"link__Import": "scalar link__Import", "link__Purpose": LINK_PURPOSE},
)


def join_spec(minor: int) -> SupergraphSpec:
    """join v0.3 (federation 2.0-2.6), v0.4 (2.7: progressive override) or v0.5 (2.8+)."""
    field_args = (
        "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, "
        "external: Boolean, override: String, usedOverridden: Boolean"
    )
    if minor >= 4:
        field_args += ", overrideLabel: String"
    if minor >= 5:
        field_args += ", contextArguments: [join__ContextArgument!]"
    directives = {
        "join__enumValue": "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
        "join__field": f"directive @join__field({field_args}) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION",
        "join__graph": "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "join__implements": (
            "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE"
        ),
        "join__type": (
            "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, "
            "resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE"
            " | UNION | ENUM | INPUT_OBJECT | SCALAR"
        ),
        "join__unionMember": (
            "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION"
        ),
    }
    types = {"join__FieldSet": "scalar join__FieldSet"}
    if minor >= 4:
        directives["join__directive"] = (
            "directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments)"
            " repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION"
        )
        types["join__DirectiveArguments"] = "scalar join__DirectiveArguments"
    if minor >= 5:
        types["join__ContextArgument"] = (
            "input join__ContextArgument {\n  name: String!\n  type: String!\n  context: String!\n"
            "  selection: join__FieldValue!\n}"
        )
        types["join__FieldValue"] = "scalar join__FieldValue"
    return SupergraphSpec(f"https://specs.apollo.dev/join/v0.{minor}", "EXECUTION", directives, types)


def join_minor_for(federation_minor: int) -> int:
    """The join spec version Apollo's composer picks for the newest federation version linked."""
    if federation_minor >= 8:
        return 5
    if federation_minor >= 7:
        return 4
    return 3


MERGED_SPECS: dict[str, SupergraphSpec] = {
    "tag": SupergraphSpec(
        "https://specs.apollo.dev/tag/v0.3",
        None,
        {"tag": f"directive @tag(name: String!) repeatable on {ALL_LOCATIONS_TAG} | SCHEMA"},
        {},
    ),
    "inaccessible": SupergraphSpec(
        "https://specs.apollo.dev/inaccessible/v0.2",
        "SECURITY",
        {"inaccessible": f"directive @inaccessible on {ALL_LOCATIONS_TAG}"},
        {},
    ),
    "authenticated": SupergraphSpec(
        "https://specs.apollo.dev/authenticated/v0.1",
        "SECURITY",
        {"authenticated": f"directive @authenticated on {AUTH_LOCATIONS}"},
        {},
    ),
    "requiresScopes": SupergraphSpec(
        "https://specs.apollo.dev/requiresScopes/v0.1",
        "SECURITY",
        {
            "requiresScopes": (
                f"directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on {AUTH_LOCATIONS}"
            )
        },
        {"requiresScopes__Scope": "scalar requiresScopes__Scope"},
    ),
    "policy": SupergraphSpec(
        "https://specs.apollo.dev/policy/v0.1",
        "SECURITY",
        {"policy": f"directive @policy(policies: [[policy__Policy!]!]!) on {AUTH_LOCATIONS}"},
        {"policy__Policy": "scalar policy__Policy"},
    ),
}

COST_SPEC = SupergraphSpec(
    "https://specs.apollo.dev/cost/v0.1",
    None,
    {
        "cost": (
            "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION"
            " | OBJECT | SCALAR"
        ),
        "listSize": (
            "directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!],"
            " requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION"
        ),
    },
    {},
)
CONTEXT_SPEC = SupergraphSpec(
    "https://specs.apollo.dev/context/v0.1",
    "SECURITY",
    {
        "context": "directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION",
        # never carried into the supergraph (the arguments are in @join__field), but defined with the spec
        "fromContext": "directive @fromContext(field: context__ContextFieldValue) on ARGUMENT_DEFINITION",
    },
    {"context__ContextFieldValue": "scalar context__ContextFieldValue"},
)
MERGED_SPECS["context"] = CONTEXT_SPEC
MERGED_SPECS["cost"] = COST_SPEC
MERGED_SPECS["listSize"] = COST_SPEC
