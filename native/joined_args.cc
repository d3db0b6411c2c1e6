#include "joined_args.h"

namespace libredis {

namespace {
// Bytes of the UTF-8 sequence with this lead byte. V8 writes lone
// surrogates as U+FFFD (3 bytes, 1 unit), so a 4-byte sequence is always a
// surrogate pair (2 units) and every shorter one is 1 unit.
inline size_t seqBytes(unsigned char lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }
}  // namespace

bool splitJoinedUtf8(const char* bytes, size_t n, size_t totalUnits, const int32_t* units, size_t count,
                     uint32_t* byteLens) {
  size_t sum = 0;
  for (size_t i = 0; i < count; i++) {
    int32_t u = units[i];
    if (u < 0) return false;
    byteLens[i] = static_cast<uint32_t>(u);
    sum += static_cast<size_t>(u);
  }
  if (sum != totalUnits) return false;
  if (n == totalUnits) return true;  // all ASCII: one byte per unit, as copied
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes);
  size_t pos = 0;
  for (size_t i = 0; i < count; i++) {
    size_t start = pos;
    int64_t left = byteLens[i];
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
