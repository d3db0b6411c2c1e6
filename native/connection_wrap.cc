#include "connection_wrap.h"

#include <string>
#include <vector>

#include "addon.h"
#include "command_encoder.h"
#include "js_args.h"

namespace libredis {

Napi::Function ConnectionWrap::Init(Napi::Env env) {
  return DefineClass(env, "NativeConnection", {InstanceMethod<&ConnectionWrap::Close>("close")});
}

// The handshake commands, an array of arrays of strings, encoded for
// state_. Raw calls, with every element read before anything is encoded: a
// getter may throw (its exception propagates) or change a length already
// read. False when it threw (an exception is pending).
bool ConnectionWrap::readHandshake(napi_env env, napi_value list) {
  uint32_t count = 0;
  napi_get_array_length(env, list, &count);
  // Grown as read, so a huge sparse array is refused at its first hole
  // rather than allocated for.
  std::vector<std::vector<napi_value>> commands;
  for (uint32_t c = 0; c < count; c++) {
    napi_value cmd;
    bool isArray = false;
    uint32_t len = 0;
    if (napi_get_element(env, list, c, &cmd) != napi_ok || napi_is_array(env, cmd, &isArray) != napi_ok || !isArray ||
        napi_get_array_length(env, cmd, &len) != napi_ok || len == 0) {
      throwTypeErrorUnlessPending(env, "handshake commands must be non-empty arrays");
      return false;
    }
    commands.emplace_back();
    for (uint32_t k = 0; k < len; k++) {
      napi_value arg;
      napi_valuetype t = napi_undefined;
      if (napi_get_element(env, cmd, k, &arg) != napi_ok || napi_typeof(env, arg, &t) != napi_ok || t != napi_string) {
        throwTypeErrorUnlessPending(env, "handshake arguments must be strings");
        return false;
      }
      commands.back().push_back(arg);
    }
  }
  std::string out;
  for (const auto& args : commands) {
    appendArrayHeader(out, args.size());
    for (napi_value v : args) appendArg(env, v, out);  // strings: cannot fail
  }
  state_->setHandshake(std::move(out), static_cast<uint32_t>(commands.size()));
  return true;
}

// new NativeConnection(isUnix, hostOrPath, port, label, maxBulkBytes?,
// handshake?: Array<Array<string>>); validated in JS. The handshake commands
// (AUTH, SELECT) are sent first on every new socket.
ConnectionWrap::ConnectionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ConnectionWrap>(info) {
  // napi_wrap failed (a worker being terminated): nothing would ever free
  // what this constructor acquires, so acquire nothing.
  if (IsEmpty()) return;
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsBoolean() || !info[1].IsString() || !info[2].IsNumber() || !info[3].IsString()) {
    Napi::TypeError::New(env, "NativeConnection(isUnix, host, port, label)").ThrowAsJavaScriptException();
    return;
  }
  Address addr;
  addr.isUnix = info[0].As<Napi::Boolean>().Value();
  addr.host = info[1].As<Napi::String>().Utf8Value();
  addr.port = static_cast<uint16_t>(info[2].As<Napi::Number>().Uint32Value());
  addr.label = info[3].As<Napi::String>().Utf8Value();
  ParserLimits limits;
  if (info.Length() > 4 && info[4].IsNumber()) {
    double max = info[4].As<Napi::Number>().DoubleValue();
    if (max >= 0 && max <= 0xffffffff) limits.maxBulkBytes = static_cast<uint64_t>(max);
  }
  state_ = std::make_shared<ConnState>(std::move(addr), limits);
  if (info.Length() > 5 && info[5].IsArray() && !readHandshake(env, info[5])) return;
  Addon* addon = env.GetInstanceData<Addon>();
  loop_ = addon->loop(env);
  registry_ = addon->registry();
  id_ = registry_->add(state_);
  // What JS passes to call/get/submit to name this connection.
  info.This().As<Napi::Object>().DefineProperty(
      Napi::PropertyDescriptor::Value("id", Napi::Number::New(env, id_), napi_enumerable));
}

ConnectionWrap::~ConnectionWrap() {
  if (registry_) registry_->remove(id_);
  if (loop_ && state_) loop_->closeConnection(std::move(state_), false, std::string());
}

// close(reason): fails whatever is pending on it and closes the socket; the
// next execute reconnects.
Napi::Value ConnectionWrap::Close(const Napi::CallbackInfo& info) {
  if (!loop_ || !state_) return Napi::Value();  // never fully constructed
  std::string reason = "connection to " + state_->address().label + " was closed by the client";
  if (info.Length() > 0 && info[0].IsString()) reason = info[0].As<Napi::String>().Utf8Value();
  loop_->closeConnection(state_, true, reason);
  return Napi::Value();
}

}  // namespace libredis
