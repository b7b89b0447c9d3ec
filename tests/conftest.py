"""Shared fixtures. No test may touch the network: sockets are refused for the whole run."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


class _NoNetwork(socket.socket):
    def connect(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("tests must not use the network")

    def connect_ex(self, *args: Any, **kwargs: Any) -> int:
        raise RuntimeError("tests must not use the network")


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("tests must not use the network")


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> Iterator[None]:
    saved = socket.socket, socket.create_connection, socket.getaddrinfo
    socket.socket = _NoNetwork  # type: ignore[misc]
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse
    try:
        yield
    finally:
        socket.socket, socket.create_connection, socket.getaddrinfo = saved  # type: ignore[misc]


@pytest.fixture
def patstat_dir() -> Path:
    """The shared PATSTAT name data, or a skip where this clone has no ../shared/."""
    path = SHARED_DATA / "patstat_leuven"
    if not (path / "accounts.csv").is_file():
        pytest.skip("../shared/data/patstat_leuven is not available in this checkout")
    return path
