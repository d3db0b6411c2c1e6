// MD5 (RFC 1321). Used to place keys and servers on the Ketama ring, so it
// must be bit-exact; it is not used for anything security related.
#ifndef LIBREDIS_MD5_H
#define LIBREDIS_MD5_H

#include <cstddef>
#include <cstdint>

namespace libredis {

// Writes the 16-byte MD5 digest of data[0..len) to out. data may be null when
// len is 0. Allocation-free and reentrant.
void md5(const uint8_t* data, size_t len, uint8_t out[16]);

// The first four digest bytes as a little-endian word (what Ketama hashes a
// key to), computing only what they depend on.
uint32_t md5FirstWord(const uint8_t* data, size_t len);

// The longest message that fits one MD5 block with its padding.
constexpr size_t kMd5OneBlockMax = 55;

// md5FirstWord for a message already in place: block holds len bytes
// (len <= kMd5OneBlockMax) followed by zeros to byte 63. Writes the padding
// into block and hashes it there, so a caller that reads the key straight
// into a zeroed block skips the copy.
uint32_t md5FirstWordInBlock(uint8_t block[64], size_t len);

// How many messages md5FirstWordInBlocks hashes at once.
constexpr size_t kMd5Lanes = 8;

// md5FirstWordInBlock for kMd5Lanes messages at once (out[k] for blocks[k]
// of lens[k] bytes), several times the throughput of as many single calls.
void md5FirstWordInBlocks(uint8_t blocks[kMd5Lanes][64], const size_t lens[kMd5Lanes], uint32_t out[kMd5Lanes]);

}  // namespace libredis

#endif  // LIBREDIS_MD5_H
