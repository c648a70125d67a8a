// Makes abseil's Mutex and CondVar visible to ThreadSanitizer, for the TSan
// build only (-DONVM_SANITIZE=thread; scripts/sanitize.sh thread preloads
// it with LD_PRELOAD into every process a test runs).
//
// Why: Debian's abseil is not built with TSan. absl::Mutex::Lock() and
// friends live in libabsl_synchronization.so and synchronise with atomics
// and futexes that TSan never sees, so every piece of data that our
// (instrumented) code guards with an absl::Mutex looks unsynchronised: a
// false "data race" on the first access from a second thread. This library
// defines the same symbols, calls the real ones (dlsym RTLD_NEXT), and tells
// TSan what they do: acquiring the mutex is an acquire on its address,
// releasing it a release; Await and CondVar waits release and re-acquire.
// That is exactly the happens-before a mutex gives, nothing more, so real
// races on data used without the lock are still reported.
//
// Built without -fsanitize=thread and with weak references to the TSan
// runtime: in a process without TSan (the engine and NFs of the normal
// build, started by integration tests, inherit LD_PRELOAD) it only forwards.
//
// The symbol names are abseil 20220623 as Debian 12 builds it (inline
// namespace "debian3"); a different abseil makes dlsym fail, which aborts
// with a message naming the symbol rather than running without annotations.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

extern "C" {
// From the TSan runtime (sanitizer/tsan_interface.h); null without it.
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
}

namespace {

void Acquire(const void* mu) {
  if (__tsan_acquire != nullptr) __tsan_acquire(const_cast<void*>(mu));
}
void Release(const void* mu) {
  if (__tsan_release != nullptr) __tsan_release(const_cast<void*>(mu));
}

void* Real(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr, "onvm tsan annotations: %s not found (%s)\n", name, dlerror());
    std::abort();
  }
  return f;
}

// REAL(ret, name, params...) -> a pointer to the real function, looked up once.
#define REAL(ret, name, ...)                                                   \
  ([] {                                                                        \
    static auto* const f = reinterpret_cast<ret (*)(__VA_ARGS__)>(Real(name)); \
    return f;                                                                  \
  }())

using absl::Condition;
using absl::CondVar;
using absl::Duration;
using absl::Mutex;
using absl::Time;

}  // namespace

// Each definition has the mangled name of the abseil member function it
// replaces; `self` is `this`.
#define ONVM_ABSL(name) __asm__(name)

extern "C" {

void OnvmLock(Mutex* self) ONVM_ABSL("_ZN4absl7debian35Mutex4LockEv");
void OnvmLock(Mutex* self) {
  REAL(void, "_ZN4absl7debian35Mutex4LockEv", Mutex*)(self);
  Acquire(self);
}

void OnvmReaderLock(Mutex* self) ONVM_ABSL("_ZN4absl7debian35Mutex10ReaderLockEv");
void OnvmReaderLock(Mutex* self) {
  REAL(void, "_ZN4absl7debian35Mutex10ReaderLockEv", Mutex*)(self);
  Acquire(self);
}

bool OnvmTryLock(Mutex* self) ONVM_ABSL("_ZN4absl7debian35Mutex7TryLockEv");
bool OnvmTryLock(Mutex* self) {
  const bool ok = REAL(bool, "_ZN4absl7debian35Mutex7TryLockEv", Mutex*)(self);
  if (ok) Acquire(self);
  return ok;
}

bool OnvmReaderTryLock(Mutex* self) ONVM_ABSL("_ZN4absl7debian35Mutex13ReaderTryLockEv");
bool OnvmReaderTryLock(Mutex* self) {
  const bool ok = REAL(bool, "_ZN4absl7debian35Mutex13ReaderTryLockEv", Mutex*)(self);
  if (ok) Acquire(self);
  return ok;
}

void OnvmUnlock(Mutex* self) ONVM_ABSL("_ZN4absl7debian35Mutex6UnlockEv");
void OnvmUnlock(Mutex* self) {
  Release(self);
  REAL(void, "_ZN4absl7debian35Mutex6UnlockEv", Mutex*)(self);
}

void OnvmReaderUnlock(Mutex* self) ONVM_ABSL("_ZN4absl7debian35Mutex12ReaderUnlockEv");
void OnvmReaderUnlock(Mutex* self) {
  Release(self);
  REAL(void, "_ZN4absl7debian35Mutex12ReaderUnlockEv", Mutex*)(self);
}

// LockWhen* return holding the mutex (the bool says whether the condition
// holds).
void OnvmLockWhen(Mutex* self, const Condition& c)
    ONVM_ABSL("_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
void OnvmLockWhen(Mutex* self, const Condition& c) {
  REAL(void, "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE", Mutex*, const Condition&)
  (self, c);
  Acquire(self);
}

void OnvmReaderLockWhen(Mutex* self, const Condition& c)
    ONVM_ABSL("_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
void OnvmReaderLockWhen(Mutex* self, const Condition& c) {
  REAL(void, "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE", Mutex*, const Condition&)
  (self, c);
  Acquire(self);
}

bool OnvmLockWhenWithTimeout(Mutex* self, const Condition& c, Duration d)
    ONVM_ABSL("_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
bool OnvmLockWhenWithTimeout(Mutex* self, const Condition& c, Duration d) {
  const bool ok =
      REAL(bool, "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE",
           Mutex*, const Condition&, Duration)(self, c, d);
  Acquire(self);
  return ok;
}

bool OnvmLockWhenWithDeadline(Mutex* self, const Condition& c, Time t)
    ONVM_ABSL("_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
bool OnvmLockWhenWithDeadline(Mutex* self, const Condition& c, Time t) {
  const bool ok =
      REAL(bool, "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE", Mutex*,
           const Condition&, Time)(self, c, t);
  Acquire(self);
  return ok;
}

bool OnvmReaderLockWhenWithTimeout(Mutex* self, const Condition& c, Duration d)
    ONVM_ABSL("_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
bool OnvmReaderLockWhenWithTimeout(Mutex* self, const Condition& c, Duration d) {
  const bool ok = REAL(
      bool, "_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE",
      Mutex*, const Condition&, Duration)(self, c, d);
  Acquire(self);
  return ok;
}

bool OnvmReaderLockWhenWithDeadline(Mutex* self, const Condition& c, Time t)
    ONVM_ABSL("_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
bool OnvmReaderLockWhenWithDeadline(Mutex* self, const Condition& c, Time t) {
  const bool ok =
      REAL(bool, "_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE",
           Mutex*, const Condition&, Time)(self, c, t);
  Acquire(self);
  return ok;
}

// Await* are called holding the mutex; they release it while waiting.
void OnvmAwait(Mutex* self, const Condition& c)
    ONVM_ABSL("_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
void OnvmAwait(Mutex* self, const Condition& c) {
  Release(self);
  REAL(void, "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE", Mutex*, const Condition&)(self, c);
  Acquire(self);
}

bool OnvmAwaitWithTimeout(Mutex* self, const Condition& c, Duration d)
    ONVM_ABSL("_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
bool OnvmAwaitWithTimeout(Mutex* self, const Condition& c, Duration d) {
  Release(self);
  const bool ok =
      REAL(bool, "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE", Mutex*,
           const Condition&, Duration)(self, c, d);
  Acquire(self);
  return ok;
}

bool OnvmAwaitWithDeadline(Mutex* self, const Condition& c, Time t)
    ONVM_ABSL("_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
bool OnvmAwaitWithDeadline(Mutex* self, const Condition& c, Time t) {
  Release(self);
  const bool ok =
      REAL(bool, "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE", Mutex*,
           const Condition&, Time)(self, c, t);
  Acquire(self);
  return ok;
}

// CondVar waits release `mu` and hold it again on return.
void OnvmCondVarWait(CondVar* self, Mutex* mu)
    ONVM_ABSL("_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
void OnvmCondVarWait(CondVar* self, Mutex* mu) {
  Release(mu);
  REAL(void, "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE", CondVar*, Mutex*)(self, mu);
  Acquire(mu);
}

bool OnvmCondVarWaitWithTimeout(CondVar* self, Mutex* mu, Duration d)
    ONVM_ABSL("_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
bool OnvmCondVarWaitWithTimeout(CondVar* self, Mutex* mu, Duration d) {
  Release(mu);
  const bool timed_out =
      REAL(bool, "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE", CondVar*,
           Mutex*, Duration)(self, mu, d);
  Acquire(mu);
  return timed_out;
}

bool OnvmCondVarWaitWithDeadline(CondVar* self, Mutex* mu, Time t)
    ONVM_ABSL("_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
bool OnvmCondVarWaitWithDeadline(CondVar* self, Mutex* mu, Time t) {
  Release(mu);
  const bool timed_out =
      REAL(bool, "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE", CondVar*,
           Mutex*, Time)(self, mu, t);
  Acquire(mu);
  return timed_out;
}

}  // extern "C"
