import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parents[3]


def test_hot_reload_swaps_and_ignores_broken_files(make_router, supergraph_file, caplog):
    r = make_router()
    q = {"query": "{ users { id } }"}
    assert httpx.post(r.url, json=q).json()["data"]["users"][0]["id"] == "u1"
    original = supergraph_file.read_text()
    # a new supergraph where User.email is no longer exposed
    changed = original.replace("  email: String! @join__field(graph: USERS)\n", "")
    assert changed != original
    supergraph_file.write_text(changed)
    probe = {"query": "{ users { email } }"}
    assert wait_until(lambda: "errors" in httpx.post(r.url, json=probe).json(), 10, 0.1)
    # a broken file is ignored: the last good supergraph keeps serving
    supergraph_file.write_text("type Query {")
    assert wait_until(lambda: "supergraph reload rejected" in caplog.text, 10)  # the router has looked at it
    assert httpx.post(r.url, json=q).json()["data"]["users"][0]["id"] == "u1"
    supergraph_file.write_text(original)
    assert wait_until(lambda: "data" in httpx.post(r.url, json=probe).json()
                      and httpx.post(r.url, json=probe).json()["data"] is not None, 10, 0.1)


def test_cli_plan_prints_the_tree(tmp_path, router_test_supergraph):
    q = tmp_path / "q.graphql"
    q.write_text("{ users { name reviews { body } } }")
    out = subprocess.run([sys.executable, "-m", "router", "plan", "--supergraph",
                          str(router_test_supergraph), str(q)],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.startswith("QueryPlan {")
    assert 'Fetch(service: "users", id: 0)' in out and 'Flatten(path: "users.@")' in out


def test_cli_refuses_a_broken_supergraph(tmp_path):
    bad = tmp_path / "s.graphql"
    bad.write_text("type Query { a: Int }")
    res = subprocess.run([sys.executable, "-m", "router", "--supergraph", str(bad), "--port", "0"],
                         capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert res.returncode == 2 and "not a supergraph" in res.stderr


def test_cli_compose_serves_the_composed_supergraph(tmp_path):
    """`router --compose supergraph.yaml` composes at start with our composer, then serves."""
    from devstack.ports import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "router", "--compose", str(ROOT / "supergraph/supergraph.yaml"),
                             "--port", str(port)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def answers():
            try:
                return httpx.post(f"http://127.0.0.1:{port}/graphql",
                                  json={"query": "{ __schema { mutationType { fields { name } } } }"}).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(answers, 30, 0.1), proc.stdout.read1().decode() if proc.stdout else ""
        body = httpx.post(f"http://127.0.0.1:{port}/graphql",
                          json={"query": "{ __schema { mutationType { fields { name } } } }"}).json()
        names = {f["name"] for f in body["data"]["__schema"]["mutationType"]["fields"]}
        assert {"register", "createOrder", "payOrder"} <= names
        assert list(tmp_path.iterdir()) == [], "nothing is written into the working directory"
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_compose_reports_composition_errors(tmp_path):
    (tmp_path / "a.graphql").write_text("type Query { a: Int }\ntype T @key(fields: \"id\") { id: ID! x: Int }")
    (tmp_path / "b.graphql").write_text("type Query { b: Int }\ntype T @key(fields: \"id\") { id: ID! x: String }")
    (tmp_path / "supergraph.yaml").write_text(
        "federation_version: =2.3.0\nsubgraphs:\n"
        "  a: {routing_url: http://a/graphql, schema: {file: a.graphql}}\n"
        "  b: {routing_url: http://b/graphql, schema: {file: b.graphql}}\n")
    res = subprocess.run([sys.executable, "-m", "router", "--compose", str(tmp_path / "supergraph.yaml"), "--port", "0"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode != 0
    assert "composing" in res.stderr and "error[" in res.stderr
