import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "router"))
import router_harness as h  # noqa: E402


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """Subgraphs, Apollo Gateway and our router over the same supergraph and servers."""
    if not h.node_available():
        pytest.fail("tests/node/node_modules missing: run `make node`")
    sub, port = h.start_node(h.HERE / "server.mjs", "0")
    tmp = tmp_path_factory.mktemp("router-diff")
    sg = tmp / "supergraph.graphql"
    sg.write_text(h.supergraph_for(port, h.closed_port()))
    gw, gw_port = h.start_node(h.HERE / "gateway.mjs", str(sg))
    ours = h.RouterServer(str(sg))
    try:
        yield {"subgraph_port": port, "gateway": f"http://127.0.0.1:{gw_port}/", "router": ours.url,
               "supergraph": sg}
    finally:
        ours.stop()
        h.stop(gw)
        h.stop(sub)
