#include "ketama.h"

#include <algorithm>
#include <cmath>

#include "md5.h"

namespace libredis {
namespace {

const size_t kMaxNameLen = 254;

inline uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

// Points-per-server count (the "ks" of KETAMA.md): the share is divided in
// float, multiplied in double, rounded back to float, then floored. Each
// rounding matters (weights 1..7 give 1120 points; all-double gives 1080),
// so every float step goes through a volatile float to force it.
uint32_t pointGroups(uint32_t weight, uint64_t total, size_t numServers) {
  volatile float fw = static_cast<float>(weight);
  volatile float ft = static_cast<float>(total);
  volatile float pct = fw / ft;
  volatile float fn = static_cast<float>(numServers);
  volatile float prod = static_cast<float>(static_cast<double>(pct) * 40.0 * static_cast<double>(fn));
  const float ks = std::floor(static_cast<float>(prod));
  // total == 0 gives NaN; converting that (or a huge value) to an integer is
  // undefined, so treat it as "no points". pct <= 1 bounds ks by 40 * n.
  if (!(ks >= 1.0f) || !(ks <= 40.0f * static_cast<float>(numServers))) return 0;
  return static_cast<uint32_t>(ks);
}

}  // namespace

void KetamaRing::addServer(const std::string& host, uint32_t port, uint32_t weight) {
  if (built_) return;
  std::string name = host;
  name += ':';
  name += std::to_string(port);
  if (name.size() > kMaxNameLen) name.resize(kMaxNameLen);
  names_.push_back(std::move(name));
  weights_.push_back(weight);
}

void KetamaRing::createContinuum() {
  if (built_ || names_.empty()) return;
  built_ = true;

  // 64-bit sum: cannot overflow for any realistic number of uint32 weights.
  uint64_t total = 0;
  for (uint32_t w : weights_) total += w;

  struct Point {
    uint32_t value;
    uint32_t ordinal;
  };
  std::vector<Point> pts;
  std::vector<uint32_t> ks(names_.size());
  size_t n = 0;
  for (size_t i = 0; i < names_.size(); ++i) {
    ks[i] = pointGroups(weights_[i], total, names_.size());
    n += static_cast<size_t>(ks[i]) * 4;
  }
  pts.reserve(n);

  uint8_t digest[16];
  std::string text;
  for (size_t i = 0; i < names_.size(); ++i) {
    for (uint32_t k = 0; k < ks[i]; ++k) {
      text = names_[i];
      text += '-';
      text += std::to_string(k);
      md5(reinterpret_cast<const uint8_t*>(text.data()), text.size(), digest);
      for (int h = 0; h < 4; ++h) pts.push_back({le32(digest + 4 * h), static_cast<uint32_t>(i)});
    }
  }

  // The spec leaves tie order open; a stable sort keeps it deterministic
  // (server order, then k, then h).
  std::stable_sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.value < b.value; });

  if (pts.empty()) return;  // all weights zero: no points, every lookup -1
  slots_.reserve(pts.size() + 1);
  for (const Point& p : pts) slots_.push_back({p.value, p.ordinal});
  slots_.push_back({UINT32_MAX, pts[0].ordinal});

  // About two buckets per point (at least 256, at most 2^20).
  uint32_t bits = 8;
  while (bits < 20 && (size_t{1} << bits) < 2 * pts.size()) ++bits;
  bucketShift_ = 32 - bits;
  const size_t count = size_t{1} << bits;
  table_.assign(count, 0);
  // Positions stay below kOwnerFlag: 2^31 points would take 16 GB of slots.
  size_t p = 0;  // first point of bucket j
  for (size_t j = 0; j < count; ++j) {
    const uint64_t start = static_cast<uint64_t>(j) << bucketShift_;
    const uint64_t end = start + (uint64_t{1} << bucketShift_);
    while (p < pts.size() && slots_[p].value < start) ++p;
    if (p < pts.size() && slots_[p].value < end) {
      table_[j] = static_cast<uint32_t>(p);
    } else {
      // No point here: every hash in the bucket goes to the next point,
      // or past the last one to the first (the sentinel's owner).
      table_[j] = kOwnerFlag | slots_[p].ordinal;
    }
  }
}

int KetamaRing::getServerOrdinal(const uint8_t* key, size_t len) const {
  return ordinalForHash(md5FirstWord(key, len));
}

const std::string& KetamaRing::getServerAddress(int ordinal) const {
  static const std::string kEmpty;
  if (ordinal < 0 || static_cast<size_t>(ordinal) >= names_.size()) return kEmpty;
  return names_[static_cast<size_t>(ordinal)];
}

}  // namespace libredis
