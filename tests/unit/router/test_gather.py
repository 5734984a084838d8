"""Generated representation gathering gives what the generic walk gives: the same
representations in the same order, the same working-data objects behind each."""

import random
from typing import Any

import orjson

from router.executor.gather import compile_gather, objects
from router.executor.merge import collect, read_representation
from router.planner.plan import Call, Target


def generic(call: Call, data: dict) -> tuple[list, list]:
    """The executor's walk before it was compiled (`collect` + `read_representation`)."""
    reps: list = []
    index: dict[Any, int] = {}
    targets: list = []
    for t in call.targets:
        anytype = t.inputs.get(None)
        for obj in collect(data, t.path):
            spec = t.inputs.get(obj.get("__typename")) or anytype
            if spec is None:
                continue
            rep = read_representation(obj, spec[1], spec[0])
            if rep is None:
                continue
            k: Any = (id(spec), *rep.values())
            try:
                i = index.get(k)
            except TypeError:
                k = orjson.dumps(rep)
                i = index.get(k)
            if i is None:
                index[k] = len(reps)
                reps.append(rep)
                targets.append([obj])
            else:
                targets[i].append(obj)
    return reps, targets


def same(call: Call, data: dict) -> int:
    a_reps, a_targets = generic(call, data)
    b_reps, b_targets = compile_gather(call)(data)
    assert orjson.dumps(a_reps) == orjson.dumps(b_reps)
    # one object stands alone, several are a list (the merge loop tells them apart by type)
    assert all(type(t) is dict or (type(t) is list and len(t) > 1) for t in b_targets)
    assert [[id(o) for o in objs] for objs in a_targets] == [[id(o) for o in objects(t)] for t in b_targets]
    return sum(len(objs) for objs in a_targets)


def _value(rng: random.Random, depth: int) -> Any:
    r = rng.random()
    if depth > 4 or r < 0.2:
        return rng.choice([None, 1, 2, "a", [1], {"x": 1}])
    if r < 0.55:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    obj = {k: _value(rng, depth + 1) for k in ("a", "b", "id") if rng.random() < 0.8}
    if rng.random() < 0.8:
        obj["__typename"] = rng.choice(["A", "B", "C"])
    return obj


def _call(rng: random.Random) -> Call:
    targets = []
    for _ in range(rng.randint(1, 3)):
        path = tuple(rng.choice(["a", "b", "@", "@", frozenset({"A", "B"})]) for _ in range(rng.randint(0, 4)))
        flat = (("id", "id", None),)
        nested = (("id", "id", None), ("a", "a", (("x", "x", None),)))
        inputs: dict = {}
        for tn in rng.sample([None, "A", "B"], rng.randint(1, 3)):
            inputs[tn] = (rng.choice(["A", "B"]), rng.choice([flat, nested, ()]))
        targets.append(Target(path, inputs))
    return Call("_entities", "representations", targets)


def test_same_as_the_generic_walk_on_random_data():
    rng = random.Random(11)
    found = 0
    for _ in range(300):
        call = _call(rng)
        for _ in range(8):
            data = _value(rng, 0)
            if type(data) is dict:
                found += same(call, data)
    assert found > 200  # the data does hold entities at the paths


def test_hostile_keys_are_constants():
    evil = "a')\nimport os\nos._exit(3)\n#"
    call = Call("_entities", "representations", [Target((evil, "@"), {evil: (evil, ((evil, evil, None),))})])
    data = {evil: [{"__typename": evil, evil: 1}, {"__typename": evil, evil: 1}, None]}
    same(call, data)
    assert compile_gather(call)(data)[0] == [{"__typename": evil, evil: 1}]


def test_deep_paths_fall_back_to_the_generic_walk():
    path = ("a", "@") * 20
    call = Call("_entities", "representations", [Target(path, {None: ("A", (("id", "id", None),))})])
    data: dict = {"id": 1}
    for _ in range(20):
        data = {"a": [data]}
    same(call, data)
    assert compile_gather(call)(data)[0] == [{"__typename": "A", "id": 1}]
