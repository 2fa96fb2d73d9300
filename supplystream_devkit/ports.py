"""Free TCP ports for private stacks, stand-ins and test servers: the one `free_port`."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
