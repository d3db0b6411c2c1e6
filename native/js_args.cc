#include "js_args.h"

#include "command_buffers.h"
#include "command_encoder.h"

namespace libredis {

// Appends a JS string as a bulk argument, UTF-8 encoded. Short strings go
// through a stack buffer in one call; V8 never leaves more than 3 bytes
// unused when it truncates, so a shorter result is known to be complete.
bool appendString(napi_env env, napi_value v, std::string& out) {
  char buf[256];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, buf, sizeof buf, &n) != napi_ok) return false;
  if (n + 4 < sizeof buf) {
    appendBulk(out, buf, n);
    return true;
  }
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok) return false;
  roomForCommandBytes(out, n + 32);
  appendBulkHeader(out, n);
  size_t at = out.size();
  out.resize(at + n + 1);
  napi_get_value_string_utf8(env, v, &out[at], n + 1, &n);
  out.resize(at + n);
  out.append("\r\n", 2);
  return true;
}

// Bytes of a Buffer or any Uint8Array.
bool bytesOf(napi_env env, napi_value v, const char** data, size_t* len) {
  bool isTyped = false;
  if (napi_is_typedarray(env, v, &isTyped) != napi_ok || !isTyped) return false;
  napi_typedarray_type type;
  void* p = nullptr;
  if (napi_get_typedarray_info(env, v, &type, len, &p, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  *data = static_cast<const char*>(p);
  return true;
}

bool appendArg(napi_env env, napi_value v, std::string& out) {
  napi_valuetype t = napi_undefined;
  napi_typeof(env, v, &t);
  if (t == napi_string) return appendString(env, v, out);
  const char* data;
  size_t len;
  if (t == napi_object && bytesOf(env, v, &data, &len)) {
    roomForCommandBytes(out, len + 32);  // "$<len>\r\n" + data + "\r\n"
    appendBulk(out, data, len);
    return true;
  }
  return false;
}

bool int32ArrayOf(napi_env env, napi_value v, const int32_t** data, size_t* len) {
  napi_typedarray_type type;
  void* p = nullptr;
  if (napi_get_typedarray_info(env, v, &type, len, &p, nullptr, nullptr) != napi_ok || type != napi_int32_array)
    return false;
  *data = static_cast<const int32_t*>(p);
  return true;
}

void throwTypeErrorUnlessPending(napi_env env, const std::string& msg) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_type_error(env, nullptr, msg.c_str());
}

}  // namespace libredis
