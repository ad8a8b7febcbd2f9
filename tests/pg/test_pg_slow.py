#!/usr/bin/python3
"""A stuck PostgreSQL does not stall the event loop (issue #11: store reads never block a loop).

One wxauthd with ONE worker (so every request shares one event loop) on the throw-away server
of tests/pg/with-postgres.sh. A psql session takes ACCESS EXCLUSIVE locks on the tables the
reads use (pools, connections, applications, revocations, users) and holds them for HOLD_S
seconds: every read of them waits. Meanwhile requests that need those reads are sent (login
starts, validate_token, /oidc/me, /readyz, the admin API, /oidc/auth, RP-initiated logout, an /oidc/token grant, whose writes go
through the store writer), and /healthz is asked again and again on the same
loop. Checked:
  - each /healthz answers within FAST_S while the reads are stuck (the reads wait on the
    store's reader threads, not on the loop);
  - every stuck request gets its answer once the locks go (302 / 200), none is lost.
The same run with `[store] readers = 0` (reads on the loop, as before issue #11) is the
control: there /healthz must wait for the lock, which shows the probe sees a stall.
"""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from wxt import (Cluster, entry, fail, get, login, opener, pg_store,  # noqa: E402
                 run_cluster, test_dir)

HOLD_S = 3.0  # how long the tables stay locked (wxauthd's lock_timeout is 5 s)
FAST_S = 0.5  # a /healthz slower than this while reads are stuck means the loop was blocked
TABLES = "pools, connections, applications, revocations, users"
OIDC_TABLES = "oidc_codes, oidc_refresh"  # second phase: only what /oidc/token writes


def locked(store, table):
    out = subprocess.run(["psql", store, "-tAc",
                          "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' "
                          f"AND granted AND relation = '{table}'::regclass"],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip()) > 0


def hold_locks(store, tables=TABLES):
    """Start a session that holds the locks for HOLD_S; return once they are held."""
    p = subprocess.Popen(["psql", store, "-qtAc",
                          f"BEGIN; LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE; "
                          f"SELECT pg_sleep({HOLD_S}); COMMIT;"],
                         stdout=subprocess.DEVNULL)
    t0 = time.time()
    while not locked(store, tables.split(",")[0].strip()):
        if time.time() - t0 > 5:
            fail("psql did not take the locks")
        time.sleep(0.02)
    return p


def run(c, store, results):
    c.seed()
    c.admin_cli("app", "create", "oidc-web", "--pool", "demo", "--redirect",
                "http://127.0.0.1:9/cb", "--secret-env", "WXT_SECRET", "--post-logout-redirect",
                "http://127.0.0.1:9/bye")
    # The admin token's check (PBKDF2) is remembered after a first use: make it here.
    get(opener(), f"{c.admin_urls[0]}/api/admin/v1/pools", headers={"Authorization": f"Bearer {c.admin}"})
    _, _, code, msg, token = login(c.front)
    if code != 200:
        fail(f"the first login failed: {code} {msg}")
    time.sleep(1.2)  # past the pool/connection cache and the "not revoked" cache (1 s)
    node = c.nodes[0]
    stuck = []  # (what, status, seconds)

    def slow(what, url, headers=None, data=None):
        t0 = time.time()
        try:
            st = get(opener(), url, data=data, headers=headers, timeout=20)[0]
        except Exception as e:  # noqa: BLE001 -- reported as a lost answer
            st = f"no answer: {e}"
        stuck.append((what, st, time.time() - t0))

    holder = hold_locks(store)
    t_locked = time.time()
    bearer = {"Authorization": f"Bearer {token}"}
    q = urllib.parse.urlencode({"id_token": token})
    threads = [threading.Thread(target=slow, args=a) for a in [
        ("start", f"{node}/oauth/wechatmp/url/demo", None),
        ("start", f"{node}/oauth/wechatmp/url/demo", None),
        ("validate_token", f"{node}/api/v2/oidc/validate_token?{q}", None),
        ("me", f"{node}/oidc/me", bearer),
        ("readyz", f"{node}/readyz", None),
        ("admin", f"{c.admin_urls[0]}/api/admin/v1/pools/demo", {"Authorization": f"Bearer {c.admin}"}),
        # the authorization endpoint reads its client (prompt=none: login_required back to it)
        ("oidc_auth", f"{node}/oidc/auth?client_id=oidc-web&response_type=code&scope=openid"
                      "&prompt=none&redirect_uri=" + urllib.parse.quote("http://127.0.0.1:9/cb", safe=""),
         None),
        # RP-initiated logout reads the client's registered addresses
        ("logout", f"{node}/oidc/session/end?client_id=oidc-web&post_logout_redirect_uri="
                   + urllib.parse.quote("http://127.0.0.1:9/bye", safe=""), None),
    ]]
    worst, probes = probe(node, threads, holder, t_locked)
    # Phase 2: only the OpenID Connect tables are locked. The client is read at once; the
    # grant (a refresh token nobody issued) waits on oidc_refresh in the store writer, then
    # gets its 400, and the loop goes on meanwhile.
    holder = hold_locks(store, OIDC_TABLES)
    t_locked = time.time()
    form = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": "x" * 43,
                                   "client_id": "oidc-web", "client_secret": c.secret}).encode()
    threads = [threading.Thread(target=slow, args=(
        "oidc_token", f"{node}/oidc/token", {"Content-Type": "application/x-www-form-urlencoded"},
        form))]
    w2, p2 = probe(node, threads, holder, t_locked)
    results["worst"], results["probes"], results["stuck"] = max(worst, w2), probes + p2, stuck


def probe(node, threads, holder, t_locked):
    """Start the stuck requests, ask /healthz until the locks are nearly over; its slowest."""
    for t in threads:
        t.start()
    time.sleep(0.3)  # they are in: their reads wait on the lock
    worst = 0.0
    probes = 0
    while time.time() - t_locked < HOLD_S - 0.5:
        t0 = time.time()
        st = get(opener(), f"{node}/healthz", timeout=20)[0]
        took = time.time() - t0
        worst = max(worst, took)
        probes += 1
        if st != 200:
            fail(f"/healthz answered {st}")
        time.sleep(0.05)
    for t in threads:
        t.join(30)
    holder.wait(30)
    return worst, probes


def fresh_db(store, name):
    """A database of its own on the same server (each run does its own `wxauth init`)."""
    subprocess.run(["psql", store, "-qc", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True)
    u = urllib.parse.urlsplit(store)
    return urllib.parse.urlunsplit(u._replace(path=f"/{name}"))


def one(store, readers):
    store = fresh_db(store, f"slow_{'default' if readers is None else readers}")
    d = test_dir("pgslow-")
    results = {}
    extra = f"\n[store]\nreaders = {readers}\n" if readers is not None else ""
    # [store] appears twice then: the second url-less section only sets readers.
    run_cluster(Cluster(d, store, 1, workers=1, extra=extra), run, store, results)
    shutil.rmtree(d, ignore_errors=True)
    return results


def main():
    store = pg_store()
    control = one(store, 0)
    print(f"# readers = 0 (reads on the loop): {control['probes']} /healthz while locked, the "
          f"slowest {control['worst']:.2f} s")
    res = one(store, None)
    print(f"# readers (default): {res['probes']} /healthz while locked, the slowest "
          f"{res['worst']:.2f} s; stuck requests: "
          + json.dumps([(w, s, round(t, 2)) for w, s, t in res["stuck"]], ensure_ascii=False))
    if control["worst"] < 1.0:
        fail(f"control: with reads on the loop /healthz should have waited for the lock, the "
             f"slowest took {control['worst']:.2f} s (does the lock still block the reads?)")
    if res["worst"] > FAST_S:
        fail(f"/healthz took {res['worst']:.2f} s while the database was stuck: the loop waited")
    want = {"start": 302, "validate_token": 200, "me": 200, "readyz": 200, "admin": 200,
            "logout": 302, "oidc_auth": 302, "oidc_token": 400}
    bad = [(w, s) for w, s, _ in res["stuck"] if s != want[w]]
    if bad or len(res["stuck"]) != len(want) + 1:
        fail(f"stuck requests did not all get their answer: {res['stuck']}")


if __name__ == "__main__":
    entry(main)
