/* A persistent thread pool with a parallel-for, for the compiled model. */
/*
 * The compiled model's forward functions receive a parallel-for callback
 * (llmc_parallel_for_fn_t in abi.h) and an opaque pool pointer; the session
 * passes llmc_thread_pool_parallel_for and a pool made here.
 *
 * llmc_thread_pool_parallel_for(pool, count, task, ctx) gives each thread
 * one contiguous range of [0, count) (llmc_thread_pool_split into
 * thread_count parts, a lane). A thread claims chunks from the front of its
 * lane, each a quarter (rounded up) of what is left of it, so it walks its
 * range sequentially (one read stream the hardware prefetcher can follow)
 * and the chunks shrink to single indices at the end. A thread whose lane is
 * empty takes the back half of the largest range left in the others into its
 * own and walks that the same way: the owner keeps reading its front without
 * a gap. Which thread runs an index depends on timing (a thread the OS has
 * descheduled, or a slower core, leaves its share to the others), but each
 * index is run exactly once and a chunk's indices in order, so a task whose
 * iterations are independent computes the same result for any thread count
 * and any timing.
 *
 * Workers sleep on a condition variable while idle; after a parallel-for
 * they spin briefly first, so the next call (the next op of the same forward
 * pass) wakes them without a system call. A pool is used by one thread at a
 * time (calls do not nest).
 */
#ifndef LLMC_THREAD_POOL_H_
#define LLMC_THREAD_POOL_H_

#include <stdbool.h>
#include <stdint.h>

#include "llmc/abi.h"
#include "llmc/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct llmc_thread_pool_t llmc_thread_pool_t;

/// Largest thread count a pool accepts.
#define LLMC_THREAD_POOL_MAX_THREADS 1024

/// Creates a pool of `thread_count` threads in total: the calling thread of
/// each parallel-for plus thread_count - 1 workers, started now.
/// LLMC_STATUS_INVALID_ARGUMENT unless 1 <= thread_count <=
/// LLMC_THREAD_POOL_MAX_THREADS; LLMC_STATUS_RESOURCE_EXHAUSTED if a thread
/// cannot be started.
llmc_status_t llmc_thread_pool_create(int32_t thread_count,
                                      llmc_allocator_t allocator,
                                      llmc_thread_pool_t **out_pool);

void llmc_thread_pool_retain(llmc_thread_pool_t *pool);
/// Stops and joins the workers when the last reference goes.
void llmc_thread_pool_release(llmc_thread_pool_t *pool);

/// The total thread count (workers + the caller).
int32_t llmc_thread_pool_thread_count(const llmc_thread_pool_t *pool);

/// Runs task(ctx, begin, end) over the chunks of [0, count) (see above); `pool`
/// is an llmc_thread_pool_t. Has the type llmc_parallel_for_fn_t. count <= 0
/// runs nothing.
void llmc_thread_pool_parallel_for(void *pool, int64_t count,
                                   llmc_parallel_task_fn_t task, void *ctx);

/// Range `index` of `parts` of the split of [0, count): [*out_begin,
/// *out_end).
void llmc_thread_pool_split(int64_t count, int32_t parts, int32_t index,
                            int64_t *out_begin, int64_t *out_end);

/// Distinct task functions a profile keeps apart; calls of further ones
/// are only counted (llmc_thread_pool_profile_t::dropped_calls).
#define LLMC_THREAD_POOL_PROFILE_TASKS 64

/// The parallel-fors of one task function, as a profile recorded them.
typedef struct llmc_thread_pool_profile_task_t {
  llmc_parallel_task_fn_t task;
  int64_t calls;              ///< Parallel-fors run with it.
  double seconds;             ///< Their time, from the call to its return.
  double caller_wait_seconds; ///< Of which the caller, its chunks done,
                              ///< waited for the other threads.
  double gap_seconds;  ///< Caller's time before each call since the previous
                       ///< recorded call returned (its serial code).
  double busy_seconds; ///< Time the threads spent inside its chunks, added
                       ///< over the threads (at most threads x seconds).
} llmc_thread_pool_profile_task_t;

/// Where a pool's parallel-fors spend their time
/// (llmc_thread_pool_set_profile). Zero-initialize it before use.
typedef struct llmc_thread_pool_profile_t {
  int32_t task_count;    ///< Entries of `tasks` in use, in first-call order.
  int64_t dropped_calls; ///< Calls of tasks beyond the table (not timed).
  double last_return;    ///< When the last recorded call returned
                         ///< (monotonic seconds; 0: none yet).
  llmc_thread_pool_profile_task_t tasks[LLMC_THREAD_POOL_PROFILE_TASKS];
} llmc_thread_pool_profile_t;

/// Makes every later llmc_thread_pool_parallel_for of `pool` add its time
/// to `profile` (NULL: stop recording). Timing costs two clock reads per
/// call and two per chunk (each thread times its own chunks), and nothing
/// while no profile is set. The profile is written by
/// the thread that calls parallel-for only; it must outlive the recording.
void llmc_thread_pool_set_profile(llmc_thread_pool_t *pool,
                                  llmc_thread_pool_profile_t *profile);

#ifdef __cplusplus
} // extern "C"
#endif

#endif /* LLMC_THREAD_POOL_H_ */
