"""The Stripe refunds adapter against respx replaying Stripe's documented answers
(/work/shared/vendors/stripe_refunds.md): the form it sends, minor units, the
Idempotency-Key on every retry, errors, replays and refunds found again after 24 h."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from desk.adapters.stripe import (
    StripePayment,
    StripePayments,
    StripeSettings,
    idempotency_key,
    key_tag,
    major_units,
    minor_units,
)
from desk.models import ExecutionResult, LineRef
from desk.ports import NotFound, Refused, Unavailable

SECRET = "sk_test_51s3cr3tKEYvalue"
API = "https://api.stripe.com/v1/refunds"
KEY = "contact-order-1001:d1:refund"
PI = "pi_1GszsK2eZvKYlo2CfhZyoZLp"
MUGS = [LineRef(sku="MUG-01", name="Ceramic Mug", qty=2, unit_price=20.0)]

# ST1, verbatim.
REFUND: dict[str, Any] = {
    "id": "re_1Nispe2eZvKYlo2Cd31jOCgZ",
    "object": "refund",
    "amount": 1000,
    "balance_transaction": "txn_1Nispe2eZvKYlo2CYezqFhEx",
    "charge": "ch_1NirD82eZvKYlo2CIvbtLWuY",
    "created": 1692942318,
    "currency": "usd",
    "destination_details": {
        "card": {
            "reference": "123456789012",
            "reference_status": "available",
            "reference_type": "acquirer_reference_number",
            "type": "refund",
        },
        "type": "card",
    },
    "metadata": {},
    "payment_intent": PI,
    "reason": None,
    "receipt_number": None,
    "source_transfer_reversal": None,
    "status": "succeeded",
    "transfer_reversal": None,
}
ALREADY_REFUNDED = {
    "error": {
        "code": "charge_already_refunded",
        "doc_url": "https://stripe.com/docs/error-codes/charge-already-refunded",
        "message": "Charge ch_3MOerAFwLMQuqQ0P0eGHUW9c has already been refunded.",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_RXwovt0LSQTU81?t=1673446922",
        "type": "invalid_request_error",
    }
}
TOO_LARGE = {
    "error": {
        "type": "invalid_request_error",
        "param": "amount",
        "code": "amount_too_large",
        "message": "Refund amount ($50.00) is greater than unrefunded amount on charge ($40.00)",
    }
}
IN_USE = {
    "error": {
        "code": "idempotency_key_in_use",
        "doc_url": "https://stripe.com/docs/error-codes/idempotency-key-in-use",
        "message": "There is currently another in-progress request using this Idempotent Key "
        "(that probably means you submitted twice, and the other request is still going "
        "through): key_first. Please try again later.",
        "type": "invalid_request_error",
    }
}
MISMATCH = {
    "error": {
        "type": "idempotency_error",
        "message": "Keys for idempotent requests can only be used with the same parameters they "
        "were first used with. Try using a key other than 'k' if you meant to execute a "
        "different request.",
    }
}
RATE_LIMIT = {
    "error": {
        "code": "rate_limit",
        "doc_url": "https://stripe.com/docs/error-codes/rate-limit",
        "message": "Request rate limit exceeded. You can learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        "type": "invalid_request_error",
    }
}
DECLINED = {
    "error": {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "generic_decline",
        "message": "Your card was declined.",
    }
}
EMPTY_LIST = {"object": "list", "data": [], "has_more": False, "url": "/v1/refunds"}


@pytest.fixture
def stripe() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        mock.get(API).mock(return_value=httpx.Response(200, json=EMPTY_LIST))
        yield mock


def payments(
    slept: list[float] | None = None, payment: Any = PI, **settings: Any
) -> StripePayments:
    record = slept if slept is not None else []
    return StripePayments(
        StripeSettings(api_key=SECRET, requests_per_second=1000, **settings),
        lambda number: payment,
        sleep=record.append,
    )


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_a_refund_is_a_form_encoded_post_with_a_key_derived_from_the_desks(
    stripe: respx.MockRouter,
) -> None:
    posted = stripe.post(API).mock(return_value=httpx.Response(200, json=REFUND))
    result = payments().refund("#1001", 10.0, MUGS, "lost in transit", KEY)
    assert result == ExecutionResult(refund_id="re_1Nispe2eZvKYlo2Cd31jOCgZ", refunded=10.0)
    request = posted.calls[0].request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    expected_key = "desk-" + hashlib.sha256(KEY.encode()).hexdigest()
    assert request.headers["idempotency-key"] == expected_key == idempotency_key(KEY)
    assert len(expected_key) <= 255
    assert form(request) == {
        "payment_intent": PI,
        "amount": "1000",
        "metadata[order]": "1001",
        "metadata[desk_key]": key_tag(KEY),
        "metadata[desk_reason]": "lost in transit",
        "metadata[lines]": "MUG-01 x2",
        "reason": "requested_by_customer",
    }
    # Looked for an earlier refund of the key first.
    listed = stripe.routes[0].calls[0].request
    assert listed.url.params["payment_intent"] == PI


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (10.0, "usd", 1000),
        (19.99, "eur", 1999),
        (0.1 + 0.2, "usd", 30),
        (1500.0, "jpy", 1500),
        (1500.4, "JPY", 1500),
        (12.0, "krw", 12),
        (1.234, "kwd", 1230),
        (5.0, "bhd", 5000),
        (990.0, "isk", 99000),
    ],
)
def test_amounts_are_in_the_currencys_minor_units(amount: float, currency: str, minor: int) -> None:
    assert minor_units(amount, currency) == minor


def test_a_zero_decimal_payment_is_refunded_in_whole_units(stripe: respx.MockRouter) -> None:
    yen = {**REFUND, "amount": 1500, "currency": "jpy"}
    posted = stripe.post(API).mock(return_value=httpx.Response(200, json=yen))
    result = payments(payment=StripePayment(PI, "jpy")).refund("1001", 1500.0, [], "x", KEY)
    assert form(posted.calls[0].request)["amount"] == "1500" and result.refunded == 1500.0
    assert major_units(1230, "kwd") == 1.23


def test_every_retry_sends_the_same_key(stripe: respx.MockRouter) -> None:
    posted = stripe.post(API).mock(
        side_effect=[
            httpx.ConnectTimeout("slow"),
            httpx.Response(429, json=RATE_LIMIT),
            httpx.Response(409, json=IN_USE),
            httpx.Response(500, json={"error": {"type": "api_error", "message": "boom"}}),
            httpx.Response(200, json=REFUND, headers={"Idempotent-Replayed": "true"}),
        ]
    )
    slept: list[float] = []
    assert payments(slept, attempts=4).refund("1001", 10.0, [], "x", KEY).refunded == 10.0
    keys = {call.request.headers["idempotency-key"] for call in posted.calls}
    assert keys == {idempotency_key(KEY)} and len(posted.calls) == 5
    assert len(slept) == 4


def test_a_key_in_use_for_good_is_unavailable(stripe: respx.MockRouter) -> None:
    stripe.post(API).mock(return_value=httpx.Response(409, json=IN_USE))
    with pytest.raises(Unavailable, match="idempotency_key_in_use after 3 attempts"):
        payments(attempts=3).refund("1001", 10.0, [], "x", KEY)


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (402, DECLINED, r"card_declined \(generic_decline\): Your card was declined"),
        (400, ALREADY_REFUNDED, "charge_already_refunded"),
        (400, TOO_LARGE, "amount_too_large"),
        (400, MISMATCH, "idempotency_error"),
        (
            404,
            {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}},
            "404",
        ),
    ],
)
def test_a_refusal_is_final(
    stripe: respx.MockRouter, status: int, body: dict[str, Any], words: str
) -> None:
    posted = stripe.post(API).mock(return_value=httpx.Response(status, json=body))
    with pytest.raises(Refused, match=words) as err:
        payments().refund("1001", 10.0, [], "x", KEY)
    assert type(err.value) is Refused and len(posted.calls) == 1


def test_a_replayed_error_stays_an_error(stripe: respx.MockRouter) -> None:
    replayed = {"Idempotent-Replayed": "true"}
    posted = stripe.post(API).mock(
        return_value=httpx.Response(500, json={"error": {"type": "api_error"}}, headers=replayed)
    )
    with pytest.raises(Refused, match="an earlier attempt with this key ended in api_error"):
        payments().refund("1001", 10.0, [], "x", KEY)
    assert len(posted.calls) == 1  # retrying only replays it
    stripe.post(API).mock(return_value=httpx.Response(402, json=DECLINED, headers=replayed))
    with pytest.raises(Refused, match="ended in card_declined"):
        payments().refund("1001", 10.0, [], "x", KEY)


def test_stripe_should_retry_false_is_believed(stripe: respx.MockRouter) -> None:
    posted = stripe.post(API).mock(
        return_value=httpx.Response(
            503, json={"error": {"type": "api_error"}}, headers={"Stripe-Should-Retry": "false"}
        )
    )
    with pytest.raises(Refused):
        payments().refund("1001", 10.0, [], "x", KEY)
    assert len(posted.calls) == 1


def test_a_refund_made_under_the_key_is_found_after_the_key_window(
    stripe: respx.MockRouter,
) -> None:
    earlier = {**REFUND, "metadata": {"order": "1001", "desk_key": key_tag(KEY)}}
    other = {**REFUND, "id": "re_other", "metadata": {"desk_key": key_tag("another")}}
    stripe.get(API).mock(
        return_value=httpx.Response(200, json={**EMPTY_LIST, "data": [other, earlier]})
    )
    posted = stripe.post(API).mock(return_value=httpx.Response(200, json=REFUND))
    assert payments().refund("1001", 10.0, [], "x", KEY).refund_id == REFUND["id"]
    assert not posted.called
    failed = {**earlier, "status": "failed", "failure_reason": "expired_or_canceled_card"}
    stripe.get(API).mock(return_value=httpx.Response(200, json={**EMPTY_LIST, "data": [failed]}))
    with pytest.raises(Refused, match="failed .expired_or_canceled_card."):
        payments().refund("1001", 10.0, [], "x", KEY)


def test_a_failed_refund_is_refused_and_a_pending_one_counts(stripe: respx.MockRouter) -> None:
    stripe.post(API).mock(return_value=httpx.Response(200, json={**REFUND, "status": "pending"}))
    assert payments().refund("1001", 10.0, [], "x", KEY).refunded == 10.0
    stripe.post(API).mock(return_value=httpx.Response(200, json={**REFUND, "status": "canceled"}))
    with pytest.raises(Refused, match="canceled"):
        payments().refund("1001", 10.0, [], "x", KEY)


def test_the_payment_comes_from_the_wiring(stripe: respx.MockRouter) -> None:
    def unknown(number: str) -> str:
        raise NotFound(f"no order {number}")

    with pytest.raises(NotFound, match="no order 1001"):
        StripePayments(StripeSettings(api_key=SECRET), unknown).refund("1001", 1.0, [], "x", KEY)
    with pytest.raises(Refused, match="no Stripe payment"):
        payments(payment=None).refund("1001", 1.0, [], "x", KEY)
    with pytest.raises(Refused, match="no payment intent"):
        payments(payment="ch_123").refund("1001", 1.0, [], "x", KEY)
    assert payments().refund("1001", 0.0, [], "x", KEY) == ExecutionResult()
    with pytest.raises(ValueError, match="must not be negative"):
        payments().refund("1001", -1.0, [], "x", KEY)
    assert not stripe.routes[0].called


def test_the_api_key_is_never_told(
    stripe: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_key = {
        "error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {SECRET}"}
    }
    stripe.get(API).mock(return_value=httpx.Response(401, json=bad_key))
    with pytest.raises(Refused) as err:
        payments().refund("1001", 10.0, [], "x", KEY)
    assert type(err.value) is Refused and "401" in str(err.value)
    assert SECRET not in str(err.value)
    stripe.get(API).mock(return_value=httpx.Response(200, json=EMPTY_LIST))
    stripe.post(API).mock(return_value=httpx.Response(503, json={"error": {"type": "api_error"}}))
    with pytest.raises(Unavailable) as down:
        payments(attempts=2).refund("1001", 10.0, [], "x", KEY)
    out = capsys.readouterr()
    assert SECRET not in str(down.value) + out.out + out.err
    settings = StripeSettings(api_key=SECRET)
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())


def test_connect_and_version_headers(stripe: respx.MockRouter) -> None:
    posted = stripe.post(API).mock(return_value=httpx.Response(200, json=REFUND))
    payments(api_version="2024-06-20", account="acct_123", refund_reason=None).refund(
        "1001", 10.0, [], "", KEY
    )
    request = posted.calls[0].request
    assert request.headers["stripe-version"] == "2024-06-20"
    assert request.headers["stripe-account"] == "acct_123"
    assert "reason" not in form(request) and "metadata[desk_reason]" not in form(request)


def test_settings_come_from_the_environment() -> None:
    settings = StripeSettings.from_env(
        {
            "DESK_STRIPE_API_KEY": SECRET,
            "DESK_STRIPE_CURRENCY": "EUR",
            "DESK_STRIPE_ACCOUNT": "acct_9",
            "DESK_STRIPE_RATE": "5",
        }
    )
    assert (settings.currency, settings.account, settings.requests_per_second) == (
        "eur",
        "acct_9",
        5.0,
    )
    assert settings.api_key.get_secret_value() == SECRET
    with pytest.raises(ValueError, match="DESK_STRIPE_API_KEY is not set"):
        StripeSettings.from_env({})
    with pytest.raises(ValueError, match="https"):
        StripeSettings(api_key=SECRET, base_url="http://stripe.example.com")
