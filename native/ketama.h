// Ketama consistent-hash ring, bit-compatible with the libredis PHP
// extension so Node and PHP clients send every key to the same server.
// See KETAMA.md for the algorithm and its quirks.
#ifndef LIBREDIS_KETAMA_H
#define LIBREDIS_KETAMA_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace libredis {

class KetamaRing {
 public:
  // Name on the ring is host + ":" + port, cut to 254 bytes. Ignored once
  // createContinuum() has built the ring (the ring is frozen).
  void addServer(const std::string& host, uint32_t port, uint32_t weight);

  // Builds the ring. No-op without servers or when already built.
  void createContinuum();

  // True once createContinuum() has built (and frozen) the ring.
  bool hasContinuum() const { return built_; }

  // Ordinal (addServer order, from 0) of the server owning key[0..len), or
  // -1 before createContinuum() or when the ring has no points (all weights
  // zero). key may be null when len is 0.
  int getServerOrdinal(const uint8_t* key, size_t len) const;

  // Same, for a key already hashed (md5FirstWord of its bytes).
  int ordinalForHash(uint32_t hash) const {
    if (slots_.empty()) return -1;
    // Most buckets hold no point: every hash in them has one owner, kept
    // in the entry itself. Otherwise the entry is where the bucket's points
    // start; the first point >= hash is usually a step or two on, and the
    // sentinel past the last point stops the scan and wraps to the first.
    const uint32_t entry = table_[hash >> bucketShift_];
    if (entry & kOwnerFlag) return static_cast<int>(entry & ~kOwnerFlag);
    const Slot* s = &slots_[entry];
    while (s->value < hash) ++s;
    return static_cast<int>(s->ordinal);
  }

  // Server name text; an empty string for an out-of-range ordinal.
  const std::string& getServerAddress(int ordinal) const;

  size_t serverCount() const { return names_.size(); }
  size_t pointCount() const { return slots_.empty() ? 0 : slots_.size() - 1; }

 private:
  std::vector<std::string> names_;
  std::vector<uint32_t> weights_;
  // A ring point and its server, side by side: a lookup reads both.
  struct Slot {
    uint32_t value;
    uint32_t ordinal;
  };
  static constexpr uint32_t kOwnerFlag = 0x80000000u;
  // The points sorted ascending, then a sentinel (value 2^32-1, owned by the
  // first point's server) so a scan needs no bounds check and wraps.
  std::vector<Slot> slots_;
  // One entry per bucket (the top bits of a hash): kOwnerFlag | ordinal when
  // no point falls in the bucket, else the index in slots_ of its first
  // point. One array: 16 KB for 8 servers, where a lookup reads one entry
  // and, for the buckets that hold points, one or two slots.
  std::vector<uint32_t> table_;
  uint32_t bucketShift_ = 32;
  bool built_ = false;
};

}  // namespace libredis

#endif  // LIBREDIS_KETAMA_H
