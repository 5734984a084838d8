"""A large, realistic federation to compose: many subgraphs, thousands of types.

Each subgraph owns entities (`@key(fields: "id")`), value types, enums and input
types; it references entities of other subgraphs through key-only stubs, adds
fields to some of them (entity extensions, some with `@requires`), shares a
few value types (`@shareable`) and exposes root query fields. Deterministic for
a given seed, so runs compare like with like.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

HEADER = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@tag"])\n\n'
)


@dataclass(frozen=True)
class Shape:
    subgraphs: int = 50
    entities: int = 30  # per subgraph
    values: int = 5
    enums: int = 3
    inputs: int = 2
    extensions: int = 6  # entities of other subgraphs a subgraph adds fields to

    @property
    def types(self) -> int:
        return self.subgraphs * (self.entities + self.values + self.enums + self.inputs)


def generate(shape: Shape = Shape(), seed: int = 2024) -> dict[str, str]:
    rng = random.Random(seed)
    n = shape.subgraphs
    out: dict[str, str] = {}
    for i in range(n):
        parts = [HEADER]
        stubs: set[tuple[int, int]] = set()
        extended: set[tuple[int, int]] = set()
        while len(extended) < shape.extensions:
            j = rng.randrange(n)
            if j != i:
                extended.add((j, rng.randrange(shape.entities)))
        queries = []
        for k in range(shape.entities):
            j, m = rng.randrange(n), rng.randrange(shape.entities)
            if j != i:
                stubs.add((j, m))
            value = f"V{i}_{rng.randrange(shape.values)}"
            enum = f"Enum{i}_{rng.randrange(shape.enums)}"
            parts.append(
                f'"""Entity {k} of subgraph {i}."""\n'
                f'type E{i}_{k} @key(fields: "id") {{\n'
                f"  id: ID!\n"
                f"  name: String! @shareable\n"
                f"  count(limit: Int = 10): Int\n"
                f"  status: {enum}!\n"
                f"  details: {value}\n"
                f"  related: E{j}_{m}\n"
                f"  tags: [String!]! @tag(name: \"g{i % 5}\")\n"
                "}\n"
            )
            if k % 3 == 0:
                queries.append(f"  e{i}_{k}(id: ID!): E{i}_{k}")
        for k in range(shape.values):
            parts.append(f"type V{i}_{k} @shareable {{\n  label: String!\n  amount: Float\n  shared: Shared\n}}\n")
        for k in range(shape.enums):
            values = " ".join(f"VALUE_{v}" for v in range(4 + (k % 3)))
            parts.append(f"enum Enum{i}_{k} {{ {values} }}\n")
        for k in range(shape.inputs):
            parts.append(f"input In{i}_{k} {{\n  name: String\n  status: Enum{i}_0\n  first: Int = 20\n}}\n")
        parts.append("type Shared @shareable { note: String }\n")
        queries.append(f"  list{i}(filter: In{i}_0, page: In{i}_1): [E{i}_0!]!")
        parts.append("type Query {\n" + "\n".join(queries) + "\n}\n")
        for j, m in sorted(stubs - extended):
            parts.append(f'type E{j}_{m} @key(fields: "id", resolvable: false) {{ id: ID! }}\n')
        for j, m in sorted(extended):
            parts.append(
                f'type E{j}_{m} @key(fields: "id") {{\n'
                f"  id: ID!\n"
                f"  name: String! @external\n"
                f"  score{i}: Int\n"
                f'  greeting{i}: String @requires(fields: "name")\n'
                "}\n"
            )
        out[f"sub{i:02d}"] = "\n".join(parts)
    return out
