/*
 * timer.c - timers: a binary min-heap per loop, ordered by (deadline, start
 * sequence), and one native timer armed for its top.
 *
 * Ordering rules, all enforced here whatever the backend:
 *  - equal deadlines fire in start order (the sequence number breaks ties);
 *  - overdue timers fire in deadline order (the heap);
 *  - a timer started during a dispatch pass never fires in that pass, even
 *    with timeout 0: it waits for the next one (the pass stamp), so that a
 *    timer callback restarting itself with 0 cannot monopolise the loop;
 *  - a repeating timer is re-inserted before its callback runs, so the
 *    callback may stop, restart or free it.
 */
#include <stdlib.h>

#include "internal.h"

#define NOT_IN_HEAP SIZE_MAX

struct seam_timer {
  seam_loop *loop;
  seam_timer_cb cb;
  void *data;
  uint64_t due;    /* absolute, on the loop's clock */
  uint64_t repeat; /* 0: one-shot */
  uint64_t seq;    /* start order, breaks ties between equal deadlines */
  uint64_t pass;   /* dispatch pass in which it was (re)started */
  size_t index;    /* position in the heap, NOT_IN_HEAP when stopped */
  int ref;
};

static int before(const seam_timer *a, const seam_timer *b) {
  return a->due != b->due ? a->due < b->due : a->seq < b->seq;
}

static void heap_place(seam_loop *loop, seam_timer *t, size_t i) {
  loop->heap[i] = t;
  t->index = i;
}

static void sift_up(seam_loop *loop, size_t i) {
  seam_timer *t = loop->heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(t, loop->heap[parent]))
      break;
    heap_place(loop, loop->heap[parent], i);
    i = parent;
  }
  heap_place(loop, t, i);
}

static void sift_down(seam_loop *loop, size_t i) {
  seam_timer *t = loop->heap[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= loop->heap_len)
      break;
    if (child + 1 < loop->heap_len &&
        before(loop->heap[child + 1], loop->heap[child]))
      child++;
    if (!before(loop->heap[child], t))
      break;
    heap_place(loop, loop->heap[child], i);
    i = child;
  }
  heap_place(loop, t, i);
}

static void heap_insert(seam_loop *loop, seam_timer *t) {
  /* The capacity was reserved by seam_timer_new(). */
  loop->heap[loop->heap_len++] = t;
  sift_up(loop, loop->heap_len - 1);
}

static void heap_remove(seam_loop *loop, seam_timer *t) {
  size_t i = t->index;
  seam_timer *last = loop->heap[--loop->heap_len];
  t->index = NOT_IN_HEAP;
  if (last == t)
    return;
  heap_place(loop, last, i);
  sift_up(loop, i);
  sift_down(loop, last->index);
}

static int active(const seam_timer *t) { return t->index != NOT_IN_HEAP; }

/* Starts or stops the timer, keeping the loop's liveness count. */
static void schedule(seam_timer *t, int start, uint64_t timeout) {
  seam_loop *loop = t->loop;
  int was_active = active(t);
  if (was_active)
    heap_remove(loop, t);
  if (start) {
    uint64_t now = atomic_load_explicit(&loop->now, memory_order_relaxed);
    t->due = now + timeout < now ? SEAM__NO_TIMEOUT - 1 : now + timeout;
    t->seq = loop->timer_seq++;
    t->pass = loop->pass;
    heap_insert(loop, t);
  }
  if (t->ref && was_active != start)
    seam__alive(loop, start ? 1 : -1);
}

void seam__timers_run(seam_loop *loop) {
  uint64_t now = atomic_load_explicit(&loop->now, memory_order_relaxed);
  while (loop->heap_len > 0) {
    seam_timer *t = loop->heap[0];
    /* Anything behind a timer started in this pass was started later. */
    if (t->due > now || t->pass == loop->pass)
      break;
    if (t->repeat)
      schedule(t, 1, t->repeat);
    else
      schedule(t, 0, 0);
    t->cb(t, t->data);
  }
}

int seam__timers_due(const seam_loop *loop, uint64_t now) {
  return loop->heap_len > 0 && loop->heap[0]->due <= now;
}

void seam__timers_arm(seam_loop *loop) {
  if (loop->heap_len == 0) {
    if (loop->timer_armed)
      seam__backend_timer(loop->be, SEAM__NO_TIMEOUT);
    loop->timer_armed = 0;
    return;
  }
  uint64_t now = atomic_load_explicit(&loop->now, memory_order_relaxed);
  uint64_t due = loop->heap[0]->due;
  if (due <= now) {
    /* Due, but started in this pass: the next iteration, without blocking. */
    seam__backend_wakeup(loop->be);
    return;
  }
  /* Re-armed after every pass: a native timer may have fired early, on a
   * clock of its own, and a one-shot native timer that fired is spent. */
  seam__backend_timer(loop->be, due - now);
  loop->timer_armed = 1;
}

/* After a change made outside a dispatch pass (which arms at its end). */
static void rearm(seam_loop *loop) {
  if (!loop->dispatching)
    seam__timers_arm(loop);
}

int seam_timer_new(seam_loop *loop, seam_timer_cb cb, void *data,
                   seam_timer **timer) {
  if (loop == NULL || cb == NULL || timer == NULL)
    return SEAM_EINVAL;
  if (!seam__on_loop_thread(loop))
    return SEAM_ETHREAD;
  if (loop->handles >= loop->heap_cap) {
    size_t cap = loop->heap_cap ? 2 * loop->heap_cap : 16;
    seam_timer **heap = realloc(loop->heap, cap * sizeof(*heap));
    if (heap == NULL)
      return SEAM_ENOMEM;
    loop->heap = heap;
    loop->heap_cap = cap;
  }
  seam_timer *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return SEAM_ENOMEM;
  t->loop = loop;
  t->cb = cb;
  t->data = data;
  t->index = NOT_IN_HEAP;
  t->ref = 1;
  loop->handles++;
  *timer = t;
  return 0;
}

/* Validates a timer call: SEAM_EINVAL, SEAM_ETHREAD or 0. */
static int check(const seam_timer *t) {
  if (t == NULL)
    return SEAM_EINVAL;
  return seam__on_loop_thread(t->loop) ? 0 : SEAM_ETHREAD;
}

int seam_timer_start(seam_timer *timer, uint64_t timeout_ms,
                     uint64_t repeat_ms) {
  int err = check(timer);
  if (err)
    return err;
  seam_loop *loop = timer->loop;
  /* Outside a callback the cached clock may be old: a start from host code
   * or before the run must count from now. */
  if (!loop->dispatching)
    atomic_store_explicit(&loop->now, seam__clock_ms(), memory_order_relaxed);
  timer->repeat = repeat_ms;
  schedule(timer, 1, timeout_ms);
  rearm(loop);
  return 0;
}

int seam_timer_stop(seam_timer *timer) {
  int err = check(timer);
  if (err)
    return err;
  if (active(timer)) {
    schedule(timer, 0, 0);
    rearm(timer->loop);
  }
  return 0;
}

static int set_ref(seam_timer *timer, int ref) {
  int err = check(timer);
  if (err)
    return err;
  if (timer->ref != ref) {
    timer->ref = ref;
    if (active(timer))
      seam__alive(timer->loop, ref ? 1 : -1);
  }
  return 0;
}

int seam_timer_ref(seam_timer *timer) { return set_ref(timer, 1); }

int seam_timer_unref(seam_timer *timer) { return set_ref(timer, 0); }

int seam_timer_free(seam_timer *timer) {
  int err = seam_timer_stop(timer);
  if (err)
    return err;
  timer->loop->handles--;
  free(timer);
  return 0;
}
