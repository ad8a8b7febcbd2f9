#!/usr/bin/env bash
# `make lint` (run first by `make check`, so by .ci/run too): the C sources use no banned
# function (STYLE.md rule 9; the reason and the replacement are printed per hit, as file:line),
# and are formatted as .clang-format says (clang-format --dry-run -Werror). Comments and string
# literals are not looked at. Fix format errors with `make format`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.c' '*.h')
else # a tarball: everything but build trees and node_modules
  mapfile -t files < <(find . -name '*.c' -o -name '*.h' | grep -vE '/(build[^/]*|node_modules)/' | sed 's|^\./||' | sort)
fi

status=0
python3 - "${files[@]}" <<'PY' || status=1
import re, sys
BANNED = {
    "strcpy": "no bound: use wx_strlcpy",
    "strcat": "no bound: use wx_buf_t or wx_snprintf",
    "sprintf": "no bound: use wx_snprintf or wx_buf_printf",
    "vsprintf": "no bound: use vsnprintf",
    "gets": "no bound at all: use fgets",
    "strtok": "hidden global state: use strtok_r or a hand-written split",
    "atoi": "no error check: use wx_parse_long",
    "atol": "no error check: use wx_parse_long",
    "atoll": "no error check: use strtoll with checks",
    "atof": "no error check: use strtod with checks",
    "rand": "predictable: use wx_rand_* (OpenSSL CSPRNG)",
    "srand": "predictable: use wx_rand_* (OpenSSL CSPRNG)",
    "tmpnam": "racy: use mkstemp",
    "mktemp": "racy: use mkstemp",
}
call = re.compile(r"(?<![A-Za-z0-9_.>])(" + "|".join(BANNED) + r")\s*\(")
# comments, string and character literals, blanked out (newlines kept for line numbers)
strip = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
def blank(m):
    return re.sub(r"[^\n]", " ", m.group(0))
hits = 0
for path in sys.argv[1:]:
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        continue
    code = strip.sub(blank, text)
    for n, line in enumerate(code.split("\n"), 1):
        for m in call.finditer(line):
            print(f"{path}:{n}: banned function {m.group(1)}(): {BANNED[m.group(1)]}", file=sys.stderr)
            hits += 1
if hits:
    print(f"lint: {hits} call(s) of banned functions (STYLE.md rule 9)", file=sys.stderr)
    sys.exit(1)
PY

CF="${CLANG_FORMAT:-clang-format}"
if ! command -v "$CF" >/dev/null 2>&1; then
  echo "lint: $CF not found (scripts/install-deps.sh installs clang-format)" >&2
  exit 1
fi
if ! "$CF" --dry-run -Werror "${files[@]}" 2>/tmp/wxauth-lint-format.$$; then
  grep -E '^[^ ].*: error:' /tmp/wxauth-lint-format.$$ | sed 's/: error: code should be clang-formatted.*/: not formatted as .clang-format says/' >&2 || true
  echo "lint: run 'make format' (clang-format -i) and commit the result" >&2
  status=1
fi
rm -f /tmp/wxauth-lint-format.$$
[ $status -eq 0 ] && echo "lint: ${#files[@]} C files: no banned function, formatted" >&2
exit $status
