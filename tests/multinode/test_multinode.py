#!/usr/bin/python3
"""Three wxauthd nodes on one PostgreSQL behind haproxy (issue #11, many nodes).

haproxy sends each request to the next node (round robin, one server connection per request),
so the start and the WeChat callback of a login land on different nodes. Checked:
  - every login succeeds, and starts and callbacks were served by every node;
  - a token from any node verifies against every node's JWKS (PyJWT, as a Python backend does)
    and through every node's validate_token;
  - a key rotated on one node is used and published by all within KEYS_RECHECK_S (5 s);
  - a token revoked on one node is refused by all within the revocation bound (1 s).

Run by ctest through tests/pg/with-postgres.sh (WX_TEST_STORE_URL names the server). Needs
WXAUTHD, WXAUTH_CLI, WX_TEST_TMP; Debian's haproxy and python3-jwt.
"""
import base64
import http.cookiejar
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import jwt

APPID = "wx7a1b2c3d4e5f6071"
UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN")
NODES = 3
LOGINS = 24


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    raise SystemExit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener(jar=None):
    handlers = [NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    o = urllib.request.build_opener(*handlers)
    o.addheaders = [("User-Agent", UA)]
    return o


def get(o, url, data=None, headers=None):
    """(status, headers, body) without following redirects."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with o.open(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def wait_up(url, what, deadline_s=20):
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    fail(f"{what} did not come up at {url}")


def login(front, emu):
    """One login through haproxy: returns (start node, callback node, token)."""
    o = opener(http.cookiejar.CookieJar())
    st, h, _ = get(o, f"{front}/oauth/wechatmp/url/demo")
    if st != 302:
        fail(f"start answered {st}")
    start_node = h.get("X-Wxauth-Node")
    auth = h["Location"].split("#")[0] + "&emu_person=alice&emu_action=allow"
    st, h, _ = get(o, auth)
    if st != 302:
        fail(f"the emulator answered {st}")
    st, h, body = get(o, h["Location"])
    if st != 302:
        fail(f"callback answered {st}: {body[:300]!r}")
    cb_node = h.get("X-Wxauth-Node")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(h["Location"]).query)
    if q.get("code") != ["200"]:
        fail(f"login ended with {q.get('code')} {q.get('message')}")
    token = json.loads(q["data"][0])["token"]
    return start_node, cb_node, token


def kid_of(token):
    return jwt.get_unverified_header(token)["kid"]


def jwks_kids(node):
    with urllib.request.urlopen(f"{node}/oidc/.well-known/jwks.json", timeout=5) as r:
        return {k["kid"] for k in json.load(r)["keys"]}


def verify_everywhere(token, nodes, front):
    """PyJWT against each node's own JWKS, and each node's validate_token."""
    aud = jwt.decode(token, options={"verify_signature": False})["aud"]
    for n in nodes:
        key = jwt.PyJWKClient(f"{n}/oidc/.well-known/jwks.json",
                              cache_keys=False).get_signing_key_from_jwt(token)
        jwt.decode(token, key.key, algorithms=["RS256"], issuer=f"{front}/oidc", audience=aud)
        if not valid_on(n, token):
            fail(f"{n} refused a good token")


def valid_on(node, token):
    o = opener()
    st, _, body = get(o, f"{node}/api/v2/oidc/validate_token?id_token=" +
                      urllib.parse.quote(token))
    if st != 200:
        fail(f"validate_token answered {st} on {node}")
    return "code" not in json.loads(body)


def main():
    wxauthd, cli = os.environ["WXAUTHD"], os.environ["WXAUTH_CLI"]
    store = os.environ.get("WX_TEST_STORE_URL", "")
    if not store.startswith("postgresql://"):
        fail("WX_TEST_STORE_URL must name a PostgreSQL server (run through tests/pg/with-postgres.sh)")
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not os.path.exists(haproxy):
        fail("haproxy is missing (make deps installs it)")
    tmp = os.environ.get("WX_TEST_TMP", "/tmp")
    os.makedirs(tmp, exist_ok=True)
    d = tempfile.mkdtemp(prefix="multinode-", dir=tmp)
    procs = []
    try:
        emu_port, front_port = free_port(), free_port()
        ports = [free_port() for _ in range(NODES)]
        emu, front = f"http://127.0.0.1:{emu_port}", f"http://127.0.0.1:{front_port}"
        nodes = [f"http://127.0.0.1:{p}" for p in ports]
        secret = secrets.token_hex(16)
        admin = secrets.token_hex(32)
        with open(f"{d}/emu.ini", "w") as f:
            f.write(f"[emulator]\nlisten = 127.0.0.1:{emu_port}\n\n"
                    f"[account {APPID}]\nname = Multi\nsecret = {secret}\n"
                    f"domain = 127.0.0.1:{front_port}\nscopes = snsapi_base,snsapi_userinfo\n\n"
                    "[person alice]\nnickname = Alice 爱丽丝\n")
        for i, p in enumerate(ports):
            path = f"{d}/node{i + 1}.ini"
            with open(path, "w") as f:
                f.write(f"[server]\nlisten = 127.0.0.1:{p}\npublic_url = {front}\nworkers = 1\n"
                        f"shutdown_grace_ms = 2000\n\n[store]\nurl = {store}\n\n"
                        f"[wechat]\nauthorize_url = {emu}/connect/oauth2/authorize\n"
                        f"api_base = {emu}\n\n[keys]\nmaster_key_file = master.key\n")
            os.chmod(path, 0o600)
        with open(f"{d}/admin.token", "w") as f:
            f.write(admin)
        os.chmod(f"{d}/admin.token", 0o600)
        subprocess.run([cli, "--config", f"{d}/node1.ini", "init"], check=True,
                       stdout=subprocess.DEVNULL)
        env = dict(os.environ, WXAUTH_ADMIN_TOKEN=admin)
        logs = []
        procs.append(subprocess.Popen([wxauthd, "--emulator", "--config", f"{d}/emu.ini"],
                                      stderr=open(f"{d}/emu.log", "w")))
        for i in range(NODES):
            logs.append(f"{d}/node{i + 1}.log")
            procs.append(subprocess.Popen([wxauthd, "--config", f"{d}/node{i + 1}.ini"],
                                          env=env, stderr=open(logs[-1], "w")))
        with open(f"{d}/haproxy.cfg", "w") as f:
            f.write("global\n  maxconn 2000\n\n"
                    "defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n"
                    "  timeout server 30s\n  option http-server-close\n\n"
                    f"frontend front\n  bind 127.0.0.1:{front_port}\n"
                    "  http-response set-header X-Wxauth-Node %s\n  default_backend nodes\n\n"
                    "backend nodes\n  balance roundrobin\n  option httpchk GET /readyz\n" +
                    "".join(f"  server n{i + 1} 127.0.0.1:{p} check inter 500ms\n"
                            for i, p in enumerate(ports)))
        procs.append(subprocess.Popen([haproxy, "-db", "-f", f"{d}/haproxy.cfg"],
                                      stdout=open(f"{d}/haproxy.log", "w"),
                                      stderr=subprocess.STDOUT))
        wait_up(f"{emu}/healthz", "the emulator")
        for n in nodes:
            wait_up(f"{n}/readyz", n)
        wait_up(f"{front}/healthz", "haproxy")
        time.sleep(1.5)  # haproxy's first health checks: every node up

        base = [cli, "--url", front, "--token-file", f"{d}/admin.token"]
        subprocess.run(base + ["pool", "create", "demo", "--name", "Demo"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(base + ["connection", "set", "--pool", "demo", "--appid", APPID,
                               "--secret-env", "WXT_SECRET", "--callback",
                               "http://127.0.0.1:9/cb"], check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, WXT_SECRET=secret))
        time.sleep(1.1)  # other nodes' pool and connection caches (1 s)

        # 1. Logins across nodes.
        starts, callbacks, crossed, tokens = set(), set(), 0, []
        for _ in range(LOGINS):
            s, c, tok = login(front, emu)
            starts.add(s)
            callbacks.add(c)
            crossed += s != c
            tokens.append(tok)
        print(f"# {LOGINS} logins through haproxy: all succeeded; {crossed} had start and "
              f"callback on different nodes; starts on {sorted(starts)}, callbacks on "
              f"{sorted(callbacks)}")
        if len(starts) != NODES or len(callbacks) != NODES or crossed < LOGINS // 2:
            fail("the logins did not spread over the nodes as round robin should")
        verify_everywhere(tokens[0], nodes, front)

        # 2. A key rotated on node 1 is used and published by every node within 5 s.
        old_kid = kid_of(tokens[-1])
        out = subprocess.run([cli, "--url", nodes[0], "--token-file", f"{d}/admin.token",
                              "--json", "keys", "rotate"], check=True, capture_output=True,
                             text=True).stdout
        new_kid = json.loads(out)["kid"]
        if new_kid == old_kid:
            fail("the rotation did not make a new key")
        t0, seen = time.time(), set()
        while time.time() - t0 < 8 and len(seen) < NODES:
            for i, n in enumerate(nodes):
                if i not in seen and new_kid in jwks_kids(n):
                    seen.add(i)
            time.sleep(0.2)
        published_s = time.time() - t0
        if len(seen) < NODES:
            fail(f"the rotated key {new_kid} was published by {len(seen)} of {NODES} nodes")
        t0, signers = time.time(), set()
        while time.time() - t0 < 8:
            s, c, tok = login(front, emu)
            if kid_of(tok) == new_kid:
                signers.add(c)
            else:
                signers.discard(c)
            if len(signers) == NODES:
                break
        used_s = time.time() - t0
        if len(signers) < NODES:
            fail(f"after 8 s only {sorted(signers)} sign with the rotated key")
        verify_everywhere(tok, nodes, front)
        if old_kid not in jwks_kids(nodes[2]):
            fail("the old key left the JWKS while its tokens are still valid")
        verify_everywhere(tokens[0], nodes, front)
        print(f"# key rotated on node 1: in every node's JWKS after {published_s:.1f} s, "
              f"every node signing with it after {used_s:.1f} s (bound: 5 s)")

        # 3. A token revoked on node 1 is refused by every node within 1 s.
        victim = tokens[1]
        for n in nodes:  # each node has now checked it, and may remember "not revoked"
            if not valid_on(n, victim):
                fail(f"{n} refused a good token")
        st, _, _ = get(opener(), f"{nodes[0]}/oidc/token/revocation",
                       data=urllib.parse.urlencode({"token": victim}).encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        if st != 200:
            fail(f"revocation answered {st}")
        t_revoked = time.time()
        time.sleep(1.05)
        for n in nodes:
            if valid_on(n, victim):
                fail(f"{n} still accepts a token revoked {time.time() - t_revoked:.1f} s ago")
        if not valid_on(nodes[1], tokens[2]):
            fail("revoking one token refused another")
        print(f"# token revoked on node 1: refused by all {NODES} nodes 1 s later")
        # Everyone alive and ready at the end.
        for n in nodes:
            wait_up(f"{n}/readyz", n, 5)
        print("ok")
    finally:
        for p in procs:
            p.terminate()
        codes = []
        for p in procs:
            try:
                codes.append(p.wait(timeout=15))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(-9)
        if any(c != 0 for c in codes[:NODES + 1]):
            for name in sorted(os.listdir(d)):
                if name.endswith(".log"):
                    print(f"--- {name}", file=sys.stderr)
                    with open(f"{d}/{name}", errors="replace") as f:
                        print("".join(f.readlines()[-15:]), file=sys.stderr)
            print(f"FAIL: exit codes {codes}", file=sys.stderr)
            raise SystemExit(1)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
