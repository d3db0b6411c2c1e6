#include "connection_wrap.h"

#include "addon.h"
#include "command_encoder.h"
#include "js_args.h"

namespace libredis {

Napi::Function ConnectionWrap::Init(Napi::Env env) {
  return DefineClass(env, "NativeConnection", {InstanceMethod<&ConnectionWrap::Close>("close")});
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
  if (info.Length() > 5 && info[5].IsArray()) {
    Napi::Array commands = info[5].As<Napi::Array>();
    std::string out;
    for (uint32_t c = 0; c < commands.Length(); c++) {
      Napi::Value cmd = commands.Get(c);
      if (!cmd.IsArray() || cmd.As<Napi::Array>().Length() == 0) {
        Napi::TypeError::New(env, "handshake commands must be non-empty arrays").ThrowAsJavaScriptException();
        return;
      }
      Napi::Array args = cmd.As<Napi::Array>();
      appendArrayHeader(out, args.Length());
      for (uint32_t k = 0; k < args.Length(); k++) {
        if (!appendArg(env, args.Get(k), out)) {
          Napi::TypeError::New(env, "handshake arguments must be strings").ThrowAsJavaScriptException();
          return;
        }
      }
    }
    state_->setHandshake(std::move(out), commands.Length());
  }
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
