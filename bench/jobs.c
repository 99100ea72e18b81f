/*
 * jobs.c - thread-pool throughput: n trivial jobs (work increments an
 * atomic, done counts) submitted from the loop thread, either all at once
 * (window 0; their n job objects are made before the clock starts) or
 * keeping window jobs in flight, each done resubmitting its job until n runs
 * were submitted. The pool is started by one job run before the clock
 * starts. Reports "Mjobs/s", from the first submit to the last done.
 *
 * Variants: seam (seam_job_submit), native (uv_queue_work, libuv only),
 * raw (a mutex+condvar FIFO and workers that push finished jobs on a
 * lock-free stack, waking the loop's eventfd only when it was empty: one
 * wakeup for a batch of completions). threads sets the pool size (0: the
 * library's default; raw then uses seam's).
 *
 * Verified: work ran n times, done n times, each job's done exactly as many
 * times as it was submitted, every status 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "seam.h"

struct slot {
  struct jb *jb;
  void *job;       /* the variant's job object */
  long submitted;  /* runs submitted (loop thread) */
  long completed;  /* runs done (loop thread) */
};

struct jb {
  long n;
  long window;
  long submitted; /* loop thread */
  long done;      /* loop thread */
  atomic_long worked;
  int bad_status;
  uint64_t t0, t1;
  struct slot *slots;
  long nslots;
};

static void on_work(struct slot *s) {
  atomic_fetch_add_explicit(&s->jb->worked, 1, memory_order_relaxed);
}

/* done's bookkeeping: returns 1 if the slot's job must be submitted again. */
static int on_done(struct slot *s, int status) {
  struct jb *jb = s->jb;
  s->completed++;
  if (status != 0)
    jb->bad_status = 1;
  if (++jb->done == jb->n)
    jb->t1 = bench_now_ns();
  if (jb->window == 0 || jb->submitted == jb->n)
    return 0;
  jb->submitted++;
  s->submitted++;
  return 1;
}

/* Submits the first runs: every slot once. */
static void submit_all(struct jb *jb, void (*submit)(struct slot *s)) {
  jb->t0 = bench_now_ns();
  for (long i = 0; i < jb->nslots; i++) {
    jb->slots[i].submitted++;
    jb->submitted++;
    submit(&jb->slots[i]);
  }
}

/* ---- seam ---- */

static int seam_work(seam_job *job, void *data) {
  (void)job;
  on_work(data);
  return 0;
}

static void seam_done(seam_job *job, int status, void *data) {
  if (on_done(data, status) && seam_job_submit(job) != 0)
    bench_fail("seam_job_submit failed");
}

static int warm_work(seam_job *job, void *data) {
  (void)job;
  (void)data;
  return 0;
}

static void warm_done(seam_job *job, int status, void *data) {
  (void)status;
  (void)data;
  seam_job_free(job);
}

static void seam_submit(struct slot *s) {
  if (seam_job_submit(s->job) != 0)
    bench_fail("seam_job_submit failed");
}

static void run_seam(struct jb *jb, int threads) {
  seam_loop *loop;
  if (threads > 0 && seam_pool_set_size((unsigned)threads) != 0)
    bench_fail("seam_pool_set_size failed");
  seam_job *warm;
  if (seam_loop_new(&loop) != 0 ||
      seam_job_new(loop, warm_work, warm_done, NULL, &warm) != 0 ||
      seam_job_submit(warm) != 0 || seam_loop_run(loop, SEAM_RUN_DEFAULT))
    bench_fail("seam: the warm-up job failed");
  for (long i = 0; i < jb->nslots; i++) {
    seam_job *job;
    if (seam_job_new(loop, seam_work, seam_done, &jb->slots[i], &job) != 0)
      bench_fail("seam_job_new failed");
    jb->slots[i].job = job;
  }
  submit_all(jb, seam_submit);
  if (seam_loop_run(loop, SEAM_RUN_DEFAULT) != 0)
    bench_fail("seam_loop_run did not finish");
  for (long i = 0; i < jb->nslots; i++)
    if (seam_job_free(jb->slots[i].job) != 0)
      bench_fail("seam_job_free failed");
  if (seam_loop_free(loop) != 0)
    bench_fail("seam_loop_free failed");
}

/* ---- native ---- */

static void native_work(struct nb_work *work, void *arg) {
  (void)work;
  on_work(arg);
}

static void native_done(struct nb_work *work, void *arg) {
  if (on_done(arg, 0))
    nb_work_submit(work);
}

static void native_warm(struct nb_work *work, void *arg) {
  (void)work;
  (void)arg;
}

static void native_submit(struct slot *s) { nb_work_submit(s->job); }

static void run_native(struct jb *jb, int threads) {
  if (threads > 0)
    nb_pool_set_size(threads);
  struct nb_loop *loop = nb_loop_new();
  struct nb_work *warm = nb_work_new(loop, native_warm, native_warm, NULL);
  nb_work_submit(warm);
  nb_loop_run(loop);
  nb_work_free(warm);
  for (long i = 0; i < jb->nslots; i++)
    jb->slots[i].job =
        nb_work_new(loop, native_work, native_done, &jb->slots[i]);
  submit_all(jb, native_submit);
  nb_loop_run(loop);
  for (long i = 0; i < jb->nslots; i++)
    nb_work_free(jb->slots[i].job);
  nb_loop_free(loop);
}

/* ---- raw: mutex+condvar pool, batched completions ---- */

struct raw_job {
  struct raw_job *next; /* in the queue, then on the completed stack */
  struct slot *slot;
};

struct raw_pool {
  pthread_mutex_t mu;
  pthread_cond_t more;
  struct raw_job *head, *tail; /* FIFO, under mu */
  unsigned idle;               /* under mu */
  int stopping;                /* under mu */
  _Atomic(struct raw_job *) completed;
  struct bench_efd efd;
};

static struct raw_pool raw;

static void raw_submit(struct slot *s) {
  struct raw_job *job = s->job;
  job->next = NULL;
  pthread_mutex_lock(&raw.mu);
  if (raw.tail)
    raw.tail->next = job;
  else
    raw.head = job;
  raw.tail = job;
  if (raw.idle)
    pthread_cond_signal(&raw.more);
  pthread_mutex_unlock(&raw.mu);
}

static void *raw_worker(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&raw.mu);
    while (raw.head == NULL && !raw.stopping) {
      raw.idle++;
      pthread_cond_wait(&raw.more, &raw.mu);
      raw.idle--;
    }
    struct raw_job *job = raw.head;
    if (job == NULL) {
      pthread_mutex_unlock(&raw.mu);
      return NULL;
    }
    raw.head = job->next;
    if (raw.head == NULL)
      raw.tail = NULL;
    pthread_mutex_unlock(&raw.mu);
    on_work(job->slot);
    struct raw_job *top =
        atomic_load_explicit(&raw.completed, memory_order_relaxed);
    do
      job->next = top;
    while (!atomic_compare_exchange_weak_explicit(
        &raw.completed, &top, job, memory_order_release, memory_order_relaxed));
    if (top == NULL)
      bench_efd_signal(&raw.efd);
  }
}

static void run_raw(struct jb *jb, int threads) {
  if (threads <= 0)
    threads = seam_pool_size();
  pthread_mutex_init(&raw.mu, NULL);
  pthread_cond_init(&raw.more, NULL);
  atomic_init(&raw.completed, NULL);
  bench_efd_open(&raw.efd);
  void **workers = calloc((size_t)threads, sizeof(*workers));
  struct raw_job *jobs = calloc((size_t)jb->nslots, sizeof(*jobs));
  if (workers == NULL || jobs == NULL)
    bench_fail("out of memory");
  for (long i = 0; i < jb->nslots; i++) {
    jobs[i].slot = &jb->slots[i];
    jb->slots[i].job = &jobs[i];
  }
  for (int i = 0; i < threads; i++)
    workers[i] = bench_thread(raw_worker, NULL);
  submit_all(jb, raw_submit);
  while (jb->done < jb->n) {
    bench_efd_wait(&raw.efd);
    struct raw_job *job =
        atomic_exchange_explicit(&raw.completed, NULL, memory_order_acquire);
    struct raw_job *fifo = NULL;
    while (job) {
      struct raw_job *next = job->next;
      job->next = fifo;
      fifo = job;
      job = next;
    }
    while (fifo) {
      job = fifo;
      fifo = job->next;
      if (on_done(job->slot, 0))
        raw_submit(job->slot);
    }
  }
  pthread_mutex_lock(&raw.mu);
  raw.stopping = 1;
  pthread_cond_broadcast(&raw.more);
  pthread_mutex_unlock(&raw.mu);
  for (int i = 0; i < threads; i++)
    bench_join(workers[i]);
  free(workers);
  free(jobs);
  bench_efd_close(&raw.efd);
}

int bench_jobs(const struct bench_args *args) {
  struct jb jb;
  memset(&jb, 0, sizeof(jb));
  jb.n = args->n;
  jb.window = args->window < args->n ? args->window : 0;
  jb.nslots = jb.window ? jb.window : jb.n;
  atomic_init(&jb.worked, 0);
  jb.slots = calloc((size_t)jb.nslots, sizeof(*jb.slots));
  if (jb.slots == NULL)
    bench_fail("out of memory");
  for (long i = 0; i < jb.nslots; i++)
    jb.slots[i].jb = &jb;
  if (strcmp(args->variant, "seam") == 0)
    run_seam(&jb, args->threads);
  else if (strcmp(args->variant, "native") == 0 && nb_pool_available())
    run_native(&jb, args->threads);
  else if (strcmp(args->variant, "raw") == 0)
    run_raw(&jb, args->threads);
  else
    return 2;
  long worked = atomic_load(&jb.worked);
  if (jb.done != jb.n || worked != jb.n || jb.submitted != jb.n ||
      jb.bad_status)
    bench_fail("jobs: %ld submitted, %ld worked, %ld done, want %ld%s",
               jb.submitted, worked, jb.done, jb.n,
               jb.bad_status ? ", bad status" : "");
  for (long i = 0; i < jb.nslots; i++)
    if (jb.slots[i].completed != jb.slots[i].submitted)
      bench_fail("jobs: job %ld was submitted %ld times, done %ld", i,
                 jb.slots[i].submitted, jb.slots[i].completed);
  free(jb.slots);
  bench_report("Mjobs/s", (double)jb.n * 1e3 / (double)(jb.t1 - jb.t0));
  return 0;
}
