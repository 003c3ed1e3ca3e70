#!/usr/bin/env bash
# --run_under wrapper for --config=tsan: runs the test with TSan's options and one
# suppression for a known false positive in abseil 20220623 (not in our code):
#
# absl::Mutex creates a thread's identity (LowLevelAlloc -> mmap) inside the section its
# TSan annotations tell TSan to ignore, so TSan never sees that memory published; the
# first wake-up of that thread (Waiter::Post) is then reported as racing with the mmap.
# The suppression matches only reports whose stack contains Waiter::Post.
set -euo pipefail
supp="${TEST_TMPDIR:-$(mktemp -d)}/tsan.supp"
cat >"${supp}" <<'SUPP'
race:absl::*::synchronization_internal::Waiter::Post
SUPP
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=${supp}${TSAN_OPTIONS:+:${TSAN_OPTIONS}}"
exec "$@"
