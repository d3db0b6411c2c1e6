#include "ketama_wrap.h"

#include <cstring>
#include <string>
#include <vector>

#include "md5.h"

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

namespace {

// Reads a key of at most kMd5OneBlockMax ASCII characters (the usual kind)
// into block as an MD5 block ready for md5FirstWordInBlock: the key, then
// zeros to byte 63. It is read as UTF-16, a plain widening copy in V8 and
// much cheaper than its UTF-8 writer, then narrowed. False for anything
// else: not a string, longer, or not ASCII; block is then untouched.
bool readShortAscii(napi_env env, napi_value key, uint8_t block[64], size_t* len) {
  char16_t wide[kMd5OneBlockMax + 2];  // room to tell a 55-unit key from a longer one
  size_t n = 0;
  if (napi_get_value_string_utf16(env, key, wide, sizeof wide / sizeof wide[0], &n) != napi_ok || n > kMd5OneBlockMax)
    return false;
  char16_t any = 0;
  for (size_t i = 0; i < n; ++i) any |= wide[i];
  if (any >= 0x80) return false;
  std::memset(block, 0, 64);
  for (size_t i = 0; i < n; ++i) block[i] = static_cast<uint8_t>(wide[i]);
  *len = n;
  return true;
}

}  // namespace

// A hot path: raw Node-API calls, and short keys hashed where they were read.
napi_value KetamaWrap::lookup(napi_env env, napi_value key, const KetamaRing& ring_) {
  int ordinal;
  uint8_t buf[256];
  size_t n = 0;
  if (readShortAscii(env, key, buf, &n)) {
    ordinal = ring_.ordinalForHash(md5FirstWordInBlock(buf, n));
  } else if (napi_get_value_string_utf8(env, key, reinterpret_cast<char*>(buf), sizeof buf, &n) == napi_ok) {
    // Other strings (not ASCII, or long) go through the UTF-8 writer.
    if (n + 4 < sizeof buf) {
      ordinal = ring_.getServerOrdinal(buf, n);
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
