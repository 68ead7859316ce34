"""The client against servers that misbehave at the byte level: a drip, a flood, a corrupt body.

Each server is a real socket on 127.0.0.1 (tests/helpers/backend.py RawServer)."""

from __future__ import annotations

import gzip

import pytest
from helpers.backend import TOKEN, RawServer

from kiosk.backend.client import BackendClient, ProtocolError, Unreachable

OK_BODY = b'{"status": "ok", "time": "2026-12-02T10:00:00+07:00"}'


def _drip(conn, server: RawServer) -> None:
    """A whole, valid answer, one byte every 0.2 s (about 20 s in all)."""
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(OK_BODY)) + OK_BODY
    for i in range(len(answer)):
        if server.stop.wait(0.2):
            return
        conn.sendall(answer[i:i + 1])
        server.count(1)


def _flood(conn, server: RawServer) -> None:
    """200 MiB of a JSON string, made as it goes, without a declared length."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    block = b"x" * 65536
    conn.sendall(b'{"status": "')
    for _ in range(200 * 16):
        if server.stop.is_set():
            return
        conn.sendall(block)
        server.count(len(block))


def _corrupt_gzip(conn, server: RawServer) -> None:
    body = gzip.compress(OK_BODY)[:12] + b"\x00garbage\xff" * 4
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)


def test_a_dripping_server_cannot_hold_a_call_past_its_deadline():
    """httpx's read timeout restarts with every byte; the call's own deadline does not."""
    with RawServer(_drip) as server:
        client = BackendClient(server.url, TOKEN, max_retries=0, deadlines={"health": 1.0})
        with pytest.raises(Unreachable) as info:
            client.health()
        client.close()
        sent = server.sent
    assert "Timeout" in info.value.detail
    assert sent < 20  # gave up after a few bytes of the 130-byte answer


def test_an_oversized_answer_is_refused_after_the_cap_not_read_to_the_end():
    with RawServer(_flood) as server:
        client = BackendClient(server.url, TOKEN, max_retries=0, deadlines={"health": 30.0})
        with pytest.raises(ProtocolError) as info:
            client.health()
        client.close()
        sent = server.sent
    assert "over" in info.value.detail
    assert sent < 32 * 1024 * 1024  # the client hung up near 1 MiB, not after 200 MiB


def test_a_declared_oversized_answer_is_refused_before_reading_it():
    def declared(conn, server):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 209715200\r\n\r\n")
        conn.sendall(b'{"status": "')

    with RawServer(declared) as server:
        client = BackendClient(server.url, TOKEN, max_retries=0)
        with pytest.raises(ProtocolError, match="over the limit"):
            client.health()
        client.close()


def test_a_corrupt_compressed_body_is_a_protocol_error_not_a_crash():
    """A proxy mangling gzip used to raise httpx.DecodingError out of the client (and end the sender)."""
    with RawServer(_corrupt_gzip) as server:
        client = BackendClient(server.url, TOKEN, max_retries=0)
        with pytest.raises(ProtocolError) as info:
            client.health()
        client.close()
    assert "DecodingError" in info.value.detail
