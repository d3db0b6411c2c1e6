// libFuzzer target for the RESP parser (scripts/fuzz.sh builds and runs it).
// Properties checked on every input:
//   - no crash, no sanitizer report, bounded memory (small limits below);
//   - the result does not depend on how the bytes are split: the whole input,
//     a split at a point chosen by the first byte, and one byte at a time
//     (for short inputs) give identical records, payload, reply count and
//     error state.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../resp_parser.h"

namespace {

using libredis::PackedReplies;
using libredis::ParserLimits;
using libredis::ReplyTarget;
using libredis::RespParser;

class Target : public ReplyTarget {
 public:
  PackedReplies* nextReplySink() override { return completed < 64 ? &sink : nullptr; }
  void onReplyComplete() override { completed++; }
  PackedReplies sink;
  uint32_t completed = 0;
};

struct Outcome {
  std::vector<int32_t> records;
  std::string payload;
  uint32_t completed;
  bool failed;
};

Outcome run(const uint8_t* data, size_t size, const std::vector<size_t>& cuts) {
  ParserLimits limits;
  limits.maxBulkBytes = 1 << 20;
  limits.maxDepth = 32;
  limits.maxLineBytes = 1 << 16;
  limits.maxNodes = 1 << 16;
  RespParser parser(limits);
  Target target;
  bool ok = true;
  size_t at = 0;
  for (size_t i = 0; i <= cuts.size() && ok; i++) {
    size_t end = i < cuts.size() ? cuts[i] : size;
    ok = parser.consume(reinterpret_cast<const char*>(data) + at, end - at, target);
    at = end;
  }
  // Compare only what was committed: a reply cut short leaves partial nodes.
  if (ok) target.sink.truncateToMark();
  return Outcome{target.sink.records, target.sink.payload, target.completed, !ok};
}

bool same(const Outcome& a, const Outcome& b) {
  if (a.failed != b.failed) return false;
  if (a.failed) return true;  // where it stopped may differ; that it failed may not
  return a.records == b.records && a.payload == b.payload && a.completed == b.completed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t pick = data[0];
  data++;
  size--;
  Outcome whole = run(data, size, {});
  std::vector<size_t> one{size == 0 ? 0 : pick % (size + 1)};
  if (!same(whole, run(data, size, one))) abort();
  if (size <= 256) {
    std::vector<size_t> bytes;
    for (size_t i = 1; i < size; i++) bytes.push_back(i);
    if (!same(whole, run(data, size, bytes))) abort();
  }
  return 0;
}
