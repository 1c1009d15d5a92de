"""A private network for a test: its own network namespace, so cutting UDP there (with tc)
cuts the test's WebRTC media and nobody else's.

The namespace holds a loopback and one end of a veth pair; the other end stays here, so the
test process reaches a server started inside (``tandem serve --host 0.0.0.0``) over TCP. Inside,
the browsers and the server gather their ICE candidates on the veth address, and packets
between them, being local, pass through the namespace's own ``lo``: a tc filter on that ``lo``
dropping UDP stops every media packet while the WebSocket and HTTP (TCP) carry on.

The kernel here offers ``htb``, ``pfifo`` and the ``u32`` classifier but no ``netem`` or tc
actions, so UDP is "dropped" by classifying it into an HTB class whose queue holds nothing
(``pfifo limit 0``): every packet put in it is dropped.

Needs CAP_NET_ADMIN and the ``ip`` and ``tc`` tools; :func:`private_network` fails the test
with the reason when they are missing or refused (a test meant to cut the network must not
pass without cutting it).
"""

from __future__ import annotations

import os
import random
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=30)


@dataclass
class PrivateNetwork:
    name: str
    #: The namespace's address (the veth end inside); reachable from the test process.
    address: str
    #: Chromium started inside the namespace (a wrapper script for Playwright).
    chromium: str
    cut: bool = False

    @property
    def prefix(self) -> list[str]:
        """Run a command inside the namespace: prefix + [command, ...]."""
        return ["nsenter", f"--net=/run/netns/{self.name}", "--"]

    def tc(self, *args: str) -> None:
        done = _run(*self.prefix, "tc", *args)
        if done.returncode != 0:
            raise AssertionError(f"tc {' '.join(args)} failed: {done.stderr.strip()}")

    def cut_udp(self) -> None:
        """Drop every UDP packet inside the namespace (WebRTC media); TCP goes on."""
        self.tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb")
        self.tc("class", "add", "dev", "lo", "parent", "1:", "classid", "1:20",
                "htb", "rate", "8bit", "ceil", "8bit")  # fmt: skip
        self.tc("qdisc", "add", "dev", "lo", "parent", "1:20", "handle", "20:",
                "pfifo", "limit", "0")  # fmt: skip
        self.tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1",
                "u32", "match", "ip", "protocol", "17", "0xff", "flowid", "1:20")  # fmt: skip
        self.cut = True

    def restore_udp(self) -> None:
        if self.cut:
            self.tc("qdisc", "del", "dev", "lo", "root")
            self.cut = False

    def dropped_packets(self) -> int:
        """UDP packets dropped since the cut (tc's count for the dropping queue)."""
        done = _run(*self.prefix, "tc", "-s", "qdisc", "show", "dev", "lo")
        for block in done.stdout.split("qdisc ")[1:]:
            if block.startswith("pfifo 20:") and "dropped" in block:
                return int(block.split("dropped ")[1].split(",")[0])
        return 0


def _fail(what: str, done: subprocess.CompletedProcess[str]) -> None:
    pytest.fail(
        f"this test cuts the network in a namespace of its own and could not {what}: "
        f"{(done.stderr or done.stdout).strip()} (it needs CAP_NET_ADMIN, iproute2 and tc)",
        pytrace=False,
    )


@contextmanager
def private_network(folder: Path, chromium: str) -> Iterator[PrivateNetwork]:
    """A fresh network namespace with a veth link to this one (see the module doc)."""
    for tool in ("ip", "tc", "nsenter"):
        if shutil.which(tool) is None:
            pytest.fail(f"this test needs {tool!r} (iproute2, util-linux)", pytrace=False)
    tag = f"{os.getpid() % 100000}{random.randrange(100):02d}"
    name, host_end, inner_end = f"tandem-test-{tag}", f"tdh{tag}", f"tdn{tag}"
    # A /30 of 10.200.0.0/14 not in use here.
    used = _run("ip", "-4", "-o", "addr").stdout
    while True:
        block = random.randrange(1 << 16) * 4
        base = f"10.{200 + (block >> 16)}.{(block >> 8) & 255}.{block & 255}"
        prefix = base.rsplit(".", 1)[0]
        host_ip, inner_ip = f"{prefix}.{(block & 255) + 1}", f"{prefix}.{(block & 255) + 2}"
        if host_ip not in used and inner_ip not in used:
            break
    done = _run("ip", "netns", "add", name)
    if done.returncode != 0:
        _fail("make a network namespace", done)
    try:
        inside = ["ip", "netns", "exec", name]
        for step, command in (
            ("bring up its loopback", [*inside, "ip", "link", "set", "lo", "up"]),
            ("make a veth pair", ["ip", "link", "add", host_end, "type", "veth", "peer",
                                  "name", inner_end, "netns", name]),
            ("address the veth", ["ip", "addr", "add", f"{host_ip}/30", "dev", host_end]),
            ("bring up the veth", ["ip", "link", "set", host_end, "up"]),
            ("address the veth inside", [*inside, "ip", "addr", "add", f"{inner_ip}/30",
                                         "dev", inner_end]),
            ("bring up the veth inside", [*inside, "ip", "link", "set", inner_end, "up"]),
        ):  # fmt: skip
            done = _run(*command)
            if done.returncode != 0:
                _fail(step, done)
        wrapper = folder / "chromium-in-namespace"
        wrapper.write_text(f'#!/bin/sh\nexec nsenter --net=/run/netns/{name} -- {chromium} "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        network = PrivateNetwork(name, inner_ip, str(wrapper))
        # Permission for tc is checked now, not halfway through the call.
        try:
            network.cut_udp()
            network.restore_udp()
        except AssertionError as exc:
            pytest.fail(
                f"this test cuts the network with tc and may not here: {exc} (it needs "
                "CAP_NET_ADMIN and the htb, pfifo and u32 traffic-control modules)",
                pytrace=False,
            )
        yield network
    finally:
        _run("ip", "netns", "exec", name, "tc", "qdisc", "del", "dev", "lo", "root")
        _run("ip", "link", "del", host_end)  # (also removes the end inside)
        _run("ip", "netns", "del", name)
