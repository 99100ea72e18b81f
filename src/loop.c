/*
 * loop.c - the loop: its life cycle, the ready stack of signals, liveness,
 * and the dispatch pass that the backend's wakeup and timer both call.
 *
 * One dispatch pass, on the loop thread:
 *   1. refresh the clock (seam_now() stays constant during the pass);
 *   2. fire the due timers, in (deadline, start order);
 *   3. take the whole ready stack and run each signal in the order it was
 *      signalled (notifiers, channel batches, job completions, stop);
 *   4. hand the jobs submitted during the pass to the pool in one go;
 *   5. arm the native timer for the earliest deadline.
 * The backend calls the dispatch from its wakeup only (its native timer is a
 * delayed wakeup), so there is at most one pass per native iteration.
 * Anything signalled during a pass (a notifier sending itself, a channel with
 * more than one batch) lands on the now empty stack, which wakes the loop
 * again: it runs in the next iteration, after the timers due by then.
 */
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

/* The process's loops; the pool lives while this is non-empty. */
static pthread_mutex_t global_mu = PTHREAD_MUTEX_INITIALIZER;
static struct seam__queue loops = {&loops, &loops};

void seam__global_lock(void) { pthread_mutex_lock(&global_mu); }
void seam__global_unlock(void) { pthread_mutex_unlock(&global_mu); }

static _Thread_local char self_token;

const void *seam__self(void) { return &self_token; }

uint64_t seam__clock_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void seam__signal_push(seam_loop *loop, struct seam__signal *signal) {
  /* Another sender may have claimed it since the caller's load. */
  if (atomic_exchange(&signal->pending, 1))
    return;
  struct seam__signal *head =
      atomic_load_explicit(&loop->ready, memory_order_relaxed);
  do
    signal->next = head;
  while (!atomic_compare_exchange_weak_explicit(&loop->ready, &head, signal,
                                                memory_order_release,
                                                memory_order_relaxed));
  /* A non-empty stack already has a wakeup on its way (or the loop is
   * about to take it). */
  if (head == NULL)
    seam__backend_wakeup(loop->be);
}

/* Takes the ready stack and runs its signals in the order they were sent. */
static void run_ready(seam_loop *loop) {
  struct seam__signal *node =
      atomic_exchange_explicit(&loop->ready, NULL, memory_order_acquire);
  struct seam__signal *fifo = NULL;
  while (node) {
    struct seam__signal *next = node->next;
    node->next = fifo;
    fifo = node;
    node = next;
  }
  while (fifo) {
    /* run() may free its node or push it again: read the link first. */
    struct seam__signal *next = fifo->next;
    fifo->run(fifo);
    fifo = next;
  }
}

void seam__alive(seam_loop *loop, int delta) {
  unsigned before = loop->alive;
  loop->alive += (unsigned)delta;
  if ((before == 0) != (loop->alive == 0))
    seam__backend_keepalive(loop->be, loop->alive != 0);
}

void seam__loop_dispatch(seam_loop *loop) {
  /* An adopted loop's host decides where the loop runs. */
  atomic_store_explicit(&loop->thread, seam__self(), memory_order_relaxed);
  if (loop->kick) {
    loop->kick = 0;
    seam__alive(loop, -1);
  }
  loop->dispatching = 1;
  atomic_store_explicit(&loop->now, seam__clock_ms(), memory_order_relaxed);
  loop->pass++;
  seam__timers_run(loop);
  run_ready(loop);
  seam__pool_flush(loop);
  loop->dispatching = 0;
  seam__timers_arm(loop);
}

static void stop_run(struct seam__signal *signal) {
  seam_loop *loop = seam__container_of(signal, seam_loop, stop);
  seam__signal_clear(signal);
  seam__backend_stop(loop->be);
}

static int loop_open(void *native, seam_loop **out) {
  if (out == NULL)
    return SEAM_EINVAL;
  seam_loop *loop = calloc(1, sizeof(*loop));
  if (loop == NULL)
    return SEAM_ENOMEM;
  atomic_init(&loop->ready, NULL);
  atomic_init(&loop->thread, seam__self());
  atomic_init(&loop->running, 0);
  atomic_init(&loop->now, seam__clock_ms());
  atomic_init(&loop->completed, NULL);
  atomic_init(&loop->completing, 0);
  seam__queue_init(&loop->submitted);
  seam__signal_init(&loop->stop, stop_run);
  seam__signal_init(&loop->completions, seam__jobs_completed);
  int err = seam__backend_open(loop, native, &loop->be);
  if (err) {
    free(loop);
    return err;
  }
  seam__global_lock();
  seam__queue_push(&loops, &loop->registry);
  seam__global_unlock();
  *out = loop;
  return 0;
}

int seam_loop_new(seam_loop **loop) { return loop_open(NULL, loop); }

int seam_loop_adopt(void *native, seam_loop **loop) {
  if (native == NULL)
    return SEAM_EINVAL;
  /* Two seam loops on one native loop would each think they own it. */
  int taken = 0;
  seam__global_lock();
  for (struct seam__queue *q = seam__queue_head(&loops); q != &loops;
       q = q->next) {
    seam_loop *other = seam__container_of(q, seam_loop, registry);
    taken |= seam__backend_native(other->be) == native;
  }
  seam__global_unlock();
  return taken ? SEAM_EBUSY : loop_open(native, loop);
}

void *seam_loop_native(seam_loop *loop) {
  return loop ? seam__backend_native(loop->be) : NULL;
}

uint64_t seam_now(seam_loop *loop) {
  return loop ? atomic_load_explicit(&loop->now, memory_order_relaxed) : 0;
}

int seam_loop_run(seam_loop *loop, seam_run_mode mode) {
  if (loop == NULL || (mode != SEAM_RUN_DEFAULT && mode != SEAM_RUN_ONCE &&
                       mode != SEAM_RUN_NOWAIT))
    return SEAM_EINVAL;
  if (atomic_exchange(&loop->running, 1))
    return SEAM_EBUSY;
  if (seam__on_loop_thread(loop) && loop->dispatching) {
    /* Called from a callback of a loop its host is running. */
    atomic_store(&loop->running, 0);
    return SEAM_EBUSY;
  }
  atomic_store_explicit(&loop->thread, seam__self(), memory_order_relaxed);
  uint64_t now = seam__clock_ms();
  atomic_store_explicit(&loop->now, now, memory_order_relaxed);
  /*
   * What was signalled before the run is delivered by it even if nothing
   * keeps the native loop alive (an unref'd notifier sent to before the run
   * would otherwise wait for some other event): the loop stays alive until
   * its first pass.
   */
  if (!loop->kick &&
      atomic_load_explicit(&loop->ready, memory_order_relaxed) != NULL) {
    loop->kick = 1;
    seam__alive(loop, 1);
  }
  /* Overdue timers are this run's work too: wake the first iteration. */
  uint64_t pass = loop->pass;
  if (seam__timers_due(loop, now))
    seam__backend_wakeup(loop->be);
  int r = seam__backend_run(loop->be, mode);
  /*
   * The native timer is a delayed wakeup, which most libraries deliver in the
   * iteration after the one it ended: a ONCE run that blocked until a timer
   * was due would return without firing it. One more iteration, which does
   * not block, runs it.
   */
  if (r >= 0 && mode == SEAM_RUN_ONCE && loop->pass == pass &&
      seam__timers_due(loop, seam__clock_ms()))
    r = seam__backend_run(loop->be, SEAM_RUN_NOWAIT);
  if (loop->kick) {
    loop->kick = 0;
    seam__alive(loop, -1);
  }
  atomic_store(&loop->running, 0);
  return r < 0 ? r : r != 0;
}

int seam_loop_stop(seam_loop *loop) {
  if (loop == NULL)
    return SEAM_EINVAL;
  seam__signal_send(loop, &loop->stop);
  return 0;
}

int seam_loop_free(seam_loop *loop) {
  if (loop == NULL)
    return SEAM_EINVAL;
  if (!seam__on_loop_thread(loop))
    return SEAM_ETHREAD;
  if (loop->handles != 0 || loop->dispatching ||
      atomic_load(&loop->running))
    return SEAM_EBUSY;
  /* A pool thread may be finishing the hand-over of a job whose done has
   * already run (see seam__job_complete); it is a matter of instructions. */
  while (atomic_load_explicit(&loop->completing, memory_order_acquire))
    sched_yield();
  /*
   * What can still be on the ready stack: the loop's own signals, and
   * notifiers freed while pending, whose memory waits for their turn. Only
   * the latter need running.
   */
  struct seam__signal *node =
      atomic_exchange_explicit(&loop->ready, NULL, memory_order_acquire);
  while (node) {
    struct seam__signal *next = node->next;
    if (node->run == seam__async_reap)
      node->run(node);
    node = next;
  }
  seam__backend_close(loop->be);
  free(loop->heap);
  seam__global_lock();
  seam__queue_remove(&loop->registry);
  if (seam__queue_empty(&loops))
    seam__pool_stop();
  seam__global_unlock();
  free(loop);
  return 0;
}
