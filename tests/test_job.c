/*
 * test_job.c - conformance tests for thread-pool jobs and cancellation:
 * statements J1-J12, the loop-thread-only rule (L6) and seam_loop_free's rule
 * (L4) as they apply to jobs, and the stress test of 100,000 jobs with random
 * cancels.
 *
 * How a test holds a job in a given state without sleeping:
 *  - running: its work posts a "started" semaphore, then waits on a "release"
 *    semaphore that the test posts once it has looked.
 *  - queued: the pool has one thread (seam_pool_set_size(1)) and a blocker
 *    job is parked in the running state; jobs submitted after it stay queued.
 *  - done pending (work returned, done not yet called): with a pool of one
 *    thread, a probe job is submitted after the job; once the probe's work has
 *    started, the single worker has finished the job's work, and its done
 *    cannot run before the test runs the loop.
 *
 * Code on pool threads never calls ck_assert (Check's failure path is not
 * thread-safe, and longjmps when CK_FORK=no): works record what they see in
 * atomics and the test asserts on the loop thread. A wait on a pool thread
 * gives up after the watchdog and counts in tj_stuck, which tj_end checks.
 *
 * The pool is process-global and lives while any loop exists. Every test
 * frees all of its loops, so the pool is stopped between tests whether Check
 * forks (the default) or not (CK_FORK=no, as under valgrind); a test that
 * depends on the pool's size sets it first, and tj_end sets it back to the
 * default 4 for the tests that follow. The J5 tests check that the pool
 * stops with the last loop and that a later loop starts a fresh one. The
 * size that comes from SEAM_THREADPOOL_SIZE or the default can only be seen
 * in a process that never called seam_pool_set_size: those checks run in a
 * forked child, and their TCase is registered first.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* ------------------------------------------------------------------------
 * Shared helpers
 * ------------------------------------------------------------------------ */

/* Waits on pool threads that hit the watchdog (each one is a failure). */
static atomic_int tj_stuck;

/* Like th_sem_wait, for pool threads: returns -1 instead of asserting. */
static int tj_wait(sem_t *s) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += TH_WATCHDOG_S;
  int r;
  while ((r = sem_timedwait(s, &ts)) != 0 && errno == EINTR)
    ;
  if (r != 0) {
    atomic_fetch_add(&tj_stuck, 1);
    return -1;
  }
  return 0;
}

/* The order in which works started, by job id (J4, J7, J11). */
#define TJ_ORDER_MAX 64
static struct {
  atomic_int n;
  atomic_int ids[TJ_ORDER_MAX];
} tj_order;

static void tj_setup(void) {
  atomic_store(&tj_stuck, 0);
  atomic_store(&tj_order.n, 0);
}

static void tj_order_is(const int *want, int n) {
  ck_assert_int_eq(atomic_load(&tj_order.n), n);
  for (int i = 0; i < n; i++) {
    int got = atomic_load(&tj_order.ids[i]);
    ck_assert_msg(got == want[i], "start #%d was job %d, expected job %d", i,
                  got, want[i]);
  }
}

/*
 * Nonzero while the test is inside seam_job_submit or seam_job_cancel on the
 * loop thread: a done that finds it set ran inside one of them (J2).
 */
static int tj_in_call;

static int tj_submit(seam_job *job) {
  tj_in_call++;
  int r = seam_job_submit(job);
  tj_in_call--;
  return r;
}

static int tj_cancel(seam_job *job) {
  tj_in_call++;
  int r = seam_job_cancel(job);
  tj_in_call--;
  return r;
}

/*
 * A test job. The test sets the behaviour fields before a submit (the submit
 * publishes them to the pool thread); work and done record what they see.
 */
struct tj {
  int id;
  int ret;           /* work returns this ... */
  int ret_cancelled; /* ... or this if seam_job_cancelled() was 1 at its end */
  sem_t *started;    /* if set, work posts it first */
  sem_t *release;    /* if set, work then waits on it */
  void (*on_done)(struct tj *t, seam_job *job, int status);
  void *ctx;
  pthread_t loop_thread;
  seam_job *job;
  /* written by work */
  atomic_int works, work_on_loop, cancelled_at_start, cancelled_at_end;
  /* loop thread only */
  int dones, status, ecanceled, done_off_loop, done_in_call;
  int limit, bad, r1, r2, r3;
};

static int tj_work(seam_job *job, void *data) {
  struct tj *t = data;
  atomic_fetch_add(&t->works, 1);
  if (pthread_equal(pthread_self(), t->loop_thread))
    atomic_fetch_add(&t->work_on_loop, 1);
  atomic_store(&t->cancelled_at_start, seam_job_cancelled(job));
  int i = atomic_fetch_add(&tj_order.n, 1);
  if (i < TJ_ORDER_MAX)
    atomic_store(&tj_order.ids[i], t->id);
  if (t->started)
    sem_post(t->started);
  if (t->release)
    tj_wait(t->release);
  int c = seam_job_cancelled(job);
  atomic_store(&t->cancelled_at_end, c);
  return c == 1 ? t->ret_cancelled : t->ret;
}

static void tj_done(seam_job *job, int status, void *data) {
  struct tj *t = data;
  t->dones++;
  t->status = status;
  if (status == SEAM_ECANCELED)
    t->ecanceled++;
  if (!pthread_equal(pthread_self(), t->loop_thread))
    t->done_off_loop++;
  if (tj_in_call)
    t->done_in_call++;
  if (t->on_done)
    t->on_done(t, job, status);
}

/* Makes t an idle job of loop (created on the calling thread, the loop's). */
static void tj_init(struct tj *t, seam_loop *loop, int id, int ret) {
  memset(t, 0, sizeof *t);
  t->id = id;
  t->ret = ret;
  t->ret_cancelled = ret;
  t->loop_thread = pthread_self();
  atomic_init(&t->works, 0);
  atomic_init(&t->work_on_loop, 0);
  atomic_init(&t->cancelled_at_start, -1);
  atomic_init(&t->cancelled_at_end, -1);
  ck_assert_int_eq(seam_job_new(loop, tj_work, tj_done, t, &t->job), 0);
  ck_assert_ptr_nonnull(t->job);
}

static void tj_free(struct tj *t) {
  ck_assert_int_eq(seam_job_free(t->job), 0);
  t->job = NULL;
}

/* Work ran `works` times and done `dones` times, each on the right thread. */
static void tj_ran(const struct tj *t, int works, int dones) {
  ck_assert_msg(atomic_load(&t->works) == works,
                "job %d: work ran %d times, expected %d", t->id,
                atomic_load(&t->works), works);
  ck_assert_msg(t->dones == dones, "job %d: done ran %d times, expected %d",
                t->id, t->dones, dones);
  ck_assert_msg(atomic_load(&t->work_on_loop) == 0,
                "job %d: work ran on the loop thread", t->id);
  ck_assert_msg(t->done_off_loop == 0, "job %d: done ran off the loop thread",
                t->id);
  ck_assert_msg(t->done_in_call == 0,
                "job %d: done ran inside seam_job_submit or seam_job_cancel",
                t->id);
}

/* Sets the pool's size; no loop exists, so the pool is stopped. */
static void tj_pool(unsigned n) {
  int r = seam_pool_set_size(n);
  ck_assert_msg(r == 0, "seam_pool_set_size(%u) returned %s: the pool is "
                "still running, so some loop is still alive (with CK_FORK=no, "
                "one that an earlier failed test did not free)", n,
                seam_err_name(r));
  ck_assert_int_eq(seam_pool_size(), (int)n);
}

/*
 * Submits blocker t and waits until its work runs: one pool thread is then
 * parked until *release is posted (with a pool of one, jobs submitted next
 * stay queued).
 */
static void tj_park(struct tj *t, sem_t *started, sem_t *release) {
  t->started = started;
  t->release = release;
  ck_assert_int_eq(tj_submit(t->job), 0);
  th_sem_wait(started);
}

/*
 * With a pool of one thread: submits probe and waits until its work starts.
 * Every job submitted before it has then had its work return, and its done
 * stays pending until the loop runs.
 */
static void tj_probe(struct tj *probe, sem_t *started) {
  probe->started = started;
  probe->release = NULL;
  ck_assert_int_eq(tj_submit(probe->job), 0);
  th_sem_wait(started);
}

/*
 * Ends a test: no pool thread hit its watchdog and the loop frees (nothing of
 * it left). The pool has stopped with the last loop (the J5 tests check it),
 * so the default size 4 is restored for the tests that follow when
 * CK_FORK=no; that fails only if some other loop is still alive.
 */
static void tj_end(seam_loop *loop) {
  ck_assert_int_eq(atomic_load(&tj_stuck), 0);
  th_loop_free(loop);
  (void)seam_pool_set_size(4);
}

static void tj_post_cb(seam_timer *timer, void *data) {
  (void)timer;
  sem_post(data);
}

/* An unref'd timer of loop that posts sem in the loop's first iteration. */
static seam_timer *tj_poster(seam_loop *loop, sem_t *sem) {
  seam_timer *timer = NULL;
  ck_assert_int_eq(seam_timer_new(loop, tj_post_cb, sem, &timer), 0);
  ck_assert_int_eq(seam_timer_start(timer, 0, 0), 0);
  ck_assert_int_eq(seam_timer_unref(timer), 0);
  return timer;
}

/* ------------------------------------------------------------------------
 * J5 helpers: exactly P at once, forked children, thread counting
 * ------------------------------------------------------------------------ */

struct tj_par {
  atomic_int running, max, started_n;
  sem_t started, release;
};

struct tj_pj {
  struct tj_par *par;
  seam_job *job;
  int id, dones, status;
};

static int tj_par_work(seam_job *job, void *data) {
  struct tj_pj *j = data;
  struct tj_par *p = j->par;
  (void)job;
  int now = atomic_fetch_add(&p->running, 1) + 1;
  int m = atomic_load(&p->max);
  while (now > m && !atomic_compare_exchange_weak(&p->max, &m, now))
    ;
  atomic_fetch_add(&p->started_n, 1);
  sem_post(&p->started);
  tj_wait(&p->release);
  atomic_fetch_sub(&p->running, 1);
  return j->id;
}

static void tj_par_done(seam_job *job, int status, void *data) {
  struct tj_pj *j = data;
  (void)job;
  j->dones++;
  j->status = status;
}

#define TJ_FAIL(code)                                                         \
  do {                                                                        \
    if (!err)                                                                 \
      err = (code);                                                           \
  } while (0)

/*
 * J5: with a pool of p threads, p + 1 jobs that block until released: p
 * start, the last stays queued until one returns, and never more than p run
 * at once. Uses no ck_assert, so that forked children can call it: returns 0
 * or the number of the first check that failed.
 */
static int tj_exactly_p(seam_loop *loop, int p, int (*run)(seam_loop *)) {
  struct tj_par par;
  int n = p + 1, err = 0, i;
  struct tj_pj *js = calloc((size_t)n, sizeof *js);
  if (!js)
    return 1;
  atomic_init(&par.running, 0);
  atomic_init(&par.max, 0);
  atomic_init(&par.started_n, 0);
  sem_init(&par.started, 0, 0);
  sem_init(&par.release, 0, 0);
  for (i = 0; i < n; i++) {
    js[i].par = &par;
    js[i].id = 1000 + i;
    if (seam_job_new(loop, tj_par_work, tj_par_done, &js[i], &js[i].job)) {
      TJ_FAIL(2);
      n = i;
      break;
    }
  }
  for (i = 0; i < n; i++) {
    if (seam_job_submit(js[i].job) != 0)
      TJ_FAIL(3);
    if (i == 0 && seam_pool_size() != p)
      TJ_FAIL(4); /* the size the pool started with */
  }
  for (i = 0; i < p && !err; i++)
    if (tj_wait(&par.started) != 0)
      TJ_FAIL(5); /* fewer than p run at once */
  /* p works are parked: the last job must not have started */
  if (atomic_load(&par.started_n) != p)
    TJ_FAIL(6);
  if (atomic_load(&par.running) != p)
    TJ_FAIL(7);
  for (i = 0; i < n; i++)
    sem_post(&par.release);
  if (run(loop) != 0)
    TJ_FAIL(8);
  for (i = 0; i < n; i++)
    if (js[i].dones != 1 || js[i].status != js[i].id)
      TJ_FAIL(9);
  if (atomic_load(&par.max) != p)
    TJ_FAIL(10);
  if (atomic_load(&par.started_n) != n)
    TJ_FAIL(11);
  for (i = 0; i < n; i++)
    if (seam_job_free(js[i].job) != 0)
      TJ_FAIL(12);
  sem_destroy(&par.started);
  sem_destroy(&par.release);
  free(js);
  return err;
}

static int tj_run_plain(seam_loop *loop) {
  return seam_loop_run(loop, SEAM_RUN_DEFAULT);
}

/* What a forked child sets SEAM_THREADPOOL_SIZE to, and what it expects. */
struct tj_env_case {
  const char *value; /* NULL: unset */
  int before;        /* seam_pool_size() before the pool starts; 0: skip */
  int started;       /* the size the pool starts with; 0: do not start it */
};

static int tj_env_child(const struct tj_env_case *c) {
  /* Watchdog: a pool that an earlier failed test left running (CK_FORK=no)
   * is inherited without its threads, and the child's jobs would never run;
   * SIGALRM ends the child instead (the parent reports 200 + 14). */
  alarm(3 * TH_WATCHDOG_S);
  int r = c->value ? setenv("SEAM_THREADPOOL_SIZE", c->value, 1)
                   : unsetenv("SEAM_THREADPOOL_SIZE");
  if (r != 0)
    return 100;
  if (c->before && seam_pool_size() != c->before)
    return 101;
  if (!c->started)
    return 0;
  seam_loop *loop = NULL;
  if (seam_loop_new(&loop) != 0)
    return 102;
  r = tj_exactly_p(loop, c->started, tj_run_plain);
  if (r == 0 && seam_pool_size() != c->started)
    r = 103;
  if (seam_loop_free(loop) != 0 && r == 0)
    r = 104;
  return r;
}

/*
 * Runs c in a forked child, which has never called seam_pool_set_size when
 * this TCase runs first, and returns its exit status (200 + signal if it was
 * killed). The child leaves the parent's environment alone and exits through
 * exit() so that the leak checkers look at it too.
 */
static int tj_in_child(const struct tj_env_case *c) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    exit(tj_env_child(c));
  int st = 0;
  pid_t w;
  while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
    ;
  ck_assert_int_eq(w, pid);
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  return 200 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void *tj_noop(void *arg) { return arg; }

/* The threads of this process, as the kernel lists them. */
static int tj_thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n;
}

/*
 * The thread count once it is back to base, or the count after a second.
 * Not a synchronization (seam_loop_free has already joined the pool): the
 * kernel wakes a joiner an instant before it unlists the exited task from
 * /proc, and this allows that instant.
 */
static int tj_threads_back_to(int base) {
  int n = tj_thread_count();
  for (int i = 0; i < 1000 && n != base; i++) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
    n = tj_thread_count();
  }
  return n;
}

/* ------------------------------------------------------------------------
 * J1
 * ------------------------------------------------------------------------ */

/* J1: NULL loop, work, done or out-pointer gives SEAM_EINVAL and creates no
 * job (the loop still frees); every job function refuses a NULL job. */
START_TEST(test_J1_null_arguments_einval) {
  seam_loop *loop = th_loop();
  seam_job *job = NULL;
  ck_assert_int_eq(seam_job_new(NULL, tj_work, tj_done, NULL, &job),
                   SEAM_EINVAL);
  ck_assert_int_eq(seam_job_new(loop, NULL, tj_done, NULL, &job), SEAM_EINVAL);
  ck_assert_int_eq(seam_job_new(loop, tj_work, NULL, NULL, &job), SEAM_EINVAL);
  ck_assert_int_eq(seam_job_new(loop, NULL, NULL, NULL, &job), SEAM_EINVAL);
  ck_assert_int_eq(seam_job_new(loop, tj_work, tj_done, NULL, NULL),
                   SEAM_EINVAL);
  ck_assert_ptr_null(job);
  ck_assert_int_eq(seam_job_submit(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_job_cancel(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_job_free(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_job_cancelled(NULL), SEAM_EINVAL);
  /* data may be NULL */
  ck_assert_int_eq(seam_job_new(loop, tj_work, tj_done, NULL, &job), 0);
  ck_assert_ptr_nonnull(job);
  ck_assert_int_eq(seam_job_free(job), 0);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * J2
 * ------------------------------------------------------------------------ */

/* J2: each submit runs work once on a pool thread (never the loop thread)
 * and done once on the loop thread; a job is reusable, round after round. */
START_TEST(test_J2_work_on_pool_thread_done_on_loop_thread_once_each) {
  seam_loop *loop = th_loop();
  struct tj t[3];
  for (int i = 0; i < 3; i++)
    tj_init(&t[i], loop, i, 10 + i);
  for (int round = 1; round <= 5; round++) {
    for (int i = 0; i < 3; i++)
      ck_assert_int_eq(tj_submit(t[i].job), 0);
    ck_assert_int_eq(th_run(loop), 0);
    for (int i = 0; i < 3; i++) {
      tj_ran(&t[i], round, round);
      ck_assert_int_eq(t[i].status, 10 + i);
    }
  }
  for (int i = 0; i < 3; i++)
    tj_free(&t[i]);
  tj_end(loop);
}
END_TEST

static void tj_resubmit_and_cancel(struct tj *t, seam_job *job, int status) {
  (void)status;
  if (t->dones >= t->limit)
    return;
  if (tj_submit(job) != 0)
    t->bad++;
  if (t->dones % 2) {
    int r = tj_cancel(job);
    if (r != 0 && r != SEAM_EBUSY)
      t->bad++;
  }
}

/* J2: done never runs inside seam_job_submit or seam_job_cancel, even when
 * the job's completion is ready (work returned) at the time of the call, and
 * when they are called from inside done. */
START_TEST(test_J2_done_never_inside_submit_or_cancel) {
  seam_loop *loop = th_loop();
  sem_t started;
  sem_init(&started, 0, 0);
  struct tj a, b, c;
  tj_init(&a, loop, 1, 1);
  tj_init(&b, loop, 2, 2);
  tj_init(&c, loop, 3, 3);
  a.started = &started;
  ck_assert_int_eq(tj_submit(a.job), 0);
  th_sem_wait(&started); /* a is running or its done is pending */
  ck_assert_int_eq(tj_cancel(a.job), SEAM_EBUSY);
  ck_assert_int_eq(tj_submit(b.job), 0);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_EALREADY);
  ck_assert_int_eq(a.dones, 0);
  ck_assert_int_eq(b.dones, 0);
  /* c submits (and every other time cancels) itself from its done */
  c.limit = 8;
  c.on_done = tj_resubmit_and_cancel;
  ck_assert_int_eq(tj_submit(c.job), 0);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 1, 1);
  tj_ran(&b, 1, 1);
  ck_assert_int_eq(c.bad, 0);
  tj_ran(&c, atomic_load(&c.works), 8);
  ck_assert_int_eq(atomic_load(&c.works) + c.ecanceled, 8);
  tj_free(&a);
  tj_free(&b);
  tj_free(&c);
  sem_destroy(&started);
  tj_end(loop);
}
END_TEST

/* J2: submitting a job in flight returns SEAM_EBUSY, whether queued, running
 * or done pending (precise reading), and adds no run; once done has run the
 * job can be submitted again. */
START_TEST(test_J2_submit_in_flight_ebusy) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr, ps;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  sem_init(&ps, 0, 0);
  struct tj x, a, probe;
  tj_init(&x, loop, 100, 7);
  tj_init(&a, loop, 1, 8);
  tj_init(&probe, loop, 99, 0);
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(tj_submit(x.job), SEAM_EBUSY); /* running */
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(tj_submit(a.job), SEAM_EBUSY); /* queued */
  sem_post(&xr);
  tj_probe(&probe, &ps);
  ck_assert_int_eq(tj_submit(a.job), SEAM_EBUSY); /* done pending */
  ck_assert_int_eq(tj_submit(x.job), SEAM_EBUSY); /* done pending */
  ck_assert_int_eq(a.dones, 0);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&x, 1, 1);
  tj_ran(&a, 1, 1);
  ck_assert_int_eq(x.status, 7);
  ck_assert_int_eq(a.status, 8);
  /* idle again: a new run */
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 2, 2);
  tj_free(&x);
  tj_free(&a);
  tj_free(&probe);
  sem_destroy(&xs);
  sem_destroy(&xr);
  sem_destroy(&ps);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * J3
 * ------------------------------------------------------------------------ */

/* J3: when work ran, done's status is exactly what work returned, whatever
 * the value (zero, positive, negative, extremes, even a SEAM_E* code). */
START_TEST(test_J3_status_is_work_return_value) {
  static const int values[] = {42, 0, 1, -1, -7, INT_MAX, INT_MIN, SEAM_EBUSY};
  enum { N = sizeof values / sizeof values[0] };
  seam_loop *loop = th_loop();
  struct tj t[N];
  for (int i = 0; i < N; i++) {
    tj_init(&t[i], loop, i, values[i]);
    ck_assert_int_eq(tj_submit(t[i].job), 0);
  }
  ck_assert_int_eq(th_run(loop), 0);
  for (int i = 0; i < N; i++) {
    tj_ran(&t[i], 1, 1);
    ck_assert_int_eq(t[i].status, values[i]);
    tj_free(&t[i]);
  }
  tj_end(loop);
}
END_TEST

/* J3: SEAM_ECANCELED if and only if work did not run: a queued job
 * cancelled gets it, a running job cancelled gets work's return value. */
START_TEST(test_J3_status_ecanceled_iff_work_not_run) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  struct tj x, a, b;
  tj_init(&x, loop, 100, 5);
  x.ret_cancelled = -5;
  tj_init(&a, loop, 1, 6);
  tj_init(&b, loop, 2, -6);
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(tj_submit(b.job), 0);
  ck_assert_int_eq(tj_cancel(a.job), 0);          /* queued */
  ck_assert_int_eq(tj_cancel(x.job), SEAM_EBUSY); /* running */
  sem_post(&xr);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&x, 1, 1);
  ck_assert_int_eq(x.status, -5); /* work ran (and saw the request) */
  tj_ran(&a, 0, 1);
  ck_assert_int_eq(a.status, SEAM_ECANCELED);
  tj_ran(&b, 1, 1);
  ck_assert_int_eq(b.status, -6);
  tj_free(&x);
  tj_free(&a);
  tj_free(&b);
  sem_destroy(&xs);
  sem_destroy(&xr);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * J4
 * ------------------------------------------------------------------------ */

/* J4: with a pool of one thread, works start in submission order. */
START_TEST(test_J4_start_order_equals_submit_order) {
  enum { N = 16 };
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  struct tj x, t[N];
  tj_init(&x, loop, 100, 0);
  for (int i = 0; i < N; i++)
    tj_init(&t[i], loop, i, i);
  tj_park(&x, &xs, &xr);
  for (int i = 0; i < N; i++)
    ck_assert_int_eq(tj_submit(t[i].job), 0);
  sem_post(&xr);
  ck_assert_int_eq(th_run(loop), 0);
  int want[N + 1] = {100};
  for (int i = 0; i < N; i++)
    want[i + 1] = i;
  tj_order_is(want, N + 1);
  for (int i = 0; i < N; i++) {
    tj_ran(&t[i], 1, 1);
    tj_free(&t[i]);
  }
  tj_free(&x);
  sem_destroy(&xs);
  sem_destroy(&xr);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * J5: size from the environment (forked children; this TCase runs first)
 * ------------------------------------------------------------------------ */

/* J5: without SEAM_THREADPOOL_SIZE and seam_pool_set_size the pool has 4
 * threads: seam_pool_size() says so before and after the start, and exactly
 * 4 blocking works run at once. */
START_TEST(test_J5_default_size_4) {
  struct tj_env_case c = {NULL, 4, 4};
  int r = tj_in_child(&c);
  ck_assert_msg(r == 0, "default pool size: child failed at check %d", r);
}
END_TEST

/* J5: SEAM_THREADPOOL_SIZE set before the first submit sizes the pool. */
START_TEST(test_J5_env_size_honoured) {
  struct tj_env_case c = {"3", 3, 3};
  int r = tj_in_child(&c);
  ck_assert_msg(r == 0, "SEAM_THREADPOOL_SIZE=3: child failed at check %d", r);
}
END_TEST

/* J5: SEAM_THREADPOOL_SIZE is clamped to [1, 1024]: "0" gives a pool of 1
 * (started and checked), "99999" reports 1024 (not started: 1024 threads is
 * too many for valgrind). */
START_TEST(test_J5_env_size_clamped) {
  struct tj_env_case zero = {"0", 1, 1};
  int r = tj_in_child(&zero);
  ck_assert_msg(r == 0, "SEAM_THREADPOOL_SIZE=0: child failed at check %d", r);
  struct tj_env_case huge = {"99999", 1024, 0};
  r = tj_in_child(&huge);
  ck_assert_msg(r == 0, "SEAM_THREADPOOL_SIZE=99999: child failed at check %d",
                r);
}
END_TEST

/* ------------------------------------------------------------------------
 * J5: explicit sizes, concurrency, restart, threads
 * ------------------------------------------------------------------------ */

/* J5: seam_pool_set_size clamps to [1, 1024]: 0 becomes 1, 5000 becomes
 * 1024 (nothing is started). */
START_TEST(test_J5_set_size_clamped) {
  ck_assert_int_eq(seam_pool_set_size(0), 0);
  ck_assert_int_eq(seam_pool_size(), 1);
  ck_assert_int_eq(seam_pool_set_size(5000), 0);
  ck_assert_int_eq(seam_pool_size(), 1024);
  ck_assert_int_eq(seam_pool_set_size(1024), 0);
  ck_assert_int_eq(seam_pool_size(), 1024);
  ck_assert_int_eq(seam_pool_set_size(1), 0);
  ck_assert_int_eq(seam_pool_size(), 1);
  ck_assert_int_eq(seam_pool_set_size(4), 0);
  ck_assert_int_eq(seam_pool_size(), 4);
}
END_TEST

/* J5: seam_pool_set_size wins over SEAM_THREADPOOL_SIZE: with the variable
 * at 2 and the size set to 3, the pool starts with 3 threads. */
START_TEST(test_J5_set_size_wins_over_env) {
  const char *old = getenv("SEAM_THREADPOOL_SIZE");
  char *saved = old ? strdup(old) : NULL;
  ck_assert_int_eq(setenv("SEAM_THREADPOOL_SIZE", "2", 1), 0);
  tj_pool(3);
  seam_loop *loop = th_loop();
  int r = tj_exactly_p(loop, 3, th_run);
  ck_assert_msg(r == 0, "pool of 3 failed at check %d", r);
  ck_assert_int_eq(seam_pool_size(), 3);
  tj_end(loop);
  if (saved)
    ck_assert_int_eq(setenv("SEAM_THREADPOOL_SIZE", saved, 1), 0);
  else
    ck_assert_int_eq(unsetenv("SEAM_THREADPOOL_SIZE"), 0);
  free(saved);
}
END_TEST

/* J5: with size P and P + 1 blocking jobs, exactly P run at once. */
START_TEST(test_J5_exactly_p_run_at_once) {
  tj_pool(3);
  seam_loop *loop = th_loop();
  int r = tj_exactly_p(loop, 3, th_run);
  ck_assert_msg(r == 0, "pool of 3 failed at check %d", r);
  tj_end(loop);
}
END_TEST

/* J5: once the pool has started, seam_pool_set_size returns SEAM_EBUSY and
 * changes nothing, while work runs and after (the loop still exists). */
START_TEST(test_J5_resize_after_start_ebusy) {
  tj_pool(2);
  seam_loop *loop = th_loop();
  sem_t xs, xr;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  struct tj x;
  tj_init(&x, loop, 100, 0);
  ck_assert_int_eq(seam_pool_set_size(3), 0); /* job exists, pool not yet */
  ck_assert_int_eq(seam_pool_set_size(2), 0);
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(seam_pool_set_size(5), SEAM_EBUSY);
  ck_assert_int_eq(seam_pool_set_size(0), SEAM_EBUSY);
  ck_assert_int_eq(seam_pool_size(), 2);
  sem_post(&xr);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&x, 1, 1);
  ck_assert_int_eq(seam_pool_set_size(5), SEAM_EBUSY);
  ck_assert_int_eq(seam_pool_size(), 2);
  tj_free(&x);
  ck_assert_int_eq(seam_pool_set_size(5), SEAM_EBUSY); /* the loop exists */
  sem_destroy(&xs);
  sem_destroy(&xr);
  tj_end(loop);
}
END_TEST

/* J5 (precise reading): after the last loop is freed, a later loop starts a
 * fresh pool, which may be resized before its first submit and really has
 * the new size. */
START_TEST(test_J5_pool_restarts_fresh_after_last_loop_freed) {
  tj_pool(2);
  seam_loop *loop = th_loop();
  int r = tj_exactly_p(loop, 2, th_run);
  ck_assert_msg(r == 0, "pool of 2 failed at check %d", r);
  ck_assert_int_eq(seam_pool_set_size(3), SEAM_EBUSY);
  ck_assert_int_eq(seam_pool_size(), 2);
  th_loop_free(loop);
  ck_assert_int_eq(seam_pool_set_size(3), 0);
  ck_assert_int_eq(seam_pool_size(), 3);
  loop = th_loop();
  r = tj_exactly_p(loop, 3, th_run);
  ck_assert_msg(r == 0, "restarted pool of 3 failed at check %d", r);
  tj_end(loop);
}
END_TEST

/* J5: the pool's threads exit when the last loop is freed: the process has
 * as many threads after seam_loop_free of the last loop as before the pool
 * started. Freeing one of two loops leaves the pool started and working. */
START_TEST(test_J5_threads_exit_when_last_loop_freed) {
  tj_pool(3);
  /* A sanitizer runtime may start a helper thread at the process's first
   * pthread_create: have that happen before counting. */
  th_join(th_thread(tj_noop, NULL));
  int base = tj_thread_count();
  ck_assert_int_gt(base, 0);
  seam_loop *a = th_loop(), *b = th_loop();
  sem_t xs, xr;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  struct tj x[3];
  for (int i = 0; i < 3; i++) {
    tj_init(&x[i], a, i, i);
    x[i].started = &xs;
    x[i].release = &xr;
    ck_assert_int_eq(tj_submit(x[i].job), 0);
  }
  for (int i = 0; i < 3; i++)
    th_sem_wait(&xs);
  ck_assert_int_ge(tj_thread_count(), base + 3);
  for (int i = 0; i < 3; i++)
    sem_post(&xr);
  ck_assert_int_eq(th_run(a), 0);
  for (int i = 0; i < 3; i++) {
    tj_ran(&x[i], 1, 1);
    tj_free(&x[i]);
  }
  th_loop_free(a);
  /* b still exists: the pool stays started and serves b's jobs */
  ck_assert_int_eq(seam_pool_set_size(2), SEAM_EBUSY);
  ck_assert_int_eq(seam_pool_size(), 3);
  struct tj y;
  tj_init(&y, b, 7, 77);
  ck_assert_int_eq(tj_submit(y.job), 0);
  ck_assert_int_eq(th_run(b), 0);
  tj_ran(&y, 1, 1);
  ck_assert_int_eq(y.status, 77);
  tj_free(&y);
  th_loop_free(b);
  int now = tj_threads_back_to(base);
  ck_assert_msg(now == base, "%d threads before the pool, %d after the last "
                "seam_loop_free", base, now);
  sem_destroy(&xs);
  sem_destroy(&xr);
  ck_assert_int_eq(atomic_load(&tj_stuck), 0);
  ck_assert_int_eq(seam_pool_set_size(4), 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * J6
 * ------------------------------------------------------------------------ */

/* J6: a job in flight keeps seam_loop_run(DEFAULT) alive until its done has
 * run, whether it is queued, running or done pending when the run starts.
 * What releases the parked work is an unref'd timer, which does not keep the
 * loop alive by itself. */
START_TEST(test_J6_job_in_flight_keeps_run_alive) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr, rel, ps;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  sem_init(&rel, 0, 0);
  sem_init(&ps, 0, 0);
  struct tj x, a, probe;
  tj_init(&x, loop, 100, 1);
  tj_init(&a, loop, 1, 2);
  tj_init(&probe, loop, 99, 0);

  /* running */
  a.release = &rel;
  ck_assert_int_eq(tj_submit(a.job), 0);
  seam_timer *timer = tj_poster(loop, &rel);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 1, 1);
  ck_assert_int_eq(a.status, 2);
  ck_assert_int_eq(seam_timer_free(timer), 0);

  /* queued behind a parked blocker */
  a.release = NULL;
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(tj_submit(a.job), 0);
  timer = tj_poster(loop, &xr);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&x, 1, 1);
  tj_ran(&a, 2, 2);
  ck_assert_int_eq(seam_timer_free(timer), 0);

  /* done pending */
  ck_assert_int_eq(tj_submit(a.job), 0);
  tj_probe(&probe, &ps);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 3, 3);
  tj_ran(&probe, 1, 1);

  tj_free(&x);
  tj_free(&a);
  tj_free(&probe);
  sem_destroy(&xs);
  sem_destroy(&xr);
  sem_destroy(&rel);
  sem_destroy(&ps);
  tj_end(loop);
}
END_TEST

/* th_native_run on a watchdog (seam_loop_stop ends the host's run too). */
static void tj_native_run(seam_loop *loop, void *native) {
  th_host_run(loop, native);
}

/* J6 (with L5): on an adopted native loop run by the host, a job in flight
 * keeps the host's own run alive: it returns only after done ran (on the
 * host's thread); then seam_loop_free succeeds and the host closes its loop
 * cleanly. */
START_TEST(test_J6_job_keeps_adopted_host_run_alive) {
  void *native = th_native_new();
  ck_assert_ptr_nonnull(native);
  seam_loop *loop = NULL;
  ck_assert_int_eq(seam_loop_adopt(native, &loop), 0);
  sem_t rel;
  sem_init(&rel, 0, 0);
  struct tj a;
  tj_init(&a, loop, 1, 31);
  a.release = &rel;
  ck_assert_int_eq(tj_submit(a.job), 0);
  seam_timer *timer = tj_poster(loop, &rel);
  tj_native_run(loop, native);
  tj_ran(&a, 1, 1);
  ck_assert_int_eq(a.status, 31);
  /* and again, with nothing but the job to hold the host's run */
  a.release = NULL;
  ck_assert_int_eq(tj_submit(a.job), 0);
  tj_native_run(loop, native);
  tj_ran(&a, 2, 2);
  ck_assert_int_eq(seam_timer_free(timer), 0);
  tj_free(&a);
  ck_assert_int_eq(atomic_load(&tj_stuck), 0);
  ck_assert_int_eq(seam_loop_free(loop), 0);
  th_native_run(native); /* lets libuv finish closing seam's handles */
  ck_assert_int_eq(th_native_free(native), 0);
  sem_destroy(&rel);
  (void)seam_pool_set_size(4);
}
END_TEST

/* ------------------------------------------------------------------------
 * J7
 * ------------------------------------------------------------------------ */

/* J7: cancelling a queued job returns 0, its work never runs, and done gets
 * SEAM_ECANCELED later, from the loop (not inside cancel); the jobs around
 * it still run in order. */
START_TEST(test_J7_cancel_queued_never_runs) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  struct tj x, a, b, c;
  tj_init(&x, loop, 100, 0);
  tj_init(&a, loop, 1, 11);
  tj_init(&b, loop, 2, 12);
  tj_init(&c, loop, 3, 13);
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(tj_submit(b.job), 0);
  ck_assert_int_eq(tj_submit(c.job), 0);
  ck_assert_int_eq(seam_job_cancelled(b.job), 0);
  ck_assert_int_eq(tj_cancel(b.job), 0);
  ck_assert_int_eq(b.dones, 0);
  ck_assert_int_eq(seam_job_cancelled(b.job), 1);
  sem_post(&xr);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 1, 1);
  tj_ran(&b, 0, 1);
  tj_ran(&c, 1, 1);
  ck_assert_int_eq(a.status, 11);
  ck_assert_int_eq(b.status, SEAM_ECANCELED);
  ck_assert_int_eq(c.status, 13);
  int want[] = {100, 1, 3};
  tj_order_is(want, 3);
  tj_free(&x);
  tj_free(&a);
  tj_free(&b);
  tj_free(&c);
  sem_destroy(&xs);
  sem_destroy(&xr);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * J8
 * ------------------------------------------------------------------------ */

/* J8: cancelling a running job returns SEAM_EBUSY; from then on
 * seam_job_cancelled() is 1, also inside work (which reads it after the
 * cancel returned); done's status is what work returned. */
START_TEST(test_J8_cancel_running_ebusy_sets_cancelled) {
  seam_loop *loop = th_loop();
  sem_t s, r;
  sem_init(&s, 0, 0);
  sem_init(&r, 0, 0);
  struct tj a;
  tj_init(&a, loop, 1, 7);
  a.ret_cancelled = 8;
  a.started = &s;
  a.release = &r;
  ck_assert_int_eq(tj_submit(a.job), 0);
  th_sem_wait(&s);
  ck_assert_int_eq(seam_job_cancelled(a.job), 0);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_EBUSY);
  ck_assert_int_eq(seam_job_cancelled(a.job), 1);
  ck_assert_int_eq(a.dones, 0);
  sem_post(&r);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 1, 1);
  ck_assert_int_eq(atomic_load(&a.cancelled_at_start), 0);
  ck_assert_int_eq(atomic_load(&a.cancelled_at_end), 1);
  ck_assert_int_eq(a.status, 8);
  tj_free(&a);
  sem_destroy(&s);
  sem_destroy(&r);
  tj_end(loop);
}
END_TEST

/* J8: seam_job_cancelled() is 0 again at the start of a fresh submit, after
 * a run cancelled while queued and after one cancelled while running. */
START_TEST(test_J8_cancelled_zero_on_fresh_submit) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  struct tj x, a;
  tj_init(&x, loop, 100, 3);
  x.ret_cancelled = 4;
  tj_init(&a, loop, 1, 5);
  a.ret_cancelled = 6;
  ck_assert_int_eq(seam_job_cancelled(a.job), 0); /* never submitted */
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(tj_cancel(a.job), 0);
  ck_assert_int_eq(tj_cancel(x.job), SEAM_EBUSY);
  sem_post(&xr);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(a.status, SEAM_ECANCELED);
  ck_assert_int_eq(x.status, 4);
  /* fresh runs of both */
  x.started = x.release = NULL;
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(seam_job_cancelled(a.job), 0);
  ck_assert_int_eq(tj_submit(x.job), 0);
  ck_assert_int_eq(seam_job_cancelled(x.job), 0);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 1, 2);
  tj_ran(&x, 2, 2);
  ck_assert_int_eq(atomic_load(&a.cancelled_at_start), 0);
  ck_assert_int_eq(atomic_load(&a.cancelled_at_end), 0);
  ck_assert_int_eq(atomic_load(&x.cancelled_at_start), 0);
  ck_assert_int_eq(atomic_load(&x.cancelled_at_end), 0);
  ck_assert_int_eq(a.status, 5);
  ck_assert_int_eq(x.status, 3);
  tj_free(&x);
  tj_free(&a);
  sem_destroy(&xs);
  sem_destroy(&xr);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * J9
 * ------------------------------------------------------------------------ */

/* J9: a second cancel while the first is pending returns SEAM_EALREADY:
 * queued (0 then EALREADY), running (EBUSY then EALREADY), and done pending
 * (EBUSY then EALREADY); none of it changes the outcome of the run. */
START_TEST(test_J9_second_cancel_ealready) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr, ps;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  sem_init(&ps, 0, 0);
  struct tj x, a, c, probe;
  tj_init(&x, loop, 100, 1);
  x.ret_cancelled = 2;
  tj_init(&a, loop, 1, 3);
  tj_init(&c, loop, 3, 9);
  tj_init(&probe, loop, 99, 0);
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(tj_cancel(a.job), 0);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_EALREADY);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_EALREADY);
  ck_assert_int_eq(tj_cancel(x.job), SEAM_EBUSY);
  ck_assert_int_eq(tj_cancel(x.job), SEAM_EALREADY);
  ck_assert_int_eq(tj_cancel(x.job), SEAM_EALREADY);
  sem_post(&xr);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 0, 1);
  ck_assert_int_eq(a.status, SEAM_ECANCELED);
  tj_ran(&x, 1, 1);
  ck_assert_int_eq(x.status, 2);
  /* done pending */
  ck_assert_int_eq(tj_submit(c.job), 0);
  tj_probe(&probe, &ps);
  ck_assert_int_eq(tj_cancel(c.job), SEAM_EBUSY);
  ck_assert_int_eq(tj_cancel(c.job), SEAM_EALREADY);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&c, 1, 1);
  ck_assert_int_eq(c.status, 9);
  tj_free(&x);
  tj_free(&a);
  tj_free(&c);
  tj_free(&probe);
  sem_destroy(&xs);
  sem_destroy(&xr);
  sem_destroy(&ps);
  tj_end(loop);
}
END_TEST

static void tj_cancel_twice_in_done(struct tj *t, seam_job *job, int status) {
  (void)status;
  t->r1 = tj_cancel(job);
  t->r2 = tj_cancel(job);
}

/* J9/J10 (libuv's double-cancel trap, PITFALLS.md): a job cancelled while
 * queued gets one SEAM_ECANCELED done; cancel inside that done, and after
 * it, returns SEAM_ENOENT; no done fires twice, the job and the pool still
 * work, and the loop frees cleanly. */
START_TEST(test_J9_cancel_after_cancelled_done_enoent) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  struct tj x, a, b;
  tj_init(&x, loop, 100, 1);
  tj_init(&a, loop, 1, 2);
  tj_init(&b, loop, 2, 3);
  a.on_done = tj_cancel_twice_in_done;
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(tj_submit(b.job), 0);
  ck_assert_int_eq(tj_cancel(a.job), 0);
  sem_post(&xr);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 0, 1);
  ck_assert_int_eq(a.status, SEAM_ECANCELED);
  ck_assert_int_eq(a.r1, SEAM_ENOENT);
  ck_assert_int_eq(a.r2, SEAM_ENOENT);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_ENOENT);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  tj_ran(&a, 0, 1);
  tj_ran(&x, 1, 1);
  tj_ran(&b, 1, 1);
  /* a and the pool still work: one more run, one more done */
  a.on_done = NULL;
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(tj_submit(b.job), 0);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 1, 2);
  tj_ran(&b, 2, 2);
  ck_assert_int_eq(a.status, 2);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_ENOENT);
  tj_free(&x);
  tj_free(&a);
  tj_free(&b);
  sem_destroy(&xs);
  sem_destroy(&xr);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * J10
 * ------------------------------------------------------------------------ */

/* J10: cancel of a job not in flight returns SEAM_ENOENT: never submitted,
 * after done ran, and from inside its own done. */
START_TEST(test_J10_cancel_not_in_flight_enoent) {
  seam_loop *loop = th_loop();
  struct tj a;
  tj_init(&a, loop, 1, 4);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_ENOENT);
  a.on_done = tj_cancel_twice_in_done;
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 1, 1);
  ck_assert_int_eq(a.status, 4);
  ck_assert_int_eq(a.r1, SEAM_ENOENT);
  ck_assert_int_eq(a.r2, SEAM_ENOENT);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_ENOENT);
  tj_free(&a);
  tj_end(loop);
}
END_TEST

/* J10 (precise reading): a job whose work returned but whose done has not
 * run is still in flight: cancel returns SEAM_EBUSY (then EALREADY), submit
 * and free SEAM_EBUSY; done gets work's return value, not SEAM_ECANCELED;
 * SEAM_ENOENT only once done has run. */
START_TEST(test_J10_cancel_done_pending_ebusy) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t ps;
  sem_init(&ps, 0, 0);
  struct tj a, probe;
  tj_init(&a, loop, 1, 5);
  a.ret_cancelled = 6;
  tj_init(&probe, loop, 99, 0);
  ck_assert_int_eq(tj_submit(a.job), 0);
  tj_probe(&probe, &ps);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_EBUSY);
  ck_assert_int_eq(seam_job_cancelled(a.job), 1);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_EALREADY);
  ck_assert_int_eq(tj_submit(a.job), SEAM_EBUSY);
  ck_assert_int_eq(seam_job_free(a.job), SEAM_EBUSY);
  ck_assert_int_eq(a.dones, 0);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 1, 1);
  ck_assert_int_eq(atomic_load(&a.cancelled_at_end), 0);
  ck_assert_int_eq(a.status, 5);
  ck_assert_int_eq(tj_cancel(a.job), SEAM_ENOENT);
  tj_free(&a);
  tj_free(&probe);
  sem_destroy(&ps);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * J11
 * ------------------------------------------------------------------------ */

static void tj_tail_done(struct tj *t, seam_job *job, int status) {
  (void)status;
  if (t->dones == 1) {
    t->r1 = tj_submit(job);
    sem_post(t->ctx);
  }
}

/* J11: submit from inside done queues the job again at the tail. Pool of
 * one: x parked, then a, y, b queued; y stays parked until a's done has
 * resubmitted a, so b is still queued then: starts are x, a, y, b, a. */
START_TEST(test_J11_submit_from_done_queues_at_tail) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr, yr;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  sem_init(&yr, 0, 0);
  struct tj x, a, y, b;
  tj_init(&x, loop, 100, 0);
  tj_init(&a, loop, 1, 1);
  tj_init(&y, loop, 101, 0);
  tj_init(&b, loop, 2, 2);
  a.on_done = tj_tail_done;
  a.ctx = &yr;
  y.release = &yr;
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(tj_submit(y.job), 0);
  ck_assert_int_eq(tj_submit(b.job), 0);
  sem_post(&xr);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(a.r1, 0);
  int want[] = {100, 1, 101, 2, 1};
  tj_order_is(want, 5);
  tj_ran(&a, 2, 2);
  tj_ran(&b, 1, 1);
  tj_ran(&x, 1, 1);
  tj_ran(&y, 1, 1);
  tj_free(&x);
  tj_free(&a);
  tj_free(&y);
  tj_free(&b);
  sem_destroy(&xs);
  sem_destroy(&xr);
  sem_destroy(&yr);
  tj_end(loop);
}
END_TEST

/* The online-backup shape: each run copies a few pages and says whether
 * more remain; done resubmits until finished, stopped or cancelled. */
enum { TJ_MORE = 1, TJ_FINISHED = 2, TJ_STOPPED = 3, TJ_PAGES = 5 };

enum tj_inc_mode {
  TJ_INC_FULL,           /* runs every step */
  TJ_INC_CANCEL_RUNNING, /* cancelled midway from an async callback */
  TJ_INC_CANCEL_QUEUED   /* cancelled midway from a timer callback */
};

struct tj_inc {
  enum tj_inc_mode mode;
  unsigned long steps, cancel_at;
  seam_job *job; /* NULL once done freed it */
  seam_async *async;
  seam_timer *timer;
  struct tj blocker; /* queued mode: holds the single worker */
  sem_t cancel_issued, blocker_release;
  atomic_ulong works, pages;
  /* loop thread only */
  unsigned long dones, resubmits;
  int cancel_result, final_status, stop_requested, bad;
};

static int tj_inc_work(seam_job *job, void *data) {
  struct tj_inc *c = data;
  unsigned long step = atomic_fetch_add(&c->works, 1) + 1;
  atomic_fetch_add(&c->pages, TJ_PAGES);
  if (c->mode == TJ_INC_CANCEL_RUNNING && step == c->cancel_at) {
    seam_async_send(c->async); /* ask the loop to cancel this run */
    tj_wait(&c->cancel_issued);
  }
  if (seam_job_cancelled(job) == 1)
    return TJ_STOPPED;
  return step < c->steps ? TJ_MORE : TJ_FINISHED;
}

static void tj_inc_cancel(struct tj_inc *c) {
  c->stop_requested = 1;
  c->cancel_result = tj_cancel(c->job);
}

static void tj_inc_async_cb(seam_async *async, void *data) {
  struct tj_inc *c = data;
  (void)async;
  tj_inc_cancel(c);
  sem_post(&c->cancel_issued);
}

static void tj_inc_timer_cb(seam_timer *timer, void *data) {
  struct tj_inc *c = data;
  (void)timer;
  tj_inc_cancel(c);
  sem_post(&c->blocker_release);
}

static void tj_inc_done(seam_job *job, int status, void *data) {
  struct tj_inc *c = data;
  c->dones++;
  if (status == TJ_MORE && !c->stop_requested) {
    if (c->mode == TJ_INC_CANCEL_QUEUED && c->dones == c->cancel_at) {
      /* park the single worker so that the next step stays queued */
      if (tj_submit(c->blocker.job) != 0)
        c->bad++;
      if (seam_timer_start(c->timer, 0, 0) != 0)
        c->bad++;
    }
    if (tj_submit(job) != 0)
      c->bad++;
    else
      c->resubmits++;
    return;
  }
  c->final_status = status;
  if (seam_job_free(job) != 0)
    c->bad++;
  else
    c->job = NULL;
}

static void tj_incremental(enum tj_inc_mode mode) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  struct tj_inc *c = calloc(1, sizeof *c);
  ck_assert_ptr_nonnull(c);
  c->mode = mode;
  c->steps = th_scaled(1000);
  if (c->steps < 4)
    c->steps = 4;
  c->cancel_at = c->steps / 2;
  atomic_init(&c->works, 0);
  atomic_init(&c->pages, 0);
  sem_init(&c->cancel_issued, 0, 0);
  sem_init(&c->blocker_release, 0, 0);
  ck_assert_int_eq(seam_job_new(loop, tj_inc_work, tj_inc_done, c, &c->job), 0);
  ck_assert_int_eq(seam_async_new(loop, tj_inc_async_cb, c, &c->async), 0);
  ck_assert_int_eq(seam_async_unref(c->async), 0);
  ck_assert_int_eq(seam_timer_new(loop, tj_inc_timer_cb, c, &c->timer), 0);
  tj_init(&c->blocker, loop, 77, 0);
  c->blocker.release = &c->blocker_release;

  ck_assert_int_eq(tj_submit(c->job), 0);
  ck_assert_int_eq(th_run(loop), 0);

  ck_assert_int_eq(c->bad, 0);
  ck_assert_ptr_null(c->job); /* done freed it: the job stopped */
  unsigned long works = atomic_load(&c->works);
  ck_assert_uint_eq(atomic_load(&c->pages), works * TJ_PAGES);
  switch (mode) {
  case TJ_INC_FULL:
    ck_assert_uint_eq(works, c->steps);
    ck_assert_uint_eq(c->dones, c->steps);
    ck_assert_uint_eq(c->resubmits, c->steps - 1);
    ck_assert_int_eq(c->final_status, TJ_FINISHED);
    break;
  case TJ_INC_CANCEL_RUNNING:
    ck_assert_int_eq(c->cancel_result, SEAM_EBUSY);
    ck_assert_uint_eq(works, c->cancel_at);
    ck_assert_uint_eq(c->dones, c->cancel_at);
    ck_assert_int_eq(c->final_status, TJ_STOPPED);
    break;
  case TJ_INC_CANCEL_QUEUED:
    ck_assert_int_eq(c->cancel_result, 0);
    ck_assert_uint_eq(works, c->cancel_at);
    ck_assert_uint_eq(c->dones, c->cancel_at + 1);
    ck_assert_int_eq(c->final_status, SEAM_ECANCELED);
    tj_ran(&c->blocker, 1, 1);
    break;
  }
  if (mode != TJ_INC_FULL)
    ck_assert_uint_lt(works, c->steps);
  ck_assert_int_eq(seam_async_free(c->async), 0);
  ck_assert_int_eq(seam_timer_free(c->timer), 0);
  tj_free(&c->blocker);
  sem_destroy(&c->cancel_issued);
  sem_destroy(&c->blocker_release);
  free(c);
  tj_end(loop);
}

/* J11: an incremental job resubmitted from its done 1,000 times runs every
 * step once, in order, and stops when its work says it has finished. */
START_TEST(test_J11_incremental_job_1000_steps) {
  tj_incremental(TJ_INC_FULL);
}
END_TEST

/* J11 with J8: the incremental job cancelled midway from another callback
 * while its step runs: cancel returns SEAM_EBUSY, the step sees the request
 * and returns "stopped", done stops resubmitting, the loop frees cleanly. */
START_TEST(test_J11_incremental_job_cancelled_running_stops) {
  tj_incremental(TJ_INC_CANCEL_RUNNING);
}
END_TEST

/* J11 with J7: the incremental job cancelled midway from a timer while its
 * next step is queued: cancel returns 0, that step never runs, done gets
 * SEAM_ECANCELED and stops resubmitting, the loop frees cleanly. */
START_TEST(test_J11_incremental_job_cancelled_queued_stops) {
  tj_incremental(TJ_INC_CANCEL_QUEUED);
}
END_TEST

/* ------------------------------------------------------------------------
 * J12
 * ------------------------------------------------------------------------ */

static void tj_free_in_done(struct tj *t, seam_job *job, int status) {
  (void)status;
  t->r1 = seam_job_free(job);
  if (t->r1 == 0)
    t->job = NULL;
}

static void tj_resubmit_then_free(struct tj *t, seam_job *job, int status) {
  (void)status;
  if (t->dones == 1) {
    t->r1 = tj_submit(job);
    t->r2 = seam_job_free(job); /* in flight again */
  } else {
    t->r3 = seam_job_free(job);
    if (t->r3 == 0)
      t->job = NULL;
  }
}

/* J12: done may free its own job, after a normal run, after a cancelled
 * one, and after a resubmitted run (while resubmitted, free is SEAM_EBUSY);
 * seam never touches the job afterwards (ASan and valgrind watch) and the
 * loop frees: no job is left. */
START_TEST(test_J12_done_may_free_its_job) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  struct tj x, a, b, c;
  tj_init(&x, loop, 100, 0);
  tj_init(&a, loop, 1, 1);
  tj_init(&b, loop, 2, 2);
  tj_init(&c, loop, 3, 3);
  x.on_done = a.on_done = b.on_done = tj_free_in_done;
  c.on_done = tj_resubmit_then_free;
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(tj_submit(b.job), 0);
  ck_assert_int_eq(tj_submit(c.job), 0);
  ck_assert_int_eq(tj_cancel(b.job), 0);
  sem_post(&xr);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&x, 1, 1);
  tj_ran(&a, 1, 1);
  tj_ran(&b, 0, 1);
  tj_ran(&c, 2, 2);
  ck_assert_int_eq(b.status, SEAM_ECANCELED);
  ck_assert_int_eq(x.r1, 0);
  ck_assert_int_eq(a.r1, 0);
  ck_assert_int_eq(b.r1, 0);
  ck_assert_int_eq(c.r1, 0);
  ck_assert_int_eq(c.r2, SEAM_EBUSY);
  ck_assert_int_eq(c.r3, 0);
  ck_assert_ptr_null(x.job);
  ck_assert_ptr_null(a.job);
  ck_assert_ptr_null(b.job);
  ck_assert_ptr_null(c.job);
  sem_destroy(&xs);
  sem_destroy(&xr);
  tj_end(loop);
}
END_TEST

static void tj_spin_cb(seam_timer *timer, void *data) {
  (void)data;
  seam_timer_start(timer, 0, 0); /* fires again in the next iteration */
}

static void tj_free_job_and_spinner(struct tj *t, seam_job *job, int status) {
  (void)status;
  t->r1 = seam_job_free(job);
  if (t->r1 == 0)
    t->job = NULL;
  t->r2 = seam_timer_free(t->ctx);
}

/* J12 (and L4): once done has run, the job and then its loop may be freed at
 * once; seam's pool threads touch neither afterwards. A timer re-armed at 0
 * ms keeps the loop dispatching, so the loop thread takes each completion as
 * early as it can; a second loop keeps the pool running, so no join orders
 * the pool's last touches before the frees. ASan, valgrind and TSan watch. */
START_TEST(test_J12_free_job_and_loop_right_after_done) {
  tj_pool(2);
  seam_loop *keeper = th_loop();
  unsigned long rounds = th_scaled(500);
  for (unsigned long i = 0; i < rounds; i++) {
    seam_loop *loop = th_loop();
    seam_timer *spin = NULL;
    ck_assert_int_eq(seam_timer_new(loop, tj_spin_cb, NULL, &spin), 0);
    ck_assert_int_eq(seam_timer_start(spin, 0, 0), 0);
    struct tj a;
    tj_init(&a, loop, 1, (int)i);
    a.on_done = tj_free_job_and_spinner;
    a.ctx = spin;
    ck_assert_int_eq(tj_submit(a.job), 0);
    ck_assert_int_eq(th_run(loop), 0);
    ck_assert_int_eq(a.dones, 1);
    ck_assert_int_eq(a.status, (int)i);
    ck_assert_int_eq(a.r1, 0);
    ck_assert_int_eq(a.r2, 0);
    th_loop_free(loop);
  }
  tj_end(keeper);
}
END_TEST

/* J12: seam_job_free of a job in flight returns SEAM_EBUSY (queued,
 * running, done pending) and frees nothing; it returns 0 for an idle job,
 * never submitted or after its done. */
START_TEST(test_J12_free_in_flight_ebusy) {
  tj_pool(1);
  seam_loop *loop = th_loop();
  sem_t xs, xr, ps;
  sem_init(&xs, 0, 0);
  sem_init(&xr, 0, 0);
  sem_init(&ps, 0, 0);
  struct tj x, a, idle, probe;
  tj_init(&x, loop, 100, 1);
  tj_init(&a, loop, 1, 2);
  tj_init(&idle, loop, 3, 3);
  tj_init(&probe, loop, 99, 0);
  tj_free(&idle); /* never submitted */
  tj_park(&x, &xs, &xr);
  ck_assert_int_eq(seam_job_free(x.job), SEAM_EBUSY); /* running */
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(seam_job_free(a.job), SEAM_EBUSY); /* queued */
  sem_post(&xr);
  tj_probe(&probe, &ps);
  ck_assert_int_eq(seam_job_free(a.job), SEAM_EBUSY); /* done pending */
  ck_assert_int_eq(seam_job_free(x.job), SEAM_EBUSY); /* done pending */
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&x, 1, 1);
  tj_ran(&a, 1, 1);
  ck_assert_int_eq(a.status, 2);
  tj_free(&x);
  tj_free(&a);
  tj_free(&probe);
  sem_destroy(&xs);
  sem_destroy(&xr);
  sem_destroy(&ps);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * Loop-thread-only (L6) and loop free (L4) for jobs
 * ------------------------------------------------------------------------ */

struct tj_off {
  seam_loop *loop;
  seam_job *idle, *running, *made;
  int r_new, r_submit, r_cancel_idle, r_cancel_running, r_free_idle,
      r_free_running, r_cancelled;
};

static void *tj_off_calls(void *arg) {
  struct tj_off *o = arg;
  o->r_new = seam_job_new(o->loop, tj_work, tj_done, NULL, &o->made);
  o->r_submit = seam_job_submit(o->idle);
  o->r_cancel_idle = seam_job_cancel(o->idle);
  o->r_cancel_running = seam_job_cancel(o->running);
  o->r_free_idle = seam_job_free(o->idle);
  o->r_free_running = seam_job_free(o->running);
  o->r_cancelled = seam_job_cancelled(o->running);
  return NULL;
}

static void *tj_off_cancelled(void *arg) {
  struct tj_off *o = arg;
  o->r_cancelled = seam_job_cancelled(o->running);
  return NULL;
}

/* L6 for jobs: seam_job_new, submit, cancel and free called from another
 * thread return SEAM_ETHREAD and change nothing (no job made, none queued,
 * no cancel recorded, none freed); seam_job_cancelled works from any
 * thread. */
START_TEST(test_L6_job_functions_off_loop_thread_ethread) {
  seam_loop *loop = th_loop();
  sem_t s, r;
  sem_init(&s, 0, 0);
  sem_init(&r, 0, 0);
  struct tj idle, run;
  tj_init(&idle, loop, 1, 1);
  tj_init(&run, loop, 2, 20);
  run.ret_cancelled = 21;
  run.started = &s;
  run.release = &r;
  ck_assert_int_eq(tj_submit(run.job), 0);
  th_sem_wait(&s);
  struct tj_off o = {.loop = loop, .idle = idle.job, .running = run.job};
  th_join(th_thread(tj_off_calls, &o));
  ck_assert_int_eq(o.r_new, SEAM_ETHREAD);
  ck_assert_ptr_null(o.made);
  ck_assert_int_eq(o.r_submit, SEAM_ETHREAD);
  ck_assert_int_eq(o.r_cancel_idle, SEAM_ETHREAD);
  ck_assert_int_eq(o.r_cancel_running, SEAM_ETHREAD);
  ck_assert_int_eq(o.r_free_idle, SEAM_ETHREAD);
  ck_assert_int_eq(o.r_free_running, SEAM_ETHREAD);
  ck_assert_int_eq(o.r_cancelled, 0);
  ck_assert_int_eq(seam_job_cancelled(run.job), 0);
  ck_assert_int_eq(tj_cancel(idle.job), SEAM_ENOENT); /* not submitted */
  ck_assert_int_eq(tj_cancel(run.job), SEAM_EBUSY);   /* first request */
  th_join(th_thread(tj_off_cancelled, &o));
  ck_assert_int_eq(o.r_cancelled, 1);
  sem_post(&r);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&idle, 0, 0);
  tj_ran(&run, 1, 1);
  ck_assert_int_eq(run.status, 21);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY); /* both jobs exist */
  tj_free(&idle);
  tj_free(&run);
  sem_destroy(&s);
  sem_destroy(&r);
  tj_end(loop);
}
END_TEST

/* L4 for jobs: seam_loop_free returns SEAM_EBUSY while a job of the loop
 * exists, idle or in flight, and 0 once it is freed. */
START_TEST(test_L4_loop_free_ebusy_while_job_exists) {
  seam_loop *loop = th_loop();
  struct tj a;
  tj_init(&a, loop, 1, 1);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  ck_assert_int_eq(tj_submit(a.job), 0);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  ck_assert_int_eq(th_run(loop), 0);
  tj_ran(&a, 1, 1);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  tj_free(&a);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------
 * Stress
 * ------------------------------------------------------------------------ */

#define TJS_SLOTS 64
#define TJS_NONE 1 /* no cancel requested yet for the run in flight */

struct tjs;

struct tjs_slot {
  struct tjs *s;
  seam_job *job;      /* NULL once freed */
  int expect;         /* work returns this, plus 1 if it saw a cancel */
  atomic_int ran;     /* the run's work ran (set by work) */
  atomic_int saw;     /* seam_job_cancelled() in work */
  int in_flight;      /* loop thread: submitted, done not yet called */
  int cancel_result;  /* loop thread: the run's first cancel, or TJS_NONE */
};

struct tjs {
  struct tjs_slot slot[TJS_SLOTS];
  unsigned long total, submitted, dones, ran, ecanceled;
  unsigned long cancels[4]; /* 0, EBUSY, EALREADY, ENOENT */
  uint32_t rng;
  atomic_int running, max_running, twice;
  atomic_ulong works;
  unsigned long errors;
  char first_error[256];
};

static uint32_t tjs_rand(struct tjs *s) {
  uint32_t x = s->rng; /* xorshift32, fixed seed: same cancels every run */
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return s->rng = x;
}

static void tjs_fail(struct tjs *s, const char *fmt, ...) {
  if (s->errors++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->first_error, sizeof s->first_error, fmt, ap);
    va_end(ap);
  }
}

static int tjs_work(seam_job *job, void *data) {
  struct tjs_slot *sl = data;
  struct tjs *s = sl->s;
  int now = atomic_fetch_add(&s->running, 1) + 1;
  int m = atomic_load(&s->max_running);
  while (now > m && !atomic_compare_exchange_weak(&s->max_running, &m, now))
    ;
  if (atomic_exchange(&sl->ran, 1))
    atomic_fetch_add(&s->twice, 1);
  atomic_fetch_add(&s->works, 1);
  int c = seam_job_cancelled(job);
  atomic_store(&sl->saw, c);
  atomic_fetch_sub(&s->running, 1);
  return sl->expect + c;
}

static void tjs_submit(struct tjs *s, struct tjs_slot *sl) {
  atomic_store(&sl->ran, 0);
  atomic_store(&sl->saw, 0);
  sl->expect = (int)(2 * s->submitted);
  sl->cancel_result = TJS_NONE;
  sl->in_flight = 1;
  int r = seam_job_submit(sl->job);
  if (r != 0) {
    tjs_fail(s, "submit of an idle job returned %s", seam_err_name(r));
    sl->in_flight = 0;
    return;
  }
  s->submitted++;
}

static void tjs_cancel(struct tjs *s, struct tjs_slot *sl) {
  if (!sl->job)
    return;
  int r = seam_job_cancel(sl->job);
  if (!sl->in_flight) {
    if (r != SEAM_ENOENT)
      tjs_fail(s, "cancel of an idle job returned %s", seam_err_name(r));
    s->cancels[3]++;
  } else if (sl->cancel_result != TJS_NONE) {
    if (r != SEAM_EALREADY)
      tjs_fail(s, "second cancel returned %s", seam_err_name(r));
    s->cancels[2]++;
  } else if (r == 0 || r == SEAM_EBUSY) {
    sl->cancel_result = r;
    s->cancels[r == 0 ? 0 : 1]++;
  } else {
    tjs_fail(s, "first cancel of a job in flight returned %s",
             seam_err_name(r));
  }
}

static void tjs_done(seam_job *job, int status, void *data) {
  struct tjs_slot *sl = data;
  struct tjs *s = sl->s;
  if (job != sl->job)
    tjs_fail(s, "done got another job");
  if (!sl->in_flight) {
    tjs_fail(s, "done without a run in flight (a second done?)");
    return;
  }
  sl->in_flight = 0;
  s->dones++;
  int ran = atomic_load(&sl->ran), saw = atomic_load(&sl->saw);
  if (ran) {
    s->ran++;
    if (status != sl->expect + saw)
      tjs_fail(s, "status %d, but work returned %d", status, sl->expect + saw);
    if (sl->cancel_result == 0)
      tjs_fail(s, "cancel returned 0, but work ran");
    if (saw && sl->cancel_result != SEAM_EBUSY)
      tjs_fail(s, "work saw a cancel request that was not made for its run");
  } else {
    s->ecanceled++;
    if (status != SEAM_ECANCELED)
      tjs_fail(s, "work never ran, but status %d", status);
    if (sl->cancel_result != 0)
      tjs_fail(s, "work never ran, though no cancel returned 0");
  }
  /* J10 inside its own done, also right after an ECANCELED one */
  int r = seam_job_cancel(job);
  if (r != SEAM_ENOENT)
    tjs_fail(s, "cancel inside done returned %s", seam_err_name(r));
  uint32_t x = tjs_rand(s);
  if (x % 4 == 0)
    tjs_cancel(s, &s->slot[(x >> 8) % TJS_SLOTS]);
  if (s->submitted < s->total) {
    tjs_submit(s, sl);
    if (x % 16 == 1)
      tjs_cancel(s, sl); /* most often still queued */
  } else {
    r = seam_job_free(job);
    if (r != 0)
      tjs_fail(s, "free inside done returned %s", seam_err_name(r));
    else
      sl->job = NULL;
  }
}

/* Stress (J2, J3, J5, J7-J10, J12): 100,000 runs of 64 reusable jobs on a
 * pool of 3, resubmitted from done, with cancels from the loop thread at
 * random (fixed seed) while jobs are queued or running: every done exactly
 * once; SEAM_ECANCELED exactly for the runs whose work never ran (and only
 * when a cancel returned 0); otherwise work's value; each cancel's result
 * consistent with the run's state; never more than 3 works at once. */
START_TEST(test_J13_stress_100000_jobs_random_cancels) {
  tj_pool(3);
  seam_loop *loop = th_loop();
  struct tjs *s = calloc(1, sizeof *s);
  ck_assert_ptr_nonnull(s);
  s->total = th_scaled(100000);
  s->rng = 0x9e3779b9u;
  atomic_init(&s->running, 0);
  atomic_init(&s->max_running, 0);
  atomic_init(&s->twice, 0);
  atomic_init(&s->works, 0);
  for (int i = 0; i < TJS_SLOTS; i++) {
    struct tjs_slot *sl = &s->slot[i];
    sl->s = s;
    atomic_init(&sl->ran, 0);
    atomic_init(&sl->saw, 0);
    ck_assert_int_eq(seam_job_new(loop, tjs_work, tjs_done, sl, &sl->job), 0);
  }
  for (int i = 0; i < TJS_SLOTS && s->submitted < s->total; i++)
    tjs_submit(s, &s->slot[i]);
  for (int i = 0; i < 8; i++)
    tjs_cancel(s, &s->slot[tjs_rand(s) % TJS_SLOTS]);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_msg(s->errors == 0, "%lu errors; first: %s", s->errors,
                s->first_error);
  ck_assert_int_eq(atomic_load(&s->twice), 0);
  ck_assert_uint_eq(s->submitted, s->total);
  ck_assert_uint_eq(s->dones, s->total);
  ck_assert_uint_eq(s->ran + s->ecanceled, s->total);
  ck_assert_uint_eq(atomic_load(&s->works), s->ran);
  ck_assert_int_le(atomic_load(&s->max_running), 3);
  ck_assert_int_ge(atomic_load(&s->max_running), 1);
  ck_assert_uint_gt(s->cancels[0], 0);
  for (int i = 0; i < TJS_SLOTS; i++)
    if (s->slot[i].job)
      ck_assert_int_eq(seam_job_free(s->slot[i].job), 0);
  free(s);
  tj_end(loop);
}
END_TEST

/* ------------------------------------------------------------------------ */

static TCase *tj_tcase(Suite *s, const char *name) {
  TCase *tc = th_tcase(s, name);
  tcase_add_checked_fixture(tc, tj_setup, NULL);
  return tc;
}

void seam_test_add_job(Suite *s) {
  /* first: these need a process that never called seam_pool_set_size */
  TCase *tc = tj_tcase(s, "job_J5_env");
  tcase_add_test(tc, test_J5_default_size_4);
  tcase_add_test(tc, test_J5_env_size_honoured);
  tcase_add_test(tc, test_J5_env_size_clamped);

  tcase_add_test(tj_tcase(s, "job_J1"), test_J1_null_arguments_einval);

  tc = tj_tcase(s, "job_J2");
  tcase_add_test(tc, test_J2_work_on_pool_thread_done_on_loop_thread_once_each);
  tcase_add_test(tc, test_J2_done_never_inside_submit_or_cancel);
  tcase_add_test(tc, test_J2_submit_in_flight_ebusy);

  tc = tj_tcase(s, "job_J3");
  tcase_add_test(tc, test_J3_status_is_work_return_value);
  tcase_add_test(tc, test_J3_status_ecanceled_iff_work_not_run);

  tcase_add_test(tj_tcase(s, "job_J4"), test_J4_start_order_equals_submit_order);

  tc = tj_tcase(s, "job_J5");
  tcase_add_test(tc, test_J5_set_size_clamped);
  tcase_add_test(tc, test_J5_set_size_wins_over_env);
  tcase_add_test(tc, test_J5_exactly_p_run_at_once);
  tcase_add_test(tc, test_J5_resize_after_start_ebusy);
  tcase_add_test(tc, test_J5_pool_restarts_fresh_after_last_loop_freed);
  tcase_add_test(tc, test_J5_threads_exit_when_last_loop_freed);

  tc = tj_tcase(s, "job_J6");
  tcase_add_test(tc, test_J6_job_in_flight_keeps_run_alive);
  tcase_add_test(tc, test_J6_job_keeps_adopted_host_run_alive);

  tcase_add_test(tj_tcase(s, "job_J7"), test_J7_cancel_queued_never_runs);

  tc = tj_tcase(s, "job_J8");
  tcase_add_test(tc, test_J8_cancel_running_ebusy_sets_cancelled);
  tcase_add_test(tc, test_J8_cancelled_zero_on_fresh_submit);

  tc = tj_tcase(s, "job_J9");
  tcase_add_test(tc, test_J9_second_cancel_ealready);
  tcase_add_test(tc, test_J9_cancel_after_cancelled_done_enoent);

  tc = tj_tcase(s, "job_J10");
  tcase_add_test(tc, test_J10_cancel_not_in_flight_enoent);
  tcase_add_test(tc, test_J10_cancel_done_pending_ebusy);

  tc = tj_tcase(s, "job_J11");
  tcase_add_test(tc, test_J11_submit_from_done_queues_at_tail);
  tcase_add_test(tc, test_J11_incremental_job_1000_steps);
  tcase_add_test(tc, test_J11_incremental_job_cancelled_running_stops);
  tcase_add_test(tc, test_J11_incremental_job_cancelled_queued_stops);

  tc = tj_tcase(s, "job_J12");
  tcase_add_test(tc, test_J12_done_may_free_its_job);
  tcase_add_test(tc, test_J12_free_job_and_loop_right_after_done);
  tcase_add_test(tc, test_J12_free_in_flight_ebusy);

  tc = tj_tcase(s, "job_loop_thread");
  tcase_add_test(tc, test_L6_job_functions_off_loop_thread_ethread);
  tcase_add_test(tc, test_L4_loop_free_ebusy_while_job_exists);

  tcase_add_test(tj_tcase(s, "job_stress"),
                 test_J13_stress_100000_jobs_random_cancels);
}
