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
  Napi::Value GetServerOrdinal(const Napi::CallbackInfo& info);
  Napi::Value GetServerAddress(const Napi::CallbackInfo& info);
  Napi::Value PointCount(const Napi::CallbackInfo& info);

  KetamaRing ring_;
};

}  // namespace libredis
