// JS handle for a connection. The socket itself lives on the poll thread
// (ConnState); this only names it and closes it when JS lets go.
#pragma once

#include <napi.h>

#include <memory>

#include "connection.h"
#include "connection_registry.h"
#include "poll_loop.h"

namespace libredis {

class ConnectionWrap : public Napi::ObjectWrap<ConnectionWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit ConnectionWrap(const Napi::CallbackInfo& info);
  ~ConnectionWrap() override;

 private:
  bool readHandshake(napi_env env, napi_value list);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::shared_ptr<PollLoop> loop_;
  std::shared_ptr<ConnState> state_;
  std::shared_ptr<ConnectionRegistry> registry_;
  double id_ = 0;
};

}  // namespace libredis
