import socket

import pytest


def test_sockets_are_refused_during_tests() -> None:
    with pytest.raises(RuntimeError, match="network"):
        socket.create_connection(("example.com", 80), timeout=1)
    with pytest.raises(RuntimeError, match="network"):
        socket.getaddrinfo("example.com", 80)
