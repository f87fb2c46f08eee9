"""docker-compose.yml cannot run here (no Docker engine); check what can be read from it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from temporalio.common import SearchAttributeKey

from desk import search_attributes

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DESK_KEYS = cast(list[SearchAttributeKey[Any]], search_attributes.ALL)

# The CLI's names for the SDK's indexed value types.
CLI_TYPES = {
    "KEYWORD": "Keyword",
    "KEYWORD_LIST": "KeywordList",
    "BOOL": "Bool",
    "TEXT": "Text",
    "INT": "Int",
    "DOUBLE": "Double",
    "DATETIME": "Datetime",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def test_every_dependency_exists(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for dep in depends_on(service):
            assert dep in services, f"{name} depends on unknown service {dep}"


def test_startup_order(services: dict[str, Any]) -> None:
    assert depends_on(services["temporal-admin-tools"]) == {"postgresql": "service_healthy"}
    assert depends_on(services["temporal"])["temporal-admin-tools"] == (
        "service_completed_successfully"
    )
    assert depends_on(services["temporal-create-namespace"])["temporal"] == "service_healthy"
    for desk in ("desk-worker", "desk-ingest"):
        assert depends_on(services[desk])["temporal-create-namespace"] == (
            "service_completed_successfully"
        )
    # Conditions on services only work if those services declare a healthcheck.
    for name, service in services.items():
        for dep, condition in depends_on(service).items():
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits on {dep}'s health"


def test_no_auto_setup_and_pinned_images(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image = service.get("image")
        if image is None:
            continue
        repo, _, tag = image.partition(":")
        assert "auto-setup" not in repo, f"{name}: temporalio/auto-setup is deprecated"
        assert tag and tag != "latest", f"{name}: pin a tag for {image}"
    assert services["temporal"]["image"].startswith("temporalio/server:")
    assert services["temporal-admin-tools"]["image"].startswith("temporalio/admin-tools:")
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert services["postgresql"]["image"] == "postgres:16"


def test_every_search_attribute_is_registered(services: dict[str, Any]) -> None:
    text = COMPOSE.read_text()
    registered = dict(arg.split("=", 1) for arg in services["temporal-create-namespace"]["command"])
    for key in DESK_KEYS:
        assert key.name in text
        assert registered.get(key.name) == CLI_TYPES[key.indexed_value_type.name], key.name
    assert set(registered) == {key.name for key in DESK_KEYS}


def test_desk_services_use_the_dockerfile(services: dict[str, Any]) -> None:
    for name, command in (("desk-worker", ["desk", "worker"]), ("desk-ingest", ["desk", "ingest"])):
        service = services[name]
        build = service["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert (ROOT / context / dockerfile).resolve() == (ROOT / "Dockerfile").resolve()
        assert service["command"] == command
        env = service["environment"]
        assert env["DESK_TEMPORAL_ADDRESS"] == "temporal:7233"
        assert env["DESK_DATABASE_URL"] == (
            "postgresql+psycopg://temporal:temporal@postgresql:5432/shop"
        )
    assert services["desk-ingest"]["environment"]["DESK_INGEST_HOST"] == "0.0.0.0"
    assert published(services["desk-ingest"]) == [("127.0.0.1", "8000", "8000")]
    assert published(services["temporal-ui"]) == [("127.0.0.1", "8080", "8080")]


def published(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of each published port, in either of
    compose's syntaxes; no host address means every interface (0.0.0.0)."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.append(
                (
                    str(port.get("host_ip", "0.0.0.0")),
                    str(port.get("published", "")),
                    str(port["target"]),
                )
            )
            continue
        text = str(port).split("/", 1)[0]
        if text.startswith("["):  # an IPv6 host address: "[::1]:8000:8000"
            host, _, rest = text[1:].partition("]:")
            host_port, _, container = rest.rpartition(":")
        else:
            parts = text.split(":")
            host = parts[0] if len(parts) == 3 else "0.0.0.0"
            host_port = parts[-2] if len(parts) >= 2 else ""
            container = parts[-1]
        found.append((host, host_port, container))
    return found


def test_ports_are_published_on_loopback_only(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for host, host_port, container in published(service):
            assert host in ("127.0.0.1", "::1"), (
                f"{name} publishes {host_port}->{container} on {host}: only on 127.0.0.1"
            )


def test_the_temporal_frontend_is_never_published(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for _, host_port, container in published(service):
            assert "7233" not in (host_port, container), (
                f"{name} publishes Temporal's frontend (7233); the desk reaches it on the "
                "compose network"
            )


def test_the_published_port_helper_reads_both_syntaxes() -> None:
    assert published(
        {
            "ports": [
                "7233:7233",
                "8000",
                "127.0.0.1:8080:8080",
                "[::1]:9000:9000/tcp",
                {"target": 7233, "published": 17233},
                {"target": 80, "published": "8081", "host_ip": "127.0.0.1"},
            ]
        }
    ) == [
        ("0.0.0.0", "7233", "7233"),
        ("0.0.0.0", "", "8000"),
        ("127.0.0.1", "8080", "8080"),
        ("::1", "9000", "9000"),
        ("0.0.0.0", "17233", "7233"),
        ("127.0.0.1", "8081", "80"),
    ]


def test_ingest_receives_every_channel_authentication_setting(services: dict[str, Any]) -> None:
    """Ingest listens on 0.0.0.0 in its container, so it starts only with every served
    channel authenticated: compose must pass each of those settings through."""
    env = services["desk-ingest"]["environment"]
    for name in (
        "DESK_INGEST_CHANNELS",
        "DESK_TWILIO_AUTH_TOKEN",
        "DESK_POSTMARK_WEBHOOK_USER",
        "DESK_POSTMARK_WEBHOOK_PASSWORD",
        "DESK_EMAIL_AUTHSERV_ID",
        "DESK_IDENTITY_SECRET",
        "DESK_SOCIAL_WEBHOOK_SECRET",
    ):
        assert name in env, name
    assert "DESK_DEV_MODE" not in env


def test_dockerfile_installs_the_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert "pip install ." in text
    # Every package pyproject.toml ships must be copied into the image.
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert {"desk", "workflows", "activities", "workers", "starters", "ingest"} <= set(packages)
    for package in packages:
        assert re.search(rf"^COPY {package} ", text, re.MULTILINE), package


def test_mounted_files_exist(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
    dynamic = services["temporal"]["environment"]["DYNAMIC_CONFIG_FILE_PATH"]
    assert (ROOT / "deploy/temporal/dynamicconfig" / Path(dynamic).name).is_file()
    yaml.safe_load((ROOT / "deploy/temporal/dynamicconfig" / Path(dynamic).name).read_text())
