"""compose.yaml and the Dockerfile, checked statically (no Docker engine runs here)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from devstack.stack import DEV_PORTS
from tests.deploy.topology import ROOT, router_env, subgraph_env

SUBGRAPHS = ["users", "orders", "payments"]
SECRETISH = re.compile(r"SECRET|PASSWORD|PRIVATE|TOKEN|_KEY$", re.I)


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def dockerfile_stages() -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        match = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if match:
            current = match.group(2) or match.group(1)
            stages[current] = [line]
        elif current:
            stages[current].append(line)
    return stages


def test_every_service_has_a_healthcheck_and_a_restart_policy() -> None:
    services = compose()["services"]
    assert {"mongo", "rabbitmq", "redis", "router", *SUBGRAPHS} <= set(services)
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") in {"unless-stopped", "always", "on-failure"}, name


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_ports_and_health_paths_match_the_code(name: str) -> None:
    service = compose()["services"][name]
    port = DEV_PORTS[name]
    assert "ports" not in service, f"{name}: a subgraph's port must not be published on the host"
    assert service["expose"] == [str(port)]
    assert service["environment"]["PORT"] == str(port)
    assert f"127.0.0.1:{port}/health" in " ".join(service["healthcheck"]["test"])
    assert service["build"]["target"] == name
    assert service["depends_on"]["mongo"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_environment_is_what_the_code_reads(name: str) -> None:
    environment = compose()["services"][name]["environment"]
    reads = subgraph_env(name)
    unknown = set(environment) - set(reads)
    assert not unknown, f"{name}: compose sets variables the code never reads: {unknown}"
    missing = {var for var, required in reads.items() if required} - set(environment)
    assert not missing, f"{name}: required variables not set: {missing}"
    if name != "users":
        assert {"JWT_JWKS_URL", "JWT_PUBLIC_KEY_FILE"} & set(environment)
    assert "replicaSet=" in environment["MONGODB_URI"], "transactions need a replica set"


def test_no_secret_is_written_into_compose_or_the_image() -> None:
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRETISH.search(key):
                assert str(value).startswith(("${", "/run/secrets/")), f"{name}.{key} is a literal secret"
        for key, value in (service.get("environment") or {}).items():
            if "://" in str(value) and "@" in str(value):
                assert "${" in str(value), f"{name}.{key} embeds credentials"
    for stage, lines in dockerfile_stages().items():
        for line in lines:
            if re.match(r"\s*(ENV|ARG)\s", line):
                names = re.findall(r"([A-Z_][A-Z0-9_]*)=", line) or line.split()[1:2]
                assert not [n for n in names if SECRETISH.search(n)], f"{stage}: {line}"


def test_env_example_covers_every_interpolation() -> None:
    wanted = set(re.findall(r"\$\{(\w+)", (ROOT / "compose.yaml").read_text()))
    example = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines() if "=" in line and not line.startswith("#")}
    assert wanted <= example, f".env.example lacks {wanted - example}"


def test_dockerfile_builds_each_service_as_non_root_from_slim() -> None:
    stages = dockerfile_stages()
    assert "build" in stages and "runtime" in stages
    runtime = "\n".join(stages["runtime"])
    assert re.search(r"^USER\s+10001", runtime, re.M), "the runtime image must not run as root"
    assert "slim" in (ROOT / "Dockerfile").read_text().split("PYTHON_IMAGE=")[1].splitlines()[0]
    assert "COPY --from=build /opt/venv" in runtime
    for name in SUBGRAPHS:
        stage = "\n".join(stages[name])
        assert stages[name][0].split()[1] == "runtime", f"{name} must build on the runtime stage"
        assert f'CMD ["python", "-m", "subgraphs.{name}"]' in stage
        assert f"EXPOSE {DEV_PORTS[name]}" in stage
        assert not re.search(r"^USER\s+(root|0)\b", stage, re.M)
    for name in ("runtime", *SUBGRAPHS):
        assert not re.search(r"apt-get|gcc|build-essential", "\n".join(stages[name])), name


def test_docker_compose_parses_the_file(tmp_path: Path) -> None:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is needed to parse compose.yaml (apt-get install docker-compose; devstack/prereqs.sh installs it)"
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "jwt-private.pem").write_text("placeholder")
    result = subprocess.run([binary, "-f", "compose.yaml", "config", "-q"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_router_service_matches_the_router() -> None:
    from router.config import load_config
    from router.plugins import build_plugins

    router = compose()["services"]["router"]
    port = DEV_PORTS["router"]
    assert router["ports"] == [f"{port}:{port}"] and router["environment"]["ROUTER_PORT"] == str(port)
    assert f"127.0.0.1:{port}/health" in " ".join(router["healthcheck"]["test"])
    assert router["build"]["target"] == "router"
    environment = {key: str(value) for key, value in router["environment"].items()}
    unknown = set(environment) - router_env()
    assert not unknown, f"router: compose sets variables the router never reads: {unknown}"
    for name in SUBGRAPHS:
        assert router["depends_on"][name]["condition"] == "service_healthy"
        assert environment[f"{name.upper()}_URL"] == f"http://{name}:{DEV_PORTS[name]}/graphql"
    # The shop's router.yaml, read with the container's environment, is a valid configuration.
    config = load_config(str(ROOT / "router" / "router.yaml"), env=environment)
    assert config.subgraphs["users"].url == "http://users:3001/graphql"
    assert config.sections["rate_limit"].store == "redis"
    assert build_plugins(config)


def test_dockerfile_router_stage() -> None:
    stages = dockerfile_stages()
    router = "\n".join(stages["router"])
    assert stages["router"][0].split()[1] == "runtime"
    assert 'CMD ["python", "-m", "router"]' in router and f"EXPOSE {DEV_PORTS['router']}" in router
    assert "ROUTER_ENV=production" in router, "GraphiQL is off by default in production"
    assert "COPY --from=graphiql" in router, "the router serves GraphiQL's bundles itself"
    assert "node" not in router.replace("--from=graphiql", ""), "no Node.js in the router image"


def test_router_and_subgraphs_share_the_signing_secret() -> None:
    services = compose()["services"]
    values = {name: services[name]["environment"].get("ROUTER_SIGNING_SECRET") for name in [*SUBGRAPHS, "router"]}
    assert len(set(values.values())) == 1 and str(values["router"]).startswith("${ROUTER_SIGNING_SECRET:?"), values
