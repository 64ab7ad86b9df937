"""Keeps the benchmark off the network: only the loopback interface may be resolved or reached.

Installed in the benchmark process and in every cold-start child, so that a mistake (a fake that does not
match, an AWS client without its local endpoint, credentials looked up on the instance metadata service)
fails at once instead of reaching the internet. It patches `socket`, and imports nothing else, so a child
can install it when the function under measurement first imports `socket`.
"""

from __future__ import annotations

import socket

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class NetworkRefusedError(OSError):
    """A benchmark tried to reach something other than this machine's loopback interface."""


def is_loopback(host: object) -> bool:
    return isinstance(host, str) and (host in LOOPBACK_NAMES or host.startswith("127."))


def _address_allowed(address: Any) -> bool:
    """AF_UNIX paths are local; a (host, port, ...) tuple must name the loopback interface."""
    if isinstance(address, str | bytes):
        return True
    return isinstance(address, tuple) and bool(address) and is_loopback(address[0])


def _refused(what: str, target: object) -> NetworkRefusedError:
    return NetworkRefusedError(f"the benchmark may not {what} {target!r}: only the loopback interface")


def allow_only_loopback() -> None:
    resolve = socket.getaddrinfo
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex
    sendto = socket.socket.sendto

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host.decode() if isinstance(host, bytes) else host):
            raise _refused("resolve", host)
        return resolve(host, *args, **kwargs)

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _address_allowed(address):
            raise _refused("connect to", address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _address_allowed(address):
            raise _refused("connect to", address)
        return connect_ex(self, address)

    def guarded_sendto(self: socket.socket, data: Any, *flags_and_address: Any) -> int:
        if not _address_allowed(flags_and_address[-1]):
            raise _refused("send to", flags_and_address[-1])
        return sendto(self, data, *flags_and_address)

    socket.getaddrinfo = guarded_getaddrinfo
    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = guarded_sendto  # type: ignore[method-assign,assignment]
