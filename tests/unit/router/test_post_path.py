"""The bare POST path reads a request's headers once and writes Starlette's response headers."""

from starlette.responses import Response

from router.http import Out, _one_answer


def scope(headers: list[tuple[bytes, bytes]], query: bytes = b"") -> dict:
    return {"type": "http", "method": "POST", "path": "/graphql", "query_string": query,
            "headers": headers, "client": ("10.0.0.7", 5000)}


def test_first_value_of_a_repeated_header_and_lower_case_names():
    inc = _one_answer(scope([(b"content-type", b"application/json"), (b"x-a", b"1"), (b"x-a", b"2")]))
    assert inc is not None
    assert inc.headers == {"content-type": "application/json", "x-a": "1"}
    assert inc.method == "POST" and inc.client == "10.0.0.7"


def test_a_request_for_a_stream_goes_to_the_routes():
    assert _one_answer(scope([(b"accept", b"application/json"), (b"accept", b"text/event-stream")])) is None
    assert _one_answer(scope([(b"accept", b'multipart/mixed;subscriptionSpec="1.0"')])) is None
    assert _one_answer(scope([(b"x-graphql-event-stream-token", b"t")])) is None
    assert _one_answer(scope([], b"token=abc")) is None
    assert _one_answer(scope([(b"accept", b"application/graphql-response+json")])) is not None


def test_response_headers_are_starlettes():
    cases = [Out(200, b'{"data":{}}', "application/json"),
             Out(400, b"{}", "application/graphql-response+json", {"Retry-After": "3"}),
             Out(204, b"", "application/json"),
             Out(200, b"x", None),
             Out(405, b"{}", "application/json", {"allow": "POST"})]
    for out in cases:
        assert out.head() == Response(out.body, out.status, out.headers, out.media).raw_headers, out
