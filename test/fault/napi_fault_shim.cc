// Simulates worker termination deterministically, for scripts/test-fault.sh.
//
// When another thread calls worker.terminate(), Node turns the worker's
// env->can_call_into_js() false at an arbitrary instant. From then on every
// Node-API function that begins with NAPI_PREAMBLE fails with
// napi_pending_exception, and nothing is thrown. JS cannot hit a chosen
// instant, so this shim picks it: linked in with -Wl,--wrap=<fn> for each
// function WRAPped below (the PREAMBLE functions the addon calls), it passes
// calls through until the FAIL_NTH-th call of FAIL_FN on a thread; from that
// call on, every wrapped call on that thread fails the same way.
//
//   FAIL_FN=napi_wrap      the call that flips the thread (unset: nothing fails)
//   FAIL_NTH=3             which call of FAIL_FN, counted per thread from 1 (default 1)
//   FAIL_THREAD=main       only the main thread counts and flips; `worker`: only
//                          worker threads (unset: any thread)
//   FAULT_COUNT=1          at exit, print each function's call count to stderr:
//                          napi-fault counts {"main":{"napi_wrap":12,...},"worker":{...}}
//
// Unlike the real flip, the failing call does not set Node's last error
// info; node-addon-api then builds an Error it cannot throw either, so the
// outcome (nothing thrown) is the same.
#include <node_api.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

enum Thread { kMain = 0, kWorker = 1, kAny = 2 };

struct Config {
  const char* fn = nullptr;
  long nth = 1;
  Thread thread = kAny;
  bool count = false;
};

const Config& config() {
  static const Config c = [] {
    Config c;
    c.fn = getenv("FAIL_FN");
    if (const char* n = getenv("FAIL_NTH")) c.nth = atol(n);
    if (const char* t = getenv("FAIL_THREAD"))
      c.thread = !strcmp(t, "main") ? kMain : !strcmp(t, "worker") ? kWorker : kAny;
    c.count = getenv("FAULT_COUNT") != nullptr;
    return c;
  }();
  return c;
}

Thread currentThread() {
  thread_local int kind = -1;
  if (kind < 0) kind = syscall(SYS_gettid) == getpid() ? kMain : kWorker;
  return static_cast<Thread>(kind);
}

// One per wrapped function, made on its first call and never freed (so
// nothing is destroyed before the report at exit reads it).
struct Site {
  explicit Site(const char* n) : name(n), target(config().fn != nullptr && strcmp(n, config().fn) == 0) {
    next = sites.load();
    while (!sites.compare_exchange_weak(next, this)) {
    }
  }
  const char* name;
  bool target;
  std::atomic<long> calls[2] = {};
  Site* next;
  static std::atomic<Site*> sites;
};
std::atomic<Site*> Site::sites{nullptr};

thread_local bool flipped = false;  // this thread "is being terminated"
thread_local long targetCalls = 0;

bool fails(Site* site) {
  if (flipped) return true;
  const Config& c = config();
  Thread t = currentThread();
  if (c.count) site->calls[t].fetch_add(1, std::memory_order_relaxed);
  if (!site->target || (c.thread != kAny && c.thread != t)) return false;
  if (++targetCalls < c.nth) return false;
  flipped = true;
  fprintf(stderr, "napi-fault: %s thread fails from %s call %ld on\n", t == kMain ? "main" : "worker", site->name,
          targetCalls);
  return true;
}

struct Report {
  ~Report() {
    if (!config().count) return;
    std::string out = "napi-fault counts {";
    for (int t = kMain; t <= kWorker; t++) {
      out += t == kMain ? "\"main\":{" : ",\"worker\":{";
      bool first = true;
      for (Site* s = Site::sites.load(); s != nullptr; s = s->next) {
        long n = s->calls[t].load();
        if (n == 0) continue;
        out += (first ? "\"" : ",\"") + std::string(s->name) + "\":" + std::to_string(n);
        first = false;
      }
      out += "}";
    }
    fprintf(stderr, "%s}\n", out.c_str());
  }
} report;

}  // namespace

// __real_X is Node's X; the linker sends the addon's calls of X to __wrap_X.
#define WRAP(name, params, args)                                      \
  extern "C" napi_status __real_##name params;                        \
  extern "C" napi_status __wrap_##name params {                       \
    static Site* site = new Site(#name);                              \
    return fails(site) ? napi_pending_exception : __real_##name args; \
  }

// clang-format off
WRAP(napi_throw, (napi_env e, napi_value v), (e, v))
WRAP(napi_throw_error, (napi_env e, const char* c, const char* m), (e, c, m))
WRAP(napi_throw_type_error, (napi_env e, const char* c, const char* m), (e, c, m))
WRAP(napi_throw_range_error, (napi_env e, const char* c, const char* m), (e, c, m))
WRAP(napi_wrap, (napi_env e, napi_value o, void* n, napi_finalize f, void* h, napi_ref* r), (e, o, n, f, h, r))
WRAP(napi_unwrap, (napi_env e, napi_value o, void** r), (e, o, r))
WRAP(napi_remove_wrap, (napi_env e, napi_value o, void** r), (e, o, r))
WRAP(napi_type_tag_object, (napi_env e, napi_value o, const napi_type_tag* t), (e, o, t))
WRAP(napi_check_object_type_tag, (napi_env e, napi_value o, const napi_type_tag* t, bool* r), (e, o, t, r))
WRAP(napi_create_promise, (napi_env e, napi_deferred* d, napi_value* p), (e, d, p))
WRAP(napi_resolve_deferred, (napi_env e, napi_deferred d, napi_value v), (e, d, v))
WRAP(napi_reject_deferred, (napi_env e, napi_deferred d, napi_value v), (e, d, v))
WRAP(napi_create_function, (napi_env e, const char* u, size_t l, napi_callback cb, void* d, napi_value* r), (e, u, l, cb, d, r))
WRAP(napi_define_class, (napi_env e, const char* u, size_t l, napi_callback cb, void* d, size_t n, const napi_property_descriptor* p, napi_value* r), (e, u, l, cb, d, n, p, r))
WRAP(napi_define_properties, (napi_env e, napi_value o, size_t n, const napi_property_descriptor* p), (e, o, n, p))
WRAP(napi_call_function, (napi_env e, napi_value recv, napi_value f, size_t n, const napi_value* a, napi_value* r), (e, recv, f, n, a, r))
WRAP(napi_get_element, (napi_env e, napi_value o, uint32_t i, napi_value* r), (e, o, i, r))
WRAP(napi_set_element, (napi_env e, napi_value o, uint32_t i, napi_value v), (e, o, i, v))
WRAP(napi_get_array_length, (napi_env e, napi_value o, uint32_t* r), (e, o, r))
WRAP(napi_get_property, (napi_env e, napi_value o, napi_value k, napi_value* r), (e, o, k, r))
WRAP(napi_has_property, (napi_env e, napi_value o, napi_value k, bool* r), (e, o, k, r))
WRAP(napi_get_named_property, (napi_env e, napi_value o, const char* n, napi_value* r), (e, o, n, r))
WRAP(napi_set_named_property, (napi_env e, napi_value o, const char* n, napi_value v), (e, o, n, v))
WRAP(napi_has_named_property, (napi_env e, napi_value o, const char* n, bool* r), (e, o, n, r))
WRAP(napi_create_buffer_copy, (napi_env e, size_t l, const void* d, void** rd, napi_value* r), (e, l, d, rd, r))
WRAP(napi_create_external_buffer, (napi_env e, size_t l, void* d, napi_finalize f, void* h, napi_value* r), (e, l, d, f, h, r))
WRAP(napi_create_external_arraybuffer, (napi_env e, void* d, size_t l, napi_finalize f, void* h, napi_value* r), (e, d, l, f, h, r))
WRAP(napi_create_arraybuffer, (napi_env e, size_t l, void** d, napi_value* r), (e, l, d, r))
WRAP(napi_create_typedarray, (napi_env e, napi_typedarray_type t, size_t l, napi_value ab, size_t o, napi_value* r), (e, t, l, ab, o, r))
// Not a PREAMBLE function, but its failure used to abort (a null function
// handed to napi_unref_threadsafe_function); failing it covers that path.
WRAP(napi_create_threadsafe_function, (napi_env e, napi_value f, napi_value r, napi_value n, size_t q, size_t t, void* fd, napi_finalize fc, void* c, napi_threadsafe_function_call_js cb, napi_threadsafe_function* out), (e, f, r, n, q, t, fd, fc, c, cb, out))
// clang-format on
