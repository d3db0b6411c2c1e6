// Reading JS values: command arguments into the RESP encoding, and typed arrays.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace libredis {

// Appends a JS string (UTF-8) as a bulk argument.
bool appendString(napi_env env, napi_value v, std::string& out);
// The bytes of a Buffer or any Uint8Array.
bool bytesOf(napi_env env, napi_value v, const char** data, size_t* len);
// Appends a string or Uint8Array as a bulk argument; false for anything else.
bool appendArg(napi_env env, napi_value v, std::string& out);
// The elements of an Int32Array; false for anything else.
bool int32ArrayOf(napi_env env, napi_value v, const int32_t** data, size_t* len);
// Throws a TypeError with msg, unless an exception is already pending (a
// JS getter threw while its value was read): that one propagates instead,
// as throwing a second would abort the process.
void throwTypeErrorUnlessPending(napi_env env, const std::string& msg);

}  // namespace libredis
