/*
 * chan.c - the lossless channel: a ring of message pointers under one lock,
 * and a signal that wakes the loop when the ring goes from empty to
 * non-empty. The loop takes messages in chunks (one lock acquisition per
 * chunk) and delivers at most BUDGET per dispatch pass; if more remain it
 * signals itself, so a burst never starves timers or other handles.
 *
 * A bounded channel allocates its ring once (capacity slots); an unbounded
 * one doubles its ring when full. The channel's memory is reference counted:
 * the loop holds one reference until the final (NULL) callback, and each
 * seam_chan_acquire() one more.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CHUNK 256   /* messages taken from the ring per lock acquisition */
#define BUDGET 1024 /* messages delivered per channel per dispatch pass */

struct seam_chan {
  struct seam__signal signal;
  seam_loop *loop; /* NULL after the final callback (cleared under mu) */
  seam_chan_cb cb;
  void *data;
  atomic_uint refs;

  pthread_mutex_t mu; /* guards everything below */
  pthread_cond_t room;
  void **ring;
  size_t size;     /* slots in ring */
  size_t head;     /* index of the oldest message */
  size_t count;    /* messages in ring */
  size_t capacity; /* 0: unbounded */
  unsigned waiters; /* threads blocked in seam_chan_send_wait() */
  int closed;

  int ref; /* loop thread */
};

static void destroy(seam_chan *chan) {
  pthread_mutex_destroy(&chan->mu);
  pthread_cond_destroy(&chan->room);
  free(chan->ring);
  free(chan);
}

static void release(seam_chan *chan) {
  if (atomic_fetch_sub_explicit(&chan->refs, 1, memory_order_acq_rel) == 1)
    destroy(chan);
}

/* Moves up to max messages out of the ring into out. Under the lock. */
static size_t take(seam_chan *chan, void **out, size_t max) {
  size_t n = chan->count < max ? chan->count : max;
  if (n == 0)
    return 0;
  size_t first = chan->size - chan->head < n ? chan->size - chan->head : n;
  memcpy(out, chan->ring + chan->head, first * sizeof(*out));
  memcpy(out + first, chan->ring, (n - first) * sizeof(*out));
  chan->head += n;
  if (chan->head >= chan->size)
    chan->head -= chan->size;
  chan->count -= n;
  if (chan->waiters)
    pthread_cond_broadcast(&chan->room);
  return n;
}

/* The final callback, after which the loop forgets the channel. */
static void finish(seam_chan *chan) {
  pthread_mutex_lock(&chan->mu); /* send_wait reads loop under the lock */
  seam_loop *loop = chan->loop;
  chan->loop = NULL;
  pthread_mutex_unlock(&chan->mu);
  chan->cb(chan, NULL, chan->data);
  loop->handles--;
  seam__alive(loop, -1);
  release(chan);
}

static void deliver(struct seam__signal *signal) {
  seam_chan *chan = seam__container_of(signal, seam_chan, signal);
  seam__signal_clear(signal);
  void *batch[CHUNK];
  for (size_t budget = BUDGET; budget > 0;) {
    pthread_mutex_lock(&chan->mu);
    size_t n = take(chan, batch, budget < CHUNK ? budget : CHUNK);
    /*
     * Drained and closed. The final callback must wait if the signal is
     * pending again (a send before close, or close itself, pushed it during
     * this pass): that push will run this function once more, and the
     * channel must still exist then. Pushes happen under the lock, so this
     * check cannot miss one.
     */
    int final = n == 0 && chan->closed &&
                !atomic_load_explicit(&signal->pending, memory_order_relaxed);
    pthread_mutex_unlock(&chan->mu);
    if (n == 0) {
      if (final)
        finish(chan);
      return;
    }
    for (size_t i = 0; i < n; i++)
      chan->cb(chan, batch[i], chan->data);
    budget -= n;
  }
  /* Budget spent: continue in a later pass, after the timers due by then. */
  seam__signal_send(chan->loop, signal);
}

int seam_chan_new(seam_loop *loop, size_t capacity, seam_chan_cb cb,
                  void *data, seam_chan **chan) {
  if (loop == NULL || cb == NULL || chan == NULL)
    return SEAM_EINVAL;
  if (!seam__on_loop_thread(loop))
    return SEAM_ETHREAD;
  seam_chan *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return SEAM_ENOMEM;
  /* A bounded ring is allocated once, here; an unbounded one at the first
   * send, growing from there. */
  c->size = capacity;
  c->ring = capacity ? calloc(capacity, sizeof(*c->ring)) : NULL;
  if ((capacity && c->ring == NULL) || pthread_mutex_init(&c->mu, NULL) != 0) {
    free(c->ring);
    free(c);
    return SEAM_ENOMEM;
  }
  if (pthread_cond_init(&c->room, NULL) != 0) {
    pthread_mutex_destroy(&c->mu);
    free(c->ring);
    free(c);
    return SEAM_ENOMEM;
  }
  seam__signal_init(&c->signal, deliver);
  c->loop = loop;
  c->cb = cb;
  c->data = data;
  c->capacity = capacity;
  c->ref = 1;
  atomic_init(&c->refs, 1);
  loop->handles++;
  seam__alive(loop, 1);
  *chan = c;
  return 0;
}

/* Doubles an unbounded ring, unrolling it. Under the lock. */
static int grow(seam_chan *chan) {
  size_t size = chan->size ? chan->size * 2 : 16;
  void **ring = malloc(size * sizeof(*ring));
  if (ring == NULL)
    return SEAM_ENOMEM;
  size_t n = take(chan, ring, chan->count);
  free(chan->ring);
  chan->ring = ring;
  chan->size = size;
  chan->head = 0;
  chan->count = n;
  return 0;
}

/* Appends msg if there is room. Under the lock. */
static int put(seam_chan *chan, void *msg) {
  if (chan->closed)
    return SEAM_ECLOSED;
  if (chan->count == chan->size) {
    if (chan->capacity)
      return SEAM_EAGAIN;
    int err = grow(chan);
    if (err)
      return err;
  }
  size_t tail = chan->head + chan->count;
  chan->ring[tail < chan->size ? tail : tail - chan->size] = msg;
  /* Under the lock, so that close and the final callback see every push. */
  if (++chan->count == 1)
    seam__signal_send(chan->loop, &chan->signal);
  return 0;
}

int seam_chan_send(seam_chan *chan, void *msg) {
  if (chan == NULL || msg == NULL)
    return SEAM_EINVAL;
  pthread_mutex_lock(&chan->mu);
  int r = put(chan, msg);
  pthread_mutex_unlock(&chan->mu);
  return r;
}

int seam_chan_send_wait(seam_chan *chan, void *msg) {
  if (chan == NULL || msg == NULL)
    return SEAM_EINVAL;
  pthread_mutex_lock(&chan->mu);
  /* Under the lock: the final callback clears loop under it. */
  if (chan->loop != NULL && seam__on_loop_thread(chan->loop)) {
    pthread_mutex_unlock(&chan->mu);
    return SEAM_EDEADLK;
  }
  int r;
  while ((r = put(chan, msg)) == SEAM_EAGAIN) {
    chan->waiters++;
    pthread_cond_wait(&chan->room, &chan->mu);
    chan->waiters--;
  }
  pthread_mutex_unlock(&chan->mu);
  return r;
}

int seam_chan_acquire(seam_chan *chan) {
  if (chan == NULL)
    return SEAM_EINVAL;
  atomic_fetch_add_explicit(&chan->refs, 1, memory_order_relaxed);
  return 0;
}

int seam_chan_release(seam_chan *chan) {
  if (chan == NULL)
    return SEAM_EINVAL;
  release(chan);
  return 0;
}

/* Validates a loop-thread call on an open or closing channel. */
static int check(const seam_chan *chan) {
  if (chan == NULL)
    return SEAM_EINVAL;
  if (chan->loop == NULL)
    return SEAM_ECLOSED;
  return seam__on_loop_thread(chan->loop) ? 0 : SEAM_ETHREAD;
}

static int set_ref(seam_chan *chan, int ref) {
  int err = check(chan);
  if (err)
    return err;
  if (chan->ref != ref) {
    chan->ref = ref;
    /* A closed channel is alive until its final callback either way.
     * (closed is written only on this thread, so no lock is needed.) */
    if (!chan->closed)
      seam__alive(chan->loop, ref ? 1 : -1);
  }
  return 0;
}

int seam_chan_ref(seam_chan *chan) { return set_ref(chan, 1); }

int seam_chan_unref(seam_chan *chan) { return set_ref(chan, 0); }

int seam_chan_close(seam_chan *chan) {
  int err = check(chan);
  if (err)
    return err;
  pthread_mutex_lock(&chan->mu);
  int was_closed = chan->closed;
  chan->closed = 1;
  pthread_cond_broadcast(&chan->room);
  if (!was_closed)
    seam__signal_send(chan->loop, &chan->signal);
  pthread_mutex_unlock(&chan->mu);
  if (was_closed)
    return SEAM_ECLOSED;
  if (!chan->ref)
    seam__alive(chan->loop, 1);
  return 0;
}
