// Type tags let a native method verify that an object really is one of our
// wrappers before unwrapping it (a Connection passed where a Batch belongs
// must be a TypeError, not a bad cast). Connections are named by number
// instead (see ConnectionRegistry).
#pragma once

#include <node_api.h>

namespace libredis {

constexpr napi_type_tag kBatchTag = {0x6c69627265646973ull, 0x6261746368000001ull};

inline bool hasTag(napi_env env, napi_value v, const napi_type_tag& tag) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_object) return false;
  bool result = false;
  return napi_check_object_type_tag(env, v, &tag, &result) == napi_ok && result;
}

}  // namespace libredis
