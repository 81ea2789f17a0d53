"""What mlee starts listens on loopback only: the embedded Dask cluster's scheduler, workers and HTTP server
(the one ``--cluster local`` and ELEx's launcher start) refuse connections to the machine's other address."""

from __future__ import annotations

import json
import socket
import urllib.request

import psutil
import pytest


def outside_address() -> str:
    """This machine's address on its default route (a UDP "connection" sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))
            address = probe.getsockname()[0]
        except OSError:
            address = ""
    if not address or address.startswith("127.") or address == "0.0.0.0":
        pytest.skip("this machine has no non-loopback IPv4 address to connect to")
    return address


def listening_ports() -> set[int]:
    """TCP ports this process and its children listen on."""
    me = psutil.Process()
    ports = set()
    for process in [me, *me.children(recursive=True)]:
        for conn in process.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                ports.add(conn.laddr.port)
    return ports


def test_embedded_dask_cluster_answers_on_loopback_only():
    from mlee.executors.dask_executor import DaskExecutor

    address = outside_address()
    before = listening_ports()
    with DaskExecutor(cluster="local:1") as executor:
        client = executor.client
        http_port = executor._cluster.scheduler.http_server.port
        ports = listening_ports() - before
        assert http_port in ports and len(ports) >= 3  # scheduler, its HTTP server, a worker and its nanny
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/json/identity.json", timeout=10) as reply:
            identity = json.loads(reply.read())
        assert identity["type"] == "Scheduler" and len(identity["workers"]) == 1
        assert client.scheduler_info()["address"].startswith("tcp://127.0.0.1:")
        for port in sorted(ports):
            with socket.socket() as s:
                s.settimeout(5)
                with pytest.raises(ConnectionRefusedError):
                    s.connect((address, port))
