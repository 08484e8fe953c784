#!/bin/sh
# Run every test binary given as arguments, then the end-to-end scripts
# (tests/e2e_*.sh, which get the iosim binary as $IOSIM). A script that
# exits 77 is skipped. Prints one closing line "N passed, N failed".
set -u
B=${B:-build}
pass=0 fail=0 skip=0
for t in "$@"; do
    echo "== $t"
    if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t"; fi
done
for t in tests/e2e_*.sh; do
    [ -e "$t" ] || continue
    echo "== $t"
    IOSIM="$B/iosim" sh "$t"
    rc=$?
    if [ $rc -eq 0 ]; then pass=$((pass + 1))
    elif [ $rc -eq 77 ]; then skip=$((skip + 1)); echo "skipped: $t"
    else fail=$((fail + 1)); echo "FAILED: $t"; fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
