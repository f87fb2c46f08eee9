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
    assert "8000:8000" in services["desk-ingest"]["ports"]
    assert "8080:8080" in services["temporal-ui"]["ports"]


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
