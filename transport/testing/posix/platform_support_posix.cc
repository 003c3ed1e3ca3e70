#include "transport/testing/platform_support.h"

namespace tofu {

bool RunningUnderWine() { return false; }

}  // namespace tofu
