// JS handle for a batch: encodes commands into a buffer owned here, and holds
// the packed replies of its last execution until JS takes them.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "job.h"

namespace libredis {

class BatchWrap : public Napi::ObjectWrap<BatchWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit BatchWrap(const Napi::CallbackInfo& info);

  // Used by submit(): the batch's commands move into a Job.
  bool busy() const { return busy_; }
  void setBusy(bool busy) { busy_ = busy; }
  std::string takeCommands() {
    std::string out;
    out.swap(out_);
    return out;
  }
  uint32_t takeCount() {
    uint32_t n = count_;
    count_ = 0;
    return n;
  }

  // The poll loop is done with the job (JS thread).
  void acceptResult(std::unique_ptr<Job> job);

 private:
  Napi::Value appendFixed(const Napi::CallbackInfo& info, const char* head, size_t headLen, size_t nargs,
                          const char* usage);
  Napi::Value Cmd(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Set(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value AppendQueued(const Napi::CallbackInfo& info);
  Napi::Value AppendJoined(const Napi::CallbackInfo& info);
  Napi::Value TakeResult(const Napi::CallbackInfo& info);
  Napi::Value Pending(const Napi::CallbackInfo& info);

  std::string out_;
  uint32_t count_ = 0;
  bool busy_ = false;
  std::unique_ptr<Job> result_;
};

}  // namespace libredis
