// Test access to the JS thread's spin policy (wait_spin.h) on a scripted
// clock, so tests check its decisions without timing anything.
#pragma once

#include <napi.h>

namespace libredis {

// waitSpinProbe(capMicros, script: number[]) -> number[]
//   script holds (op, atMicros, arg) triples:
//     0 begin: `arg` executions handed over, as flush number 1, 2, ... in
//       order of the begins; gives 1 when a spin is worth starting, else 0
//     1 wanted: gives 1 or 0
//     2 settled: an execution of flush number `arg` settled; gives the
//       moving estimate in microseconds
Napi::Value WaitSpinProbe(const Napi::CallbackInfo& info);

}  // namespace libredis
