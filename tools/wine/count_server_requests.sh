#!/usr/bin/env bash
# Counts the wineserver requests a Windows program makes, by name, from Wine's
# +server trace (docs/windows.md, question 1: where the time goes).
#
#   tools/wine/count_server_requests.sh OUT.txt PROGRAM.exe [ARGS...]
#
# Runs PROGRAM under Wine in a prefix of its own (a copy of run_test.sh's
# template, which must exist: run any Windows test once first), with
# WINEDEBUG=+server, and writes to OUT.txt one line per request name: the
# number of calls, then the name, most frequent first, and a last line
# "total N". The trace itself is large and is deleted (kept at the path in
# TOFU_KEEP_TRACE, if set). Requests made by Wine's
# own processes (wineboot, services) in that prefix are counted too; run a
# program twice with different amounts of work and take the difference to get
# the cost of the work alone.
set -euo pipefail

out="$1"
shift
WINE="${TOFU_WINE:-/usr/lib/wine/wine64}"
WINESERVER="${TOFU_WINESERVER:-/usr/lib/wine/wineserver64}"
template="${TOFU_WINEPREFIX:-/tmp/tofu-wine-$(id -u)}"
[[ -f "${template}/.tofu-ready" ]] ||
  { echo "count_server_requests.sh: no Wine template at ${template}" >&2; exit 1; }

WINEPREFIX="$(mktemp -d "${template}.run.XXXXXX")"
export WINEPREFIX
trace="$(mktemp /tmp/wine-server-trace.XXXXXX)"
cleanup() {
  "${WINESERVER}" -k 2>/dev/null || true
  rm -rf "${WINEPREFIX}"
  if [[ -n "${TOFU_KEEP_TRACE:-}" ]]; then mv "${trace}" "${TOFU_KEEP_TRACE}"; else rm -f "${trace}"; fi
}
trap cleanup EXIT
rmdir "${WINEPREFIX}"
cp -al "${template}" "${WINEPREFIX}"
for reg in "${template}"/*.reg; do
  cp --remove-destination "${reg}" "${WINEPREFIX}/${reg##*/}"
done

export WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
unset DISPLAY
rc=0
WINEDEBUG=+server "${WINE}" "$@" 2>"${trace}" || rc=$?
"${WINESERVER}" -w || true
# A request line is "tid: name( args )"; its reply is "tid: name() = STATUS".
grep -aoE '^[0-9a-f]{4}: [a-z_]+\( ' "${trace}" | sed -E 's/^[0-9a-f]+: //; s/\( $//' |
  sort | uniq -c | sort -rn >"${out}"
echo "total $(awk '{n += $1} END {print n + 0}' "${out}")" >>"${out}"
exit "${rc}"
