#!/usr/bin/env bash
# Records every method from a real run into assets/recordings/METHOD.json, the
# traces that `copyscope replay` and the GUI's Open recording list use where
# there is no root. Needs root (live capture) and a built copyscope.
#
#   scripts/make-recordings.sh                 # every method in `copyscope list --json`
#   scripts/make-recordings.sh read_write      # just these
#   COPYSCOPE=build-x/copyscope SIZE=2M scripts/make-recordings.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${COPYSCOPE:-build/copyscope}
size=${SIZE:-4M}
buffer=${BUFFER:-64K}
limit_kib=${LIMIT_KIB:-6144}  # all recordings together stay under a few MB
out=assets/recordings

if [ ! -x "$bin" ]; then
	echo "make-recordings: $bin is missing: build first (cmake -S . -B build && cmake --build build)" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "make-recordings: live capture needs root (try: sudo $0)" >&2
	exit 2
fi

if [ $# -gt 0 ]; then
	methods=("$@")
else
	# Methods this machine can run ("available": true; keys come sorted, so it precedes "name").
	mapfile -t methods < <("$bin" list --json | awk -F'"' '
		/"available":/ { avail = ($0 ~ /true/) }
		/"name":/ { if (avail) print $4; avail = 1 }')
fi
mkdir -p "$out"

failed=()
for m in "${methods[@]}"; do
	tmp="$out/.$m.json.tmp"
	if "$bin" run "$m" --size "$size" --buffer "$buffer" --cache cold --trace "$tmp" --json >/dev/null; then
		# A recording must replay to the summary it was made with.
		"$bin" replay "$tmp" --json >/dev/null
		mv "$tmp" "$out/$m.json"
		printf 'make-recordings: %-22s %6s KiB\n' "$m" "$(( $(stat -c %s "$out/$m.json") / 1024 ))"
	else
		rm -f "$tmp"
		failed+=("$m")
		echo "make-recordings: $m did not run here; its recording was left as it was" >&2
	fi
done

total_kib=$(( $(cat "$out"/*.json 2>/dev/null | wc -c) / 1024 ))
echo "make-recordings: $(ls "$out"/*.json 2>/dev/null | wc -l) recordings, ${total_kib} KiB in $out"
if [ "$total_kib" -gt "$limit_kib" ]; then
	echo "make-recordings: over the ${limit_kib} KiB budget: use a smaller SIZE" >&2
	exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "make-recordings: not recorded: ${failed[*]}" >&2
	exit 1
fi
