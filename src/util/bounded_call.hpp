// A call bounded in time: run in a worker thread, waited for at most a timeout. For calls that can
// block in the kernel or in a daemon (a sysfs store handler, libvirtd) where a caller must not
// hang.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace ptagent {

// fn's result, or nullopt when it did not return within `timeout`: its thread is then detached
// and goes on alone, so fn must own everything it uses (capture by value). Throws
// std::system_error when no thread can be started (fn has not run then).
template <class T, class Fn>
std::optional<T> call_with_timeout(Fn fn, std::chrono::milliseconds timeout) {
  struct State {
    std::mutex m;
    std::condition_variable cv;
    std::optional<T> result;
  };
  auto st = std::make_shared<State>();
  std::thread worker([st, fn = std::move(fn)]() mutable {
    T r = fn();
    std::lock_guard<std::mutex> lock(st->m);
    st->result.emplace(std::move(r));
    st->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(st->m);
  if (!st->cv.wait_for(lock, timeout, [&] { return st->result.has_value(); })) {
    lock.unlock();
    worker.detach();
    return std::nullopt;
  }
  lock.unlock();
  worker.join();
  return std::move(st->result);
}

}  // namespace ptagent
