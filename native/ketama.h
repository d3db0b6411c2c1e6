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
  int ordinalForHash(uint32_t hash) const;

  // Server name text; an empty string for an out-of-range ordinal.
  const std::string& getServerAddress(int ordinal) const;

  size_t serverCount() const { return names_.size(); }
  size_t pointCount() const { return points_.size(); }

 private:
  std::vector<std::string> names_;
  std::vector<uint32_t> weights_;
  // Parallel arrays so the binary search only touches point values.
  std::vector<uint32_t> points_;    // sorted ascending
  std::vector<uint32_t> ordinals_;  // ordinals_[i] owns points_[i]
  // buckets_[j] is the index of the first point whose top bucketBits_ bits
  // are >= j, so a lookup scans only the (about one) point of its bucket
  // instead of binary-searching the whole ring.
  std::vector<uint32_t> buckets_;
  // bucketOwner_[j] is the ordinal every hash of bucket j maps to when the
  // bucket holds no point, else -1.
  std::vector<int32_t> bucketOwner_;
  uint32_t bucketShift_ = 32;
  bool built_ = false;
};

}  // namespace libredis

#endif  // LIBREDIS_KETAMA_H
