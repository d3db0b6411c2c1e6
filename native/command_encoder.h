// RESP multibulk command encoding: "*<n>\r\n" then "$<len>\r\n<bytes>\r\n" per
// argument. Binary-safe: lengths are byte counts, bytes are copied as is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
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

// The same encoding written through a raw pointer into room sized
// beforehand, for encoding many arguments at once: appending piece by piece
// to a std::string checks capacity and copies each few-byte piece through
// memmove. Each returns the position after what it wrote.

// At most this many bytes besides the argument itself: "$", ten digits
// (arguments are under 4 GiB) and two CRLFs.
constexpr size_t kBulkOverhead = 15;
// At most this many bytes for an array header: "*", ten digits, CRLF.
constexpr size_t kArrayHeaderMax = 13;

inline char* writeDecimal(char* w, uint32_t v) {
  char buf[10];
  size_t i = sizeof buf;
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  std::memcpy(w, buf + i, sizeof buf - i);
  return w + (sizeof buf - i);
}

inline char* writeArrayHeader(char* w, uint32_t count) {
  *w++ = '*';
  w = writeDecimal(w, count);
  *w++ = '\r';
  *w++ = '\n';
  return w;
}

inline char* writeBulk(char* w, const char* p, uint32_t len) {
  *w++ = '$';
  w = writeDecimal(w, len);
  *w++ = '\r';
  *w++ = '\n';
  std::memcpy(w, p, len);
  w += len;
  *w++ = '\r';
  *w++ = '\n';
  return w;
}

}  // namespace libredis
