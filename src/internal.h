/*
 * internal.h - the core's shared private definitions: the loop structure,
 * signals (the lock-free ready stack every cross-thread event goes through),
 * liveness and thread checks.
 */
#ifndef SEAM_INTERNAL_H
#define SEAM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "backend.h"
#include "queue.h"
#include "seam.h"

/*
 * A signal is a node that any thread may push onto its loop's ready stack;
 * the loop thread then calls run(). pending is 1 from the send that pushes the
 * node until run() clears it, so a node is on the stack at most once and
 * sends coalesce. Async notifiers, channels, the pool's completions and
 * seam_loop_stop() are all signals: the backend's wakeup is needed only when
 * the stack goes from empty to non-empty.
 */
struct seam__signal {
  struct seam__signal *next; /* written by the pusher before its release */
  atomic_int pending;
  void (*run)(struct seam__signal *signal); /* loop thread; may free */
};

struct seam_timer;

struct seam_loop {
  struct seam__backend *be;
  _Atomic(struct seam__signal *) ready; /* LIFO of signalled nodes */
  _Atomic(const void *) thread;         /* seam__self() of the loop thread */
  atomic_int running;                   /* inside seam_loop_run() */
  int dispatching;                      /* inside seam__loop_dispatch() */
  int kick; /* run holds the loop alive until its first pass, see run */
  _Atomic uint64_t now;                 /* seam_now(); written by loop thread */
  uint64_t pass;                        /* dispatch passes so far */

  /* Timers: a binary min-heap ordered by (due, seq). Its capacity grows at
   * seam_timer_new() so that starting a timer never allocates. */
  struct seam_timer **heap;
  size_t heap_len;
  size_t heap_cap;
  uint64_t timer_seq;
  int timer_armed; /* the native timer may fire (not disarmed) */

  unsigned handles; /* timers, asyncs, jobs and unfinalized channels */
  unsigned alive;   /* what keeps run alive, see seam__alive() */

  struct seam__signal stop;                 /* seam_loop_stop() */
  struct seam__signal completions;          /* pool -> loop */
  _Atomic(struct seam_job *) completed;     /* LIFO of finished jobs */
  atomic_uint completing; /* pool threads inside seam__job_complete() */
  struct seam__queue submitted; /* jobs submitted during this pass */

  struct seam__queue registry; /* link in the process's list of loops */
};

/*
 * A full barrier, then a load of p. ThreadSanitizer does not model standalone
 * fences (and gcc refuses them under it), so there the same ordering comes
 * from a read-modify-write, which it does model; elsewhere the fence is
 * cheaper, as it leaves p's cache line shared among many senders.
 */
static inline int seam__fenced_load(atomic_int *p) {
#if defined(__SANITIZE_THREAD__)
  return atomic_fetch_add(p, 0);
#else
  atomic_thread_fence(memory_order_seq_cst);
  return atomic_load_explicit(p, memory_order_relaxed);
#endif
}

/* The slow half of seam__signal_send(): claims pending and pushes. */
void seam__signal_push(seam_loop *loop, struct seam__signal *signal);

/*
 * Pushes signal onto loop's ready stack unless it is pending already. Any
 * thread, lock-free, async-signal-safe. Inline, so that a send to a pending
 * node is a fence, a load and nothing else. The fence orders the caller's
 * earlier writes before the load of pending, pairing with the full barrier in
 * seam__signal_clear(): either this load sees 0 and the node is pushed again,
 * or the loop's run, which clears pending before it acts, sees those writes.
 */
static inline void seam__signal_send(seam_loop *loop,
                                     struct seam__signal *signal) {
  if (!seam__fenced_load(&signal->pending))
    seam__signal_push(loop, signal);
}

static inline void seam__signal_init(struct seam__signal *signal,
                                     void (*run)(struct seam__signal *)) {
  signal->next = NULL;
  atomic_init(&signal->pending, 0);
  signal->run = run;
}

/* Called by run() before it acts, so that a send made from then on (also
 * from run's own callback) signals again. Full barrier: see seam_async_send. */
static inline void seam__signal_clear(struct seam__signal *signal) {
  atomic_exchange(&signal->pending, 0);
}

/* A token unique to the calling thread. */
const void *seam__self(void);

static inline int seam__on_loop_thread(const seam_loop *loop) {
  return atomic_load_explicit(&loop->thread, memory_order_relaxed) ==
         seam__self();
}

/* Adds delta (+1 or -1) to what keeps the loop alive, telling the backend
 * when the count leaves or reaches zero. Loop thread. */
void seam__alive(seam_loop *loop, int delta);

/* Monotonic milliseconds. */
uint64_t seam__clock_ms(void);

/* Timers (timer.c): run the due ones, arm the native timer for the
 * earliest deadline, tell whether one is due at now. */
void seam__timers_run(seam_loop *loop);
void seam__timers_arm(seam_loop *loop);
int seam__timers_due(const seam_loop *loop, uint64_t now);

/* The ready-stack reaper of a notifier freed while it was pending: it only
 * releases the memory. seam_loop_free() runs exactly these. */
void seam__async_reap(struct seam__signal *signal);

/*
 * A job's run is in flight from submit until the loop takes it off the
 * completed stack, just before done (in_flight, loop thread only). Meanwhile
 * its state goes QUEUED -> RUNNING -> DONE, or QUEUED -> DONE when it is
 * cancelled before a worker took it. The rule: state is read and written only
 * under the pool's lock; once a job is DONE and handed to its loop, no pool
 * thread touches it again.
 */
enum seam__job_state { SEAM__QUEUED, SEAM__RUNNING, SEAM__DONE };

struct seam_job {
  seam_loop *loop;
  seam_work_cb work;
  seam_done_cb done;
  void *data;
  struct seam__queue queued;  /* link in the pool's queue (or the loop's
                                 submitted list) while QUEUED */
  struct seam_job *completed; /* link on loop->completed while DONE */
  enum seam__job_state state; /* under the pool's lock */
  int in_flight;              /* loop thread */
  int status;                 /* work's return value, or SEAM_ECANCELED */
  atomic_int cancel;          /* cancellation requested for this run */
};

/* Jobs (job.c): the loop's completion signal, and the pool's hand-over of a
 * DONE job to its loop (any thread). */
void seam__jobs_completed(struct seam__signal *signal);
void seam__job_complete(struct seam_job *job);

/* The pool (pool.c). */
int seam__pool_queue(struct seam_job *job);  /* IDLE -> QUEUED; may start */
void seam__pool_flush(seam_loop *loop);      /* end of a dispatch pass */
int seam__pool_cancel(struct seam_job *job); /* see seam_job_cancel() */
void seam__pool_stop(void);                  /* under seam__global_lock */

/* The process-wide lock over the list of loops and the pool's lifecycle. */
void seam__global_lock(void);
void seam__global_unlock(void);

#endif /* SEAM_INTERNAL_H */
