#!/usr/bin/env bash
# --run_under wrapper for --config=windows: runs a mingw-built .exe under Wine 8.
#
# One Wine prefix per user, created once under a lock (parallel tests would otherwise race
# to create it). Bazel hands the test Linux paths for its XML report, which a Windows
# program cannot open, so those variables are dropped and Bazel writes its default report.
set -euo pipefail

WINE="${TOFU_WINE:-/usr/lib/wine/wine64}"
WINESERVER="${TOFU_WINESERVER:-/usr/lib/wine/wineserver64}"
[[ -x "${WINE}" ]] || { echo "run_test.sh: ${WINE} not found; run tools/setup.sh" >&2; exit 127; }

export WINEPREFIX="${TOFU_WINEPREFIX:-/tmp/tofu-wine-$(id -u)}"
export WINEDEBUG=-all
# winedbg disabled: a crashing test ends at once (and fails) instead of hanging
# in the debugger until Bazel's timeout.
export WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
export WINESERVER
unset GTEST_OUTPUT XML_OUTPUT_FILE DISPLAY

(
  flock 9
  if [[ ! -f "${WINEPREFIX}/.tofu-ready" ]]; then
    echo "run_test.sh: creating Wine prefix ${WINEPREFIX}" >&2
    # 9>&-: the wineserver these start must not inherit (and so hold) the lock.
    "${WINE}" wineboot --init >/dev/null 2>&1 9>&- || { echo "run_test.sh: wineboot failed" >&2; exit 1; }
    # Let the new prefix's first-start processes finish before any test runs.
    "${WINESERVER}" -w 9>&- || true
    touch "${WINEPREFIX}/.tofu-ready"
  fi
  # A persistent wineserver keeps every later start fast; `wineserver -k` ends it.
  "${WINESERVER}" -p 2>/dev/null 9>&- || true
) 9>"${WINEPREFIX}.lock"

exe="$1"
shift
echo "run_test.sh: running $(basename "${exe}") under Wine ($("${WINE}" --version))" >&2
exec "${WINE}" "${exe}" "$@"
