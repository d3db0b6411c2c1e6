// MD5 per RFC 1321, written for the per-key hot path: whole blocks are read
// straight from the caller's buffer and only the tail is copied to the stack.
#include "md5.h"

#include <cstring>

namespace libredis {
namespace {

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LIBREDIS_MD5_LITTLE_ENDIAN 1
#elif defined(_MSC_VER) || defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86) || \
    defined(_M_ARM64)
#define LIBREDIS_MD5_LITTLE_ENDIAN 1
#else
#define LIBREDIS_MD5_LITTLE_ENDIAN 0
#endif

// MD5 words are little-endian. memcpy avoids unaligned/aliasing UB and
// compiles to a single load; other byte orders assemble the word by hand.
inline uint32_t load32(const uint8_t* p) {
#if LIBREDIS_MD5_LITTLE_ENDIAN
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
#else
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
#endif
}

inline void store32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

inline uint32_t rotl(uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }

// Several hashes' words side by side. One hash is a serial chain of 61
// dependent steps, so a core running one leaves most of its units idle;
// kMd5Lanes chains in lockstep fill them (the lane loops compile to SIMD).
struct Lanes {
  uint32_t v[kMd5Lanes];
};
#define LIBREDIS_LANES_OP(op)                                            \
  inline Lanes operator op(Lanes x, Lanes y) {                           \
    for (size_t k = 0; k < kMd5Lanes; ++k) x.v[k] = x.v[k] op y.v[k];    \
    return x;                                                            \
  }                                                                      \
  inline Lanes operator op(Lanes x, uint32_t y) {                        \
    for (size_t k = 0; k < kMd5Lanes; ++k) x.v[k] = x.v[k] op y;         \
    return x;                                                            \
  }                                                                      \
  inline Lanes& operator op##=(Lanes& x, Lanes y) { return x = x op y; } \
  inline Lanes& operator op##=(Lanes& x, uint32_t y) { return x = x op y; }
LIBREDIS_LANES_OP(+)
LIBREDIS_LANES_OP(&)
LIBREDIS_LANES_OP(|)
LIBREDIS_LANES_OP(^)
#undef LIBREDIS_LANES_OP
inline Lanes operator~(Lanes x) {
  for (size_t k = 0; k < kMd5Lanes; ++k) x.v[k] = ~x.v[k];
  return x;
}
inline Lanes rotl(Lanes x, int s) {
  for (size_t k = 0; k < kMd5Lanes; ++k) x.v[k] = rotl(x.v[k], s);
  return x;
}

// The RFC's auxiliary functions, in equivalent forms whose operations on x
// (the newest value, b) come last, keeping the serial chain short. G is
// written inline in MD5_STEP_G.
template <typename W>
inline W F(W x, W y, W z) {
  return z ^ (x & (y ^ z));
}
template <typename W>
inline W H(W x, W y, W z) {
  return x ^ (y ^ z);
}
template <typename W>
inline W I(W x, W y, W z) {
  return y ^ (x | ~z);
}

// x + t is added to a (the value from four steps back) first so that only
// f, the rotate and the final add sit on the dependency chain through b.
#define MD5_STEP(f, a, b, c, d, x, t, s) \
  (a) += (x) + (t);                      \
  (a) += f((b), (c), (d));               \
  (a) = rotl((a), (s)) + (b)

// G(b,c,d) = (b & d) | (c & ~d); the two halves never share a set bit, so
// | may be +, and the half without b joins the early additions.
#define MD5_STEP_G(a, b, c, d, x, t, s) \
  (a) += (x) + (t) + ((c) & ~(d));      \
  (a) += (b) & (d);                     \
  (a) = rotl((a), (s)) + (b)

// One 64-byte block. Fully unrolled so the message index, constant and shift
// of every step are compile-time constants.
// With kWordZeroOnly, only st[0] is updated, so the compiler drops the last
// three steps (they feed only b, c and d): what a Ketama key lookup needs.
// W is one 32-bit word, or Lanes: kMd5Lanes independent hashes stepped together.
template <bool kWordZeroOnly = false, typename W = uint32_t>
void transformWords(W st[4], const W x[16]) {
  W a = st[0], b = st[1], c = st[2], d = st[3];

  MD5_STEP(F, a, b, c, d, x[0], 0xd76aa478u, 7);
  MD5_STEP(F, d, a, b, c, x[1], 0xe8c7b756u, 12);
  MD5_STEP(F, c, d, a, b, x[2], 0x242070dbu, 17);
  MD5_STEP(F, b, c, d, a, x[3], 0xc1bdceeeu, 22);
  MD5_STEP(F, a, b, c, d, x[4], 0xf57c0fafu, 7);
  MD5_STEP(F, d, a, b, c, x[5], 0x4787c62au, 12);
  MD5_STEP(F, c, d, a, b, x[6], 0xa8304613u, 17);
  MD5_STEP(F, b, c, d, a, x[7], 0xfd469501u, 22);
  MD5_STEP(F, a, b, c, d, x[8], 0x698098d8u, 7);
  MD5_STEP(F, d, a, b, c, x[9], 0x8b44f7afu, 12);
  MD5_STEP(F, c, d, a, b, x[10], 0xffff5bb1u, 17);
  MD5_STEP(F, b, c, d, a, x[11], 0x895cd7beu, 22);
  MD5_STEP(F, a, b, c, d, x[12], 0x6b901122u, 7);
  MD5_STEP(F, d, a, b, c, x[13], 0xfd987193u, 12);
  MD5_STEP(F, c, d, a, b, x[14], 0xa679438eu, 17);
  MD5_STEP(F, b, c, d, a, x[15], 0x49b40821u, 22);

  MD5_STEP_G(a, b, c, d, x[1], 0xf61e2562u, 5);
  MD5_STEP_G(d, a, b, c, x[6], 0xc040b340u, 9);
  MD5_STEP_G(c, d, a, b, x[11], 0x265e5a51u, 14);
  MD5_STEP_G(b, c, d, a, x[0], 0xe9b6c7aau, 20);
  MD5_STEP_G(a, b, c, d, x[5], 0xd62f105du, 5);
  MD5_STEP_G(d, a, b, c, x[10], 0x02441453u, 9);
  MD5_STEP_G(c, d, a, b, x[15], 0xd8a1e681u, 14);
  MD5_STEP_G(b, c, d, a, x[4], 0xe7d3fbc8u, 20);
  MD5_STEP_G(a, b, c, d, x[9], 0x21e1cde6u, 5);
  MD5_STEP_G(d, a, b, c, x[14], 0xc33707d6u, 9);
  MD5_STEP_G(c, d, a, b, x[3], 0xf4d50d87u, 14);
  MD5_STEP_G(b, c, d, a, x[8], 0x455a14edu, 20);
  MD5_STEP_G(a, b, c, d, x[13], 0xa9e3e905u, 5);
  MD5_STEP_G(d, a, b, c, x[2], 0xfcefa3f8u, 9);
  MD5_STEP_G(c, d, a, b, x[7], 0x676f02d9u, 14);
  MD5_STEP_G(b, c, d, a, x[12], 0x8d2a4c8au, 20);

  MD5_STEP(H, a, b, c, d, x[5], 0xfffa3942u, 4);
  MD5_STEP(H, d, a, b, c, x[8], 0x8771f681u, 11);
  MD5_STEP(H, c, d, a, b, x[11], 0x6d9d6122u, 16);
  MD5_STEP(H, b, c, d, a, x[14], 0xfde5380cu, 23);
  MD5_STEP(H, a, b, c, d, x[1], 0xa4beea44u, 4);
  MD5_STEP(H, d, a, b, c, x[4], 0x4bdecfa9u, 11);
  MD5_STEP(H, c, d, a, b, x[7], 0xf6bb4b60u, 16);
  MD5_STEP(H, b, c, d, a, x[10], 0xbebfbc70u, 23);
  MD5_STEP(H, a, b, c, d, x[13], 0x289b7ec6u, 4);
  MD5_STEP(H, d, a, b, c, x[0], 0xeaa127fau, 11);
  MD5_STEP(H, c, d, a, b, x[3], 0xd4ef3085u, 16);
  MD5_STEP(H, b, c, d, a, x[6], 0x04881d05u, 23);
  MD5_STEP(H, a, b, c, d, x[9], 0xd9d4d039u, 4);
  MD5_STEP(H, d, a, b, c, x[12], 0xe6db99e5u, 11);
  MD5_STEP(H, c, d, a, b, x[15], 0x1fa27cf8u, 16);
  MD5_STEP(H, b, c, d, a, x[2], 0xc4ac5665u, 23);

  MD5_STEP(I, a, b, c, d, x[0], 0xf4292244u, 6);
  MD5_STEP(I, d, a, b, c, x[7], 0x432aff97u, 10);
  MD5_STEP(I, c, d, a, b, x[14], 0xab9423a7u, 15);
  MD5_STEP(I, b, c, d, a, x[5], 0xfc93a039u, 21);
  MD5_STEP(I, a, b, c, d, x[12], 0x655b59c3u, 6);
  MD5_STEP(I, d, a, b, c, x[3], 0x8f0ccc92u, 10);
  MD5_STEP(I, c, d, a, b, x[10], 0xffeff47du, 15);
  MD5_STEP(I, b, c, d, a, x[1], 0x85845dd1u, 21);
  MD5_STEP(I, a, b, c, d, x[8], 0x6fa87e4fu, 6);
  MD5_STEP(I, d, a, b, c, x[15], 0xfe2ce6e0u, 10);
  MD5_STEP(I, c, d, a, b, x[6], 0xa3014314u, 15);
  MD5_STEP(I, b, c, d, a, x[13], 0x4e0811a1u, 21);
  MD5_STEP(I, a, b, c, d, x[4], 0xf7537e82u, 6);
  MD5_STEP(I, d, a, b, c, x[11], 0xbd3af235u, 10);
  MD5_STEP(I, c, d, a, b, x[2], 0x2ad7d2bbu, 15);
  MD5_STEP(I, b, c, d, a, x[9], 0xeb86d391u, 21);

  st[0] += a;
  if constexpr (!kWordZeroOnly) {
    st[1] += b;
    st[2] += c;
    st[3] += d;
  }
}

// One block of one hash. Flattened (transformWords inlined here), so the
// block's words are read straight from the block, not through a copy on
// the stack: a single lookup is short enough for that to show.
#if defined(__GNUC__) || defined(__clang__)
#define LIBREDIS_MD5_FLATTEN __attribute__((flatten))
#else
#define LIBREDIS_MD5_FLATTEN
#endif
template <bool kWordZeroOnly = false>
LIBREDIS_MD5_FLATTEN void transform(uint32_t st[4], const uint8_t* block) {
  uint32_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = load32(block + 4 * i);
  transformWords<kWordZeroOnly>(st, x);
}

#undef MD5_STEP
#undef MD5_STEP_G

// The RFC's initial state.
inline void initState(uint32_t st[4]) {
  st[0] = 0x67452301u;
  st[1] = 0xefcdab89u;
  st[2] = 0x98badcfeu;
  st[3] = 0x10325476u;
}

// Hashes data[0..len) and returns the state; with kWordZeroOnly only its
// first word is valid.
template <bool kWordZeroOnly>
inline void md5State(const uint8_t* data, size_t len, uint32_t st[4]) {
  initState(st);

  const size_t full = len & ~static_cast<size_t>(63);
  for (size_t off = 0; off < full; off += 64) transform(st, data + off);

  // Tail + 0x80 + zero pad + 64-bit bit length: one block if the tail is at
  // most 55 bytes, otherwise two.
  uint8_t buf[128];
  const size_t rem = len - full;
  if (rem) std::memcpy(buf, data + full, rem);  // data may be null if len==0
  buf[rem] = 0x80;
  const size_t padded = rem < 56 ? 64 : 128;
  std::memset(buf + rem + 1, 0, padded - 8 - (rem + 1));
  // The RFC counts length in bits modulo 2^64.
  const uint64_t bits = static_cast<uint64_t>(len) << 3;
  store32(buf + padded - 8, static_cast<uint32_t>(bits));
  store32(buf + padded - 4, static_cast<uint32_t>(bits >> 32));

  if (padded == 128) {
    transform(st, buf);
    transform<kWordZeroOnly>(st, buf + 64);
  } else {
    transform<kWordZeroOnly>(st, buf);
  }
}

// A message of len <= kMd5OneBlockMax bytes, zeros after it, made into its
// one padded block: the 0x80 marker, then the length in bits at byte 56
// (the upper word stays zero: 55 bytes are 440 bits).
inline void padOneBlock(uint8_t block[64], size_t len) {
  block[len] = 0x80;
  store32(block + 56, static_cast<uint32_t>(len << 3));
}

}  // namespace

void md5(const uint8_t* data, size_t len, uint8_t out[16]) {
  uint32_t st[4];
  md5State<false>(data, len, st);
  for (int i = 0; i < 4; ++i) store32(out + 4 * i, st[i]);
}

uint32_t md5FirstWord(const uint8_t* data, size_t len) {
  uint32_t st[4];
  md5State<true>(data, len, st);
  return st[0];
}

uint32_t md5FirstWordInBlock(uint8_t block[64], size_t len) {
  padOneBlock(block, len);
  uint32_t st[4];
  initState(st);
  transform<true>(st, block);
  return st[0];
}

void md5FirstWordInBlocks(uint8_t blocks[kMd5Lanes][64], const size_t lens[kMd5Lanes], uint32_t out[kMd5Lanes]) {
  Lanes x[16];
  for (size_t k = 0; k < kMd5Lanes; ++k) {
    padOneBlock(blocks[k], lens[k]);
    for (int i = 0; i < 16; ++i) x[i].v[k] = load32(blocks[k] + 4 * i);
  }
  uint32_t one[4];
  initState(one);
  Lanes st[4];
  for (int w = 0; w < 4; ++w)
    for (size_t k = 0; k < kMd5Lanes; ++k) st[w].v[k] = one[w];
  transformWords<true>(st, x);
  for (size_t k = 0; k < kMd5Lanes; ++k) out[k] = st[0].v[k];
}

}  // namespace libredis
