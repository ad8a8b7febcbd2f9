#!/usr/bin/python3
"""Slow clients (issue #12 item 2): 500 connections trickle a request head, one header line a
second (each line well inside the per-read timeout_s). Checked:
  - meanwhile another client is served fast: p99 of 100 GET /healthz (a new connection each,
    measured in this process while the trickling runs in another) under 50 ms;
  - every slow connection is closed by wxauthd once [server] request_timeout_ms (3 s here) has
    passed since it connected, not later than 2.5 s after that.
"""
import json
import os
import resource
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from wxt import Cluster, entry, fail, run_cluster, test_dir  # noqa: E402

SLOW = 500
DEADLINE_MS = 3000
TRICKLE_S = 8.0


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def trickle(port):
    """The slow clients (run in a process of their own): prints one JSON line with each
    connection's seconds from connect to being closed by the server (None: still open)."""
    raise_nofile()
    socks, t_open, closed = [], [], {}
    for _ in range(SLOW):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setblocking(False)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
        t_open.append(time.time())
    print("open", flush=True)
    t0 = time.time()
    next_line = t0 + 1.0
    while time.time() - t0 < TRICKLE_S and len(closed) < SLOW:
        live = [s for i, s in enumerate(socks) if i not in closed]
        r, _, _ = select.select(live, [], [], 0.05)
        for s in r:
            i = socks.index(s)
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data or b"408" in data:
                closed[i] = time.time() - t_open[i]
        if time.time() >= next_line:
            next_line += 1.0
            for i, s in enumerate(socks):
                if i not in closed:
                    try:
                        s.send(b"X-Slow: 1\r\n")
                    except OSError:
                        closed[i] = time.time() - t_open[i]
    print(json.dumps([closed.get(i) for i in range(SLOW)]), flush=True)


def one_request(port):
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    if not data.startswith(b"HTTP/1.1 200"):
        fail(f"/healthz answered {data[:40]!r}")
    return (time.perf_counter() - t) * 1000


def run(c):
    port = c.ports[0]
    p = subprocess.Popen([sys.executable, __file__, "--trickle", str(port)],
                         stdout=subprocess.PIPE, text=True)
    try:
        if p.stdout.readline().strip() != "open":
            fail("the slow clients could not connect")
        t_open = time.time()
        lat = []
        while len(lat) < 100 and time.time() - t_open < DEADLINE_MS / 1000 - 0.5:
            lat.append(one_request(port))
            time.sleep(0.01)
        lat.sort()
        p99 = lat[int(len(lat) * 0.99) - 1] if len(lat) >= 50 else None
        print(f"# {len(lat)} requests beside {SLOW} slow connections: median {lat[len(lat) // 2]:.1f}"
              f" ms, p99 {p99 if p99 is None else round(p99, 1)} ms, max {lat[-1]:.1f} ms")
        if p99 is None:
            fail(f"only {len(lat)} requests served beside the slow clients before the deadline")
        if p99 >= 50:
            fail(f"p99 {p99:.1f} ms beside {SLOW} slow connections (under 50 ms wanted)")
        out, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    closed = json.loads(out.strip().splitlines()[-1])
    n_closed = sum(1 for t in closed if t is not None)
    late = [t for t in closed if t is not None and t > DEADLINE_MS / 1000 + 2.5]
    early = [t for t in closed if t is not None and t < DEADLINE_MS / 1000 - 0.2]
    done = sorted(t for t in closed if t is not None)
    print(f"# slow connections closed by wxauthd: {n_closed} of {SLOW}"
          + (f", after {done[0]:.2f}..{done[-1]:.2f} s" if done else ""))
    if n_closed < SLOW:
        fail(f"{SLOW - n_closed} slow connections still open after {TRICKLE_S} s "
             f"(request_timeout_ms {DEADLINE_MS})")
    if late or early:
        fail(f"slow connections closed outside the deadline's window: {len(early)} early, "
             f"{len(late)} late")
    if one_request(port) > 1000:
        fail("/healthz slow after the slow clients were closed")


def main():
    raise_nofile()
    d = test_dir("wxt-slow-")
    run_cluster(Cluster(d, f"sqlite:{d}/wx.db", 1, workers=2,
                        extra=f"[server]\nrequest_timeout_ms = {DEADLINE_MS}\n"
                              "max_connections_per_addr = 2000\n"), run)


if len(sys.argv) == 3 and sys.argv[1] == "--trickle":
    trickle(int(sys.argv[2]))
else:
    entry(main)
