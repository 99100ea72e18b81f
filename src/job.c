/*
 * job.c - jobs: reusable objects whose work runs on the pool (pool.c) and
 * whose done runs on the loop thread. Finished runs come back through a
 * lock-free stack per loop and one signal: a batch of completions costs one
 * wakeup, and done runs in completion order.
 */
#include <stdlib.h>

#include "internal.h"

void seam__job_complete(seam_job *job) {
  seam_loop *loop = job->loop;
  /*
   * Once the job is on the stack, the loop thread may run its done, and the
   * user may free the job and then the loop, while this thread still has to
   * signal the loop. seam_loop_free() waits for this count to drop to zero;
   * the release push below makes the increment visible to any thread that
   * has seen the job.
   */
  atomic_fetch_add_explicit(&loop->completing, 1, memory_order_relaxed);
  seam_job *head = atomic_load_explicit(&loop->completed, memory_order_relaxed);
  do
    job->completed = head;
  while (!atomic_compare_exchange_weak_explicit(&loop->completed, &head, job,
                                                memory_order_release,
                                                memory_order_relaxed));
  /* A non-empty stack has been signalled and not yet taken: the taking will
   * include this job. */
  if (head == NULL)
    seam__signal_send(loop, &loop->completions);
  atomic_fetch_sub_explicit(&loop->completing, 1, memory_order_release);
}

void seam__jobs_completed(struct seam__signal *signal) {
  seam_loop *loop = seam__container_of(signal, seam_loop, completions);
  seam__signal_clear(signal);
  seam_job *job =
      atomic_exchange_explicit(&loop->completed, NULL, memory_order_acquire);
  seam_job *fifo = NULL;
  int n = 0;
  while (job) {
    seam_job *next = job->completed;
    job->completed = fifo;
    fifo = job;
    job = next;
    n++;
  }
  while (fifo) {
    /* done may free the job or submit it again: read it all first. */
    job = fifo;
    fifo = job->completed;
    job->in_flight = 0;
    job->done(job, job->status, job->data);
  }
  seam__alive(loop, -n);
}

int seam_job_new(seam_loop *loop, seam_work_cb work, seam_done_cb done,
                 void *data, seam_job **job) {
  if (loop == NULL || work == NULL || done == NULL || job == NULL)
    return SEAM_EINVAL;
  if (!seam__on_loop_thread(loop))
    return SEAM_ETHREAD;
  seam_job *j = calloc(1, sizeof(*j));
  if (j == NULL)
    return SEAM_ENOMEM;
  j->loop = loop;
  j->work = work;
  j->done = done;
  j->data = data;
  seam__queue_init(&j->queued);
  atomic_init(&j->cancel, 0);
  loop->handles++;
  *job = j;
  return 0;
}

/* Validates a loop-thread job call: SEAM_EINVAL, SEAM_ETHREAD or 0. */
static int check(const seam_job *job) {
  if (job == NULL)
    return SEAM_EINVAL;
  return seam__on_loop_thread(job->loop) ? 0 : SEAM_ETHREAD;
}

int seam_job_submit(seam_job *job) {
  int err = check(job);
  if (err)
    return err;
  if (job->in_flight)
    return SEAM_EBUSY;
  atomic_store_explicit(&job->cancel, 0, memory_order_relaxed);
  err = seam__pool_queue(job);
  if (err)
    return err;
  job->in_flight = 1;
  seam__alive(job->loop, 1);
  return 0;
}

int seam_job_cancel(seam_job *job) {
  int err = check(job);
  if (err)
    return err;
  return job->in_flight ? seam__pool_cancel(job) : SEAM_ENOENT;
}

int seam_job_cancelled(const seam_job *job) {
  if (job == NULL)
    return SEAM_EINVAL;
  return atomic_load_explicit(&job->cancel, memory_order_acquire);
}

int seam_job_free(seam_job *job) {
  int err = check(job);
  if (err)
    return err;
  if (job->in_flight)
    return SEAM_EBUSY;
  job->loop->handles--;
  free(job);
  return 0;
}
