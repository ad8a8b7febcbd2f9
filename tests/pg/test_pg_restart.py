#!/usr/bin/python3
"""PostgreSQL stopped and started again while logins run (issue #11 fault test).

One wxauthd (2 workers) on the throw-away server of tests/pg/with-postgres.sh; 8 browsers log
in over and over. After 2 s the database is stopped (fast shutdown: connections are cut), and
started again 3 s later. Checked:
  - every request gets an answer: a login that cannot finish ends with a clear message, never
    a closed connection;
  - /readyz says 503 while the database is down, and 200 again once it is back, without
    restarting wxauthd; logins succeed again;
  - no committed login is lost or doubled: the logins that told their browser "code=200" are
    exactly the successful logins in the audit trail, and alice is one user with one identity.
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from wxt import (Browsers, Cluster, entry, fail, login, pg_store, run_cluster,  # noqa: E402
                 test_dir, wait_status)

BROWSERS = 8


def pg(*args):
    """pg_ctlcluster on the cluster of pg_virtualenv (its PG_CLUSTER_CONF_ROOT is in our env)."""
    subprocess.run(["pg_ctlcluster", os.environ.get("PGVERSION", "15"), "regress", *args],
                   check=True, capture_output=True)


def sql(store, query):
    out = subprocess.run(["psql", store, "-tAc", query], check=True, capture_output=True,
                         text=True).stdout
    return int(out.strip())


def run(c, store):
    c.seed()
    browsers = Browsers(c.front, BROWSERS)
    time.sleep(2)
    t_down = time.time()
    pg("stop", "-m", "fast")
    not_ready_s = wait_status(f"{c.nodes[0]}/readyz", 503, "readyz with the database down", 10)
    time.sleep(3)
    t_up = time.time()
    pg("start")
    ready_s = wait_status(f"{c.nodes[0]}/readyz", 200, "readyz with the database back", 30)
    t_ready = time.time()
    time.sleep(3)
    results, lost = browsers.stop(), browsers.lost

    ok = sum(1 for _, code, _ in results if code == 200)
    failed = [(t, code, msg) for t, code, msg in results if code != 200]
    # Each worker reconnects at its next read, at most once a second (db_pg.c).
    after = [(t, code, msg) for t, code, msg in results if t >= t_ready + 1.5]
    print(f"# {len(results)} logins; database down for {t_up - t_down:.1f} s: /readyz said 503 "
          f"after {not_ready_s:.1f} s and 200 {ready_s:.1f} s after the restart; {ok} "
          f"succeeded, {len(failed)} ended with a message, {sum(lost.values())} lost")
    for _, code, msg in failed[:3]:
        print(f"#   e.g. {code}: {msg[:120]}")
    if lost:
        fail(f"answers lost: {dict(lost)}")
    if not after or any(code != 200 for _, code, _ in after):
        bad = [(code, msg) for _, code, msg in after if code != 200][:3]
        fail(f"logins after the recovery still fail: {bad} (of {len(after)})")
    committed = sql(store, "SELECT count(*) FROM audit_events "
                           "WHERE action = 'login' AND outcome LIKE 'ok%'")
    users = sql(store, "SELECT count(*) FROM users")
    idents = sql(store, "SELECT count(*) FROM identities")
    print(f"# store afterwards: {committed} successful logins in the audit trail, {users} user, "
          f"{idents} identity")
    if committed != ok:
        fail(f"{ok} browsers were told the login succeeded, the store has {committed}")
    if users != 1 or idents != 1:
        fail(f"alice should be 1 user with 1 identity: {users} users, {idents} identities")


def main():
    store = pg_store()
    d = test_dir("pgrestart-")
    run_cluster(Cluster(d, store, 1, workers=2), run, store)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    entry(main)
