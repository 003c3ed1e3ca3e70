#ifndef TOFU_STRESS_SWEEP_H_
#define TOFU_STRESS_SWEEP_H_

// Runs the points of a sweep one after another: per point a fresh server half
// (unless the options --connect to a server elsewhere) and a fresh client
// half, each with its own engine, then the point's measurements.

#include <vector>

#include "stress/point.h"
#include "stress/sweep_observer.h"
#include "stress/sweep_options.h"
#include "tofu/tofu.h"

namespace tofu::stress {

// What each engine of a point (server and client alike) is created with: a
// pool of PoolMessagesFor(spec, --pool_messages) messages (initial = max) and
// --receive_spin if given.
Options EngineOptionsFor(const PointSpec& spec, const SweepOptions& options);

// Runs PlanPoints(options) in order, each point to the end, and stops after
// the first point that fails. Failures (violations, unexpected engine
// statuses, resource errors, timeouts naming what they waited for) come back
// in the results' violations, never as a crash. `observer` may be null. Not
// for --listen (the server-only half). Blocks; call from one thread.
std::vector<PointResult> RunSweep(const SweepOptions& options,
                                  SweepObserver* observer);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_SWEEP_H_
