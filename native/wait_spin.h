// Whether the JS thread should keep its event loop turning while it waits for
// replies, rather than let it sleep. JS thread only.
//
// A sleeping thread on an idle core costs a wakeup when the replies come: on
// a VM that is a VM exit of 20-50 µs, on both the JS thread and the
// redis-server it woke. A JS thread that keeps turning its loop (each turn
// yielding the core, so a local redis-server can run there at once) is woken
// for free. That pays only when replies come back soon, so the spin is
// bounded by a cap and used only while recent waits fit under it: a client
// talking to a distant server, or running large batches, never spins.
#pragma once

#include <algorithm>
#include <chrono>

namespace libredis {

class WaitSpin {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WaitSpin(Clock::duration cap) : cap_(cap) {}

  // Work was handed to the poll thread; `owed` when replies are outstanding.
  // True when a spin is worth starting.
  bool begin(Clock::time_point now, bool owed) {
    if (owed && !waiting_) {
      waiting_ = true;
      since_ = now;
    }
    return wanted(now);
  }

  // Nothing is owed any more: learn how long the wait took.
  void end(Clock::time_point now) {
    if (!waiting_) return;
    waiting_ = false;
    // Bounded, so one long wait (a BLPOP) does not switch spinning off for long.
    Clock::duration took = std::min<Clock::duration>(now - since_, 4 * cap_);
    estimate_ += (took - estimate_) / 4;
  }

  // Keep spinning: replies are owed, recent waits fit under the cap, and
  // this one has not outrun it.
  bool wanted(Clock::time_point now) const {
    return waiting_ && cap_ > Clock::duration::zero() && estimate_ <= cap_ && now - since_ < cap_;
  }

  Clock::duration estimate() const { return estimate_; }

 private:
  Clock::duration cap_;
  Clock::duration estimate_{};  // moving average of recent waits
  Clock::time_point since_{};
  bool waiting_ = false;
};

}  // namespace libredis
