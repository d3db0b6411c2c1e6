// Test access to the JS thread's spin policy (wait_spin.h) on a scripted
// clock, so tests check its decisions without timing anything.
#pragma once

#include <napi.h>

namespace libredis {

// waitSpinProbe(capMicros, script: number[]) -> number[]
//   script holds (op, atMicros) pairs: op 0 begin with replies owed, 1 begin
//   with none, 2 wanted, 3 end. Each op gives one number: 1 or 0 for begin
//   and wanted, the moving estimate in microseconds for end.
Napi::Value WaitSpinProbe(const Napi::CallbackInfo& info);

}  // namespace libredis
