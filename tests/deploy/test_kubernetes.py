"""deploy/k8s/, validated against the Kubernetes API schemas (offline) and against the code."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from devstack.stack import DEV_PORTS
from tests.deploy.topology import ROOT, router_env, subgraph_env

K8S = ROOT / "deploy" / "k8s"
SUBGRAPHS = ["users", "orders", "payments"]
SERVICES = [*SUBGRAPHS, "router"]


def documents() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def find(kind: str, name: str) -> dict:
    for doc in documents():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind} {name} in deploy/k8s")


def test_every_manifest_is_valid_kubernetes() -> None:
    docs = documents()
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, "1.31", strict=True)


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_deployment_matches_the_service(name: str) -> None:
    deployment = find("Deployment", name)
    spec = deployment["spec"]
    assert spec["replicas"] == 3
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"requests", "limits"} <= set(container["resources"])
    port = DEV_PORTS[name]
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    env = {item["name"]: item for item in container["env"]}
    assert env["PORT"]["value"] == str(port)
    reads = subgraph_env(name)
    assert not set(env) - set(reads), f"{name}: env the code never reads: {set(env) - set(reads)}"
    assert not {v for v, required in reads.items() if required} - set(env)
    service = find("Service", name)
    assert service["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]
    assert service["spec"]["selector"] == spec["selector"]["matchLabels"]


@pytest.mark.parametrize("name", SERVICES)
def test_secrets_come_from_secret_objects(name: str) -> None:
    container = find("Deployment", name)["spec"]["template"]["spec"]["containers"][0]
    for item in container["env"]:
        if "valueFrom" in item:
            ref = item["valueFrom"]["secretKeyRef"]
            secret = find("Secret", ref["name"])
            assert ref["key"] in secret["stringData"]
        else:
            assert "://" not in item["value"] or "@" not in item["value"], item
    for volume in find("Deployment", name)["spec"]["template"]["spec"].get("volumes", []):
        if "secret" in volume:
            find("Secret", volume["secret"]["secretName"])


def test_router_deployment_and_its_config_map() -> None:
    from devstack.deploy import render

    deployment = find("Deployment", "router")
    assert deployment["spec"]["replicas"] == 3
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    from router.plugins.telemetry import PRODUCTION_METRICS_PORT

    assert container["ports"] == [{"name": "http", "containerPort": DEV_PORTS["router"]},
                                  {"name": "metrics", "containerPort": PRODUCTION_METRICS_PORT}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    env = {item["name"]: item for item in container["env"]}
    assert not set(env) - router_env(), f"router: env the router never reads: {set(env) - router_env()}"
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "router-config"]
    assert env["ROUTER_CONFIG"]["value"] == f"{mount['mountPath']}/router.yaml"
    assert env["ROUTER_SUPERGRAPH"]["value"] == f"{mount['mountPath']}/supergraph.graphql"
    (volume,) = [v for v in pod["volumes"] if v["name"] == "router-config"]
    config_map = find("ConfigMap", volume["configMap"]["name"])
    assert set(config_map["data"]) == {"router.yaml", "supergraph.graphql"}
    assert (K8S / "router-config.yaml").read_text() == render(), "deploy/k8s/router-config.yaml is stale: run `make schema`"
    # The pod sees the checked-in supergraph to the byte (a `|-` block: no newline added).
    assert config_map["data"]["supergraph.graphql"] == (ROOT / "schema" / "supergraph.graphql").read_text()
    assert find("Service", "router")["spec"]["ports"] == [{"name": "http", "port": 3000, "targetPort": "http"}]


CALLERS = {"users": {"router", "orders", "payments"}, "orders": {"router", "payments"}, "payments": {"router", "orders"}}


@pytest.mark.parametrize("name", sorted(CALLERS))
def test_only_the_router_and_peer_services_reach_a_subgraph(name: str) -> None:
    policy = find("NetworkPolicy", f"{name}-ingress")
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": name}
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    allowed: set[str] = set()
    for peer in rule["from"]:
        assert set(peer) == {"podSelector"}, "no namespace or IP-block peers"
        (expression,) = peer["podSelector"]["matchExpressions"]
        assert expression["key"] == "app.kubernetes.io/name" and expression["operator"] == "In"
        allowed |= set(expression["values"])
    assert allowed == CALLERS[name]
    assert rule["ports"] == [{"protocol": "TCP", "port": DEV_PORTS[name]}]


@pytest.mark.parametrize("name", SERVICES)
def test_router_and_subgraphs_share_the_signing_secret(name: str) -> None:
    container = find("Deployment", name)["spec"]["template"]["spec"]["containers"][0]
    (item,) = [e for e in container["env"] if e["name"] == "ROUTER_SIGNING_SECRET"]
    assert item["valueFrom"]["secretKeyRef"] == {"name": "router-signing", "key": "secret"}
