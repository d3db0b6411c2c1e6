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
// So after a hand-over the JS thread will spin through, the poll thread
// compares its core with the one the JS thread flushed from. Seen together
// a few hand-overs in a row, it moves itself: it narrows its affinity to
// the other allowed cores, which migrates it at once, then restores the
// mask it read just before (a mask of every online core goes back as "any
// core", so cores added later stay usable; a cpuset limits it either way).
// A restore that fails is retried at each hand-over until it succeeds.
// Moves are at least kMinGap apart. A mask set on the thread from outside
// in the microseconds between the read and the restore would be undone.
//
// A move can land next to a task that does not yield (a CPU-bound process):
// the poll thread's yields then give that task whole time slices, and each
// round trip waits for one: nearly every spin turn takes longer than kStall.
// So when, within kProbation of a move, at least kStallsToReturn turns and
// at least half of all turns were that slow, the thread moves back to the
// JS thread's core (where both yield to each other), and the next move
// waits kBackoffMin, doubling on each such return up to kBackoffMax. A few
// slow turns among many are not enough: on a VM a vCPU is descheduled for a
// millisecond or more every few tens of milliseconds (seen here), which
// says nothing about the core.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#ifdef __linux__
#include <sched.h>
#endif

namespace libredis {

class CoreSpread {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CoreSpread(bool enabled) : enabled_(enabled) {}

  // JS thread, at each hand-over: where it runs now, if it will spin while
  // it waits. A JS thread about to sleep leaves its core free, so the poll
  // thread sharing it is no harm (and moving could put it next to the
  // redis-server working on the other core).
  void noteJsCore(bool spinning);

  // Poll thread, after taking a hand-over and sending it: moves the thread
  // when it has shared the JS thread's core kSameBeforeMove times in a row.
  void afterHandOver(Clock::time_point now);

  // Poll thread, after each turn of its spin (a yield and a poll), which
  // took `took`: slow turns soon after a move undo it.
  void afterSpinTurn(Clock::duration took, Clock::time_point now) {
    if (!probation_) return;
    if (now - movedAt_ >= kProbation) {
      moveHeld();
      return;
    }
    ++turns_;
    if (took >= kStall) onStall(now);
  }

  // Times the poll thread moved itself off, and back (for stats and tests).
  uint64_t moves() const { return moves_.load(std::memory_order_relaxed); }
  uint64_t returns() const { return returns_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kSameBeforeMove = 3;
  static constexpr auto kMinGap = std::chrono::milliseconds(20);
  static constexpr auto kProbation = std::chrono::milliseconds(50);
  static constexpr auto kStall = std::chrono::milliseconds(1);
  static constexpr int kStallsToReturn = 3;
  static constexpr auto kBackoffMin = std::chrono::seconds(1);
  static constexpr auto kBackoffMax = std::chrono::seconds(60);
  // When the thread may run on one core only, look again this much later.
  static constexpr auto kSingleCoreRetry = std::chrono::seconds(1);

  enum class Move { kDone, kRetrySoon, kNowhere };
  Move moveOff(int core);
  void onStall(Clock::time_point now);
  // A move outlived its probation: the next one need not wait longer.
  void moveHeld() {
    probation_ = false;
    backoff_ = Clock::duration::zero();
  }
#ifdef __linux__
  bool hopTo(const cpu_set_t& allowed, const cpu_set_t& target);
#endif

  const bool enabled_;
  std::atomic<int> jsCore_{-1};
  std::atomic<uint64_t> moves_{0};
  std::atomic<uint64_t> returns_{0};
  // Poll thread only.
  int together_ = 0;
  Clock::time_point nextTry_{};
  bool probation_ = false;  // moved within kProbation; see movedAt_, movedFrom_
  Clock::time_point movedAt_{};
  int movedFrom_ = -1;
  int turns_ = 0;                // spin turns since the move
  int stalls_ = 0;               // of those, slow ones
  bool restorePending_ = false;  // a hop could not give the mask back yet
#ifdef __linux__
  cpu_set_t restoreMask_;
#endif
  Clock::duration backoff_{};
};

}  // namespace libredis
