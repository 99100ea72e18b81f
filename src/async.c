/*
 * async.c - async notifiers: a signal (see internal.h) with a user callback.
 *
 * The pending bit lives here, in the core, not in the backend: sends to a
 * notifier that is already pending cost a fence and a load, and the backend
 * is woken only when the loop's ready stack was empty.
 */
#include <stdlib.h>

#include "internal.h"

struct seam_async {
  struct seam__signal signal; /* first: sends touch nothing else */
  seam_loop *loop;
  seam_async_cb cb;
  void *data;
  int ref;
};

static void async_run(struct seam__signal *signal) {
  seam_async *async = seam__container_of(signal, seam_async, signal);
  seam__signal_clear(signal);
  async->cb(async, async->data);
}

void seam__async_reap(struct seam__signal *signal) {
  free(seam__container_of(signal, seam_async, signal));
}

int seam_async_new(seam_loop *loop, seam_async_cb cb, void *data,
                   seam_async **async) {
  if (loop == NULL || cb == NULL || async == NULL)
    return SEAM_EINVAL;
  if (!seam__on_loop_thread(loop))
    return SEAM_ETHREAD;
  seam_async *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return SEAM_ENOMEM;
  seam__signal_init(&a->signal, async_run);
  a->loop = loop;
  a->cb = cb;
  a->data = data;
  a->ref = 1;
  loop->handles++;
  seam__alive(loop, 1);
  *async = a;
  return 0;
}

int seam_async_send(seam_async *async) {
  if (async == NULL)
    return SEAM_EINVAL;
  seam__signal_send(async->loop, &async->signal);
  return 0;
}

static int set_ref(seam_async *async, int ref) {
  if (async == NULL)
    return SEAM_EINVAL;
  if (!seam__on_loop_thread(async->loop))
    return SEAM_ETHREAD;
  if (async->ref != ref) {
    async->ref = ref;
    seam__alive(async->loop, ref ? 1 : -1);
  }
  return 0;
}

int seam_async_ref(seam_async *async) { return set_ref(async, 1); }

int seam_async_unref(seam_async *async) { return set_ref(async, 0); }

int seam_async_free(seam_async *async) {
  if (async == NULL)
    return SEAM_EINVAL;
  seam_loop *loop = async->loop;
  if (!seam__on_loop_thread(loop))
    return SEAM_ETHREAD;
  if (async->ref)
    seam__alive(loop, -1);
  loop->handles--;
  /*
   * A pending notifier is on the ready stack (or in the batch being run), and
   * only the loop may unlink it: turn it into a reaper that frees it when its
   * turn comes, never calling back. Only the loop thread, which is here, takes
   * nodes off the stack, so pending cannot drop to 0 under our feet.
   */
  if (atomic_load(&async->signal.pending))
    async->signal.run = seam__async_reap;
  else
    free(async);
  return 0;
}
