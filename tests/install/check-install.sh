#!/bin/sh
# `cmake --install` into a temporary DESTDIR, then check that every file is where it belongs.
# Usage: check-install.sh BUILD_DIR PREFIX BINDIR LIBDIR INCLUDEDIR (the GNUInstallDirs values).
set -eu
build=$1 prefix=$2 bindir=$3 libdir=$4 includedir=$5
case $bindir in /*) ;; *) bindir=$prefix/$bindir ;; esac
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
case $includedir in /*) ;; *) includedir=$prefix/$includedir ;; esac
tmp=${WX_TEST_TMP:-/tmp}
mkdir -p "$tmp"
dest=$(mktemp -d "$tmp/install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" >"$dest.log" 2>&1 || { cat "$dest.log"; rm -f "$dest.log"; exit 1; }
rm -f "$dest.log"
root=$dest
fail=0
need() { # need TEST PATH WHAT
    if ! test "$1" "$root$2"; then
        echo "missing: $2 ($3)" >&2
        fail=1
    fi
}
need -x "$bindir/wxauthd" "the server"
need -x "$bindir/wxauth" "the CLI"
need -f "$libdir/libwxauth.a" "libwxauth, static"
need -L "$libdir/libwxauth.so" "libwxauth, shared (link)"
need -f "$libdir/libwxauth.so.0" "libwxauth, shared (soname)"
need -f "$includedir/wxauth.h" "libwxauth's public header"
need -f "$libdir/pkgconfig/wxauth.pc" "pkg-config file"
need -f "$prefix/lib/systemd/system/wxauthd.service" "systemd unit"
need -f "$prefix/lib/sysusers.d/wxauth.conf" "service user"
[ $fail = 0 ] || exit 1
# The unit starts the binary that was installed, with the packaged config path.
unit=$root$prefix/lib/systemd/system/wxauthd.service
grep -qx "ExecStart=$bindir/wxauthd --config /etc/wxauth/wxauthd.ini" "$unit" ||
    { echo "wxauthd.service: ExecStart does not run $bindir/wxauthd" >&2; exit 1; }
grep -qx "LimitNOFILE=65536" "$unit" || { echo "wxauthd.service: no LimitNOFILE=65536" >&2; exit 1; }
# The installed binaries run (wxauthd finds its shared libraries; no build-tree paths needed).
"$root$bindir/wxauthd" --version >/dev/null
"$root$bindir/wxauth" --help >/dev/null 2>&1 || "$root$bindir/wxauth" help >/dev/null 2>&1 ||
    { echo "the installed wxauth CLI does not run" >&2; exit 1; }
# The header and the .pc are enough to build against the installed library.
if command -v cc >/dev/null; then
    printf '#include <wxauth.h>\nint main(void) { return 0; }\n' >"$dest/t.c"
    cc -I"$root$includedir" "$dest/t.c" -L"$root$libdir" -lwxauth -o "$dest/t"
fi
echo "install ok: $(cd "$root" && find . -type f | wc -l) files under $prefix"
