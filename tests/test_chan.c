/*
 * test_chan.c - conformance tests for the lossless channel (issue 4: C1-C5,
 * liveness, stress), identical on every backend.
 *
 * Messages are small non-NULL integers cast to pointers; nothing is allocated
 * per message. Callbacks run on the test's own thread (the loop thread), so
 * they may use ck_assert on rare paths; on hot paths they only count
 * anomalies, which the test asserts after the run (Check's assertions mark a
 * point on success, too slow for a million messages). Producer threads never
 * assert: they record return codes, which the test checks after joining.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define M(v) ((void *)(uintptr_t)(v))

static seam_chan *chan_new(seam_loop *loop, size_t capacity, seam_chan_cb cb,
                           void *data) {
  seam_chan *chan = NULL;
  ck_assert_int_eq(seam_chan_new(loop, capacity, cb, data, &chan), 0);
  ck_assert_ptr_nonnull(chan);
  return chan;
}

/* ------------------------------------------------------------------------
 * A recorder: remembers what was delivered, in order, and what went wrong.
 * ------------------------------------------------------------------------ */

#define REC_MAX 64

struct rec {
  seam_chan *chan;
  pthread_t loop_thread;
  uintptr_t got[REC_MAX];   /* messages in delivery order */
  unsigned n;               /* messages delivered */
  unsigned close_after;     /* close from the callback at this n (0: never) */
  int close_rc;
  int in_call;              /* set by the test around calls that must not deliver */
  int in_call_hits;         /* callbacks that ran while in_call was set */
  int finals;               /* callbacks with msg NULL */
  unsigned n_at_final;      /* n when the final callback ran */
  int after_final;          /* callbacks after the final one */
  int off_thread;           /* callbacks not on the loop thread */
  int wrong_args;           /* callbacks with another chan or data */
};

static void rec_init(struct rec *r) {
  memset(r, 0, sizeof *r);
  r->loop_thread = pthread_self();
  r->close_rc = 1;
}

static void rec_cb(seam_chan *chan, void *msg, void *data) {
  struct rec *r = data;
  if (!pthread_equal(pthread_self(), r->loop_thread))
    r->off_thread++;
  if (chan != r->chan)
    r->wrong_args++;
  if (r->in_call)
    r->in_call_hits++;
  if (r->finals)
    r->after_final++;
  if (msg == NULL) {
    r->finals++;
    r->n_at_final = r->n;
    return;
  }
  ck_assert_uint_lt(r->n, REC_MAX);
  r->got[r->n++] = (uintptr_t)msg;
  if (r->n == r->close_after)
    r->close_rc = seam_chan_close(chan);
}

/* The callbacks were well-behaved and the final one ran exactly once, after
 * all n messages. */
static void rec_check_final(const struct rec *r, unsigned n) {
  ck_assert_int_eq(r->off_thread, 0);
  ck_assert_int_eq(r->wrong_args, 0);
  ck_assert_int_eq(r->in_call_hits, 0);
  ck_assert_uint_eq(r->n, n);
  ck_assert_int_eq(r->finals, 1);
  ck_assert_uint_eq(r->n_at_final, n);
  ck_assert_int_eq(r->after_final, 0);
}

/* ------------------------------------------------------------------------
 * A sender thread: one send or send_wait, bracketed by semaphores.
 * ------------------------------------------------------------------------ */

struct sender {
  seam_chan *chan;
  void *msg;
  int wait;          /* send_wait instead of send */
  int release;       /* release a reference the test acquired for it */
  sem_t about;       /* posted right before the call */
  sem_t done;        /* posted when everything is done */
  atomic_int returned;
  int rc;
  int release_rc;
};

static void sender_init(struct sender *s, seam_chan *chan, void *msg, int wait,
                        int release) {
  memset(s, 0, sizeof *s);
  s->chan = chan;
  s->msg = msg;
  s->wait = wait;
  s->release = release;
  s->rc = 1;
  s->release_rc = 1;
  atomic_init(&s->returned, 0);
  sem_init(&s->about, 0, 0);
  sem_init(&s->done, 0, 0);
}

static void sender_destroy(struct sender *s) {
  sem_destroy(&s->about);
  sem_destroy(&s->done);
}

static void *sender_main(void *arg) {
  struct sender *s = arg;
  sem_post(&s->about);
  s->rc = s->wait ? seam_chan_send_wait(s->chan, s->msg)
                  : seam_chan_send(s->chan, s->msg);
  atomic_store(&s->returned, 1);
  if (s->release)
    s->release_rc = seam_chan_release(s->chan);
  sem_post(&s->done);
  return NULL;
}

/* ------------------------------------------------------------------------
 * Many producers: message v = 1 + p + np * seq encodes producer p's seq-th
 * message. The callback checks the loop thread, per-producer order and (with
 * a bitmap) exactly-once, and may close the channel after close_at messages.
 * ------------------------------------------------------------------------ */

#define MP_MAX 8

struct mp {
  seam_chan *chan;
  pthread_t loop_thread;
  unsigned np;
  unsigned long per;        /* messages per producer; 0: send until ECLOSED */
  unsigned long close_at;   /* close from the callback after this many */
  int close_rc;
  /* loop thread only */
  unsigned long next[MP_MAX];   /* next expected seq per producer */
  unsigned char *seen;          /* one byte per message (per > 0 only) */
  unsigned long delivered;
  unsigned long delivered_at_final;
  unsigned long off_thread, bad_producer, out_of_order, duplicates;
  int finals, after_final;
};

struct producer {
  struct mp *mp;
  unsigned id;
  int wait;                 /* send_wait; else send, yielding on EAGAIN */
  unsigned long accepted;
  int last_rc;              /* 0 if all per messages went, else what stopped it */
  int release_rc;
};

static void mp_cb(seam_chan *chan, void *msg, void *data) {
  struct mp *mp = data;
  if (!pthread_equal(pthread_self(), mp->loop_thread))
    mp->off_thread++;
  if (mp->finals)
    mp->after_final++;
  if (msg == NULL) {
    mp->finals++;
    mp->delivered_at_final = mp->delivered;
    return;
  }
  uintptr_t v = (uintptr_t)msg - 1;
  unsigned p = (unsigned)(v % mp->np);
  unsigned long seq = (unsigned long)(v / mp->np);
  if (mp->per && seq >= mp->per) {
    mp->bad_producer++;
  } else {
    if (seq != mp->next[p])
      mp->out_of_order++;
    mp->next[p] = seq + 1;
    if (mp->seen) {
      if (mp->seen[v])
        mp->duplicates++;
      mp->seen[v] = 1;
    }
  }
  if (++mp->delivered == mp->close_at)
    mp->close_rc = seam_chan_close(chan);
}

static void *producer_main(void *arg) {
  struct producer *pr = arg;
  struct mp *mp = pr->mp;
  unsigned long seq = 0;
  pr->last_rc = 0;
  while (mp->per == 0 || seq < mp->per) {
    void *msg = M(1 + pr->id + (uintptr_t)mp->np * seq);
    int rc = pr->wait ? seam_chan_send_wait(mp->chan, msg)
                      : seam_chan_send(mp->chan, msg);
    if (rc == 0) {
      seq++;
      pr->accepted++;
    } else if (rc == SEAM_EAGAIN && !pr->wait) {
      sched_yield();
    } else {
      pr->last_rc = rc;
      break;
    }
  }
  pr->release_rc = seam_chan_release(mp->chan);
  return NULL;
}

/*
 * Runs np producers, each holding a reference acquired for it by the loop
 * thread, through a channel of the given capacity; producer p uses send_wait
 * if bit p of wait_mask is set. With per > 0 each sends per messages and the
 * loop closes after the last; with per == 0 they send until SEAM_ECLOSED and
 * the loop closes after close_at deliveries. Then checks C1 and C4 in full.
 */
static void mp_run(unsigned np, unsigned long per, size_t capacity,
                   unsigned wait_mask, unsigned long close_at) {
  seam_loop *loop = th_loop();
  struct mp mp;
  struct producer pr[MP_MAX];
  pthread_t t[MP_MAX];
  memset(&mp, 0, sizeof mp);
  mp.loop_thread = pthread_self();
  mp.np = np;
  mp.per = per;
  mp.close_at = per ? np * per : close_at;
  mp.close_rc = 1;
  if (per) {
    mp.seen = calloc(np * per, 1);
    ck_assert_ptr_nonnull(mp.seen);
  }
  mp.chan = chan_new(loop, capacity, mp_cb, &mp);
  for (unsigned p = 0; p < np; p++) {
    pr[p] = (struct producer){.mp = &mp, .id = p, .wait = (wait_mask >> p) & 1};
    ck_assert_int_eq(seam_chan_acquire(mp.chan), 0);
    t[p] = th_thread(producer_main, &pr[p]);
  }
  ck_assert_int_eq(th_run(loop), 0);
  for (unsigned p = 0; p < np; p++)
    th_join(t[p]);

  ck_assert_int_eq(mp.close_rc, 0);
  ck_assert_uint_eq(mp.off_thread, 0);
  ck_assert_uint_eq(mp.bad_producer, 0);
  ck_assert_uint_eq(mp.out_of_order, 0);
  ck_assert_uint_eq(mp.duplicates, 0);
  ck_assert_int_eq(mp.finals, 1);
  ck_assert_int_eq(mp.after_final, 0);
  ck_assert_uint_eq(mp.delivered_at_final, mp.delivered);
  unsigned long accepted = 0;
  for (unsigned p = 0; p < np; p++) {
    ck_assert_int_eq(pr[p].release_rc, 0);
    ck_assert_int_eq(pr[p].last_rc, per ? 0 : SEAM_ECLOSED);
    if (per)
      ck_assert_uint_eq(pr[p].accepted, per);
    /* Everything accepted from p arrived, in order, and nothing more. */
    ck_assert_uint_eq(mp.next[p], pr[p].accepted);
    accepted += pr[p].accepted;
  }
  ck_assert_uint_eq(mp.delivered, accepted);
  if (per) {
    for (unsigned long i = 0; i < np * per; i++)
      ck_assert_msg(mp.seen[i], "message %lu never delivered", i + 1);
  }
  free(mp.seen);
  th_loop_free(loop);
}

/* ------------------------------------------------------------------------
 * C1
 * ------------------------------------------------------------------------ */

/*
 * C1: every message accepted by send is delivered exactly once, on the loop
 * thread, in per-producer FIFO order. Four producer threads interleave on an
 * unbounded channel; a bitmap proves each message arrived exactly once and a
 * per-producer counter proves the order.
 */
START_TEST(test_C1_exactly_once_on_loop_thread_per_producer_fifo) {
  mp_run(4, th_scaled(20000), 0, 0x0, 0);
}
END_TEST

/*
 * C1 with send_wait and send mixed on a small bounded channel: the same
 * guarantees hold for messages accepted by either call.
 */
START_TEST(test_C1_exactly_once_bounded_send_and_send_wait) {
  mp_run(4, th_scaled(20000), 16, 0x5, 0);
}
END_TEST

/*
 * C1 (precise reading): messages are delivered only from the loop's dispatch,
 * never synchronously inside send, send_wait or close. Sends on the loop
 * thread before the run deliver nothing until the loop runs; between
 * iterations, a send and the close deliver nothing either (the final
 * callback included).
 */
START_TEST(test_C1_never_delivered_inside_send_send_wait_or_close) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 0, rec_cb, &r);

  r.in_call = 1;
  ck_assert_int_eq(seam_chan_send(r.chan, M(1)), 0);
  ck_assert_int_eq(seam_chan_send(r.chan, M(2)), 0);
  ck_assert_int_eq(seam_chan_send_wait(r.chan, M(99)), SEAM_EDEADLK);
  ck_assert_int_eq(seam_chan_send(r.chan, M(3)), 0);
  r.in_call = 0;
  ck_assert_uint_eq(r.n, 0);

  /* The loop delivers them, one iteration at a time; between iterations
   * the loop thread sends again and closes, and neither call delivers. */
  unsigned step = 0;
  while (r.n < 3) {
    ck_assert_uint_lt(++step, 100000);
    ck_assert_int_ge(seam_loop_run(loop, SEAM_RUN_ONCE), 0);
  }
  r.in_call = 1;
  ck_assert_int_eq(seam_chan_send(r.chan, M(4)), 0);
  ck_assert_int_eq(seam_chan_send_wait(r.chan, M(99)), SEAM_EDEADLK);
  ck_assert_int_eq(seam_chan_close(r.chan), 0);
  r.in_call = 0;
  ck_assert_uint_eq(r.n, 3);
  ck_assert_int_eq(r.finals, 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_uint_eq(r.got[0], 1);
  ck_assert_uint_eq(r.got[1], 2);
  ck_assert_uint_eq(r.got[2], 3);
  ck_assert_uint_eq(r.got[3], 4);
  rec_check_final(&r, 4);
  th_loop_free(loop);
}
END_TEST

struct reenter {
  struct rec r;
  int depth;
  int nested;     /* callbacks that started inside another callback */
  int send_rc, close_rc;
};

static void reenter_cb(seam_chan *chan, void *msg, void *data) {
  struct reenter *e = data;
  if (e->depth)
    e->nested++;
  e->depth++;
  rec_cb(chan, msg, &e->r);
  if (msg == M(1))
    e->send_rc = seam_chan_send(chan, M(4));
  if (msg == M(4))
    e->close_rc = seam_chan_close(chan);
  e->depth--;
}

/*
 * C1 (precise reading), from inside a callback: a send made by the callback
 * and a close made by another are delivered later, never re-entering the
 * callback that made them.
 */
START_TEST(test_C1_send_and_close_inside_callback_do_not_reenter) {
  seam_loop *loop = th_loop();
  struct reenter e;
  memset(&e, 0, sizeof e);
  rec_init(&e.r);
  e.send_rc = e.close_rc = 1;
  e.r.chan = chan_new(loop, 0, reenter_cb, &e);
  for (uintptr_t i = 1; i <= 3; i++)
    ck_assert_int_eq(seam_chan_send(e.r.chan, M(i)), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(e.nested, 0);
  ck_assert_int_eq(e.send_rc, 0);
  ck_assert_int_eq(e.close_rc, 0);
  for (unsigned i = 0; i < 4; i++)
    ck_assert_uint_eq(e.r.got[i], i + 1);
  rec_check_final(&e.r, 4);
  th_loop_free(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * C2
 * ------------------------------------------------------------------------ */

struct stop_at {
  struct rec r;
  seam_loop *loop;
  unsigned stop_at;   /* seam_loop_stop when this many were delivered */
};

static void stop_at_cb(seam_chan *chan, void *msg, void *data) {
  struct stop_at *s = data;
  rec_cb(chan, msg, &s->r);
  if (msg && s->r.n == s->stop_at)
    ck_assert_int_eq(seam_loop_stop(s->loop), 0);
}

/*
 * C2 (precise reading): capacity is exact. A channel of capacity N accepts N
 * messages without the loop running and refuses the next with SEAM_EAGAIN;
 * once the loop has delivered them it accepts exactly N again. Checked for
 * several N, including 1.
 */
START_TEST(test_C2_capacity_is_exact_then_room_after_delivery) {
  static const unsigned caps[] = {1, 3, 32};
  for (unsigned c = 0; c < sizeof caps / sizeof caps[0]; c++) {
    unsigned n = caps[c];
    seam_loop *loop = th_loop();
    struct stop_at s;
    rec_init(&s.r);
    s.loop = loop;
    s.stop_at = n;
    s.r.chan = chan_new(loop, n, stop_at_cb, &s);
    for (unsigned i = 1; i <= n; i++)
      ck_assert_int_eq(seam_chan_send(s.r.chan, M(i)), 0);
    ck_assert_int_eq(seam_chan_send(s.r.chan, M(1000)), SEAM_EAGAIN);
    ck_assert_int_eq(seam_chan_send(s.r.chan, M(1001)), SEAM_EAGAIN);
    ck_assert_uint_eq(s.r.n, 0);

    /* The loop delivers the N messages, then the callback stops it. */
    ck_assert_int_eq(th_run(loop), 1);
    ck_assert_uint_eq(s.r.n, n);

    for (unsigned i = n + 1; i <= 2 * n; i++)
      ck_assert_int_eq(seam_chan_send(s.r.chan, M(i)), 0);
    ck_assert_int_eq(seam_chan_send(s.r.chan, M(1002)), SEAM_EAGAIN);

    s.r.close_after = 2 * n;
    ck_assert_int_eq(th_run(loop), 0);
    ck_assert_int_eq(s.r.close_rc, 0);
    for (unsigned i = 0; i < 2 * n; i++)
      ck_assert_uint_eq(s.r.got[i], i + 1);
    rec_check_final(&s.r, 2 * n);
    th_loop_free(loop);
  }
}
END_TEST

/*
 * C2: send_wait blocks while the channel is full and proceeds when room
 * appears. The producer posts a semaphore right before calling send_wait on a
 * full channel; it must not have returned, and the channel must still hold
 * exactly N (the loop thread's send still gets SEAM_EAGAIN). Once the loop
 * delivers, the blocked message is accepted and delivered after the N.
 */
START_TEST(test_C2_send_wait_blocks_while_full_and_proceeds_on_room) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 4, rec_cb, &r);
  for (uintptr_t i = 1; i <= 4; i++)
    ck_assert_int_eq(seam_chan_send(r.chan, M(i)), 0);

  struct sender s;
  sender_init(&s, r.chan, M(5), 1, 1);
  ck_assert_int_eq(seam_chan_acquire(r.chan), 0);
  pthread_t t = th_thread(sender_main, &s);
  th_sem_wait(&s.about);
  ck_assert_int_eq(atomic_load(&s.returned), 0);
  ck_assert_int_eq(seam_chan_send(r.chan, M(100)), SEAM_EAGAIN);
  ck_assert_int_eq(atomic_load(&s.returned), 0);
  ck_assert_uint_eq(r.n, 0);

  r.close_after = 5;
  ck_assert_int_eq(th_run(loop), 0);
  th_join(t);
  ck_assert_int_eq(s.rc, 0);
  ck_assert_int_eq(s.release_rc, 0);
  ck_assert_int_eq(r.close_rc, 0);
  for (unsigned i = 0; i < 5; i++)
    ck_assert_uint_eq(r.got[i], i + 1);
  rec_check_final(&r, 5);
  sender_destroy(&s);
  th_loop_free(loop);
}
END_TEST

struct deadlk {
  struct rec r;
  int in_cb_rc;
};

static void deadlk_cb(seam_chan *chan, void *msg, void *data) {
  struct deadlk *d = data;
  rec_cb(chan, msg, &d->r);
  if (msg == M(1)) {
    d->in_cb_rc = seam_chan_send_wait(chan, M(77));
    ck_assert_int_eq(seam_chan_close(chan), 0);
  }
}

/*
 * C2 (precise reading): send_wait on the loop's own thread returns
 * SEAM_EDEADLK always, even with room: on an empty bounded channel, on an
 * unbounded one, on a full one, and inside a callback. Nothing it was given
 * is ever delivered.
 */
START_TEST(test_C2_send_wait_on_loop_thread_is_edeadlk) {
  static const size_t caps[] = {0, 1, 8};
  for (unsigned c = 0; c < sizeof caps / sizeof caps[0]; c++) {
    seam_loop *loop = th_loop();
    struct deadlk d;
    rec_init(&d.r);
    d.in_cb_rc = 1;
    d.r.chan = chan_new(loop, caps[c], deadlk_cb, &d);
    ck_assert_int_eq(seam_chan_send_wait(d.r.chan, M(77)), SEAM_EDEADLK);
    ck_assert_int_eq(seam_chan_send(d.r.chan, M(1)), 0);
    ck_assert_int_eq(seam_chan_send_wait(d.r.chan, M(77)), SEAM_EDEADLK);
    if (caps[c] == 1) /* now full */
      ck_assert_int_eq(seam_chan_send(d.r.chan, M(78)), SEAM_EAGAIN);
    ck_assert_int_eq(th_run(loop), 0);
    ck_assert_int_eq(d.in_cb_rc, SEAM_EDEADLK);
    ck_assert_uint_eq(d.r.got[0], 1);
    rec_check_final(&d.r, 1);
    th_loop_free(loop);
  }
}
END_TEST

/*
 * C2: a NULL message is refused with SEAM_EINVAL by send (loop thread and
 * another thread) and by send_wait (another thread); nothing is delivered
 * for it.
 */
START_TEST(test_C2_send_null_msg_is_einval) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 2, rec_cb, &r);
  ck_assert_int_eq(seam_chan_send(r.chan, NULL), SEAM_EINVAL);

  struct sender s1, s2;
  sender_init(&s1, r.chan, NULL, 0, 1);
  sender_init(&s2, r.chan, NULL, 1, 1);
  ck_assert_int_eq(seam_chan_acquire(r.chan), 0);
  ck_assert_int_eq(seam_chan_acquire(r.chan), 0);
  pthread_t t1 = th_thread(sender_main, &s1);
  pthread_t t2 = th_thread(sender_main, &s2);
  th_join(t1);
  th_join(t2);
  ck_assert_int_eq(s1.rc, SEAM_EINVAL);
  ck_assert_int_eq(s2.rc, SEAM_EINVAL);
  ck_assert_int_eq(s1.release_rc, 0);
  ck_assert_int_eq(s2.release_rc, 0);
  sender_destroy(&s1);
  sender_destroy(&s2);

  /* The refused sends took no room: capacity 2 still accepts 2. */
  ck_assert_int_eq(seam_chan_send(r.chan, M(1)), 0);
  ck_assert_int_eq(seam_chan_send(r.chan, M(2)), 0);
  ck_assert_int_eq(seam_chan_send(r.chan, M(3)), SEAM_EAGAIN);
  ck_assert_int_eq(seam_chan_close(r.chan), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_uint_eq(r.got[0], 1);
  ck_assert_uint_eq(r.got[1], 2);
  rec_check_final(&r, 2);
  th_loop_free(loop);
}
END_TEST

/* C2 / conventions: a NULL channel gives SEAM_EINVAL from every function. */
START_TEST(test_C2_null_chan_is_einval_everywhere) {
  ck_assert_int_eq(seam_chan_send(NULL, M(1)), SEAM_EINVAL);
  ck_assert_int_eq(seam_chan_send_wait(NULL, M(1)), SEAM_EINVAL);
  ck_assert_int_eq(seam_chan_acquire(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_chan_release(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_chan_ref(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_chan_unref(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_chan_close(NULL), SEAM_EINVAL);
}
END_TEST

/*
 * Conventions: seam_chan_new with a NULL loop, callback or out-pointer gives
 * SEAM_EINVAL and creates nothing (the loop still frees cleanly).
 */
START_TEST(test_C2_chan_new_bad_arguments_are_einval) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  seam_chan *chan = NULL;
  ck_assert_int_eq(seam_chan_new(NULL, 0, rec_cb, &r, &chan), SEAM_EINVAL);
  ck_assert_int_eq(seam_chan_new(loop, 0, NULL, &r, &chan), SEAM_EINVAL);
  ck_assert_int_eq(seam_chan_new(loop, 0, rec_cb, &r, NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_chan_new(loop, 4, rec_cb, &r, NULL), SEAM_EINVAL);
  th_loop_free(loop);
}
END_TEST

struct off_thread {
  seam_loop *loop;
  seam_chan *chan;
  int new_rc, ref_rc, unref_rc, close_rc;
  int do_ref;
};

static void *off_thread_main(void *arg) {
  struct off_thread *o = arg;
  if (o->do_ref) {
    o->ref_rc = seam_chan_ref(o->chan);
    return NULL;
  }
  seam_chan *chan = NULL;
  o->new_rc = seam_chan_new(o->loop, 0, rec_cb, NULL, &chan);
  o->unref_rc = seam_chan_unref(o->chan);
  o->close_rc = seam_chan_close(o->chan);
  return NULL;
}

/*
 * Conventions: the loop-thread-only functions (new, ref, unref, close)
 * return SEAM_ETHREAD from another thread and change nothing: after an
 * off-thread unref and close the channel is still ref'd (a NOWAIT run
 * reports it alive) and open (send accepts, the loop's close is the first),
 * and an off-thread ref leaves an unref'd channel unref'd.
 */
START_TEST(test_C2_loop_thread_only_functions_off_thread_are_ethread) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 0, rec_cb, &r);

  struct off_thread o = {.loop = loop, .chan = r.chan};
  th_join(th_thread(off_thread_main, &o));
  ck_assert_int_eq(o.new_rc, SEAM_ETHREAD);
  ck_assert_int_eq(o.unref_rc, SEAM_ETHREAD);
  ck_assert_int_eq(o.close_rc, SEAM_ETHREAD);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);

  ck_assert_int_eq(seam_chan_unref(r.chan), 0);
  struct off_thread o2 = {.loop = loop, .chan = r.chan, .do_ref = 1};
  th_join(th_thread(off_thread_main, &o2));
  ck_assert_int_eq(o2.ref_rc, SEAM_ETHREAD);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);

  ck_assert_int_eq(seam_chan_send(r.chan, M(1)), 0);
  ck_assert_int_eq(seam_chan_close(r.chan), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_uint_eq(r.got[0], 1);
  rec_check_final(&r, 1);
  th_loop_free(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * C3
 * ------------------------------------------------------------------------ */

struct burst {
  seam_timer *timer;
  unsigned long total, delivered, at_fire;
  unsigned long out_of_order;
  int fired, finals, timer_rc;
};

static void burst_timer_cb(seam_timer *timer, void *data) {
  struct burst *b = data;
  (void)timer;
  b->fired++;
  b->at_fire = b->delivered;
}

static void burst_cb(seam_chan *chan, void *msg, void *data) {
  struct burst *b = data;
  if (msg == NULL) {
    b->finals++;
    return;
  }
  if ((uintptr_t)msg != b->delivered + 1)
    b->out_of_order++;
  /* Due from the next iteration on: it must not wait for the whole burst. */
  if (++b->delivered == 1)
    b->timer_rc = seam_timer_start(b->timer, 0, 0);
  if (b->delivered == b->total)
    ck_assert_int_eq(seam_chan_close(chan), 0);
}

/*
 * C3: one wakeup delivers a bounded batch, then yields. A million messages
 * (scaled) are queued on an unbounded channel before the run; the first
 * delivery starts a timer of 0 ms, which is due in the next iteration: it
 * must fire before the last message is delivered, and every message still
 * arrives, in order.
 */
START_TEST(test_C3_timer_fires_during_a_burst_of_a_million) {
  seam_loop *loop = th_loop();
  struct burst b;
  memset(&b, 0, sizeof b);
  b.total = th_scaled(1000000);
  b.timer_rc = 1;
  ck_assert_int_eq(seam_timer_new(loop, burst_timer_cb, &b, &b.timer), 0);
  seam_chan *chan = chan_new(loop, 0, burst_cb, &b);
  for (unsigned long i = 1; i <= b.total; i++) {
    if (seam_chan_send(chan, M(i)) != 0)
      ck_abort_msg("send %lu refused", i);
  }
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(b.timer_rc, 0);
  ck_assert_int_eq(b.fired, 1);
  ck_assert_uint_gt(b.at_fire, 0);
  ck_assert_msg(b.at_fire < b.total,
                "the timer waited for the whole burst (%lu messages)", b.total);
  ck_assert_uint_eq(b.delivered, b.total);
  ck_assert_uint_eq(b.out_of_order, 0);
  ck_assert_int_eq(b.finals, 1);
  ck_assert_int_eq(seam_timer_free(b.timer), 0);
  th_loop_free(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * C4
 * ------------------------------------------------------------------------ */

/*
 * C4: after close, send and send_wait return SEAM_ECLOSED (send on the loop
 * thread and on another thread, send_wait on another thread), on a channel
 * with room; the message accepted before close is still delivered.
 */
START_TEST(test_C4_send_and_send_wait_after_close_are_eclosed) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 4, rec_cb, &r);
  ck_assert_int_eq(seam_chan_send(r.chan, M(1)), 0);
  ck_assert_int_eq(seam_chan_close(r.chan), 0);
  ck_assert_int_eq(seam_chan_send(r.chan, M(2)), SEAM_ECLOSED);

  struct sender s1, s2;
  sender_init(&s1, r.chan, M(3), 0, 1);
  sender_init(&s2, r.chan, M(4), 1, 1);
  ck_assert_int_eq(seam_chan_acquire(r.chan), 0);
  ck_assert_int_eq(seam_chan_acquire(r.chan), 0);
  pthread_t t1 = th_thread(sender_main, &s1);
  pthread_t t2 = th_thread(sender_main, &s2);
  th_join(t1);
  th_join(t2);
  ck_assert_int_eq(s1.rc, SEAM_ECLOSED);
  ck_assert_int_eq(s2.rc, SEAM_ECLOSED);
  ck_assert_int_eq(s1.release_rc, 0);
  ck_assert_int_eq(s2.release_rc, 0);
  sender_destroy(&s1);
  sender_destroy(&s2);

  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_uint_eq(r.got[0], 1);
  rec_check_final(&r, 1);
  th_loop_free(loop);
}
END_TEST

#define BLOCKED 3

/*
 * C4 (precise reading): send_wait calls blocked on a full channel wake with
 * SEAM_ECLOSED when the loop closes it, without the loop having to run, and
 * their messages are never delivered; the two messages accepted before the
 * close are.
 */
START_TEST(test_C4_blocked_send_wait_wakes_with_eclosed_on_close) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 2, rec_cb, &r);
  ck_assert_int_eq(seam_chan_send(r.chan, M(1)), 0);
  ck_assert_int_eq(seam_chan_send(r.chan, M(2)), 0);

  struct sender s[BLOCKED];
  pthread_t t[BLOCKED];
  for (unsigned i = 0; i < BLOCKED; i++) {
    sender_init(&s[i], r.chan, M(100 + i), 1, 1);
    ck_assert_int_eq(seam_chan_acquire(r.chan), 0);
    t[i] = th_thread(sender_main, &s[i]);
  }
  for (unsigned i = 0; i < BLOCKED; i++)
    th_sem_wait(&s[i].about);
  for (unsigned i = 0; i < BLOCKED; i++)
    ck_assert_int_eq(atomic_load(&s[i].returned), 0);

  r.in_call = 1;
  ck_assert_int_eq(seam_chan_close(r.chan), 0);
  r.in_call = 0;
  for (unsigned i = 0; i < BLOCKED; i++) {
    th_sem_wait(&s[i].done);
    th_join(t[i]);
    ck_assert_int_eq(s[i].rc, SEAM_ECLOSED);
    ck_assert_int_eq(s[i].release_rc, 0);
    sender_destroy(&s[i]);
  }

  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_uint_eq(r.got[0], 1);
  ck_assert_uint_eq(r.got[1], 2);
  rec_check_final(&r, 2);
  th_loop_free(loop);
}
END_TEST

/*
 * C4: messages accepted before close are delivered, then the callback runs
 * exactly once with msg NULL, after all of them, never inside close, and
 * never again: with a reference held past the final callback, later sends
 * get SEAM_ECLOSED and more loop iterations call nothing.
 */
START_TEST(test_C4_accepted_messages_then_exactly_one_final_callback) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 0, rec_cb, &r);
  ck_assert_int_eq(seam_chan_acquire(r.chan), 0);
  for (uintptr_t i = 1; i <= 10; i++)
    ck_assert_int_eq(seam_chan_send(r.chan, M(i)), 0);
  r.in_call = 1;
  ck_assert_int_eq(seam_chan_close(r.chan), 0);
  r.in_call = 0;
  ck_assert_uint_eq(r.n, 0);
  ck_assert_int_eq(r.finals, 0);

  ck_assert_int_eq(th_run(loop), 0);
  for (unsigned i = 0; i < 10; i++)
    ck_assert_uint_eq(r.got[i], i + 1);
  rec_check_final(&r, 10);

  ck_assert_int_eq(seam_chan_send(r.chan, M(11)), SEAM_ECLOSED);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(th_run(loop), 0);
  rec_check_final(&r, 10);
  ck_assert_int_eq(seam_chan_release(r.chan), 0);
  th_loop_free(loop);
}
END_TEST

struct twice {
  struct rec r;
  int rc1, rc2;
};

static void twice_cb(seam_chan *chan, void *msg, void *data) {
  struct twice *w = data;
  rec_cb(chan, msg, &w->r);
  if (msg == M(1)) {
    w->rc1 = seam_chan_close(chan);
    w->rc2 = seam_chan_close(chan);
  }
}

/*
 * C4: closing twice returns SEAM_ECLOSED the second time, from the test
 * before a run and from inside a callback, and still gives a single final
 * callback.
 */
START_TEST(test_C4_close_twice_is_eclosed) {
  seam_loop *loop = th_loop();
  struct twice w;
  rec_init(&w.r);
  w.rc1 = w.rc2 = 1;
  w.r.chan = chan_new(loop, 0, rec_cb, &w.r);
  ck_assert_int_eq(seam_chan_send(w.r.chan, M(1)), 0);
  ck_assert_int_eq(seam_chan_close(w.r.chan), 0);
  ck_assert_int_eq(seam_chan_close(w.r.chan), SEAM_ECLOSED);
  ck_assert_int_eq(th_run(loop), 0);
  rec_check_final(&w.r, 1);
  th_loop_free(loop);

  loop = th_loop();
  rec_init(&w.r);
  w.r.chan = chan_new(loop, 0, twice_cb, &w);
  ck_assert_int_eq(seam_chan_send(w.r.chan, M(1)), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(w.rc1, 0);
  ck_assert_int_eq(w.rc2, SEAM_ECLOSED);
  rec_check_final(&w.r, 1);
  th_loop_free(loop);
}
END_TEST

/*
 * C4 / loop: seam_loop_free returns SEAM_EBUSY while the channel is open,
 * and after close until the final callback has run (checked between single
 * iterations); then it returns 0 with no call to free the channel: after the
 * final callback the loop forgets it.
 */
START_TEST(test_C4_loop_free_is_ebusy_until_final_callback) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 0, rec_cb, &r);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  for (uintptr_t i = 1; i <= 3; i++)
    ck_assert_int_eq(seam_chan_send(r.chan, M(i)), 0);
  ck_assert_int_eq(seam_chan_close(r.chan), 0);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  unsigned step = 0;
  int rc = 1;
  while (r.finals == 0) {
    ck_assert_uint_lt(++step, 100000);
    rc = seam_loop_run(loop, SEAM_RUN_ONCE);
    ck_assert_int_ge(rc, 0);
    if (r.finals == 0) {
      ck_assert_int_eq(rc, 1);
      ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
    }
  }
  ck_assert_int_eq(rc, 0);
  rec_check_final(&r, 3);
  th_loop_free(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * C5
 * ------------------------------------------------------------------------ */

struct late {
  seam_chan *chan;
  sem_t go1, ack1, go2, ack2;
  int rc1, rc2, rc3, rc4, release_rc;
};

static void *late_main(void *arg) {
  struct late *l = arg;
  th_sem_wait(&l->go1);
  l->rc1 = seam_chan_send(l->chan, M(50));
  l->rc2 = seam_chan_send_wait(l->chan, M(51));
  sem_post(&l->ack1);
  th_sem_wait(&l->go2);
  l->rc3 = seam_chan_send(l->chan, M(52));
  l->rc4 = seam_chan_send_wait(l->chan, M(53));
  l->release_rc = seam_chan_release(l->chan);
  sem_post(&l->ack2);
  return NULL;
}

/*
 * Phase 1, after close and before the final callback, and phase 2, after the
 * final callback (before or after the loop is freed), a producer holding an
 * acquired reference sends and gets SEAM_ECLOSED; its release is the last
 * and frees the channel (ASan and valgrind check that nothing leaks and
 * nothing is used after it is freed).
 */
static void late_run(int free_loop_first) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 1, rec_cb, &r);
  struct late l = {.chan = r.chan, .rc1 = 1, .rc2 = 1, .rc3 = 1, .rc4 = 1,
                   .release_rc = 1};
  sem_init(&l.go1, 0, 0);
  sem_init(&l.ack1, 0, 0);
  sem_init(&l.go2, 0, 0);
  sem_init(&l.ack2, 0, 0);
  ck_assert_int_eq(seam_chan_acquire(r.chan), 0);
  pthread_t t = th_thread(late_main, &l);

  ck_assert_int_eq(seam_chan_send(r.chan, M(1)), 0);
  ck_assert_int_eq(seam_chan_close(r.chan), 0);
  sem_post(&l.go1);
  th_sem_wait(&l.ack1);
  ck_assert_int_eq(l.rc1, SEAM_ECLOSED);
  ck_assert_int_eq(l.rc2, SEAM_ECLOSED);

  ck_assert_int_eq(th_run(loop), 0);
  rec_check_final(&r, 1);
  ck_assert_uint_eq(r.got[0], 1);
  if (free_loop_first)
    th_loop_free(loop);

  sem_post(&l.go2);
  th_sem_wait(&l.ack2);
  th_join(t);
  ck_assert_int_eq(l.rc3, SEAM_ECLOSED);
  ck_assert_int_eq(l.rc4, SEAM_ECLOSED);
  ck_assert_int_eq(l.release_rc, 0);
  rec_check_final(&r, 1);
  sem_destroy(&l.go1);
  sem_destroy(&l.ack1);
  sem_destroy(&l.go2);
  sem_destroy(&l.ack2);
  if (!free_loop_first)
    th_loop_free(loop);
}

/*
 * C5: a producer holding an acquired reference may send after close and
 * after the final callback (SEAM_ECLOSED), then release; the channel's
 * memory is released at that last release.
 */
START_TEST(test_C5_acquired_ref_sends_after_close_and_after_final) {
  late_run(0);
}
END_TEST

/*
 * C5 and seam_loop_free: after the final callback the loop has forgotten the
 * channel, so the loop frees although a producer still holds a reference;
 * that producer's sends keep answering SEAM_ECLOSED and its release frees
 * the channel.
 */
START_TEST(test_C5_acquired_ref_outlives_the_loop) { late_run(1); }
END_TEST

struct early {
  seam_chan *chan;
  int rc[8];
  int acquire_rc, release_rc[2];
};

static void *early_main(void *arg) {
  struct early *e = arg;
  e->acquire_rc = seam_chan_acquire(e->chan); /* already holds one */
  for (unsigned i = 0; i < 8; i++)
    e->rc[i] = seam_chan_send(e->chan, M(i + 1));
  e->release_rc[0] = seam_chan_release(e->chan);
  e->release_rc[1] = seam_chan_release(e->chan);
  return NULL;
}

/*
 * C5: references released before the final callback (a nested acquire by a
 * thread that holds one, then both releases) leave the channel working; the
 * final callback then releases its memory (ASan/valgrind: no leak).
 */
START_TEST(test_C5_release_before_final_callback) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 8, rec_cb, &r);
  struct early e = {.chan = r.chan, .acquire_rc = 1,
                    .release_rc = {1, 1}};
  ck_assert_int_eq(seam_chan_acquire(r.chan), 0);
  th_join(th_thread(early_main, &e));
  ck_assert_int_eq(e.acquire_rc, 0);
  ck_assert_int_eq(e.release_rc[0], 0);
  ck_assert_int_eq(e.release_rc[1], 0);
  for (unsigned i = 0; i < 8; i++)
    ck_assert_int_eq(e.rc[i], 0);

  r.close_after = 8;
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(r.close_rc, 0);
  for (unsigned i = 0; i < 8; i++)
    ck_assert_uint_eq(r.got[i], i + 1);
  rec_check_final(&r, 8);
  th_loop_free(loop);
}
END_TEST

struct last_in_final {
  struct rec r;
  int release_rc;
};

static void last_in_final_cb(seam_chan *chan, void *msg, void *data) {
  struct last_in_final *f = data;
  rec_cb(chan, msg, &f->r);
  if (msg == NULL)
    f->release_rc = seam_chan_release(chan);
}

/*
 * C5: the loop thread's own reference, released inside the final callback,
 * is the last one: the channel is freed then, and the loop must not touch it
 * after the callback returns (ASan/valgrind: no use after free).
 */
START_TEST(test_C5_last_release_inside_final_callback) {
  seam_loop *loop = th_loop();
  struct last_in_final f;
  rec_init(&f.r);
  f.release_rc = 1;
  f.r.chan = chan_new(loop, 0, last_in_final_cb, &f);
  ck_assert_int_eq(seam_chan_acquire(f.r.chan), 0);
  ck_assert_int_eq(seam_chan_send(f.r.chan, M(1)), 0);
  ck_assert_int_eq(seam_chan_close(f.r.chan), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(f.release_rc, 0);
  rec_check_final(&f.r, 1);
  th_loop_free(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * Liveness
 * ------------------------------------------------------------------------ */

struct live {
  struct rec r;
  sem_t running;
  unsigned k;
  int send_rc[16];
  int release_rc;
};

static void live_timer_cb(seam_timer *timer, void *data) {
  struct live *l = data;
  (void)timer;
  sem_post(&l->running);
}

static void *live_producer(void *arg) {
  struct live *l = arg;
  th_sem_wait(&l->running);
  for (unsigned i = 0; i < l->k; i++)
    l->send_rc[i] = seam_chan_send(l->r.chan, M(i + 1));
  l->release_rc = seam_chan_release(l->r.chan);
  return NULL;
}

/*
 * Liveness: an open, ref'd channel keeps seam_loop_run(DEFAULT) alive. The
 * producer starts sending only once the loop runs (a 0 ms timer tells it),
 * so the loop must stay up, idle, for the channel alone; the run returns
 * only after the consumer closed it on the K-th message and the final
 * callback ran.
 */
START_TEST(test_C6_open_refd_chan_keeps_run_alive) {
  seam_loop *loop = th_loop();
  struct live l;
  memset(&l, 0, sizeof l);
  rec_init(&l.r);
  l.k = 16;
  l.r.close_after = l.k;
  l.release_rc = 1;
  sem_init(&l.running, 0, 0);
  l.r.chan = chan_new(loop, 0, rec_cb, &l.r);
  seam_timer *timer = NULL;
  ck_assert_int_eq(seam_timer_new(loop, live_timer_cb, &l, &timer), 0);
  ck_assert_int_eq(seam_timer_start(timer, 0, 0), 0);
  ck_assert_int_eq(seam_chan_acquire(l.r.chan), 0);
  pthread_t t = th_thread(live_producer, &l);

  ck_assert_int_eq(th_run(loop), 0);
  th_join(t);
  ck_assert_int_eq(l.r.close_rc, 0);
  ck_assert_int_eq(l.release_rc, 0);
  for (unsigned i = 0; i < l.k; i++) {
    ck_assert_int_eq(l.send_rc[i], 0);
    ck_assert_uint_eq(l.r.got[i], i + 1);
  }
  rec_check_final(&l.r, l.k);
  ck_assert_int_eq(seam_timer_free(timer), 0);
  sem_destroy(&l.running);
  th_loop_free(loop);
}
END_TEST

struct keeper {
  struct rec a;       /* the unref'd channel */
  struct rec b;       /* a ref'd channel that keeps the loop alive */
};

static void keeper_a_cb(seam_chan *chan, void *msg, void *data) {
  struct keeper *k = data;
  rec_cb(chan, msg, &k->a);
  if (msg && k->a.n == 3)
    ck_assert_int_eq(seam_chan_close(k->b.chan), 0);
}

/*
 * Liveness: an unref'd open channel does not keep the loop alive (run
 * returns 0 at once), yet it is delivered while something else (here a
 * ref'd channel, closed once the messages arrived) keeps the loop running.
 */
START_TEST(test_C6_unrefd_open_chan_does_not_keep_run_alive) {
  seam_loop *loop = th_loop();
  struct keeper k;
  rec_init(&k.a);
  rec_init(&k.b);
  k.a.chan = chan_new(loop, 0, keeper_a_cb, &k);
  ck_assert_int_eq(seam_chan_unref(k.a.chan), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_uint_eq(k.a.n, 0);
  ck_assert_int_eq(k.a.finals, 0);

  k.b.chan = chan_new(loop, 0, rec_cb, &k.b);
  for (uintptr_t i = 1; i <= 3; i++)
    ck_assert_int_eq(seam_chan_send(k.a.chan, M(i)), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_uint_eq(k.a.n, 3);
  ck_assert_int_eq(k.a.finals, 0);
  rec_check_final(&k.b, 0);

  ck_assert_int_eq(seam_chan_close(k.a.chan), 0);
  ck_assert_int_eq(th_run(loop), 0);
  rec_check_final(&k.a, 3);
  th_loop_free(loop);
}
END_TEST

/*
 * Liveness: ref and unref are idempotent flags, not counters: two refs are
 * undone by one unref, two unrefs by one ref (a NOWAIT run reports whether
 * the channel keeps the loop alive).
 */
START_TEST(test_C6_ref_unref_are_idempotent) {
  seam_loop *loop = th_loop();
  struct rec r;
  rec_init(&r);
  r.chan = chan_new(loop, 0, rec_cb, &r);
  ck_assert_int_eq(seam_chan_ref(r.chan), 0);
  ck_assert_int_eq(seam_chan_ref(r.chan), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(seam_chan_unref(r.chan), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_chan_unref(r.chan), 0);
  ck_assert_int_eq(seam_chan_unref(r.chan), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(seam_chan_ref(r.chan), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(seam_chan_close(r.chan), 0);
  ck_assert_int_eq(th_run(loop), 0);
  rec_check_final(&r, 0);
  th_loop_free(loop);
}
END_TEST

/*
 * Liveness: a closed channel keeps the loop alive until its final callback
 * even when unref'd (before or after the close): DEFAULT runs return only
 * after the final callback, with every message delivered.
 */
START_TEST(test_C6_closed_chan_keeps_loop_alive_until_final_even_unrefd) {
  for (int unref_after_close = 0; unref_after_close <= 1; unref_after_close++) {
    seam_loop *loop = th_loop();
    struct rec r;
    rec_init(&r);
    r.chan = chan_new(loop, 0, rec_cb, &r);
    ck_assert_int_eq(seam_chan_send(r.chan, M(1)), 0);
    ck_assert_int_eq(seam_chan_send(r.chan, M(2)), 0);
    if (!unref_after_close)
      ck_assert_int_eq(seam_chan_unref(r.chan), 0);
    ck_assert_int_eq(seam_chan_close(r.chan), 0);
    if (unref_after_close)
      ck_assert_int_eq(seam_chan_unref(r.chan), 0);
    ck_assert_int_eq(th_run(loop), 0);
    ck_assert_uint_eq(r.got[0], 1);
    ck_assert_uint_eq(r.got[1], 2);
    rec_check_final(&r, 2);
    th_loop_free(loop);
  }
}
END_TEST

/* ------------------------------------------------------------------------
 * Stress
 * ------------------------------------------------------------------------ */

/*
 * Stress (C1, C2): 4 producers x 250,000 messages (scaled) through a channel
 * of capacity 1024 with send_wait: exactly once, per-producer order.
 */
START_TEST(test_C7_stress_four_producers_capacity_1024_send_wait) {
  mp_run(4, th_scaled(250000), 1024, 0xf, 0);
}
END_TEST

/*
 * Stress (C4, C5): a close racing with producers. Four producers, holding
 * acquired references, send until SEAM_ECLOSED (two with send_wait, two with
 * send, retrying on SEAM_EAGAIN) through a channel of capacity 64; the loop
 * closes it after a number of deliveries. Everything accepted is delivered
 * (accepted == delivered, per producer and in order), the final callback
 * runs once, after all of it, and the producers then release.
 */
START_TEST(test_C7_stress_close_races_with_producers) {
  mp_run(4, 0, 64, 0x3, th_scaled(50000));
}
END_TEST

void seam_test_add_chan(Suite *s) {
  TCase *tc = th_tcase(s, "chan_C1");
  tcase_add_test(tc, test_C1_exactly_once_on_loop_thread_per_producer_fifo);
  tcase_add_test(tc, test_C1_exactly_once_bounded_send_and_send_wait);
  tcase_add_test(tc, test_C1_never_delivered_inside_send_send_wait_or_close);
  tcase_add_test(tc, test_C1_send_and_close_inside_callback_do_not_reenter);

  tc = th_tcase(s, "chan_C2");
  tcase_add_test(tc, test_C2_capacity_is_exact_then_room_after_delivery);
  tcase_add_test(tc, test_C2_send_wait_blocks_while_full_and_proceeds_on_room);
  tcase_add_test(tc, test_C2_send_wait_on_loop_thread_is_edeadlk);
  tcase_add_test(tc, test_C2_send_null_msg_is_einval);
  tcase_add_test(tc, test_C2_null_chan_is_einval_everywhere);
  tcase_add_test(tc, test_C2_chan_new_bad_arguments_are_einval);
  tcase_add_test(tc, test_C2_loop_thread_only_functions_off_thread_are_ethread);

  tc = th_tcase(s, "chan_C3");
  tcase_add_test(tc, test_C3_timer_fires_during_a_burst_of_a_million);

  tc = th_tcase(s, "chan_C4");
  tcase_add_test(tc, test_C4_send_and_send_wait_after_close_are_eclosed);
  tcase_add_test(tc, test_C4_blocked_send_wait_wakes_with_eclosed_on_close);
  tcase_add_test(tc, test_C4_accepted_messages_then_exactly_one_final_callback);
  tcase_add_test(tc, test_C4_close_twice_is_eclosed);
  tcase_add_test(tc, test_C4_loop_free_is_ebusy_until_final_callback);

  tc = th_tcase(s, "chan_C5");
  tcase_add_test(tc, test_C5_acquired_ref_sends_after_close_and_after_final);
  tcase_add_test(tc, test_C5_acquired_ref_outlives_the_loop);
  tcase_add_test(tc, test_C5_release_before_final_callback);
  tcase_add_test(tc, test_C5_last_release_inside_final_callback);

  tc = th_tcase(s, "chan_liveness");
  tcase_add_test(tc, test_C6_open_refd_chan_keeps_run_alive);
  tcase_add_test(tc, test_C6_unrefd_open_chan_does_not_keep_run_alive);
  tcase_add_test(tc, test_C6_ref_unref_are_idempotent);
  tcase_add_test(tc, test_C6_closed_chan_keeps_loop_alive_until_final_even_unrefd);

  tc = th_tcase(s, "chan_stress");
  tcase_add_test(tc, test_C7_stress_four_producers_capacity_1024_send_wait);
  tcase_add_test(tc, test_C7_stress_close_races_with_producers);
}
