/*
 * pool.c - the process-wide thread pool: one FIFO queue of jobs under one
 * lock, and worker threads that run them and hand each finished job to its
 * loop (seam__job_complete). It starts at the first submit and is stopped and
 * joined when the last loop is freed (seam__pool_stop, under the global lock,
 * which also serialises starting).
 *
 * Lock order: the global lock may be held while taking the pool's lock,
 * never the reverse. A worker holds the pool's lock only to pop a job and to
 * mark the previous one DONE, both in one acquisition.
 */
#include <signal.h>
#include <stdlib.h>

#include "internal.h"

#define DEFAULT_SIZE 4
#define MAX_SIZE 1024

/* Adaptive: the lock is held for a few instructions at a time, by the loop
 * thread and every worker, so a short spin beats sleeping in the kernel. */
static pthread_mutex_t mu = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct seam__queue queue = {&queue, &queue};
static unsigned idle;  /* workers waiting on more */
static int stopping;

/* Under the global lock (started is also read without it, see queue()). */
static atomic_int started;
static pthread_t *threads;
static unsigned nthreads;
static unsigned configured; /* seam_pool_set_size(), 0 if never called */

static unsigned clamp(unsigned long n) {
  return n < 1 ? 1 : n > MAX_SIZE ? MAX_SIZE : (unsigned)n;
}

/* The size the pool will start with. Under the global lock. */
static unsigned wanted_size(void) {
  if (configured)
    return configured;
  const char *env = getenv("SEAM_THREADPOOL_SIZE");
  char *end;
  if (env == NULL || *env == '\0')
    return DEFAULT_SIZE;
  unsigned long n = strtoul(env, &end, 10);
  return *end == '\0' ? clamp(n) : DEFAULT_SIZE;
}

static void *worker(void *arg) {
  (void)arg;
  seam_job *finished = NULL;
  pthread_mutex_lock(&mu);
  for (;;) {
    if (finished)
      finished->state = SEAM__DONE;
    seam_job *job = NULL;
    if (!seam__queue_empty(&queue)) {
      job = seam__container_of(seam__queue_head(&queue), seam_job, queued);
      seam__queue_remove(&job->queued);
      job->state = SEAM__RUNNING;
    } else if (finished == NULL) {
      if (stopping)
        break;
      idle++;
      pthread_cond_wait(&more, &mu);
      idle--;
      continue;
    }
    pthread_mutex_unlock(&mu);
    if (finished)
      seam__job_complete(finished);
    finished = job;
    if (job)
      job->status = job->work(job, job->data);
    pthread_mutex_lock(&mu);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

/* Joins the first n threads after telling them to stop. */
static void join(unsigned n) {
  pthread_mutex_lock(&mu);
  stopping = 1;
  pthread_cond_broadcast(&more);
  pthread_mutex_unlock(&mu);
  for (unsigned i = 0; i < n; i++)
    pthread_join(threads[i], NULL);
  stopping = 0;
  free(threads);
  threads = NULL;
  nthreads = 0;
}

/* Under the global lock. */
static int start(void) {
  unsigned n = wanted_size();
  threads = calloc(n, sizeof(*threads));
  if (threads == NULL)
    return SEAM_ENOMEM;
  /* Workers must not take the process's signals (SIGINT and the like). */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  unsigned i;
  for (i = 0; i < n; i++)
    if (pthread_create(&threads[i], NULL, worker, NULL) != 0)
      break;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (i < n) {
    join(i);
    return SEAM_ENOMEM;
  }
  nthreads = n;
  atomic_store_explicit(&started, 1, memory_order_release);
  return 0;
}

void seam__pool_stop(void) {
  if (!atomic_load_explicit(&started, memory_order_relaxed))
    return;
  join(nthreads);
  atomic_store_explicit(&started, 0, memory_order_relaxed);
}

int seam__pool_queue(seam_job *job) {
  /* A loop exists (the job's), so a started pool cannot be stopped now. */
  if (!atomic_load_explicit(&started, memory_order_acquire)) {
    seam__global_lock();
    int err = atomic_load(&started) ? 0 : start();
    seam__global_unlock();
    if (err)
      return err;
  }
  seam_loop *loop = job->loop;
  /*
   * During a pass (done callbacks resubmitting, a timer submitting a batch)
   * the job waits on the loop's list, in order, for seam__pool_flush() at the
   * pass's end: one lock acquisition and one round of wakeups for all of
   * them. It is QUEUED already: no worker can see it, and cancel, on this
   * thread, unlinks it from whichever list holds it.
   */
  if (loop->dispatching) {
    job->state = SEAM__QUEUED;
    seam__queue_push(&loop->submitted, &job->queued);
    return 0;
  }
  pthread_mutex_lock(&mu);
  job->state = SEAM__QUEUED;
  seam__queue_push(&queue, &job->queued);
  if (idle)
    pthread_cond_signal(&more);
  pthread_mutex_unlock(&mu);
  return 0;
}

void seam__pool_flush(seam_loop *loop) {
  if (seam__queue_empty(&loop->submitted))
    return;
  pthread_mutex_lock(&mu);
  seam__queue_splice(&queue, &loop->submitted);
  if (idle)
    pthread_cond_broadcast(&more);
  pthread_mutex_unlock(&mu);
}

int seam__pool_cancel(seam_job *job) {
  int r;
  pthread_mutex_lock(&mu);
  if (atomic_load_explicit(&job->cancel, memory_order_relaxed)) {
    r = SEAM_EALREADY;
  } else {
    atomic_store(&job->cancel, 1);
    r = SEAM_EBUSY;
    if (job->state == SEAM__QUEUED) {
      seam__queue_remove(&job->queued);
      job->status = SEAM_ECANCELED;
      job->state = SEAM__DONE;
      r = 0;
    }
  }
  pthread_mutex_unlock(&mu);
  if (r == 0)
    seam__job_complete(job);
  return r;
}

int seam_pool_size(void) {
  seam__global_lock();
  unsigned n = atomic_load(&started) ? nthreads : wanted_size();
  seam__global_unlock();
  return (int)n;
}

int seam_pool_set_size(unsigned n) {
  int r = 0;
  seam__global_lock();
  if (atomic_load(&started))
    r = SEAM_EBUSY;
  else
    configured = clamp(n);
  seam__global_unlock();
  return r;
}
