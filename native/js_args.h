// Reading command arguments from JS values into the RESP encoding.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <string>

namespace libredis {

// Appends a JS string (UTF-8) as a bulk argument.
bool appendString(napi_env env, napi_value v, std::string& out);
// The bytes of a Buffer or any Uint8Array.
bool bytesOf(napi_env env, napi_value v, const char** data, size_t* len);
// Appends a string or Uint8Array as a bulk argument; false for anything else.
bool appendArg(napi_env env, napi_value v, std::string& out);

}  // namespace libredis
