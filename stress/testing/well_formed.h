#ifndef TOFU_STRESS_TESTING_WELL_FORMED_H_
#define TOFU_STRESS_TESTING_WELL_FORMED_H_

// Strict checks that a writer's output parses, for the report tests: enough of
// XML 1.0 and JSON (RFC 8259) to reject anything a browser or a JSON reader
// would, without the rest of those standards. Pure functions.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tofu::stress::testing {

// An optional <?xml ...?> declaration, then exactly one element; tags nested
// and matched, attributes quoted and unique per element, `&` only in the five
// predefined or numeric references, no `<` in text or attribute values,
// comments allowed. invalid_argument with the offset of the first problem.
absl::Status CheckXml(absl::string_view text);

// Exactly one JSON value (surrounding whitespace allowed).
absl::Status CheckJson(absl::string_view text);

}  // namespace tofu::stress::testing

#endif  // TOFU_STRESS_TESTING_WELL_FORMED_H_
