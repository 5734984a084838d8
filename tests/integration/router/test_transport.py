"""The subgraph transport against real sockets: a scripted HTTP server writes exactly the bytes
a subgraph (or a proxy in front of it) might, in whatever pieces the test chooses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from router.transport import HTTPPool, TransportError
from tests.support.wait import wait_for

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return await reader.readexactly(length)


async def serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/graphql"


def answering(*responses: bytes, pieces: int = 1, close: bool = False) -> tuple[Handler, list[int]]:
    """A handler that answers each request on a connection with the next response, written in
    `pieces` parts; `opened` counts connections."""
    opened: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(1)
        try:
            for resp in responses:
                await read_request(reader)
                step = max(1, len(resp) // pieces)
                for i in range(0, len(resp), step):
                    writer.write(resp[i:i + step])
                    await writer.drain()
                    await asyncio.sleep(0)
            if close:
                writer.close()
                return
            await reader.read()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return handler, opened


@pytest.fixture
async def servers() -> AsyncIterator[list[asyncio.Server]]:
    started: list[asyncio.Server] = []
    yield started
    for s in started:
        s.close()
        await s.wait_closed()


async def pool_for(servers: list[asyncio.Server], handler: Handler, **kw: int) -> HTTPPool:
    server, url = await serve(handler)
    servers.append(server)
    return HTTPPool(url, timeout=5.0, **kw)


BODY = b'{"data":{"ok":true}}'


async def test_content_length_response_and_keep_alive_reuse(servers: list[asyncio.Server]) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
    handler, opened = answering(ok, ok, pieces=3)
    pool = await pool_for(servers, handler)
    assert await pool.post(b"{}") == (200, BODY)
    assert await pool.post(b"{}") == (200, BODY)
    assert len(opened) == 1
    pool.close()


async def test_interim_early_hints_are_skipped(servers: list[asyncio.Server]) -> None:
    resp = (b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
    handler, _ = answering(resp)
    pool = await pool_for(servers, handler)
    assert await pool.post(b"{}") == (200, BODY)
    pool.close()


async def test_a_no_content_answer_does_not_wait_for_a_body(servers: list[asyncio.Server]) -> None:
    handler, _ = answering(b"HTTP/1.1 204 No Content\r\n\r\n")
    pool = await pool_for(servers, handler)
    assert await asyncio.wait_for(pool.post(b"{}"), 2) == (204, b"")
    pool.close()


@pytest.mark.parametrize("head", [b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n",
                                  b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n",
                                  b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n"])
async def test_body_read_until_close(servers: list[asyncio.Server], head: bytes) -> None:
    handler, opened = answering(head + BODY, pieces=3, close=True)
    pool = await pool_for(servers, handler)
    assert await pool.post(b"{}") == (200, BODY)
    assert not pool.idle  # such a connection cannot carry another request
    assert await pool.post(b"{}") == (200, BODY)
    assert len(opened) == 2
    pool.close()


async def test_a_response_cut_short_is_a_transport_error(servers: list[asyncio.Server]) -> None:
    handler, _ = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + BODY, close=True)
    pool = await pool_for(servers, handler)
    with pytest.raises(TransportError, match="connection lost"):
        await pool.post(b"{}")
    pool.close()


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, object]]]:
    """What reaches the event loop's exception handler (asyncio's "Fatal error on transport")."""
    seen: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: seen.append(context))
    yield seen
    loop.set_exception_handler(None)


@pytest.mark.parametrize("value", [b"abc", b"-5", b"12, 13", b"1e3", b" 2 2"])
async def test_malformed_content_length_is_a_transport_error(servers: list[asyncio.Server], value: bytes,
                                                             loop_errors: list[dict[str, object]]) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
    bad = b"HTTP/1.1 200 OK\r\nContent-Length: " + value + b"\r\n\r\n" + BODY
    handler, opened = answering(ok, bad, ok)
    pool = await pool_for(servers, handler)
    assert await pool.post(b"{}") == (200, BODY)
    with pytest.raises(TransportError, match="Content-Length"):
        await pool.post(b"{}")
    assert not pool.idle  # the connection is discarded, not handed to the next request
    assert await pool.post(b"{}") == (200, BODY)
    assert len(opened) == 2
    assert loop_errors == []
    pool.close()


async def test_two_different_content_lengths_are_refused(servers: list[asyncio.Server]) -> None:
    handler, _ = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n" + BODY)
    pool = await pool_for(servers, handler)
    with pytest.raises(TransportError, match="Content-Length"):
        await pool.post(b"{}")
    pool.close()


async def test_a_protocol_switch_is_refused(servers: list[asyncio.Server]) -> None:
    handler, _ = answering(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
    pool = await pool_for(servers, handler)
    with pytest.raises(TransportError):
        await pool.post(b"{}")
    assert not pool.idle
    pool.close()


async def test_bytes_after_the_response_retire_the_connection(servers: list[asyncio.Server]) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
    handler, opened = answering(ok + b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale", ok)
    pool = await pool_for(servers, handler)
    assert await pool.post(b"{}") == (200, BODY)
    assert await wait_for(lambda: all(c.closed for c in pool.idle), 5)  # the stray bytes retired it
    assert await pool.post(b"{}") == (200, BODY)  # not the stale answer left on the first connection
    assert len(opened) == 2
    pool.close()


async def test_headers_over_the_bound_are_refused(servers: list[asyncio.Server]) -> None:
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"p" * 70_000 + b"\r\nContent-Length: 2\r\n\r\n{}"
    handler, _ = answering(head, pieces=20)
    pool = await pool_for(servers, handler)
    with pytest.raises(TransportError, match="headers too large"):
        await pool.post(b"{}")
    pool.close()


async def test_malformed_status_line_and_chunk_size(servers: list[asyncio.Server]) -> None:
    handler, _ = answering(b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}")
    pool = await pool_for(servers, handler)
    with pytest.raises(TransportError, match="malformed HTTP response"):
        await pool.post(b"{}")
    handler, _ = answering(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
    pool2 = await pool_for(servers, handler)
    with pytest.raises(TransportError, match="chunk size"):
        await pool2.post(b"{}")
    pool.close()
    pool2.close()


def chunked(body: bytes, size: int, trailer: bytes = b"") -> bytes:
    out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n" + trailer + b"\r\n"


async def test_chunked_body_in_many_small_reads(servers: list[asyncio.Server]) -> None:
    body = b'{"data":{"s":"' + b"x" * 200_000 + b'"}}'
    handler, opened = answering(chunked(body, 1000), chunked(body, 7, b"X-Trailer: 1\r\n"), pieces=400)
    pool = await pool_for(servers, handler)
    assert await pool.post(b"{}") == (200, body)
    assert await pool.post(b"{}") == (200, body)
    assert len(opened) == 1
    pool.close()


async def test_response_larger_than_the_cap_is_refused(servers: list[asyncio.Server]) -> None:
    big = b"x" * 5000
    handler, _ = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + big)
    pool = await pool_for(servers, handler, max_response_bytes=4096)
    with pytest.raises(TransportError, match="larger than 4096"):
        await pool.post(b"{}")
    handler, _ = answering(chunked(big, 100), pieces=10)
    pool2 = await pool_for(servers, handler, max_response_bytes=4096)
    with pytest.raises(TransportError, match="larger than 4096"):
        await pool2.post(b"{}")
    pool.close()
    pool2.close()


async def test_connections_per_pool_are_capped(servers: list[asyncio.Server]) -> None:
    opened = 0
    in_flight = 0
    most = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal opened, in_flight, most
        opened += 1
        try:
            while True:
                await read_request(reader)
                in_flight += 1
                most = max(most, in_flight)
                await asyncio.sleep(0.01)
                in_flight -= 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    pool = await pool_for(servers, handler, max_connections=3)
    answers = await asyncio.gather(*(pool.post(b"{}") for _ in range(30)))
    assert answers == [(200, BODY)] * 30
    assert opened == 3 and most == 3
    pool.close()
