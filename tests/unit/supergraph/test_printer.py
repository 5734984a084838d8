"""The printer's ordering and string forms match what rover/Apollo print."""

from __future__ import annotations

from supergraph.merge import dnf_conjunction, sanitize_graph_name
from supergraph.printer import block_string, locale_key


def test_sorting_follows_javascript_localecompare() -> None:
    # The order node's String.prototype.localeCompare gives for these names.
    expected = ["_a", "a", "a_b", "A1", "aa", "ab", "aB", "Ab", "AB", "join__Graph", "link__Import", "Query", "z", "Z"]
    shuffled = list(reversed(expected))
    assert sorted(shuffled, key=locale_key) == expected


def test_descriptions_print_as_block_strings() -> None:
    assert block_string("short", False) == '"""short"""'
    assert block_string("two\nlines", False) == '"""\ntwo\nlines\n"""'
    assert block_string('ends with a quote"', False) == '"""\nends with a quote"\n"""'
    assert block_string("x" * 80, True) == '"""\n' + "x" * 80 + '\n"""'


def test_graph_enum_names_are_sanitized_like_apollo() -> None:
    assert sanitize_graph_name("users") == "USERS"
    assert sanitize_graph_name("my-service.v2") == "MY_SERVICE_V2"
    assert sanitize_graph_name("3d") == "_3D"
    assert sanitize_graph_name("api_1") == "API_1_"


def test_scopes_merge_as_a_conjunction_of_alternatives() -> None:
    # (a OR b) AND c  ==  (a AND c) OR (b AND c)
    assert dnf_conjunction([[["a"], ["b"]], [["c"]]]) == [["a", "c"], ["b", "c"]]
    # a redundant alternative is dropped: (a) AND (a OR b) == a
    assert dnf_conjunction([[["a"]], [["a"], ["b"]]]) == [["a"]]
