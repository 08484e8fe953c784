#!/bin/sh
# Every run has a budget no scenario escapes: steps (work that records
# nothing), memory (the timeline, tasks and variables) and the simulator's
# own CPU time.  Each case runs under `timeout`, so the test itself proves
# that the run ends, and checks the note that names the limit.
set -u
IOSIM=${IOSIM:-./iosim}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# ends SECONDS FILE PATTERN [OPTION...]: --stats exits 0 within SECONDS and
# says why it stopped
ends() {
    secs=$1 f=$2 pat=$3
    shift 3
    timeout "$secs" "$IOSIM" --stats "$@" "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 0 ] || ! grep -Eq "$pat" "$tmp/out"; then
        bad "$(basename "$f") $*: rc=$rc (124: still running after ${secs}s), $(tail -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"
    fi
}
loop() { # loop BODY: a process that does BODY forever
    printf 'process p {\n    loop {\n        %s\n    }\n}\n' "$1"
}
# a lone computing task records no events: the steps stop it
loop "compute 1ns" >"$tmp/compute1.scn"
ends 30 "$tmp/compute1.scn" "^# stopped after 200000000 steps .*--steps"
ends 10 "$tmp/compute1.scn" "^# stopped after 1000 steps" --steps 1000
{ printf 'machine {\n    steps 5000\n}\n'; loop "sleep 1ns"; } >"$tmp/steps.scn"
ends 10 "$tmp/steps.scn" "^# stopped after 5000 steps"
# the simulator's CPU time, when the steps are raised out of the way
ends 20 "$tmp/compute1.scn" "^# stopped after 1 s of the simulator's own CPU time" \
    --cpu-limit 1 --steps 10000000000
# memory: a timeline of pipes (two objects and two fds each)
{ printf 'machine {\n    events 50000000\n}\n'; loop "r, w = pipe"; } >"$tmp/pipes.scn"
ends 60 "$tmp/pipes.scn" "^# stopped at the memory limit: .* more than 1024 MiB .*--memory"
ends 30 "$tmp/pipes.scn" "^# stopped at the memory limit: .* more than 64 MiB" --memory 64M
# memory: variables copied by every fork
python3 -c '
print("process p {")
for i in range(20000): print("    v%d = set %d" % (i, i))
print("    loop {\n        pid = fork {\n            sleep 1s\n        }\n    }\n}")' >"$tmp/forkvars.scn"
ends 60 "$tmp/forkvars.scn" "^# stopped at the memory limit"
{ printf 'machine {\n    memory 16M\n}\n'; sed 1d "$tmp/forkvars.scn" | sed '1i process p {'; } >"$tmp/forkvars16.scn"
ends 30 "$tmp/forkvars16.scn" "^# stopped at the memory limit: .* more than 16 MiB"
# tasks made at one instant reach the task limit fast (no walk along a list)
for kind in "k = fork" "k = thread" "co = coroutine"; do
    printf 'process p {\n    loop {\n        %s {\n            sleep 1s\n        }\n    }\n}\n' "$kind" >"$tmp/create.scn"
    timeout 20 "$IOSIM" --check "$tmp/create.scn" 2>"$tmp/err"; rc=$?
    [ $rc -eq 2 ] && grep -q "more than 40000 tasks" "$tmp/err" || bad "$kind loop: rc=$rc $(cat "$tmp/err")"
done
# a frame over a process with 400,000 pipes is drawn in time linear in
# its fds (it was quadratic: 18 s for this one)
{ printf 'machine {\n    events 800000\n}\n'; loop "r, w = pipe"; } >"$tmp/pipes800k.scn"
timeout 20 "$IOSIM" --screen 132x43@800000 "$tmp/pipes800k.scn" >"$tmp/out" 2>"$tmp/err" &&
    grep -q "Buffers: kernel and user" "$tmp/out" || bad "a frame over 400,000 pipes: rc=$? $(head -c 300 "$tmp/err")"
# 99,990 variables parse in time linear in their number (each bind was a
# scan of the list: 26 s); a misspelt one is still found and suggested
python3 -c '
print("process p {")
for i in range(99990): print("    v%d = set %d" % (i, i))
print("    x = set v99989\n    y = set v9998\n}")' >"$tmp/vars.scn"
timeout 10 "$IOSIM" --check "$tmp/vars.scn" 2>"$tmp/err" || bad "99,990 variables: rc=$? $(head -c 300 "$tmp/err")"
sed 's/    y = set v9998$/    y = set v99999x/' "$tmp/vars.scn" >"$tmp/vars2.scn"
timeout 10 "$IOSIM" --check "$tmp/vars2.scn" 2>"$tmp/err"
grep -q "unknown variable 'v99999x'" "$tmp/err" || bad "a misspelt variable among 99,990: $(head -c 300 "$tmp/err")"
# the options and settings take only what they document
for arg in "--steps 0" "--steps x" "--steps 10000000001" "--memory 1K" \
           "--memory 65G" "--memory 4X" "--memory -1G" "--cpu-limit 0" \
           "--cpu-limit 86401" "--cpu-limit 1.5"; do
    # shellcheck disable=SC2086
    "$IOSIM" $arg --check scenarios/blocking.scn 2>"$tmp/err"; rc=$?
    [ $rc -eq 2 ] && grep -q "^iosim: error: ${arg%% *} takes" "$tmp/err" || bad "$arg: rc=$rc $(cat "$tmp/err")"
done
"$IOSIM" --memory 4G --steps 1000000 --cpu-limit 5 --check scenarios/blocking.scn || bad "good budget options refused"
printf 'machine {\n    memory 512K\n}\nprocess p {\n    compute 1ms\n}\n' >"$tmp/mem.scn"
"$IOSIM" --check "$tmp/mem.scn" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "mem.scn:2:12: error: memory must be between" "$tmp/err" || bad "memory 512K: rc=$rc $(cat "$tmp/err")"
[ $fail -eq 0 ] && echo "budget: all cases ok"
exit $fail
