#!/usr/bin/env bash
# --run_under wrapper for --config=windows: runs a mingw-built .exe under Wine 8.
#
# One template Wine prefix per user, created once under a lock (parallel tests would
# otherwise race to create it). Each program then runs in its own prefix, a copy of the
# template (hard links, and 2 MB of registry copied: a few milliseconds), and so with
# its own wineserver. A shared wineserver does not work under Bazel: when a test ends,
# Bazel ends every process it started, the wineserver too if that test started it, and
# a test still running in parallel on that server then dies mid-run ("wine client
# error ... Connection reset by peer", or a hang with its threads left waiting on it).
#
# Bazel hands the test Linux paths for its XML report, which a Windows program cannot
# open, so those variables are dropped and Bazel writes its default report.
set -euo pipefail

WINE="${TOFU_WINE:-/usr/lib/wine/wine64}"
WINESERVER="${TOFU_WINESERVER:-/usr/lib/wine/wineserver64}"
[[ -x "${WINE}" ]] || { echo "run_test.sh: ${WINE} not found; run tools/setup.sh" >&2; exit 127; }

template="${TOFU_WINEPREFIX:-/tmp/tofu-wine-$(id -u)}"
export WINEDEBUG=-all
# winedbg disabled: a crashing test ends at once (and fails) instead of hanging
# in the debugger until Bazel's timeout.
export WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
export WINESERVER
unset GTEST_OUTPUT XML_OUTPUT_FILE DISPLAY

(
  flock 9
  if [[ ! -f "${template}/.tofu-ready" ]]; then
    echo "run_test.sh: creating Wine prefix ${template}" >&2
    # 9>&-: the wineserver these start must not inherit (and so hold) the lock.
    WINEPREFIX="${template}" "${WINE}" wineboot --init >/dev/null 2>&1 9>&- ||
      { echo "run_test.sh: wineboot failed" >&2; exit 1; }
    # Let the new prefix's first-start processes finish and its server exit.
    WINEPREFIX="${template}" "${WINESERVER}" -w 9>&- || true
    touch "${template}/.tofu-ready"
  fi
  # Prefixes of programs that did not clean up (Bazel kills a test that times
  # out before its cleanup runs); no test runs for two hours.
  find "${template%/*}" -maxdepth 1 -name "${template##*/}.run.*" -mmin +120 \
    -exec rm -rf {} + 2>/dev/null || true
) 9>"${template}.lock"

# Next to the template, so the hard links stay on one file system. The registry
# files are copied, not linked: wineserver rewrites a file with several links in
# place, which would change the template under every other test.
WINEPREFIX="$(mktemp -d "${template}.run.XXXXXX")"
export WINEPREFIX
cleanup() {
  "${WINESERVER}" -k 2>/dev/null || true  # this prefix's server and services
  rm -rf "${WINEPREFIX}"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
rmdir "${WINEPREFIX}"
cp -al "${template}" "${WINEPREFIX}"
for reg in "${template}"/*.reg; do
  cp --remove-destination "${reg}" "${WINEPREFIX}/${reg##*/}"
done

exe="$1"
shift
echo "run_test.sh: running $(basename "${exe}") under Wine ($("${WINE}" --version))" >&2
# Not exec: the cleanup trap must run after the program. Its exit status is the
# script's (set -e).
"${WINE}" "${exe}" "$@"
