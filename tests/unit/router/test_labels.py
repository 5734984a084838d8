
from router.pipeline import active_labels
from router.supergraph import Supergraph


def test_percent_labels_are_found_and_drawn_per_request(router_test_sdl):
    sg = Supergraph(router_test_sdl.replace('"shipping-loyalty"', '"percent(25)"'))
    assert sg.percent_labels == (("percent(25)", 25.0),)
    assert active_labels(frozenset(), sg.percent_labels, rand=lambda: 0.10) == {"percent(25)"}
    assert active_labels(frozenset(), sg.percent_labels, rand=lambda: 0.30) == frozenset()
    assert active_labels(frozenset({"x"}), sg.percent_labels, rand=lambda: 0.99) == {"x"}
    assert sg.resolving_graphs("User", "loyaltyPoints", frozenset({"percent(25)"})) == ("shipping",)


def test_no_percent_labels_in_plain_supergraph(router_test_sdl):
    assert Supergraph(router_test_sdl).percent_labels == ()
