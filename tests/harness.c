/* harness.c - shared helpers of the conformance suite (see harness.h). */
#include "harness.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

unsigned long th_scaled(unsigned long n) {
  const char *s = getenv("SEAM_TEST_SCALE");
  unsigned long pct = s && *s ? strtoul(s, NULL, 10) : 100;
  unsigned long r = n * pct / 100;
  return r ? r : 1;
}

int th_wait(sem_t *s) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += TH_WATCHDOG_S;
  int r;
  while ((r = sem_timedwait(s, &ts)) != 0 && errno == EINTR)
    ;
  return r == 0 ? 0 : -1;
}

void th_sem_wait(sem_t *s) {
  ck_assert_msg(th_wait(s) == 0, "watchdog: waited %d s for an event",
                TH_WATCHDOG_S);
}

pthread_t th_thread(void *(*fn)(void *), void *arg) {
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, fn, arg), 0);
  return t;
}

void th_join(pthread_t t) { ck_assert_int_eq(pthread_join(t, NULL), 0); }

seam_loop *th_loop(void) {
  seam_loop *loop = NULL;
  ck_assert_int_eq(seam_loop_new(&loop), 0);
  ck_assert_ptr_nonnull(loop);
  return loop;
}

void th_loop_free(seam_loop *loop) { ck_assert_int_eq(seam_loop_free(loop), 0); }

/* A helper thread that stops the loop if the caller's run outlives the
 * watchdog; the run's caller then fails the test. */
struct watchdog {
  seam_loop *loop;
  sem_t done;
  atomic_int fired;
  pthread_t thread;
};

static void *watchdog_main(void *arg) {
  struct watchdog *w = arg;
  if (th_wait(&w->done) != 0) {
    atomic_store(&w->fired, 1);
    seam_loop_stop(w->loop);
  }
  return NULL;
}

static void watchdog_start(struct watchdog *w, seam_loop *loop) {
  w->loop = loop;
  atomic_init(&w->fired, 0);
  sem_init(&w->done, 0, 0);
  w->thread = th_thread(watchdog_main, w);
}

static void watchdog_end(struct watchdog *w, const char *what) {
  sem_post(&w->done);
  th_join(w->thread);
  sem_destroy(&w->done);
  ck_assert_msg(!atomic_load(&w->fired), "watchdog: %s went on for %d s",
                what, TH_WATCHDOG_S);
}

int th_run_mode(seam_loop *loop, seam_run_mode mode) {
  struct watchdog w;
  watchdog_start(&w, loop);
  int r = seam_loop_run(loop, mode);
  watchdog_end(&w, "the run");
  return r;
}

int th_run(seam_loop *loop) { return th_run_mode(loop, SEAM_RUN_DEFAULT); }

void th_host_run(seam_loop *loop, void *native) {
  struct watchdog w;
  watchdog_start(&w, loop);
  th_native_run(native);
  watchdog_end(&w, "the host's run");
}

TCase *th_tcase(Suite *s, const char *name) {
  TCase *tc = tcase_create(name);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return tc;
}
