// RESP multibulk command encoding: "*<n>\r\n" then "$<len>\r\n<bytes>\r\n" per
// argument. Binary-safe: lengths are byte counts, bytes are copied as is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace libredis {

inline void appendDecimal(std::string& out, uint64_t v) {
  char buf[20];
  size_t i = sizeof buf;
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(buf + i, sizeof buf - i);
}

inline void appendArrayHeader(std::string& out, size_t count) {
  out.push_back('*');
  appendDecimal(out, count);
  out.append("\r\n", 2);
}

inline void appendBulkHeader(std::string& out, size_t len) {
  out.push_back('$');
  appendDecimal(out, len);
  out.append("\r\n", 2);
}

inline void appendBulk(std::string& out, const char* p, size_t len) {
  appendBulkHeader(out, len);
  out.append(p, len);
  out.append("\r\n", 2);
}

}  // namespace libredis
