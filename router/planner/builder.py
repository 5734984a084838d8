"""Builds fetch groups from a normalised operation: pure, no I/O.

Walk the operation from each root field carrying the current fetch group. A field the
group's subgraph resolves stays in the group; any other field becomes an entity jump into
a child group, keyed by (path, subgraph) so that every jump from one place to one subgraph
shares one `_entities` call. Keys and @requires inputs are "required fields": planned like
client fields from the parent side, possibly through further jumps, and read into the
representation when the child runs. Choices between subgraphs are made by a bounded cost
estimate (number of jumps in the subtree, infeasible = infinite).
"""

from __future__ import annotations

import math
from typing import Iterable

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from ..operation import FieldSel, Sel, list_depth
from ..supergraph import Key, Supergraph
from .selection import FetchNode

INF = math.inf

# a representation reader: rep field name -> (response key in the working data, sub reader)
Reader = dict


class PlanningError(Exception):
    """The operation cannot be planned over this supergraph (a composition bug, usually)."""


class Group:
    __slots__ = ("id", "subgraph", "kind", "parent", "path", "sel", "reps", "parent_nodes", "deps", "children",
                 "level")

    def __init__(self, gid: int, subgraph: str, kind: str, parent: "Group | None", path: tuple,
                 user: Sel | None = None) -> None:
        self.id = gid
        self.subgraph = subgraph
        self.kind = kind  # root | entity
        self.parent = parent
        self.path = path
        self.sel = FetchNode(user)
        self.reps: dict[str, tuple[str, Reader]] = {}  # data __typename -> (representation __typename, reader)
        self.parent_nodes: dict[str, FetchNode] = {}
        self.deps: set[Group] = set() if parent is None else {parent}
        self.children: dict[tuple, Group] = {}
        self.level = -1

    def __repr__(self) -> str:
        return f"Group({self.id}, {self.subgraph}, {self.kind}, {self.path})"


def _provided_fields(pset: SelectionSetNode | None, type_name: str, sg: Supergraph) -> dict:
    if pset is None:
        return {}
    out: dict = {}
    for s in pset.selections:
        if isinstance(s, FieldNode):
            out[s.name.value] = s.selection_set
        elif isinstance(s, InlineFragmentNode):
            cond = s.type_condition.name.value if s.type_condition else None
            if cond is None or cond == type_name or type_name in sg.possible_types(cond):
                out.update(_provided_fields(s.selection_set, type_name, sg))
    return out


class Builder:
    def __init__(self, sg: Supergraph, labels: frozenset[str] = frozenset()) -> None:
        self.sg = sg
        self.labels = labels
        self.groups: list[Group] = []
        self._cost: dict = {}

    # ------------------------------------------------------------------ model helpers
    def resolvers(self, type_name: str, field: str) -> tuple[str, ...]:
        return self.sg.resolving_graphs(type_name, field, self.labels)

    def view(self, type_name: str, graph: str) -> str | None:
        """The type name under which `graph` knows objects of `type_name`."""
        sg = self.sg
        t = sg.types[type_name]
        if sg.type_in_graph(type_name, graph) and not sg.is_interface_object(type_name, graph):
            return type_name
        if t.kind == "interface" and sg.is_interface_object(type_name, graph):
            return type_name
        for i in t.interfaces:
            if sg.is_interface_object(i, graph):
                return i
        return None

    def requires(self, graph: str, type_name: str, field: str) -> SelectionSetNode | None:
        jf = self.sg.join_field(type_name, field, graph)
        return jf.requires if jf is not None else None

    def local(self, graph: str, type_name: str, field: str, provided: dict | None) -> bool:
        if field == "__typename":
            return True
        if provided and field in provided:
            return True
        tv = self.view(type_name, graph)
        if tv is None:
            return False
        return graph in self.resolvers(tv, field) and self.requires(graph, tv, field) is None

    def child_provided(self, graph: str, type_name: str, f: FieldSel, provided: dict | None) -> SelectionSetNode | None:
        if provided and f.name in provided and provided[f.name] is not None:
            return provided[f.name]
        tv = self.view(type_name, graph)
        if tv is None:
            return None
        jf = self.sg.join_field(tv, f.name, graph)
        return jf.provides if jf is not None else None

    def fieldset_local(self, graph: str, type_name: str, sset: SelectionSetNode, provided: dict | None = None) -> bool:
        for s in sset.selections:
            if isinstance(s, InlineFragmentNode):
                if not self.fieldset_local(graph, type_name, s.selection_set, provided):
                    return False
                continue
            name = s.name.value
            if not self.local(graph, type_name, name, provided):
                return False
            if s.selection_set is not None:
                ft = self.sg.types[type_name].fields[name].named_type
                if not self.fieldset_local(graph, ft, s.selection_set):
                    return False
        return True

    def keys_for(self, type_name: str, target: str) -> tuple[str, list[Key]] | None:
        sg = self.sg
        t = sg.types[type_name]
        if t.kind == "object":
            if sg.type_in_graph(type_name, target) and not sg.is_interface_object(type_name, target):
                return type_name, sg.keys(type_name, target)
            for i in t.interfaces:
                if sg.is_interface_object(i, target):
                    return i, sg.keys(i, target)
            return None
        if t.kind == "interface" and target in t.graphs:
            return type_name, sg.keys(type_name, target)
        return None

    def jumpable(self, graph: str, type_name: str, target: str, provided: dict | None = None,
                 allow_hop: bool = True) -> tuple[str, Key] | None:
        got = self.keys_for(type_name, target)
        if got is None:
            return None
        rep_type, keys = got
        for k in keys:
            if self.fieldset_local(graph, type_name, k.selection, provided):
                return rep_type, k
        if allow_hop:
            for k in keys:
                if self._obtainable(graph, type_name, k.selection, target):
                    return rep_type, k
        return None

    def _obtainable(self, graph: str, type_name: str, sset: SelectionSetNode, target: str) -> bool:
        for s in sset.selections:
            if not isinstance(s, FieldNode):
                return False
            name = s.name.value
            if self.local(graph, type_name, name, None):
                if s.selection_set is None:
                    continue
                ft = self.sg.types[type_name].fields[name].named_type
                if self.fieldset_local(graph, ft, s.selection_set):
                    continue
                return False
            ok = False
            for k in self.resolvers(type_name, name):
                if k in (graph, target) or self.requires(k, type_name, name) is not None:
                    continue
                if self.jumpable(graph, type_name, k, allow_hop=False) is not None:
                    ok = True
                    break
            if not ok:
                return False
        return True

    # ------------------------------------------------------------------ cost estimate
    def field_cost(self, graph: str, type_name: str, f: FieldSel, provided: dict | None) -> float:
        if f.sub is None:
            return 0.0
        return self.sel_cost(graph, f.sub, self._provided_map(self.child_provided(graph, type_name, f, provided), f))

    def _provided_map(self, pset: SelectionSetNode | None, f: FieldSel) -> dict | None:
        if pset is None or f.sub is None:
            return None
        return {"__set__": pset}

    def _prov_for(self, provided: dict | None, type_name: str) -> dict | None:
        if not provided:
            return None
        return _provided_fields(provided["__set__"], type_name, self.sg)

    def sel_cost(self, graph: str, sel: Sel, provided: dict | None) -> float:
        key = (graph, id(sel)) if provided is None else None
        if key is not None:
            got = self._cost.get(key)
            if got is not None:
                return got
            self._cost[key] = INF  # cycle guard
        total = 0.0
        sg = self.sg
        if sel.abstract:
            if sg.is_interface_object(sel.type, graph):
                types = []
                total += 1.0
            else:
                types = [t for t in sel.by_type if t in sg.possible_types_in(sel.type, graph)]
        else:
            types = [sel.type]
        for t in types:
            prov = self._prov_for(provided, t)
            for f in sel.by_type[t]:
                if f.name == "__typename":
                    continue
                best = INF
                if self.local(graph, t, f.name, prov):
                    best = self.field_cost(graph, t, f, prov)
                    if best < INF:
                        total += best
                        continue
                for h in self.resolvers(t, f.name):
                    if self.jumpable(graph, t, h, prov) is None:
                        continue
                    c = 1.0 + self.field_cost(h, t, f, None)
                    best = min(best, c)
                total += best
                if total == INF:
                    break
            if total == INF:
                break
        if key is not None:
            self._cost[key] = total
        return total

    # ------------------------------------------------------------------ groups
    def new_group(self, subgraph: str, kind: str, parent: Group | None, path: tuple, user: Sel | None) -> Group:
        g = Group(len(self.groups), subgraph, kind, parent, path, user)
        self.groups.append(g)
        return g

    def entity_group(self, parent: Group, node: FetchNode, type_name: str, path: tuple, target: str,
                     provided: dict | None = None) -> tuple[Group, str]:
        key = (path, target)
        x = parent.children.get(key)
        if x is None:
            x = self.new_group(target, "entity", parent, path, node.user)
            parent.children[key] = x
        rep = x.reps.get(type_name)
        if rep is None:
            j = self.jumpable(parent.subgraph, type_name, target, provided)
            if j is None:
                raise PlanningError(f"cannot reach {type_name} in subgraph {target} from {parent.subgraph}")
            rep_type, k = j
            reader: Reader = {}
            node.typename = True
            x.parent_nodes[type_name] = node
            x.reps[type_name] = (rep_type, reader)
            self.require(parent, node, type_name, k.selection, path, x, reader, provided)
            return x, rep_type
        return x, rep[0]

    def require(self, group: Group, node: FetchNode, type_name: str, sset: SelectionSetNode, path: tuple,
                dependant: Group, reader: Reader, provided: dict | None = None) -> None:
        """Make the fields of `sset` (on `type_name`, at `path`) available before `dependant` runs."""
        sg = self.sg
        for s in sset.selections:
            if isinstance(s, InlineFragmentNode):
                self.require(group, node, type_name, s.selection_set, path, dependant, reader, provided)
                continue
            name = s.name.value
            if name == "__typename":
                continue
            fdef = sg.types[type_name].fields[name]
            if self.local(group.subgraph, type_name, name, provided):
                key = node.required_key(type_name, name)
                ff = node.add(key, name, composite=s.selection_set is not None,
                              user=_user_sub(node.user, type_name, key))
                if s.selection_set is not None:
                    sub_reader: Reader = {}
                    prev = reader.get(name)
                    if prev is not None and prev[1] is not None:
                        sub_reader = prev[1]
                    reader[name] = (key, sub_reader)
                    sub_type = fdef.named_type
                    sub_path = path + (key,) + ("@",) * _depth(fdef.type)
                    if sg.types[sub_type].abstract:
                        ff.sub.typename = True
                    sub_prov = provided.get(name) if provided else None
                    self.require(group, ff.sub, sub_type, s.selection_set, sub_path, dependant, sub_reader,
                                 _provided_fields(sub_prov, sub_type, sg) if sub_prov is not None else None)
                else:
                    reader.setdefault(name, (key, None))
                dependant.deps.add(group)
                continue
            # not available here: fetch it through an entity jump first
            target = None
            for h in self.resolvers(type_name, name):
                if h != group.subgraph and self.jumpable(group.subgraph, type_name, h, provided) is not None:
                    target = h
                    break
            if target is None:
                raise PlanningError(f"cannot obtain required field {type_name}.{name} from {group.subgraph}")
            x, rep_type = self.entity_group(group, node, type_name, path, target, provided)
            xnode = x.sel.fragment(rep_type)
            one = SelectionSetNode(selections=(s,))
            self.require(x, xnode, type_name, one, path, dependant, reader)
            dependant.deps.add(x)

    # ------------------------------------------------------------------ client selections
    def plan_sel(self, group: Group, node: FetchNode, sel: Sel, path: tuple, provided: SelectionSetNode | None,
                 entity_root: bool = False) -> None:
        sg = self.sg
        g = group.subgraph
        if not sel.abstract:
            self.plan_fields(group, node, sel.type, sel.by_type[sel.type], path, provided, entity_root, False)
            return
        node.typename = True
        if sg.is_interface_object(sel.type, g):
            self.plan_interface_object(group, node, sel, path, provided)
            return
        possible = sg.possible_types_in(sel.type, g)
        for t in sorted(possible):
            fields = sel.by_type.get(t)
            if fields is None:
                continue
            self.plan_fields(group, node.fragment(t), t, fields, path, provided, entity_root, True)

    def plan_interface_object(self, group: Group, node: FetchNode, sel: Sel, path: tuple,
                              provided: SelectionSetNode | None) -> None:
        """`group`'s subgraph knows this interface only as an @interfaceObject: it can answer the
        interface's own fields; the concrete type and anything else come from a subgraph that
        has the real interface."""
        sg = self.sg
        g = group.subgraph
        iname = sel.type
        local: dict[str, FieldSel] = {}
        remaining: dict[str, list[FieldSel]] = {}
        need = False
        prov = _provided_fields(provided, iname, sg) if provided is not None else None
        for t, fields in sel.by_type.items():
            rest = []
            for f in fields:
                if f.name == "__typename":
                    need = True
                    continue
                if f.name in sg.types[iname].fields and self.local(g, iname, f.name, prov) and (
                        self.field_cost(g, iname, f, prov) < INF):
                    local.setdefault(f.key, f)
                else:
                    rest.append(f)
                    need = True
            remaining[t] = rest
        self.plan_fields(group, node, iname, list(local.values()), path, provided, False, False)
        if not need:
            return
        target = None
        for h in sorted(sg.types[iname].graphs):
            if h != g and not sg.is_interface_object(iname, h) and sg.keys(iname, h) and \
                    self.jumpable(g, iname, h, prov) is not None:
                target = h
                break
        if target is None:
            raise PlanningError(f"no subgraph resolves the concrete type of {iname}")
        x, rep_type = self.entity_group(group, node, iname, path, target, prov)
        xnode = x.sel.fragment(rep_type)
        xnode.typename = True
        for t in sorted(sg.possible_types_in(iname, target)):
            fields = remaining.get(t)
            if fields:
                self.plan_fields(x, xnode.fragment(t), t, fields, path, None, False, True)

    def plan_fields(self, group: Group, node: FetchNode, type_name: str, fields: Iterable[FieldSel], path: tuple,
                    provided: SelectionSetNode | None, entity_root: bool, typed: bool) -> None:
        g = group.subgraph
        prov = _provided_fields(provided, type_name, self.sg) if provided is not None else None
        pending: list[FieldSel] = []
        for f in fields:
            if f.name == "__typename" or f.introspection:
                continue
            if self.local(g, type_name, f.name, prov) and self.field_cost(g, type_name, f, prov) < INF:
                self.add_local(group, node, type_name, f, path, prov, typed)
                continue
            tv = self.view(type_name, g)
            req = self.requires(g, tv, f.name) if tv is not None else None
            if req is not None and entity_root and group.kind == "entity" and group.path == path and \
                    type_name in group.reps:
                rep_type, reader = group.reps[type_name]
                self.add_local(group, node, type_name, f, path, prov, typed)
                self.require(group.parent, group.parent_nodes[type_name], type_name, req, path, group, reader)
                continue
            pending.append(f)
        if pending:
            self.plan_jumps(group, node, type_name, pending, path, prov)

    def add_local(self, group: Group, node: FetchNode, type_name: str, f: FieldSel, path: tuple,
                  prov: dict | None, typed: bool) -> None:
        ff = node.add(f.key, f.name, f.arguments, f.directives, composite=f.sub is not None, user=f.sub)
        if f.sub is not None:
            child_prov = self.child_provided(group.subgraph, type_name, f, prov)
            sub_path = path + ((frozenset((type_name,)),) if typed else ()) + (f.key,) + ("@",) * list_depth(f.type)
            self.plan_sel(group, ff.sub, f.sub, sub_path, child_prov)
            if ff.sub.empty():
                ff.sub.typename = True  # `{ x { __typename } }`: a selection set may not be empty

    def plan_jumps(self, group: Group, node: FetchNode, type_name: str, pending: list[FieldSel], path: tuple,
                   prov: dict | None) -> None:
        g = group.subgraph
        options: dict[int, dict[str, float]] = {}
        for i, f in enumerate(pending):
            cands: dict[str, float] = {}
            for h in self.resolvers(type_name, f.name):
                tv = self.view(type_name, h)
                if h == g and (tv is None or self.requires(h, tv, f.name) is None):
                    continue
                if self.jumpable(g, type_name, h, prov) is None:
                    continue
                c = self.field_cost(h, type_name, f, None)
                if c < INF:
                    cands[h] = c
            if not cands:
                raise PlanningError(f"cannot plan field {type_name}.{f.name} from subgraph {g}")
            options[i] = cands
        remaining = set(options)
        while remaining:
            score: dict[str, tuple] = {}
            for i in remaining:
                for h, c in options[i].items():
                    n, cost = score.get(h, (0, 0.0))[:2]
                    score[h] = (n + 1, cost + c)
            best = max(score, key=lambda h: (score[h][0], (path, h) in group.children, -score[h][1], h))
            chosen = [i for i in sorted(remaining) if best in options[i]]
            x, rep_type = self.entity_group(group, node, type_name, path, best, prov)
            xnode = x.sel.fragment(rep_type)
            self.plan_fields(x, xnode, type_name, [pending[i] for i in chosen], path, None, True, False)
            remaining.difference_update(chosen)

    # ------------------------------------------------------------------ roots
    def plan_root(self, kind: str, sel: Sel) -> list[Group]:
        """Returns the root groups; for mutations, in execution order."""
        root_type = sel.type
        fields = sel.by_type[root_type]
        roots: list[Group] = []
        by_graph: dict[str, Group] = {}
        for f in fields:
            if f.name == "__typename" or f.introspection:
                continue
            cands = self.resolvers(root_type, f.name)
            if not cands:
                raise PlanningError(f"no subgraph resolves {root_type}.{f.name}")
            best = min(cands, key=lambda h: (self.field_cost(h, root_type, f, None),
                                             0 if (h in by_graph if kind != "mutation" else
                                                   (roots and roots[-1].subgraph == h)) else 1,
                                             cands.index(h)))
            if kind == "mutation":
                if roots and roots[-1].subgraph == best:
                    grp = roots[-1]
                else:
                    grp = self.new_group(best, "root", None, (), sel)
                    roots.append(grp)
            else:
                grp = by_graph.get(best)
                if grp is None:
                    grp = by_graph[best] = self.new_group(best, "root", None, (), sel)
                    roots.append(grp)
            self.add_local(grp, grp.sel, root_type, f, (), None, False)
        return roots


def _user_sub(user: Sel | None, type_name: str, key: str) -> Sel | None:
    if user is None:
        return None
    for f in user.by_type.get(type_name, ()):
        if f.key == key:
            return f.sub
    return None


def _depth(t) -> int:
    from graphql import ListTypeNode, NonNullTypeNode

    d = 0
    while not hasattr(t, "name") or isinstance(t, (ListTypeNode, NonNullTypeNode)):
        if isinstance(t, ListTypeNode):
            d += 1
        t = t.type
    return d
