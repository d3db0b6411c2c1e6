// Keeps the poll thread off the core the JS thread runs on.
//
// Both threads spin while replies are due soon (see wait_spin.h and
// PollLoop::waitForEvents), yielding the core on each turn. On one core
// they only take turns: every hand-over waits for the other thread's turn
// to end, and the other cores sit idle, so a local redis-server woken there
// pays an idle core's wakeup (a VM exit of tens of µs on a VM). The kernel
// puts them together after a sleep, and then keeps them there: both are
// always running, so its balancer counts them cache-hot and leaves them.
// Measured on this project's 2-vCPU bench VM, an MGET round over two
// servers took a median 704 µs with both threads on one core and 296 µs
// apart.
//
// So after a hand-over the poll thread compares its core with the one the
// JS thread last flushed from. Seen together a few hand-overs in a row, it
// moves itself: it narrows its affinity to the other allowed cores, which
// migrates it at once, then restores the mask it had. It is never left
// pinned; the kernel may place it anywhere afterwards. Moves are at least
// kMinGap apart, so a scheduler that keeps pulling the threads together
// costs a few syscalls a second.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace libredis {

class CoreSpread {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CoreSpread(bool enabled) : enabled_(enabled) {}

  // JS thread, at each hand-over: where it runs now.
  void noteJsCore();

  // Poll thread, after taking a hand-over and sending it: moves the thread
  // when it has shared the JS thread's core kSameBeforeMove times in a row.
  void afterHandOver(Clock::time_point now);

  // Times the poll thread moved itself (for stats and tests).
  uint64_t moves() const { return moves_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kSameBeforeMove = 3;
  static constexpr auto kMinGap = std::chrono::milliseconds(20);
  // When the thread may run on one core only, look again this much later.
  static constexpr auto kSingleCoreRetry = std::chrono::seconds(1);

  bool moveOff(int core);

  const bool enabled_;
  std::atomic<int> jsCore_{-1};
  std::atomic<uint64_t> moves_{0};
  // Poll thread only.
  int together_ = 0;
  Clock::time_point nextTry_{};
};

}  // namespace libredis
