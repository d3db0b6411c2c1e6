// Whether the JS thread should keep its event loop turning while it waits for
// replies, rather than let it sleep. JS thread only.
//
// A sleeping thread on an idle core costs a wakeup when the replies come: on
// a VM that is a VM exit of 20-50 µs, on both the JS thread and the
// redis-server it woke. A JS thread that keeps turning its loop (each turn
// yielding the core, so a local redis-server can run there at once) is woken
// for free. That pays only when replies come back soon, so the spin is
// bounded by a cap and used only while recent waits fit under it.
//
// A wait starts at a hand-over and ends when what was handed over since it
// started has settled; work handed over before it (a BLPOP left waiting)
// does not hold it open. A wait still open after the cap is given up, and
// counts as a long one.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace libredis {

class WaitSpin {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WaitSpin(Clock::duration cap) : cap_(cap) {}

  // `count` executions were handed over as flush number `seq`. True when a
  // spin is worth starting.
  bool begin(Clock::time_point now, size_t count, uint64_t seq) {
    if (count == 0) return wanted(now);
    if (waiting_ && now - since_ >= cap_) {
      waiting_ = false;
      learn(now - since_);
    }
    if (!waiting_) {
      waiting_ = true;
      since_ = now;
      firstSeq_ = seq;
      owed_ = 0;
      // While waits are long, still spin one in kProbeEvery: an unspun wait
      // includes the wakeup the spin would save, so without probes the
      // estimate could stay over the cap where spun waits would fit.
      probe_ = estimate_ > cap_ && ++overCapWaits_ % kProbeEvery == 0;
    }
    owed_ += count;
    return wanted(now);
  }

  // An execution from flush number `seq` settled.
  void settled(Clock::time_point now, uint64_t seq) {
    if (!waiting_ || seq < firstSeq_ || --owed_ != 0) return;
    waiting_ = false;
    learn(now - since_);
  }

  // Keep spinning: this wait is open, has not outrun the cap, and recent
  // waits fit under it (or this one is a probe).
  bool wanted(Clock::time_point now) const {
    return waiting_ && cap_ > Clock::duration::zero() && (estimate_ <= cap_ || probe_) && now - since_ < cap_;
  }

  Clock::duration estimate() const { return estimate_; }

 private:
  static constexpr uint32_t kProbeEvery = 16;

  // A moving average; one very long wait counts as four caps, so it turns
  // the spin off only briefly.
  void learn(Clock::duration took) {
    took = std::min<Clock::duration>(took, 4 * cap_);
    estimate_ += (took - estimate_) / 4;
  }

  Clock::duration cap_;
  Clock::duration estimate_{};
  Clock::time_point since_{};
  uint64_t firstSeq_ = 0;
  size_t owed_ = 0;
  uint32_t overCapWaits_ = 0;  // waits begun with the estimate over the cap, for the probes
  bool waiting_ = false;
  bool probe_ = false;
};

}  // namespace libredis
