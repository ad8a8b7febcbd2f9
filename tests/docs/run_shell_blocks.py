#!/usr/bin/python3
"""Every ```sh / ```bash block of the walk-throughs runs, in order, as a reader would paste it
(issue #14: "a documented set-up that runs as written"): docs/admin.md, then
docs/migrate-from-authing.md, in one scratch folder that is also $HOME, against the real
wxauthd and emulator the blocks themselves start.

Conventions in the markdown (visible to readers too):
  <!-- not-run: REASON -->   on the line before a fence: the block is skipped (counted and
                             printed with its reason). Keep these few: production-only steps.
  <!-- file: NAME -->        on the line before a fence of any language: its text is saved as
                             NAME in the scratch folder (e.g. the local path's wxauthd.ini).

Each block runs in `bash -e -o pipefail`, so any failing command fails the test; the folder,
the variables and the servers started in the background carry over to the next block, as in
one terminal. The only change made to the text: the loopback ports the docs use (8000, 8080,
8081, 8090) become free ones (8081 stays 8080's + 1: the default [admin] listen), so the test
does not collide with `make demo` or another test.
Whatever the blocks started is stopped at the end (their process groups)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

SRC = os.environ.get("WX_SRC_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
WXAUTHD = os.environ["WXAUTHD"]
CLI = os.environ["WXAUTH_CLI"]
TMP = os.environ.get("WX_TEST_TMP", "/tmp")
DOCS = ["docs/admin.md", "docs/migrate-from-authing.md"]
DOC_PORTS = [8000, 8080, 8081, 8090]
BLOCK_TIMEOUT_S = 90

# Variables of bash itself, never carried from one block to the next.
SHELL_VARS = ("BASH", "BASHOPTS", "BASHPID", "BASH_ALIASES", "BASH_ARGC", "BASH_ARGV",
              "BASH_ARGV0", "BASH_CMDS", "BASH_COMMAND", "BASH_LINENO", "BASH_LOADABLES_PATH",
              "BASH_SOURCE", "BASH_SUBSHELL", "BASH_VERSINFO", "BASH_VERSION", "COLUMNS",
              "COMP_WORDBREAKS", "DIRSTACK", "EPOCHREALTIME", "EPOCHSECONDS", "EUID", "FUNCNAME",
              "GROUPS", "HISTCMD", "HOSTNAME", "HOSTTYPE", "IFS", "LINENO", "LINES", "MACHTYPE",
              "OLDPWD", "OPTARG", "OPTERR", "OPTIND", "OSTYPE", "PIPESTATUS", "PPID", "PS1", "PS2",
              "PS4", "PWD", "RANDOM", "SECONDS", "SHELLOPTS", "SHLVL", "SRANDOM", "UID", "_",
              "rc")

PRELUDE = """set -e -o pipefail
cd "$(cat {state}/cwd)"
. {state}/vars
__save() {{
  rc=$?
  pwd > {state}/cwd
  for v in $(compgen -v); do
    case " {skip} " in *" $v "*) continue ;; esac
    case $v in BASH*|COMP*|HIST*) continue ;; esac
    declare -p "$v" 2>/dev/null
  done > {state}/vars.new || true
  mv {state}/vars.new {state}/vars
  exit $rc
}}
trap __save EXIT
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def pick_ports():
    """Free ports for the doc's; 8081 is 8080's + 1, as wxauthd derives [admin] listen."""
    for _ in range(200):
        ports = {p: free_port() for p in DOC_PORTS}
        ports[8081] = ports[8080] + 1
        if len(set(ports.values())) == len(ports) and ports[8081] < 65536 and \
                port_free(ports[8081]):
            return ports
    raise SystemExit("no free pair of loopback ports for wxauthd and its admin listener")


def blocks(path):
    """(kind, line, lang, text, note) for each fenced block; kind run|skip|file|other."""
    lines = open(os.path.join(SRC, path), encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(2), i
        prev = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        i += 1
        text = textwrap.dedent("\n".join(body)) + "\n"
        skip = re.match(r"^<!--\s*not-run:\s*(.*?)\s*-->$", prev)
        file = re.match(r"^<!--\s*file:\s*(\S+)\s*-->$", prev)
        if file:
            yield "file", start + 1, lang, text, file.group(1)
        elif lang in ("sh", "bash"):
            yield ("skip", start + 1, lang, text, skip.group(1)) if skip else \
                ("run", start + 1, lang, text, None)


def main():
    os.makedirs(TMP, exist_ok=True)
    work = os.path.abspath(tempfile.mkdtemp(prefix="docshell-", dir=TMP))
    home, state = os.path.join(work, "home"), os.path.join(work, "state")
    os.makedirs(home)
    os.makedirs(state)
    ports = pick_ports()

    def localize(text):
        return re.sub(r"\b(127\.0\.0\.1|localhost):(\d+)\b",
                      lambda m: f"{m.group(1)}:{ports.get(int(m.group(2)), int(m.group(2)))}", text)

    with open(os.path.join(state, "cwd"), "w") as f:
        f.write(home)
    open(os.path.join(state, "vars"), "w").close()
    bindirs = [os.path.dirname(os.path.abspath(WXAUTHD)), os.path.dirname(os.path.abspath(CLI))]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WXAUTH_", "WXEMU_"))}
    env.update(HOME=home, PATH=os.pathsep.join(bindirs + [env.get("PATH", "/usr/bin:/bin")]),
               LC_ALL="C.UTF-8")
    ran, skipped, files, failed, groups = 0, [], 0, None, []
    try:
        for doc in DOCS:
            for kind, line, lang, text, note in blocks(doc):
                where = f"{doc}:{line}"
                if kind == "skip":
                    skipped.append((where, note))
                    continue
                if kind == "file":
                    cwd = open(os.path.join(state, "cwd")).read().strip()
                    with open(os.path.join(cwd, note), "w", encoding="utf-8") as f:
                        f.write(localize(text))
                    files += 1
                    continue
                script = os.path.join(state, f"block-{ran + 1}.sh")
                with open(script, "w", encoding="utf-8") as f:
                    f.write(PRELUDE.format(state=state, skip=" ".join(SHELL_VARS)))
                    f.write(localize(text))
                out_path = os.path.join(state, f"block-{ran + 1}.out")
                ran += 1
                t0 = time.monotonic()
                with open(out_path, "w") as out:
                    p = subprocess.Popen(["bash", "--noprofile", "--norc", script], env=env,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         start_new_session=True)
                    groups.append(p.pid)
                    try:
                        rc = p.wait(timeout=BLOCK_TIMEOUT_S)
                    except subprocess.TimeoutExpired:
                        rc = "timeout"
                took = time.monotonic() - t0
                output = open(out_path, encoding="utf-8", errors="replace").read()
                print(f"--- {where} ({lang}, {took:.1f} s): {'ok' if rc == 0 else 'FAILED'}")
                print(textwrap.indent(localize(text).rstrip(), "    $ "))
                if output.strip():
                    print(textwrap.indent(output.rstrip()[-4000:], "    | "))
                if rc != 0:
                    failed = (where, rc)
                    break
            if failed:
                break
    finally:
        for g in groups:  # the servers the blocks started in the background
            try:
                os.killpg(g, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        for g in groups:
            while time.monotonic() < deadline:
                try:
                    os.killpg(g, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                try:
                    os.killpg(g, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    # The servers logged to files the blocks named: a sanitizer report there (ASan builds
    # report leaks at exit, after the SIGTERM above) fails the test like a failing block.
    reports = []
    for root, _, names in os.walk(work):
        for name in names:
            path = os.path.join(root, name)
            try:
                text = open(path, encoding="utf-8", errors="replace").read()
            except OSError:
                continue
            if re.search(r"ERROR: \w+Sanitizer|runtime error:", text):
                reports.append(os.path.relpath(path, work))
    print(f"\n{ran} shell blocks ran, {len(skipped)} skipped, {files} files written "
          f"(ports {', '.join(f'{a}->{b}' for a, b in ports.items())})")
    for where, why in skipped:
        print(f"  skipped {where}: {why}")
    if failed:
        print(f"FAIL {failed[0]}: exit {failed[1]} (the scratch folder is kept: {work})")
        return 1
    if reports:
        print(f"FAIL: sanitizer reports in {', '.join(reports)} (kept in {work})")
        return 1
    if ran == 0:
        print("no ```sh block ran: the extraction is broken")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
