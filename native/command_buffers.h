// Recycled memory for large encoded batches (per JS thread, bounded).
//
// A batch that encodes megabytes (a few 1 MB SETs) would otherwise get fresh
// pages from the OS on every execution: glibc maps large blocks anew each
// time, and faulting in and zeroing those pages costs several times the copy
// of the data into them. Buffers the poll thread has finished sending come
// back here and the next large batch starts in memory already touched.
#pragma once

#include <cstddef>
#include <string>

namespace libredis {

// Below this a buffer comes from malloc's arenas, which are warm anyway.
constexpr size_t kPooledCommandBytes = 256 * 1024;

// Makes out.capacity() at least `need` (size and contents unchanged), from a
// pooled buffer when one is big enough, else by growing as std::string does.
void reserveCommandBytes(std::string& out, size_t need);

// Room for `extra` more bytes; the out-of-line path only when short of room.
inline void roomForCommandBytes(std::string& out, size_t extra) {
  if (out.capacity() - out.size() < extra) reserveCommandBytes(out, out.size() + extra);
}

// Keeps a large `s` in the pool if it has room (JS thread only: the pool is
// thread-local); frees it otherwise. Leaves `s` empty with no memory.
void poolCommandBytes(std::string& s);

// `s` has been sent and is not needed any more: keeps its memory for the next
// large batch when it is large and the pool has room, else frees it. Leaves
// `s` empty with no memory. Small buffers (every single command) never
// touch the thread-local pool.
inline void recycleCommandBytes(std::string& s) {
  if (s.capacity() >= kPooledCommandBytes) {
    poolCommandBytes(s);
  } else {
    std::string().swap(s);
  }
}

// Bytes currently held by this thread's pool (for tests and stats).
size_t pooledCommandBytes();

}  // namespace libredis
