#!/bin/sh
# The command line: --help (one line an option, 80 columns), --version,
# every option in the man page, options after the file, bundled names and
# their suggestions, and the exit statuses scripts rely on.
set -u
IOSIM=${IOSIM:-./iosim}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
"$IOSIM" --help >"$tmp/help" || bad "--help exits non-zero"
awk 'length($0) > 79 { print "FAIL: --help line over 79 columns: " $0; exit 1 }' "$tmp/help" || fail=1
for opt in $(grep -o '^  --[a-z-]*' "$tmp/help"); do
    n=$(grep -c "^  $opt\( \|$\)" "$tmp/help")
    [ "$n" -eq 1 ] || bad "--help lists $opt $n times"
    grep -q -- "$(echo "$opt" | sed 's/-/\\\\-/g')" docs/iosim.1 || bad "iosim.1 does not mention $opt"
done
"$IOSIM" --version | grep -Eq '^iosim [0-9]+\.[0-9]+' || bad "--version"
# options may follow the scenario, as with most tools
"$IOSIM" scenarios/blocking.scn --stats >"$tmp/stats" || bad "option after the file"
grep -q '^syscalls_total ' "$tmp/stats" || bad "--stats has no syscalls_total"
# a bundled scenario by name, and a suggestion for a near miss
"$IOSIM" --check blocking || bad "bundled name 'blocking' not found"
"$IOSIM" --check blockng 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "did you mean 'blocking'" "$tmp/err" || bad "no suggestion for 'blockng' (rc=$rc: $(cat "$tmp/err"))"
# the viewer without a terminal: a clear error, after the scenario's own
"$IOSIM" scenarios/blocking.scn </dev/null >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "needs a terminal" "$tmp/err" || bad "viewer on a pipe (rc=$rc)"
"$IOSIM" nosuch.scn </dev/null >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "nosuch.scn: error: cannot open" "$tmp/err" || bad "missing file on a pipe (rc=$rc)"
# --model and --compare
"$IOSIM" --model nosuch scenarios/web.scn 2>/dev/null; [ $? -eq 2 ] || bad "--model nosuch"
"$IOSIM" --model epoll scenarios/blocking.scn 2>"$tmp/err"; [ $? -eq 2 ] || bad "--model on a file without server"
"$IOSIM" --compare select,epoll scenarios/c10k.scn >"$tmp/cmp" || bad "--compare"
grep -q "killed by SIGABRT" "$tmp/cmp" || bad "--compare does not say select was killed"
# --screen honours --ascii: nothing but ASCII
"$IOSIM" --ascii --screen 80x24 scenarios/blocking.scn >"$tmp/scr" || bad "--screen"
LC_ALL=C grep -q '[^ -~]' "$tmp/scr" && bad "--ascii --screen printed non-ASCII"
[ "$(wc -l <"$tmp/scr")" -eq 24 ] || bad "--screen 80x24 printed $(wc -l <"$tmp/scr") lines"
[ $fail -eq 0 ] && echo "command line: ok"
exit $fail
