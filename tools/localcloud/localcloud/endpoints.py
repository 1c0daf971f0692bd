"""Cluster endpoints of the local data plane: a stable loopback address that forwards to whichever server plays
the role now, as Aurora's cluster (writer) and reader endpoints are DNS names that follow the cluster's writer and
readers.

An :class:`Endpoint` listens on its own address and, for each client connection, opens a TCP connection to the
server its ``target`` callable names at that moment and copies bytes both ways: TLS runs end to end between the
client and PostgreSQL (every server's certificate names the endpoint addresses of its cluster). During a failover
the endpoint is *suspended*: its open connections are dropped (as the old writer's are on AWS) and new ones are
closed at once, before any byte, until :meth:`Endpoint.resume`.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
from collections.abc import Callable

log = logging.getLogger("localcloud.endpoints")

CONNECT_TIMEOUT = 5.0
CHUNK = 65536


class Endpoint:
    """A listening address that forwards each connection to ``target()`` -> (address, port) or None (refused)."""

    def __init__(self, name: str, address: str, port: int, target: Callable[[], tuple[str, int] | None]):
        self.name = name
        self.address = address
        self.port = port
        self.target = target
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((address, port))
        self._listener.listen(64)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._suspended = False
        self._closed = False
        threading.Thread(target=self._accept_loop, name=f"endpoint-{name}", daemon=True).start()

    # -- control
    def suspend(self) -> None:
        """Refuse new connections and drop the open ones (the role is moving to another server)."""
        with self._lock:
            self._suspended = True
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _close(sock)

    def resume(self) -> None:
        with self._lock:
            self._suspended = False

    def drop_connections(self) -> None:
        """Drop the open connections (the server behind them went away) and keep serving new ones."""
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _close(sock)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        _close(self._listener)
        self.drop_connections()

    # -- forwarding
    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                closed, suspended = self._closed, self._suspended
            target = None if (closed or suspended) else self.target()
            if target is None:
                _close(client)
                continue
            threading.Thread(target=self._forward, args=(client, target), daemon=True).start()

    def _forward(self, client: socket.socket, target: tuple[str, int]) -> None:
        try:
            upstream = socket.create_connection(target, timeout=CONNECT_TIMEOUT)
        except OSError:
            _close(client)
            return
        with self._lock:
            if self._suspended or self._closed:
                _close(client)
                _close(upstream)
                return
            self._open.update((client, upstream))
        try:
            _pump(client, upstream)
        finally:
            with self._lock:
                self._open.discard(client)
                self._open.discard(upstream)
            _close(client)
            _close(upstream)


def _pump(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes (or is closed under us)."""
    peer = {a: b, b: a}
    with selectors.DefaultSelector() as selector:
        for sock in (a, b):
            sock.setblocking(True)
            sock.settimeout(None)
            selector.register(sock, selectors.EVENT_READ)
        while True:
            try:
                events = selector.select(timeout=1.0)
            except (OSError, ValueError):
                return
            if not events and (a.fileno() < 0 or b.fileno() < 0):
                return
            for key, _ in events:
                try:
                    data = key.fileobj.recv(CHUNK)
                except OSError:
                    return
                if not data:
                    return
                try:
                    peer[key.fileobj].sendall(data)
                except OSError:
                    return


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
