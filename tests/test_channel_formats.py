"""Each channel's vendor payload to ``InboundMessage``: the pure functions, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from desk.models import Attachment, Channel
from ingest.channel_formats import (
    PayloadError,
    from_chat,
    from_postmark_email,
    from_social,
    from_twilio_sms,
    from_web_form,
    html_to_text,
)


def twilio_form(**overrides: str) -> dict[str, str]:
    form = {
        "ToCountry": "US",
        "SmsMessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "NumMedia": "0",
        "SmsSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "SmsStatus": "received",
        "Body": "Tracking says delivered but nothing here. Order 1001",
        "To": "+15550000000",
        "NumSegments": "1",
        "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "From": "+15551234567",
        "ApiVersion": "2010-04-01",
    }
    form.update(overrides)
    return form


def postmark(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "FromName": "Ann Smith",
        "MessageStream": "inbound",
        "From": "ann@example.com",
        "FromFull": {"Email": "ann@example.com", "Name": "Ann Smith", "MailboxHash": ""},
        "To": "support@shop.example",
        "Subject": "Where is my order?",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "Date": "Fri, 1 Aug 2014 16:45:32 -04:00",
        "TextBody": "My order 1001 has not arrived.",
        "HtmlBody": "<html><body><p>My order 1001 has not arrived.</p></body></html>",
        "StrippedTextReply": "",
        "Attachments": [],
    }
    payload.update(overrides)
    return payload


# ---------------------------------------------------------------- Twilio SMS


def test_twilio_sms() -> None:
    m = from_twilio_sms(twilio_form())
    assert m.channel == Channel.sms
    assert m.message_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert m.sender == "+15551234567"
    assert m.text == "Tracking says delivered but nothing here. Order 1001"
    assert m.attachments == []
    assert m.received_at is None  # Twilio sends no timestamp; intake stamps it


def test_twilio_mms_media_become_attachments() -> None:
    m = from_twilio_sms(
        twilio_form(
            NumMedia="2",
            Body="",
            MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            MediaContentType0="image/jpeg",
            MediaUrl1="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
            MediaContentType1="application/pdf",
        )
    )
    assert [a.kind for a in m.attachments] == ["image", "file"]
    assert m.attachments[0].content_type == "image/jpeg"
    assert m.attachments[0].name.endswith("/Media/ME1")
    assert m.text == ""


@pytest.mark.parametrize("field", ["MessageSid", "From"])
def test_twilio_missing_field_is_named(field: str) -> None:
    form = twilio_form()
    del form[field]
    with pytest.raises(PayloadError) as err:
        from_twilio_sms(form)
    assert err.value.field == field
    assert field in str(err.value)


def test_twilio_media_url_missing_for_counted_media() -> None:
    with pytest.raises(PayloadError) as err:
        from_twilio_sms(twilio_form(NumMedia="1"))
    assert err.value.field == "MediaUrl0"


def test_twilio_bad_media_count() -> None:
    with pytest.raises(PayloadError) as err:
        from_twilio_sms(twilio_form(NumMedia="two"))
    assert err.value.field == "NumMedia"


def test_twilio_blank_sender_is_missing() -> None:
    with pytest.raises(PayloadError) as err:
        from_twilio_sms(twilio_form(From="  "))
    assert err.value.field == "From"


# ---------------------------------------------------------------- Postmark email


def test_postmark_email() -> None:
    m = from_postmark_email(
        postmark(
            Attachments=[
                {
                    "Name": "porch.jpg",
                    "Content": "/9j/4AAQ",
                    "ContentType": "image/jpeg",
                    "ContentLength": 4096,
                    "ContentID": "",
                },
                {
                    "Name": "invoice.pdf",
                    "Content": "JVBERi0",
                    "ContentType": "application/pdf",
                    "ContentLength": 1024,
                },
            ]
        )
    )
    assert m.channel == Channel.email
    assert m.message_id == "73e6d360-66eb-11e1-8e72-a8904824019b"
    assert m.sender == "ann@example.com"
    assert m.subject == "Where is my order?"
    assert m.text == "My order 1001 has not arrived."
    assert m.attachments == [
        Attachment(kind="image", name="porch.jpg", content_type="image/jpeg"),
        Attachment(kind="file", name="invoice.pdf", content_type="application/pdf"),
    ]
    assert m.received_at == datetime(2014, 8, 1, 20, 45, 32, tzinfo=UTC)


def test_postmark_sender_falls_back_to_from() -> None:
    m = from_postmark_email(postmark(FromFull=None, From="Ann Smith <Ann@Example.com>"))
    assert m.sender == "Ann@Example.com"
    m = from_postmark_email(postmark(FromFull={"Email": "", "Name": ""}, From="b@example.com"))
    assert m.sender == "b@example.com"


def test_postmark_without_sender_names_from() -> None:
    payload = postmark(FromFull={"Email": "", "Name": ""})
    del payload["From"]
    with pytest.raises(PayloadError) as err:
        from_postmark_email(payload)
    assert err.value.field == "From"


def test_postmark_html_only_body_is_stripped() -> None:
    body = (
        "<html><head><style>p{color:red}</style></head><body><p>Hello,</p>"
        "<p>Order <b>1001</b> never came &amp; I&#39;m worried.<br>Ann</p></body></html>"
    )
    m = from_postmark_email(postmark(TextBody=None, HtmlBody=body))
    assert m.text == "Hello,\nOrder 1001 never came & I'm worried.\nAnn"


def test_postmark_missing_message_id() -> None:
    payload = postmark()
    del payload["MessageID"]
    with pytest.raises(PayloadError) as err:
        from_postmark_email(payload)
    assert err.value.field == "MessageID"


def test_postmark_unreadable_date_does_not_lose_the_message() -> None:
    assert from_postmark_email(postmark(Date="sometime last week")).received_at is None


def test_postmark_attachments_must_be_a_list() -> None:
    with pytest.raises(PayloadError) as err:
        from_postmark_email(postmark(Attachments={"Name": "x"}))
    assert err.value.field == "Attachments"


def test_json_formats_need_an_object() -> None:
    for parse in (from_postmark_email, from_chat, from_web_form, from_social):
        with pytest.raises(PayloadError) as err:
            parse(["not", "an", "object"])
        assert err.value.field == "body"


# ---------------------------------------------------------------- chat


def test_chat() -> None:
    m = from_chat(
        {
            "conversation_id": "conv-9",
            "message_id": "msg-1",
            "handle": "ann_s",
            "text": "hi, my parcel is missing",
            "attachments": [
                {"kind": "image", "name": "door.png", "content_type": "image/png"},
                {"name": "label.jpg", "content_type": "image/jpeg"},
            ],
            "sent_at": "2024-05-02T10:15:00Z",
        }
    )
    assert m.channel == Channel.chat
    assert (m.message_id, m.sender, m.text) == ("msg-1", "ann_s", "hi, my parcel is missing")
    assert [a.kind for a in m.attachments] == ["image", "image"]
    assert m.received_at == datetime(2024, 5, 2, 10, 15, tzinfo=UTC)


def test_chat_naive_time_is_utc_and_offsets_are_kept() -> None:
    base = {"conversation_id": "c", "message_id": "m", "handle": "h"}
    naive = from_chat({**base, "sent_at": "2024-05-02T10:15:00"})
    assert naive.received_at == datetime(2024, 5, 2, 10, 15, tzinfo=UTC)
    offset = from_chat({**base, "sent_at": "2024-05-02T12:15:00+02:00"})
    assert offset.received_at == datetime(2024, 5, 2, 12, 15, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"message_id": "m", "handle": "h"}, "conversation_id"),
        ({"conversation_id": "c", "handle": "h"}, "message_id"),
        ({"conversation_id": "c", "message_id": "m"}, "handle"),
        ({"conversation_id": "c", "message_id": "m", "handle": 7}, "handle"),
        ({"conversation_id": "c", "message_id": "m", "handle": "h", "sent_at": "noon"}, "sent_at"),
        (
            {"conversation_id": "c", "message_id": "m", "handle": "h", "attachments": "x"},
            "attachments",
        ),
        (
            {
                "conversation_id": "c",
                "message_id": "m",
                "handle": "h",
                "attachments": [{"kind": "video"}],
            },
            "attachments[0].kind",
        ),
    ],
)
def test_chat_errors_name_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(PayloadError) as err:
        from_chat(payload)
    assert err.value.field == field


# ---------------------------------------------------------------- web form


def test_web_form_appends_order_number() -> None:
    m = from_web_form(
        {
            "submission_id": "f-77",
            "email": "ann@example.com",
            "name": "Ann",
            "subject": "Missing parcel",
            "message": "It never came.",
            "order_number": "1001",
        }
    )
    assert m.channel == Channel.web
    assert (m.message_id, m.sender, m.subject) == ("f-77", "ann@example.com", "Missing parcel")
    assert m.text == "It never came.\n\nOrder 1001"


def test_web_form_order_number_already_in_text_is_not_repeated() -> None:
    m = from_web_form(
        {
            "submission_id": "f",
            "email": "a@b.c",
            "message": "Order #1001 never came",
            "order_number": "#1001",
        }
    )
    assert m.text == "Order #1001 never came"


def test_web_form_numeric_order_number_and_empty_message() -> None:
    m = from_web_form({"submission_id": "f", "email": "a@b.c", "order_number": 1001})
    assert m.text == "Order 1001"
    assert from_web_form({"submission_id": "f", "email": "a@b.c"}).text == ""


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "a@b.c", "message": "x"}, "submission_id"),
        ({"submission_id": "f", "message": "x"}, "email"),
        ({"submission_id": "f", "email": "not-an-address"}, "email"),
        ({"submission_id": "f", "email": "a@b.c", "order_number": ["1"]}, "order_number"),
    ],
)
def test_web_form_errors_name_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(PayloadError) as err:
        from_web_form(payload)
    assert err.value.field == field


# ---------------------------------------------------------------- social


def test_social() -> None:
    m = from_social(
        {
            "platform": "Instagram",
            "message_id": "17890",
            "handle": "@ann.s",
            "text": "wrong item arrived",
            "attachments": [{"kind": "image", "name": "box.jpg", "content_type": "image/jpeg"}],
        }
    )
    assert m.channel == Channel.social
    # Platforms' ids may collide; the platform keeps retries apart from other platforms.
    assert m.message_id == "instagram:17890"
    assert m.sender == "@ann.s"
    assert m.attachments[0].kind == "image"


@pytest.mark.parametrize("field", ["platform", "message_id", "handle"])
def test_social_missing_field(field: str) -> None:
    payload = {"platform": "x", "message_id": "1", "handle": "h", "text": "t"}
    del payload[field]
    with pytest.raises(PayloadError) as err:
        from_social(payload)
    assert err.value.field == field


# ---------------------------------------------------------------- html


def test_html_to_text_drops_scripts_and_collapses_space() -> None:
    markup = "<div>Hi   there</div><script>alert(1)</script><div>Bye</div>"
    assert html_to_text(markup) == "Hi there\nBye"
