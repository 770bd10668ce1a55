#include "vlq/model/thread_pool.hpp"

#include <limits>
#include <string>

#include "vlq/core/error.hpp"

namespace vlq::model {

namespace {

// Set while a thread runs pool tasks: a nested run() must not wait for workers that are busy
// running its parent job.
thread_local bool t_in_pool = false;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Kernels come in quick succession (a layer is ~10 of them), so a short spin before sleeping on
// the futex saves a wake-up per kernel; after ~100 µs the thread sleeps and costs nothing.
constexpr int kSpinIterations = 1 << 12;

// Spins until pred() holds or the spin budget is spent; returns pred().
template <typename Pred>
bool spin_until(Pred pred) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (pred()) return true;
    cpu_relax();
  }
  return pred();
}

struct InPool {
  InPool() { t_in_pool = true; }
  ~InPool() { t_in_pool = false; }
};

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    const std::lock_guard lock(sleep_mutex_);
    stop_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  workers_.clear();  // joins
}

void ThreadPool::drain(Job& job) {
  const InPool in_pool;
  for (;;) {
    const int64_t i = job.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= job.tasks) return;
    try {
      (*job.task)(i);
    } catch (...) {
      const std::lock_guard lock(job.error_mutex);
      if (!job.error) job.error = std::current_exception();
    }
    if (job.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      { const std::lock_guard lock(sleep_mutex_); }  // the caller is either before its check or asleep
      done_.notify_all();
    }
  }
}

void ThreadPool::worker_loop() {
  // The generation the pool was created with, not the current one: a worker that starts late
  // must still see the jobs (and the shutdown) posted before it got to run.
  uint32_t seen = 0;
  for (;;) {
    auto changed = [&] { return generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(changed)) {
      std::unique_lock lock(sleep_mutex_);
      wake_.wait(lock, changed);
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_relaxed)) return;
    std::shared_ptr<Job> job;
    {
      const std::lock_guard lock(current_mutex_);
      job = current_;
    }
    if (job) drain(*job);
  }
}

void ThreadPool::run(int64_t tasks, const std::function<void(int64_t)>& task) {
  if (tasks <= 0) return;
  std::unique_lock lock(submit_, std::defer_lock);
  if (workers_.empty() || tasks == 1 || t_in_pool || !lock.try_lock()) {
    for (int64_t i = 0; i < tasks; ++i) task(i);
    return;
  }
  if (tasks > std::numeric_limits<uint32_t>::max())
    fail("ThreadPool: " + std::to_string(tasks) + " tasks in one run");
  auto job = std::make_shared<Job>();
  job->task = &task;
  job->tasks = tasks;
  job->pending.store(static_cast<uint32_t>(tasks), std::memory_order_relaxed);
  {
    const std::lock_guard guard(current_mutex_);
    current_ = job;
  }
  {
    const std::lock_guard guard(sleep_mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  drain(*job);
  // Only tasks a worker has claimed can still be running; a worker that has not woken up yet
  // will find none left, so the caller never waits for a thread that has nothing to do.
  auto finished = [&] { return job->pending.load(std::memory_order_acquire) == 0; };
  if (!spin_until(finished)) {
    std::unique_lock sleep(sleep_mutex_);
    done_.wait(sleep, finished);
  }
  {
    const std::lock_guard guard(current_mutex_);
    current_.reset();
  }
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace vlq::model
