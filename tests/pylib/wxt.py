"""What the Python integration tests share (tests/multinode/, tests/pg/): free ports, HTTP
without following redirects, a login through the emulator, starting the emulator and wxauthd
nodes on one store, and stopping them with their logs shown on failure. Standard library only.
"""
import http.cookiejar
import json
import os
import secrets
import collections
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

APPID = "wx7a1b2c3d4e5f6071"
UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN")


class Failed(Exception):
    pass


def fail(msg):
    raise Failed(msg)


def free_port():
    """A free loopback port for a server, below the kernel's ephemeral range: a port bind(0)
    picks comes from that range, where the outgoing connections of the tests running side by
    side take theirs too (one took a server's port between the pick and its bind, seen in CI).
    Random in [20000, the range's start), checked free; bind(0) else."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(200 if low > 20100 else 0):
        port = 20000 + secrets.randbelow(low - 20000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener(jar=None):
    handlers = [_NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    o = urllib.request.build_opener(*handlers)
    o.addheaders = [("User-Agent", UA)]
    return o


def get(o, url, data=None, headers=None, timeout=20):
    """(status, headers, body) without following redirects."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with o.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def status_of(url, timeout=2):
    """The HTTP status of GET url, or 0 when nothing answers."""
    try:
        return get(opener(), url, timeout=timeout)[0]
    except (urllib.error.URLError, ConnectionError, OSError):
        return 0


def wait_status(url, want, what, deadline_s=20):
    """Seconds until GET url answers want; fails after deadline_s."""
    t0 = time.time()
    while time.time() - t0 < deadline_s:
        if status_of(url) == want:
            return time.time() - t0
        time.sleep(0.1)
    fail(f"{what}: {url} did not answer {want} within {deadline_s} s")


def login(front, pool="demo", person="alice"):
    """One login: (start node, callback node, code, message, token or None). The nodes are
    haproxy's X-Wxauth-Node header when there is one."""
    o = opener(http.cookiejar.CookieJar())
    st, h, body = get(o, f"{front}/oauth/wechatmp/url/{pool}")
    if st != 302:
        return None, None, st, body[:200].decode("utf-8", "replace"), None
    start_node = h.get("X-Wxauth-Node")
    auth = h["Location"].split("#")[0] + f"&emu_person={person}&emu_action=allow"
    st, h, _ = get(o, auth)
    if st != 302:
        fail(f"the emulator answered {st}")
    st, h, body = get(o, h["Location"])
    cb_node = h.get("X-Wxauth-Node")
    if st != 302:
        return start_node, cb_node, st, body[:200].decode("utf-8", "replace"), None
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(h["Location"]).query)
    code = int(q.get("code", ["0"])[0])
    token = json.loads(q["data"][0])["token"] if code == 200 else None
    return start_node, cb_node, code, q.get("message", [""])[0], token


class Cluster:
    """The emulator and n wxauthd nodes sharing `store`, public at `front` (a load balancer's
    address, or the only node's). wrap: a command the nodes run under (e.g. prlimit); admin: their admin token (default: a
    generated one)."""

    def __init__(self, d, store, n, front_port=None, workers=1, extra="", wrap=(), admin=None):
        self.d, self.store, self.procs, self.logs = d, store, [], []
        self.wxauthd, self.cli = os.environ["WXAUTHD"], os.environ["WXAUTH_CLI"]
        self.emu_port = free_port()
        self.ports = [free_port() for _ in range(n)]
        self.admin_ports = [free_port() for _ in range(n)]  # [admin] listen of each node
        self.emu = f"http://127.0.0.1:{self.emu_port}"
        self.nodes = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.admin_urls = [f"http://127.0.0.1:{p}" for p in self.admin_ports]
        self.front_port = front_port or self.ports[0]
        self.front = f"http://127.0.0.1:{self.front_port}"
        self.secret = secrets.token_hex(16)
        self.admin = admin or secrets.token_hex(32)
        with open(f"{d}/emu.ini", "w") as f:
            f.write(f"[emulator]\nlisten = 127.0.0.1:{self.emu_port}\n\n"
                    f"[account {APPID}]\nname = Test\nsecret = {self.secret}\n"
                    f"domain = 127.0.0.1:{self.front_port}\n"
                    "scopes = snsapi_base,snsapi_userinfo\n\n"
                    "[person alice]\nnickname = Alice 爱丽丝\n")
        for i, p in enumerate(self.ports):
            path = f"{d}/node{i + 1}.ini"
            with open(path, "w") as f:
                f.write(f"[server]\nlisten = 127.0.0.1:{p}\npublic_url = {self.front}\n"
                        f"workers = {workers}\nshutdown_grace_ms = 2000\n"
                        # every client is loopback: no per-address connection cap either
                        f"max_connections_per_addr = 100000\n\n"
                        f"[admin]\nlisten = 127.0.0.1:{self.admin_ports[i]}\n\n"
                        f"[store]\nurl = {store}\n\n"
                        f"[wechat]\nauthorize_url = {self.emu}/connect/oauth2/authorize\n"
                        f"api_base = {self.emu}\n\n[keys]\nmaster_key_file = master.key\n"
                        # every client of these tests is loopback: no per-address limits
                        f"\n[limits]\nstart_per_minute = 0\ncallback_per_minute = 0\n"
                        f"pending_per_address = 0\n"
                        f"{extra}")
            os.chmod(path, 0o600)
        with open(f"{d}/admin.token", "w") as f:
            f.write(self.admin)
        os.chmod(f"{d}/admin.token", 0o600)
        subprocess.run([self.cli, "--config", f"{d}/node1.ini", "init"], check=True,
                       stdout=subprocess.DEVNULL)
        self.procs.append(subprocess.Popen([self.wxauthd, "--emulator", "--config",
                                            f"{d}/emu.ini"],
                                           stderr=open(f"{d}/emu.log", "w")))
        env = dict(os.environ, WXAUTH_ADMIN_TOKEN=self.admin)
        for i in range(n):
            self.logs.append(f"{d}/node{i + 1}.log")
            self.procs.append(subprocess.Popen([*wrap, self.wxauthd, "--config",
                                                f"{d}/node{i + 1}.ini"],
                                               env=env, stderr=open(self.logs[-1], "w")))
        wait_status(f"{self.emu}/healthz", 200, "the emulator")
        for node in self.nodes:
            wait_status(f"{node}/readyz", 200, "a node")
        for admin in self.admin_urls:
            wait_status(f"{admin}/healthz", 200, "a node's admin listener")

    def add(self, proc):
        self.procs.append(proc)

    def admin_cli(self, *args, url=None, json_out=False):
        base = [self.cli, "--url", url or self.admin_urls[0], "--token-file",
                f"{self.d}/admin.token"]
        out = subprocess.run(base + (["--json"] if json_out else []) + list(args), check=True,
                             capture_output=True, text=True,
                             env=dict(os.environ, WXT_SECRET=self.secret)).stdout
        return json.loads(out) if json_out else out

    def seed(self):
        self.admin_cli("pool", "create", "demo", "--name", "Demo")
        self.admin_cli("connection", "set", "--pool", "demo", "--appid", APPID, "--secret-env",
                       "WXT_SECRET", "--callback", "http://127.0.0.1:9/cb")
        time.sleep(1.1)  # the other nodes' pool and connection caches (1 s)

    def stop(self, nodes_must_exit_0=True):
        """SIGTERM everything; the wxauthd processes must exit 0 (no leak, clean stop). Once."""
        if getattr(self, "stopped", False):
            return
        self.stopped = True
        for p in self.procs:
            p.terminate()
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=15))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(-9)
        n = len(self.nodes)
        if nodes_must_exit_0 and any(c != 0 for c in codes[:n + 1]):
            self.show_logs()
            fail(f"exit codes {codes} (emulator, nodes..., others): want 0")

    def show_logs(self):
        for name in sorted(os.listdir(self.d)):
            if name.endswith(".log"):
                print(f"--- {name}", file=sys.stderr)
                with open(f"{self.d}/{name}", errors="replace") as f:
                    print("".join(f.readlines()[-15:]), file=sys.stderr)


def pg_store():
    """The run's PostgreSQL server (tests/pg/with-postgres.sh sets it)."""
    store = os.environ.get("WX_TEST_STORE_URL", "")
    if not store.startswith("postgresql://"):
        fail("WX_TEST_STORE_URL must name a PostgreSQL server (tests/pg/with-postgres.sh)")
    return store


def test_dir(prefix):
    tmp = os.environ.get("WX_TEST_TMP", "/tmp")
    os.makedirs(tmp, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=tmp)


def run_cluster(c, fn, *args):
    """fn(c, *args), then a clean stop (wxauthd must exit 0); on any failure the logs."""
    try:
        fn(c, *args)
    except BaseException:
        c.stop(nodes_must_exit_0=False)
        c.show_logs()
        raise
    c.stop()


def entry(main):
    """Run a test's main: "FAIL: why" and exit 1 on a failed check, "ok" when it passes."""
    try:
        main()
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
    print("ok")


class Browsers:
    """n browsers logging in through front over and over until stop(): each login's (start
    time, code or HTTP status, message) in .results; logins that got no HTTP answer at all
    counted by exception name in .lost (and also listed in .results with code -1)."""

    def __init__(self, front, n):
        self.front, self.results, self.lost = front, [], collections.Counter()
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(n)]
        for th in self._threads:
            th.start()

    def _run(self):
        while not self._stop.is_set():
            t = time.time()
            try:
                _, _, code, msg, _ = login(self.front)
            except Failed:
                raise
            except Exception as e:  # no HTTP answer at all
                with self._lock:
                    self.lost[type(e).__name__] += 1
                    self.results.append((t, -1, str(e)))
                continue
            with self._lock:
                self.results.append((t, code, msg))

    def stop(self):
        self._stop.set()
        for th in self._threads:
            th.join(30)
        return self.results
