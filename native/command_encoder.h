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

// Writers through a raw pointer into room the caller has made; each returns
// the position after what it wrote. Encoding many arguments at once uses
// them directly: appending each few-byte piece to a std::string checks
// capacity and copies it through memmove every time. The append* forms
// below go through them too.

// For a count or length under 2^32 (ten digits), at most this many bytes:
// for an array header, "*", the digits and CRLF;
constexpr size_t kArrayHeaderMax = 13;
// for a bulk string, besides its bytes, "$", the digits and two CRLFs.
constexpr size_t kBulkOverhead = 15;
// For any size_t, a header takes at most this many bytes (twenty digits).
constexpr size_t kAnyHeaderMax = 23;

inline char* writeDecimal(char* w, uint64_t v) {
  char buf[20];
  size_t i = sizeof buf;
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  std::memcpy(w, buf + i, sizeof buf - i);
  return w + (sizeof buf - i);
}

// "<mark><n>\r\n"
inline char* writeHeader(char* w, char mark, uint64_t n) {
  *w++ = mark;
  w = writeDecimal(w, n);
  *w++ = '\r';
  *w++ = '\n';
  return w;
}

inline char* writeArrayHeader(char* w, uint64_t count) { return writeHeader(w, '*', count); }

inline char* writeBulk(char* w, const char* p, uint32_t len) {
  w = writeHeader(w, '$', len);
  std::memcpy(w, p, len);
  w += len;
  *w++ = '\r';
  *w++ = '\n';
  return w;
}

inline void appendArrayHeader(std::string& out, size_t count) {
  char buf[kAnyHeaderMax];
  out.append(buf, static_cast<size_t>(writeHeader(buf, '*', count) - buf));
}

inline void appendBulkHeader(std::string& out, size_t len) {
  char buf[kAnyHeaderMax];
  out.append(buf, static_cast<size_t>(writeHeader(buf, '$', len) - buf));
}

inline void appendBulk(std::string& out, const char* p, size_t len) {
  appendBulkHeader(out, len);
  out.append(p, len);
  out.append("\r\n", 2);
}

}  // namespace libredis
