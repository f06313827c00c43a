// Mutex and scoped locks carrying clang thread-safety annotations, so members marked
// BEACON_GUARDED_BY are checked by `clang++ -Wthread-safety` (scripts/check-threads, ctest
// lint.thread_safety). Under GCC the macros expand to nothing and the types cost what std::mutex
// and std::unique_lock cost. Wait on a UniqueLock with std::condition_variable_any; a wait
// predicate that reads guarded members is a lambda annotated BEACON_REQUIRES(mu_).
#pragma once

#include <mutex>

#if defined(__clang__)
#define BEACON_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define BEACON_THREAD_ANNOTATION_(x)
#endif

#define BEACON_CAPABILITY(x) BEACON_THREAD_ANNOTATION_(capability(x))
#define BEACON_SCOPED_CAPABILITY BEACON_THREAD_ANNOTATION_(scoped_lockable)
#define BEACON_GUARDED_BY(x) BEACON_THREAD_ANNOTATION_(guarded_by(x))
#define BEACON_PT_GUARDED_BY(x) BEACON_THREAD_ANNOTATION_(pt_guarded_by(x))
#define BEACON_REQUIRES(...) BEACON_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define BEACON_ACQUIRE(...) BEACON_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define BEACON_RELEASE(...) BEACON_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define BEACON_TRY_ACQUIRE(...) BEACON_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#define BEACON_EXCLUDES(...) BEACON_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define BEACON_NO_THREAD_SAFETY_ANALYSIS BEACON_THREAD_ANNOTATION_(no_thread_safety_analysis)

namespace beacon {

// std::mutex as a capability the analysis can track.
class BEACON_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() BEACON_ACQUIRE() { mu_.lock(); }
  void unlock() BEACON_RELEASE() { mu_.unlock(); }
  bool try_lock() BEACON_TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  std::mutex mu_;
};

// Holds `mu` for its scope, like std::lock_guard.
class BEACON_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) BEACON_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() BEACON_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// Holds `mu` from construction, may release and retake it (std::unique_lock's role): the lock
// for std::condition_variable_any waits and for code that drops the mutex around slow work.
class BEACON_SCOPED_CAPABILITY UniqueLock {
 public:
  explicit UniqueLock(Mutex& mu) BEACON_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~UniqueLock() BEACON_RELEASE() {
    if (owns_) mu_.unlock();
  }
  UniqueLock(const UniqueLock&) = delete;
  UniqueLock& operator=(const UniqueLock&) = delete;

  void lock() BEACON_ACQUIRE() {
    mu_.lock();
    owns_ = true;
  }
  void unlock() BEACON_RELEASE() {
    owns_ = false;
    mu_.unlock();
  }

 private:
  Mutex& mu_;
  bool owns_ = true;
};

}  // namespace beacon
