#include "wait_spin_probe.h"

#include <chrono>

#include "wait_spin.h"

namespace libredis {

Napi::Value WaitSpinProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsArray()) {
    Napi::TypeError::New(env, "waitSpinProbe(capMicros, script)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  using Clock = WaitSpin::Clock;
  const auto micros = [](double us) { return std::chrono::microseconds(static_cast<int64_t>(us)); };
  WaitSpin spin(micros(info[0].As<Napi::Number>().DoubleValue()));
  Napi::Array script = info[1].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env);
  const Clock::time_point origin{};
  for (uint32_t i = 0, n = 0; i + 1 < script.Length(); i += 2, n++) {
    Napi::Value op = script.Get(i);
    Napi::Value at = script.Get(i + 1);
    if (env.IsExceptionPending()) return env.Undefined();
    if (!op.IsNumber() || !at.IsNumber()) {
      Napi::TypeError::New(env, "waitSpinProbe: the script holds numbers").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const Clock::time_point now = origin + micros(at.As<Napi::Number>().DoubleValue());
    double result = 0;
    switch (op.As<Napi::Number>().Int32Value()) {
      case 0:
        result = spin.begin(now, true);
        break;
      case 1:
        result = spin.begin(now, false);
        break;
      case 2:
        result = spin.wanted(now);
        break;
      case 3:
        spin.end(now);
        result = static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(spin.estimate()).count());
        break;
      default:
        Napi::RangeError::New(env, "waitSpinProbe: op is 0-3").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    out.Set(n, Napi::Number::New(env, result));
  }
  return out;
}

}  // namespace libredis
