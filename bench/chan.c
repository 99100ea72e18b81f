/*
 * chan.c - channel throughput: a producer thread (on the second CPU) sends
 * the integers 1..n to the loop thread (on the first), then an end marker.
 * Reports "Mmsgs/s", from the first send to the end marker's delivery.
 *
 * Variants:
 *  seam          an unbounded seam_chan, seam_chan_send();
 *  seam-bounded  a seam_chan of BOUNDED slots, seam_chan_send_wait();
 *  native        the classic pattern on the native library: a mutex-guarded
 *                vector and the native notifier sent after every push, the
 *                callback swapping the whole vector out;
 *  raw-mutex     the same vector, an eventfd written only when the vector
 *                was empty;
 *  raw-ring      a single-producer lock-free ring and an eventfd written
 *                only when the consumer announced that it sleeps.
 * The producer stops early once the time budget is spent; the end marker
 * carries how many it sent.
 *
 * Verified: every integer arrives exactly once and in order, and the end
 * marker comes after the last of them.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "seam.h"

#define CHECK_EVERY 65536 /* messages between looks at the clock */
#define BOUNDED 8192      /* seam-bounded's capacity */
#define RING 65536        /* raw-ring's slots, a power of two */
#define END ((uintptr_t)-1)

struct ch {
  long n;
  uint64_t budget_ns;
  void *handle;   /* the variant's channel */
  long sent;      /* written by the producer before the end marker */
  atomic_int settled; /* the producer's last send has returned */
  long received;  /* loop thread */
  int ended;      /* loop thread: the end marker arrived */
  uint64_t t0, t1;
};

/*
 * The producer's loop; each variant passes its send function, a constant
 * the compiler inlines. Sends 1..n (fewer if the budget runs out), then END.
 */
static inline __attribute__((always_inline)) void
produce(struct ch *ch, void (*send)(void *handle, uintptr_t msg)) {
  void *handle = ch->handle;
  long i = 0;
  bench_pin(1);
  ch->t0 = bench_now_ns();
  uint64_t deadline = ch->t0 + ch->budget_ns;
  while (i < ch->n) {
    long stop = ch->n - i < CHECK_EVERY ? ch->n : i + CHECK_EVERY;
    while (i < stop)
      send(handle, (uintptr_t)++i);
    if (bench_now_ns() > deadline)
      break;
  }
  ch->sent = i;
  send(handle, END);
  atomic_store_explicit(&ch->settled, 1, memory_order_release);
}

/* The consumer's check of one message; returns 1 for the end marker. */
static inline int on_msg(struct ch *ch, uintptr_t msg) {
  if (msg == END) {
    ch->t1 = bench_now_ns();
    if (ch->ended || ch->received != ch->sent)
      bench_fail("chan: end marker after %ld of %ld messages", ch->received,
                 ch->sent);
    ch->ended = 1;
    return 1;
  }
  if (msg != (uintptr_t)ch->received + 1 || ch->ended)
    bench_fail("chan: got %lu after %ld", (unsigned long)msg, ch->received);
  ch->received++;
  return 0;
}

/* ---- seam ---- */

static void seam_cb(seam_chan *chan, void *msg, void *data) {
  if (msg != NULL && on_msg(data, (uintptr_t)msg) &&
      seam_chan_close(chan) != 0)
    bench_fail("seam_chan_close failed");
}

static void seam_send(void *chan, uintptr_t msg) {
  if (seam_chan_send(chan, (void *)msg) != 0)
    bench_fail("seam_chan_send failed");
}

static void seam_send_wait(void *chan, uintptr_t msg) {
  if (seam_chan_send_wait(chan, (void *)msg) != 0)
    bench_fail("seam_chan_send_wait failed");
}

static void *seam_producer(void *arg) {
  struct ch *ch = arg;
  produce(ch, seam_send);
  seam_chan_release(ch->handle);
  return NULL;
}

static void *seam_bounded_producer(void *arg) {
  struct ch *ch = arg;
  produce(ch, seam_send_wait);
  seam_chan_release(ch->handle);
  return NULL;
}

static void run_seam(struct ch *ch, size_t capacity) {
  seam_loop *loop;
  seam_chan *chan;
  if (seam_loop_new(&loop) != 0 ||
      seam_chan_new(loop, capacity, seam_cb, ch, &chan) != 0)
    bench_fail("seam_loop_new/seam_chan_new failed");
  ch->handle = chan;
  seam_chan_acquire(chan); /* the producer's reference */
  void *producer = bench_thread(
      capacity ? seam_bounded_producer : seam_producer, ch);
  if (seam_loop_run(loop, SEAM_RUN_DEFAULT) != 0)
    bench_fail("seam_loop_run did not finish");
  bench_join(producer);
  if (seam_loop_free(loop) != 0)
    bench_fail("seam_loop_free failed");
}

/* ---- the classic pattern: a mutex-guarded vector ---- */

struct vec {
  uintptr_t *items;
  size_t len, cap;
};

struct classic {
  pthread_mutex_t mu;
  struct vec queue; /* under mu */
  struct vec spare; /* the consumer's */
  struct ch *ch;
  struct nb_async *async;  /* native */
  struct bench_efd efd;    /* raw-mutex */
};

/* Appends msg; returns 1 if the vector was empty. */
static int classic_push(struct classic *c, uintptr_t msg) {
  pthread_mutex_lock(&c->mu);
  struct vec *q = &c->queue;
  if (q->len == q->cap) {
    q->cap = q->cap ? 2 * q->cap : 1024;
    q->items = realloc(q->items, q->cap * sizeof(*q->items));
    if (q->items == NULL)
      bench_fail("out of memory");
  }
  q->items[q->len++] = msg;
  int was_empty = q->len == 1;
  pthread_mutex_unlock(&c->mu);
  return was_empty;
}

/* Takes the whole vector and checks it; returns 1 after the end marker. */
static int classic_drain(struct classic *c) {
  pthread_mutex_lock(&c->mu);
  struct vec batch = c->queue;
  c->queue = c->spare;
  c->queue.len = 0;
  pthread_mutex_unlock(&c->mu);
  int end = 0;
  for (size_t i = 0; i < batch.len; i++)
    end |= on_msg(c->ch, batch.items[i]);
  c->spare = batch;
  return end;
}

static void classic_init(struct classic *c, struct ch *ch) {
  memset(c, 0, sizeof(*c));
  pthread_mutex_init(&c->mu, NULL);
  c->ch = ch;
  ch->handle = c;
}

static void classic_destroy(struct classic *c) {
  pthread_mutex_destroy(&c->mu);
  free(c->queue.items);
  free(c->spare.items);
}

static void native_cb(struct nb_async *async, void *arg) {
  struct classic *c = arg;
  if (!classic_drain(c))
    return;
  /* The producer may still be inside its last nb_async_send(). */
  while (!atomic_load_explicit(&c->ch->settled, memory_order_acquire))
    sched_yield();
  nb_async_free(async);
}

static void native_send(void *handle, uintptr_t msg) {
  struct classic *c = handle;
  classic_push(c, msg);
  nb_async_send(c->async);
}

static void *native_producer(void *arg) {
  produce(arg, native_send);
  return NULL;
}

static void run_native(struct ch *ch) {
  struct classic c;
  classic_init(&c, ch);
  struct nb_loop *loop = nb_loop_new();
  c.async = nb_async_new(loop, native_cb, &c);
  void *producer = bench_thread(native_producer, ch);
  nb_loop_run(loop);
  bench_join(producer);
  nb_loop_free(loop);
  classic_destroy(&c);
}

static void raw_mutex_send(void *handle, uintptr_t msg) {
  struct classic *c = handle;
  if (classic_push(c, msg))
    bench_efd_signal(&c->efd);
}

static void *raw_mutex_producer(void *arg) {
  produce(arg, raw_mutex_send);
  return NULL;
}

static void run_raw_mutex(struct ch *ch) {
  struct classic c;
  classic_init(&c, ch);
  bench_efd_open(&c.efd);
  void *producer = bench_thread(raw_mutex_producer, ch);
  do
    bench_efd_wait(&c.efd);
  while (!classic_drain(&c));
  bench_join(producer);
  bench_efd_close(&c.efd);
  classic_destroy(&c);
}

/* ---- raw-ring: single-producer, single-consumer lock-free ring ---- */

struct ring {
  _Alignas(64) atomic_ulong tail; /* next slot the producer writes */
  unsigned long head_seen;        /* the producer's copy of head */
  _Alignas(64) atomic_ulong head; /* next slot the consumer reads */
  atomic_int sleeping;            /* the consumer is about to wait */
  _Alignas(64) uintptr_t slots[RING];
  struct bench_efd efd;
};

static void ring_send(void *handle, uintptr_t msg) {
  struct ring *r = handle;
  unsigned long tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  while (tail - r->head_seen == RING) {
    r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
    if (tail - r->head_seen == RING)
      sched_yield();
  }
  r->slots[tail % RING] = msg;
  atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
  /* Pairs with the consumer's fence between announcing its sleep and
   * looking at tail once more: one of the two sees the other. */
  bench_fence();
  if (atomic_load_explicit(&r->sleeping, memory_order_relaxed) &&
      atomic_exchange(&r->sleeping, 0))
    bench_efd_signal(&r->efd);
}

static void *ring_producer(void *arg) {
  produce(arg, ring_send);
  return NULL;
}

static void run_raw_ring(struct ch *ch) {
  struct ring *r = aligned_alloc(64, sizeof(*r));
  if (r == NULL)
    bench_fail("out of memory");
  atomic_init(&r->tail, 0);
  atomic_init(&r->head, 0);
  atomic_init(&r->sleeping, 0);
  r->head_seen = 0;
  bench_efd_open(&r->efd);
  ch->handle = r;
  void *producer = bench_thread(ring_producer, ch);
  unsigned long head = 0;
  int end = 0;
  while (!end) {
    unsigned long tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (tail == head) {
      atomic_store_explicit(&r->sleeping, 1, memory_order_relaxed);
      bench_fence();
      tail = atomic_load_explicit(&r->tail, memory_order_acquire);
      if (tail == head) {
        bench_efd_wait(&r->efd);
        continue;
      }
      atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
    }
    for (; head != tail; head++)
      end |= on_msg(ch, r->slots[head % RING]);
    atomic_store_explicit(&r->head, head, memory_order_release);
  }
  bench_join(producer);
  bench_efd_close(&r->efd);
  free(r);
}

int bench_chan(const struct bench_args *args) {
  struct ch ch;
  memset(&ch, 0, sizeof(ch));
  atomic_init(&ch.settled, 0);
  ch.n = args->n;
  ch.budget_ns = (uint64_t)(args->budget_s * 1e9);
  bench_pin(0);
  if (strcmp(args->variant, "seam") == 0)
    run_seam(&ch, 0);
  else if (strcmp(args->variant, "seam-bounded") == 0)
    run_seam(&ch, BOUNDED);
  else if (strcmp(args->variant, "native") == 0)
    run_native(&ch);
  else if (strcmp(args->variant, "raw-mutex") == 0)
    run_raw_mutex(&ch);
  else if (strcmp(args->variant, "raw-ring") == 0)
    run_raw_ring(&ch);
  else
    return 2;
  if (!ch.ended || ch.received != ch.sent || ch.sent < 1)
    bench_fail("chan: %ld of %ld messages arrived", ch.received, ch.sent);
  bench_report("Mmsgs/s", (double)ch.sent * 1e3 / (double)(ch.t1 - ch.t0));
  return 0;
}
