#include "chima/net/transaction.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <ctime>

namespace chima::net {

Interrupted::Interrupted(int signo)
    : Error(ExitCode::Runtime, std::string("interrupted by ") + ::strsignal(signo) +
                                   ", everything built so far was removed"),
      signo_(signo) {}

InterruptGuard::InterruptGuard() {
    sigemptyset(&blocked_);
    for (int s : {SIGINT, SIGTERM, SIGHUP})
        sigaddset(&blocked_, s);
    pthread_sigmask(SIG_BLOCK, &blocked_, &previous_);
}

InterruptGuard::~InterruptGuard() {
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

bool InterruptGuard::pending() const {
    sigset_t now;
    sigpending(&now);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) {
        if (sigismember(&now, s))
            return true;
    }
    return false;
}

void InterruptGuard::check() const {
    timespec zero{0, 0};
    int signo = ::sigtimedwait(&blocked_, nullptr, &zero);
    if (signo > 0)
        throw Interrupted(signo);
}

BuildTransaction::~BuildTransaction() {
    if (!committed_)
        rollback();
}

void BuildTransaction::on_rollback(std::string what, std::function<void()> undo) {
    steps_.push_back({std::move(what), std::move(undo)});
}

void BuildTransaction::commit() {
    steps_.clear();
    committed_ = true;
}

void BuildTransaction::rollback() noexcept {
    while (!steps_.empty()) {
        Step step = std::move(steps_.back());
        steps_.pop_back();
        try {
            spdlog::debug("rollback: {}", step.what);
            step.undo();
        } catch (const std::exception& e) {
            spdlog::warn("rollback: {} failed: {}", step.what, e.what());
        }
    }
}

}  // namespace chima::net
