#!/bin/sh
# Bad input never crashes iosim: each case exits 2 with FILE:LINE:COL (or
# FILE: for files that cannot be read) and one clear message.
set -u
IOSIM=${IOSIM:-./iosim}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
# expect FILE PATTERN: exit status 2 and stderr matching PATTERN
expect() {
    "$IOSIM" --check "$1" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 2 ] || ! grep -Eq "$2" "$tmp/err"; then
        echo "FAIL $1: rc=$rc, stderr: $(head -c 300 "$tmp/err")"
        fail=1
    fi
}
: >"$tmp/empty.scn"
expect "$tmp/empty.scn" "empty.scn:1:1: error: "
head -c 4096 /dev/urandom >"$tmp/garbage.scn"
expect "$tmp/garbage.scn" "garbage.scn:[0-9]+:[0-9]+: error: "
printf 'title "caf\351"\nprocess p {\n}\n' >"$tmp/latin1.scn"
expect "$tmp/latin1.scn" "latin1.scn:1:[0-9]+: error: .*UTF-8"
python3 -c 'print("title \"" + "x" * 1048576 + "\"")' >"$tmp/longline.scn"
expect "$tmp/longline.scn" "longline.scn:1:[0-9]+: error: "
python3 -c '
print("process p {")
for i in range(200): print("  " * i + "loop {")
for i in reversed(range(200)): print("  " * i + "}")
print("}")' >"$tmp/deep.scn"
expect "$tmp/deep.scn" "deep.scn:[0-9]+:[0-9]+: error: .*(deep|nest)"
printf 'process p {\n    compute 99999999999999999999999ms\n}\n' >"$tmp/huge.scn"
expect "$tmp/huge.scn" "huge.scn:2:[0-9]+: error: "
printf 'peer c count 1000000 {\n    sleep 1ms\n}\n' >"$tmp/million.scn"
expect "$tmp/million.scn" "million.scn:1:[0-9]+: error: "
printf 'process p {\n    loop {\n        k = fork {\n            sleep 1s\n        }\n    }\n}\n' >"$tmp/forkbomb.scn"
expect "$tmp/forkbomb.scn" "forkbomb.scn:3:[0-9]+: error: .*tasks"
printf 'process p {\n    x = set 1\n    loop {\n        x = set 2\n    }\n}\n' >"$tmp/spin.scn"
expect "$tmp/spin.scn" "spin.scn:[0-9]+:[0-9]+: error: .*without using time"
printf 'process p {\n    n = raed 3 10\n}\n' >"$tmp/typo.scn"
expect "$tmp/typo.scn" "typo.scn:2:9: error: .*did you mean 'read'"
mkdir "$tmp/dir.scn"
expect "$tmp/dir.scn" "dir.scn: error: is a directory"
expect "$tmp/missing.scn" "missing.scn: error: cannot open"
# usage errors exit 2 too
"$IOSIM" --no-such-option x 2>/dev/null; [ $? -eq 2 ] || { echo "FAIL unknown option"; fail=1; }
"$IOSIM" --dump 2>/dev/null; [ $? -eq 2 ] || { echo "FAIL no file"; fail=1; }
[ $fail -eq 0 ] && echo "bad input: all cases ok"
exit $fail
