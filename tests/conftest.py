"""Shared fixtures. No test may touch the network: sockets to anything but this machine's
loopback (which Spark's driver and workers talk through) are refused for the whole run.

Hypothesis runs under one profile on a laptop and in CI alike, so that a run is the same run
anywhere: derandomized (the draws follow from each test's name, not from a random seed), no
example database (nothing a previous run left behind changes what this one tries), no deadline
and no ``too_slow`` health check (a draw that takes a second under load is slow, not wrong).
``HYPOTHESIS_PROFILE=thorough`` draws ten times as many examples, still derandomized;
``mutation`` (benchmarks/mutation.py) draws 20 and neither shrinks nor explains a failure.
Tests that set their own count scale it the same way (``tests.budget.examples``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

_SAME_EVERYWHERE: dict[str, Any] = {
    "derandomize": True,
    "database": None,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile("leadmatch", **_SAME_EVERYWHERE)
settings.register_profile("thorough", max_examples=1_000, **_SAME_EVERYWHERE)
# benchmarks/mutation.py: a mutant that survives runs every test that reaches it, so fewer draws;
# a mutant that fails is caught, so its example is not shrunk or explained: shrinking a failing
# property test (and tracing every line of its runs to explain it) held a core until the timeout.
settings.register_profile(
    "mutation",
    max_examples=20,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    **_SAME_EVERYWHERE,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "leadmatch"))

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


#: This machine itself: Spark's driver talks to its JVM and workers through loopback sockets.
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", None})
_real_getaddrinfo = socket.getaddrinfo
_real_create_connection = socket.create_connection


def _local(address: Any) -> bool:
    return isinstance(address, (str, bytes)) or (
        isinstance(address, tuple) and bool(address) and address[0] in _LOOPBACK
    )  # a str or bytes address is a Unix socket's path


class _NoNetwork(socket.socket):
    def connect(self, address: Any) -> None:
        if not _local(address):
            raise RuntimeError("tests must not use the network")
        super().connect(address)

    def connect_ex(self, address: Any) -> int:
        if not _local(address):
            raise RuntimeError("tests must not use the network")
        return super().connect_ex(address)


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host not in _LOOPBACK:
        raise RuntimeError("tests must not use the network")
    return _real_getaddrinfo(host, *args, **kwargs)


def _create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
    if not _local(address):
        raise RuntimeError("tests must not use the network")
    return _real_create_connection(address, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> Iterator[None]:
    saved = socket.socket, socket.create_connection, socket.getaddrinfo
    socket.socket = _NoNetwork  # type: ignore[misc]
    socket.create_connection = _create_connection
    socket.getaddrinfo = _getaddrinfo
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
