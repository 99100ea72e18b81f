/*
 * native_event.c - the benchmarks' native variant on libevent 2.1 (see
 * bench.h). libevent's cross-thread notifier is event_active() on a
 * thread-aware base (evthread_use_pthreads(), which only this variant
 * calls: seam's own libevent backend needs no locking). An event that is
 * only ever activated is not "added", so it does not keep the base running;
 * the loop runs with EVLOOP_NO_EXIT_ON_EMPTY and the last nb_async_free()
 * breaks it. libevent has no thread pool.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdlib.h>

#include "bench.h"

const char *const nb_name = "libevent";

const char *nb_version(void) { return event_get_version(); }

struct nb_loop {
  struct event_base *base;
  int asyncs; /* loop thread */
};

struct nb_async {
  struct event *ev;
  struct nb_loop *loop;
  nb_async_cb cb;
  void *arg;
};

static pthread_once_t nle_threads_once = PTHREAD_ONCE_INIT;

static void nle_threads_init(void) {
  if (evthread_use_pthreads() != 0)
    bench_fail("evthread_use_pthreads failed");
}

struct nb_loop *nb_loop_new(void) {
  pthread_once(&nle_threads_once, nle_threads_init);
  struct nb_loop *loop = calloc(1, sizeof(*loop));
  if (loop == NULL || (loop->base = event_base_new()) == NULL)
    bench_fail("event_base_new failed");
  return loop;
}

void nb_loop_run(struct nb_loop *loop) {
  if (loop->asyncs > 0 &&
      event_base_loop(loop->base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
    bench_fail("event_base_loop failed");
}

void nb_loop_free(struct nb_loop *loop) {
  event_base_free(loop->base);
  free(loop);
}

static void nle_async_cb(evutil_socket_t fd, short what, void *arg) {
  struct nb_async *async = arg;
  (void)fd;
  (void)what;
  async->cb(async, async->arg);
}

struct nb_async *nb_async_new(struct nb_loop *loop, nb_async_cb cb,
                              void *arg) {
  struct nb_async *async = malloc(sizeof(*async));
  if (async == NULL)
    bench_fail("out of memory");
  async->ev = event_new(loop->base, -1, 0, nle_async_cb, async);
  if (async->ev == NULL)
    bench_fail("event_new failed");
  async->loop = loop;
  async->cb = cb;
  async->arg = arg;
  loop->asyncs++;
  return async;
}

void nb_async_send(struct nb_async *async) {
  event_active(async->ev, EV_READ, 0);
}

void nb_async_free(struct nb_async *async) {
  struct nb_loop *loop = async->loop;
  event_free(async->ev);
  free(async);
  if (--loop->asyncs == 0)
    event_base_loopbreak(loop->base);
}

int nb_pool_available(void) { return 0; }

void nb_pool_set_size(int threads) { (void)threads; }

struct nb_work *nb_work_new(struct nb_loop *loop, nb_work_cb work,
                            nb_work_cb done, void *arg) {
  (void)loop;
  (void)work;
  (void)done;
  (void)arg;
  bench_fail("libevent has no thread pool");
}

void nb_work_submit(struct nb_work *work) {
  (void)work;
  bench_fail("libevent has no thread pool");
}

void nb_work_free(struct nb_work *work) { (void)work; }

static void nle_nop_cb(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  (void)arg;
}

void *nb_object_new(struct nb_loop *loop, enum nb_kind kind, long i) {
  struct event *ev;
  switch (kind) {
  case NB_ASYNC:
    ev = event_new(loop->base, -1, 0, nle_nop_cb, NULL);
    if (ev == NULL)
      bench_fail("event_new failed");
    return ev;
  case NB_TIMER: {
    struct timeval tv = {3600 + i / 1000, (i % 1000) * 1000};
    ev = evtimer_new(loop->base, nle_nop_cb, NULL);
    if (ev == NULL || evtimer_add(ev, &tv) != 0)
      bench_fail("evtimer_add failed");
    return ev;
  }
  case NB_JOB:
    break;
  }
  return NULL;
}

void nb_object_free(struct nb_loop *loop, void *object, enum nb_kind kind) {
  (void)loop;
  (void)kind;
  event_free(object);
}
