"""A compiled shape as Python code: one generated function per shape, made once per plan.

`shape.shape_object` interprets a `Shape` for every object of every response: per field it
unpacks a tuple and branches on its kind, nullability and list wrappers. The generated code
does those branches once, when the plan is first used: each function reads its fields in a
straight line (`out['name'] = src.get('name')` for a nullable leaf), calls the function of a
sub shape directly and loops over one-level lists inline. It behaves exactly as
`shape_object` does (same results, same raw errors, same null propagation); anything less
common (enum checks, nested lists, lists of leaves that must not hold nulls) goes through
the same helpers `shape.py` uses.

Safety: a name from the supergraph or the operation reaches the source only as the `repr()`
of a `str` (a literal, whatever it holds); any other value (enum value sets, list wrappers)
is a constant in the namespace, referred to as `C[i]`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .shape import (
    DENIED,
    ENUM,
    INVALID,
    LEAF,
    OBJECT,
    TYPENAME,
    FieldShape,
    RPath,
    Shape,
    _enum,
    _has_null,
    _leaf_list,
    path_list,
)

# shape(src, path, errors) -> the shaped object or INVALID
ShapeFn = Callable[[dict[str, Any], RPath, list[Any]], Any]

# a plan whose shape has more fields than this is shaped by the interpreter: the generated
# source grows with the selection, and compiling a huge one would cost more than it saves
MAX_FIELDS = 5_000


class _Writer:
    """Collects the generated functions and the constants they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: list[Any] = []
        self.const_index: dict[tuple[type, Any], int] = {}
        self.names: dict[int, str] = {}
        self.pending: list[Shape] = []
        self.fields = 0

    def const(self, value: Any) -> str:
        """A string as its `repr()` (always a plain, safe literal), any other value as `C[i]`
        (interned by type and value when hashable, else by identity)."""
        if type(value) is str:
            return repr(value)
        try:
            key: tuple[type, Any] = (type(value), value)
            hash(key)
        except TypeError:
            key = (type(value), id(value))
        i = self.const_index.get(key)
        if i is None:
            i = self.const_index[key] = len(self.consts)
            self.consts.append(value)
        return f"C[{i}]"

    def function(self, sh: Shape) -> str:
        name = self.names.get(id(sh))
        if name is None:
            name = self.names[id(sh)] = f"shape_{len(self.names)}"
            self.pending.append(sh)
        return name


class Slow(Exception):
    """Raised by a fast function where the response needs more than the plain path: a null
    to propagate, an error to report, an enum value to drop. The full functions then shape the
    same data again from the top, with paths and errors."""


def compile_shape_code(sh: Shape) -> ShapeFn | None:
    """The shape as a generated function, or None when it is too large to be worth compiling.

    Two sets of functions per shape: fast ones that take only the source object and raise
    `Slow` wherever the response needs more than copying fields (a null in a non-null
    position, an enum value outside the schema, a type they cannot place), and the full ones
    (paths, errors, null propagation), which shape the same data again from the top when the
    fast ones give way. Most responses need none of that: they are shaped without a path tuple
    per object and list item, and the full functions are only compiled the first time a plan's
    response needs them, so a plan the cache holds carries one set of code, not two."""
    if not _compilable(sh):
        return None
    fast = _build(sh, True)
    if fast is None:
        return None
    full: ShapeFn | None = None

    def shape(src: dict[str, Any], path: RPath, errors: list[Any]) -> Any:
        nonlocal full
        try:
            return fast(src)
        except (Slow, KeyError):  # KeyError: a field the working data lacks (fast code subscripts)
            if full is None:
                full = _build(sh, False)
                assert full is not None  # the same fields as the fast functions: not too large
            return full(src, path, errors)

    return shape


def compile_fast_shape_code(sh: Shape) -> Callable[[dict[str, Any]], Any] | None:
    """Only the fast function of the shape (tests compare it with the interpreter), giving way
    with `Slow` alone, as the wrapper `compile_shape_code` makes reads it."""
    root = _build(sh, True) if _compilable(sh) else None
    if root is None:
        return None

    def fast(src: dict[str, Any]) -> Any:
        try:
            return root(src)
        except KeyError:
            raise Slow from None

    return fast


def _build(sh: Shape, fast: bool) -> Any:
    """The root function of the fast or the full set (None past MAX_FIELDS)."""
    w = _Writer()
    root = w.function(sh)
    done: set[int] = set()
    while w.pending:
        s = w.pending.pop()
        if id(s) in done:
            continue
        done.add(id(s))
        if fast:
            _emit_fast_shape(w, s)
        else:
            _emit_shape(w, s)
        if w.fields > MAX_FIELDS:
            return None
    ns: dict[str, Any] = {"C": tuple(w.consts), "INVALID": INVALID, "_enum": _enum, "_has_null": _has_null,
                          "_leaf_list": _leaf_list, "_list": _list, "path_list": path_list, "Slow": Slow,
                          "_slow": _slow, "_enum_ok": _enum_ok, "_fast_list": _fast_list}
    exec(compile("\n".join(w.lines), "<router shape>", "exec"), ns)  # noqa: S102 - source built from constants only
    return ns["fast_" + root if fast else root]


def _compilable(sh: Shape) -> bool:
    """False when some concrete shape lacks its own field list (the interpreter then fails
    exactly where it always did, instead of the compiler failing up front)."""
    seen: set[int] = set()
    todo = [sh]
    while todo:
        s = todo.pop()
        if id(s) in seen:
            continue
        seen.add(id(s))
        if not s.abstract and s.type not in s.by_type:
            return False
        for fields in s.by_type.values():
            todo.extend(f[4] for f in fields if f[1] == OBJECT)
    return True


def _emit_shape(w: _Writer, sh: Shape) -> None:
    name = w.names[id(sh)]
    L = w.lines.append
    if not sh.abstract:  # the fields themselves, the type name a default argument
        _emit_fields(w, name, sh.by_type[sh.type], w.const(sh.type))
        return
    table: dict[str, str] = {}
    for tname in sh.by_type:
        table[tname] = _fields_name(w, sh, tname)
    fallback = f"{name}_fallback"
    message_tail = w.const(f"A value of abstract type {sh.type} has a type that is not part of the schema.")
    code = w.const("INVALID_GRAPHQL")
    L(f"def {name}(src, path, errors):")
    L("    tn = src.get('__typename') or ''")
    L(f"    fields = {name}_by_type.get(tn)")
    L("    if fields is None:")
    L("        if tn:")
    L(f"            errors.append({{'message': {message_tail}, 'path': path_list(path), "
      f"'extensions': {{'code': {code}}}}})")
    L("            return INVALID")
    if sh.fallback_typename:
        L("        return INVALID")
    else:
        L(f"        fields = {fallback}")
    L("    return fields(src, path, errors, tn)")
    for tname, fields in sh.by_type.items():
        _emit_fields(w, table[tname], fields)
    _emit_fields(w, fallback, sh.fallback)
    entries = ", ".join(f"{w.const(t)}: {fn}" for t, fn in table.items())
    L(f"{name}_by_type = {{{entries}}}")


def _fields_name(w: _Writer, sh: Shape, tname: str) -> str:
    return f"{w.names[id(sh)]}_t{list(sh.by_type).index(tname)}"


def _emit_fields(w: _Writer, name: str, fields: tuple[FieldShape, ...], typename: str | None = None) -> None:
    """One object's fields: each value into a local (a null that must propagate returns
    INVALID on the spot), then the object in one dict display, keys in query order. With
    `typename` (a concrete type) the function is the shape's own: `tn` is a default argument."""
    L = w.lines.append
    L(f"def {name}(src, path, errors, tn):" if typename is None else f"def {name}(src, path, errors, tn={typename}):")
    L("    get = src.get")
    values: list[str] = []
    for n, (key, kind, nonnull, wrappers, sub, fname) in enumerate(fields):
        w.fields += 1
        k = w.const(key)
        f = f"f{n}"
        values.append(f"{k}: {f}")
        fail = f"errors.append((path, {k}, tn, {w.const(fname)})); return INVALID"
        if kind == TYPENAME:
            values[-1] = f"{k}: tn"
            continue
        if kind == DENIED:
            if nonnull:
                L("    return INVALID")
                return  # nothing after it runs
            values[-1] = f"{k}: None"
            continue
        if kind == LEAF and not (wrappers and wrappers[-1]) and not nonnull:
            values[-1] = f"{k}: get({k})"
            continue
        L(f"    {f} = get({k})")
        L(f"    if {f} is None:")
        L(f"        {fail}" if nonnull else "        pass")
        L("    else:")
        if kind == LEAF or kind == ENUM:
            if kind == ENUM:
                L(f"        {f} = _enum({f}, {w.const(sub)}, (path, {k}), errors, tn, {w.const(fname)})")
                if nonnull:
                    L(f"        if {f} is None:")
                    L("            return INVALID")
            if wrappers and wrappers[-1]:
                cond = f"{f} is not None and " if kind == ENUM else ""
                L(f"        if {cond}_has_null({f}, {len(wrappers)}):")
                L(f"            {f} = _leaf_list({f}, {w.const(wrappers)}, (path, {k}), errors, tn, "
                  f"{w.const(fname)})")
                L(f"            if {f} is INVALID:")
                L("                return INVALID" if nonnull else f"                {f} = None")
            elif kind == LEAF:
                L("        pass")
            continue
        assert kind == OBJECT
        fn = w.function(sub)
        if not wrappers:
            L(f"        {f} = {fn}({f}, (path, {k}), errors) if type({f}) is dict else None")
        elif len(wrappers) == 1:
            item_nn = wrappers[0]
            L(f"        if type({f}) is list:")
            L(f"            p = (path, {k})")
            L("            items = []")
            L("            add = items.append")
            L("            i = 0")
            L(f"            for x in {f}:")
            L("                if type(x) is dict:")
            L(f"                    y = {fn}(x, (p, i), errors)")
            L("                    if y is INVALID:")
            if item_nn:
                L("                        items = INVALID")
                L("                        break")
            else:
                L("                        y = None")
            L("                elif x is None:")
            if item_nn:
                L(f"                    errors.append(((p, i), None, tn, {w.const(fname)}))")
                L("                    items = INVALID")
                L("                    break")
            else:
                L("                    y = None")
            L("                else:")
            if item_nn:
                L("                    items = INVALID")
                L("                    break")
            else:
                L("                    y = None")
            L("                add(y)")
            L("                i += 1")
            L(f"            {f} = items")
            L("        else:")
            L(f"            {f} = None")
        else:
            L(f"        {f} = _list({f}, {w.const(wrappers)}, 0, {fn}, (path, {k}), errors, tn, {w.const(fname)})")
        L(f"        if {f} is INVALID or {f} is None:")
        if nonnull:
            L(f"            if {f} is None:")
            L(f"                errors.append((path, {k}, tn, {w.const(fname)}))")
            L("            return INVALID")
        else:
            L(f"            {f} = None")
    L(f"    return {{{', '.join(values)}}}")


def _list(v: Any, wrappers: tuple[bool, ...], level: int, fn: ShapeFn, path: RPath, errors: list[Any], tn: str,
          fname: str) -> Any:
    """`shape._list` with a compiled function for the items (lists of lists)."""
    if type(v) is not list:
        return None
    item_nn = wrappers[level]
    last = level == len(wrappers) - 1
    out: list[Any] = []
    for i, x in enumerate(v):
        if x is None:
            if item_nn:
                errors.append(((path, i), None, tn, fname))
                return INVALID
            out.append(None)
            continue
        if last:
            y = fn(x, (path, i), errors) if type(x) is dict else None
        else:
            y = _list(x, wrappers, level + 1, fn, (path, i), errors, tn, fname)
        if y is INVALID or y is None:
            if item_nn:
                return INVALID
            y = None
        out.append(y)
    return out


def _emit_fast_shape(w: _Writer, sh: Shape) -> None:
    """The fast twin of `_emit_shape`: `fast_<name>(src)`, raising `Slow` instead of placing an
    error or returning INVALID."""
    name = "fast_" + w.names[id(sh)]
    L = w.lines.append
    if not sh.abstract:
        _emit_fast_fields(w, name, sh.by_type[sh.type], w.const(sh.type))
        return
    table = {tname: "fast_" + _fields_name(w, sh, tname) for tname in sh.by_type}
    L(f"def {name}(src):")
    L("    tn = src.get('__typename') or ''")
    L(f"    fields = {name}_by_type.get(tn)")
    L("    if fields is None:")
    if sh.fallback_typename:
        L("        raise Slow")
    else:
        L("        if tn:")
        L("            raise Slow")
        L(f"        fields = {name}_fallback")
    L("    return fields(src, tn)")
    for tname, fields in sh.by_type.items():
        _emit_fast_fields(w, table[tname], fields)
    _emit_fast_fields(w, f"{name}_fallback", sh.fallback)
    entries = ", ".join(f"{w.const(t)}: {fn}" for t, fn in table.items())
    L(f"{name}_by_type = {{{entries}}}")


def _emit_fast_fields(w: _Writer, name: str, fields: tuple[FieldShape, ...], typename: str | None = None) -> None:
    L = w.lines.append
    L(f"def {name}(src, tn):" if typename is None else f"def {name}(src, tn={typename}):")
    values: list[str] = []
    for n, (key, kind, nonnull, wrappers, sub, _) in enumerate(fields):
        w.fields += 1
        k = w.const(key)
        f = f"f{n}"
        values.append(f"{k}: {f}")
        if kind == TYPENAME:
            values[-1] = f"{k}: tn"
            continue
        if kind == DENIED:
            if nonnull:
                L("    raise Slow")
                return
            values[-1] = f"{k}: None"
            continue
        inner_nn = bool(wrappers) and wrappers[-1]
        if kind == LEAF and not inner_nn and not nonnull:
            values[-1] = f"{k}: src[{k}]"
            continue
        L(f"    {f} = src[{k}]")
        if kind == LEAF or kind == ENUM:
            if nonnull:
                L(f"    if {f} is None:")
                L("        raise Slow")
            if kind == ENUM:
                test = f"{f} not in {w.const(sub)} if type({f}) is str else not _enum_ok({f}, {w.const(sub)})"
                L(f"    if {test}:" if nonnull else f"    if {f} is not None and ({test}):")
                L("        raise Slow")
            if inner_nn:
                if len(wrappers) == 1:
                    L(f"    if type({f}) is list and None in {f}:")
                else:
                    L(f"    if _has_null({f}, {len(wrappers)}):")
                L("        raise Slow")
            continue
        fn = "fast_" + w.function(sub)
        if not wrappers:
            if nonnull:
                L(f"    if type({f}) is not dict:")
                L("        raise Slow")
                L(f"    {f} = {fn}({f})")
            else:
                L(f"    {f} = {fn}({f}) if type({f}) is dict else None")
            continue
        if len(wrappers) == 1:
            other = "_slow()" if wrappers[0] else "None"
            items = f"[{fn}(x) if type(x) is dict else {other} for x in {f}]"
            if nonnull:
                L(f"    if type({f}) is not list:")
                L("        raise Slow")
                L(f"    {f} = {items}")
            else:
                L(f"    {f} = {items} if type({f}) is list else None")
            continue
        L(f"    {f} = _fast_list({f}, {w.const(wrappers)}, 0, {fn})")
        if nonnull:
            L(f"    if {f} is None:")
            L("        raise Slow")
    L(f"    return {{{', '.join(values)}}}")


def _slow() -> Any:
    raise Slow


def _enum_ok(v: Any, allowed: frozenset[str]) -> bool:
    """Whether `shape._enum` would keep `v` as it is (no value dropped, no error)."""
    if type(v) is list:
        return all(x is None or _enum_ok(x, allowed) for x in v)
    return v in allowed


def _fast_list(v: Any, wrappers: tuple[bool, ...], level: int, fn: Callable[[dict[str, Any]], Any]) -> Any:
    """`_list` for the fast functions: None for a value that is not a list, `Slow` wherever
    `_list` would null an item or the whole list."""
    if type(v) is not list:
        return None
    item_nn = wrappers[level]
    last = level == len(wrappers) - 1
    out: list[Any] = []
    for x in v:
        if x is None:
            if item_nn:
                raise Slow
            out.append(None)
            continue
        if last:
            y = fn(x) if type(x) is dict else None
        else:
            y = _fast_list(x, wrappers, level + 1, fn)
        if y is None and item_nn:
            raise Slow
        out.append(y)
    return out
