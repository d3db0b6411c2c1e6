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
  uint64_t flushes = 0;
  for (uint32_t i = 0, n = 0; i + 2 < script.Length(); i += 3, n++) {
    double v[3];
    for (uint32_t k = 0; k < 3; k++) {
      Napi::Value e = script.Get(i + k);
      if (env.IsExceptionPending()) return env.Undefined();
      if (!e.IsNumber()) {
        Napi::TypeError::New(env, "waitSpinProbe: the script holds numbers").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      v[k] = e.As<Napi::Number>().DoubleValue();
    }
    const Clock::time_point now = origin + micros(v[1]);
    double result = 0;
    switch (static_cast<int>(v[0])) {
      case 0:
        result = spin.begin(now, static_cast<size_t>(v[2]), ++flushes);
        break;
      case 1:
        result = spin.wanted(now);
        break;
      case 2:
        spin.settled(now, static_cast<uint64_t>(v[2]));
        result = static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(spin.estimate()).count());
        break;
      default:
        Napi::RangeError::New(env, "waitSpinProbe: op is 0-2").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    out.Set(n, Napi::Number::New(env, result));
  }
  return out;
}

}  // namespace libredis
