#include "core_spread.h"

#ifdef __linux__
#include <sched.h>
#endif

namespace libredis {

#ifdef __linux__

void CoreSpread::noteJsCore() {
  if (enabled_) jsCore_.store(sched_getcpu(), std::memory_order_relaxed);
}

void CoreSpread::afterHandOver(Clock::time_point now) {
  if (!enabled_) return;
  const int js = jsCore_.load(std::memory_order_relaxed);
  const int mine = sched_getcpu();
  if (js < 0 || js != mine) {
    together_ = 0;
    return;
  }
  if (++together_ < kSameBeforeMove || now < nextTry_) return;
  together_ = 0;
  nextTry_ = now + (moveOff(mine) ? kMinGap : kSingleCoreRetry);
}

// True when the thread could be moved (or the mask was not as expected and
// it is worth looking again soon); false when it may run on one core only.
bool CoreSpread::moveOff(int core) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  // Fails past CPU_SETSIZE (1024) cores; such a machine has room enough.
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return false;
  if (!CPU_ISSET(core, &allowed)) return true;  // the mask just changed: next time
  if (CPU_COUNT(&allowed) < 2) return false;
  cpu_set_t away = allowed;
  CPU_CLR(core, &away);
  if (sched_setaffinity(0, sizeof away, &away) != 0) return true;
  // The thread now runs elsewhere; give back every core it had. Retried
  // once: a thread left narrowed would be a pin nobody asked for.
  if (sched_setaffinity(0, sizeof allowed, &allowed) != 0) sched_setaffinity(0, sizeof allowed, &allowed);
  moves_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

#else  // no portable way to ask or steer the core: nothing to do

void CoreSpread::noteJsCore() {}
void CoreSpread::afterHandOver(Clock::time_point) {}
bool CoreSpread::moveOff(int) { return false; }

#endif

}  // namespace libredis
