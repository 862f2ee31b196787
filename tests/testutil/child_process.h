// ChildProcess: a program the test starts and stops by its own pid (killed
// and reaped at the latest when the object goes); evlog_harness's launcher,
// the one the benches, torture and loadtest use as well.

#pragma once

#include "harness/child_process.h"

namespace evlog::testutil {

using harness::ChildOptions;
using harness::ChildProcess;

}  // namespace evlog::testutil
