// Per-environment state (main thread and each worker get their own), so no
// global is shared between workers by accident.
#pragma once

#include <napi.h>

#include <memory>

#include "connection_registry.h"
#include "job.h"
#include "poll_loop.h"

namespace libredis {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);
  ~Addon();

  // The environment's poll loop, created on first use; its thread starts on
  // the first execute.
  std::shared_ptr<PollLoop> loop(Napi::Env env);
  // Shared with every ConnectionWrap, which may outlive this at teardown.
  const std::shared_ptr<ConnectionRegistry>& registry() const { return registry_; }

 private:
  Napi::Value Submit(const Napi::CallbackInfo& info);
  Napi::Value Call(const Napi::CallbackInfo& info);
  Napi::Value CallBuffer(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value GetBuffer(const Napi::CallbackInfo& info);
  Napi::Value CallWith(const Napi::CallbackInfo& info, ValueMode mode, bool isGet);
  const std::shared_ptr<ConnState>* connectionFor(napi_env env, napi_value id) const;
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value SpinStep(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  static void cleanup(void* arg);
  std::shared_ptr<PollLoop> runningLoop(Napi::Env env);
  static bool arm(napi_env env, Execution* exec, uint32_t timeoutMs, napi_value* promise);

  std::shared_ptr<PollLoop> loop_;
  std::shared_ptr<ConnectionRegistry> registry_ = std::make_shared<ConnectionRegistry>();
};

}  // namespace libredis
