// Replies of one batch, packed flat so they cross to JS as two buffers
// (records + payload) instead of one JS object per reply.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace libredis {

// Numbers match the libredis PHP extension's reply types.
enum ReplyType : int32_t {
  RT_ERROR = -1,
  RT_NONE = 0,
  RT_OK = 1,
  RT_BULK_NIL = 2,
  RT_BULK = 3,
  RT_MULTIBULK_NIL = 4,
  RT_MULTIBULK = 5,
  RT_INTEGER = 6,
};

// Each reply node is kRecordFields int32s: type, level, length, payload offset.
// Multibulk elements follow their header depth-first, one level deeper.
// Offsets are stored as uint32 bit patterns (JS reads them with >>> 0).
constexpr size_t kRecordFields = 4;

class PackedReplies {
 public:
  std::vector<int32_t> records;
  std::string payload;

  size_t count() const { return records.size() / kRecordFields; }

  // Empty again, keeping the memory (for reuse by the next command).
  void clear() {
    records.clear();
    payload.clear();
    markRecords_ = markPayload_ = 0;
  }

  void addText(ReplyType type, uint32_t level, const char* p, size_t n) {
    push(type, level, static_cast<uint32_t>(n), payload.size());
    payload.append(p, n);
  }
  void addNil(ReplyType type, uint32_t level) { push(type, level, 0, payload.size()); }
  void addMultibulk(uint32_t level, uint32_t count) { push(RT_MULTIBULK, level, count, payload.size()); }
  // A bulk's bytes may arrive over several reads; the header goes first.
  void beginBulk(uint32_t level, uint32_t len) {
    push(RT_BULK, level, len, payload.size());
    payload.reserve(payload.size() + len);
  }
  void appendBulk(const char* p, size_t n) { payload.append(p, n); }

  // Commit point after each complete top-level reply, so a failure mid-reply
  // can drop the half-parsed nodes.
  void mark() {
    markRecords_ = records.size();
    markPayload_ = payload.size();
  }
  void truncateToMark() {
    records.resize(markRecords_);
    payload.resize(markPayload_);
  }

  // `n` top-level ERROR replies sharing one copy of `reason`.
  void addErrors(size_t n, const std::string& reason) {
    if (n == 0) return;
    size_t off = payload.size();
    payload.append(reason);
    for (size_t i = 0; i < n; i++) push(RT_ERROR, 1, static_cast<uint32_t>(reason.size()), off);
  }

 private:
  void push(ReplyType type, uint32_t level, uint32_t length, size_t offset) {
    records.push_back(type);
    records.push_back(static_cast<int32_t>(level));
    records.push_back(static_cast<int32_t>(length));
    records.push_back(static_cast<int32_t>(static_cast<uint32_t>(offset)));
  }

  size_t markRecords_ = 0;
  size_t markPayload_ = 0;
};

}  // namespace libredis
