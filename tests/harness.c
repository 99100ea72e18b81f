/* harness.c - shared helpers of the conformance suite (see harness.h). */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

unsigned long th_scaled(unsigned long n) {
  const char *s = getenv("SEAM_TEST_SCALE");
  unsigned long pct = s && *s ? strtoul(s, NULL, 10) : 100;
  unsigned long r = n * pct / 100;
  return r ? r : 1;
}

void th_sem_wait(sem_t *s) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += TH_WATCHDOG_S;
  int r;
  while ((r = sem_timedwait(s, &ts)) != 0 && errno == EINTR)
    ;
  ck_assert_msg(r == 0, "watchdog: waited %d s for an event", TH_WATCHDOG_S);
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

struct watchdog {
  seam_loop *loop;
  sem_t done;
  int fired;
};

static void *watchdog_main(void *arg) {
  struct watchdog *w = arg;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += TH_WATCHDOG_S;
  int r;
  while ((r = sem_timedwait(&w->done, &ts)) != 0 && errno == EINTR)
    ;
  if (r != 0) {
    w->fired = 1;
    seam_loop_stop(w->loop);
  }
  return NULL;
}

int th_run(seam_loop *loop) {
  struct watchdog w = {.loop = loop};
  sem_init(&w.done, 0, 0);
  pthread_t t = th_thread(watchdog_main, &w);
  int r = seam_loop_run(loop, SEAM_RUN_DEFAULT);
  sem_post(&w.done);
  th_join(t);
  sem_destroy(&w.done);
  ck_assert_msg(!w.fired, "watchdog: the loop ran for %d s", TH_WATCHDOG_S);
  return r;
}

TCase *th_tcase(Suite *s, const char *name) {
  TCase *tc = tcase_create(name);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return tc;
}
