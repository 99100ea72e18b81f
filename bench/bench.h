/*
 * bench.h - what seam's benchmark programs share.
 *
 * One program per backend (bench/bench-uv, bench-ev, bench-event) runs one
 * configuration per process: a benchmark (pingpong, async, jobs, chan,
 * memory) and a variant (seam, native, raw, ...); bench/run.sh runs them all
 * round-robin and prints the table. Each benchmark is one file written once:
 * its seam variant against the public API, its native variant against the
 * small nb_* interface below, which bench/native_uv.c, native_ev.c and
 * native_event.c implement over their library (those three are the only
 * files that include a native library's header, since libev's and
 * libevent's clash), and its raw variant against Linux directly.
 *
 * A run verifies its own result (counts, order, exactly once) before it
 * reports anything: bench_fail() exits with status 1 and prints no metric.
 */
#ifndef SEAM_BENCH_H
#define SEAM_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* ---- the run ---- */

/* What main.c parsed from the command line; see its usage text. */
struct bench_args {
  const char *variant; /* "seam", "native", "raw", ... per benchmark */
  long n;              /* round trips, sends, jobs, messages or objects */
  long window;         /* jobs kept in flight (0: all submitted at once) */
  int threads;         /* pool size (0: the library's default) */
  double budget_s;     /* throughput loops stop early after this long */
};

/* Each benchmark: runs args->variant, verifies it, reports its metrics.
 * Returns 0, or 2 for a variant it does not know (a usage error). */
int bench_pingpong(const struct bench_args *args);
int bench_async(const struct bench_args *args);
int bench_jobs(const struct bench_args *args);
int bench_chan(const struct bench_args *args);
int bench_memory(const struct bench_args *args);

/* Records one metric ("us/rt", "Msends/s", ...); main.c prints them all
 * once the benchmark has returned, one "metric value" line each. */
void bench_report(const char *metric, double value);

/* Prints why the run is broken to stderr and exits with status 1. */
_Noreturn void bench_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);

/* Pins the calling thread to CPU cpu modulo the CPUs it may use. */
void bench_pin(int cpu);

/* Starts a joinable thread (failing the run if it cannot), and joins it. */
void *bench_thread(void *(*fn)(void *), void *arg);
void bench_join(void *thread);

/*
 * A full memory barrier: what atomic_thread_fence(memory_order_seq_cst)
 * compiles to. gcc 12 rejects that fence in inlined code under
 * -fsanitize=thread (-Wtsan); this older builtin is the same instruction and
 * is accepted.
 */
static inline void bench_fence(void) { __sync_synchronize(); }

/* Bytes of heap in use (mallinfo2: allocated chunks plus mmapped ones). */
size_t bench_heap_bytes(void);

/* ---- Linux primitives for the raw variants ---- */

/* A non-blocking eventfd and an epoll instance watching it for reading. */
struct bench_efd {
  int efd;
  int epfd;
};
void bench_efd_open(struct bench_efd *e);
void bench_efd_close(struct bench_efd *e);
void bench_efd_signal(struct bench_efd *e); /* any thread */
/* Blocks in epoll_wait until signalled, then reads (resets) the counter. */
void bench_efd_wait(struct bench_efd *e);

/* ---- the native library, one implementation per backend ---- */

struct nb_loop;
struct nb_async;
typedef void (*nb_async_cb)(struct nb_async *async, void *arg);

/* "libuv", "libev" or "libevent", and its run-time version. */
extern const char *const nb_name;
const char *nb_version(void);

/* A native loop run by the calling thread (a thread-aware event_base on
 * libevent, so that event_active() may come from any thread). */
struct nb_loop *nb_loop_new(void);
/* Runs until no handle is left (uv_run, ev_run, event_base_dispatch). */
void nb_loop_run(struct nb_loop *loop);
void nb_loop_free(struct nb_loop *loop);

/* The library's own cross-thread notifier: uv_async_t, ev_async, or an
 * event fired with event_active(). It keeps the loop running until freed. */
struct nb_async *nb_async_new(struct nb_loop *loop, nb_async_cb cb,
                              void *arg);
void nb_async_send(struct nb_async *async); /* any thread */
void nb_async_free(struct nb_async *async); /* loop thread, also from cb */

/* The library's thread pool, where it has one (libuv's uv_queue_work):
 * nb_pool_available() is 0 on the others, which define the rest to fail. */
struct nb_work;
typedef void (*nb_work_cb)(struct nb_work *work, void *arg);
int nb_pool_available(void);
void nb_pool_set_size(int threads); /* before the first submit */
struct nb_work *nb_work_new(struct nb_loop *loop, nb_work_cb work,
                            nb_work_cb done, void *arg);
void nb_work_submit(struct nb_work *work); /* loop thread, also from done */
void nb_work_free(struct nb_work *work);

/*
 * Memory: one native object of a kind as a program would hold it (allocated
 * with malloc, then initialised and started; a job is queued behind a parked
 * pool, its work calling bench_gate_wait()), for bench_memory()'s heap
 * deltas. nb_object_new() returns NULL for a kind the library does not have;
 * i makes timers' deadlines distinct. nb_loop_run() completes the frees
 * (libuv closes handles asynchronously) and runs queued jobs.
 */
enum nb_kind { NB_ASYNC, NB_TIMER, NB_JOB };
void *nb_object_new(struct nb_loop *loop, enum nb_kind kind, long i);
void nb_object_free(struct nb_loop *loop, void *object, enum nb_kind kind);

/* Provided by memory.c: blocks a pool thread until the gate opens. */
void bench_gate_wait(void);

#endif /* SEAM_BENCH_H */
