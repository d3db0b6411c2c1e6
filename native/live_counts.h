// Counts of live native objects, process-wide. Tests read them (stats()) to
// prove that work in flight is freed once it settles: a leak shows up as a
// count that does not return to where it was.
#pragma once

#include <atomic>
#include <cstdint>

namespace libredis {

struct LiveCounts {
  std::atomic<int64_t> executions{0};
  std::atomic<int64_t> jobs{0};
  std::atomic<int64_t> connections{0};  // ConnState objects
  std::atomic<int64_t> openSockets{0};
};

inline LiveCounts& liveCounts() {
  static LiveCounts counts;
  return counts;
}

}  // namespace libredis
