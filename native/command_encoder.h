// RESP multibulk command encoding: "*<n>\r\n" then "$<len>\r\n<bytes>\r\n" per
// argument. Binary-safe: lengths are byte counts, bytes are copied as is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace libredis {

// The heads of the two most common commands, pre-encoded.
constexpr char kGetHead[] = "*2\r\n$3\r\nGET\r\n";
constexpr char kSetHead[] = "*3\r\n$3\r\nSET\r\n";
constexpr size_t kHeadLen = sizeof kGetHead - 1;
static_assert(sizeof kSetHead == sizeof kGetHead, "both heads have one length");

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
