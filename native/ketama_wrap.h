// JS handle for a Ketama ring.
#pragma once

#include <napi.h>

#include "ketama.h"

namespace libredis {

class KetamaWrap : public Napi::ObjectWrap<KetamaWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit KetamaWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value AddServer(const Napi::CallbackInfo& info);
  Napi::Value CreateContinuum(const Napi::CallbackInfo& info);
  Napi::Value GetServerAddress(const Napi::CallbackInfo& info);
  Napi::Value PointCount(const Napi::CallbackInfo& info);
  Napi::Value OrdinalForHash(const Napi::CallbackInfo& info);
  Napi::Value LookupFunction(const Napi::CallbackInfo& info);
  Napi::Value Ordinals(const Napi::CallbackInfo& info);
  Napi::Value OrdinalsJoined(const Napi::CallbackInfo& info);
  static napi_value BoundLookup(napi_env env, napi_callback_info info);
  static napi_value lookup(napi_env env, napi_value key, const KetamaRing& ring);

  KetamaRing ring_;
};

}  // namespace libredis
