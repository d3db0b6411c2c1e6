// Splitting the UTF-8 encoding of many strings joined into one.
//
// Reading arguments one JS value at a time costs three N-API calls each
// (~190 ns); joining them in JS and reading the joined string once costs a
// few ns per argument. The JS side knows each argument's length in UTF-16
// code units; this maps those lengths onto the bytes V8 wrote.
#pragma once

#include <cstddef>
#include <cstdint>

namespace libredis {

// `bytes` (`n` bytes) is the UTF-8 that V8 wrote for a string of
// `totalUnits` UTF-16 units, the concatenation of `count` strings whose
// lengths are `units`. Writes each string's UTF-8 byte length to `byteLens`
// (reading each of `units` once). Returns false when the lengths do not add
// up to the string, or when the joined encoding cannot be split as the
// strings would have been encoded one by one: a surrogate pair formed across
// a boundary (each half alone would have become U+FFFD).
bool splitJoinedUtf8(const char* bytes, size_t n, size_t totalUnits, const int32_t* units, size_t count,
                     uint32_t* byteLens);

}  // namespace libredis
