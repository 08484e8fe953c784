#!/bin/sh
# Input that once hung or lied: a FIFO without a writer, devices, a file
# too large, a long path, a full disk, control characters in scenario text,
# malformed --screen values, two outputs at once, the viewer without a
# terminal before a long simulation, exit's status, io_uring_enter's
# unsigned arguments.  Each case is bounded by `timeout`.
set -u
IOSIM=${IOSIM:-./iosim}
tmp=$(mktemp -d)
writer=
trap '[ -n "$writer" ] && kill "$writer" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# refused CMD-ARGS... -- PATTERN: exit 2 within 5 s, stderr matching PATTERN
refused() {
    pat=$1
    shift
    timeout 5 "$IOSIM" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 2 ] && grep -Eq -- "$pat" "$tmp/err" || bad "$*: rc=$rc (124: hung), $(head -c 300 "$tmp/err")"
}
# a FIFO no process writes to: refused at once, not an open() forever
mkfifo "$tmp/fifo.scn"
refused "fifo.scn: error: is a FIFO that no process writes to" --check "$tmp/fifo.scn"
refused "fifo.scn: error: is a FIFO that no process writes to" "$tmp/fifo.scn"
# one with a writer, even one that has not written yet, is read to its
# end (the writer opens it read-write, which does not wait for a reader,
# and says when it has)
(exec 3<>"$tmp/fifo.scn"; : >"$tmp/ready"; sleep 0.5; cat scenarios/blocking.scn >&3; sleep 0.2) &
writer=$!
i=0
while [ ! -e "$tmp/ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
timeout 5 "$IOSIM" --check "$tmp/fifo.scn" || bad "a FIFO with a writer is not read"
wait "$writer" 2>/dev/null
writer=
cat scenarios/blocking.scn | timeout 5 "$IOSIM" --check /dev/stdin || bad "a pipe on stdin is not read"
refused "/dev/null: error: is a device, not a scenario file" --check /dev/null
# the size of a file too large, and a pipe's
head -c 5000000 /dev/zero | tr '\0' '#' >"$tmp/big.scn"
refused "big.scn:1:1: error: file too large: 5000000 bytes, the limit is 4194304" --check "$tmp/big.scn"
cat "$tmp/big.scn" | timeout 5 "$IOSIM" --check /dev/stdin 2>"$tmp/err"
grep -q "file too large: more than the limit of 4194304 bytes" "$tmp/err" || bad "pipe too large: $(cat "$tmp/err")"
# a path too long keeps its reason
long=$tmp/$(head -c 5000 /dev/zero | tr '\0' 'a').scn
refused "error: cannot open: File name too long" --check "$long"
# a full disk says so
if [ -w /dev/full ]; then
    timeout 5 "$IOSIM" --dump scenarios/blocking.scn >/dev/full 2>"$tmp/err"; rc=$?
    [ $rc -eq 1 ] && grep -q "No space left on device" "$tmp/err" || bad "--dump >/dev/full: rc=$rc $(cat "$tmp/err")"
    timeout 5 "$IOSIM" --export json scenarios/blocking.scn >/dev/full 2>"$tmp/err"; rc=$?
    [ $rc -eq 1 ] && grep -q "No space left on device" "$tmp/err" || bad "--export json >/dev/full: rc=$rc $(cat "$tmp/err")"
fi
# scenario text cannot drive the terminal through --dump
printf 'process p {\n    say "t \033]0;owned\007 \033[2J\r x"\n    exit 2G\n}\n' >"$tmp/esc.scn"
timeout 5 "$IOSIM" --dump "$tmp/esc.scn" >"$tmp/out" || bad "--dump of control characters"
LC_ALL=C tr -d '\n' <"$tmp/out" | LC_ALL=C grep -q "$(printf '[\001-\037\177]')" && bad "--dump writes raw control characters"
grep -q '# t \\033]0;owned\\007 \\033\[2J\\r x' "$tmp/out" || bad "--dump does not escape them: $(grep '#' "$tmp/out")"
# exit keeps the low 8 bits of its int, as Linux does
grep -q "exit_group(-2147483648)" "$tmp/out" && grep -q "+++ exited with 0 +++" "$tmp/out" || bad "exit 2G: $(grep exit "$tmp/out")"
# io_uring_enter's counts are unsigned ints (2G overflowed a shift)
printf 'process p {\n    r = io_uring_setup 8\n    n = io_uring_enter r 2G\n}\n' >"$tmp/uring.scn"
timeout 5 "$IOSIM" --dump "$tmp/uring.scn" >"$tmp/out" 2>"$tmp/err" || bad "io_uring_enter 2G: $(cat "$tmp/err")"
grep -q "io_uring_enter(3, 0, 2147483648," "$tmp/out" || bad "io_uring_enter 2G shown as $(grep enter "$tmp/out")"
# --screen takes exactly COLSxROWS[@EVENT]
for arg in 80x24junk 80x24@ 80x24@-5 80x24@99999999999999999999999 0x24 80x1001 x24 +80x24 "80 x24"; do
    refused "--screen takes COLSxROWS" --screen "$arg" scenarios/blocking.scn
done
timeout 5 "$IOSIM" --screen 80x24@5 scenarios/blocking.scn >/dev/null || bad "--screen 80x24@5 refused"
# one output at a time
refused "--dump and --stats do not go together" --dump --stats scenarios/blocking.scn
refused "--check and --export json do not go together" --check --export json scenarios/blocking.scn
timeout 5 "$IOSIM" --dump --dump scenarios/blocking.scn >/dev/null || bad "--dump twice refused"
# the viewer without a terminal says so before a long simulation
printf 'machine {\n    steps 10000000000\n}\nprocess p {\n    loop {\n        compute 1ns\n    }\n}\n' >"$tmp/long.scn"
refused "the viewer needs a terminal" "$tmp/long.scn" </dev/null
printf 'process p {\n    n = raed 3 10\n}\n' >"$tmp/typo.scn"
refused "typo.scn:2:9: error: " "$tmp/typo.scn" </dev/null
[ $fail -eq 0 ] && echo "input: all cases ok"
exit $fail
