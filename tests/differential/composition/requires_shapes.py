"""Generated federations whose `@requires` field sets select through abstract types.

Subgraph `shapes` owns `Item @key(id) { shape: Shape }`; subgraph `pricing` declares
`shape` `@external` and `price @requires(fields: ...)` with a generated field set:
inline fragments on the implementations of `Shape` (interface or union), fragments on a
second interface (`Polygon`) and on `Shape` itself, nested object and interface fields
under them, `__typename`, and interface-level fields. Where the implementations' own
fields live varies too: on `shapes` as value types, or in a third subgraph `geometry` that
owns them as entities; and in some, nothing can serve the requirement at all. Deterministic per seed: a tool for `make`-free exploration
(`python -m tests.differential.composition.requires_shapes --cases 200`) and the input of
the differential test, which needs both composers to agree on every case.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field

from .oracle import Case, fixture_url

HEADER = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",'
    ' import: ["@key", "@shareable", "@external", "@requires"])\n'
)
# Implementations of Shape, their own fields (field -> type) and whether they are Polygons.
IMPLEMENTATIONS: dict[str, dict[str, str]] = {
    "Circle": {"radius": "Float", "center": "Point"},
    "Square": {"side": "Length", "sides": "Int"},
    "Triangle": {"base": "Float", "corners": "[Point]", "sides": "Int"},
}
POLYGONS = ("Square", "Triangle")
VALUES: dict[str, dict[str, str]] = {"Length": {"length": "Float", "unit": "String"}}
POINTS: dict[str, dict[str, str]] = {"P2": {"x": "Float", "y": "Float"}, "P3": {"x": "Float", "y": "Float", "z": "Float"}}
SHAPE_FIELDS = {"id": "ID!", "area": "Float"}


@dataclass
class Used:
    """What a field set selects: (type, field) pairs, and the types it names."""

    fields: set[tuple[str, str]] = field(default_factory=set)
    types: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Variant:
    union: bool  # Shape is a union (no interface-level fields) rather than an interface
    entities: bool  # the implementations' own fields come from `geometry`, through their keys
    wrapper: str  # the type of Item.shape: Shape, [Shape] or Shape!
    # `shapes` declares Item's key `resolvable: false`: nothing can fetch `shape` for
    # `pricing`, so the @requires is unsatisfiable and both composers must say so.
    unreachable: bool = False


def _fields_of(type_name: str, rng: random.Random, used: Used, depth: int) -> str:
    """A non-empty selection of an object type's fields (with sub-selections)."""
    if type_name in IMPLEMENTATIONS:
        own = dict(IMPLEMENTATIONS[type_name])
    elif type_name in VALUES:
        own = dict(VALUES[type_name])
    else:
        own = dict(POINTS[type_name])
    names = sorted(own)
    chosen = rng.sample(names, rng.randint(1, len(names)))
    parts = []
    for name in chosen:
        used.fields.add((type_name, name))
        base = own[name].strip("[]!")
        if base == "Point":
            parts.append(f"{name} {{ {_point(rng, used, depth + 1)} }}")
        elif base in VALUES:
            used.types.add(base)
            parts.append(f"{name} {{ {_fields_of(base, rng, used, depth + 1)} }}")
        else:
            parts.append(name)
    return " ".join(parts)


def _point(rng: random.Random, used: Used, depth: int) -> str:
    used.types.add("Point")
    parts = []
    if rng.random() < 0.5:
        used.fields.add(("Point", "x"))
        parts.append("x")
    for impl in sorted(POINTS):
        if rng.random() < 0.6 or not parts:
            used.types.add(impl)
            parts.append(f"... on {impl} {{ {_fields_of(impl, rng, used, depth)} }}")
    return " ".join(parts)


def field_set(variant: Variant, rng: random.Random) -> tuple[str, Used]:
    """The `shape { ... }` field set, and what it uses."""
    used = Used(types={"Shape"})
    parts: list[str] = []
    if rng.random() < 0.3:
        parts.append("__typename")
    if not variant.union and rng.random() < 0.4:
        used.fields.add(("Shape", "area"))
        parts.append("area")
    impls = sorted(rng.sample(sorted(IMPLEMENTATIONS), rng.randint(1, len(IMPLEMENTATIONS))))
    fragments = []
    for impl in impls:
        used.types.add(impl)
        inner = _fields_of(impl, rng, used, 1)
        if rng.random() < 0.2:
            inner = "__typename " + inner
        fragments.append((impl, f"... on {impl} {{ {inner} }}"))
    if rng.random() < 0.4:
        # Some fragments go under `... on Polygon` (an interface every polygon implements).
        inside = [text for impl, text in fragments if impl in POLYGONS and rng.random() < 0.7]
        if inside:
            used.types.add("Polygon")
            head = ""
            if rng.random() < 0.5:
                used.fields.add(("Polygon", "sides"))
                head = "sides "
            fragments = [(i, t) for i, t in fragments if t not in inside] + [("Polygon", f"... on Polygon {{ {head}{' '.join(inside)} }}")]
    parts += [text for _, text in fragments]
    body = " ".join(parts)
    if rng.random() < 0.2:
        body = f"... on Shape {{ {body} }}"
    return f"shape {{ {body} }}", used


def _impl_line(name: str, fields: dict[str, str], interfaces: list[str], directives: str = "") -> str:
    implements = (" implements " + " & ".join(interfaces)) if interfaces else ""
    body = " ".join(f"{f}: {t}" for f, t in fields.items())
    return f"type {name}{implements}{directives} {{ {body} }}"


def _interfaces(variant: Variant, impl: str, declared: set[str]) -> list[str]:
    out = [] if variant.union else ["Shape"]
    if impl in POLYGONS and "Polygon" in declared:
        out.append("Polygon")
    return out


def _abstract_lines(variant: Variant, impls: list[str], polygon: bool) -> list[str]:
    if variant.union:
        lines = [f"union Shape = {' | '.join(impls)}"]
    else:
        lines = ["interface Shape { " + " ".join(f"{f}: {t}" for f, t in SHAPE_FIELDS.items()) + " }"]
    if polygon:
        lines.append("interface Polygon { sides: Int }")
    return lines


def shapes_subgraph(variant: Variant) -> str:
    impls = sorted(IMPLEMENTATIONS)
    key = '"id", resolvable: false' if variant.unreachable else '"id"'
    lines = [HEADER, "type Query { items: [Item] }", f"type Item @key(fields: {key}) {{ id: ID! shape: {variant.wrapper} }}"]
    lines += _abstract_lines(variant, impls, True)
    declared = {"Polygon"}
    for impl in impls:
        fields = dict(SHAPE_FIELDS)
        key = ' @key(fields: "id")' if variant.entities else ""
        if not variant.entities:
            fields.update(IMPLEMENTATIONS[impl])
        elif impl in POLYGONS:
            fields["sides"] = "Int"  # Polygon's field, served here
        lines.append(_impl_line(impl, fields, _interfaces(variant, impl, declared), key))
    lines.append(_impl_line("Length", VALUES["Length"], [], " @shareable"))
    lines.append("interface Point { x: Float }")
    for p, fields in POINTS.items():
        lines.append(_impl_line(p, fields, ["Point"], " @shareable"))
    return "\n".join(lines) + "\n"


def geometry_subgraph(variant: Variant) -> str:
    lines = [HEADER]
    for impl, fields in IMPLEMENTATIONS.items():
        own = {"id": "ID!", **{f: t for f, t in fields.items() if f != "sides"}}
        lines.append(_impl_line(impl, own, [], ' @key(fields: "id")'))
    lines.append(_impl_line("Length", VALUES["Length"], [], " @shareable"))
    lines.append("interface Point { x: Float }")
    for p, fields in POINTS.items():
        lines.append(_impl_line(p, fields, ["Point"], " @shareable"))
    return "\n".join(lines) + "\n"


def pricing_subgraph(variant: Variant, requires: str, used: Used, rng: random.Random) -> str:
    """Declares exactly what the field set needs, all @external (plus what interfaces need)."""
    impls = sorted(t for t in used.types if t in IMPLEMENTATIONS)
    if not variant.union and rng.random() < 0.3:
        impls = sorted(IMPLEMENTATIONS)  # also the implementations the field set does not name
    polygon = "Polygon" in used.types
    escaped = requires.replace('"', '\\"')
    lines = [
        HEADER,
        f'type Item @key(fields: "id") {{ id: ID! shape: {variant.wrapper} @external'
        f' price: Float @requires(fields: "{escaped}") }}',
    ]
    lines += _abstract_lines(variant, impls, polygon)
    declared = {"Polygon"} if polygon else set()
    for impl in impls:
        fields: dict[str, str] = {} if variant.union else dict(SHAPE_FIELDS)
        if polygon and impl in POLYGONS:
            fields["sides"] = "Int"
        for (t, f) in sorted(used.fields):
            if t == impl:
                fields[f] = IMPLEMENTATIONS[impl][f]
        body = {f: f"{t} @external" for f, t in fields.items()}
        lines.append(_impl_line(impl, body, _interfaces(variant, impl, declared)))
    if "Length" in used.types:
        own = [f for (t, f) in sorted(used.fields) if t == "Length"]
        lines.append("type Length { " + " ".join(f"{f}: {VALUES['Length'][f]} @external" for f in own) + " }")
    if "Point" in used.types:
        lines.append("interface Point { x: Float }")
        for p in sorted(POINTS):
            if p in used.types or ("Point", "x") in used.fields:
                own = sorted({f for (t, f) in used.fields if t == p} | {"x"})  # `x`: Point's field
                lines.append(_impl_line(p, {f: "Float @external" for f in own}, ["Point"]))
    return "\n".join(lines) + "\n"


def generate_case(rng: random.Random, name: str) -> Case:
    variant = Variant(
        union=rng.random() < 0.3, entities=rng.random() < 0.4, wrapper=rng.choice(["Shape", "[Shape]", "Shape!"]),
        unreachable=rng.random() < 0.15,
    )
    requires, used = field_set(variant, rng)
    subgraphs = {"shapes": shapes_subgraph(variant), "pricing": pricing_subgraph(variant, requires, used, rng)}
    if variant.entities:
        subgraphs["geometry"] = geometry_subgraph(variant)
    return Case(name, tuple((n, fixture_url(n), sdl) for n, sdl in sorted(subgraphs.items())))


def generate_cases(count: int, seed: int = 1) -> list[Case]:
    rng = random.Random(seed)
    return [generate_case(rng, f"requires_shape_{seed}_{n}") for n in range(count)]


def agree(ok: bool, sdl: str | None, codes: list[str], apollo: dict) -> bool:
    """Same outcome: both accept with byte-identical supergraphs, or both reject with the same codes."""
    if ok != apollo["ok"]:
        return False
    if ok:
        return sdl == apollo["supergraph"]
    return codes == sorted({e["code"] for e in apollo["errors"]})


def main() -> None:
    from supergraph.compose import SubgraphInput, compose

    from .oracle import apollo_compose

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--show", type=int, default=2)
    args = parser.parse_args()
    cases = generate_cases(args.cases, args.seed)
    theirs = apollo_compose(cases)
    counts = {"both accept": 0, "both reject": 0, "differ": 0}
    shown = 0
    for case in cases:
        ours = compose([SubgraphInput(*s) for s in case.subgraphs])
        apollo = theirs[case.name]
        same = agree(ours.ok, ours.supergraph_sdl, sorted({e.code for e in ours.errors}), apollo)
        counts["differ" if not same else "both accept" if ours.ok else "both reject"] += 1
        if not same and shown < args.show:
            shown += 1
            print(f"===== {case.name}: ours {ours.ok} apollo {apollo['ok']}")
            for e in ours.errors[:2]:
                print("  ours:  ", e.code, e.message[:400])
            for e in apollo["errors"][:2]:
                print("  apollo:", e["code"], e["message"][:400])
            for sub, _, sdl in case.subgraphs:
                print(f"--- {sub}\n{sdl}")
    print(counts)


if __name__ == "__main__":
    main()
