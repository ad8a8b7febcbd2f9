#!/usr/bin/python3
"""Every ```ini block in the docs, copied literally, must pass the check its program makes at
start: wxauthd's blocks `wxauth init` then `wxauthd --check-config`, the emulator's
`wxauthd --emulator --check-config` (issue #14: a doc block with comments after values once
failed `wxauth init`, made a key file whose name held the comment, and was then called ok).

Only the store URL is replaced (by a SQLite file here): the docs name database hosts that do
not exist on a test machine. A fragment without a master key file (a block showing one more
section to add) gets the key from WXAUTH_MASTER_KEY, as a full config would bring its own.
Everything else, comments included, is used as written."""
import base64
import glob
import os
import re
import subprocess
import sys
import tempfile
import textwrap

SRC = os.environ.get("WX_SRC_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
WXAUTHD = os.environ["WXAUTHD"]
CLI = os.environ["WXAUTH_CLI"]
TMP = os.environ.get("WX_TEST_TMP", "/tmp")


def blocks():
    files = sorted(glob.glob(os.path.join(SRC, "docs", "*.md")) +
                   [os.path.join(SRC, "README.md")] +
                   glob.glob(os.path.join(SRC, "examples", "**", "*.md"), recursive=True))
    for path in files:
        lines = open(path, encoding="utf-8").read().split("\n")
        i = 0
        while i < len(lines):
            m = re.match(r"^(\s*)```ini\s*$", lines[i])
            if not m:
                i += 1
                continue
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i])
                i += 1
            yield os.path.relpath(path, SRC), start + 1, textwrap.dedent("\n".join(body)) + "\n"
            i += 1


def run(cmd, env, cwd):
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def main():
    os.makedirs(TMP, exist_ok=True)
    failed, checked = [], 0
    for where, line, text in blocks():
        name = f"{where}:{line}"
        d = tempfile.mkdtemp(prefix="docblock-", dir=TMP)
        conf = os.path.join(d, "block.ini")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WXAUTH_")}
        checked += 1
        if re.search(r"^\s*\[emulator\]", text, re.M):
            rc, out = run([WXAUTHD, "--emulator", "--config", conf, "--check-config"], env, d)
            if rc != 0 or "config ok" not in out:
                failed.append((name, "wxauthd --emulator --check-config", out))
            continue
        env["WXAUTH_STORE_URL"] = "sqlite:" + os.path.join(d, "wxauth.db")
        env["WXAUTH_CONFIG"] = conf
        if not re.search(r"^\s*master_key_file\s*=", text, re.M):
            env["WXAUTH_MASTER_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        rc, out = run([CLI, "init"], env, d)
        if rc != 0:
            failed.append((name, "wxauth init", out))
            continue
        rc, out = run([WXAUTHD, "--config", conf, "--check-config"], env, d)
        if rc != 0 or "config ok" not in out:
            failed.append((name, "wxauthd --check-config", out))
            continue
        # What init made must be named as the doc means it, never after a comment.
        for f in os.listdir(d):
            if re.search(r"[\s#;]", f):
                failed.append((name, "wxauth init", f"made a file named {f!r}"))
        m = re.search(r"^\s*master_key_file\s*=\s*(\S+)", text, re.M)
        if m and not m.group(1).startswith("/") and not os.path.exists(os.path.join(d, m.group(1))):
            failed.append((name, "wxauth init", f"no master key file {m.group(1)!r} next to the config"))
    for name, step, out in failed:
        print(f"FAIL {name}: {step}:\n{textwrap.indent(out.strip(), '    ')}")
    print(f"{checked} config blocks checked, {len(failed)} failed")
    if checked == 0:
        print("no ```ini block found: the extraction is broken")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
