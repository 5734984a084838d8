"""Hand-written operations over the router's test supergraph, one or more per planner
feature. Each: (name, query, variables). Mutations are run after a data reset."""

OPERATIONS: list[tuple[str, str, dict | None]] = [
    # ---- single subgraph, scalars, enums, custom scalars, arguments
    ("root_simple", "{ users { id name email role createdAt } }", None),
    ("root_args_enum", "query($r: Role) { users(role: $r) { id role } }", {"r": "CUSTOMER"}),
    ("root_args_inline_enum", "{ users(role: ADMIN) { id name } }", None),
    ("custom_scalar_money", "{ products { upc price category } }", None),
    ("default_argument", "{ products(first: 2) { upc name } }", None),
    ("variable_default", "query($n: Int = 3) { products(first: $n) { upc } }", None),
    ("nullable_object", "{ users { id address { city street } } }", None),
    ("unknown_entity_null", "{ user(id: \"nope\") { id name } }", None),
    # ---- entity jumps via @key
    ("jump_simple", "{ users { id reviews { id body rating } } }", None),
    ("jump_two_levels", "{ users { name reviews { body product { upc name price } } } }", None),
    ("jump_back_and_forth", "{ reviews { id author { id email reviews { id author { name role } } } } }", None),
    ("multiple_keys_sku", "{ book(upc: \"b1\") { upc name shippingClass } }", None),
    ("multiple_keys_list", "{ lowStock { upc name shippingClass inStock } }", None),
    ("nested_compound_key", "{ book(upc: \"b1\") { warehouse { id name capacity region { code name } } } }", None),
    ("nested_key_value_type", "{ lowStock { warehouse { region { code name } } } }", None),
    ("warehouses_root", "{ warehouses { id name region { code name } } }", None),
    # ---- @shareable
    ("shareable_local_inventory", "{ lowStock { upc name inStock } }", None),
    ("shareable_value_type", "{ products { upc ... on Book { dimensions { weight size } } } }", None),
    # ---- @requires
    ("requires_book", "{ book(upc: \"b2\") { upc shippingEstimate } }", None),
    ("requires_interface_list", "{ products { upc ... on Book { shippingEstimate inStock } ... on Furniture { shippingEstimate } } }", None),
    ("requires_with_user_selection", "{ products { ... on Book { dimensions { size } shippingEstimate } } }", None),
    ("requires_from_inventory_root", "{ lowStock { upc shippingEstimate } }", None),
    # ---- @provides / @external
    ("provides_name", "{ reviews { id author { name } } }", None),
    ("provides_plus_other", "{ reviews { id author { name email } } }", None),
    ("provides_not_on_other_path", "{ users { reviews { author { id } } } }", None),
    # ---- @override
    ("override_nickname", "{ users { id nickname } }", None),
    ("override_label_inactive", "{ users { id loyaltyPoints } }", None),
    # ---- @inaccessible still usable for keys
    ("inaccessible_key_sku", "{ products { ... on Book { upc shippingClass } } }", None),
    # ---- interfaces and unions differing per subgraph
    ("interface_fragments", "{ products { __typename upc name ... on Book { author pages } ... on Furniture { material } } }", None),
    ("interface_named_fragment", "query { products { ...P } } fragment P on Product { upc ... on Book { author } }", None),
    ("union_products", "{ searchProducts(text: \"e\") { __typename ... on Book { upc name } ... on Furniture { upc material } } }", None),
    ("union_reviews", "{ searchReviews(text: \"a\") { __typename ... on Review { id body } ... on User { id name email } } }", None),
    ("union_foreign_fragment", "{ searchProducts(text: \"u\") { ... on Review { id } ... on Book { upc } ... on User { id } } }", None),
    ("union_typename_only", "{ searchReviews(text: \"o\") { __typename } }", None),
    ("union_jump_from_members", "{ searchReviews(text: \"a\") { ... on User { id reviewCount nickname } } }", None),
    # ---- @interfaceObject and entity interfaces
    ("interface_object_field", "{ products { upc reviews { id rating } } }", None),
    ("interface_object_average", "{ product(upc: \"b1\") { name averageRating } }", None),
    ("interface_object_back_to_concrete", "{ reviews { id product { __typename upc name ... on Book { author } } } }", None),
    ("interface_object_only_local", "{ reviews { product { upc averageRating } } }", None),
    ("interface_object_nested", "{ review(id: \"r3\") { product { ... on Furniture { material reviews { body author { name } } } } } }", None),
    # ---- fragments, aliases, __typename
    ("aliases", "{ a: users { ident: id who: name } b: users(role: ADMIN) { id } }", None),
    ("alias_collides_with_key", "{ users { id: name reviews { body } } }", None),
    ("alias_collides_with_requires", "{ products { ... on Book { dimensions: upc shippingEstimate } } }", None),
    ("alias_typename", "{ users { t: __typename id } }", None),
    ("typename_everywhere", "{ __typename users { __typename reviews { __typename product { __typename } } } }", None),
    ("nested_fragments", "query { users { ...U } } fragment U on User { id ...V } fragment V on User { name reviews { ...R } } fragment R on Review { id rating }", None),
    ("inline_fragment_no_type", "{ users { ... { id name } } }", None),
    ("same_field_twice_merged", "{ users { id reviews { id } reviews { body } } }", None),
    ("field_args_with_alias", "{ first: products(first: 1) { upc } all: products { upc } }", None),
    # ---- variables, @skip/@include
    ("skip_static", "{ users { id name @skip(if: true) email @include(if: true) } }", None),
    ("skip_variable_true", "query($s: Boolean!) { users { id reviews @skip(if: $s) { id } } }", {"s": True}),
    ("skip_variable_false", "query($s: Boolean!) { users { id reviews @skip(if: $s) { id } } }", {"s": False}),
    ("include_fragment_variable", "query($i: Boolean!) { users { id ... on User @include(if: $i) { name } } }", {"i": False}),
    ("variables_only_used", "query($id: ID!, $min: Int) { user(id: $id) { id name } reviews(minRating: $min) { id } }", {"id": "u2", "min": 4}),
    ("operation_name_pick", "query A { me { id } } query B { me { name } }", None),
    # ---- errors and partial data
    ("subgraph_field_error", "{ reviews { id flaky } }", None),
    ("nonnull_error_bubbles", "{ reviews { id strictFlaky } }", None),
    ("entity_error_repathed", "{ users { id reviews { id flaky } } }", None),
    ("subgraph_down_root", "{ legacyStatus users { id } }", None),
    ("subgraph_down_entity", "{ users { id legacyScore name } }", None),
    ("missing_entity_nonnull", "{ reviews { id author { name email } } }", None),
    ("ghost_product", "{ reviews { id product { upc name } } }", None),
    ("requires_error", "{ products { upc ... on Furniture { shippingEstimate } } }", None),
    # ---- introspection mixed with data
    ("introspection_type", "{ __type(name: \"User\") { name fields { name } } }", None),
    ("introspection_mixed", "{ __schema { queryType { name } } me { id } }", None),
    # ---- mutations in order
    ("mutation_single", "mutation { updateName(id: \"u2\", name: \"Robert\") { id name reviews { id } } }", None),
    ("mutation_in_order", "mutation { a: updateName(id: \"u1\", name: \"A1\") { name } r: addReview(upc: \"b2\", body: \"Nice\", rating: 4) { id author { name } product { upc name } } b: updateName(id: \"u1\", name: \"A2\") { name } }", None),
    ("mutation_variables", "mutation($upc: ID!, $p: Money!) { setPrice(upc: $upc, price: $p) { upc price ... on Book { shippingEstimate } } }", {"upc": "b1", "p": "99.00 EUR"}),
]
