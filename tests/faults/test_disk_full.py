#!/usr/bin/python3
"""The SQLite store's disk fills up under load, then gets space again (issue #11 fault test).

wxauthd keeps its database on a small tmpfs of its own (mounted here: the test needs root, as
the rest of `make check` has). 4 browsers log in over and over; the disk is filled to the last
block, then freed 3 s later. Checked:
  - every request gets an answer (a page or the business callback), none a closed connection;
  - /readyz says 503 while nothing can be written, 200 once it can, without a restart;
  - logins succeed again afterwards;
  - the database passes PRAGMA integrity_check, and the logins that told their browser
    "code=200" are exactly the successful logins in its audit trail.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from wxt import (Browsers, Cluster, entry, fail, login, run_cluster, test_dir,  # noqa: E402
                 wait_status)

BROWSERS = 4
DISK = "8m"


def fill(path):
    """Write zeros until the file system says it is full (unbuffered: every write reaches it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (65536, 4096, 512):
            block = b"\0" * size
            try:
                while True:
                    os.write(fd, block)
            except OSError:
                pass
    finally:
        os.close(fd)


def run(c, mnt, db):
    c.seed()
    browsers = Browsers(c.front, BROWSERS)
    time.sleep(1.5)
    fill(f"{mnt}/filler")
    not_ready_s = wait_status(f"{c.nodes[0]}/readyz", 503, "readyz with the disk full", 15)
    t_full = time.time()
    time.sleep(3)
    os.remove(f"{mnt}/filler")
    ready_s = wait_status(f"{c.nodes[0]}/readyz", 200, "readyz with space again", 30)
    t_ready = time.time()
    time.sleep(2)
    results, lost = browsers.stop(), browsers.lost

    ok = sum(1 for _, code, _ in results if code == 200)
    during = [(code, msg) for t, code, msg in results if t_full <= t < t_ready - 0.5]
    after = [(code, msg) for t, code, msg in results if t >= t_ready + 0.5]
    print(f"# {len(results)} logins; disk full for {t_ready - t_full:.1f} s: /readyz 503 after "
          f"{not_ready_s:.1f} s, 200 {ready_s:.1f} s after space came back; {ok} succeeded, "
          f"{len(results) - ok} ended with a message, {sum(lost.values())} lost")
    for code, msg in [d for d in during if d[0] != 200][:2]:
        print(f"#   e.g. {code}: {msg[:100]}")
    if lost:
        fail(f"answers lost: {dict(lost)}")
    if not any(code != 200 for code, _ in during):
        fail("no login failed while the disk was full: the test did not fill it")
    if not after or any(code != 200 for code, _ in after):
        fail(f"logins after space came back still fail: "
             f"{[d for d in after if d[0] != 200][:3]} (of {len(after)})")
    c.stop()
    con = sqlite3.connect(db)
    check = con.execute("PRAGMA integrity_check").fetchone()[0]
    committed = con.execute("SELECT count(*) FROM audit_events WHERE action = 'login' "
                            "AND outcome LIKE 'ok%'").fetchone()[0]
    con.close()
    print(f"# database afterwards: integrity_check {check}; {committed} successful logins in the "
          f"audit trail")
    if check != "ok":
        fail(f"integrity_check: {check}")
    if committed != ok:
        fail(f"{ok} browsers were told the login succeeded, the store has {committed}")


def main():
    if os.geteuid() != 0:
        fail("this test mounts a small tmpfs and needs root (make check runs as root here)")
    d = test_dir("diskfull-")
    mnt = f"{d}/disk"
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0700", "tmpfs", mnt],
                   check=True)
    try:
        db = f"{mnt}/wxauth.db"
        run_cluster(Cluster(d, f"sqlite:{db}", 1, workers=2), run, mnt, db)
    finally:
        subprocess.run(["umount", "-l", mnt], check=False)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    entry(main)
