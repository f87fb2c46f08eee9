"""The ingest API against a real Temporal (the time-skipping test server), no worker.

"Accepted" means Temporal durably holds the message: each happy path checks the intake
workflow exists, is running, and carries the parsed message as its input. The attacks are
made on purpose: forged senders, forged authentication headers, missing and wrong
signatures, hostile bodies; each checks what the desk answers and what it started.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RetryConfig, RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from desk.binaries import find_binary
from desk.config import ConfigError, Settings
from desk.data_converter import DATA_CONVERTER
from desk.models import Channel, InboundMessage
from desk.routing import intake_workflow_id
from devtools.test_server import start_test_server
from ingest.app import create_app

BASE_URL = "http://127.0.0.1"
TASK_QUEUE = "ingest-test"
IDENTITY_SECRET = "merchant-identity-secret"
SOCIAL_SECRET = "meta-app-secret"
AUTHSERV = "inbound.desk.example"


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_test_server()
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return env.client


def settings(**overrides: Any) -> Settings:
    return Settings(task_queue=TASK_QUEUE, temporal_address="temporal.test:7233", **overrides)


def http(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


def uid() -> str:
    return uuid.uuid4().hex[:12]


def intake_id(channel: Channel, message_id: str, scope: str | None = None) -> str:
    return intake_workflow_id(
        InboundMessage(message_id=message_id, channel=channel, sender="x", provider_scope=scope)
    )


async def started_message(client: Client, workflow_id: str) -> InboundMessage:
    """The intake workflow is running, of the right type, and holds this message."""
    handle = client.get_workflow_handle(workflow_id)
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert description.workflow_type == "IntakeWorkflow"
    assert description.task_queue == TASK_QUEUE
    history = await handle.fetch_history()
    first = history.events[0]
    assert first.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    payloads = first.workflow_execution_started_event_attributes.input.payloads
    [message] = await client.data_converter.decode(payloads, [InboundMessage])
    assert isinstance(message, InboundMessage)
    assert intake_workflow_id(message) == workflow_id
    return message


async def assert_not_started(client: Client, workflow_id: str) -> None:
    with pytest.raises(RPCError) as err:
        await client.get_workflow_handle(workflow_id).describe()
    assert err.value.status == RPCStatusCode.NOT_FOUND


def accepted(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert body["accepted"] is True
    return body


def refused(response: httpx.Response, status: int, field: str | None = None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"error", "field"} and body["error"]
    if field is not None:
        assert body["field"] == field
    return str(body["error"])


def twilio_signature(token: str, url: str, form: dict[str, str], digest: str = "sha1") -> str:
    """Twilio's documented algorithm, written out independently of the app's."""
    data = url + "".join(f"{key}{form[key]}" for key in sorted(form))
    mac = hmac.new(token.encode(), data.encode(), getattr(hashlib, digest)).digest()
    return base64.b64encode(mac).decode()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def user_hash(user: str, secret: str = IDENTITY_SECRET) -> str:
    return hmac.new(secret.encode(), user.encode(), hashlib.sha256).hexdigest()


def hub(body: bytes, secret: str = SOCIAL_SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={signature}", "Content-Type": "application/json"}


def twilio_mms(sid: str) -> dict[str, str]:
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "1",
        "ToCity": "",
        "FromZip": "94105",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "SAN FRANCISCO",
        "Body": "Says delivered, not here. Order 1001",
        "FromCountry": "US",
        "To": "+15550000000",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "From": "+15551234567",
        "MediaContentType0": "image/jpeg",
        "MediaUrl0": f"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/{sid}/Media/ME1",
        "ApiVersion": "2010-04-01",
    }


def postmark(mid: str, sender: str = "ann@example.com", **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "FromName": "Ann Smith",
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": "Ann Smith", "MailboxHash": ""},
        "To": '"Support" <support@shop.example>',
        "ToFull": [{"Email": "support@shop.example", "Name": "Support", "MailboxHash": ""}],
        "Subject": "Order 1001 damaged",
        "MessageID": mid,
        "Date": "Fri, 1 Aug 2014 16:45:32 -04:00",
        "TextBody": "The box arrived crushed, photo attached.",
        "HtmlBody": "<p>The box arrived crushed, photo attached.</p>",
        "Headers": [],
        "Attachments": [],
    }
    payload.update(extra)
    return payload


def chat(mid: str, handle: str = "ann_s", conversation: str = "conv-1", **extra: Any) -> dict:
    return {
        "conversation_id": conversation,
        "message_id": mid,
        "handle": handle,
        "text": "where is my order 1001?",
        **extra,
    }


# ---------------------------------------------------------------- happy paths


async def test_sms_mms_with_image(client: Client) -> None:
    sid = f"MM{uid()}"
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/sms", data=twilio_mms(sid)))
    assert body == {
        "accepted": True,
        "message_id": sid,
        "intake_workflow_id": intake_id(Channel.sms, sid),
        "duplicate": False,
        "authenticated": False,
        "auth_method": "none",
    }
    message = await started_message(client, body["intake_workflow_id"])
    assert message.channel == Channel.sms
    assert message.sender == "+15551234567"
    assert message.text == "Says delivered, not here. Order 1001"
    assert [(a.kind, a.content_type) for a in message.attachments] == [("image", "image/jpeg")]
    assert not message.auth.authenticated
    assert "DESK_TWILIO_AUTH_TOKEN" in message.auth.detail


async def test_email_postmark_with_image(client: Client) -> None:
    mid = str(uuid.uuid4())
    attachment = {
        "Name": "box.jpg",
        "Content": "/9j/4AAQSkZJRg==",
        "ContentType": "image/jpeg",
        "ContentLength": 4096,
        "ContentID": "",
    }
    async with http(create_app(client, settings())) as api:
        body = accepted(
            await api.post("/ingest/email", json=postmark(mid, Attachments=[attachment]))
        )
    message = await started_message(client, body["intake_workflow_id"])
    assert (message.channel, message.sender) == (Channel.email, "ann@example.com")
    assert message.subject == "Order 1001 damaged"
    assert message.text == "The box arrived crushed, photo attached."
    assert [(a.kind, a.name) for a in message.attachments] == [("image", "box.jpg")]
    assert message.received_at is not None and message.received_at.utcoffset() is not None


async def test_chat(client: Client) -> None:
    mid = f"chat-{uid()}"
    payload = chat(mid, sent_at="2024-05-02T10:15:00Z", attachments=[])
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/chat", json=payload))
    message = await started_message(client, body["intake_workflow_id"])
    assert (message.channel, message.message_id, message.sender) == (Channel.chat, mid, "ann_s")
    assert message.provider_scope == "conv-1"
    assert message.text == "where is my order 1001?"


async def test_web_form_with_order_number(client: Client) -> None:
    sub = f"form-{uid()}"
    payload = {
        "submission_id": sub,
        "email": "ann@example.com",
        "name": "Ann Smith",
        "subject": "Never arrived",
        "message": "My parcel never came.",
        "order_number": "1001",
    }
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/web", json=payload))
    message = await started_message(client, body["intake_workflow_id"])
    assert message.channel == Channel.web
    assert message.text == "My parcel never came.\n\nOrder 1001"
    assert message.subject == "Never arrived"


async def test_social(client: Client) -> None:
    mid = uid()
    payload = {
        "platform": "instagram",
        "message_id": mid,
        "handle": "@ann.s",
        "text": "wrong item in my box",
        "attachments": [{"kind": "image", "name": "item.jpg", "content_type": "image/jpeg"}],
    }
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/social", json=payload))
    assert body["message_id"] == f"instagram:{mid}"
    assert body["intake_workflow_id"] == intake_id(Channel.social, f"instagram:{mid}", "instagram")
    message = await started_message(client, body["intake_workflow_id"])
    assert (message.channel, message.sender) == (Channel.social, "@ann.s")
    assert message.provider_scope == "instagram"
    assert message.attachments[0].kind == "image"


async def test_healthz(client: Client) -> None:
    async with http(create_app(client, settings(ingest_token="t"))) as api:
        response = await api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "temporal": "temporal.test:7233"}


async def test_static_summary_and_logs_carry_no_personal_data(client: Client) -> None:
    mid = str(uuid.uuid4())
    payload = postmark(
        mid, "dana.secret@example.com", Subject="Private subject", TextBody="my secret text"
    )
    with structlog.testing.capture_logs() as logs:
        async with http(create_app(client, settings())) as api:
            body = accepted(await api.post("/ingest/email", json=payload))
            refused(await api.post("/ingest/email", json={**payload, "MessageID": 7}), 422)
    description = await client.get_workflow_handle(body["intake_workflow_id"]).describe()
    summary = await description.static_summary()
    assert summary is not None and summary.startswith("email message ")
    logged = json.dumps(logs)
    for secret in ("dana.secret", "Private subject", "my secret text"):
        assert secret not in (summary or "")
        assert secret not in logged
    [entry] = [e for e in logs if e["event"] == "ingest.accepted"]
    assert entry["auth_method"] == "none" and entry["text_chars"] == len("my secret text")


# ---------------------------------------------------------------- retries and rejections


async def test_webhook_retry_is_a_duplicate_and_starts_nothing(client: Client) -> None:
    payload = chat(f"chat-{uid()}", text="hello")
    async with http(create_app(client, settings())) as api:
        first = accepted(await api.post("/ingest/chat", json=payload))
        run_id = (await client.get_workflow_handle(first["intake_workflow_id"]).describe()).run_id
        retry = accepted(await api.post("/ingest/chat", json={**payload, "text": "hello again"}))
    assert first["duplicate"] is False
    assert retry == {**first, "duplicate": True}
    handle = client.get_workflow_handle(first["intake_workflow_id"])
    assert (await handle.describe()).run_id == run_id
    assert (await started_message(client, first["intake_workflow_id"])).text == "hello"


async def test_twilio_retry_is_a_duplicate(client: Client) -> None:
    sid = f"SM{uid()}"
    async with http(create_app(client, settings())) as api:
        accepted(await api.post("/ingest/sms", data=twilio_mms(sid)))
        again = accepted(await api.post("/ingest/sms", data=twilio_mms(sid)))
    assert again["duplicate"] is True


async def test_ids_that_differ_only_in_punctuation_or_conversation_are_two_messages(
    client: Client,
) -> None:
    """``col/1`` and ``col:1`` once both became ``col_1``; one id in two conversations
    was one workflow. Each is its own message now, and a retry is still a duplicate."""
    tag = uid()
    sent = [
        chat(f"{tag}-col/1", conversation="conv-a"),
        chat(f"{tag}-col:1", conversation="conv-a"),
        chat(f"{tag}-col:1", conversation="conv-b"),
    ]
    async with http(create_app(client, settings())) as api:
        answers = [accepted(await api.post("/ingest/chat", json=p)) for p in sent]
        retry = accepted(await api.post("/ingest/chat", json=sent[1]))
    ids = [a["intake_workflow_id"] for a in answers]
    assert len(set(ids)) == 3
    assert [a["duplicate"] for a in answers] == [False, False, False]
    assert retry["duplicate"] is True and retry["intake_workflow_id"] == ids[1]
    for payload, workflow_id in zip(sent, ids, strict=True):
        message = await started_message(client, workflow_id)
        assert (message.message_id, message.provider_scope) == (
            payload["message_id"],
            payload["conversation_id"],
        )


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/ingest/chat", {"conversation_id": "c", "message_id": "M", "text": "hi"}, "handle"),
        ("/ingest/chat", {"message_id": "M", "handle": "h", "text": "hi"}, "conversation_id"),
        ("/ingest/web", {"submission_id": "M", "message": "hi"}, "email"),
        ("/ingest/social", {"platform": "x", "message_id": "M", "text": "hi"}, "handle"),
        ("/ingest/email", {"MessageID": "M", "TextBody": "hi"}, "From"),
        ("/ingest/email", {"MessageID": "M", "From": "a@b.example", "Headers": "x"}, "Headers"),
        ("/ingest/chat", {"conversation_id": "c", "message_id": "M", "handle": 5}, "handle"),
    ],
)
async def test_missing_or_bad_field_is_422_naming_it(
    client: Client, path: str, payload: dict[str, Any], field: str
) -> None:
    mid = uid()
    payload = {k: (mid if v == "M" else v) for k, v in payload.items()}
    async with http(create_app(client, settings())) as api:
        response = await api.post(path, json=payload)
    error = refused(response, 422, field)
    assert field in error
    channel = Channel(path.rsplit("/", 1)[1])
    message_id, scope = (f"x:{mid}", "x") if channel == Channel.social else (mid, None)
    await assert_not_started(client, intake_id(channel, message_id, scope or "c"))
    await assert_not_started(client, intake_id(channel, message_id, scope))


async def test_sms_missing_from_is_422(client: Client) -> None:
    sid = f"SM{uid()}"
    form = twilio_mms(sid)
    del form["From"]
    async with http(create_app(client, settings())) as api:
        response = await api.post("/ingest/sms", data=form)
    refused(response, 422, "From")
    await assert_not_started(client, intake_id(Channel.sms, sid))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b'{"conversation_id": "c", "message_id": "m", "handle": "h", "n": NaN}', "NaN"),
        (b'{"conversation_id": "c", "message_id": "m", "handle": "h", "n": -Infinity}', "Inf"),
        (b'{"conversation_id": "c", "message_id": "m", "handle": "h", "n": 1e999}', "too large"),
        (b'{"conversation_id": "c", "message_id": "\xff\xfe", "handle": "h"}', "UTF-8"),
        (b'{"a": ' * 40 + b"1" + b"}" * 40, "deeper"),
        (b"[" * 100_000, "deeper"),
        (b'{"n": ' + b"9" * 5000 + b"}", "not valid JSON"),
    ],
)
async def test_malformed_json_is_422_naming_the_body(
    client: Client, content: bytes, problem: str
) -> None:
    async with http(create_app(client, settings())) as api:
        response = await api.post(
            "/ingest/chat", content=content, headers={"content-type": "application/json"}
        )
    assert problem in refused(response, 422, "body")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (r'"text": "hi \ud800 there"', "text"),
        (r'"attachments": [{"name": "a\udfffb"}]', "attachments[0].name"),
        (r'"\ud83d": 1', "body (a key)"),
    ],
)
async def test_a_lone_surrogate_is_422_naming_the_field(
    client: Client, raw: str, field: str
) -> None:
    mid = uid()
    content = f'{{"conversation_id": "c", "message_id": "{mid}", "handle": "h", {raw}}}'
    async with http(create_app(client, settings())) as api:
        response = await api.post(
            "/ingest/chat", content=content.encode(), headers={"content-type": "application/json"}
        )
    assert "lone surrogate" in refused(response, 422, field)
    await assert_not_started(client, intake_id(Channel.chat, mid, "c"))


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/ingest/chat", "text/plain"),
        ("/ingest/chat", None),
        ("/ingest/chat", "application/x-www-form-urlencoded"),
        ("/ingest/chat", "application/json; charset=latin-1"),
        ("/ingest/email", "multipart/form-data; boundary=x"),
        ("/ingest/web", "application/jsonx"),
        ("/ingest/social", "text/json"),
        ("/ingest/sms", "application/json"),
        ("/ingest/sms", "multipart/form-data; boundary=x"),
    ],
)
async def test_wrong_content_type_is_415(
    client: Client, path: str, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    async with http(create_app(client, settings())) as api:
        response = await api.post(path, content=b'{"a": 1}', headers=headers)
    refused(response, 415, "Content-Type")


async def test_json_with_charset_utf8_is_fine(client: Client) -> None:
    async with http(create_app(client, settings())) as api:
        response = await api.post(
            "/ingest/chat",
            content=json.dumps(chat(uid())).encode(),
            headers={"content-type": "Application/JSON; charset=UTF-8"},
        )
    accepted(response)


async def test_invalid_form_encoding_is_422(client: Client) -> None:
    async with http(create_app(client, settings())) as api:
        bad_utf8 = await api.post(
            "/ingest/sms",
            content=b"MessageSid=SM1&From=%2B1555&Body=%FF%FE",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        raw_bytes = await api.post(
            "/ingest/sms",
            content="MessageSid=SM1&From=+1555&Body=caf\u00e9".encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    refused(bad_utf8, 422, "body")
    refused(raw_bytes, 422, "body")


async def test_control_characters_are_stripped_and_lengths_cut(client: Client) -> None:
    mid = str(uuid.uuid4())
    payload = postmark(
        mid,
        Subject="Refund\r\nBcc: everyone\x00 \u202eevil" + "x" * 400,
        TextBody="line one\r\nline\x1b[31m two\ttabbed\x07\u202e\n" + "y" * 30_000,
        Attachments=[{"Name": f"a{i}\x00.jpg", "ContentType": "image/jpeg"} for i in range(25)],
    )
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/email", json=payload))
    message = await started_message(client, body["intake_workflow_id"])
    assert message.subject is not None
    assert message.subject.startswith("Refund Bcc: everyone evil")
    assert len(message.subject) <= 300 and message.subject.endswith("[…]")
    assert message.text.startswith("line one\nline[31m two\ttabbed\n")
    assert "[cut at ingest:" in message.text and "more characters]" in message.text
    assert not any(ch in message.text for ch in "\x00\x07\x1b\r\u202e")
    assert len(message.attachments) == 20 and message.attachments[0].name == "a0.jpg"


async def test_an_id_too_long_to_be_real_is_refused_not_cut(client: Client) -> None:
    async with http(create_app(client, settings())) as api:
        response = await api.post("/ingest/chat", json=chat("m" * 600))
    assert "longer than 512" in refused(response, 422, "message_id")


async def test_a_channel_not_served_is_404(client: Client) -> None:
    app = create_app(client, settings(ingest_channels=[Channel.email, Channel.chat]))
    async with http(app) as api:
        sms = await api.post("/ingest/sms", data=twilio_mms(f"SM{uid()}"))
        social = await api.post("/ingest/social", json={"platform": "x"})
        chat_ok = await api.post("/ingest/chat", json=chat(uid()))
        get = await api.get("/ingest/chat")
    refused(sms, 404)
    refused(social, 404)
    accepted(chat_ok)
    refused(get, 405)


# ---------------------------------------------------------------- size


class Counting:
    """A streamed request body that counts what the app consumed of it."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total = total
        self.chunk = chunk
        self.consumed = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        first = b'{"conversation_id": "c", "message_id": "m", "handle": "h", "text": "'
        self.consumed += len(first)
        yield first
        while self.consumed < self.total:
            piece = b"x" * min(self.chunk, self.total - self.consumed)
            self.consumed += len(piece)
            yield piece


@pytest.mark.parametrize("declared", [True, False])
async def test_a_20mb_body_is_413_without_reading_it_all(client: Client, declared: bool) -> None:
    total = 20 * 1024 * 1024
    body = Counting(total)
    headers = {"content-type": "application/json"}
    if declared:
        headers["content-length"] = str(total)
    async with http(create_app(client, settings())) as api:
        response = await api.post("/ingest/chat", content=body, headers=headers)
    assert "larger than 262144 bytes" in refused(response, 413, "body")
    if declared:
        assert body.consumed <= 64 * 1024  # refused on Content-Length, before reading
    else:
        assert body.consumed <= 256 * 1024 + 2 * 64 * 1024  # stopped once past the limit


async def test_a_body_within_a_configured_limit(client: Client) -> None:
    payload = chat(uid(), text="z" * 3000)
    async with http(create_app(client, settings(ingest_max_bytes=2048))) as api:
        refused(await api.post("/ingest/chat", json=payload), 413, "body")
    async with http(create_app(client, settings(ingest_max_bytes=8192))) as api:
        accepted(await api.post("/ingest/chat", json=payload))


async def test_a_lying_content_length_is_400(client: Client) -> None:
    async with http(create_app(client, settings())) as api:
        response = await api.post(
            "/ingest/chat",
            content=b"{}",
            headers={"content-type": "application/json", "content-length": "two"},
        )
    assert response.status_code in (400, 413, 422)


# ---------------------------------------------------------------- SMS: Twilio's signature


async def test_twilio_signature_valid_is_authenticated(client: Client) -> None:
    token = "12345-twilio-auth-token"
    sid = f"MM{uid()}"
    form = twilio_mms(sid)
    signature = twilio_signature(token, f"{BASE_URL}/ingest/sms", form)
    async with http(create_app(client, settings(twilio_auth_token=token))) as api:
        response = await api.post(
            "/ingest/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
    body = accepted(response)
    assert (body["authenticated"], body["auth_method"]) == (True, "twilio_signature")
    message = await started_message(client, body["intake_workflow_id"])
    assert message.auth.method == "twilio_signature" and message.auth.authenticated


async def test_twilio_hmac_sha256_variant(client: Client) -> None:
    token, rule_key = "auth-token", "webhook-rule-key"
    form = twilio_mms(f"MM{uid()}")
    url = f"{BASE_URL}/ingest/sms"
    sha256_settings = {"X-Twilio-Webhooks-Signature-Settings": "key=KEY1,algorithm=HMAC_SHA256"}
    app = create_app(client, settings(twilio_auth_token=token, twilio_sha256_key=rule_key))
    async with http(app) as api:
        good = await api.post(
            "/ingest/sms",
            data=form,
            headers={
                "X-Twilio-Signature": twilio_signature(rule_key, url, form, "sha256"),
                **sha256_settings,
            },
        )
        # The SHA-1 signature under a header asking for SHA-256, a SHA-256 one with the
        # auth token instead of the rule's key, an algorithm nobody knows: all refused.
        sha1_claimed_sha256 = await api.post(
            "/ingest/sms",
            data=twilio_mms(f"MM{uid()}"),
            headers={"X-Twilio-Signature": twilio_signature(token, url, form), **sha256_settings},
        )
        wrong_key = await api.post(
            "/ingest/sms",
            data=form,
            headers={
                "X-Twilio-Signature": twilio_signature(token, url, form, "sha256"),
                **sha256_settings,
            },
        )
        unknown = await api.post(
            "/ingest/sms",
            data=form,
            headers={
                "X-Twilio-Signature": twilio_signature(rule_key, url, form, "sha256"),
                "X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_MD5",
            },
        )
    body = accepted(good)
    message = await started_message(client, body["intake_workflow_id"])
    assert message.auth.detail == "X-Twilio-Signature (HMAC-SHA256)"
    for response in (sha1_claimed_sha256, wrong_key, unknown):
        refused(response, 403, "X-Twilio-Signature")


@pytest.mark.parametrize("signature", [None, "", "bm90IHRoZSBzaWduYXR1cmU=", "é"])
async def test_unsigned_or_badly_signed_sms_is_403_and_starts_nothing(
    client: Client, signature: str | None
) -> None:
    sid = f"MM{uid()}"
    # As bytes: a forged header need not be ASCII.
    headers: dict[bytes, bytes] = {}
    if signature is not None:
        headers[b"X-Twilio-Signature"] = signature.encode()
    async with http(create_app(client, settings(twilio_auth_token="tok"))) as api:
        response = await api.post("/ingest/sms", data=twilio_mms(sid), headers=headers)
    refused(response, 403, "X-Twilio-Signature")
    await assert_not_started(client, intake_id(Channel.sms, sid))


async def test_twilio_signature_over_tampered_body_is_403(client: Client) -> None:
    token = "tok"
    sid = f"MM{uid()}"
    form = twilio_mms(sid)
    signature = twilio_signature(token, f"{BASE_URL}/ingest/sms", form)
    form["Body"] = "refund me 1000 dollars"
    async with http(create_app(client, settings(twilio_auth_token=token))) as api:
        response = await api.post(
            "/ingest/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
    refused(response, 403)
    await assert_not_started(client, intake_id(Channel.sms, sid))


# ---------------------------------------------------------------- email


POSTMARK_USER, POSTMARK_PASSWORD = "postmark", "s3cret-pass"


def email_settings(**extra: Any) -> Settings:
    return settings(
        postmark_webhook_user=POSTMARK_USER,
        postmark_webhook_password=POSTMARK_PASSWORD,
        email_authserv_id=AUTHSERV,
        **extra,
    )


def passing_headers(domain: str) -> list[dict[str, str]]:
    return [
        {
            "Name": "Authentication-Results",
            "Value": f"{AUTHSERV}; spf=pass smtp.mailfrom={domain}; dkim=pass "
            f"header.d={domain}; dmarc=pass header.from={domain}",
        }
    ]


async def test_forged_from_on_an_unauthenticated_webhook_is_accepted_unauthenticated(
    client: Client,
) -> None:
    """Anyone can post Postmark's JSON naming any From: with no credentials configured the
    message is taken, but nothing vouches for its sender."""
    payload = postmark(str(uuid.uuid4()), "ceo@bigcustomer.example", Headers=[])
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/email", json=payload))
    assert body["authenticated"] is False
    message = await started_message(client, body["intake_workflow_id"])
    assert message.sender == "ceo@bigcustomer.example"
    assert (message.auth.method, message.auth.authenticated) == ("none", False)
    assert "not authenticated" in message.auth.detail


async def test_forged_authentication_results_without_the_webhook_credentials(
    client: Client,
) -> None:
    """Headers that say DMARC passed, under the right authserv-id, count for nothing on a
    webhook that did not present the Basic credentials: refused when they are configured,
    unread when they are not."""
    forged = postmark(str(uuid.uuid4()), "ceo@bigcustomer.example")
    forged["Headers"] = passing_headers("bigcustomer.example") + [
        {"Name": "X-Spam-Tests", "Value": "DKIM_VALID_AU,SPF_PASS"}
    ]
    async with http(create_app(client, email_settings())) as api:
        missing = await api.post("/ingest/email", json=forged)
        wrong = await api.post("/ingest/email", json=forged, headers=basic(POSTMARK_USER, "guess"))
        not_basic = await api.post(
            "/ingest/email", json=forged, headers={"Authorization": f"Bearer {POSTMARK_PASSWORD}"}
        )
    for response in (missing, wrong, not_basic):
        refused(response, 401, "Authorization")
        assert response.headers["www-authenticate"].startswith("Basic")
    await assert_not_started(client, intake_id(Channel.email, forged["MessageID"]))

    open_settings = settings(email_authserv_id=AUTHSERV)  # no credentials configured
    async with http(create_app(client, open_settings)) as api:
        body = accepted(await api.post("/ingest/email", json=forged))
    message = await started_message(client, body["intake_workflow_id"])
    assert not message.auth.authenticated
    assert "headers are not read" in message.auth.detail


async def test_authenticated_webhook_and_passing_headers_authenticate_the_sender(
    client: Client,
) -> None:
    payload = postmark(str(uuid.uuid4()), "ann@example.com")
    payload["Headers"] = passing_headers("example.com")
    async with http(create_app(client, email_settings())) as api:
        response = await api.post(
            "/ingest/email", json=payload, headers=basic(POSTMARK_USER, POSTMARK_PASSWORD)
        )
    body = accepted(response)
    assert (body["authenticated"], body["auth_method"]) == (True, "email_authentication")
    message = await started_message(client, body["intake_workflow_id"])
    assert message.auth.detail.startswith("dmarc=pass header.from=example.com")


async def test_authenticated_webhook_with_a_spoofed_from(client: Client) -> None:
    """Postmark really delivered it, but the receiving server's verdict is that the From
    domain's DMARC failed: accepted, and unauthenticated."""
    payload = postmark(str(uuid.uuid4()), "ceo@bigcustomer.example")
    payload["Headers"] = [
        {
            "Name": "Authentication-Results",
            "Value": f"{AUTHSERV}; spf=pass smtp.mailfrom=bulk.example; dkim=pass "
            "header.d=bulk.example; dmarc=fail header.from=bigcustomer.example",
        },
        # Below the receiving server's own: the sender's forgery.
        *passing_headers("bigcustomer.example"),
    ]
    async with http(create_app(client, email_settings())) as api:
        response = await api.post(
            "/ingest/email", json=payload, headers=basic(POSTMARK_USER, POSTMARK_PASSWORD)
        )
    message = await started_message(client, accepted(response)["intake_workflow_id"])
    assert not message.auth.authenticated
    assert "dmarc=fail" in message.auth.detail


# ---------------------------------------------------------------- chat and web: signed identity


async def test_chat_claiming_someones_email_without_user_hash_is_unauthenticated(
    client: Client,
) -> None:
    payload = chat(uid(), handle="dana@example.com")
    async with http(create_app(client, settings(identity_secret=IDENTITY_SECRET))) as api:
        body = accepted(await api.post("/ingest/chat", json=payload))
    message = await started_message(client, body["intake_workflow_id"])
    assert message.sender == "dana@example.com"  # what they typed; nothing vouches for it
    assert (message.auth.method, message.auth.authenticated) == ("none", False)


async def test_chat_with_a_signed_identity(client: Client) -> None:
    payload = chat(uid(), handle="visitor-123", user="dana@example.com")
    payload["user_hash"] = user_hash("dana@example.com")
    async with http(create_app(client, settings(identity_secret=IDENTITY_SECRET))) as api:
        body = accepted(await api.post("/ingest/chat", json=payload))
    assert (body["authenticated"], body["auth_method"]) == (True, "signed_identity")
    message = await started_message(client, body["intake_workflow_id"])
    assert message.sender == "dana@example.com"


@pytest.mark.parametrize(
    "claim",
    [
        {"user": "dana@example.com", "user_hash": user_hash("dana@example.com", "guessed")},
        {"user": "dana@example.com", "user_hash": user_hash("mallory@example.com")},
        {"user": "dana@example.com", "user_hash": ""},
        {"user": "dana@example.com", "user_hash": "é" * 64},
        {"user": "dana@example.com", "user_hash": user_hash("dana@example.com").upper() + "0"},
        {"user": "", "user_hash": user_hash("")},
        {"user_hash": user_hash("dana@example.com")},
    ],
)
async def test_a_bad_signed_identity_is_accepted_anonymous(
    client: Client, claim: dict[str, str]
) -> None:
    payload = chat(uid(), handle="visitor-123", **claim)
    async with http(create_app(client, settings(identity_secret=IDENTITY_SECRET))) as api:
        body = accepted(await api.post("/ingest/chat", json=payload))
    assert body["authenticated"] is False
    message = await started_message(client, body["intake_workflow_id"])
    assert message.sender == "visitor-123"
    assert not message.auth.authenticated


async def test_a_signed_identity_is_not_believed_without_the_secret(client: Client) -> None:
    payload = chat(uid(), handle="visitor-1", user="dana@example.com", user_hash="0" * 64)
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/chat", json=payload))
    message = await started_message(client, body["intake_workflow_id"])
    assert (message.sender, message.auth.authenticated) == ("visitor-1", False)


async def test_web_form_with_a_signed_identity(client: Client) -> None:
    payload = {
        "submission_id": f"form-{uid()}",
        "email": "typed@example.com",
        "message": "Where is it?",
        "user": "+15551230001",
        "user_hash": user_hash("+15551230001"),
    }
    async with http(create_app(client, settings(identity_secret=IDENTITY_SECRET))) as api:
        body = accepted(await api.post("/ingest/web", json=payload))
    message = await started_message(client, body["intake_workflow_id"])
    assert (message.sender, message.auth.method) == ("+15551230001", "signed_identity")


async def test_merchant_relay_bearer_token_when_configured(client: Client) -> None:
    payload = chat(f"chat-{uid()}")
    async with http(create_app(client, settings(ingest_token="s3cret"))) as api:
        missing = await api.post("/ingest/chat", json=payload)
        wrong = await api.post(
            "/ingest/chat", json=payload, headers={"Authorization": "Bearer nope"}
        )
        basic_auth = await api.post(
            "/ingest/chat", json=payload, headers={"Authorization": "Basic s3cret"}
        )
        await assert_not_started(client, intake_id(Channel.chat, payload["message_id"], "conv-1"))
        right = await api.post(
            "/ingest/chat", json=payload, headers={"Authorization": "Bearer s3cret"}
        )
        # SMS is Twilio's to sign, never a bearer token (Twilio cannot send one); nor is
        # email (Postmark's Basic credentials) or social (the platform's signature).
        sms = await api.post("/ingest/sms", data=twilio_mms(f"SM{uid()}"))
        email = await api.post("/ingest/email", json=postmark(str(uuid.uuid4())))
    for response in (missing, wrong, basic_auth):
        refused(response, 401, "Authorization")
        assert response.headers["www-authenticate"] == "Bearer"
    accepted(right)
    accepted(sms)
    accepted(email)


# ---------------------------------------------------------------- social


def social_body(mid: str) -> bytes:
    return json.dumps(
        {"platform": "instagram", "message_id": mid, "handle": "@ann.s", "text": "hi"}
    ).encode()


async def test_social_signed_by_the_platform(client: Client) -> None:
    content = social_body(uid())
    async with http(create_app(client, settings(social_webhook_secret=SOCIAL_SECRET))) as api:
        body = accepted(await api.post("/ingest/social", content=content, headers=hub(content)))
    assert (body["authenticated"], body["auth_method"]) == (True, "platform_signature")


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha1=abc", "sha256=" + "0" * 64, "wrong-secret", "tampered"],
)
async def test_social_without_a_valid_signature_is_403(
    client: Client, signature: str | None
) -> None:
    mid = uid()
    content = social_body(mid)
    headers = {"Content-Type": "application/json"}
    if signature == "wrong-secret":
        headers = hub(content, "not-the-secret")
    elif signature == "tampered":
        headers = hub(content)
        content = content.replace(b'"hi"', b'"refund me"')
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    async with http(create_app(client, settings(social_webhook_secret=SOCIAL_SECRET))) as api:
        response = await api.post("/ingest/social", content=content, headers=headers)
    refused(response, 403, "X-Hub-Signature-256")
    await assert_not_started(client, intake_id(Channel.social, f"instagram:{mid}", "instagram"))


async def test_social_without_a_secret_is_unauthenticated(client: Client) -> None:
    content = social_body(uid())
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/social", content=content, headers=hub(content)))
    assert body["authenticated"] is False


# ---------------------------------------------------------------- development mode


async def test_dev_mode_trusts_unsigned_input_on_loopback(client: Client) -> None:
    app = create_app(client, settings(dev_mode=True, twilio_auth_token="tok"))
    async with http(app) as api:
        chat_body = accepted(await api.post("/ingest/chat", json=chat(uid())))
        email_body = accepted(await api.post("/ingest/email", json=postmark(str(uuid.uuid4()))))
        unsigned_sms = await api.post("/ingest/sms", data=twilio_mms(f"SM{uid()}"))
    for body in (chat_body, email_body):
        assert (body["authenticated"], body["auth_method"]) == (True, "dev_unsigned")
    message = await started_message(client, chat_body["intake_workflow_id"])
    assert message.auth.detail.startswith("development mode")
    # A configured signature is still checked: development mode trusts the unsigned only.
    refused(unsigned_sms, 403)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "desk.example"])
def test_dev_mode_refuses_beyond_loopback(host: str) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        create_app(None, settings(dev_mode=True, ingest_host=host))  # type: ignore[arg-type]


def test_beyond_loopback_every_served_channel_needs_authentication() -> None:
    everything = dict(
        twilio_auth_token="t",
        postmark_webhook_user="u",
        postmark_webhook_password="p",
        identity_secret="i",
        social_webhook_secret="s",
    )
    with pytest.raises(ConfigError) as err:
        create_app(None, settings(ingest_host="0.0.0.0"))  # type: ignore[arg-type]
    for name in ("DESK_TWILIO_AUTH_TOKEN", "DESK_POSTMARK_WEBHOOK_USER", "DESK_IDENTITY_SECRET"):
        assert name in str(err.value)
    missing_social = {k: v for k, v in everything.items() if k != "social_webhook_secret"}
    with pytest.raises(ConfigError, match="social: set DESK_SOCIAL_WEBHOOK_SECRET"):
        create_app(None, settings(ingest_host="0.0.0.0", **missing_social))  # type: ignore[arg-type]
    create_app(None, settings(ingest_host="0.0.0.0", **everything))  # type: ignore[arg-type]
    served = settings(ingest_host="0.0.0.0", ingest_channels=[Channel.sms], twilio_auth_token="t")
    create_app(None, served)  # type: ignore[arg-type]
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        create_app(None, settings(ingest_host=host))  # type: ignore[arg-type]


# ---------------------------------------------------------------- Temporal refuses or is down


class RefusingClient:
    """A Temporal client whose start is refused with this error."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def start_workflow(self, *args: Any, **kwargs: Any) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (RPCStatusCode.INVALID_ARGUMENT, "WorkflowId length exceeds limit", 422),
        (RPCStatusCode.INVALID_ARGUMENT, "Blob data size exceeds limit", 413),
        (RPCStatusCode.RESOURCE_EXHAUSTED, "grpc: received message larger than max", 413),
        (RPCStatusCode.OUT_OF_RANGE, "out of range", 422),
        (RPCStatusCode.UNAVAILABLE, "connection refused", 503),
        (RPCStatusCode.DEADLINE_EXCEEDED, "deadline exceeded", 503),
        (RPCStatusCode.RESOURCE_EXHAUSTED, "namespace rate limit exceeded", 503),
    ],
)
async def test_only_what_a_retry_can_fix_is_503(
    status: RPCStatusCode, message: str, expected: int
) -> None:
    app = create_app(RefusingClient(RPCError(message, status, b"")), settings())  # type: ignore[arg-type]
    async with http(app) as api:
        response = await api.post("/ingest/chat", json=chat(uid()))
    error = refused(response, expected)
    if expected == 503:
        assert response.headers["retry-after"]
    else:
        assert "retrying will not help" in error


@pytest.fixture
async def dead_target() -> AsyncIterator[tuple[str, Client, Client]]:
    """A Temporal that was up and is now gone: its address, and two clients that connected
    while it was up (one retrying briefly, one with the SDK's default retries)."""
    gone = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server")
    )
    target = gone.client.service_client.config.target_host
    brief = await Client.connect(
        target,
        data_converter=DATA_CONVERTER,
        retry_config=RetryConfig(initial_interval_millis=10, max_retries=1),
    )
    patient = await Client.connect(target, data_converter=DATA_CONVERTER)
    await gone.shutdown()
    yield target, brief, patient


async def test_temporal_down_is_503(dead_target: tuple[str, Client, Client]) -> None:
    _, brief, _ = dead_target
    async with http(create_app(brief, settings())) as api:
        response = await api.post("/ingest/chat", json=chat(uid()))
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert "accepted" not in response.json()


async def test_temporal_too_slow_is_503(dead_target: tuple[str, Client, Client]) -> None:
    """The SDK retries an unreachable server for longer than a vendor waits: give up first."""
    _, _, patient = dead_target
    async with http(create_app(patient, settings(), start_timeout=0.3)) as api:
        response = await api.post("/ingest/chat", json=chat(uid()))
    assert response.status_code == 503


async def test_temporal_never_reached_is_503(dead_target: tuple[str, Client, Client]) -> None:
    target, _, _ = dead_target
    lazy = await Client.connect(target, data_converter=DATA_CONVERTER, lazy=True)
    async with http(create_app(lazy, settings())) as api:
        response = await api.post("/ingest/chat", json=chat(uid()))
    assert response.status_code == 503


async def test_a_bug_is_a_json_500_that_quotes_nothing() -> None:
    secret = "dana.secret@example.com"
    app = create_app(RefusingClient(ValueError(f"cannot encode {secret}")), settings())  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with structlog.testing.capture_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as api:
            response = await api.post("/ingest/chat", json=chat(uid(), handle=secret))
    assert "not accepted" in refused(response, 500)
    assert secret not in response.text and secret not in json.dumps(logs)
    assert any(e["event"] == "ingest.internal_error" for e in logs)
