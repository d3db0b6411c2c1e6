#include "addon.h"

#include <chrono>

#include "batch_wrap.h"
#include "command_buffers.h"
#include "command_encoder.h"
#include "connection_wrap.h"
#include "js_args.h"
#include "ketama_wrap.h"
#include "parser_probe.h"
#include "type_tags.h"
#include "wait_spin_probe.h"

namespace libredis {

Addon::Addon(Napi::Env env, Napi::Object exports) {
  DefineAddon(exports, {
                           InstanceMethod<&Addon::Submit>("submit"),
                           InstanceMethod<&Addon::Call>("call"),
                           InstanceMethod<&Addon::CallBuffer>("callBuffer"),
                           InstanceMethod<&Addon::Get>("get"),
                           InstanceMethod<&Addon::GetBuffer>("getBuffer"),
                           InstanceMethod<&Addon::Flush>("flush"),
                           InstanceMethod<&Addon::SpinStep>("spinStep"),
                           InstanceMethod<&Addon::Stats>("stats"),
                           InstanceValue("parseChunks", Napi::Function::New(env, ParseChunks, "parseChunks")),
                           InstanceValue("waitSpinProbe", Napi::Function::New(env, WaitSpinProbe, "waitSpinProbe")),
                           InstanceValue("NativeBatch", BatchWrap::Init(env)),
                           InstanceValue("NativeConnection", ConnectionWrap::Init(env)),
                           InstanceValue("NativeKetama", KetamaWrap::Init(env)),
                       });
}

Addon::~Addon() {
  if (loop_) {
    napi_remove_env_cleanup_hook(loop_->env(), cleanup, loop_.get());
    loop_->shutdown();
  }
}

// Runs before the environment's objects are finalized: stop the thread while
// everything it touches still exists.
void Addon::cleanup(void* arg) { static_cast<PollLoop*>(arg)->shutdown(); }

std::shared_ptr<PollLoop> Addon::loop(Napi::Env env) {
  if (!loop_) {
    loop_ = std::make_shared<PollLoop>(env);
    napi_add_env_cleanup_hook(env, cleanup, loop_.get());
  }
  return loop_;
}

// The loop to submit to, or null (with a JS exception) once the environment
// is shutting down.
std::shared_ptr<PollLoop> Addon::runningLoop(Napi::Env env) {
  std::shared_ptr<PollLoop> loop = this->loop(env);
  if (!loop->stopped()) return loop;
  Napi::Error::New(env, "libredis: this thread's environment is shutting down").ThrowAsJavaScriptException();
  return nullptr;
}

// Makes an execution's promise and sets its deadline. False when the
// environment will not make a promise (a worker being terminated: the
// exception is pending then). Done before any batch is touched, so a
// refusal leaves nothing half-taken.
bool Addon::arm(napi_env env, Execution* exec, uint32_t timeoutMs, napi_value* promise) {
  if (napi_create_promise(env, &exec->deferred, promise) != napi_ok) return false;
  exec->timeoutMs = timeoutMs;
  exec->deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  return true;
}

// The connection a JS-side id names (see ConnectionRegistry), or null.
const std::shared_ptr<ConnState>* Addon::connectionFor(napi_env env, napi_value id) const {
  double value;
  if (napi_get_value_double(env, id, &value) != napi_ok) return nullptr;
  return registry_->find(value);
}

// submit(timeoutMs, conn1, batch1, conn2, batch2, ...) -> Promise<boolean>,
// each connN a NativeConnection's id. Arguments are checked in JS; here they
// are checked again only as far as memory safety needs (known ids, type
// tags; not duck typing).
Napi::Value Addon::Submit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t argc = info.Length();
  uint32_t timeoutMs = 0;
  if (argc < 1 || (argc - 1) % 2 != 0 || napi_get_value_uint32(env, info[0], &timeoutMs) != napi_ok) {
    Napi::TypeError::New(env, "submit(timeoutMs, connection, batch, ...)").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  std::vector<BatchWrap*> batches;
  std::vector<std::shared_ptr<ConnState>> conns;
  for (size_t i = 1; i < argc; i += 2) {
    const std::shared_ptr<ConnState>* conn = connectionFor(env, info[i]);
    if (conn == nullptr) {
      Napi::TypeError::New(env, "expected a Connection").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    conns.push_back(*conn);
    if (!hasTag(env, info[i + 1], kBatchTag)) {
      Napi::TypeError::New(env, "expected a Batch").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    // Null when the wrap cannot be read, as while a worker's environment is
    // being torn down (napi_unwrap fails then); refuse rather than crash.
    BatchWrap* b = BatchWrap::Unwrap(info[i + 1].As<Napi::Object>());
    if (b == nullptr) {
      throwTypeErrorUnlessPending(env, "expected a Batch");
      return Napi::Value();
    }
    bool repeated = false;
    for (BatchWrap* seen : batches) repeated = repeated || seen == b;
    if (b->busy() || repeated) {
      Napi::TypeError::New(env, "this batch is already being executed; wait for that to finish")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
    batches.push_back(b);
  }

  std::shared_ptr<PollLoop> loop = runningLoop(env);
  if (!loop) return Napi::Value();
  // A reference keeps each batch alive while it is in flight; all are made
  // before anything is taken from a batch, so a refusal leaves none busy.
  std::vector<napi_ref> refs;
  auto dropRefs = [&] {
    for (napi_ref r : refs) napi_delete_reference(env, r);
  };
  for (size_t i = 1; i < argc; i += 2) {
    napi_ref ref = nullptr;
    if (napi_create_reference(env, info[i + 1], 1, &ref) != napi_ok) {
      dropRefs();
      if (!env.IsExceptionPending())
        Napi::Error::New(env, "could not hold a Batch for execution").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    refs.push_back(ref);
  }
  napi_value promise;
  auto exec = std::make_unique<Execution>();
  if (!arm(env, exec.get(), timeoutMs, &promise)) {
    dropRefs();
    return Napi::Value();
  }
  for (size_t i = 1, k = 0; i < argc; i += 2, k++) {
    auto job = std::make_unique<Job>();
    job->exec = exec.get();
    job->conn = std::move(conns[k]);
    BatchWrap* b = batches[k];
    b->setBusy(true);
    job->out = b->takeCommands();
    job->expected = b->takeCount();
    job->batch = b;
    job->batchRef = refs[k];
    exec->jobs.push_back(std::move(job));
  }
  loop->submit(exec.release());  // the loop settles the promise when done
  return Napi::Value(env, promise);
}

// call(timeoutMs, connection, ...commandArgs) -> Promise<value>: one command,
// without a Batch; the promise settles with the decoded reply (see
// PollLoop::settleValue). `connection` is a NativeConnection's id; arguments
// are strings or Uint8Arrays (JS converts numbers). callBuffer is the same
// with bulk and status replies as Buffers.
Napi::Value Addon::Call(const Napi::CallbackInfo& info) { return CallWith(info, ValueMode::kStrings, false); }

Napi::Value Addon::CallBuffer(const Napi::CallbackInfo& info) { return CallWith(info, ValueMode::kBuffers, false); }

// get(timeoutMs, connection, key): call(timeoutMs, connection, 'GET', key)
// with the command's head pre-encoded, for the most common single command.
Napi::Value Addon::Get(const Napi::CallbackInfo& info) { return CallWith(info, ValueMode::kStrings, true); }

Napi::Value Addon::GetBuffer(const Napi::CallbackInfo& info) { return CallWith(info, ValueMode::kBuffers, true); }

Napi::Value Addon::CallWith(const Napi::CallbackInfo& info, ValueMode mode, bool isGet) {
  Napi::Env env = info.Env();
  size_t argc = info.Length();
  uint32_t timeoutMs = 0;
  if (argc < 3 || napi_get_value_uint32(env, info[0], &timeoutMs) != napi_ok) {
    Napi::TypeError::New(env,
                         isGet ? "get(timeoutMs, connection, key)" : "call(timeoutMs, connection, command, ...args)")
        .ThrowAsJavaScriptException();
    return Napi::Value();
  }
  std::shared_ptr<PollLoop> loop = runningLoop(env);
  if (!loop) return Napi::Value();
  std::unique_ptr<Execution> exec = loop->takeCall();
  Job* job = exec->jobs[0].get();
  if (isGet) {
    job->out.append(kGetHead, kHeadLen);
    argc = 3;
  } else {
    appendArrayHeader(job->out, argc - 2);
  }
  for (size_t i = 2; i < argc; i++) {
    if (!appendArg(env, info[i], job->out)) {
      loop->keepCall(exec.release());  // back to the pool: nothing was submitted
      Napi::TypeError::New(env, isGet ? std::string("get() key must be a string or a Buffer")
                                      : "command argument " + std::to_string(i - 1) + " must be a string or a Buffer")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
  }
  const std::shared_ptr<ConnState>* conn = connectionFor(env, info[1]);
  if (conn == nullptr) {
    loop->keepCall(exec.release());
    Napi::TypeError::New(env, "expected a Connection").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  napi_value promise;
  if (!arm(env, exec.get(), timeoutMs, &promise)) {
    loop->keepCall(exec.release());
    return Napi::Value();
  }
  job->conn = *conn;
  job->exec = exec.get();
  job->expected = 1;
  job->valueMode = mode;
  loop->submit(exec.release());  // the loop settles the promise when done
  return Napi::Value(env, promise);
}

// Hands everything submitted since the last flush to the poll thread. True
// when JS should spin while it waits (see wait_spin.h).
Napi::Value Addon::Flush(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), loop_ && loop_->flush());
}

// One turn of that spin; false when it should stop.
Napi::Value Addon::SpinStep(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), loop_ && loop_->spinStep());
}

Napi::Value Addon::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("threadStarted", Napi::Boolean::New(env, loop_ && loop_->threadRunning()));
  o.Set("inflight", Napi::Number::New(env, loop_ ? static_cast<double>(loop_->inflight()) : 0));
  LiveCounts& live = liveCounts();
  o.Set("liveExecutions", Napi::Number::New(env, static_cast<double>(live.executions.load())));
  o.Set("liveJobs", Napi::Number::New(env, static_cast<double>(live.jobs.load())));
  o.Set("liveConnections", Napi::Number::New(env, static_cast<double>(live.connections.load())));
  o.Set("openSockets", Napi::Number::New(env, static_cast<double>(live.openSockets.load())));
  o.Set("pooledCommandBytes", Napi::Number::New(env, static_cast<double>(pooledCommandBytes())));
  o.Set("spareCalls", Napi::Number::New(env, loop_ ? static_cast<double>(loop_->spareCalls()) : 0));
  o.Set("coreMoves", Napi::Number::New(env, loop_ ? static_cast<double>(loop_->coreMoves()) : 0));
  o.Set("coreReturns", Napi::Number::New(env, loop_ ? static_cast<double>(loop_->coreReturns()) : 0));
  return o;
}

NODE_API_ADDON(Addon)

}  // namespace libredis
