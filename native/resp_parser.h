// Incremental RESP2 parser, kept apart from I/O (in the manner of hiredis):
// feed it bytes as they arrive, split at any point, and it writes reply nodes
// into the PackedReplies of whichever batch is waiting for the next reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "packed_replies.h"

namespace libredis {

struct ParserLimits {
  uint64_t maxBulkBytes = 512ull * 1024 * 1024;  // one bulk string
  uint32_t maxDepth = 512;                       // multibulk nesting
  uint64_t maxElements = 0x7fffffffull;          // one multibulk's count
  size_t maxLineBytes = 64 * 1024 * 1024;        // a +, -, : or header line
  uint64_t maxPayloadBytes = 0xffffffffull;      // all reply bytes of one batch (offsets are uint32)
  uint64_t maxNodes = 64ull * 1024 * 1024;       // reply nodes of one batch (16 bytes each)
};

// What the parser needs from its owner.
class ReplyTarget {
 public:
  virtual ~ReplyTarget() = default;
  // Where the next top-level reply goes; null when no command awaits one.
  virtual PackedReplies* nextReplySink() = 0;
  // A top-level reply is complete.
  virtual void onReplyComplete() = 0;
};

class RespParser {
 public:
  explicit RespParser(const ParserLimits& limits = ParserLimits()) : limits_(limits) {}

  // Parses what it can of [data, data+len). Sets *consumed to the bytes used;
  // the caller must present the unconsumed tail again, followed by new bytes.
  // Returns false on malformed input; error() then says what was wrong, and
  // the parser must be reset() before it is used again.
  bool feed(const char* data, size_t len, ReplyTarget& target, size_t* consumed);

  // Stream form of feed(): takes bytes as they arrive and keeps the unparsed
  // tail (at most one partial line; bulk data is consumed as it comes) for
  // the next call.
  bool consume(const char* data, size_t len, ReplyTarget& target);

  void reset();
  bool midReply() const { return sink_ != nullptr; }
  const std::string& error() const { return error_; }
  const ParserLimits& limits() const { return limits_; }
  void setLimits(const ParserLimits& limits) { limits_ = limits; }

 private:
  enum class State { kLine, kBulkData, kBulkCrlf };

  bool fail(std::string msg);
  bool handleLine(char type, const char* body, size_t n, ReplyTarget& target);
  void elementDone(ReplyTarget& target);

  ParserLimits limits_;
  State state_ = State::kLine;
  std::vector<uint64_t> remaining_;  // elements left per open multibulk
  PackedReplies* sink_ = nullptr;    // reply in progress goes here
  uint64_t bulkLeft_ = 0;
  unsigned crlfSeen_ = 0;
  size_t scanned_ = 0;  // bytes of an incomplete line already searched for CR
  std::string carry_;   // consume(): bytes not parsed yet
  std::string error_;
};

// Strict decimal: optional '-', 1..19 digits, no overflow.
bool parseInt64(const char* p, size_t n, int64_t* out);

}  // namespace libredis
