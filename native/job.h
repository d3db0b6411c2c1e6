// The unit of work that crosses threads. The JS thread builds an Execution
// (one per execute call) and hands it to the poll loop; the loop fills every
// Job's replies and hands the Execution back. Only one thread touches it at a time.
#pragma once

#include <node_api.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "live_counts.h"
#include "packed_replies.h"

namespace libredis {

class ConnState;
class BatchWrap;
struct Execution;

// Why a batch failed; JS maps these to error classes.
enum ErrorKind : int32_t {
  EK_NONE = 0,
  EK_TIMEOUT = 1,
  EK_CONNECTION = 2,
  EK_PROTOCOL = 3,
  EK_CLOSED = 4,
};

using Clock = std::chrono::steady_clock;
// Deadlines in order, each naming its execution (PollLoop::timers_).
using TimerMap = std::multimap<Clock::time_point, Execution*>;

// How a single-command job hands its reply to JS (kNone: through a Batch).
enum class ValueMode : uint8_t { kNone, kStrings, kBuffers };

struct Job {
  Job() { liveCounts().jobs++; }
  ~Job() { liveCounts().jobs--; }
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  Execution* exec = nullptr;
  std::shared_ptr<ConnState> conn;
  std::string out;        // encoded commands
  size_t written = 0;     // bytes of `out` sent
  uint32_t expected = 0;  // replies owed
  uint32_t received = 0;  // top-level replies parsed
  PackedReplies replies;
  std::string error;
  ErrorKind errorKind = EK_NONE;
  bool done = false;
  // Single-command path: the promise gets the decoded reply, not a batch.
  ValueMode valueMode = ValueMode::kNone;

  // JS thread only: keeps the batch alive while its commands are in flight.
  BatchWrap* batch = nullptr;
  napi_ref batchRef = nullptr;

  bool fullyWritten() const { return written == out.size(); }

  // For reuse by the next single command: every field above back to its
  // initial value, keeping the memory of out and replies.
  void reset() {
    exec = nullptr;
    conn.reset();
    out.clear();
    written = 0;
    expected = 0;
    received = 0;
    replies.clear();
    error.clear();
    errorKind = EK_NONE;
    done = false;
    valueMode = ValueMode::kNone;
    batch = nullptr;
    batchRef = nullptr;
  }

  // Fails the commands still owed: half-parsed nodes are dropped and each
  // missing reply becomes an ERROR reply carrying the reason.
  void fail(ErrorKind kind, const std::string& reason) {
    replies.truncateToMark();
    replies.addErrors(expected - received, reason);
    received = expected;
    error = reason;
    errorKind = kind;
  }
};

struct Execution {
  Execution() { liveCounts().executions++; }
  ~Execution() { liveCounts().executions--; }
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  std::vector<std::unique_ptr<Job>> jobs;
  size_t remaining = 0;
  bool ok = true;
  uint32_t timeoutMs = 0;
  uint64_t flushSeq = 0;  // executions handed over by one flush (one JS tick) share it
  Clock::time_point deadline;
  TimerMap::iterator timer;  // valid while timerArmed
  bool timerArmed = false;

  napi_deferred deferred = nullptr;  // JS thread only

  // For reuse (see Job::reset); the jobs are kept as they are.
  void reset() {
    remaining = 0;
    ok = true;
    timeoutMs = 0;
    flushSeq = 0;
    deadline = Clock::time_point();
    timer = {};
    timerArmed = false;
    deferred = nullptr;
  }
};

}  // namespace libredis
