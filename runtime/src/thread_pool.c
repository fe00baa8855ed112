/* The thread pool behind the compiled model's parallel-for. */
#define _POSIX_C_SOURCE 200809L

#include "llmc/thread_pool.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/// Polls of the generation counter before a worker goes to sleep, and of
/// the done counter before the caller starts yielding its core.
#define LLMC_THREAD_POOL_WORKER_SPINS 10000
#define LLMC_THREAD_POOL_CALLER_SPINS 2000

static inline void llmc_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

typedef struct llmc_thread_pool_worker_t {
  llmc_thread_pool_t *pool;
  int32_t index; ///< The worker's lane (the caller's is 0).
  pthread_t thread;
} llmc_thread_pool_worker_t;

/// One thread's share of a parallel-for. Under `lock`: the job it belongs
/// to (`generation`) and the indices [next, end) of it no thread has
/// claimed yet. The thread claims chunks from the front; a thread whose
/// range is empty moves the back half of the largest other one into its own
/// (llmc_thread_pool_steal). `done` counts the indices of the job the thread
/// has run. On its own cache line so that the threads' claims and counts do
/// not contend.
typedef struct llmc_thread_pool_lane_t {
  _Alignas(64) _Atomic int32_t lock;
  uint64_t generation;
  /// Atomic so that a thief may read them without the lock to pick a
  /// victim; changed only under it.
  _Atomic int64_t next, end;
  _Atomic int64_t done;
  /// Seconds the thread spent inside the job's chunks, while the job is
  /// timed (llmc_thread_pool_set_profile); written by the thread only.
  double busy;
} llmc_thread_pool_lane_t;

struct llmc_thread_pool_t {
  llmc_ref_count_t ref_count;
  llmc_allocator_t allocator;
  int32_t thread_count;
  int32_t started; ///< Workers successfully started.
  llmc_thread_pool_worker_t *workers;

  /// One lane per thread (thread_count of them).
  llmc_thread_pool_lane_t *lanes;

  /// The current job, published by incrementing `generation`: its indices
  /// are in the lanes. (Atomic because a worker that wakes late may read
  /// them while the next job's are written; its claims then fail, as the
  /// lanes belong to the next job, and it ignores them.)
  _Atomic(llmc_parallel_task_fn_t) task;
  _Atomic(void *) ctx;
  _Atomic bool timed; ///< Whether the threads time their chunks.
  _Atomic uint64_t generation;
  _Atomic bool stop;

  /// Sleeping workers wait here for `generation` to change.
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  _Atomic int32_t sleepers;

  /// Where the caller records its parallel-fors, or NULL.
  llmc_thread_pool_profile_t *profile;
};

void llmc_thread_pool_split(int64_t count, int32_t parts, int32_t index,
                            int64_t *out_begin, int64_t *out_end) {
  // Balanced: sizes differ by at most one (the first count % parts ranges
  // get one more). Written without count * index to avoid overflow.
  int64_t base = count / parts, extra = count % parts;
  int64_t begin = base * index + (index < extra ? index : extra);
  *out_begin = begin;
  *out_end = begin + base + (index < extra ? 1 : 0);
}

/// Each chunk a thread claims is this fraction (1/N, rounded up) of what is
/// left of its range: a thread delayed by the OS (another process on its
/// core) leaves most of its share to the others, and the last chunks are
/// single indices, so the threads finish a parallel-for close together (the
/// last chunk bounds how long the others wait).
#define LLMC_THREAD_POOL_CHUNK_DIVISOR 4

static void llmc_thread_pool_lock(llmc_thread_pool_lane_t *lane) {
  while (atomic_exchange_explicit(&lane->lock, 1, memory_order_acquire))
    while (atomic_load_explicit(&lane->lock, memory_order_relaxed))
      llmc_cpu_relax();
}

static void llmc_thread_pool_unlock(llmc_thread_pool_lane_t *lane) {
  atomic_store_explicit(&lane->lock, 0, memory_order_release);
}

/// Claims the next chunk of `lane` for job `generation`: [*out_begin,
/// *out_end). False if the lane is empty or holds another job.
static bool llmc_thread_pool_claim(llmc_thread_pool_lane_t *lane,
                                   uint64_t generation, int64_t *out_begin,
                                   int64_t *out_end) {
  llmc_thread_pool_lock(lane);
  int64_t next = atomic_load_explicit(&lane->next, memory_order_relaxed);
  int64_t left = atomic_load_explicit(&lane->end, memory_order_relaxed) - next;
  bool claimed = lane->generation == generation && left > 0;
  if (claimed) {
    int64_t size = (left + LLMC_THREAD_POOL_CHUNK_DIVISOR - 1) /
                   LLMC_THREAD_POOL_CHUNK_DIVISOR;
    *out_begin = next;
    *out_end = next + size;
    atomic_store_explicit(&lane->next, next + size, memory_order_relaxed);
  }
  llmc_thread_pool_unlock(lane);
  return claimed;
}

/// Moves the back half (rounded up) of the largest unclaimed range of job
/// `generation` in the other lanes into lane `self`, which is empty: the
/// owner of that range keeps walking its front without a gap, and the
/// thief walks the back in order. False when no index of the job is left.
static bool llmc_thread_pool_steal(llmc_thread_pool_t *pool,
                                   uint64_t generation, int32_t self) {
  for (;;) {
    int32_t victim = -1;
    int64_t most = 0;
    for (int32_t i = 0; i < pool->thread_count; ++i) {
      llmc_thread_pool_lane_t *lane = &pool->lanes[i];
      int64_t left = atomic_load_explicit(&lane->end, memory_order_relaxed) -
                     atomic_load_explicit(&lane->next, memory_order_relaxed);
      if (i != self && left > most) {
        most = left;
        victim = i;
      }
    }
    if (victim < 0)
      return false;
    llmc_thread_pool_lane_t *lane = &pool->lanes[victim];
    llmc_thread_pool_lock(lane);
    int64_t next = atomic_load_explicit(&lane->next, memory_order_relaxed);
    int64_t end = atomic_load_explicit(&lane->end, memory_order_relaxed);
    if (lane->generation != generation) {
      // The job is over (or this thread woke for an older one).
      llmc_thread_pool_unlock(lane);
      return false;
    }
    int64_t take = (end - next + 1) / 2;
    if (take > 0)
      atomic_store_explicit(&lane->end, end - take, memory_order_relaxed);
    llmc_thread_pool_unlock(lane);
    if (take <= 0)
      continue; // Claimed meanwhile: look again.
    // The job cannot end while these indices are unrun, so this lane still
    // belongs to it.
    llmc_thread_pool_lane_t *own = &pool->lanes[self];
    llmc_thread_pool_lock(own);
    atomic_store_explicit(&own->next, end - take, memory_order_relaxed);
    atomic_store_explicit(&own->end, end, memory_order_relaxed);
    llmc_thread_pool_unlock(own);
    return true;
  }
}

/// Thread `self`'s part of job `generation`: the chunks of its own lane in
/// order (one sequential walk through its range), then, each time its lane
/// is empty, the back half of the largest range left.
static void llmc_thread_pool_run_chunks(llmc_thread_pool_t *pool,
                                        uint64_t generation, int32_t self) {
  llmc_parallel_task_fn_t task = atomic_load(&pool->task);
  void *ctx = atomic_load(&pool->ctx);
  bool timed = atomic_load(&pool->timed);
  llmc_thread_pool_lane_t *own = &pool->lanes[self];
  for (;;) {
    int64_t begin, end;
    if (llmc_thread_pool_claim(own, generation, &begin, &end)) {
      double start = timed ? llmc_monotonic_seconds() : 0.0;
      task(ctx, begin, end);
      if (timed)
        own->busy += llmc_monotonic_seconds() - start;
      atomic_fetch_add_explicit(&own->done, end - begin, memory_order_release);
    } else if (!llmc_thread_pool_steal(pool, generation, self)) {
      return;
    }
  }
}

static uint64_t llmc_thread_pool_wait(llmc_thread_pool_t *pool, uint64_t seen) {
  for (int i = 0; i < LLMC_THREAD_POOL_WORKER_SPINS; ++i) {
    uint64_t now =
        atomic_load_explicit(&pool->generation, memory_order_acquire);
    if (now != seen)
      return now;
    llmc_cpu_relax();
  }
  pthread_mutex_lock(&pool->mutex);
  // Announce the sleep before re-checking: the publisher increments the
  // generation and then reads `sleepers` (both sequentially consistent), so
  // either it sees this sleeper and broadcasts, or this check sees the new
  // generation.
  atomic_fetch_add(&pool->sleepers, 1);
  uint64_t now;
  while ((now = atomic_load(&pool->generation)) == seen)
    pthread_cond_wait(&pool->wake, &pool->mutex);
  atomic_fetch_sub(&pool->sleepers, 1);
  pthread_mutex_unlock(&pool->mutex);
  return now;
}

static void *llmc_thread_pool_worker_main(void *arg) {
  llmc_thread_pool_worker_t *worker = arg;
  llmc_thread_pool_t *pool = worker->pool;
  uint64_t seen = 0;
  for (;;) {
    seen = llmc_thread_pool_wait(pool, seen);
    if (atomic_load_explicit(&pool->stop, memory_order_acquire))
      return NULL;
    llmc_thread_pool_run_chunks(pool, seen, worker->index);
  }
}

/// Publishes a new generation and wakes sleeping workers.
static void llmc_thread_pool_publish(llmc_thread_pool_t *pool) {
  atomic_fetch_add(&pool->generation, 1);
  if (atomic_load(&pool->sleepers) > 0) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
  }
}

static void llmc_thread_pool_stop(llmc_thread_pool_t *pool) {
  atomic_store_explicit(&pool->stop, true, memory_order_release);
  llmc_thread_pool_publish(pool);
  for (int32_t i = 0; i < pool->started; ++i)
    pthread_join(pool->workers[i].thread, NULL);
  pool->started = 0;
}

llmc_status_t llmc_thread_pool_create(int32_t thread_count,
                                      llmc_allocator_t allocator,
                                      llmc_thread_pool_t **out_pool) {
  if (!out_pool)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT, "out_pool is NULL");
  *out_pool = NULL;
  if (thread_count < 1 || thread_count > LLMC_THREAD_POOL_MAX_THREADS)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "thread count %" PRId32 " is outside [1, %d]",
                            thread_count, LLMC_THREAD_POOL_MAX_THREADS);
  llmc_thread_pool_t *pool = NULL;
  LLMC_RETURN_IF_ERROR(
      llmc_allocator_alloc(allocator, sizeof(*pool), 64, (void **)&pool));
  llmc_ref_init(&pool->ref_count);
  pool->allocator = allocator;
  pool->thread_count = thread_count;
  atomic_init(&pool->generation, 0);
  atomic_init(&pool->timed, false);
  atomic_init(&pool->stop, false);
  atomic_init(&pool->sleepers, 0);
  pool->profile = NULL;
  if (pthread_mutex_init(&pool->mutex, NULL) != 0) {
    llmc_allocator_free(allocator, pool);
    return llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED,
                            "cannot create the thread pool's mutex");
  }
  if (pthread_cond_init(&pool->wake, NULL) != 0) {
    pthread_mutex_destroy(&pool->mutex);
    llmc_allocator_free(allocator, pool);
    return llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED,
                            "cannot create the thread pool's condition "
                            "variable");
  }
  llmc_status_t status = llmc_allocator_alloc(
      allocator, sizeof(llmc_thread_pool_lane_t) * (size_t)thread_count,
      _Alignof(llmc_thread_pool_lane_t), (void **)&pool->lanes);
  for (int32_t i = 0; !status && i < thread_count; ++i) {
    atomic_init(&pool->lanes[i].lock, 0);
    pool->lanes[i].generation = 0;
    atomic_init(&pool->lanes[i].next, 0);
    atomic_init(&pool->lanes[i].end, 0);
    atomic_init(&pool->lanes[i].done, 0);
    pool->lanes[i].busy = 0.0;
  }
  if (!status && thread_count > 1)
    status = llmc_allocator_alloc(
        allocator,
        sizeof(llmc_thread_pool_worker_t) * (size_t)(thread_count - 1),
        _Alignof(llmc_thread_pool_worker_t), (void **)&pool->workers);
  for (int32_t i = 0; !status && i < thread_count - 1; ++i) {
    llmc_thread_pool_worker_t *worker = &pool->workers[i];
    worker->pool = pool;
    worker->index = i + 1;
    int error = pthread_create(&worker->thread, NULL,
                               llmc_thread_pool_worker_main, worker);
    if (error != 0)
      status =
          llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED,
                           "cannot start thread %" PRId32 " of %" PRId32 ": %s",
                           i + 2, thread_count, strerror(error));
    else
      ++pool->started;
  }
  if (status) {
    llmc_thread_pool_release(pool);
    return status;
  }
  *out_pool = pool;
  return LLMC_OK;
}

void llmc_thread_pool_retain(llmc_thread_pool_t *pool) {
  if (pool)
    llmc_ref_inc(&pool->ref_count);
}

void llmc_thread_pool_release(llmc_thread_pool_t *pool) {
  if (!pool || !llmc_ref_dec(&pool->ref_count))
    return;
  llmc_thread_pool_stop(pool);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  llmc_allocator_t allocator = pool->allocator;
  llmc_allocator_free(allocator, pool->workers);
  llmc_allocator_free(allocator, pool->lanes);
  llmc_allocator_free(allocator, pool);
}

int32_t llmc_thread_pool_thread_count(const llmc_thread_pool_t *pool) {
  return pool ? pool->thread_count : 1;
}

double llmc_monotonic_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void llmc_thread_pool_set_profile(llmc_thread_pool_t *pool,
                                  llmc_thread_pool_profile_t *profile) {
  if (pool)
    pool->profile = profile;
}

/// What a timed parallel-for measured (llmc_thread_pool_run).
typedef struct llmc_thread_pool_timing_t {
  double own_end; ///< When the caller's own chunks were done.
  double busy;    ///< Seconds all threads spent inside chunks.
} llmc_thread_pool_timing_t;

/// Adds one call of `task` (started at `start`, returned at `end`, with
/// `timing`) to `profile`.
static void llmc_thread_pool_record(llmc_thread_pool_profile_t *profile,
                                    llmc_parallel_task_fn_t task, double start,
                                    double end,
                                    const llmc_thread_pool_timing_t *timing) {
  llmc_thread_pool_profile_task_t *entry = NULL;
  for (int32_t i = 0; i < profile->task_count && !entry; ++i)
    if (profile->tasks[i].task == task)
      entry = &profile->tasks[i];
  if (!entry && profile->task_count < LLMC_THREAD_POOL_PROFILE_TASKS) {
    entry = &profile->tasks[profile->task_count++];
    memset(entry, 0, sizeof(*entry));
    entry->task = task;
  }
  if (!entry) {
    ++profile->dropped_calls;
  } else {
    ++entry->calls;
    entry->seconds += end - start;
    entry->caller_wait_seconds += end - timing->own_end;
    entry->busy_seconds += timing->busy;
    if (profile->last_return > 0.0)
      entry->gap_seconds += start - profile->last_return;
  }
  profile->last_return = end;
}

/// One parallel-for, timed into `timing` unless it is NULL.
static void llmc_thread_pool_run(llmc_thread_pool_t *pool, int64_t count,
                                 llmc_parallel_task_fn_t task, void *ctx,
                                 llmc_thread_pool_timing_t *timing) {
  if (!pool || pool->thread_count == 1 || count == 1) {
    double start = timing ? llmc_monotonic_seconds() : 0.0;
    task(ctx, 0, count);
    if (timing) {
      timing->own_end = llmc_monotonic_seconds();
      timing->busy = timing->own_end - start;
    }
    return;
  }
  // One lane (a contiguous range) per thread, claimed in shrinking chunks.
  int32_t lanes = pool->thread_count;
  if (lanes > count)
    lanes = (int32_t)count;
  uint64_t generation = atomic_load(&pool->generation) + 1;
  atomic_store(&pool->task, task);
  atomic_store(&pool->ctx, ctx);
  atomic_store(&pool->timed, timing != NULL);
  for (int32_t i = 0; i < pool->thread_count; ++i) {
    llmc_thread_pool_lane_t *lane = &pool->lanes[i];
    int64_t begin = 0, end = 0;
    if (i < lanes)
      llmc_thread_pool_split(count, lanes, i, &begin, &end);
    llmc_thread_pool_lock(lane);
    lane->generation = generation;
    atomic_store_explicit(&lane->next, begin, memory_order_relaxed);
    atomic_store_explicit(&lane->end, end, memory_order_relaxed);
    atomic_store_explicit(&lane->done, 0, memory_order_relaxed);
    lane->busy = 0.0;
    llmc_thread_pool_unlock(lane);
  }
  llmc_thread_pool_publish(pool);
  llmc_thread_pool_run_chunks(pool, generation, 0);
  if (timing)
    timing->own_end = llmc_monotonic_seconds();
  for (int i = 0;; ++i) {
    int64_t done = 0;
    for (int32_t t = 0; t < pool->thread_count; ++t)
      done += atomic_load_explicit(&pool->lanes[t].done, memory_order_acquire);
    if (done == count)
      break;
    if (i < LLMC_THREAD_POOL_CALLER_SPINS)
      llmc_cpu_relax();
    else
      sched_yield();
  }
  // Each thread added to its `busy` before its last `done` increment, which
  // the loads above acquired.
  if (timing) {
    timing->busy = 0.0;
    for (int32_t t = 0; t < pool->thread_count; ++t)
      timing->busy += pool->lanes[t].busy;
  }
}

void llmc_thread_pool_parallel_for(void *opaque_pool, int64_t count,
                                   llmc_parallel_task_fn_t task, void *ctx) {
  llmc_thread_pool_t *pool = opaque_pool;
  if (count <= 0)
    return;
  llmc_thread_pool_profile_t *profile = pool ? pool->profile : NULL;
  if (!profile) {
    llmc_thread_pool_run(pool, count, task, ctx, NULL);
    return;
  }
  double start = llmc_monotonic_seconds();
  llmc_thread_pool_timing_t timing = {0.0, 0.0};
  llmc_thread_pool_run(pool, count, task, ctx, &timing);
  llmc_thread_pool_record(profile, task, start, llmc_monotonic_seconds(),
                          &timing);
}
