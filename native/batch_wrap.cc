#include "batch_wrap.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "command_buffers.h"
#include "command_encoder.h"
#include "joined_args.h"
#include "js_args.h"
#include "type_tags.h"

namespace libredis {

namespace {

// Copies small results; hands large ones over without a copy.
constexpr size_t kCopyLimit = 32 * 1024;
// appendJoined's working space, kept per thread between calls (not zeroed,
// unlike a resized std::string), unless a large call grew it past kScratchKeep.
constexpr size_t kScratchKeep = 1024 * 1024;
class Scratch {
 public:
  char* bytes(size_t n) { return grow(bytes_, bytesCap_, n); }
  uint32_t* lengths(size_t n) { return grow(lengths_, lengthsCap_, n); }
  void trim() {
    if (bytesCap_ > kScratchKeep) bytes_.reset(), bytesCap_ = 0;
    if (lengthsCap_ * sizeof(uint32_t) > kScratchKeep) lengths_.reset(), lengthsCap_ = 0;
  }

 private:
  template <typename T>
  static T* grow(std::unique_ptr<T[]>& p, size_t& cap, size_t n) {
    if (cap < n || !p) {
      p.reset(new T[n == 0 ? 1 : n]);
      cap = n == 0 ? 1 : n;
    }
    return p.get();
  }
  std::unique_ptr<char[]> bytes_;
  size_t bytesCap_ = 0;
  std::unique_ptr<uint32_t[]> lengths_;
  size_t lengthsCap_ = 0;
};
thread_local Scratch joinScratch;

// Bytes a container holds on the heap, as reported to V8.
template <typename C>
int64_t heapBytes(const C& c) {
  return static_cast<int64_t>(c.capacity() * sizeof(typename C::value_type));
}

template <typename C>
void freeOwned(napi_env env, void*, void* hint) {
  auto* c = static_cast<C*>(hint);
  int64_t ignored;
  napi_adjust_external_memory(env, -heapBytes(*c), &ignored);
  delete c;
}

// Moves `data` into memory a JS object owns, without a copy: `create(owned,
// finalize, result)` makes the object (napi_create_external_buffer or _arraybuffer).
// napi_ok: *result is set. napi_no_external_buffers_allowed (a memory cage):
// `data` is back as it was, for the caller to copy. Any other status: failed,
// with nothing leaked. Only when Node's Buffer::New itself failed
// (napi_generic_failure) has Node called (or queued) the finalizer; a refusal
// before that (a worker being terminated) leaves the memory with us.
template <typename C, typename Create>
napi_status handOver(napi_env env, C& data, Create create, napi_value* result) {
  auto* owned = new C(std::move(data));
  const int64_t bytes = heapBytes(*owned);
  int64_t ignored;
  napi_adjust_external_memory(env, bytes, &ignored);  // freeOwned takes it back
  const napi_status st = create(owned, &freeOwned<C>, result);
  if (st == napi_ok || st == napi_generic_failure) return st;
  napi_adjust_external_memory(env, -bytes, &ignored);
  if (st == napi_no_external_buffers_allowed) data = std::move(*owned);
  delete owned;
  return st;
}

// Returns nullptr with a JS exception pending when Node refuses the buffer.
napi_value bufferFrom(napi_env env, std::string&& bytes) {
  napi_value result = nullptr;
  if (bytes.size() > kCopyLimit) {
    const napi_status st = handOver(
        env, bytes,
        [env](std::string* s, napi_finalize finalize, napi_value* r) {
          return napi_create_external_buffer(env, s->size(), &(*s)[0], finalize, s, r);
        },
        &result);
    if (st != napi_no_external_buffers_allowed) return st == napi_ok ? result : nullptr;
  }
  void* data;
  if (napi_create_buffer_copy(env, bytes.size(), bytes.data(), &data, &result) != napi_ok) return nullptr;
  return result;
}

// Returns nullptr with a JS exception pending when Node refuses the memory.
napi_value int32ArrayFrom(napi_env env, std::vector<int32_t>&& values) {
  const size_t count = values.size();
  const size_t bytes = count * sizeof(int32_t);
  napi_value ab = nullptr;
  if (bytes > kCopyLimit) {
    const napi_status st = handOver(
        env, values,
        [env, bytes](std::vector<int32_t>* v, napi_finalize finalize, napi_value* r) {
          return napi_create_external_arraybuffer(env, v->data(), bytes, finalize, v, r);
        },
        &ab);
    if (st != napi_ok && st != napi_no_external_buffers_allowed) return nullptr;
    if (st != napi_ok) ab = nullptr;
  }
  if (ab == nullptr) {
    void* data = nullptr;
    if (napi_create_arraybuffer(env, bytes, &data, &ab) != napi_ok) return nullptr;
    if (bytes > 0) memcpy(data, values.data(), bytes);
  }
  napi_value result = nullptr;
  if (napi_create_typedarray(env, napi_int32_array, count, ab, 0, &result) != napi_ok) return nullptr;
  return result;
}

// A small result crosses as one ArrayBuffer: a header of kResultHeaderInts
// int32s (record ints, payload bytes, error kind, error bytes), then the
// records, the payload and the error text. Each object made natively costs
// a few µs on this VM; JS makes the views over it far more cheaply.
constexpr size_t kResultHeaderInts = 4;

// The error text a result carries: none when the execution succeeded.
size_t errorTextBytes(const Job& job) { return job.errorKind == EK_NONE ? 0 : job.error.size(); }

// A result's bytes besides the header: records, payload and error text.
size_t resultBytes(const Job& job) {
  return job.replies.records.size() * sizeof(int32_t) + job.replies.payload.size() + errorTextBytes(job);
}

// Returns nullptr with a JS exception pending when Node refuses the memory.
napi_value packedResult(napi_env env, const Job& job) {
  const std::vector<int32_t>& records = job.replies.records;
  const std::string& payload = job.replies.payload;
  const size_t errorBytes = errorTextBytes(job);
  const size_t recordBytes = records.size() * sizeof(int32_t);
  void* data = nullptr;
  napi_value result = nullptr;
  // An ArrayBuffer: of the ways tried it costs least (for 100 values of
  // 100 bytes, taking the result as four parts took about 14 µs, as one
  // Buffer 10, as one ArrayBuffer 8.5).
  if (napi_create_arraybuffer(env, kResultHeaderInts * sizeof(int32_t) + resultBytes(job), &data, &result) != napi_ok)
    return nullptr;
  const int32_t header[kResultHeaderInts] = {static_cast<int32_t>(records.size()), static_cast<int32_t>(payload.size()),
                                             job.errorKind, static_cast<int32_t>(errorBytes)};
  char* w = static_cast<char*>(data);
  std::memcpy(w, header, sizeof header);
  w += sizeof header;
  if (recordBytes > 0) std::memcpy(w, records.data(), recordBytes);
  w += recordBytes;
  if (!payload.empty()) std::memcpy(w, payload.data(), payload.size());
  w += payload.size();
  if (errorBytes > 0) std::memcpy(w, job.error.data(), errorBytes);
  return result;
}

// The start of one queued command, written through a raw pointer (room for
// kArrayHeaderMax bytes): -1 is GET, -2 is SET, n > 0 a generic command of n
// arguments. Sets *nargs to how many arguments follow, 0 for a bad code.
char* writeHead(char* w, int32_t code, uint32_t* nargs) {
  static_assert(kHeadLen <= kArrayHeaderMax, "a pre-encoded head fits an array header's room");
  if (code == -1 || code == -2) {
    std::memcpy(w, code == -1 ? kGetHead : kSetHead, kHeadLen);
    *nargs = code == -1 ? 1 : 2;
    return w + kHeadLen;
  }
  *nargs = code > 0 ? static_cast<uint32_t>(code) : 0;
  return writeArrayHeader(w, *nargs);
}

// writeHead, appended to `out`; returns how many arguments follow.
uint32_t appendHead(std::string& out, int32_t code) {
  char buf[kArrayHeaderMax];
  uint32_t nargs = 0;
  out.append(buf, static_cast<size_t>(writeHead(buf, code, &nargs) - buf));
  return nargs;
}

// appendJoined's two ways to write. Many short arguments are written
// through a raw pointer into room sized beforehand: appending each few-byte
// piece to a std::string checks capacity and calls memmove every time. Long
// arguments are appended, as making the room would zero it all first.
constexpr size_t kRawAverageMax = 1024;  // average argument bytes for RawWriter
struct RawWriter {
  char* w;
  uint32_t head(int32_t code) {
    uint32_t nargs = 0;
    w = writeHead(w, code, &nargs);
    return nargs;
  }
  void bulk(const char* p, uint32_t len) { w = writeBulk(w, p, len); }
};
struct StringWriter {
  std::string& out;
  uint32_t head(int32_t code) { return appendHead(out, code); }
  void bulk(const char* p, uint32_t len) { appendBulk(out, p, len); }
};

// The commands of appendJoined: shape[c] per command, arguments from the
// text src[0..n) cut by argBytes. False when they do not fit exactly.
template <typename Writer>
bool encodeJoined(Writer& out, const int32_t* shape, uint32_t commands, const char* src, size_t n,
                  const uint32_t* argBytes, uint32_t argCount) {
  uint32_t next = 0;
  const char* at = src;  // argument `next`
  const char* end = src + n;
  for (uint32_t c = 0; c < commands; c++) {
    const uint32_t nargs = out.head(shape[c]);
    if (nargs == 0 || argCount - next < nargs) return false;
    for (uint32_t k = 0; k < nargs; k++, next++) {
      if (argBytes[next] > static_cast<size_t>(end - at)) return false;
      out.bulk(at, argBytes[next]);
      at += argBytes[next];
    }
  }
  return next == argCount;  // every argument used, none left over
}

// A batch's reply count is a uint32, as in the reply records.
bool tooMany(napi_env env, uint32_t have, uint64_t adding) {
  if (have + adding <= 0xffffffffull) return false;
  napi_throw_range_error(env, nullptr, "a batch cannot hold more than 4294967295 commands");
  return true;
}

}  // namespace

Napi::Function BatchWrap::Init(Napi::Env env) {
  return DefineClass(env, "NativeBatch",
                     {
                         InstanceMethod<&BatchWrap::Cmd>("cmd"),
                         InstanceMethod<&BatchWrap::Get>("get"),
                         InstanceMethod<&BatchWrap::Set>("set"),
                         InstanceMethod<&BatchWrap::Write>("write"),
                         InstanceMethod<&BatchWrap::AppendQueued>("appendQueued"),
                         InstanceMethod<&BatchWrap::AppendJoined>("appendJoined"),
                         InstanceMethod<&BatchWrap::TakeResult>("takeResult"),
                         InstanceMethod<&BatchWrap::Pending>("pending"),
                     });
}

BatchWrap::BatchWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BatchWrap>(info) {
  if (IsEmpty()) return;  // napi_wrap failed (a worker being terminated): the object is not ours
  napi_type_tag_object(info.Env(), info.This(), &kBatchTag);
}

Napi::Value BatchWrap::Cmd(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  size_t argc = info.Length();
  if (argc == 0) {
    Napi::TypeError::New(env, "cmd() needs at least one argument (the command name)").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  if (tooMany(env, count_, 1)) return Napi::Value();
  size_t mark = out_.size();
  appendArrayHeader(out_, argc);
  for (size_t i = 0; i < argc; i++) {
    if (!appendArg(env, info[i], out_)) {
      out_.resize(mark);  // nothing of a bad command is kept
      Napi::TypeError::New(env, "cmd() argument " + std::to_string(i + 1) + " must be a string or a Buffer")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
  }
  count_++;
  return Napi::Value();
}

// GET and SET: a fixed, pre-encoded head, then `nargs` arguments.
Napi::Value BatchWrap::appendFixed(const Napi::CallbackInfo& info, const char* head, size_t headLen, size_t nargs,
                                   const char* usage) {
  napi_env env = info.Env();
  if (tooMany(env, count_, 1)) return Napi::Value();
  size_t mark = out_.size();
  out_.append(head, headLen);
  bool ok = info.Length() >= nargs;
  for (size_t i = 0; ok && i < nargs; i++) ok = appendArg(env, info[i], out_);
  if (!ok) {
    out_.resize(mark);
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return Napi::Value();
  }
  count_++;
  return Napi::Value();
}

Napi::Value BatchWrap::Get(const Napi::CallbackInfo& info) {
  return appendFixed(info, kGetHead, kHeadLen, 1, "get() key must be a string or a Buffer");
}

Napi::Value BatchWrap::Set(const Napi::CallbackInfo& info) {
  return appendFixed(info, kSetHead, kHeadLen, 2, "set() key and value must be strings or Buffers");
}

// appendQueued(args: Array<string>, meta: Int32Array, commands: number):
// commands queued in JS, encoded here in one call instead of one call each.
// meta[i] for i < commands is command i's shape: -1 for GET (one argument),
// -2 for SET (two), else the argument count of a generic command; args holds
// the arguments in order.
Napi::Value BatchWrap::AppendQueued(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  const int32_t* meta = nullptr;
  size_t metaLen = 0;
  uint32_t commands = 0;
  bool isArray = false;
  if (info.Length() < 3 || napi_is_array(env, info[0], &isArray) != napi_ok || !isArray ||
      !int32ArrayOf(env, info[1], &meta, &metaLen) || napi_get_value_uint32(env, info[2], &commands) != napi_ok ||
      commands > metaLen) {
    Napi::TypeError::New(env, "appendQueued(args, meta, commands)").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  // Reading args can run JS (an element getter), which could detach meta,
  // or add to or submit this batch. So the shapes are copied and every
  // argument read before anything is encoded: the encoding below runs no JS.
  std::vector<int32_t> shape(meta, meta + commands);
  napi_value args = info[0];
  uint32_t argsLen = 0;
  napi_get_array_length(env, args, &argsLen);
  // Read up to the first hole (undefined): a huge sparse array costs nothing,
  // and encoding fails at that argument anyway.
  std::vector<napi_value> values;
  for (uint32_t i = 0; i < argsLen; i++) {
    napi_value v;
    napi_valuetype t = napi_undefined;
    if (napi_get_element(env, args, i, &v) != napi_ok) {
      throwTypeErrorUnlessPending(env, "appendQueued(): args[" + std::to_string(i) + "] could not be read");
      return Napi::Value();
    }
    if (napi_typeof(env, v, &t) != napi_ok || t == napi_undefined) break;
    values.push_back(v);
  }
  if (tooMany(env, count_, commands)) return Napi::Value();
  size_t mark = out_.size();
  size_t next = 0;
  for (uint32_t c = 0; c < commands; c++) {
    uint32_t nargs = appendHead(out_, shape[c]);
    bool ok = nargs > 0 && values.size() - next >= nargs;
    for (uint32_t k = 0; ok && k < nargs; k++) ok = appendArg(env, values[next++], out_);
    if (!ok) {
      out_.resize(mark);
      Napi::TypeError::New(env, "queued command " + std::to_string(c + 1) + " has a bad argument")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
  }
  count_ += commands;
  return Napi::Value();
}

// appendJoined(joined: string, meta: Int32Array, commands: number,
// args: number): boolean. The same commands as appendQueued, with the
// arguments joined into one string so that they cross in one read; meta
// holds the commands' shapes, then the arguments' UTF-16 lengths. False
// (nothing appended) when the joined text cannot be split exactly; the
// caller then uses appendQueued.
Napi::Value BatchWrap::AppendJoined(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  const int32_t* shape = nullptr;
  size_t metaLen = 0;
  uint32_t commands = 0, argCount = 0;
  napi_valuetype t = napi_undefined;
  if (info.Length() < 4 || napi_typeof(env, info[0], &t) != napi_ok || t != napi_string ||
      !int32ArrayOf(env, info[1], &shape, &metaLen) || napi_get_value_uint32(env, info[2], &commands) != napi_ok ||
      napi_get_value_uint32(env, info[3], &argCount) != napi_ok ||
      static_cast<uint64_t>(commands) + argCount > metaLen) {
    Napi::TypeError::New(env, "appendJoined(joined, meta, commands, args)").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  if (tooMany(env, count_, commands)) return Napi::Value();
  const int32_t* units = shape + commands;
  size_t totalUnits = 0;
  napi_get_value_string_utf16(env, info[0], nullptr, 0, &totalUnits);

  // One UTF-16 unit takes at most 3 UTF-8 bytes. Read thread-locals once:
  // in an addon each use is a TLS lookup.
  Scratch& scratch = joinScratch;
  char* src = scratch.bytes(totalUnits * 3 + 1);
  uint32_t* argBytes = scratch.lengths(argCount);
  size_t n = 0;
  bool ok = napi_get_value_string_utf8(env, info[0], src, totalUnits * 3 + 1, &n) == napi_ok &&
            splitJoinedUtf8(src, n, totalUnits, units, argCount, argBytes);

  const size_t mark = out_.size();
  if (ok) {
    const size_t room = n + argCount * kBulkOverhead + size_t{commands} * kArrayHeaderMax;
    reserveCommandBytes(out_, mark + room);
    if (n <= size_t{argCount} * kRawAverageMax) {
      out_.resize(mark + room);  // resizing within capacity does not reallocate
      RawWriter raw{&out_[mark]};
      ok = encodeJoined(raw, shape, commands, src, n, argBytes, argCount);
      if (ok) out_.resize(static_cast<size_t>(raw.w - out_.data()));
    } else {
      StringWriter str{out_};
      ok = encodeJoined(str, shape, commands, src, n, argBytes, argCount);
    }
  }
  if (!ok) out_.resize(mark);
  scratch.trim();
  if (!ok) return Napi::Boolean::New(env, false);
  count_ += commands;
  return Napi::Boolean::New(env, true);
}

Napi::Value BatchWrap::Write(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint32_t n = 0;
  if (info.Length() >= 2 && napi_get_value_uint32(env, info[1], &n) != napi_ok) n = 0;
  napi_valuetype t = napi_undefined;
  if (info.Length() >= 1) napi_typeof(env, info[0], &t);
  const char* data;
  size_t len;
  size_t at = out_.size();
  if (t == napi_string) {
    size_t size = 0;
    napi_get_value_string_utf8(env, info[0], nullptr, 0, &size);
    roomForCommandBytes(out_, size + 1);
    out_.resize(at + size + 1);
    napi_get_value_string_utf8(env, info[0], &out_[at], size + 1, &size);
    out_.resize(at + size);
  } else if (t == napi_object && bytesOf(env, info[0], &data, &len)) {
    roomForCommandBytes(out_, len);
    out_.append(data, len);
  } else {
    Napi::TypeError::New(env, "write() data must be a string or a Buffer").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  // Every command takes at least a byte: a larger count cannot be right, and
  // would have the batch wait for (and record) replies that never come.
  size_t written = out_.size() - at;
  if (n > written) {
    out_.resize(at);
    Napi::RangeError::New(env, "write(): numCommands " + std::to_string(n) + " is more than the " +
                                   std::to_string(written) + " bytes written could hold")
        .ThrowAsJavaScriptException();
    return Napi::Value();
  }
  if (tooMany(env, count_, n)) {
    out_.resize(at);
    return Napi::Value();
  }
  count_ += n;
  return Napi::Value();
}

void BatchWrap::acceptResult(std::unique_ptr<Job> job) {
  busy_ = false;
  recycleCommandBytes(job->out);  // sent: its memory serves the next large batch
  job->conn.reset();
  result_ = std::move(job);
}

// [records: Int32Array, payload: Buffer, error: string | null, errorKind: number],
// or for a result of up to kCopyLimit bytes one ArrayBuffer (see
// packedResult), or undefined when there is no new result.
Napi::Value BatchWrap::TakeResult(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!result_) return info.Env().Undefined();
  std::unique_ptr<Job> job = std::move(result_);
  if (resultBytes(*job) <= kCopyLimit) {
    napi_value packed = packedResult(env, *job);
    return packed == nullptr ? Napi::Value() : Napi::Value(env, packed);
  }
  napi_value records = int32ArrayFrom(env, std::move(job->replies.records));
  if (records == nullptr) return Napi::Value();
  napi_value payload = bufferFrom(env, std::move(job->replies.payload));
  if (payload == nullptr) return Napi::Value();
  napi_value out = nullptr;
  if (napi_create_array_with_length(env, 4, &out) != napi_ok) return Napi::Value();
  napi_set_element(env, out, 0, records);
  napi_set_element(env, out, 1, payload);
  napi_value err;
  if (job->errorKind == EK_NONE) {
    napi_get_null(env, &err);
  } else {
    napi_create_string_utf8(env, job->error.data(), job->error.size(), &err);
  }
  napi_set_element(env, out, 2, err);
  napi_value kind;
  napi_create_int32(env, job->errorKind, &kind);
  napi_set_element(env, out, 3, kind);
  return Napi::Value(env, out);
}

// [encoded commands: Buffer, command count]; lets tests see the exact bytes.
Napi::Value BatchWrap::Pending(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Buffer<char>::Copy(env, out_.data(), out_.size()));
  out.Set(1u, Napi::Number::New(env, count_));
  return out;
}

}  // namespace libredis
