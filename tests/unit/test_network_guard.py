import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def test_sockets_are_refused_during_tests() -> None:
    with pytest.raises(RuntimeError, match="network"):
        socket.create_connection(("example.com", 80), timeout=1)
    with pytest.raises(RuntimeError, match="network"):
        socket.getaddrinfo("example.com", 80)


GUARD = """
import socket

def _refuse(*args, **kwargs):
    raise RuntimeError("no network: leadmatch tried to open a connection")

class _Closed(socket.socket):
    def connect(self, *args, **kwargs):
        _refuse()
    connect_ex = connect

socket.socket = _Closed
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
socket.gethostbyname = _refuse
"""


@pytest.mark.process
def test_every_module_imports_and_the_demo_runs_in_a_process_without_network(
    tmp_path: Path,
) -> None:
    (tmp_path / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    code = (
        "import importlib, pkgutil, socket, leadmatch\n"
        "assert socket.socket.__name__ == '_Closed'\n"
        "for m in pkgutil.walk_packages(leadmatch.__path__, 'leadmatch.'):\n"
        "    if m.name != 'leadmatch.spark': importlib.import_module(m.name)\n"
        "from leadmatch.cli import main\n"
        "raise SystemExit(main(['demo']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "precision" in done.stdout
