#include "ketama_wrap.h"

#include <cstring>
#include <string>
#include <vector>

#include "js_args.h"
#include "md5.h"

namespace libredis {

Napi::Function KetamaWrap::Init(Napi::Env env) {
  return DefineClass(env, "NativeKetama",
                     {
                         InstanceMethod<&KetamaWrap::AddServer>("addServer"),
                         InstanceMethod<&KetamaWrap::CreateContinuum>("createContinuum"),
                         InstanceMethod<&KetamaWrap::GetServerAddress>("getServerAddress"),
                         InstanceMethod<&KetamaWrap::PointCount>("pointCount"),
                         InstanceMethod<&KetamaWrap::OrdinalForHash>("ordinalForHash"),
                         InstanceMethod<&KetamaWrap::LookupFunction>("lookupFunction"),
                         InstanceMethod<&KetamaWrap::Ordinals>("ordinals"),
                         InstanceMethod<&KetamaWrap::OrdinalsJoined>("ordinalsJoined"),
                     });
}

KetamaWrap::KetamaWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<KetamaWrap>(info) {}  // holds nothing else

// addServer(host, port, weight); validated in JS.
Napi::Value KetamaWrap::AddServer(const Napi::CallbackInfo& info) {
  ring_.addServer(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Uint32Value(),
                  info[2].As<Napi::Number>().Uint32Value());
  return Napi::Value();
}

Napi::Value KetamaWrap::CreateContinuum(const Napi::CallbackInfo&) {
  ring_.createContinuum();
  return Napi::Value();
}

// lookupFunction(): a function bound to this ring, so a lookup from JS skips
// unwrapping the object; the ring lives as long as the function holds `this`.
Napi::Value KetamaWrap::LookupFunction(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  napi_value fn = nullptr;
  // The function keeps the wrapper (and so the ring) alive through a
  // read-only property; it is never handed out without it. Either call can
  // fail while a worker is being terminated.
  napi_property_descriptor ring = {"ring", nullptr, nullptr, nullptr, nullptr, info.This(), napi_default, nullptr};
  if (napi_create_function(env, "getServerOrdinal", NAPI_AUTO_LENGTH, BoundLookup, &ring_, &fn) != napi_ok ||
      napi_define_properties(env, fn, 1, &ring) != napi_ok)
    return Napi::Value();
  return Napi::Value(env, fn);
}

napi_value KetamaWrap::BoundLookup(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value key;
  void* data = nullptr;
  napi_get_cb_info(env, cbinfo, &argc, &key, nullptr, &data);
  if (argc < 1) napi_get_undefined(env, &key);
  return lookup(env, key, *static_cast<KetamaRing*>(data));
}

namespace {

// The single-key lookup is a hot path: its helpers are shared with the
// batched one, and would otherwise become calls of their own.
#if defined(__GNUC__) || defined(__clang__)
#define LIBREDIS_HOT_INLINE inline __attribute__((always_inline))
#else
#define LIBREDIS_HOT_INLINE inline
#endif

LIBREDIS_HOT_INLINE bool isAscii(const char16_t* units, size_t n) {
  char16_t any = 0;
  for (size_t i = 0; i < n; ++i) any |= units[i];
  return any < 0x80;
}

// Narrows a key of at most kMd5OneBlockMax ASCII UTF-16 units into block
// as an MD5 block ready for md5FirstWordInBlock: the key, then zeros to
// byte 63.
LIBREDIS_HOT_INLINE void narrowIntoBlock(const char16_t* units, size_t n, uint8_t block[64]) {
  std::memset(block, 0, 64);
  for (size_t i = 0; i < n; ++i) block[i] = static_cast<uint8_t>(units[i]);
}

// Reads a key of at most kMd5OneBlockMax ASCII characters (the usual kind)
// into block (see narrowIntoBlock). It is read as UTF-16, a plain widening
// copy in V8 and much cheaper than its UTF-8 writer. False for anything
// else: not a string, longer, or not ASCII.
LIBREDIS_HOT_INLINE bool readShortAscii(napi_env env, napi_value key, uint8_t block[64], size_t* len) {
  char16_t wide[kMd5OneBlockMax + 2];  // room to tell a 55-unit key from a longer one
  size_t n = 0;
  if (napi_get_value_string_utf16(env, key, wide, sizeof wide / sizeof wide[0], &n) != napi_ok || n > kMd5OneBlockMax ||
      !isAscii(wide, n))
    return false;
  narrowIntoBlock(wide, n, block);
  *len = n;
  return true;
}

// Short keys of a getServerOrdinals call, hashed kMd5Lanes at a time
// (md5FirstWordInBlocks) into result[index].
class HashQueue {
 public:
  HashQueue(const KetamaRing& ring, std::vector<int32_t>& result) : ring_(ring), result_(result) {}
  // Where the next key's block goes; add() commits it.
  uint8_t* block() { return blocks_[waiting_]; }
  void add(uint32_t index, size_t len) {
    lens_[waiting_] = len;
    at_[waiting_] = index;
    if (++waiting_ < kMd5Lanes) return;
    uint32_t hashes[kMd5Lanes];
    md5FirstWordInBlocks(blocks_, lens_, hashes);
    for (size_t k = 0; k < kMd5Lanes; ++k) result_[at_[k]] = ring_.ordinalForHash(hashes[k]);
    waiting_ = 0;
  }
  void finish() {
    for (size_t k = 0; k < waiting_; ++k)
      result_[at_[k]] = ring_.ordinalForHash(md5FirstWordInBlock(blocks_[k], lens_[k]));
    waiting_ = 0;
  }

 private:
  const KetamaRing& ring_;
  std::vector<int32_t>& result_;
  uint8_t blocks_[kMd5Lanes][64];
  size_t lens_[kMd5Lanes];
  uint32_t at_[kMd5Lanes];
  size_t waiting_ = 0;
};

// Keys readShortAscii refuses: other strings through the UTF-8 writer, and
// Buffers. False (nothing thrown) for any other value.
bool ordinalOfOther(napi_env env, napi_value key, const KetamaRing& ring, int32_t* ordinal) {
  uint8_t buf[256];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, key, reinterpret_cast<char*>(buf), sizeof buf, &n) == napi_ok) {
    if (n + 4 < sizeof buf) {
      *ordinal = ring.getServerOrdinal(buf, n);
    } else {
      napi_get_value_string_utf8(env, key, nullptr, 0, &n);
      std::vector<char> big(n + 1);
      napi_get_value_string_utf8(env, key, big.data(), big.size(), &n);
      *ordinal = ring.getServerOrdinal(reinterpret_cast<const uint8_t*>(big.data()), n);
    }
    return true;
  }
  bool typed = false;
  napi_is_typedarray(env, key, &typed);
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  if (!typed || napi_get_typedarray_info(env, key, &type, &len, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array)
    return false;
  *ordinal = ring.getServerOrdinal(static_cast<const uint8_t*>(data), len);
  return true;
}

// The elements of an Int32Array of at least `count` (data may be null when
// it is empty); false for anything else.
bool int32Out(napi_env env, napi_value v, size_t count, int32_t** data) {
  const int32_t* p = nullptr;
  size_t len = 0;
  if (!int32ArrayOf(env, v, &p, &len) || len < count) return false;
  *data = const_cast<int32_t*>(p);
  return true;
}

bool fitsInt32Out(napi_env env, napi_value v, size_t count) {
  int32_t* ignored = nullptr;
  return int32Out(env, v, count, &ignored);
}

Napi::Value throwMismatch(napi_env env) {
  napi_throw_type_error(
      env, nullptr, "getServerOrdinals(): the keys changed while they were read (a getter returned another string)");
  return Napi::Value();
}

// A getter that threw left its exception pending; anything else gets one.
Napi::Value throwUnreadable(napi_env env, uint32_t index) {
  throwTypeErrorUnlessPending(env, "getServerOrdinals() could not read key " + std::to_string(index));
  return Napi::Value();
}

Napi::Value throwBadKey(napi_env env, uint32_t index) {
  const std::string msg = "getServerOrdinals() key " + std::to_string(index) + " must be a string or a Buffer";
  napi_throw_type_error(env, nullptr, msg.c_str());
  return Napi::Value();
}

// Copies the results into `out`, looked up again: JS that ran meanwhile (an
// element getter) may have detached or shrunk it.
Napi::Value copyOut(napi_env env, napi_value outValue, const std::vector<int32_t>& result) {
  int32_t* out = nullptr;
  if (!int32Out(env, outValue, result.size(), &out)) {
    napi_throw_type_error(env, nullptr, "getServerOrdinals(): the output array was detached or shrunk meanwhile");
    return Napi::Value();
  }
  if (!result.empty()) std::memcpy(out, result.data(), result.size() * sizeof(int32_t));
  return Napi::Value();
}

}  // namespace

// A hot path: raw Node-API calls, and short keys hashed where they were read.
napi_value KetamaWrap::lookup(napi_env env, napi_value key, const KetamaRing& ring_) {
  int32_t ordinal;
  uint8_t block[64];
  size_t n = 0;
  if (readShortAscii(env, key, block, &n)) {
    ordinal = ring_.ordinalForHash(md5FirstWordInBlock(block, n));
  } else if (!ordinalOfOther(env, key, ring_, &ordinal)) {
    napi_throw_type_error(env, nullptr, "getServerOrdinal() key must be a string or a Buffer");
    return nullptr;
  }
  napi_value result;
  napi_create_int32(env, ordinal, &result);
  return result;
}

// ordinals(keys, count, out): out[i] = the ordinal of keys[i] for i < count.
// Short ASCII keys are hashed kMd5Lanes at a time (md5FirstWordInBlocks);
// the rest one by one. keys is read element by element, so any array-like
// works (a Proxy too). The JS side checks the arguments; here only what
// memory safety needs. Results are gathered apart and copied at the end:
// reading an element can run JS (a getter) that could detach `out`.
Napi::Value KetamaWrap::Ordinals(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  napi_value keys = info[0];
  uint32_t count = 0;
  if (info.Length() < 3 || napi_get_value_uint32(env, info[1], &count) != napi_ok ||
      !fitsInt32Out(env, info[2], count)) {
    napi_throw_type_error(env, nullptr, "getServerOrdinals(): out must be an Int32Array at least as long as keys");
    return Napi::Value();
  }
  std::vector<int32_t> result(count);
  HashQueue queue(ring_, result);
  for (uint32_t i = 0; i < count; ++i) {
    napi_value key;
    if (napi_get_element(env, keys, i, &key) != napi_ok) return throwUnreadable(env, i);
    size_t n = 0;
    if (readShortAscii(env, key, queue.block(), &n)) {
      queue.add(i, n);
    } else if (!ordinalOfOther(env, key, ring_, &result[i])) {
      return throwBadKey(env, i);
    }
  }
  queue.finish();
  return copyOut(env, info[2], result);
}

// ordinalsJoined(keys, joined, lengths, count, out): ordinals() for keys
// that are all strings, also joined in JS into one (lengths[i] UTF-16 units
// each), so they cross in one read instead of two Node-API calls per key.
// ASCII keys are hashed from the joined text; any other key is read again
// from keys[i].
Napi::Value KetamaWrap::OrdinalsJoined(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  napi_value keys = info[0];
  uint32_t count = 0;
  size_t metaLen = 0;
  const int32_t* lengths = nullptr;
  size_t units = 0;
  if (info.Length() < 5 || napi_get_value_string_utf16(env, info[1], nullptr, 0, &units) != napi_ok ||
      !int32ArrayOf(env, info[2], &lengths, &metaLen) || napi_get_value_uint32(env, info[3], &count) != napi_ok ||
      metaLen < count || !fitsInt32Out(env, info[4], count)) {
    napi_throw_type_error(env, nullptr, "getServerOrdinals(): out must be an Int32Array at least as long as keys");
    return Napi::Value();
  }
  // Per call, not shared: a getter run by napi_get_element below could call in again.
  char16_t onStack[4096];
  std::vector<char16_t> onHeap;
  char16_t* text = onStack;
  if (units + 1 > sizeof onStack / sizeof onStack[0]) {
    onHeap.resize(units + 1);
    text = onHeap.data();
  }
  napi_get_value_string_utf16(env, info[1], text, units + 1, &units);
  std::vector<int32_t> result(count);
  HashQueue queue(ring_, result);
  std::vector<uint8_t> narrow;
  size_t from = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const size_t n = static_cast<uint32_t>(lengths[i]);
    if (n > units - from) return throwMismatch(env);
    const char16_t* key = text + from;
    from += n;
    if (isAscii(key, n)) {
      if (n <= kMd5OneBlockMax) {
        narrowIntoBlock(key, n, queue.block());
        queue.add(i, n);
      } else {
        narrow.assign(key, key + n);
        result[i] = ring_.getServerOrdinal(narrow.data(), n);
      }
      continue;
    }
    napi_value element;
    if (napi_get_element(env, keys, i, &element) != napi_ok) return throwUnreadable(env, i);
    if (!ordinalOfOther(env, element, ring_, &result[i])) return throwBadKey(env, i);
    // That read may have run JS that detached or shrank lengths.
    if (!int32ArrayOf(env, info[2], &lengths, &metaLen) || metaLen < count) return throwMismatch(env);
  }
  if (from != units) return throwMismatch(env);
  queue.finish();
  return copyOut(env, info[4], result);
}

Napi::Value KetamaWrap::GetServerAddress(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ring_.getServerAddress(info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value KetamaWrap::PointCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ring_.pointCount()));
}

// ordinalForHash(hash): the ring step alone, for a hash a test picks (bucket
// edges, the points themselves); no key hashes to those on demand.
Napi::Value KetamaWrap::OrdinalForHash(const Napi::CallbackInfo& info) {
  uint32_t hash = 0;
  if (info.Length() < 1 || napi_get_value_uint32(info.Env(), info[0], &hash) != napi_ok) {
    Napi::TypeError::New(info.Env(), "ordinalForHash(hash)").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), ring_.ordinalForHash(hash));
}

}  // namespace libredis
