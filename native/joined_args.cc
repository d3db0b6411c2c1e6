#include "joined_args.h"

namespace libredis {

namespace {
// UTF-16 code units a UTF-8 sequence with this lead byte stands for, and its
// byte length. V8 writes lone surrogates as U+FFFD (3 bytes, 1 unit), so
// every sequence is one of these.
inline size_t seqBytes(unsigned char lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }
}  // namespace

bool splitJoinedUtf8(const char* bytes, size_t n, const int32_t* units, size_t count, uint32_t* byteLens) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes);
  size_t totalUnits = 0;
  for (size_t i = 0; i < count; i++) {
    if (units[i] < 0) return false;
    totalUnits += static_cast<size_t>(units[i]);
  }
  if (totalUnits == n) {  // all ASCII: one byte per unit
    for (size_t i = 0; i < count; i++) byteLens[i] = static_cast<uint32_t>(units[i]);
    return true;
  }
  size_t pos = 0;
  for (size_t i = 0; i < count; i++) {
    size_t start = pos;
    int64_t left = units[i];
    while (left > 0) {
      if (pos >= n) return false;
      size_t len = seqBytes(p[pos]);
      pos += len;
      left -= len == 4 ? 2 : 1;
    }
    if (left < 0 || pos > n) return false;  // a pair straddles two strings
    byteLens[i] = static_cast<uint32_t>(pos - start);
  }
  return pos == n;
}

}  // namespace libredis
