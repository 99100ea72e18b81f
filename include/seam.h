/*
 * seam.h - one backend-neutral API for an event loop's asynchronous plumbing:
 * async notifiers, timers, thread-pool jobs with cancellation and a lossless
 * cross-thread channel, on libuv, libev or libevent (chosen at link time).
 *
 * Conventions that hold for every function below:
 *
 *  - Handles are opaque and allocated by the library.
 *  - Every int-returning function returns 0 on success or a negative SEAM_E*
 *    code; seam_loop_run() also returns 1 ("alive work remains").
 *  - A NULL handle, a NULL callback or a NULL out-pointer gives SEAM_EINVAL
 *    (functions that return a pointer or a number give NULL or 0 instead).
 *  - The loop thread is the thread that created or adopted the loop; it moves
 *    to the thread that calls seam_loop_run(), and, for an adopted loop run by
 *    its host, to the thread on which the host runs it. Functions are
 *    loop-thread-only unless their comment says "any thread"; called from
 *    another thread they return SEAM_ETHREAD and change nothing.
 *  - Callbacks run only on the loop thread, from the loop's dispatch, never
 *    synchronously inside the call that caused them.
 *  - Every handle belongs to one loop; the loop cannot be freed while any of
 *    its handles or jobs exists.
 */
#ifndef SEAM_H
#define SEAM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define SEAM_EXTERN __attribute__((visibility("default")))
#else
#define SEAM_EXTERN
#endif

/* ------------------------------------------------------------------------
 * Errors and identity
 * ------------------------------------------------------------------------ */

/*
 * The error table: one line per code, its name, value and message. The codes
 * are distinct negative numbers; the errno-like ones use Linux's errno values
 * so that they read naturally in a debugger.
 */
#define SEAM_ERRNO_MAP(XX)                                                    \
  XX(EINVAL, -22, "invalid argument")                                        \
  XX(ENOMEM, -12, "out of memory")                                           \
  XX(EBUSY, -16, "resource busy or in use")                                  \
  XX(ECANCELED, -125, "job cancelled before its work ran")                   \
  XX(ECLOSED, -32, "channel closed")                                         \
  XX(EAGAIN, -11, "channel full, try again")                                 \
  XX(EALREADY, -114, "cancellation already requested")                       \
  XX(ENOENT, -2, "job not in flight")                                        \
  XX(EDEADLK, -35, "blocking send on the loop's own thread would deadlock")  \
  XX(ETHREAD, -4096, "function called off the loop thread")

enum seam_errno {
#define SEAM__ERR_ENUM(name, value, msg) SEAM_##name = (value),
  SEAM_ERRNO_MAP(SEAM__ERR_ENUM)
#undef SEAM__ERR_ENUM
};

/*
 * Any thread. Returns the message for err, never NULL: an unknown code gets
 * "unknown error".
 */
SEAM_EXTERN const char *seam_strerror(int err);

/*
 * Any thread. Returns the symbolic name of err ("SEAM_EBUSY", ...), never
 * NULL: an unknown code gets "SEAM_EUNKNOWN".
 */
SEAM_EXTERN const char *seam_err_name(int err);

/*
 * Any thread. The backend this library was built for: "libuv", "libev" or
 * "libevent". Fixed for the process: a program picks its backend when it
 * links (pkg-config seam-uv, seam-ev or seam-event).
 */
SEAM_EXTERN const char *seam_backend(void);

/*
 * Any thread. The version of the native library in use at run time, as that
 * library reports it (e.g. "1.44.2" for libuv, "4.33" for libev).
 */
SEAM_EXTERN const char *seam_backend_version(void);

/* Any thread. This library's version, e.g. "0.1.0". */
SEAM_EXTERN const char *seam_version(void);

/* ------------------------------------------------------------------------
 * Loop
 * ------------------------------------------------------------------------ */

typedef struct seam_loop seam_loop;

typedef enum {
  SEAM_RUN_DEFAULT, /* run until nothing is alive or seam_loop_stop() */
  SEAM_RUN_ONCE,    /* one iteration; block for events only if alive */
  SEAM_RUN_NOWAIT   /* one iteration; never block */
} seam_run_mode;

/*
 * Creates a loop that owns a fresh native loop (uv_loop_t, struct ev_loop or
 * struct event_base) and stores it in *loop. The calling thread becomes the
 * loop thread. Returns 0, SEAM_EINVAL (loop NULL) or SEAM_ENOMEM.
 */
SEAM_EXTERN int seam_loop_new(seam_loop **loop);

/*
 * Wraps a native loop the caller already has: a uv_loop_t *, a struct
 * ev_loop * or a struct event_base *, matching seam_backend(). The native loop
 * stays the caller's: seam never closes it, and seam_loop_free() never runs,
 * stops or closes it. The host may keep running it itself (uv_run, ev_run,
 * event_base_dispatch): seam's callbacks then fire exactly as under
 * seam_loop_run(), and the host's run does not return while seam has work
 * alive. One difference: seam_loop_run() keeps the loop alive until it has
 * delivered sends made before it, also to unref'd notifiers; a host's own run
 * delivers them in its next iteration, which never comes if nothing at all
 * keeps its loop alive (seam cannot act before the host's run begins, and a
 * send may come from a signal handler, where it must not touch the native
 * loop). Likewise a host's single-iteration run (uv_run ONCE, ...) that
 * blocked until a seam timer was due fires that timer in its next iteration,
 * where seam_loop_run(SEAM_RUN_ONCE) fires it in the same call. A libevent
 * base need not have been made thread-aware
 * (evthread_use_pthreads() is not required). At most one seam loop may wrap a
 * given native loop at a time. Returns 0, SEAM_EINVAL (native or loop NULL,
 * or a native loop the backend cannot use), SEAM_EBUSY (another seam loop
 * wraps native) or SEAM_ENOMEM.
 */
SEAM_EXTERN int seam_loop_adopt(void *native, seam_loop **loop);

/*
 * Any thread. Returns the native loop (see seam_loop_adopt), or NULL for a
 * NULL loop. Use it to add native watchers beside seam's.
 */
SEAM_EXTERN void *seam_loop_native(seam_loop *loop);

/*
 * Runs the loop on the calling thread, which becomes the loop thread.
 *
 * SEAM_RUN_DEFAULT runs until nothing is alive or seam_loop_stop() is called.
 * Alive means: a ref'd async notifier, a ref'd active timer, a job in flight,
 * a ref'd open channel or a closed channel that has not yet had its final
 * callback (and, on an adopted loop, whatever the host keeps alive natively).
 * SEAM_RUN_ONCE runs one iteration, blocking for events only if something is
 * alive; SEAM_RUN_NOWAIT runs one iteration without blocking. Sends made
 * before the run (also to unref'd notifiers) are delivered by it.
 *
 * Returns 0 when nothing is alive any more, 1 when alive work remains (after
 * seam_loop_stop(), or after ONCE/NOWAIT), SEAM_EBUSY when called from inside
 * a callback of this loop (runs do not nest) or while another thread runs it,
 * SEAM_EINVAL for a bad mode.
 * Unlike other loop-thread functions it may be called from any thread while
 * the loop is not running: the caller becomes the loop thread.
 */
SEAM_EXTERN int seam_loop_run(seam_loop *loop, seam_run_mode mode);

/*
 * Any thread. Makes the current run return after the iteration in progress
 * (waking the loop if it is blocked waiting for events); the run then returns
 * 1 if alive work remains. A stop requested while the loop is not running
 * makes the next run return after its first iteration. Safe to call from a
 * seam callback. Returns 0 or SEAM_EINVAL.
 */
SEAM_EXTERN int seam_loop_stop(seam_loop *loop);

/*
 * Frees the loop. Returns SEAM_EBUSY, changing nothing, while any timer,
 * async notifier, job or channel of the loop exists (a closed channel exists
 * until its final callback has run) or while the loop is running; 0 once it
 * is freed. An owned native loop is closed; an adopted one is left to its
 * host, which can close it without leaks once it has run it one more time
 * (libuv completes closing seam's handles in that iteration). Freeing the last
 * loop of the process stops and joins the thread pool before returning.
 */
SEAM_EXTERN int seam_loop_free(seam_loop *loop);

/*
 * The loop's clock: monotonic milliseconds from an arbitrary origin, read
 * when an iteration begins dispatching and constant while its callbacks run.
 * Returns 0 for a NULL loop. Any thread may read it; only the loop thread
 * sees a value consistent with the callback it is in.
 */
SEAM_EXTERN uint64_t seam_now(seam_loop *loop);

/* ------------------------------------------------------------------------
 * Timers
 * ------------------------------------------------------------------------ */

typedef struct seam_timer seam_timer;
typedef void (*seam_timer_cb)(seam_timer *timer, void *data);

/*
 * Creates a stopped, ref'd timer that will call cb(timer, data) on the loop
 * thread. Returns 0, SEAM_EINVAL, SEAM_ETHREAD or SEAM_ENOMEM.
 */
SEAM_EXTERN int seam_timer_new(seam_loop *loop, seam_timer_cb cb, void *data,
                               seam_timer **timer);

/*
 * Starts the timer: it fires timeout_ms after the loop's clock (seam_now(),
 * refreshed first when called outside a seam callback), then every repeat_ms
 * if repeat_ms > 0. A timeout of 0 fires in the next iteration, never inside
 * this call. Starting an active timer replaces its schedule. Timers due at
 * the same time fire in the order they were started; overdue timers fire in
 * due-time order. Returns 0, SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_timer_start(seam_timer *timer, uint64_t timeout_ms,
                                 uint64_t repeat_ms);

/*
 * Stops the timer; it will not fire again until restarted, even if it was
 * already due in the iteration in progress. Stopping a stopped timer is a
 * no-op. Returns 0, SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_timer_stop(seam_timer *timer);

/*
 * ref (the default) makes an active timer keep the loop alive; unref makes it
 * fire only while something else keeps the loop running. Both are idempotent.
 * Return 0, SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_timer_ref(seam_timer *timer);
SEAM_EXTERN int seam_timer_unref(seam_timer *timer);

/*
 * Stops and frees the timer; it never fires again. A callback may free its
 * own timer. Returns 0, SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_timer_free(seam_timer *timer);

/* ------------------------------------------------------------------------
 * Async notifier
 * ------------------------------------------------------------------------ */

typedef struct seam_async seam_async;
typedef void (*seam_async_cb)(seam_async *async, void *data);

/*
 * Creates a ref'd notifier that calls cb(async, data) on the loop thread after
 * seam_async_send(). Returns 0, SEAM_EINVAL, SEAM_ETHREAD or SEAM_ENOMEM.
 */
SEAM_EXTERN int seam_async_new(seam_loop *loop, seam_async_cb cb, void *data,
                               seam_async **async);

/*
 * Any thread, and async-signal-safe. Wakes the loop, which will call the
 * callback once; sends made before the callback starts coalesce into that one
 * call, and a send made during the callback gives exactly one more call, in a
 * later iteration (after timers that are due). Whatever the sending thread
 * wrote before the send is visible to the callback. Returns 0 or SEAM_EINVAL.
 * The caller must not send concurrently with or after seam_async_free().
 */
SEAM_EXTERN int seam_async_send(seam_async *async);

/*
 * ref (the default) makes the notifier keep the loop alive; an unref'd one is
 * still delivered while something else keeps the loop running. Idempotent.
 * Return 0, SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_async_ref(seam_async *async);
SEAM_EXTERN int seam_async_unref(seam_async *async);

/*
 * Frees the notifier: once this returns the callback never runs, even if
 * sends are pending. A callback may free its own notifier. No other thread
 * may be inside seam_async_send() on it, or call it afterwards. Returns 0,
 * SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_async_free(seam_async *async);

/* ------------------------------------------------------------------------
 * Thread-pool jobs and cancellation
 * ------------------------------------------------------------------------ */

typedef struct seam_job seam_job;

/* Runs on a pool thread; its return value becomes done's status. */
typedef int (*seam_work_cb)(seam_job *job, void *data);

/* Runs on the loop thread; status is SEAM_ECANCELED if work never ran. */
typedef void (*seam_done_cb)(seam_job *job, int status, void *data);

/*
 * Creates an idle job: a reusable object that runs work(job, data) on the
 * process-wide thread pool each time it is submitted, then done(job, status,
 * data) on the loop thread. Returns 0, SEAM_EINVAL (NULL loop, work, done or
 * job), SEAM_ETHREAD or SEAM_ENOMEM.
 */
SEAM_EXTERN int seam_job_new(seam_loop *loop, seam_work_cb work,
                             seam_done_cb done, void *data, seam_job **job);

/*
 * Queues one run of the job at the tail of the pool's queue; jobs start in
 * submission order. The run is in flight (and keeps the loop alive) from this
 * call until done has been called for it: work runs at most once, on a pool
 * thread, and done exactly once, on the loop thread, never inside this call.
 * done may submit the job again (incremental work) or free it. The first
 * submit of the process starts the pool. Returns 0, SEAM_EBUSY (this job is
 * already in flight), SEAM_EINVAL, SEAM_ETHREAD or SEAM_ENOMEM (the pool's
 * threads could not be started).
 */
SEAM_EXTERN int seam_job_submit(seam_job *job);

/*
 * Requests cancellation of the run in flight.
 *  - Queued (work not started): the run is removed from the queue, work never
 *    runs, done later gets SEAM_ECANCELED; returns 0.
 *  - Work running, or returned but done not yet called: the request is
 *    recorded (seam_job_cancelled() returns 1 from now on, so work can stop
 *    early), done gets work's return value; returns SEAM_EBUSY.
 *  - A request was already made for this run: returns SEAM_EALREADY.
 *  - Not in flight (never submitted, done already called, or called from
 *    inside its own done): returns SEAM_ENOENT.
 * done never runs inside this call. Also SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_job_cancel(seam_job *job);

/*
 * Any thread (meant for work). Returns 1 once cancellation was requested for
 * the current run, 0 otherwise (a new submit starts at 0), SEAM_EINVAL for a
 * NULL job.
 */
SEAM_EXTERN int seam_job_cancelled(const seam_job *job);

/*
 * Frees an idle job (done may free its own job; seam never touches a job
 * after its done returns). Returns 0, SEAM_EBUSY while a run is in flight,
 * SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_job_free(seam_job *job);

/*
 * Any thread. The number of threads the pool has or will start with:
 * seam_pool_set_size()'s value if set, else the environment variable
 * SEAM_THREADPOOL_SIZE, else 4; always clamped to [1, 1024]. The pool starts
 * at the first submit (reading SEAM_THREADPOOL_SIZE then) and its threads are
 * joined when the last loop is freed; a later submit starts a fresh pool. The
 * pool's threads block every signal, so process-directed signals (SIGINT, ...)
 * are never handled on them.
 */
SEAM_EXTERN int seam_pool_size(void);

/*
 * Any thread. Sets the pool's size (clamped to [1, 1024]; 0 becomes 1); wins
 * over SEAM_THREADPOOL_SIZE. Returns 0, or SEAM_EBUSY (changing nothing) once
 * the pool has started.
 */
SEAM_EXTERN int seam_pool_set_size(unsigned threads);

/* ------------------------------------------------------------------------
 * Lossless channel
 * ------------------------------------------------------------------------ */

typedef struct seam_chan seam_chan;

/*
 * Runs on the loop thread once per accepted message, and once more with msg
 * NULL after the channel was closed and drained (the final callback).
 */
typedef void (*seam_chan_cb)(seam_chan *chan, void *msg, void *data);

/*
 * Creates an open, ref'd channel whose messages are delivered to cb(chan,
 * msg, data) on the loop thread: every accepted message exactly once, in
 * per-producer FIFO order, in bounded batches per iteration (so timers and
 * other handles are never starved by a burst). capacity > 0 bounds the
 * number of messages sent but not yet taken by the loop for delivery (no
 * allocation per message); 0 means unbounded. Returns 0, SEAM_EINVAL,
 * SEAM_ETHREAD or SEAM_ENOMEM.
 */
SEAM_EXTERN int seam_chan_new(seam_loop *loop, size_t capacity, seam_chan_cb cb,
                              void *data, seam_chan **chan);

/*
 * Any thread; never blocks. Returns 0 (msg accepted: it will be delivered),
 * SEAM_EAGAIN (bounded channel full), SEAM_ECLOSED (closed), SEAM_ENOMEM (an
 * unbounded channel could not grow) or SEAM_EINVAL (NULL chan or msg). The caller must hold an acquired reference, be on the
 * loop thread, or otherwise know that the final callback has not run.
 */
SEAM_EXTERN int seam_chan_send(seam_chan *chan, void *msg);

/*
 * Any thread but the loop's: like seam_chan_send() but waits while the
 * channel is full. Returns 0, SEAM_ECLOSED (closed before or while waiting;
 * msg was not accepted and still belongs to the caller), SEAM_EDEADLK (called
 * on the loop thread, always, even when there is room or the channel is
 * closed), SEAM_ENOMEM (as for send) or SEAM_EINVAL.
 */
SEAM_EXTERN int seam_chan_send_wait(seam_chan *chan, void *msg);

/*
 * Any thread. Takes a producer's reference: the channel's memory stays valid,
 * and send keeps answering (SEAM_ECLOSED once closed), until the matching
 * seam_chan_release(), also after the final callback. Acquire from a thread
 * that already holds a reference or from the loop thread before close.
 * Returns 0 or SEAM_EINVAL.
 */
SEAM_EXTERN int seam_chan_acquire(seam_chan *chan);

/*
 * Any thread. Drops a reference taken by seam_chan_acquire(); the last
 * release after the final callback frees the channel. Returns 0 or
 * SEAM_EINVAL.
 */
SEAM_EXTERN int seam_chan_release(seam_chan *chan);

/*
 * ref (the default) makes an open channel keep the loop alive; an unref'd one
 * is still delivered while something else keeps the loop running. A closed
 * channel keeps the loop alive until its final callback either way.
 * Idempotent. Return 0, SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_chan_ref(seam_chan *chan);
SEAM_EXTERN int seam_chan_unref(seam_chan *chan);

/*
 * Closes the channel: from now on send and send_wait return SEAM_ECLOSED
 * (blocked send_wait calls wake with it). Messages accepted before are still
 * delivered, then the callback runs once with msg NULL, in a later iteration,
 * never inside this call; after it the loop forgets the channel, whose memory
 * is released at once, or at the last seam_chan_release(). Returns 0,
 * SEAM_ECLOSED (already closed), SEAM_EINVAL or SEAM_ETHREAD.
 */
SEAM_EXTERN int seam_chan_close(seam_chan *chan);

#ifdef __cplusplus
}
#endif
#endif /* SEAM_H */
