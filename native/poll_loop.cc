#include "poll_loop.h"

#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <system_error>

#include "batch_wrap.h"
#include "command_buffers.h"
#include "reply_values.h"

namespace libredis {

namespace {
constexpr size_t kReadBufferBytes = 256 * 1024;
constexpr int kMaxEvents = 256;
// How long the poll thread keeps polling without sleeping after it last had
// work. A request/reply on loopback turns around in tens of microseconds,
// and a sleep/wake pair on each side costs about as much, so a busy client
// is better served by a thread that stays awake briefly. LIBREDIS_SPIN_US
// overrides it; 0 turns spinning off.
constexpr int64_t kDefaultSpinMicros = 300;
// Longer spins, only when they are likely to pay (see spinBudget): while
// replies are owed, and when JS has lately come back with new work within
// this long after its last results.
constexpr auto kMaxSpin = std::chrono::microseconds(2000);
// Spare single-command Executions kept for reuse: how many, and the largest
// buffers kept (a command with more is freed, so one large value pins nothing).
constexpr size_t kMaxSpareCalls = 512;
constexpr size_t kSpareBytesMax = 1024;
constexpr size_t kSpareRecordsMax = 64;
// Timer nodes kept for reuse; about one per command in flight.
constexpr size_t kMaxSpareTimers = 1024;
// Microseconds from the environment variable `name`, else `fallback`.
int64_t envMicros(const char* name, int64_t fallback) {
  const char* env = getenv(name);
  if (env == nullptr || *env == 0) return fallback;
  char* end = nullptr;
  long long v = strtoll(env, &end, 10);
  if (*end != 0 || v < 0) return fallback;
  return v > 100000 ? 100000 : v;
}
int64_t spinMicros() { return envMicros("LIBREDIS_SPIN_US", kDefaultSpinMicros); }
// The JS thread's spin while replies are owed (see wait_spin.h), at most this
// long per wait. LIBREDIS_JS_SPIN_US overrides it; LIBREDIS_SPIN_US=0 turns
// every spin off.
constexpr int64_t kDefaultJsSpinMicros = 500;
WaitSpin::Clock::duration jsSpinCap() {
  if (spinMicros() == 0) return WaitSpin::Clock::duration::zero();
  return std::chrono::microseconds(envMicros("LIBREDIS_JS_SPIN_US", kDefaultJsSpinMicros));
}

// Whether the poll thread keeps off the JS thread's core (core_spread.h):
// only while both threads spin, as only then do they compete for a core.
// LIBREDIS_SPREAD=0 turns it off.
bool spreadCores() {
  const char* env = getenv("LIBREDIS_SPREAD");
  if (env != nullptr && strcmp(env, "0") == 0) return false;
  return jsSpinCap() > WaitSpin::Clock::duration::zero();  // zero when LIBREDIS_SPIN_US=0 too
}
}  // namespace

PollLoop::PollLoop(napi_env env) : env_(env), waitSpin_(jsSpinCap()), spread_(spreadCores()) {
  napi_value name = nullptr;
  napi_create_string_utf8(env, "libredis.poll", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this, callJs, &tsfn_) !=
      napi_ok) {
    // Without a way to wake the JS thread nothing could finish: start()
    // refuses, and every execute fails with this.
    tsfn_ = nullptr;
    startError_ = "libredis could not start its poll thread: napi_create_threadsafe_function failed";
    return;
  }
  // Only pending work keeps the process alive; see submit() and drain().
  napi_unref_threadsafe_function(env, tsfn_);
}

PollLoop::~PollLoop() { shutdown(); }

bool PollLoop::start() {
  started_ = true;
  if (tsfn_ == nullptr) return false;  // startError_ says why
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return failStart("epoll_create1", errno);
  evfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (evfd_ < 0) return failStart("eventfd", errno);
  epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // null marks the wakeup fd
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev) != 0) return failStart("epoll_ctl", errno);
  readBuf_.resize(kReadBufferBytes);
  spareTimers_.reserve(kMaxSpareTimers);  // so disarmTimer never allocates
  resolver_ = std::make_unique<Resolver>([this](ResolveResult&& r) {
    Control c{Control::kResolved, nullptr, nullptr, std::string(), std::move(r)};
    post(std::move(c));
  });
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return failStart("std::thread", e.code().value());
  }
  running_ = true;
  return true;
}

bool PollLoop::failStart(const char* what, int err) {
  startError_ = std::string("libredis could not start its poll thread: ") + what + ": " + strerror(err);
  if (evfd_ >= 0) close(evfd_);
  if (epfd_ >= 0) close(epfd_);
  evfd_ = epfd_ = -1;
  return false;
}

// Without a poll thread nothing can run: every execute fails at once.
void PollLoop::failPending() {
  for (Control& c : pending_) {
    if (c.kind != Control::kExecute) continue;  // a close: nothing was opened
    Execution* e = c.exec;
    for (auto& job : e->jobs) job->fail(EK_CONNECTION, startError_);
    e->ok = false;
    done_.push_back(e);
  }
  pending_.clear();
  drain(env_);
}

void PollLoop::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  if (running_) {
    stop_.store(true);
    uint64_t one = 1;
    ssize_t ignored = write(evfd_, &one, sizeof one);
    (void)ignored;
    thread_.join();
    resolver_.reset();
    // No JS can run any more: close the sockets without failing jobs into JS.
    for (auto& entry : open_) entry.second->detachForShutdown();
    open_.clear();
    graveyard_.clear();
    close(epfd_);
    close(evfd_);
  }
  // The environment is going away: free what never finished, without calling JS.
  for (auto& t : timers_) freeExecution(t.second);
  timers_.clear();
  for (Control& c : controls_) {
    if (c.kind == Control::kExecute) freeExecution(c.exec);
  }
  controls_.clear();
  for (Execution* e : done_) freeExecution(e);
  for (Control& c : pending_) {
    if (c.kind == Control::kExecute) freeExecution(c.exec);
  }
  for (Execution* e : completed_) freeExecution(e);
  completed_.clear();
  done_.clear();
  pending_.clear();
  dropSpareCalls();
  if (tsfn_ != nullptr) {
    napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
    tsfn_ = nullptr;
  }
}

void PollLoop::freeExecution(Execution* exec) {
  for (auto& job : exec->jobs) {
    if (!job) continue;
    if (job->conn) job->conn->detachForShutdown();  // it may still list the job
    if (job->batchRef != nullptr) napi_delete_reference(env_, job->batchRef);
  }
  delete exec;
}

std::unique_ptr<Execution> PollLoop::takeCall() {
  if (spareCalls_.empty()) {
    auto exec = std::make_unique<Execution>();
    exec->jobs.push_back(std::make_unique<Job>());
    exec->jobs[0]->replies.records.reserve(kRecordFields);  // one reply node, allocated here, not grown there
    return exec;
  }
  std::unique_ptr<Execution> exec = std::move(spareCalls_.back());
  spareCalls_.pop_back();
  liveCounts().executions++;  // live again (see keepCall)
  liveCounts().jobs++;
  return exec;
}

void PollLoop::keepCall(Execution* raw) {
  std::unique_ptr<Execution> exec(raw);
  Job& job = *exec->jobs[0];
  if (stopped_ || spareCalls_.size() >= kMaxSpareCalls || job.out.capacity() > kSpareBytesMax ||
      job.replies.payload.capacity() > kSpareBytesMax || job.replies.records.capacity() > kSpareRecordsMax ||
      job.error.capacity() > kSpareBytesMax) {
    recycleCommandBytes(job.out);
    return;
  }
  job.reset();
  exec->reset();
  // A spare is not work in flight: the live counts (see live_counts.h) leave it out.
  liveCounts().executions--;
  liveCounts().jobs--;
  spareCalls_.push_back(std::move(exec));
}

void PollLoop::dropSpareCalls() {
  // Counted back in first: their destructors count them out.
  liveCounts().executions += static_cast<int64_t>(spareCalls_.size());
  liveCounts().jobs += static_cast<int64_t>(spareCalls_.size());
  spareCalls_.clear();
}

void PollLoop::submit(Execution* exec) {
  if (inflight_++ == 0 && tsfn_ != nullptr) napi_ref_threadsafe_function(env_, tsfn_);
  pending_.push_back(Control{Control::kExecute, exec, nullptr, std::string(), {}});
}

bool PollLoop::flush() {
  if (pending_.empty() || stopped_) return false;
  if (!started_) start();
  if (!running_) {
    failPending();
    return false;
  }
  size_t executes = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    flushSeq_++;
    for (Control& c : pending_) {
      if (c.kind == Control::kExecute) {
        c.exec->flushSeq = flushSeq_;
        executes++;
      }
      controls_.push_back(std::move(c));
    }
    pending_.clear();
  }
  const bool spin = waitSpin_.begin(Clock::now(), executes, flushSeq_);
  spread_.noteJsCore(spin);
  hasWork_.store(true);
  wake();
  return spin;
}

bool PollLoop::spinStep() {
  if (!waitSpin_.wanted(Clock::now())) return false;
  // Give the core to whoever needs it (a local redis-server just woken):
  // the turn of the JS loop that follows picks up the replies.
  sched_yield();
  return true;
}

void PollLoop::closeConnection(std::shared_ptr<ConnState> conn, bool force, std::string reason) {
  if (stopped_) return;
  Control close{force ? Control::kClose : Control::kCloseWhenIdle, nullptr, std::move(conn), std::move(reason), {}};
  // A close joins the tick's executes, in the order JS issued them, and JS
  // flushes them all in one step: so it settles the executes before it, on
  // every connection closed in the tick, and the poll thread cannot send
  // one of them first. (JS schedules that flush; a close from a finalizer,
  // with nothing pending, goes at once.)
  if (!pending_.empty() || (force && started_)) {
    pending_.push_back(std::move(close));
    return;
  }
  if (!running_) return;  // nothing was ever opened on this thread
  post(std::move(close));
}

void PollLoop::post(Control&& c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    controls_.push_back(std::move(c));
  }
  hasWork_.store(true);
  wake();
}

void PollLoop::wake() {
  // Only a sleeping loop needs the eventfd: woken_ is true while the loop is
  // awake or spinning, and it re-checks hasWork_ after clearing it.
  if (!woken_.exchange(true)) {
    uint64_t one = 1;
    ssize_t ignored = write(evfd_, &one, sizeof one);
    (void)ignored;
  }
}

int PollLoop::nextTimeoutMs() const {
  if (!completed_.empty()) return 0;
  if (timers_.empty()) return -1;
  auto left = timers_.begin()->first - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  // Round up: waking early would only spin.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left + std::chrono::microseconds(999)).count();
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

// How long to keep polling after the last activity before sleeping. A sleep
// costs a wakeup (tens of microseconds on a VM) when the next event comes,
// so the loop stays awake while that is likely soon: while replies are owed
// (a big pipeline takes redis a millisecond or so), and for about twice the
// recent gap between handing JS its results and JS submitting more work
// (an application that reads 1000 replies and queues the next batch).
Clock::duration PollLoop::spinBudget() const {
  if (spin_ == Clock::duration::zero()) return spin_;
  Clock::duration budget = spin_;
  if (!timers_.empty()) budget = std::max<Clock::duration>(budget, kMaxSpin);
  if (recentGap_ < kMaxSpin)
    budget = std::max<Clock::duration>(budget, std::min<Clock::duration>(2 * recentGap_, kMaxSpin));
  return budget;
}

int PollLoop::waitForEvents(epoll_event* events, Clock::time_point lastActivity) {
  int n = epoll_wait(epfd_, events, kMaxEvents, 0);
  if (n != 0) return n;
  const auto until = lastActivity + spinBudget();
  Clock::time_point now = Clock::now();
  while (now < until && !hasWork_.load() && !stop_.load(std::memory_order_relaxed)) {
    // Let the JS thread or a local redis-server run here if they need the core.
    if (yield_) sched_yield();
    n = epoll_wait(epfd_, events, kMaxEvents, 0);
    const Clock::time_point turned = Clock::now();
    spread_.afterSpinTurn(turned - now, turned);
    if (n != 0) return n;
    now = turned;
  }
  // About to sleep: from here on JS must write the eventfd. Anything handed
  // over before the flag was cleared is seen by the check that follows.
  woken_.store(false);
  if (hasWork_.load()) {
    woken_.store(true);
    return 0;
  }
  n = epoll_wait(epfd_, events, kMaxEvents, nextTimeoutMs());
  woken_.store(true);
  return n;
}

void PollLoop::run() {
  // Named so top, perf and debuggers tell it from the JS thread.
  pthread_setname_np(pthread_self(), "libredis-poll");
  epoll_event events[kMaxEvents];
  std::vector<Control> controls;
  spin_ = std::chrono::microseconds(spinMicros());
  yield_ = getenv("LIBREDIS_SPIN_NOYIELD") == nullptr;
  Clock::time_point lastActivity = Clock::now();
  while (!stop_.load(std::memory_order_relaxed)) {
    int n = waitForEvents(events, lastActivity);
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr == nullptr) {
        uint64_t count;
        ssize_t ignored = read(evfd_, &count, sizeof count);
        (void)ignored;
      } else {
        auto* conn = static_cast<ConnState*>(events[i].data.ptr);
        try {
          conn->onEvents(events[i].events);
        } catch (const std::bad_alloc&) {
          conn->close(EK_PROTOCOL, "out of memory while handling " + conn->address().label);
        }
      }
    }
    if (stop_.load()) break;
    hasWork_.store(false);
    {
      std::lock_guard<std::mutex> lock(mu_);
      controls.swap(controls_);
    }
    if (n > 0 || !controls.empty()) lastActivity = Clock::now();
    if (!controls.empty() && timers_.empty() && lastPublish_ != Clock::time_point()) {
      // New work after an idle spell: how long JS took to come back.
      const auto gap = lastActivity - lastPublish_;
      recentGap_ = (3 * recentGap_ + gap) / 4;
      lastPublish_ = Clock::time_point();
    }
    const bool handedOver = !controls.empty();
    // In the order JS issued them: a close settles the executes before it
    // and not the ones after it.
    for (Control& c : controls) {
      switch (c.kind) {
        case Control::kExecute:
          try {
            startExecution(c.exec);
          } catch (const std::bad_alloc&) {
            for (auto& job : c.exec->jobs) {
              if (!job->done)
                job->conn->close(EK_CONNECTION, "out of memory while sending to " + job->conn->address().label);
            }
          }
          break;
        case Control::kResolved: {
          std::shared_ptr<ConnState> conn = c.resolved.conn.lock();
          if (conn) conn->onResolved(c.resolved);
          break;
        }
        case Control::kClose:
          c.conn->close(EK_CLOSED, c.reason);
          break;
        case Control::kCloseWhenIdle:
          c.conn->closeWhenIdle();
          break;
      }
    }
    controls.clear();
    expireTimers();
    for (ConnState* c : dirty_) {
      c->flush();
      c->maybeCloseIdle();
    }
    dirty_.clear();
    publish();
    // Requests are out and results handed over: a move now delays nothing.
    if (handedOver) spread_.afterHandOver(Clock::now());
    graveyard_.clear();
  }
}

void PollLoop::startExecution(Execution* exec) {
  exec->remaining = exec->jobs.size();
  armTimer(exec);
  if (exec->remaining == 0) {
    disarmTimer(exec);
    completed_.push_back(exec);
    return;
  }
  for (auto& job : exec->jobs) {
    if (job->out.empty() && job->expected == 0) {
      jobDone(job.get());  // nothing to send, nothing owed
    } else {
      job->conn->enqueue(*this, job.get());
    }
  }
}

void PollLoop::armTimer(Execution* exec) {
  if (spareTimers_.empty()) {
    exec->timer = timers_.emplace(exec->deadline, exec);
  } else {
    auto node = std::move(spareTimers_.back());
    spareTimers_.pop_back();
    node.key() = exec->deadline;
    node.mapped() = exec;
    exec->timer = timers_.insert(std::move(node));
  }
  exec->timerArmed = true;
}

void PollLoop::disarmTimer(Execution* exec) {
  if (!exec->timerArmed) return;
  exec->timerArmed = false;
  if (spareTimers_.size() < kMaxSpareTimers) {
    spareTimers_.push_back(timers_.extract(exec->timer));
  } else {
    timers_.erase(exec->timer);
  }
}

void PollLoop::jobDone(Job* job) {
  job->done = true;
  Execution* exec = job->exec;
  if (job->errorKind != EK_NONE) exec->ok = false;
  if (--exec->remaining == 0) {
    disarmTimer(exec);
    completed_.push_back(exec);
  }
}

void PollLoop::expireTimers() {
  auto now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    Execution* exec = timers_.begin()->second;
    disarmTimer(exec);
    for (auto& job : exec->jobs) {
      if (!job->done) job->conn->abandon(job.get(), std::string());
    }
  }
}

void PollLoop::markDirty(ConnState* conn) {
  if (std::find(dirty_.begin(), dirty_.end(), conn) == dirty_.end()) dirty_.push_back(conn);
}

void PollLoop::trackOpen(std::shared_ptr<ConnState> conn) {
  ConnState* key = conn.get();
  open_[key] = std::move(conn);
}

void PollLoop::untrackOpen(ConnState* conn) {
  auto it = open_.find(conn);
  if (it == open_.end()) return;
  graveyard_.push_back(std::move(it->second));  // the caller may be this very object
  open_.erase(it);
}

void PollLoop::publish() {
  if (completed_.empty() && !signalLost_) return;
  // JS is signalled when done_ turns non-empty; a signal that did not go
  // out is retried on every pass, or nothing in done_ would ever settle.
  bool signal = signalLost_;
  if (!completed_.empty()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      signal = signal || done_.empty();
      done_.insert(done_.end(), completed_.begin(), completed_.end());
    }
    completed_.clear();
    if (timers_.empty()) lastPublish_ = Clock::now();
  }
  if (signal) signalLost_ = napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking) != napi_ok;
}

// Resolves with the reply's value, or rejects with an Error whose `kind` is
// the ErrorKind (or -1 for an error reply from the server).
void PollLoop::settleValue(napi_env env, Execution* exec) {
  const Job& job = *exec->jobs[0];
  int32_t kind = job.errorKind;
  const std::string* message = &job.error;
  std::string replyError;
  if (kind == EK_NONE && job.replies.count() > 0 && job.replies.records[0] == RT_ERROR) {
    size_t len;
    const char* text = replyText(job.replies, 0, &len);
    replyError.assign(text, len);
    message = &replyError;
    kind = -1;
  }
  if (kind != EK_NONE) {
    napi_value msg = nullptr, err = nullptr, kindValue = nullptr;
    napi_create_string_utf8(env, message->data(), message->size(), &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_create_int32(env, kind, &kindValue);
    napi_set_named_property(env, err, "kind", kindValue);
    napi_reject_deferred(env, exec->deferred, err);
    return;
  }
  size_t index = 0;
  napi_value value = replyValue(env, job.replies, &index, job.valueMode == ValueMode::kBuffers);
  if (value != nullptr) {
    napi_resolve_deferred(env, exec->deferred, value);
    return;
  }
  // The reply arrived but cannot become a JS value. Reject rather than leave
  // the promise pending: with what Node threw, if it threw; else, for a
  // string past V8's length limit (about 512 MiB), as Buffer#toString does.
  // The bytes stay readable as a Buffer.
  napi_value err = nullptr;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &err);
  if (err == nullptr) {
    const bool buffers = job.valueMode == ValueMode::kBuffers;
    std::string text = "the reply (" + std::to_string(job.replies.payload.size()) + " bytes) " +
                       (buffers ? "could not be made into Buffers (out of memory)"
                                : "cannot be made into a JS value: a string longer than V8 allows; read it as a "
                                  "Buffer (getBuffer, callBuffer or a Batch)");
    napi_value code = nullptr, msg = nullptr;
    napi_create_string_utf8(env, buffers ? "ERR_MEMORY_ALLOCATION_FAILED" : "ERR_STRING_TOO_LONG", NAPI_AUTO_LENGTH,
                            &code);
    napi_create_string_utf8(env, text.data(), text.size(), &msg);
    napi_create_error(env, code, msg, &err);
  }
  if (err != nullptr) napi_reject_deferred(env, exec->deferred, err);
}

void PollLoop::callJs(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // the function is being torn down
  static_cast<PollLoop*>(context)->drain(env);
}

void PollLoop::drain(napi_env env) {
  std::vector<Execution*> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done.swap(done_);
  }
  // A handle scope per few executions rather than per one: Node allocates
  // every scope, and one busy tick settles many single commands.
  constexpr size_t kPerScope = 16;
  napi_handle_scope scope = nullptr;
  const Clock::time_point now = Clock::now();
  for (size_t i = 0; i < done.size(); i++) {
    if (i % kPerScope == 0) {
      if (scope != nullptr) napi_close_handle_scope(env, scope);
      scope = nullptr;
      napi_open_handle_scope(env, &scope);
    }
    Execution* exec = done[i];
    waitSpin_.settled(now, exec->flushSeq);
    if (exec->jobs.size() == 1 && exec->jobs[0]->valueMode != ValueMode::kNone) {
      settleValue(env, exec);
      keepCall(exec);
      continue;
    }
    for (auto& job : exec->jobs) {
      BatchWrap* batch = job->batch;
      napi_ref ref = job->batchRef;
      batch->acceptResult(std::move(job));
      napi_delete_reference(env, ref);
    }
    napi_value result;
    napi_get_boolean(env, exec->ok, &result);
    napi_resolve_deferred(env, exec->deferred, result);
    delete exec;
  }
  if (scope != nullptr) napi_close_handle_scope(env, scope);
  inflight_ -= done.size();
  if (inflight_ == 0 && tsfn_ != nullptr) napi_unref_threadsafe_function(env, tsfn_);
}

}  // namespace libredis
