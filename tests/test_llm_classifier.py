"""The optional LLM classifier against an OpenAI-compatible endpoint on 127.0.0.1.

The local server answers in the documented chat-completions shape; the tests check the
request the desk sends (model, messages, a strict json_schema response format) and that a
failing or off-schema endpoint falls back to the local reading instead of failing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from desk.classifier import classify
from desk.classifier.llm import LLMClassifier
from desk.models import Intent


class _Endpoint:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.content: str = ""


@pytest.fixture
def endpoint() -> Iterator[tuple[_Endpoint, str]]:
    state = _Endpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            payload = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": state.content},
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
            data = json.dumps(payload).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def _answer(**overrides: Any) -> str:
    reading = {
        "intent": "delivered_not_received",
        "confidence": 0.93,
        "preference": "refund",
        "wants_human": False,
        "sensitive": False,
        "found_it": False,
        "still_missing": True,
        "thanks": False,
        "dispute": False,
    }
    return json.dumps({**reading, **overrides})


def test_structured_reading_combines_with_local_extraction(endpoint: Any) -> None:
    state, url = endpoint
    state.content = _answer()
    llm = LLMClassifier(url, "small-model", local=classify, api_key="sk-test")
    u = llm("Order 41880 shows delivered, nothing here. Refund please.", "Order 41880")
    assert u.intent == Intent.delivered_not_received and u.confidence == 0.93
    assert u.preference == "refund" and u.still_missing
    assert u.order_numbers == ["41880"]  # from the local extractor, not the model
    assert u.classifier_version == "llm-small-model"
    [request] = state.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "small-model" and body["temperature"] == 0
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["messages"][1]["content"].startswith("Subject: Order 41880")


@pytest.mark.parametrize(
    ("status", "content"),
    [
        (500, _answer()),
        (200, "not json"),
        (200, _answer(intent="refund_request")),
        (200, _answer(confidence=3)),
    ],
)
def test_a_failing_or_off_schema_endpoint_falls_back_to_the_local_reading(
    endpoint: Any, status: int, content: str
) -> None:
    state, url = endpoint
    state.status, state.content = status, content
    u = LLMClassifier(url, "m", local=classify)("please cancel order 60102")
    assert u.intent == Intent.cancel_order
    assert u.classifier_version.endswith("(llm unavailable)")
