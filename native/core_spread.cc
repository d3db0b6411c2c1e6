#include "core_spread.h"

#include <algorithm>

#ifdef __linux__
#include <sched.h>
#endif

namespace libredis {

#ifdef __linux__

namespace {

// Runs the calling thread on `core` alone for a moment (the kernel migrates
// it at once), then gives it back `mask`. Retried once: a thread left
// narrowed would be a pin nobody asked for.
bool hopTo(const cpu_set_t& target, const cpu_set_t& mask) {
  if (sched_setaffinity(0, sizeof target, &target) != 0) return false;
  if (sched_setaffinity(0, sizeof mask, &mask) != 0) sched_setaffinity(0, sizeof mask, &mask);
  return true;
}

}  // namespace

void CoreSpread::noteJsCore(bool spinning) {
  if (enabled_) jsCore_.store(spinning ? sched_getcpu() : -1, std::memory_order_relaxed);
}

void CoreSpread::afterHandOver(Clock::time_point now) {
  if (!enabled_) return;
  if (probation_ && now - movedAt_ >= kProbation) {
    probation_ = false;  // the move held
    backoff_ = Clock::duration::zero();
  }
  const int js = jsCore_.load(std::memory_order_relaxed);
  const int mine = sched_getcpu();
  if (js < 0 || js != mine) {
    together_ = 0;
    return;
  }
  if (++together_ < kSameBeforeMove || now < nextTry_) return;
  together_ = 0;
  switch (moveOff(mine)) {
    case Move::kDone:
      moves_.fetch_add(1, std::memory_order_relaxed);
      probation_ = true;
      movedAt_ = now;
      movedFrom_ = mine;
      turns_ = stalls_ = 0;
      nextTry_ = now + std::max<Clock::duration>(kMinGap, backoff_);
      break;
    case Move::kRetrySoon:
      nextTry_ = now + kMinGap;
      break;
    case Move::kNowhere:
      nextTry_ = now + kSingleCoreRetry;
      break;
  }
}

CoreSpread::Move CoreSpread::moveOff(int core) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  // Fails past CPU_SETSIZE (1024) cores; such a machine has room enough.
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return Move::kNowhere;
  if (!CPU_ISSET(core, &allowed)) return Move::kRetrySoon;  // the mask just changed
  if (CPU_COUNT(&allowed) < 2) return Move::kNowhere;
  cpu_set_t away = allowed;
  CPU_CLR(core, &away);
  return hopTo(away, allowed) ? Move::kDone : Move::kRetrySoon;
}

void CoreSpread::onStall(Clock::time_point now) {
  if (now - movedAt_ >= kProbation) {  // long after the move: not its doing
    probation_ = false;
    return;
  }
  if (++stalls_ < kStallsToReturn || 2 * stalls_ < turns_) return;
  probation_ = false;
  backoff_ = std::min<Clock::duration>(std::max<Clock::duration>(2 * backoff_, kBackoffMin), kBackoffMax);
  nextTry_ = now + backoff_;
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || !CPU_ISSET(movedFrom_, &allowed)) return;
  cpu_set_t back;
  CPU_ZERO(&back);
  CPU_SET(movedFrom_, &back);
  if (hopTo(back, allowed)) returns_.fetch_add(1, std::memory_order_relaxed);
}

#else  // no portable way to ask or steer the core: nothing to do

void CoreSpread::noteJsCore(bool) {}
void CoreSpread::afterHandOver(Clock::time_point) {}
CoreSpread::Move CoreSpread::moveOff(int) { return Move::kNowhere; }
void CoreSpread::onStall(Clock::time_point) {}

#endif

}  // namespace libredis
