#include "parser_probe.h"

#include <cstring>
#include <string>

#include "js_args.h"
#include "resp_parser.h"

namespace libredis {

namespace {

// Takes `limit` top-level replies into one sink, like a connection with a
// single batch waiting for `limit` replies.
class ProbeTarget : public ReplyTarget {
 public:
  explicit ProbeTarget(uint32_t limit) : limit_(limit) {}
  PackedReplies* nextReplySink() override { return completed < limit_ ? &sink : nullptr; }
  void onReplyComplete() override { completed++; }
  PackedReplies sink;
  uint32_t completed = 0;

 private:
  uint32_t limit_;
};

// limits[name] into *out when it is a number; false (with an exception
// pending) when reading it threw or it is something else.
bool readLimit(napi_env env, napi_value limits, const char* name, double* out) {
  bool has = false;
  napi_value v = nullptr;
  napi_valuetype t = napi_undefined;
  if (napi_has_named_property(env, limits, name, &has) != napi_ok) return false;
  if (!has) return true;
  if (napi_get_named_property(env, limits, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return false;
  if (t != napi_number) {
    napi_throw_type_error(env, nullptr, "parseChunks: limits must be numbers");
    return false;
  }
  return napi_get_value_double(env, v, out) == napi_ok;
}

}  // namespace

Napi::Value ParseChunks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "parseChunks(chunks, replies, limits?)").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  ParserLimits limits;
  if (info.Length() > 2 && info[2].IsObject()) {
    // Read through raw calls: a getter may throw, and a node-addon-api value
    // left empty by a failed Get aborts the process when used.
    napi_value o = info[2];
    double depth = limits.maxDepth, bulk = static_cast<double>(limits.maxBulkBytes);
    if (!readLimit(env, o, "maxDepth", &depth) || !readLimit(env, o, "maxBulkBytes", &bulk)) return Napi::Value();
    limits.maxDepth = static_cast<uint32_t>(depth);
    limits.maxBulkBytes = static_cast<uint64_t>(bulk);
  }
  RespParser parser(limits);
  ProbeTarget target(info[1].As<Napi::Number>().Uint32Value());
  Napi::Array chunks = info[0].As<Napi::Array>();
  Napi::Value error = env.Null();
  for (uint32_t i = 0; i < chunks.Length(); i++) {
    // Raw read: a getter that throws leaves no value to check.
    napi_value raw;
    if (napi_get_element(env, chunks, i, &raw) != napi_ok) {
      throwTypeErrorUnlessPending(env, "parseChunks: chunks[" + std::to_string(i) + "] could not be read");
      return Napi::Value();
    }
    Napi::Value c(env, raw);
    if (!c.IsBuffer()) {
      Napi::TypeError::New(env, "parseChunks: every chunk must be a Buffer").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    Napi::Buffer<char> b = c.As<Napi::Buffer<char>>();
    if (!parser.consume(b.Data(), b.Length(), target)) {
      error = Napi::String::New(env, parser.error());
      break;
    }
  }
  std::vector<int32_t>& rec = target.sink.records;
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, rec.size() * sizeof(int32_t));
  if (ab.IsEmpty()) return Napi::Value();  // refused (a worker being terminated)
  if (!rec.empty()) memcpy(ab.Data(), rec.data(), rec.size() * sizeof(int32_t));
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::TypedArrayOf<int32_t>::New(env, rec.size(), ab, 0));
  out.Set(1u, Napi::Buffer<char>::Copy(env, target.sink.payload.data(), target.sink.payload.size()));
  out.Set(2u, error);
  out.Set(3u, Napi::Number::New(env, target.completed));
  return out;
}

}  // namespace libredis
