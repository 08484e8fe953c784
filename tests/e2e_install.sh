#!/bin/sh
# make install / uninstall into a staging folder; the installed iosim finds
# its bundled scenarios by name from anywhere.
set -u
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
make -s install DESTDIR="$tmp/stage" PREFIX=/usr >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
for f in usr/bin/iosim usr/share/man/man1/iosim.1 usr/share/iosim/scenarios/blocking.scn \
         usr/share/iosim/scenarios/py/gil-cpu.py; do
    [ -e "$tmp/stage/$f" ] || { echo "FAIL: $f not installed"; fail=1; }
done
here=$(pwd)
cd "$tmp" || exit 1
"$tmp/stage/usr/bin/iosim" --check blocking ||
    { echo "FAIL: installed iosim does not find 'blocking'"; fail=1; }
"$tmp/stage/usr/bin/iosim" --version | grep -q '^iosim ' || { echo "FAIL: --version"; fail=1; }
cd "$here" || exit 1
make -s uninstall DESTDIR="$tmp/stage" PREFIX=/usr >/dev/null 2>&1
[ -e "$tmp/stage/usr/bin/iosim" ] && { echo "FAIL: uninstall left the binary"; fail=1; }
[ -e "$tmp/stage/usr/share/iosim" ] && { echo "FAIL: uninstall left the scenarios"; fail=1; }
[ $fail -eq 0 ] && echo "install/uninstall ok"
exit $fail
