"""`@defer` in the API schema, as Apollo Router adds it: clients validate deferred fragments
against the schema the router serves, while the subgraphs never see the directive (the router
plans deferred selections into fetches of their own)."""

from __future__ import annotations

from graphql import GraphQLDeferDirective, GraphQLSchema

__all__ = ["with_defer"]


def with_defer(schema: GraphQLSchema) -> GraphQLSchema:
    """The schema with `@defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD |
    INLINE_FRAGMENT` (unless the supergraph defines a `@defer` of its own)."""
    if schema.get_directive("defer") is not None:
        return schema
    return GraphQLSchema(
        query=schema.query_type, mutation=schema.mutation_type, subscription=schema.subscription_type,
        types=list(schema.type_map.values()), directives=[*schema.directives, GraphQLDeferDirective],
        description=schema.description, ast_node=schema.ast_node, extension_ast_nodes=schema.extension_ast_nodes,
    )
