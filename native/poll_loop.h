// The poll thread: one per Node environment (main thread or worker), shared by
// every Libredis instance in it. It owns all sockets; the JS thread only hands
// it Executions and takes finished ones back, one wakeup per poll pass.
#pragma once

#include <node_api.h>
#include <sys/epoll.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connection.h"
#include "core_spread.h"
#include "job.h"
#include "resolver.h"
#include "wait_spin.h"

namespace libredis {

class PollLoop {
 public:
  explicit PollLoop(napi_env env);
  ~PollLoop();

  // JS thread.
  void submit(Execution* exec);  // held until flush(), so a tick's work goes out together
  // True when the JS thread should spin (spinStep) while it waits.
  bool flush();
  // One turn of that spin: yields the core; false once it is not worth going on.
  bool spinStep();
  void closeConnection(std::shared_ptr<ConnState> conn, bool force, std::string reason);
  void shutdown();  // stops the thread; idempotent
  size_t inflight() const { return inflight_; }
  bool threadRunning() const { return running_; }
  napi_env env() const { return env_; }
  bool stopped() const { return stopped_; }
  // An Execution with one Job for a single command (call, get), reused from
  // an earlier command when one is spare: in steady state a command then
  // allocates nothing natively, on either thread. (glibc keeps only 7 freed
  // blocks of a size per thread; one busy tick issues more commands.)
  std::unique_ptr<Execution> takeCall();
  // Takes a settled (or never submitted) single command back for reuse, or frees it.
  void keepCall(Execution* exec);
  size_t spareCalls() const { return spareCalls_.size(); }
  uint64_t coreMoves() const { return spread_.moves(); }
  uint64_t coreReturns() const { return spread_.returns(); }

  // Poll thread, for ConnState.
  int epfd() const { return epfd_; }
  void jobDone(Job* job);
  void markDirty(ConnState* conn);
  Resolver& resolver() { return *resolver_; }
  void trackOpen(std::shared_ptr<ConnState> conn);
  void untrackOpen(ConnState* conn);
  char* readBuffer(size_t* cap) {
    *cap = readBuf_.size();
    return readBuf_.data();
  }

 private:
  struct Control {
    enum Kind { kExecute, kClose, kCloseWhenIdle, kResolved } kind;
    Execution* exec;
    std::shared_ptr<ConnState> conn;
    std::string reason;
    ResolveResult resolved;
  };

  bool start();
  void run();
  void wake();
  void post(Control&& c);
  void startExecution(Execution* exec);
  void expireTimers();
  int nextTimeoutMs() const;
  Clock::duration spinBudget() const;
  void armTimer(Execution* exec);
  void disarmTimer(Execution* exec);
  int waitForEvents(epoll_event* events, Clock::time_point lastActivity);
  void publish();
  void drain(napi_env env);
  void settleValue(napi_env env, Execution* exec);
  void dropSpareCalls();
  static void callJs(napi_env env, napi_value, void* context, void*);
  void freeExecution(Execution* exec);
  bool failStart(const char* what, int err);
  void failPending();

  napi_env env_;
  napi_threadsafe_function tsfn_ = nullptr;
  std::thread thread_;
  bool started_ = false;  // start() was tried
  bool running_ = false;  // and the thread runs
  bool stopped_ = false;
  std::string startError_;
  int epfd_ = -1;
  int evfd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> woken_{true};     // loop awake (or signalled): JS need not write the eventfd
  std::atomic<bool> hasWork_{false};  // something was handed over since the loop last looked
  Clock::duration spin_{};
  bool yield_ = true;

  std::mutex mu_;                  // guards the two hand-over lists
  std::vector<Control> controls_;  // executes and closes, in the order JS issued them
  std::vector<Execution*> done_;

  // JS thread only.
  std::vector<Control> pending_;                        // executes and closes of this tick, in order, until flush()
  std::vector<std::unique_ptr<Execution>> spareCalls_;  // see takeCall
  uint64_t flushSeq_ = 0;
  size_t inflight_ = 0;
  WaitSpin waitSpin_;
  CoreSpread spread_;  // JS thread notes, poll thread acts

  // Poll thread only.
  TimerMap timers_;
  // Nodes of disarmed timers, reused by armTimer: a node allocation per
  // command would be the last one on the single-command path.
  std::vector<TimerMap::node_type> spareTimers_;
  Clock::time_point lastPublish_{};                   // results handed to JS, nothing left in flight
  Clock::duration recentGap_{std::chrono::hours(1)};  // average time JS then took to submit more
  std::vector<Execution*> completed_;
  bool signalLost_ = false;  // the last signal to JS failed; see publish()
  std::vector<ConnState*> dirty_;
  std::unordered_map<ConnState*, std::shared_ptr<ConnState>> open_;
  std::vector<std::shared_ptr<ConnState>> graveyard_;  // freed at the end of a pass
  std::unique_ptr<Resolver> resolver_;
  std::vector<char> readBuf_;
};

}  // namespace libredis
