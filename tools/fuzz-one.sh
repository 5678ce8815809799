#!/usr/bin/env bash
# fuzz-one.sh GO PKG TARGET FUZZTIME: runs one fuzz target. go1.26's fuzz
# coordinator can fail a run with a bare "context deadline exceeded" at the
# -fuzztime boundary on a loaded machine (golang/go#75804, fixed in go1.27):
# no input failed, none is written. Such a run is retried once; any other
# failure, and one that writes a failing input, fails.
set -uo pipefail
go_bin=$1 pkg=$2 target=$3 fuzztime=$4
for attempt in 1 2; do
	log=$(mktemp)
	"$go_bin" test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	if [ "$status" = 0 ]; then rm -f "$log"; exit 0; fi
	if [ "$attempt" = 1 ] && grep -q 'context deadline exceeded' "$log" && ! grep -q -e 'Failing input written' -e 'panic:' "$log"; then
		echo "fuzz: $target stopped with go1.26's fuzztime-deadline race (golang/go#75804), no failing input: running it again"
		rm -f "$log"
		continue
	fi
	rm -f "$log"
	exit "$status"
done
