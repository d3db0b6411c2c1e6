#include "core_spread.h"

#include <algorithm>

#ifdef __linux__
#include <sys/sysinfo.h>
#endif

namespace libredis {

#ifdef __linux__

void CoreSpread::noteJsCore(bool spinning) {
  if (enabled_) jsCore_.store(spinning ? sched_getcpu() : -1, std::memory_order_relaxed);
}

void CoreSpread::afterHandOver(Clock::time_point now) {
  if (!enabled_) return;
  if (restorePending_ && sched_setaffinity(0, sizeof restoreMask_, &restoreMask_) == 0) restorePending_ = false;
  if (probation_ && now - movedAt_ >= kProbation) moveHeld();  // no spin turn since to notice
  const int js = jsCore_.load(std::memory_order_relaxed);
  const int mine = sched_getcpu();
  if (js < 0 || js != mine) {
    together_ = 0;
    return;
  }
  if (++together_ < kSameBeforeMove || now < nextTry_ || restorePending_) return;
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

// Moves the calling thread onto `target` (the kernel migrates it at once),
// then gives back `allowed`, the mask it had. False when it could not move;
// a failed give-back is left to afterHandOver to retry.
bool CoreSpread::hopTo(const cpu_set_t& allowed, const cpu_set_t& target) {
  if (sched_setaffinity(0, sizeof target, &target) != 0) return false;
  // Every online core allowed reads as that list; give it back as "any".
  restoreMask_ = allowed;
  if (CPU_COUNT(&allowed) >= get_nprocs()) {
    for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &restoreMask_);
  }
  restorePending_ = sched_setaffinity(0, sizeof restoreMask_, &restoreMask_) != 0;
  return true;
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
  // A refusal (a sandbox denying sched_setaffinity) will not change soon.
  return hopTo(allowed, away) ? Move::kDone : Move::kNowhere;
}

void CoreSpread::onStall(Clock::time_point now) {
  if (++stalls_ < kStallsToReturn || 2 * stalls_ < turns_) return;
  probation_ = false;
  backoff_ = std::min<Clock::duration>(std::max<Clock::duration>(2 * backoff_, kBackoffMin), kBackoffMax);
  nextTry_ = now + backoff_;
  if (restorePending_) return;
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || !CPU_ISSET(movedFrom_, &allowed)) return;
  cpu_set_t back;
  CPU_ZERO(&back);
  CPU_SET(movedFrom_, &back);
  if (hopTo(allowed, back)) returns_.fetch_add(1, std::memory_order_relaxed);
}

#else  // no portable way to ask or steer the core: nothing to do

void CoreSpread::noteJsCore(bool) {}
void CoreSpread::afterHandOver(Clock::time_point) {}
CoreSpread::Move CoreSpread::moveOff(int) { return Move::kNowhere; }
void CoreSpread::onStall(Clock::time_point) {}

#endif

}  // namespace libredis
