#include "command_buffers.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace libredis {
namespace {

// At most this much memory waits in a thread's pool, in at most kSlots
// buffers: enough for a few batches of megabyte values in flight, little
// for an idle process to keep.
constexpr size_t kMaxPooledBytes = 16 * 1024 * 1024;
constexpr size_t kSlots = 4;

struct Pool {
  std::vector<std::string> free;
  size_t bytes = 0;
};

thread_local Pool pool;

}  // namespace

void reserveCommandBytes(std::string& out, size_t need) {
  if (out.capacity() >= need) return;
  if (need >= kPooledCommandBytes) {
    Pool& p = pool;  // one TLS lookup
    size_t best = p.free.size();
    for (size_t i = 0; i < p.free.size(); i++) {
      if (p.free[i].capacity() >= need && (best == p.free.size() || p.free[i].capacity() < p.free[best].capacity()))
        best = i;
    }
    if (best != p.free.size()) {
      std::string taken = std::move(p.free[best]);
      p.free.erase(p.free.begin() + static_cast<std::ptrdiff_t>(best));
      p.bytes -= taken.capacity();
      taken.assign(out);  // fits: no reallocation
      out.swap(taken);
      recycleCommandBytes(taken);  // the smaller buffer it replaces
      return;
    }
  }
  out.reserve(std::max(need, out.capacity() * 2));
}

void poolCommandBytes(std::string& s) {
  const size_t cap = s.capacity();
  Pool& p = pool;
  if (cap >= kPooledCommandBytes && p.free.size() < kSlots && p.bytes + cap <= kMaxPooledBytes) {
    s.clear();
    p.free.push_back(std::move(s));
    p.bytes += cap;
  }
  std::string().swap(s);
}

size_t pooledCommandBytes() { return pool.bytes; }

}  // namespace libredis
