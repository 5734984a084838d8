import pytest

from tests.support import harness as h
from tests.support.supergraphs import router_supergraph


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """Subgraphs, Apollo Gateway and our router over the same supergraph and servers."""
    if not h.node_available():
        pytest.fail("tests/node/node_modules missing: run `make node`")
    sub, port = h.start_subgraphs(h.ROUTER_FIXTURES)
    tmp = tmp_path_factory.mktemp("router-diff")
    sg = tmp / "supergraph.graphql"
    sg.write_text(router_supergraph(port, h.closed_port()))
    gw, gw_port = h.start_node(h.ROUTER_FIXTURES / "gateway.mjs", str(sg))
    ours = h.RouterServer(str(sg))
    try:
        yield {"subgraph_port": port, "gateway": f"http://127.0.0.1:{gw_port}/", "router": ours.url,
               "supergraph": sg}
    finally:
        ours.stop()
        h.stop(gw)
        h.stop(sub)
