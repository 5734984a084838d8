import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_hot_reload_swaps_and_ignores_broken_files(make_router, supergraph_file):
    r = make_router()
    q = {"query": "{ users { id } }"}
    assert httpx.post(r.url, json=q).json()["data"]["users"][0]["id"] == "u1"
    original = supergraph_file.read_text()
    # a new supergraph where User.email is no longer exposed
    changed = original.replace("  email: String! @join__field(graph: USERS)\n", "")
    assert changed != original
    supergraph_file.write_text(changed)
    probe = {"query": "{ users { email } }"}
    assert wait_for(lambda: "errors" in httpx.post(r.url, json=probe).json())
    # a broken file is ignored: the last good supergraph keeps serving
    supergraph_file.write_text("type Query {")
    time.sleep(1.0)
    assert httpx.post(r.url, json=q).json()["data"]["users"][0]["id"] == "u1"
    supergraph_file.write_text(original)
    assert wait_for(lambda: "data" in httpx.post(r.url, json=probe).json()
                    and httpx.post(r.url, json=probe).json()["data"] is not None)


def test_cli_plan_prints_the_tree(tmp_path):
    q = tmp_path / "q.graphql"
    q.write_text("{ users { name reviews { body } } }")
    out = subprocess.run([sys.executable, "-m", "router", "plan", "--supergraph",
                          str(ROOT / "tests/fixtures/router/supergraph.graphql"), str(q)],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.startswith("QueryPlan {")
    assert 'Fetch(service: "users")' in out and 'Flatten(path: "users.@")' in out


def test_cli_refuses_a_broken_supergraph(tmp_path):
    bad = tmp_path / "s.graphql"
    bad.write_text("type Query { a: Int }")
    res = subprocess.run([sys.executable, "-m", "router", "--supergraph", str(bad), "--port", "0"],
                         capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert res.returncode == 2 and "not a supergraph" in res.stderr
