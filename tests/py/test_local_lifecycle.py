"""Starting and stopping the local emulation: Ctrl-C and SIGTERM stop
everything cleanly (exit 0) even with keep-alive connections open; a port in
use or an invalid setting is a clear error."""

from __future__ import annotations

from http.client import HTTPConnection
import os
import signal
import socket
import subprocess

from local_harness import LocalEmulation, binary_path, http
from ports import free_port_block


def test_sigterm_with_open_keep_alive_connections_exits_zero():
    local = LocalEmulation(env={"PROBE_INTERVAL_MS": "200"}).start()
    try:
        connections = []
        for port in (local.port, local.port + 1):
            connection = HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("x-epochstore-region")
            connections.append(connection)  # left open, idle
        local.process.send_signal(signal.SIGTERM)
        assert local.process.wait(timeout=5) == 0, local.logs()
        for connection in connections:
            connection.close()
        messages = [line.get("message") for line in local.log_lines()]
        assert "stopped cleanly" in messages
    finally:
        local.cleanup()


def test_sigint_exits_zero_and_frees_the_ports():
    local = LocalEmulation().start()
    ports = [local.port, local.port + 1, local.port + 2]
    assert http("GET", f"{local.url}/health").status == 200
    assert local.stop() == 0
    local.cleanup()
    for port in ports:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))


def test_banner_names_the_front_door_and_every_region():
    local = LocalEmulation().start()
    try:
        assert local.stop() == 0
        banner = local.logs()
        assert f"http://127.0.0.1:{local.port}" in banner
        assert f"http://127.0.0.1:{local.port + 1}   eu-central-1" in banner
        assert f"http://127.0.0.1:{local.port + 2}   eu-west-3" in banner
        assert f"curl -X POST http://127.0.0.1:{local.port}/storeEpochTime" in banner
    finally:
        local.cleanup()


def run_briefly(**env):
    full = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL_DYNAMODB", "REPLICATION_LAG_MS")}
    full.update(env)
    return subprocess.run([binary_path()], env=full, capture_output=True, text=True, timeout=20)


def test_a_port_in_use_is_a_clear_error():
    base = free_port_block(3)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", base + 2))
        busy.listen()
        result = run_briefly(PORT=str(base))
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{base + 2} for region eu-west-3" in result.stderr


def test_invalid_settings_are_named():
    result = run_briefly(PORT="3000", FAILURE_THRESHOLD="zero")
    assert result.returncode == 2
    assert "FAILURE_THRESHOLD must be a whole number" in result.stderr
