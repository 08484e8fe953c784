#!/bin/sh
# iosim --real from the command line: the real timeline dumps and exports,
# --compare-sim prints the alignment and exits 0 when the runs agree, a
# bad --slow is refused, and in the viewer the key r switches between the
# real run and the simulation at the same caption, then q quits with the
# terminal given back.  No process of the runs is left (the session's
# process count is the same before and after).  Skipped (77) where this
# machine cannot make the sandbox; the viewer part needs tmux.
set -u
# in a session of its own, so that the count below is of this test's
# processes only, not of a parallel build's in the same session
if [ -z "${IOSIM_E2E_SID:-}" ] && command -v setsid >/dev/null; then
    IOSIM_E2E_SID=1 exec setsid -w sh "$0" "$@"
fi
IOSIM=${IOSIM:-./iosim}
[ -x "$IOSIM" ] || { echo "FAIL: no binary $IOSIM"; exit 1; }
case "$IOSIM" in /*) ;; *) IOSIM="$PWD/$IOSIM" ;; esac
tmp=$(mktemp -d)
sock="iosim-real-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
fail=0
bad() { echo "FAIL: $*"; fail=1; }
sid=$(ps -o sid= -p $$ | tr -d ' ')
procs() { ps -o pid= -s "$sid" | wc -l; }

"$IOSIM" --real --dump scenarios/blocking.scn >"$tmp/dump" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "cannot run" "$tmp/err"; then
    echo "skipped: $(cat "$tmp/err")"
    exit 77
fi
before=$(procs)
[ $rc -eq 0 ] || bad "--real --dump exits $rc: $(cat "$tmp/err")"
grep -q 'server accept(3, NULL, NULL)' "$tmp/dump" || bad "--real --dump: no accept of the server"
grep -q 'client +++ exited with 0 +++' "$tmp/dump" || bad "--real --dump: the client does not exit"
"$IOSIM" --real --export json scenarios/blocking.scn | python3 -c \
    'import json,sys; d=json.load(sys.stdin); assert d["model"] == "real"' ||
    bad "--real --export json is not a real timeline in JSON"
"$IOSIM" --compare-sim --slow 20 scenarios/blocking.scn >"$tmp/cmp"
rc=$?
[ $rc -eq 0 ] || { bad "--compare-sim blocking exits $rc"; cat "$tmp/cmp"; }
grep -q '^== server' "$tmp/cmp" || bad "--compare-sim: no server section"
grep -q 'they agree\|real run agree' "$tmp/cmp" || bad "--compare-sim: no verdict"
"$IOSIM" --real --slow 0 scenarios/blocking.scn 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- '--slow takes' "$tmp/err" || bad "--slow 0 is not refused"

# Ctrl-C during a run: exit 130, every process of the run killed
"$IOSIM" --real --slow 200 --dump scenarios/web.scn >/dev/null 2>"$tmp/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || bad "SIGINT during --real: exit $rc, not 130"
grep -q interrupted "$tmp/err" || bad "SIGINT during --real: not said"

if command -v tmux >/dev/null 2>&1; then
    export LC_ALL=C.UTF-8
    S=r1
    T new-session -d -s "$S" -x 100 -y 30 \
        "TERM=screen-256color '$IOSIM' --real --slow 5 scenarios/blocking.scn; echo \$? >'$tmp/rc'; sleep 30"
    i=0
    until T capture-pane -p -t "$S" | grep -q 'iosim \[real\]'; do
        i=$((i + 1)); [ $i -lt 100 ] || { bad "the viewer did not start on the real run"; break; }
        sleep 0.1
    done
    T send-keys -t "$S" Space Space
    sleep 0.3
    cap=$(T capture-pane -p -t "$S" | sed -n 2p | cut -c1-50)
    T send-keys -t "$S" r
    sleep 0.5
    T capture-pane -p -t "$S" >"$tmp/screen"
    grep -q 'iosim \[blocking\]' "$tmp/screen" || bad "r does not show the simulation"
    grep -q 'The simulation; r switches back' "$tmp/screen" || bad "r does not say which run is shown"
    grep -qF -- "$cap" "$tmp/screen" || bad "r does not keep the caption ($cap)"
    T send-keys -t "$S" r
    sleep 0.5
    T capture-pane -p -t "$S" | grep -q 'iosim \[real\]' || bad "r does not go back to the real run"
    T send-keys -t "$S" q
    i=0
    until [ -s "$tmp/rc" ]; do
        i=$((i + 1)); [ $i -lt 50 ] || break
        sleep 0.1
    done
    [ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] || bad "q does not quit the viewer with status 0"
    T kill-server >/dev/null 2>&1
fi
sleep 0.2
after=$(procs)
[ "$after" -le "$before" ] || bad "processes left behind: $before before, $after after"
[ $fail -eq 0 ] && echo "e2e_real: ok"
exit $fail
