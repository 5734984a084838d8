"""Generated federations using `@context` / `@fromContext`, for both composers to agree on.

Subgraph `pricing` owns `Item @key(id) { price(currency: String @fromContext(...)) }` and sets
the context on a type above it; subgraph `orgs` owns the entry point (`Query.orgs`,
`Query.node` or `Query.owner`). What varies:

- the type setting the context: an object (`Org`), an interface (`Node`: `Team`, `Group`)
  or a union (`Owner = Team | Person`);
- the selection: one field, a nested field (`settings { currency }`), or inline fragments
  per type;
- where the selected value lives: in `pricing`, `@external` there and served by `orgs`
  through a key, or `@external` with no resolvable key anywhere (unsatisfiable);
- the path from the context to `Item`: a field of the context's type itself or one level
  below (`shelf { items }`), in `pricing` or in `orgs`; sometimes also a root field
  reaching `Item` with no context above (unsatisfiable);
- a second contextual argument, from a second context;
- mistakes: a default value, a context name with an underscore, an unknown context, no
  resolvable key on `Item`, a non-null or list argument, auth requirements the field lacks,
  and `orgs` setting a context of the same name on the same type.

Deterministic per seed (`python -m tests.differential.composition.context_shapes --cases 50`
prints a sample); the differential test composes a few hundred with both composers.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass

from .oracle import Case, fixture_url

SETTERS = ("object", "interface", "union")
SELECTIONS = ("field", "nested", "fragments")
SOURCES = ("local", "external", "unreachable")
MISTAKES = ("default", "underscore", "unknown", "no_key", "non_null", "list", "auth", "auth_ok", "same_name")
# The object types under the context's type, per kind.
MEMBERS = {"object": ("Org",), "interface": ("Team", "Group"), "union": ("Team", "Person")}
ENTRY = {"object": "orgs: [Org]", "interface": "node: Node", "union": "owner: Owner"}


@dataclass(frozen=True)
class Shape:
    setter: str
    selection: str
    source: str
    through: bool  # Item is reached one level below the context's type (`shelf { items }`)
    path_in_orgs: bool  # the fields leading to Item are orgs' (else pricing's)
    root_item: bool  # pricing also has `Query.item`: a path to Item with no context above
    second: bool  # a second contextual argument, from a second context
    mistake: str | None

    @property
    def name(self) -> str:
        parts = [self.setter, self.selection, self.source, "through" if self.through else "direct",
                 "orgs_path" if self.path_in_orgs else "pricing_path"]
        if self.root_item:
            parts.append("root_item")
        if self.second:
            parts.append("two_args")
        if self.mistake:
            parts.append(self.mistake)
        return "_".join(parts)


def _header(imports: list[str]) -> str:
    quoted = ", ".join(f'"@{i}"' for i in imports)
    return f'extend schema @link(url: "https://specs.apollo.dev/federation/v2.8", import: [{quoted}])\n'


class _Builder:
    def __init__(self, shape: Shape) -> None:
        self.s = shape
        self.context = "org_ctx" if shape.mistake == "underscore" else "org"

    # -- what pricing reads -------------------------------------------------------------

    def selection(self) -> str:
        s = self.s
        if s.selection == "fragments":
            return " " + " ".join(f"... on {m} {{ currency }}" for m in MEMBERS[s.setter])
        if s.selection == "nested" and s.setter == "object":
            return " { settings { currency } }"
        return " { currency }"

    def argument_type(self) -> str:
        return {"non_null": "String!", "list": "[String]"}.get(self.s.mistake or "", "String")

    def price(self) -> str:
        s = self.s
        reference = "nope" if s.mistake == "unknown" else self.context
        default = ' = "EUR"' if s.mistake == "default" else ""
        args = [f'currency: {self.argument_type()}{default} @fromContext(field: "${reference}{self.selection()}")']
        if s.second:
            args.append('region: String @fromContext(field: "$zone { region }")')
        auth = " @authenticated" if s.mistake == "auth_ok" else ""
        return f"price({', '.join(args)}): Int{auth}"

    def value_fields(self, in_pricing: bool) -> list[str]:
        """The fields the selection reads, on each object type under the context's type."""
        s = self.s
        external = in_pricing and s.source != "local"
        mark = " @external" if external else ""
        if s.selection == "nested" and s.setter == "object":
            return [f"settings: Settings{mark}"]
        return [f"currency: String{mark}"]

    def uses_settings(self) -> bool:
        return self.s.selection == "nested" and self.s.setter == "object"

    def path_fields(self, type_name: str) -> list[str]:
        return ["shelf: Shelf"] if self.s.through else [("items: [Item]" if type_name == "Org" else "item: Item")]

    # -- the subgraphs --------------------------------------------------------------------

    def pricing(self) -> str:
        s = self.s
        imports = ["key", "context", "fromContext", "external", "shareable"]
        if s.mistake in ("auth", "auth_ok"):
            imports.append("authenticated")
        out = [_header(imports)]
        contexts = f' @context(name: "{self.context}")'
        zone = ' @context(name: "zone")' if s.second else ""
        members = MEMBERS[s.setter]
        on_members = (contexts if s.setter == "object" else "") + zone
        auth = " @authenticated" if s.mistake in ("auth", "auth_ok") else ""
        if s.setter == "interface":
            itf_fields = ["id: ID!"] + (["currency: String"] if s.selection != "fragments" else [])
            out.append(f"interface Node{contexts} {{ {' '.join(itf_fields)} }}\n")
        if s.setter == "union":
            out.append(f"union Owner{contexts} = {' | '.join(members)}\n")
        for m in members:
            fields = ["id: ID!"] + self.value_fields(in_pricing=True)
            if s.setter == "interface" and s.selection != "fragments":
                fields = ["id: ID!", "currency: String"]  # interface fields cannot be @external
            if s.second:
                fields.append("region: String")
            if not s.path_in_orgs:
                fields += self.path_fields(m)
            implements = " implements Node" if s.setter == "interface" else ""
            out.append(f'type {m}{implements} @key(fields: "id"){on_members}{auth} {{ {" ".join(fields)} }}\n')
        if self.uses_settings():
            out.append("type Settings @shareable { currency: String }\n")
        if s.through and not s.path_in_orgs:
            out.append("type Shelf { items: [Item] }\n")
        key = '@key(fields: "id", resolvable: false)' if s.mistake == "no_key" else '@key(fields: "id")'
        out.append(f"type Item {key} {{ id: ID! {self.price()} }}\n")
        if s.root_item:
            out.append("type Query { item: Item }\n")
        return "".join(out)

    def orgs(self) -> str:
        s = self.s
        imports = ["key", "shareable"] + (["context"] if s.mistake == "same_name" else [])
        out = [_header(imports)]
        members = MEMBERS[s.setter]
        resolvable = ', resolvable: false' if s.source == "unreachable" else ""
        if s.setter == "interface":
            out.append("interface Node { id: ID! }\n")
        if s.setter == "union":
            out.append(f"union Owner = {' | '.join(members)}\n")
        same = f' @context(name: "{self.context}")' if s.mistake == "same_name" and s.setter == "object" else ""
        for m in members:
            fields = ["id: ID!"]
            if s.source != "local":
                fields += self.value_fields(in_pricing=False)
            if s.path_in_orgs:
                fields += self.path_fields(m)
            implements = " implements Node" if s.setter == "interface" else ""
            out.append(f'type {m}{implements} @key(fields: "id"{resolvable}){same} {{ {" ".join(fields)} }}\n')
        if self.uses_settings() and s.source != "local":
            out.append("type Settings @shareable { currency: String }\n")
        if s.path_in_orgs:
            if s.through:
                out.append("type Shelf { items: [Item] }\n")
            out.append('type Item @key(fields: "id", resolvable: false) { id: ID! }\n')
        out.append(f"type Query {{ {ENTRY[s.setter]} }}\n")
        return "".join(out)

    def case(self) -> Case:
        sdls = {"orgs": self.orgs(), "pricing": self.pricing()}
        return Case(f"ctx_{self.s.name}", tuple((n, fixture_url(n), sdl) for n, sdl in sorted(sdls.items())))


def random_shape(rng: random.Random) -> Shape:
    setter = rng.choice(SETTERS)
    selection = rng.choice(SELECTIONS)
    source = rng.choice(SOURCES)
    if setter == "interface" and selection != "fragments":
        source = "local"  # read on the interface itself, which pricing must resolve
    if setter == "union" and rng.random() < 0.85:
        selection = "fragments"  # a union has no fields to select (the others are mistakes)
    return Shape(setter, selection, source, rng.random() < 0.3, rng.random() < 0.4, rng.random() < 0.15,
                 rng.random() < 0.25, rng.choice(MISTAKES) if rng.random() < 0.3 else None)


def generate_cases(count: int, seed: int = 0) -> list[Case]:
    """`count` distinct federations (fewer if the shapes run out), deterministic per seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    cases: list[Case] = []
    attempts = 0
    while len(cases) < count and attempts < count * 50:
        attempts += 1
        shape = random_shape(rng)
        if shape.name in seen:
            continue
        seen.add(shape.name)
        cases.append(_Builder(shape).case())
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for case in generate_cases(args.cases, args.seed):
        print(f"### {case.name}")
        for name, _, sdl in case.subgraphs:
            print(f"## {name}\n{sdl}")


if __name__ == "__main__":
    main()
