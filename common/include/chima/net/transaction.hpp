// Building a network must be all or nothing, also when the user presses Ctrl-C.
//
// Strategy: the tool holds an InterruptGuard for the whole build. It blocks SIGINT, SIGTERM
// and SIGHUP (threads started later inherit the mask), so no step is ever cut in half;
// helper programs run in their own process group with an empty mask, so the terminal's
// Ctrl-C reaches only us. Between steps the builder calls guard.check(), which throws
// Interrupted if a signal is pending. The exception unwinds through a BuildTransaction,
// whose destructor undoes every step done so far (newest first) unless commit() was
// reached. The tool's single catch then exits with 128+signal.
//
//   InterruptGuard guard;
//   BuildTransaction tx;
//   auto ns = NetNs::create(name); ns.release();
//   tx.on_rollback("delete " + name, [=] { NetNs::remove(name); });
//   guard.check();
//   ...
//   tx.commit();
#pragma once

#include <signal.h>

#include <functional>
#include <string>
#include <vector>

#include "chima/error.hpp"

namespace chima::net {

// Thrown by InterruptGuard::check when SIGINT/SIGTERM/SIGHUP arrived during a build.
class Interrupted : public Error {
  public:
    explicit Interrupted(int signo);
    int signal_number() const { return signo_; }
    int exit_status() const { return 128 + signo_; }

  private:
    int signo_;
};

class InterruptGuard {
  public:
    InterruptGuard();   // blocks the signals in the calling thread
    ~InterruptGuard();  // restores the previous mask (signals still pending are delivered)
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    // Throws Interrupted if one of the signals is pending (and consumes it).
    void check() const;
    // True if a signal is pending (does not consume it).
    bool pending() const;

  private:
    sigset_t blocked_{};
    sigset_t previous_{};
};

class BuildTransaction {
  public:
    BuildTransaction() = default;
    BuildTransaction(const BuildTransaction&) = delete;
    BuildTransaction& operator=(const BuildTransaction&) = delete;
    ~BuildTransaction();  // rolls back unless committed

    // Registers how to undo a step that just succeeded. `what` is logged on rollback.
    void on_rollback(std::string what, std::function<void()> undo);
    // Keeps everything: the undo steps are dropped.
    void commit();
    // Undoes all registered steps now, newest first; errors are logged, not thrown, so
    // every step gets its chance.
    void rollback() noexcept;
    bool committed() const { return committed_; }

  private:
    struct Step {
        std::string what;
        std::function<void()> undo;
    };
    std::vector<Step> steps_;
    bool committed_ = false;
};

}  // namespace chima::net
