#include "ketama_wrap.h"

#include <string>
#include <vector>

namespace libredis {

Napi::Function KetamaWrap::Init(Napi::Env env) {
  return DefineClass(env, "NativeKetama",
                     {
                         InstanceMethod<&KetamaWrap::AddServer>("addServer"),
                         InstanceMethod<&KetamaWrap::CreateContinuum>("createContinuum"),
                         InstanceMethod<&KetamaWrap::GetServerAddress>("getServerAddress"),
                         InstanceMethod<&KetamaWrap::PointCount>("pointCount"),
                         InstanceMethod<&KetamaWrap::LookupFunction>("lookupFunction"),
                     });
}

KetamaWrap::KetamaWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<KetamaWrap>(info) {}  // holds nothing else

// addServer(host, port, weight); validated in JS.
Napi::Value KetamaWrap::AddServer(const Napi::CallbackInfo& info) {
  ring_.addServer(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Uint32Value(),
                  info[2].As<Napi::Number>().Uint32Value());
  return Napi::Value();
}

Napi::Value KetamaWrap::CreateContinuum(const Napi::CallbackInfo&) {
  ring_.createContinuum();
  return Napi::Value();
}

// lookupFunction(): a function bound to this ring, so a lookup from JS skips
// unwrapping the object; the ring lives as long as the function holds `this`.
Napi::Value KetamaWrap::LookupFunction(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  napi_value fn = nullptr;
  // The function keeps the wrapper (and so the ring) alive through a
  // read-only property; it is never handed out without it. Either call can
  // fail while a worker is being terminated.
  napi_property_descriptor ring = {"ring", nullptr, nullptr, nullptr, nullptr, info.This(), napi_default, nullptr};
  if (napi_create_function(env, "getServerOrdinal", NAPI_AUTO_LENGTH, BoundLookup, &ring_, &fn) != napi_ok ||
      napi_define_properties(env, fn, 1, &ring) != napi_ok)
    return Napi::Value();
  return Napi::Value(env, fn);
}

napi_value KetamaWrap::BoundLookup(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value key;
  void* data = nullptr;
  napi_get_cb_info(env, cbinfo, &argc, &key, nullptr, &data);
  if (argc < 1) napi_get_undefined(env, &key);
  return lookup(env, key, *static_cast<KetamaRing*>(data));
}

// A hot path: raw Node-API calls, and short keys hashed from a stack buffer.
napi_value KetamaWrap::lookup(napi_env env, napi_value key, const KetamaRing& ring_) {
  int ordinal;
  char buf[256];
  size_t n = 0;
  // Strings are the common case: reading one also tells whether it is one.
  if (napi_get_value_string_utf8(env, key, buf, sizeof buf, &n) == napi_ok) {
    if (n + 4 < sizeof buf) {
      ordinal = ring_.getServerOrdinal(reinterpret_cast<const uint8_t*>(buf), n);
    } else {
      napi_get_value_string_utf8(env, key, nullptr, 0, &n);
      std::vector<char> big(n + 1);
      napi_get_value_string_utf8(env, key, big.data(), big.size(), &n);
      ordinal = ring_.getServerOrdinal(reinterpret_cast<const uint8_t*>(big.data()), n);
    }
  } else {
    bool typed = false;
    napi_is_typedarray(env, key, &typed);
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    if (!typed || napi_get_typedarray_info(env, key, &type, &len, &data, nullptr, nullptr) != napi_ok ||
        type != napi_uint8_array) {
      napi_throw_type_error(env, nullptr, "getServerOrdinal() key must be a string or a Buffer");
      return nullptr;
    }
    ordinal = ring_.getServerOrdinal(static_cast<const uint8_t*>(data), len);
  }
  napi_value result;
  napi_create_int32(env, ordinal, &result);
  return result;
}

Napi::Value KetamaWrap::GetServerAddress(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ring_.getServerAddress(info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value KetamaWrap::PointCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ring_.pointCount()));
}

}  // namespace libredis
