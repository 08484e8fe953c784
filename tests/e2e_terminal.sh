#!/bin/sh
# The terminal is never left behind: in a detached tmux session, every
# signal whose default action ends the process gives the terminal back
# (canonical mode and echo) and then takes that action (exit status
# 128 + N); q, Ctrl-C, SIGTERM and SIGHUP act at once even while a frame
# cannot finish (output stopped with Ctrl-S); a terminal that vanishes
# (the viewer in its own session, the pane killed) ends the viewer
# instead of a loop at full CPU.  Skipped (77) without tmux.
set -u
IOSIM=${IOSIM:-./iosim}
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
[ -x "$IOSIM" ] || { echo "FAIL: no binary $IOSIM"; exit 1; }
case "$IOSIM" in /*) ;; *) IOSIM="$PWD/$IOSIM" ;; esac
export LC_ALL=C.UTF-8
sock="iosim-term-$$"
tmp=$(mktemp -d)
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
fail=0
failed() { echo "FAIL: $*"; echo "--- screen:"; T capture-pane -p -t "$S" 2>/dev/null; fail=1; }
screen() { T capture-pane -p -t "$S"; }
wait_for() { # up to 5 s for a regular expression on the screen
    i=0
    while [ $i -lt 50 ]; do
        screen | grep -Eq -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
wait_file() { # up to 5 s for a file; prints how long it took, in ms
    t0=$(date +%s%N)
    i=0
    while [ $i -lt 500 ]; do
        [ -s "$1" ] && { echo $(( ($(date +%s%N) - t0) / 1000000 )); return 0; }
        sleep 0.01; i=$((i + 1))
    done
    echo 5000
    return 1
}
key() { T send-keys -t "$S" "$@"; }
# one session for the whole test, so that the server does not exit (and
# race the next new-session) each time a case's session ends
T new-session -d -s keep "sleep 600"
# start SESSION: the viewer in a shell that reports its status and the
# terminal's modes once it ends; the viewer's pid goes to $tmp/pid.SESSION
start() {
    S=$1
    T new-session -d -s "$S" -x 80 -y 24 \
        "printf 'before iosim\n'; sh -c 'echo \$\$ >$tmp/pid.$S; exec \"$IOSIM\" scenarios/epoll.scn'; echo \$? >'$tmp/rc.$S'; stty -a >'$tmp/stty.$S'; sleep 30"
    wait_for 'interest list' || failed "$S: the viewer did not start"
    pid=$(cat "$tmp/pid.$S" 2>/dev/null)
}
restored() { # SESSION WHAT EXPECTED-STATUS
    [ "$(cat "$tmp/rc.$1" 2>/dev/null)" = "$3" ] ||
        failed "$2: exit status $(cat "$tmp/rc.$1" 2>/dev/null), not $3"
    grep -q -- '-icanon' "$tmp/stty.$1" && failed "$2: the terminal is left without icanon"
    grep -Eq -- '(^| )-echo( |$)' "$tmp/stty.$1" && failed "$2: the terminal is left without echo"
    wait_for 'before iosim' || failed "$2: the screen is not given back"
    T kill-session -t "$1"
}

# ---- 1. signals that end the process: restored, then the default action
n=0
for sig in QUIT USR1 USR2 ALRM PIPE SEGV ABRT BUS FPE; do
    n=$((n + 1))
    start "s$n"
    case $sig in QUIT) num=3;; USR1) num=10;; USR2) num=12;; ALRM) num=14;;
                 PIPE) num=13;; SEGV) num=11;; ABRT) num=6;; BUS) num=7;; FPE) num=8;; esac
    # no core file from the signals whose default action dumps one
    (ulimit -c 0; kill -"$sig" "$pid")
    wait_file "$tmp/rc.s$n" >/dev/null || failed "SIG$sig does not end the viewer"
    restored "s$n" "SIG$sig" $((128 + num))
done

# ---- 2. output stopped (Ctrl-S) in the middle of a frame: q, Ctrl-C,
# SIGTERM and SIGHUP still act at once ---------------------------------------
for how in q C-c TERM HUP; do
    n=$((n + 1))
    start "s$n"
    key C-s
    sleep 0.2
    key Right Right # the frame for the first Right cannot be written
    sleep 0.3
    case $how in
    q|C-c) key "$how"; want=$([ "$how" = q ] && echo 0 || echo 130) ;;
    TERM) kill -TERM "$pid"; want=143 ;;
    HUP) kill -HUP "$pid"; want=129 ;;
    esac
    ms=$(wait_file "$tmp/rc.s$n") || failed "$how with output stopped: the viewer does not end"
    [ "$ms" -le 1000 ] || failed "$how with output stopped: took $ms ms"
    restored "s$n" "$how with output stopped" "$want"
done

# keys typed meanwhile wait, in order, arrows included; a q typed into a
# prompt is text
n=$((n + 1))
start "s$n"
ev=$(screen | sed -n 's/.*event \([0-9]*\)\/.*/\1/p' | head -1)
key C-s
sleep 0.2
key Right
sleep 0.3
key Right Right l /
sleep 0.3
key q u e
sleep 0.3
key C-q
wait_for "event $((ev + 4))/" || failed "keys typed while output was stopped are lost or misread (from event $ev)"
wait_for "/que" || failed "a q typed into the search prompt while busy is not text"
key Escape q
wait_file "$tmp/rc.s$n" >/dev/null || failed "q after the prompt does not quit"
restored "s$n" "keys while busy" 0

# ---- 3. the terminal vanishes: the viewer ends, it does not spin ---------
S=gone
T new-session -d -s "$S" -x 80 -y 24 "sleep 60"
T new-window -t "$S" "setsid -w sh -c 'echo \$\$ >$tmp/pid.gone; exec \"$IOSIM\" scenarios/epoll.scn'"
i=0
while [ ! -s "$tmp/pid.gone" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pid=$(cat "$tmp/pid.gone" 2>/dev/null)
sleep 1
T kill-window -t "$S:1"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
    failed "the viewer keeps running after its terminal vanished ($(ps -o stat=,time= -p "$pid"))"
    kill "$pid" 2>/dev/null
fi
T kill-session -t "$S"

[ $fail = 0 ] && echo "e2e_terminal: ok"
exit $fail
