"""Shared by the backend tests (unit and e2e)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

TOKEN = "test-device-token"


def make_pki(folder: Path) -> dict[str, Path]:
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        return path

    def issue(cn: str, ca_key, issuer: x509.Name, *, ca: bool = False, server: bool = False):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer or name(cn))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                              encipher_only=False, decipher_only=False), critical=True)
            builder = builder.add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        else:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
            builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return key, builder.sign(ca_key or key, hashes.SHA256())

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for label in ("ca", "other_ca"):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = name(f"test {label}")
        builder = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                   .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                                  critical=False))
        ca_cert = builder.sign(ca_key, hashes.SHA256())
        out[label] = folder / f"{label}.pem"
        out[label].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        if label == "ca":
            for who, server in (("server", True), ("client", False)):
                key, cert = issue(f"test {who}", ca_key, ca_name, server=server)
                out[f"{who}_cert"] = folder / f"{who}.pem"
                out[f"{who}_cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
                out[f"{who}_key"] = write_key(key, folder / f"{who}.key")
    return out


class RawServer:
    """A TCP server on 127.0.0.1 whose every connection is handed to ``serve(sock, stop)``: for the
    misbehaviour a well-behaved HTTP server cannot produce (a drip, a flood, a corrupt body).

    ``sent`` counts the bytes the handlers report having written; ``stop`` ends the handlers."""

    def __init__(self, serve) -> None:
        import socket
        import threading

        self.stop = threading.Event()
        self.sent = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._serve = serve
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept.start()

    def count(self, n: int) -> None:
        with self._lock:
            self.sent += n

    def _accept_loop(self) -> None:
        import threading

        while not self.stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _handle(self, conn) -> None:
        with conn:
            try:
                conn.settimeout(10)
                conn.recv(65536)  # the request (small in these tests)
                self._serve(conn, self)
            except OSError:
                pass  # the client gave up: what these servers are for

    def close(self) -> None:
        self.stop.set()
        self._sock.close()
        for t in self._threads:
            t.join(5)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ticket_from_answer(tmp_path, answer) -> object:
    """The ticket the kiosk's issuer makes when the backend answers a ticket request with ``answer`` (any JSON,
    201 Created): for answers off the contract that the simulator never gives."""
    import json

    from kiosk.backend.client import BackendClient
    from kiosk.backend.tickets import TicketIssuer

    body = json.dumps(answer).encode()

    def serve(conn, server):
        conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                     % len(body) + body)

    issuer = TicketIssuer(None, tmp_path / "tickets.sqlite3", "KIOSK-01")
    try:
        with RawServer(serve) as server, BackendClient(server.url, TOKEN, max_retries=0) as client:
            return issuer.issue("ho-tich", client=client)
    finally:
        issuer.close()


def with_attachments(dossier, sizes, rng=None):
    """``dossier`` carrying one photographed page of random bytes per size (document 0, pages 1, 2, ...)."""
    import dataclasses
    import random

    from kiosk.core.dossier import Attachment

    rng = rng or random.Random()
    pages = [Attachment.of(0, page, rng.randbytes(size), flags=("blur",) if page == 2 else (),
                           document_name={"vi": "Giấy chứng sinh", "en": "Birth certificate"})
             for page, size in enumerate(sizes, start=1)]
    return dataclasses.replace(dossier, attachments=pages)
