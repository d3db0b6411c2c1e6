#include "resp_parser.h"

#include <cstdio>
#include <cstring>

namespace libredis {

bool parseInt64(const char* p, size_t n, int64_t* out) {
  bool neg = false;
  if (n > 0 && *p == '-') {
    neg = true;
    p++;
    n--;
  }
  if (n == 0 || n > 19) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned d = static_cast<unsigned char>(p[i]) - '0';
    if (d > 9) return false;
    v = v * 10 + d;
  }
  // 19 digits fit in uint64; the int64 range is checked here.
  if (neg ? v > 9223372036854775808ull : v > 9223372036854775807ull) return false;
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

static std::string printable(const char* p, size_t n) {
  std::string s;
  size_t shown = n < 32 ? n : 32;
  for (size_t i = 0; i < shown; i++) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'') {
      s.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    }
  }
  if (shown < n) s += "...";
  return s;
}

bool RespParser::consume(const char* data, size_t len, ReplyTarget& target) {
  size_t used = 0;
  if (carry_.empty()) {
    if (!feed(data, len, target, &used)) return false;
    if (used < len) carry_.assign(data + used, len - used);
    return true;
  }
  carry_.append(data, len);
  if (!feed(carry_.data(), carry_.size(), target, &used)) return false;
  carry_.erase(0, used);
  return true;
}

void RespParser::reset() {
  carry_.clear();
  state_ = State::kLine;
  remaining_.clear();
  sink_ = nullptr;
  bulkLeft_ = 0;
  crlfSeen_ = 0;
  scanned_ = 0;
  error_.clear();
}

bool RespParser::fail(std::string msg) {
  error_ = "protocol error: " + msg;
  return false;
}

void RespParser::elementDone(ReplyTarget& target) {
  while (!remaining_.empty()) {
    if (--remaining_.back() > 0) return;
    remaining_.pop_back();
  }
  sink_->mark();
  sink_ = nullptr;
  target.onReplyComplete();
}

bool RespParser::handleLine(char type, const char* body, size_t n, ReplyTarget& target) {
  if (sink_ == nullptr) {
    sink_ = target.nextReplySink();
    if (sink_ == nullptr) {
      return fail("reply '" + printable(body - 1, n + 1) + "' arrived with no command waiting for it");
    }
  }
  const uint32_t level = static_cast<uint32_t>(remaining_.size() + 1);
  if (sink_->count() >= limits_.maxNodes) {
    return fail("more than " + std::to_string(limits_.maxNodes) + " reply elements for one batch");
  }
  if (type != '$' && sink_->payload.size() + n > limits_.maxPayloadBytes) {
    return fail("replies of one batch exceed " + std::to_string(limits_.maxPayloadBytes) + " bytes");
  }
  int64_t v;
  switch (type) {
    case '+':
      sink_->addText(RT_OK, level, body, n);
      elementDone(target);
      return true;
    case '-':
      sink_->addText(RT_ERROR, level, body, n);
      elementDone(target);
      return true;
    case ':':
      if (!parseInt64(body, n, &v)) return fail("invalid integer reply '" + printable(body, n) + "'");
      sink_->addText(RT_INTEGER, level, body, n);
      elementDone(target);
      return true;
    case '$':
      if (!parseInt64(body, n, &v)) return fail("invalid bulk length '" + printable(body, n) + "'");
      if (v == -1) {
        sink_->addNil(RT_BULK_NIL, level);
        elementDone(target);
        return true;
      }
      if (v < 0) return fail("negative bulk length " + std::to_string(v));
      if (static_cast<uint64_t>(v) > limits_.maxBulkBytes) {
        return fail("bulk length " + std::to_string(v) + " exceeds the limit of " +
                    std::to_string(limits_.maxBulkBytes) + " bytes");
      }
      if (sink_->payload.size() + static_cast<uint64_t>(v) > limits_.maxPayloadBytes) {
        return fail("replies of one batch exceed " + std::to_string(limits_.maxPayloadBytes) + " bytes");
      }
      sink_->beginBulk(level, static_cast<uint32_t>(v));
      bulkLeft_ = static_cast<uint64_t>(v);
      crlfSeen_ = 0;
      state_ = bulkLeft_ > 0 ? State::kBulkData : State::kBulkCrlf;
      return true;
    case '*':
      if (!parseInt64(body, n, &v)) return fail("invalid multibulk length '" + printable(body, n) + "'");
      if (v == -1) {
        sink_->addNil(RT_MULTIBULK_NIL, level);
        elementDone(target);
        return true;
      }
      if (v < 0) return fail("negative multibulk length " + std::to_string(v));
      if (level > limits_.maxDepth) {
        return fail("multibulk nested deeper than " + std::to_string(limits_.maxDepth) + " levels");
      }
      if (static_cast<uint64_t>(v) > limits_.maxElements) {
        return fail("multibulk length " + std::to_string(v) + " exceeds the limit of " +
                    std::to_string(limits_.maxElements));
      }
      sink_->addMultibulk(level, static_cast<uint32_t>(v));
      if (v == 0) {
        elementDone(target);
        return true;
      }
      remaining_.push_back(static_cast<uint64_t>(v));
      return true;
    default:
      return fail("unexpected byte '" + printable(body - 1, 1) + "' at the start of a reply");
  }
}

bool RespParser::feed(const char* data, size_t len, ReplyTarget& target, size_t* consumed) {
  size_t pos = 0;
  bool ok = true;
  while (pos < len && ok) {
    if (state_ == State::kBulkData) {
      size_t take = len - pos;
      if (take > bulkLeft_) take = static_cast<size_t>(bulkLeft_);
      sink_->appendBulk(data + pos, take);
      pos += take;
      bulkLeft_ -= take;
      if (bulkLeft_ == 0) state_ = State::kBulkCrlf;
      continue;
    }
    if (state_ == State::kBulkCrlf) {
      while (crlfSeen_ < 2 && pos < len) {
        if (data[pos] != (crlfSeen_ == 0 ? '\r' : '\n')) {
          ok = fail("bulk string not followed by CRLF (found '" + printable(data + pos, 1) + "')");
          break;
        }
        pos++;
        crlfSeen_++;
      }
      if (!ok || crlfSeen_ < 2) break;
      state_ = State::kLine;
      elementDone(target);
      continue;
    }
    // A whole line is needed: find its CR, resuming where the last search stopped
    // so a line dripped in byte by byte is not searched over and over.
    const char* line = data + pos;
    const size_t avail = len - pos;
    if (scanned_ == 0 && (line[0] == 0 || strchr("+-:$*", line[0]) == nullptr)) {
      // Known bad at its first byte: do not wait for a CRLF garbage may never send.
      ok = fail("unexpected byte '" + printable(line, 1) + "' at the start of a reply");
      break;
    }
    const char* cr = static_cast<const char*>(memchr(line + scanned_, '\r', avail - scanned_));
    if (cr == nullptr || cr + 1 >= data + len) {
      scanned_ = cr == nullptr ? avail : static_cast<size_t>(cr - line);
      if (avail > limits_.maxLineBytes) {
        ok = fail("line longer than " + std::to_string(limits_.maxLineBytes) + " bytes without CRLF");
      }
      break;
    }
    if (cr[1] != '\n') {
      ok = fail("line '" + printable(line, static_cast<size_t>(cr - line)) + "' ends in CR without LF");
      break;
    }
    if (static_cast<size_t>(cr - line) > limits_.maxLineBytes) {
      ok = fail("line longer than " + std::to_string(limits_.maxLineBytes) + " bytes");
      break;
    }
    if (cr == line) {
      ok = fail("empty line where a reply was expected");
      break;
    }
    scanned_ = 0;
    pos = static_cast<size_t>(cr + 2 - data);
    ok = handleLine(line[0], line + 1, static_cast<size_t>(cr - line - 1), target);
  }
  *consumed = pos;
  return ok;
}

}  // namespace libredis
