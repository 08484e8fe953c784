#!/bin/sh
# The real viewer in a real (pseudo-)terminal: start ./iosim on
# scenarios/blocking.scn in a detached tmux session of a fixed size, press
# keys, read the screen with capture-pane, resize the window, quit, and
# check the exit status and that the terminal was given back.  Also
# Ctrl-C (exit status 130, terminal restored) and Ctrl-Z / fg; the default
# epoll scenario at 80x24 and 132x43, and io_uring with LANG=C (ASCII);
# growing the window then quitting leaves nothing behind; 80x23 is enough.
# Skipped (77) when tmux is not installed.
set -u
IOSIM=${IOSIM:-./iosim}
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
[ -x "$IOSIM" ] || { echo "FAIL: no binary $IOSIM"; exit 1; }
case "$IOSIM" in /*) ;; *) IOSIM="$PWD/$IOSIM" ;; esac

export LC_ALL=C.UTF-8
sock="iosim-e2e-$$"
tmp=$(mktemp -d)
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
# One session lives for the whole script, so that killing a test's session
# never stops the server while the next one starts ("server exited
# unexpectedly")
T new-session -d -s keep "sleep 600"
fail=0
failed() { echo "FAIL: $*"; echo "--- screen:"; T capture-pane -p -t "$S" 2>/dev/null; fail=1; }

screen() { T capture-pane -p -t "$S"; }
# wait up to 5 s for a regular expression on the screen
wait_for() {
    i=0
    while [ $i -lt 50 ]; do
        screen | grep -Eq -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
wait_gone() {
    i=0
    while [ $i -lt 50 ]; do
        screen | grep -Eq -- "$1" || return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
wait_file() {
    i=0
    while [ $i -lt 50 ]; do
        [ -s "$1" ] && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
key() { T send-keys -t "$S" "$@"; }

# ---- 1. keys, resize, q -------------------------------------------------
S=v1
T new-session -d -s "$S" -x 100 -y 30 \
    "printf 'before iosim\n'; TERM=screen-256color '$IOSIM' scenarios/blocking.scn; echo \$? >'$tmp/rc1'; sleep 30"
wait_for 'Tasks \(2\)' || failed "the viewer did not start"
wait_for 'step 1/' || failed "does not start at the first caption"
key Space
wait_for 'step 2/' || failed "Space does not go to the next caption"
n1=$(screen | sed -n 's/.*event \([0-9]*\)\/.*/\1/p' | head -1)
key Right
wait_for "event $((n1 + 1))/" || failed "Right does not step one event (was $n1)"
key l
wait_for "event $((n1 + 2))/" || failed "l does not step one event"
key h
wait_for "event $((n1 + 1))/" || failed "h does not step back"
key G
wait_for 'event ([0-9]+)/\1( |$)' || failed "G does not go to the end"
key g
wait_for 'event 0/' || failed "g does not go to the start"
key :
wait_for 'Go to event, time' || failed "no go-to prompt"
key 5 0 Enter
wait_for 'event 50/' || failed "go to event 50"
wait_for 'Phase 1: waiting for data' || failed "no two-phase view at event 50 (server blocked in read)"
key '?'
wait_for 'Keys \(\? or Esc closes' || failed "? does not show the help"
t0=$(date +%s%N 2>/dev/null || echo 0)
key Escape
wait_gone 'Keys \(\? or Esc closes' || failed "Esc does not close the help"
t1=$(date +%s%N 2>/dev/null || echo 0)
if [ "$t0" != 0 ] && [ $(( (t1 - t0) / 1000000 )) -gt 900 ]; then
    failed "Esc took $(( (t1 - t0) / 1000000 )) ms (ESCDELAY not set?)"
fi
key j
wait_for 'Script of client' || failed "j does not select the next task"
key k
wait_for 'Script of server' || failed "k does not select the previous task"
key /
key a c c e p t Enter
wait_for 'accept' || failed "search"
key p
wait_for '/s ' || failed "p does not start playing"
key p
wait_for 'Paused' || failed "p does not pause"

T resize-window -t "$S" -x 132 -y 43
wait_for 'Buffers: kernel and user' || failed "a 132x43 window does not show the buffers"
[ "$(screen | head -1 | awk '{print length($0)}')" -ge 120 ] || failed "the header does not use the width"
T resize-window -t "$S" -x 60 -y 20
wait_for 'Terminal too small: 60x20' || failed "no 'too small' screen at 60x20"
T resize-window -t "$S" -x 80 -y 24
wait_for 'Tasks \(2\)' || failed "the viewer does not come back at 80x24"
wait_gone 'too small' || failed "'too small' stays on screen"

key q
wait_file "$tmp/rc1" || failed "q does not quit"
[ "$(cat "$tmp/rc1" 2>/dev/null)" = 0 ] || failed "exit status after q: $(cat "$tmp/rc1" 2>/dev/null)"
wait_for 'before iosim' || failed "the terminal is not restored after q"
screen | grep -q 'Tasks (2)' && failed "the viewer is still on screen after q"
T kill-session -t "$S"

# ---- 2. Ctrl-C ----------------------------------------------------------
S=v2
T new-session -d -s "$S" -x 80 -y 24 \
    "printf 'before iosim\n'; '$IOSIM' --mono scenarios/blocking.scn; echo \$? >'$tmp/rc2'; sleep 30"
wait_for 'Tasks \(2\)' || failed "the viewer did not start (--mono)"
key C-c
wait_file "$tmp/rc2" || failed "Ctrl-C does not quit"
[ "$(cat "$tmp/rc2" 2>/dev/null)" = 130 ] || failed "exit status after Ctrl-C: $(cat "$tmp/rc2" 2>/dev/null)"
wait_for 'before iosim' || failed "the terminal is not restored after Ctrl-C"
T kill-session -t "$S"

# ---- 3. SIGTERM and SIGHUP (to our iosim: the child of the pane's shell):
# the terminal is restored and the status says which signal ---------------
signal_case() { # SESSION SIGNAL STATUS
    T new-session -d -s "$1" -x 80 -y 24 \
        "printf 'before iosim\n'; '$IOSIM' scenarios/blocking.scn; echo \$? >'$tmp/rc$1'; sleep 30"
    wait_for 'Tasks \(2\)' || failed "the viewer did not start (SIG$2 test)"
    shpid=$(T display-message -p -t "$1" '#{pane_pid}')
    pid=$(ps -o pid= --ppid "$shpid" | head -1 | tr -d ' ')
    if [ -n "$pid" ]; then
        kill -"$2" "$pid"
        wait_file "$tmp/rc$1" || failed "SIG$2 does not quit"
        [ "$(cat "$tmp/rc$1" 2>/dev/null)" = "$3" ] ||
            failed "exit status after SIG$2: $(cat "$tmp/rc$1" 2>/dev/null)"
        wait_for 'before iosim' || failed "the terminal is not restored after SIG$2"
    else
        failed "cannot find the viewer's process"
    fi
    T kill-session -t "$1"
}
S=v3
signal_case v3 TERM 143
S=v3b
signal_case v3b HUP 129

# ---- 4. Ctrl-Z and fg (needs a shell with job control) ----------------------
if command -v bash >/dev/null 2>&1; then
    S=v4
    T new-session -d -s "$S" -x 80 -y 24 "PS1='prompt\$ ' bash --norc --noprofile -i"
    wait_for 'prompt\$' || failed "no shell"
    key "'$IOSIM' scenarios/blocking.scn" Enter
    wait_for 'Tasks \(2\)' || failed "the viewer did not start from bash"
    key C-z
    wait_for 'Stopped' || failed "Ctrl-Z does not suspend"
    wait_gone 'Tasks \(2\)' || failed "the terminal is not restored on Ctrl-Z"
    key fg Enter
    wait_for 'Tasks \(2\)' || failed "fg does not redraw the viewer"
    key q
    key 'echo "rc=$?"' Enter
    wait_for '^rc=0' || failed "exit status after Ctrl-Z, fg, q"
    T kill-session -t "$S"
fi

# ---- 5. the default scenario (epoll) at 80x24, then in ASCII (LANG=C) ---
S=v5
T new-session -d -s "$S" -x 80 -y 24 \
    "'$IOSIM' scenarios/epoll.scn; echo \$? >'$tmp/rc5'; sleep 30"
wait_for 'interest list' || failed "epoll at 80x24: no interest list on screen"
wait_for 'ready list' || failed "epoll at 80x24: no ready list on screen"
wait_for 'peers \(outside the machine\)' || failed "epoll: the clients are not grouped"
wait_for 'fd table of server' || failed "epoll at 80x24: no fd table"
screen | tail -1 | grep -q '? help  q quit' || failed "80 columns: the status bar lost '? help' or 'q quit'"
screen | grep -q 'CPU -1' && failed "a client is said to run on CPU -1"
key p
wait_for '… ▶ [0-9]+/s  t = ' || failed "80 columns: the play indicator is not after the cut title"
key p
key Space
wait_for 'step 2/' || failed "epoll: Space does not go to step 2"
T resize-window -t "$S" -x 132 -y 43
wait_for 'epoll #[0-9]+ interest list' || failed "epoll at 132x43: no full queue names"
key q
wait_file "$tmp/rc5" || failed "q does not quit (epoll)"
T kill-session -t "$S"

S=v6
T new-session -d -s "$S" -x 80 -y 24 \
    "LC_ALL=C LANG=C '$IOSIM' scenarios/io_uring.scn; echo \$? >'$tmp/rc6'; sleep 30"
wait_for '\+ Tasks \(2\)' || failed "LANG=C: no ASCII frame"
key Space Space Space Space Space Space
wait_for 'step 7/' || failed "io_uring: Space does not step"
screen | LC_ALL=C grep -q "$(printf '[\200-\377]')" && failed "LANG=C: non-ASCII bytes on screen"
key q
wait_file "$tmp/rc6" || failed "q does not quit (LANG=C)"
[ "$(cat "$tmp/rc6" 2>/dev/null)" = 0 ] || failed "exit status (LANG=C): $(cat "$tmp/rc6" 2>/dev/null)"
T kill-session -t "$S"

# ---- 7. grow the window, then quit: nothing of the viewer stays ----------
S=v7
T new-session -d -s "$S" -x 80 -y 24 \
    "printf 'before iosim\n'; '$IOSIM' scenarios/epoll.scn; echo \$? >'$tmp/rc7'; sleep 30"
wait_for 'interest list' || failed "epoll did not start (resize test)"
T resize-window -t "$S" -x 132 -y 43
wait_for 'epoll #[0-9]+ interest list' || failed "epoll at 132x43 after a resize"
key q
wait_file "$tmp/rc7" || failed "q does not quit (resize test)"
wait_for 'before iosim' || failed "the terminal is not restored after a resize and q"
[ "$(screen | head -1)" = "before iosim" ] || failed "debris above the restored screen after a resize"
screen | grep -q '│' && failed "pieces of the viewer stay on screen after a resize and q"
T kill-session -t "$S"

# ---- 8. 80x23 (an 80x24 terminal with a tmux status line) is enough ------
S=v8
T new-session -d -s "$S" -x 80 -y 23 \
    "'$IOSIM' scenarios/select.scn; echo \$? >'$tmp/rc8'; sleep 30"
wait_for 'Tasks \(' || failed "80x23: the viewer does not start"
screen | grep -q 'too small' && failed "80x23 is said to be too small"
T resize-window -t "$S" -x 80 -y 22
wait_for 'needs at least 80x23' || failed "80x22: no 'too small' screen naming 80x23"
key q
wait_file "$tmp/rc8" || failed "q does not quit (80x23)"
T kill-session -t "$S"

# ---- 9. Home, End, PgUp, PgDn in every common encoding, whatever TERM
# says (inside tmux a terminal sends \e[1~ for Home even with
# TERM=xterm-256color); PgDn/PgUp step the lesson (presentation clickers) --
raw() { T send-keys -t "$S" -l "$(printf "$1")"; }
for term in xterm-256color tmux-256color screen-256color; do
    S="v9$term"
    T new-session -d -s "$S" -x 100 -y 30 \
        "TERM=$term '$IOSIM' scenarios/blocking.scn; echo \$? >'$tmp/rc9$term'; sleep 30"
    wait_for 'step 1/' || failed "TERM=$term: the viewer did not start"
    for pgdn in '\033[6~'; do
        raw "$pgdn"
        wait_for 'step 2/' || failed "TERM=$term: PgDn ($pgdn) does not go to the next step"
    done
    raw '\033[5~'
    wait_for 'step 1/' || failed "TERM=$term: PgUp does not go to the previous step"
    for end in '\033[4~' '\033[F' '\033OF' '\033[8~'; do
        key g
        wait_for 'event 0/' || failed "TERM=$term: g"
        raw "$end"
        wait_for 'event ([0-9]+)/\1( |$)' || failed "TERM=$term: End ($end) does not go to the end"
    done
    for home in '\033[1~' '\033[H' '\033OH' '\033[7~'; do
        key G
        wait_for 'event ([0-9]+)/\1( |$)' || failed "TERM=$term: G"
        raw "$home"
        wait_for 'event 0/' || failed "TERM=$term: Home ($home) does not go to the start"
    done
    screen | grep -q 'Key ~' && failed "TERM=$term: a key's sequence was read as '~'"
    raw '\033[15~' # F5: named, not read as letters
    wait_for 'Key F5 does nothing' || failed "TERM=$term: F5 is not recognised"
    for f1 in '\033OP' '\033[11~'; do # F1: xterm, vt220/rxvt
        raw "$f1"
        wait_for 'Keys \(\? or Esc closes' || failed "TERM=$term: F1 ($f1) does not show the help"
        key Escape
        wait_gone 'Keys \(\? or Esc closes' || failed "TERM=$term: Esc after F1"
    done
    raw '\033[2~' # Insert sets a bookmark
    wait_for 'Bookmark set' || failed "TERM=$term: Insert does not set a bookmark"
    key q
    wait_file "$tmp/rc9$term" || failed "TERM=$term: q does not quit"
    T kill-session -t "$S"
done

[ $fail = 0 ] && echo "e2e_viewer: ok"
exit $fail
