"""The generated shape functions answer exactly what the interpreter (`shape_object`) does."""

import random

from router.executor.shape import (
    DENIED,
    ENUM,
    INVALID,
    LEAF,
    OBJECT,
    TYPENAME,
    Shape,
    compile_shape,
    shape_object,
)
from router.executor.shape_code import Slow, compile_fast_shape_code, compile_shape_code
from router.operation import DocumentCache, prepare_operation
from tests.unit.router.test_shape_and_merge import SG

QUERIES = [
    "{ users { name id } }",
    "{ reviews { id strictFlaky } }",
    '{ review(id: "r1") { id strictFlaky } me { id } }',
    "{ products { __typename upc } }",
]


def both(shape: Shape, data: dict) -> tuple:
    """Both answers with their raw errors (an exception, e.g. an object where an enum value
    belongs, counts as the answer: it must be the same one)."""
    fn = compile_shape_code(shape)
    assert fn is not None
    a_err: list = []
    b_err: list = []
    try:
        a = shape_object(data, shape, None, a_err)
    except TypeError as e:
        a = type(e)
    try:
        b = fn(data, None, b_err)
    except TypeError as e:
        b = type(e)
    return a, a_err, b, b_err


def test_hostile_names_are_constants_not_source():
    evil = "x'] = 1\nimport os\nos._exit(3)\n#"
    inner = Shape(evil, False)
    inner.by_type[evil] = ((evil, LEAF, True, (), None, evil),)
    sh = Shape("Q", False)
    sh.by_type["Q"] = ((evil, OBJECT, False, (), inner, evil), ('"""', TYPENAME, False, (), None, "__typename"))
    a, a_err, b, b_err = both(sh, {evil: {evil: 1}})
    assert a == b == {evil: {evil: 1}, '"""': "Q"}
    a, a_err, b, b_err = both(sh, {evil: {}})
    assert a == b == {evil: None, '"""': "Q"} and a_err == b_err


def _random_value(rng: random.Random, depth: int) -> object:
    r = rng.random()
    if depth > 3 or r < 0.3:
        return rng.choice([None, 1, "a", "B", "Z"])
    if r < 0.6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {k: _random_value(rng, depth + 1) for k in ("a", "b", "c", "__typename") if rng.random() < 0.7}


def _random_shape(rng: random.Random, depth: int) -> Shape:
    abstract = rng.random() < 0.3
    sh = Shape("T", abstract)
    for tname in (["A", "B"] if abstract else ["T"]):
        fields = []
        for key in ("a", "b", "c"):
            kind = rng.choice([LEAF, LEAF, OBJECT, ENUM, TYPENAME, DENIED]) if depth < 3 else LEAF
            wrappers = tuple(rng.random() < 0.5 for _ in range(rng.choice([0, 0, 1, 2])))
            sub = _random_shape(rng, depth + 1) if kind == OBJECT else frozenset({"B", "Z"}) if kind == ENUM else None
            fields.append((key, kind, rng.random() < 0.4, wrappers, sub, key + "_f"))
        sh.by_type[tname] = tuple(fields)
    if abstract:
        sh.fallback = sh.by_type["A"][:1]
        sh.fallback_typename = sh.fallback[0][1] == TYPENAME
    return sh


def test_same_answers_and_errors_as_the_interpreter_on_random_shapes():
    rng = random.Random(7)
    for _ in range(400):
        sh = _random_shape(rng, 0)
        for _ in range(10):
            data = _random_value(rng, 0)
            if type(data) is not dict:
                continue
            a, a_err, b, b_err = both(sh, data)
            assert (a is INVALID) == (b is INVALID) and (a is INVALID or a == b)
            assert a_err == b_err


def test_real_plans_compile():
    for q in QUERIES:
        op = prepare_operation(SG.api_schema, DocumentCache(SG.api_schema).get(q), None, None)
        from router.planner import build_plan

        assert compile_shape_code(compile_shape(build_plan(SG, op).selection)) is not None


def test_fast_functions_answer_as_the_interpreter_or_give_way():
    """The fast function answers only where the interpreter has nothing to report: then with
    the same answer; a null to propagate or a value to drop sends it to the full functions."""
    rng = random.Random(11)
    answered = gave_way = 0
    for _ in range(400):
        sh = _random_shape(rng, 0)
        fast = compile_fast_shape_code(sh)
        assert fast is not None
        for _ in range(10):
            data = _random_value(rng, 0)
            if type(data) is not dict:
                continue
            errors: list = []
            try:
                expected = shape_object(data, sh, None, errors)
            except TypeError:
                continue
            try:
                got = fast(data)
            except Slow:
                gave_way += 1
                continue
            answered += 1
            assert got == expected and expected is not INVALID and errors == []
    assert answered > 200 and gave_way > 500  # a missing key gives way too (fast code subscripts)


def test_a_clean_answer_takes_the_fast_path_and_a_null_the_full_one():
    op = prepare_operation(SG.api_schema, DocumentCache(SG.api_schema).get("{ reviews { id strictFlaky } }"),
                           None, None)
    from router.planner import build_plan

    shape = compile_shape(build_plan(SG, op).selection)
    fast = compile_fast_shape_code(shape)
    full = compile_shape_code(shape)
    assert fast is not None and full is not None
    clean = {"reviews": [{"id": "r1", "strictFlaky": "x", "_p": 1}, {"id": "r2", "strictFlaky": "y"}]}
    assert fast(clean) == {"reviews": [{"id": "r1", "strictFlaky": "x"}, {"id": "r2", "strictFlaky": "y"}]}
    broken = {"reviews": [{"id": "r1", "strictFlaky": "x"}, {"id": "r2", "strictFlaky": None}]}
    try:
        fast(broken)
        raise AssertionError("a null in a non-null field must leave the fast path")
    except Slow:
        pass
    errors: list = []
    assert full(broken, None, errors) is INVALID
    assert [(shape_path(p), k) for p, k, _, _ in errors] == [(["reviews", 1], "strictFlaky")]


def shape_path(p):
    from router.executor.shape import path_list

    return path_list(p)


def test_a_field_missing_from_the_working_data_gives_way_and_is_answered_null():
    """The fast functions read fields by subscript: a missing one (a subgraph that left out a
    nullable field) sends the response to the full functions, which answer it with null."""
    op = prepare_operation(SG.api_schema, DocumentCache(SG.api_schema).get("{ users { legacyScore id } }"), None, None)
    from router.planner import build_plan

    shape = compile_shape(build_plan(SG, op).selection)
    fast = compile_fast_shape_code(shape)
    full = compile_shape_code(shape)
    assert fast is not None and full is not None
    missing = {"users": [{"id": "u1", "legacyScore": 3}, {"id": "u2"}]}
    try:
        fast(missing)
        raise AssertionError("a missing field must leave the fast path")
    except Slow:
        pass
    errors: list = []
    assert full(missing, None, errors) == {"users": [{"legacyScore": 3, "id": "u1"},
                                                   {"legacyScore": None, "id": "u2"}]}
    assert errors == []
