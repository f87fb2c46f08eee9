"""Property-based fuzzing of every ingest endpoint: whatever arrives, no 5xx.

Two generators, both deterministic (derandomized) and bounded:

- schemathesis, from the app's own OpenAPI document (ingest/openapi.py describes each
  request body and header), valid and invalid requests alike;
- hypothesis, with what schemathesis would not send: bytes that are not JSON, JSON with
  lone surrogates, NaN and deep nesting, every field of every format with values of any
  type and hostile text (controls, bidi overrides, huge strings), wrong and odd content
  types, forged signature headers; and the same requests correctly signed against an app
  with every secret configured, so the parsers behind each channel's authentication are
  fuzzed too.

The app runs over a stand-in for Temporal that encodes each started message with the
desk's data converter (what Temporal would be sent) and refuses duplicates as Temporal
does. Every 202 is then checked: its message is clean (no control characters, bounded
lengths) and its sender authenticated exactly when it should be.
"""

from __future__ import annotations

import asyncio
import base64
import json
import string
import unicodedata
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.exceptions import WorkflowAlreadyStartedError

from desk.config import Settings
from desk.data_converter import DATA_CONVERTER
from desk.models import Channel, InboundMessage
from ingest.app import create_app
from ingest.sanitize import ATTACHMENTS_MAX, SUBJECT_MAX, TEXT_MAX, clean_token
from ingest.signatures import hub_signature_256, identity_hash, twilio_signature

FUZZ = settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class StandInTemporal:
    """Starts nothing; encodes what Temporal would be sent, refuses duplicate ids."""

    def __init__(self) -> None:
        self.started: dict[str, InboundMessage] = {}
        self.last: InboundMessage | None = None

    async def start_workflow(
        self, workflow: str, message: InboundMessage, *, id: str, **options: Any
    ) -> None:
        await DATA_CONVERTER.encode([message])
        str(options["static_summary"]).encode("utf-8")
        self.last = message
        if id in self.started:
            raise WorkflowAlreadyStartedError(id, workflow)
        self.started[id] = message


SECRETS = {
    "twilio_auth_token": "fuzz-twilio",
    "postmark_webhook_user": "postmark",
    "postmark_webhook_password": "fuzz-pass",
    "email_authserv_id": "inbound.fuzz.example",
    "identity_secret": "fuzz-identity",
    "social_webhook_secret": "fuzz-social",
}


class Api:
    """Requests to the app in process (httpx's ASGI transport), one at a time, on a loop of
    its own: an exception in the app becomes the 500 a server would answer."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.post(path, **kwargs))


def serve(**overrides: Any) -> tuple[Api, StandInTemporal]:
    temporal = StandInTemporal()
    app = create_app(temporal, Settings(ingest_max_bytes=64 * 1024, **overrides))  # type: ignore[arg-type]
    return Api(app), temporal


OPEN, OPEN_TEMPORAL = serve()
SIGNED, SIGNED_TEMPORAL = serve(**SECRETS)
STATUSES: Counter[tuple[str, int]] = Counter()


# ---------------------------------------------------------------- what every answer must be


def _clean(value: str, allowed: str = "") -> bool:
    return not any(
        unicodedata.category(ch) in ("Cc", "Cs")
        and ch not in allowed
        or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        for ch in value
    )


def check(
    response: Any, temporal: StandInTemporal, label: str, *, signed_user: str | None = None
) -> None:
    STATUSES[(label, response.status_code)] += 1
    assert response.status_code < 500, (response.status_code, response.text[:500])
    body = response.json()  # every answer is JSON
    if response.status_code != 202:
        assert isinstance(body.get("error"), str) and body["error"], body
        if "lone surrogate" in body["error"]:
            STATUSES[("a lone surrogate named", response.status_code)] += 1
        return
    message = temporal.last
    assert message is not None
    assert body["intake_workflow_id"].startswith(f"intake-{message.channel.value}-")
    assert message.sender and _clean(message.sender)
    assert _clean(message.message_id) and _clean(message.provider_scope or "")
    assert message.subject is None or (
        len(message.subject) <= SUBJECT_MAX and _clean(message.subject)
    )
    assert _clean(message.text, "\n\t") and len(message.text) <= TEXT_MAX + 80
    assert len(message.attachments) <= ATTACHMENTS_MAX
    assert all(_clean(a.name) for a in message.attachments)
    if temporal is OPEN_TEMPORAL:
        assert not message.auth.authenticated  # nothing configured, no dev mode
    if signed_user is not None:
        assert message.auth.method == "signed_identity", message.auth
        assert message.sender == clean_token(signed_user)  # the signed user, cleaned
        STATUSES[(f"{label} with a signed identity", 202)] += 1


# ---------------------------------------------------------------- schemathesis

schema = schemathesis.openapi.from_asgi("/openapi.json", OPEN.app)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=40,
    deterministic=True,
)


@schema.parametrize()
@settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_openapi_fuzz_finds_no_server_error(case: schemathesis.Case) -> None:
    response = case.call()
    label = f"schemathesis {case.method} {case.path}"
    if case.path == "/healthz":
        STATUSES[(label, response.status_code)] += 1
        assert response.status_code < 500
        return
    check(response, OPEN_TEMPORAL, label)


# ---------------------------------------------------------------- hypothesis

# Text as hostile as it gets: controls, bidi overrides, surrogates, astral characters.
HOSTILE = st.text(
    st.one_of(
        st.characters(exclude_categories=()),  # surrogates included
        st.sampled_from("\x00\r\n\t\x1b\x7f\x85\u2028\u202e\u2066\ufeff@:/<>\"'\\ "),
        st.sampled_from(["\ud800", "\udfff", "\ud83d"]),  # lone surrogates
    ),
    max_size=40,
)
WORDS = st.text(string.ascii_letters + string.digits + "@.+-_:/ #", min_size=1, max_size=30)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE,
    WORDS,
    st.just("x" * 70_000),
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(WORDS, HOSTILE), inner, max_size=4)
    ),
    max_leaves=12,
)
VALUE = st.one_of(WORDS, HOSTILE, ANY_JSON)

_ATTACHMENT = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.one_of(st.sampled_from(["image", "file", "video"]), VALUE),
        "name": VALUE,
        "content_type": st.one_of(st.just("image/jpeg"), VALUE),
        "Name": VALUE,
        "ContentType": VALUE,
        "ContentLength": VALUE,
    },
)
ATTACHMENTS = st.one_of(st.lists(st.one_of(_ATTACHMENT, VALUE), max_size=25), VALUE)
HEADERS = st.one_of(
    st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {
                    "Name": st.one_of(
                        st.sampled_from(
                            [
                                "Authentication-Results",
                                "ARC-Authentication-Results",
                                "Received-SPF",
                                "X-Spam-Tests",
                            ]
                        ),
                        VALUE,
                    ),
                    "Value": st.one_of(
                        st.sampled_from(
                            [
                                "inbound.fuzz.example; dmarc=pass header.from=example.com",
                                "i=1; inbound.fuzz.example; dkim=pass header.d=example.com",
                                "pass identity=mailfrom; envelope-from=a@example.com",
                                "DKIM_VALID_AU",
                                "(((((((",
                                "inbound.fuzz.example; ;;; = == dkim=",
                            ]
                        ),
                        VALUE,
                    ),
                }
            ),
            VALUE,
        ),
        max_size=6,
    ),
    VALUE,
)

FIELDS: dict[Channel, dict[str, st.SearchStrategy[Any]]] = {
    Channel.chat: {
        "conversation_id": VALUE,
        "message_id": VALUE,
        "handle": VALUE,
        "text": VALUE,
        "attachments": ATTACHMENTS,
        "sent_at": st.one_of(st.just("2024-05-02T10:15:00Z"), VALUE),
        "user": VALUE,
        "user_hash": VALUE,
    },
    Channel.web: {
        "submission_id": VALUE,
        "email": st.one_of(st.just("ann@example.com"), VALUE),
        "name": VALUE,
        "subject": VALUE,
        "message": VALUE,
        "order_number": VALUE,
        "user": VALUE,
        "user_hash": VALUE,
    },
    Channel.social: {
        "platform": VALUE,
        "message_id": VALUE,
        "handle": VALUE,
        "text": VALUE,
        "attachments": ATTACHMENTS,
    },
    Channel.email: {
        "MessageID": VALUE,
        "From": st.one_of(st.just("Ann <ann@example.com>"), VALUE),
        "FromFull": st.one_of(st.fixed_dictionaries({}, optional={"Email": VALUE}), VALUE),
        "Subject": VALUE,
        "TextBody": VALUE,
        "HtmlBody": st.one_of(st.just("<p>hi<br>there</p><script>x</script>"), VALUE),
        "Date": st.one_of(st.just("Fri, 1 Aug 2014 16:45:32 -04:00"), VALUE),
        "Headers": HEADERS,
        "Attachments": ATTACHMENTS,
    },
}
EMAILS = st.builds("{}@{}.example".format, WORDS.filter(str.isalnum), WORDS.filter(str.isalnum))
REQUIRED_FIELDS: dict[Channel, dict[str, st.SearchStrategy[Any]]] = {
    Channel.chat: {"conversation_id": WORDS, "message_id": WORDS, "handle": WORDS},
    Channel.web: {"submission_id": WORDS, "email": EMAILS},
    Channel.social: {"platform": WORDS, "message_id": WORDS, "handle": WORDS},
    Channel.email: {"MessageID": WORDS, "From": EMAILS},
}
SMS_FIELDS = ["MessageSid", "From", "Body", "NumMedia", "MediaUrl0", "MediaContentType0", "To"]


@st.composite
def json_payload(draw: st.DrawFn, channel: Channel) -> Any:
    """Mostly the format's own fields, each of any type; sometimes any JSON at all."""
    roll = draw(st.integers(0, 9))
    if roll == 0:
        return draw(ANY_JSON)
    if roll <= 3:
        # Valid but for hostile text: what a real sender controls.
        minimal = {name: draw(strategy) for name, strategy in REQUIRED_FIELDS[channel].items()}
        text_field = {Channel.email: "TextBody", Channel.web: "message"}.get(channel, "text")
        minimal[text_field] = draw(HOSTILE)
        return minimal
    fields = FIELDS[channel]
    chosen = draw(st.sets(st.sampled_from(sorted(fields)), max_size=len(fields)))
    payload = {name: draw(fields[name]) for name in sorted(chosen)}
    # Often the required fields as plain words, so the request gets past them.
    if draw(st.booleans()):
        for name, strategy in REQUIRED_FIELDS[channel].items():
            payload.setdefault(name, draw(strategy))
    return payload


def encode(draw: st.DrawFn, payload: Any) -> tuple[bytes, bool]:
    """The body, and whether it is the payload as JSON."""
    how = draw(st.sampled_from(["ascii", "ascii", "utf8", "raw"]))
    if how == "raw":
        return draw(st.binary(max_size=200)), False
    try:
        text = json.dumps(payload, ensure_ascii=how == "ascii")
    except (TypeError, ValueError):
        return b"{}", False
    return text.encode("utf-8", "surrogatepass"), True


JSON_TYPES = st.one_of(
    st.just("application/json"),
    st.sampled_from(
        [
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/json; charset=latin-1",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
            ";;;",
        ]
    ),
    st.text(string.printable.strip(), max_size=30),
)
HEADER_VALUE = st.binary(max_size=60).map(
    lambda b: b.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"")
)


@st.composite
def json_request(draw: st.DrawFn, channel: Channel, signed: bool) -> dict[str, Any]:
    payload = draw(json_payload(channel))
    signed_user = None
    if signed and channel in (Channel.chat, Channel.web) and isinstance(payload, dict):
        if draw(st.integers(0, 3)) > 0:
            payload["user"] = draw(st.one_of(EMAILS, WORDS, HOSTILE))
        user = payload.get("user")
        if isinstance(user, str) and user and draw(st.integers(0, 3)) > 0:
            payload["user_hash"] = identity_hash(SECRETS["identity_secret"], user)
            signed_user = user
    content, as_json = encode(draw, payload)
    if not as_json:
        signed_user = None
    content_type = "application/json" if draw(st.integers(0, 3)) else draw(JSON_TYPES)
    headers: dict[str, Any] = {"content-type": content_type.encode("latin-1", "replace")}
    if signed and channel == Channel.email:
        credentials = f"{SECRETS['postmark_webhook_user']}:{SECRETS['postmark_webhook_password']}"
        headers["authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    elif signed and channel == Channel.social:
        headers["x-hub-signature-256"] = hub_signature_256(
            SECRETS["social_webhook_secret"], content
        )
    elif draw(st.booleans()):
        name = draw(st.sampled_from(["authorization", "x-hub-signature-256", "x-twilio-signature"]))
        headers[name] = draw(HEADER_VALUE)
    return {"content": content, "headers": headers, "signed_user": signed_user}


@st.composite
def sms_request(draw: st.DrawFn, signed: bool) -> dict[str, Any]:
    if draw(st.integers(0, 4)) == 0:
        content = draw(st.binary(max_size=300))
    else:
        names = draw(st.lists(st.one_of(st.sampled_from(SMS_FIELDS), WORDS), max_size=10))
        pairs = [(n, draw(st.one_of(WORDS, HOSTILE))) for n in names]
        if draw(st.booleans()):
            pairs += [("MessageSid", draw(WORDS)), ("From", draw(WORDS))]
        content = urlencode(
            [
                (k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass"))
                for k, v in pairs
            ]
        ).encode()
    content_type = (
        "application/x-www-form-urlencoded" if draw(st.integers(0, 3)) else draw(JSON_TYPES)
    )
    headers: dict[str, Any] = {"content-type": content_type.encode("latin-1", "replace")}
    if signed:
        try:
            params = parse_qsl(content.decode("ascii"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            params = []
        headers["x-twilio-signature"] = twilio_signature(
            SECRETS["twilio_auth_token"], "http://testserver/ingest/sms", params
        )
        if draw(st.booleans()):
            headers["x-twilio-webhooks-signature-settings"] = draw(
                st.one_of(st.just("algorithm=HMAC_SHA1"), HEADER_VALUE)
            )
    elif draw(st.booleans()):
        headers["x-twilio-signature"] = draw(HEADER_VALUE)
    return {"content": content, "headers": headers}


@pytest.mark.parametrize("signed", [False, True], ids=["open", "signed"])
@pytest.mark.parametrize("channel", [Channel.chat, Channel.web, Channel.social, Channel.email])
def test_json_endpoints_answer_hostile_input_without_server_errors(
    channel: Channel, signed: bool
) -> None:
    api, temporal = (SIGNED, SIGNED_TEMPORAL) if signed else (OPEN, OPEN_TEMPORAL)

    @FUZZ
    @given(request=json_request(channel, signed))
    def fuzz(request: dict[str, Any]) -> None:
        temporal.last = None
        response = api.post(
            f"/ingest/{channel.value}", content=request["content"], headers=request["headers"]
        )
        check(
            response,
            temporal,
            f"{'signed' if signed else 'open'} {channel.value}",
            signed_user=request["signed_user"] if response.status_code == 202 else None,
        )

    fuzz()


@pytest.mark.parametrize("signed", [False, True], ids=["open", "signed"])
def test_sms_answers_hostile_input_without_server_errors(signed: bool) -> None:
    api, temporal = (SIGNED, SIGNED_TEMPORAL) if signed else (OPEN, OPEN_TEMPORAL)

    @FUZZ
    @given(request=sms_request(signed))
    def fuzz(request: dict[str, Any]) -> None:
        temporal.last = None
        response = api.post("/ingest/sms", content=request["content"], headers=request["headers"])
        check(response, temporal, f"{'signed' if signed else 'open'} sms")
        if signed and response.status_code == 202:
            assert temporal.last is not None
            assert temporal.last.auth.method == "twilio_signature"
        if signed and response.status_code == 403:
            # Only an algorithm the desk does not know refuses a correct signature.
            named = request["headers"].get("x-twilio-webhooks-signature-settings")
            assert named is not None and named != "algorithm=HMAC_SHA1", request

    fuzz()


def test_the_fuzzing_reached_every_outcome() -> None:
    """The generators are not stuck at the front door: each endpoint was both refused and
    accepted, and the signed app accepted authenticated senders."""
    if not STATUSES:
        pytest.skip("run with the fuzz tests above")
    print("\n".join(f"{label}: {status} x{n}" for (label, status), n in sorted(STATUSES.items())))
    for label in ("open chat", "open web", "open social", "open email", "open sms"):
        assert STATUSES[(label, 202)] > 0, label
        assert STATUSES[(label, 422)] > 0, label
        assert STATUSES[(label, 415)] > 0, label
    for label in ("signed chat", "signed web", "signed email", "signed social", "signed sms"):
        assert STATUSES[(label, 202)] > 0, label
    for label in ("signed chat", "signed web"):
        assert STATUSES[(f"{label} with a signed identity", 202)] > 0, label


@pytest.mark.parametrize("channel", [Channel.chat, Channel.web, Channel.social, Channel.email])
@pytest.mark.parametrize("where", ["text", "key"])
def test_a_lone_surrogate_is_refused_by_name(channel: Channel, where: str) -> None:
    # Escaped in JSON (valid JSON, invalid text): the generators reach it only sometimes.
    body = '{"text": "hi \\ud83d there"}' if where == "text" else '{"\\udfff": "x"}'
    OPEN_TEMPORAL.last = None
    response = OPEN.post(
        f"/ingest/{channel.value}",
        content=body.encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "lone surrogate" in response.json()["error"]
    assert OPEN_TEMPORAL.last is None
