#pragma once
// A persistent pool of worker threads for the model's kernels. It replaces spawning std::jthreads
// per kernel call: on a 2-core machine fresh threads competed with OpenBLAS's own (spinning)
// workers and every small kernel paid for thread creation plus scheduler time slices. With this
// pool OpenBLAS runs single-threaded inside each pool task, so exactly `size()` threads are ever
// busy (kernels.cpp sets that up).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace vlq::model {

class ThreadPool {
 public:
  // `threads` ≥ 1 counts the calling thread: threads − 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs task(i) for every i in [0, tasks) on the workers and the calling thread; returns when
  // all are done and rethrows the first exception a task threw. Tasks are claimed dynamically,
  // so task i must not depend on which thread runs it. A call from inside a task, or while
  // another thread is using the pool, runs every task on the calling thread instead.
  void run(int64_t tasks, const std::function<void(int64_t)>& task);

 private:
  // One run() call. Workers hold it by shared_ptr, so one that wakes up late finds every task
  // claimed and never touches the (by then finished) caller's task function.
  struct Job {
    const std::function<void(int64_t)>* task = nullptr;
    int64_t tasks = 0;
    std::atomic<int64_t> next{0};      // next unclaimed task
    std::atomic<uint32_t> pending{0};  // tasks not finished yet (≤ 2³² per run)
    std::mutex error_mutex;
    std::exception_ptr error;
  };
  void worker_loop();
  void drain(Job& job);

  std::vector<std::jthread> workers_;
  std::mutex submit_;  // one job at a time; a concurrent caller runs its tasks itself
  std::mutex current_mutex_;
  std::shared_ptr<Job> current_;
  std::atomic<uint32_t> generation_{0};  // bumped per job (and at shutdown) to wake workers
  std::atomic<bool> stop_{false};
  // Sleeping after the spin: a mutex + condition variables rather than atomic::wait, whose
  // libstdc++ 12 implementation can miss a notify_all (a worker slept through shutdown).
  std::mutex sleep_mutex_;
  std::condition_variable wake_;  // generation_ changed
  std::condition_variable done_;  // a job's last task finished
};

}  // namespace vlq::model
