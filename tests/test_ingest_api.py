"""The ingest API against a real Temporal (the time-skipping test server), no worker.

"Accepted" means Temporal durably holds the message: each happy path checks the intake
workflow exists, is running, and carries the parsed message as its input.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RetryConfig, RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from desk.binaries import find_binary
from desk.config import Settings
from desk.data_converter import DATA_CONVERTER
from desk.models import Channel, InboundMessage
from devtools.test_server import start_test_server
from ingest.app import create_app

BASE_URL = "http://127.0.0.1"
TASK_QUEUE = "ingest-test"


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


def twilio_signature(token: str, url: str, form: dict[str, str]) -> str:
    """Twilio's documented algorithm, written out independently of the app's."""
    data = url + "".join(f"{key}{form[key]}" for key in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


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


# ---------------------------------------------------------------- happy paths


async def test_sms_mms_with_image(client: Client) -> None:
    sid = f"MM{uid()}"
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/sms", data=twilio_mms(sid)))
    assert body == {
        "accepted": True,
        "message_id": sid,
        "intake_workflow_id": f"intake-sms-{sid}",
        "duplicate": False,
    }
    message = await started_message(client, body["intake_workflow_id"])
    assert message.channel == Channel.sms
    assert message.sender == "+15551234567"
    assert message.text == "Says delivered, not here. Order 1001"
    assert [(a.kind, a.content_type) for a in message.attachments] == [("image", "image/jpeg")]


async def test_email_postmark_with_image(client: Client) -> None:
    mid = str(uuid.uuid4())
    payload = {
        "FromName": "Ann Smith",
        "MessageStream": "inbound",
        "From": "ann@example.com",
        "FromFull": {"Email": "ann@example.com", "Name": "Ann Smith", "MailboxHash": ""},
        "To": '"Support" <support@shop.example>',
        "ToFull": [{"Email": "support@shop.example", "Name": "Support", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "support@shop.example",
        "Subject": "Order 1001 damaged",
        "MessageID": mid,
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Fri, 1 Aug 2014 16:45:32 -04:00",
        "TextBody": "The box arrived crushed, photo attached.",
        "HtmlBody": "<p>The box arrived crushed, photo attached.</p>",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [],
        "Attachments": [
            {
                "Name": "box.jpg",
                "Content": "/9j/4AAQSkZJRg==",
                "ContentType": "image/jpeg",
                "ContentLength": 4096,
                "ContentID": "",
            }
        ],
    }
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/email", json=payload))
    assert body["intake_workflow_id"] == f"intake-email-{mid}"
    message = await started_message(client, body["intake_workflow_id"])
    assert (message.channel, message.sender) == (Channel.email, "ann@example.com")
    assert message.subject == "Order 1001 damaged"
    assert message.text == "The box arrived crushed, photo attached."
    assert [(a.kind, a.name) for a in message.attachments] == [("image", "box.jpg")]
    assert message.received_at is not None and message.received_at.utcoffset() is not None


async def test_chat(client: Client) -> None:
    mid = f"chat-{uid()}"
    payload = {
        "conversation_id": "conv-1",
        "message_id": mid,
        "handle": "ann_s",
        "text": "where is my order 1001?",
        "attachments": [],
        "sent_at": "2024-05-02T10:15:00Z",
    }
    async with http(create_app(client, settings())) as api:
        body = accepted(await api.post("/ingest/chat", json=payload))
    message = await started_message(client, body["intake_workflow_id"])
    assert (message.channel, message.message_id, message.sender) == (Channel.chat, mid, "ann_s")
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
    assert body["intake_workflow_id"] == f"intake-social-instagram_{mid}"
    message = await started_message(client, body["intake_workflow_id"])
    assert (message.channel, message.sender) == (Channel.social, "@ann.s")
    assert message.attachments[0].kind == "image"


async def test_healthz(client: Client) -> None:
    async with http(create_app(client, settings(ingest_token="t"))) as api:
        response = await api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "temporal": "temporal.test:7233"}


# ---------------------------------------------------------------- retries and rejections


async def test_webhook_retry_is_a_duplicate_and_starts_nothing(client: Client) -> None:
    mid = f"chat-{uid()}"
    payload = {"conversation_id": "c", "message_id": mid, "handle": "ann_s", "text": "hello"}
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


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/ingest/chat", {"conversation_id": "c", "message_id": "M", "text": "hi"}, "handle"),
        ("/ingest/web", {"submission_id": "M", "message": "hi"}, "email"),
        ("/ingest/social", {"platform": "x", "message_id": "M", "text": "hi"}, "handle"),
        ("/ingest/email", {"MessageID": "M", "TextBody": "hi"}, "From"),
    ],
)
async def test_missing_field_is_422_naming_it(
    client: Client, path: str, payload: dict[str, Any], field: str
) -> None:
    mid = uid()
    payload = {k: (mid if v == "M" else v) for k, v in payload.items()}
    async with http(create_app(client, settings())) as api:
        response = await api.post(path, json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert field in body["error"]
    channel = path.rsplit("/", 1)[1]
    message_id = f"x:{mid}" if channel == "social" else mid
    await assert_not_started(client, f"intake-{channel}-{message_id.replace(':', '_')}")


async def test_sms_missing_from_is_422(client: Client) -> None:
    sid = f"SM{uid()}"
    form = twilio_mms(sid)
    del form["From"]
    async with http(create_app(client, settings())) as api:
        response = await api.post("/ingest/sms", data=form)
    assert response.status_code == 422
    assert response.json()["field"] == "From"
    await assert_not_started(client, f"intake-sms-{sid}")


async def test_invalid_json_is_422(client: Client) -> None:
    async with http(create_app(client, settings())) as api:
        response = await api.post(
            "/ingest/chat", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert response.status_code == 422
    assert response.json()["field"] == "body"


# ---------------------------------------------------------------- authentication


async def test_twilio_signature_valid_is_accepted(client: Client) -> None:
    token = "12345-twilio-auth-token"
    sid = f"MM{uid()}"
    form = twilio_mms(sid)
    signature = twilio_signature(token, f"{BASE_URL}/ingest/sms", form)
    async with http(
        create_app(client, settings(twilio_auth_token=token, ingest_token="bearer-only"))
    ) as api:
        response = await api.post(
            "/ingest/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
    body = accepted(response)
    await started_message(client, body["intake_workflow_id"])


@pytest.mark.parametrize("signature", [None, "", "bm90IHRoZSBzaWduYXR1cmU="])
async def test_twilio_signature_bad_or_missing_is_403(
    client: Client, signature: str | None
) -> None:
    sid = f"MM{uid()}"
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    async with http(create_app(client, settings(twilio_auth_token="tok"))) as api:
        response = await api.post("/ingest/sms", data=twilio_mms(sid), headers=headers)
    assert response.status_code == 403
    await assert_not_started(client, f"intake-sms-{sid}")


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
    assert response.status_code == 403
    await assert_not_started(client, f"intake-sms-{sid}")


async def test_bearer_token_required_when_configured(client: Client) -> None:
    mid = f"chat-{uid()}"
    payload = {"conversation_id": "c", "message_id": mid, "handle": "h", "text": "hi"}
    async with http(create_app(client, settings(ingest_token="s3cret"))) as api:
        missing = await api.post("/ingest/chat", json=payload)
        wrong = await api.post(
            "/ingest/chat", json=payload, headers={"Authorization": "Bearer nope"}
        )
        basic = await api.post(
            "/ingest/chat", json=payload, headers={"Authorization": "Basic s3cret"}
        )
        await assert_not_started(client, f"intake-chat-{mid}")
        right = await api.post(
            "/ingest/chat", json=payload, headers={"Authorization": "Bearer s3cret"}
        )
        # SMS is Twilio's to sign, never a bearer token (Twilio cannot send one).
        sms = await api.post("/ingest/sms", data=twilio_mms(f"SM{uid()}"))
    for response in (missing, wrong, basic):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    accepted(right)
    accepted(sms)


# ---------------------------------------------------------------- Temporal down


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


def chat_payload() -> dict[str, str]:
    return {"conversation_id": "c", "message_id": uid(), "handle": "h", "text": "hi"}


async def test_temporal_down_is_503(dead_target: tuple[str, Client, Client]) -> None:
    _, brief, _ = dead_target
    async with http(create_app(brief, settings())) as api:
        response = await api.post("/ingest/chat", json=chat_payload())
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert "accepted" not in response.json()


async def test_temporal_too_slow_is_503(dead_target: tuple[str, Client, Client]) -> None:
    """The SDK retries an unreachable server for longer than a vendor waits: give up first."""
    _, _, patient = dead_target
    async with http(create_app(patient, settings(), start_timeout=0.3)) as api:
        response = await api.post("/ingest/chat", json=chat_payload())
    assert response.status_code == 503


async def test_temporal_never_reached_is_503(dead_target: tuple[str, Client, Client]) -> None:
    target, _, _ = dead_target
    lazy = await Client.connect(target, data_converter=DATA_CONVERTER, lazy=True)
    async with http(create_app(lazy, settings())) as api:
        response = await api.post("/ingest/chat", json=chat_payload())
    assert response.status_code == 503
