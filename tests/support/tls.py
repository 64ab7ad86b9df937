"""GitHub and X served over real TLS connections on 127.0.0.1, from the fake world of
local/upstreams.py, counting the connections the clients open: what proves that a warm container
reuses its upstream connections, which `responses` (faking above the connection pool) cannot show."""

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from re import Pattern
from typing import Any

import requests
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from local.upstreams import Reply
from tests.support.faults import FakeUpstreams

HOSTS = ("api.github.com", "api.twitter.com")
BARRIER_TIMEOUT_SECONDS = 10


class RecordedRoutes(responses.RequestsMock):
    """Never started: keeps the callbacks `FakeUpstreams` registers, so that a server can answer with them."""

    def __init__(self) -> None:
        super().__init__(assert_all_requests_are_fired=False)
        self.routes: list[tuple[str, Pattern[str], Callable[[requests.PreparedRequest], Reply]]] = []

    def add_callback(
        self, method: str, url: Any, callback: Callable[[Any], Any], *args: Any, **kwargs: Any
    ) -> responses.BaseResponse:
        self.routes.append((method, url, callback))
        return super().add_callback(method, url, callback, *args, **kwargs)

    def answer(self, request: requests.PreparedRequest) -> Reply:
        for method, url, callback in self.routes:
            if method == request.method and url.match(str(request.url)):
                return callback(request)
        return 404, {}, '{"message": "no fake for this request"}'


class TlsUpstreams:
    """The fake world behind an HTTPS server that GitHub's and X's host names resolve to."""

    def __init__(self, certificates: Path) -> None:
        self.routes = RecordedRoutes()
        self.fake = FakeUpstreams(self.routes)
        self.ca_file, cert_file, key_file = _certificates(certificates)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        self._server = _CountingServer(_handler(self), context)
        self._github_barrier: threading.Barrier | None = None

    @property
    def connections(self) -> int:
        """TCP connections accepted so far, each a TLS handshake a client had to make."""
        return self._server.connections

    def gather_github_requests(self, parties: int) -> None:
        """Holds each GitHub request until `parties` are in flight together, so that the clients need as many
        connections at once on every invocation, whatever the threads' timing."""
        self._github_barrier = threading.Barrier(parties, timeout=BARRIER_TIMEOUT_SECONDS)

    def resolve(self, resolve: Callable[..., Any]) -> Callable[..., Any]:
        """`socket.getaddrinfo` with GitHub's and X's host names resolving to this server."""
        port = self._server.server_address[1]

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host in HOSTS:
                return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]
            return resolve(host, *args, **kwargs)

        return getaddrinfo

    @contextmanager
    def serving(self) -> Iterator["TlsUpstreams"]:
        thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            thread.join()

    def answer(self, host: str, path: str, headers: dict[str, str]) -> Reply:
        if host == "api.github.com" and self._github_barrier is not None:
            self._github_barrier.wait()
        return self.routes.answer(requests.Request("GET", f"https://{host}{path}", headers=headers).prepare())


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.connections = 0
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self.connections += 1
            self._open.append(request)
        super().process_request(request, client_address)

    def close_connections(self) -> None:
        """Ends the kept-alive connections, so that no handler thread outlives the test."""
        with self._lock:
            for connection in self._open:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    continue


def _handler(upstreams: TlsUpstreams) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, headers, body = upstreams.answer(self.headers["Host"], self.path, dict(self.headers))
            payload = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload) if status != 304 else 0))
            self.end_headers()
            if status != 304:
                self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for GitHub's and X's host names; returns the CA file (for the
    clients' REQUESTS_CA_BUNDLE) and the server's certificate and key files."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "connected-developers test CA")])
    ca = (
        _valid_around(x509.CertificateBuilder(), now)
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        _valid_around(x509.CertificateBuilder(), now)
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTS[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host) for host in HOSTS]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_file, cert_file, key_file


def _valid_around(builder: x509.CertificateBuilder, now: datetime) -> x509.CertificateBuilder:
    return (
        builder.serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
    )
