/*
 * ticker.c - a background thread that calls back into the loop, done right.
 *
 * A producer thread makes numbered events ("Bang: 0", "Bang: 1", ...) and
 * hands each one to the loop thread, which prints it, while a timer on the
 * same loop prints a heartbeat. The hand-over is a seam_chan, not an async
 * notifier with a queue beside it: a notifier coalesces, so ten sends may
 * give one callback, and code that takes one item per callback loses or
 * strands events. A channel delivers every accepted message exactly once, in
 * order, and its bounded capacity makes a fast producer wait instead of
 * growing memory without limit.
 *
 * Usage: ticker [COUNT] [--interval MS] [--burst]
 *   COUNT          events to send (default 10)
 *   --interval MS  pause between two events (default 100)
 *   --burst        no pause at all: the channel fills, the producer waits for
 *                  room, and still no event is lost or repeated
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seam.h"

#define CAPACITY 64
#define HEARTBEAT_MS 250
#define DEFAULT_COUNT 10
#define DEFAULT_INTERVAL_MS 100
#define MAX_COUNT 1000000000UL
#define MAX_INTERVAL_MS 60000UL

#define USAGE "usage: ticker [COUNT] [--interval MS] [--burst]"

struct ticker {
  /* Set before the producer starts, then only read (also by the producer). */
  seam_chan *chan;
  unsigned long count;
  unsigned long interval_ms;

  /* Main thread, which is the loop thread. */
  seam_loop *loop;
  seam_timer *heartbeat;
  pthread_t producer;
  unsigned long received;
  unsigned long beats;
  int lost_order;
};

/*
 * Failures of these calls mean a bug in this program or no memory left:
 * nothing sensible remains to do but say which call failed and stop.
 */
static void must(int err, const char *what) {
  if (err < 0) {
    fprintf(stderr, "ticker: %s: %s\n", what, seam_strerror(err));
    exit(1);
  }
}

static void sleep_ms(unsigned long ms) {
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                        .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/*
 * A channel message is a non-NULL pointer: NULL is reserved for the final
 * callback. Event i therefore travels as the integer i + 1, which needs no
 * allocation and so cannot leak, whatever happens to the message.
 */
static void *event_to_msg(unsigned long i) {
  return (void *)(uintptr_t)(i + 1);
}

static unsigned long msg_to_event(void *msg) {
  return (unsigned long)((uintptr_t)msg - 1);
}

/*
 * The producer runs on its own thread. It holds a reference it was given
 * with seam_chan_acquire() before it started, so the channel stays valid for
 * every send it makes, even if the loop has closed the channel and run the
 * final callback in the meantime; it drops the reference when it is done.
 */
static void *produce(void *arg) {
  struct ticker *t = arg;
  for (unsigned long i = 0; i < t->count; i++) {
    if (t->interval_ms > 0)
      sleep_ms(t->interval_ms);
    /* Waits while the channel is full: backpressure instead of loss. */
    if (seam_chan_send_wait(t->chan, event_to_msg(i)) == SEAM_ECLOSED)
      break; /* the loop gave up early; nobody wants more events */
  }
  seam_chan_release(t->chan);
  return NULL;
}

static void on_heartbeat(seam_timer *timer, void *data) {
  struct ticker *t = data;
  (void)timer;
  printf("  .. heartbeat %lu (%lu of %lu events so far)\n", ++t->beats,
         t->received, t->count);
}

/*
 * The final callback (msg NULL) comes once, after close and after every
 * message accepted before it. It is the place to release what the loop still
 * holds: once the heartbeat is freed nothing keeps the loop alive, and
 * seam_loop_run() returns.
 */
static void on_closed(struct ticker *t) {
  must(seam_timer_free(t->heartbeat), "seam_timer_free");
  t->heartbeat = NULL;
}

static void on_event(seam_chan *chan, void *msg, void *data) {
  struct ticker *t = data;
  if (msg == NULL) {
    on_closed(t);
    return;
  }
  unsigned long i = msg_to_event(msg);
  if (i != t->received && !t->lost_order) {
    fprintf(stderr, "ticker: expected Bang: %lu, got Bang: %lu\n", t->received,
            i);
    t->lost_order = 1;
  }
  printf("Bang: %lu\n", i);
  if (++t->received == t->count)
    must(seam_chan_close(chan), "seam_chan_close");
}

static int parse_number(const char *s, unsigned long max, unsigned long *out) {
  char *end;
  errno = 0;
  if (*s < '0' || *s > '9')
    return -1;
  unsigned long n = strtoul(s, &end, 10);
  if (errno != 0 || *end != '\0' || n > max)
    return -1;
  *out = n;
  return 0;
}

/* One line on stderr naming the problem (and the argument, if any). */
static int usage_error(const char *problem, const char *arg) {
  if (arg)
    fprintf(stderr, "ticker: %s '%s' (%s)\n", problem, arg, USAGE);
  else
    fprintf(stderr, "ticker: %s (%s)\n", problem, USAGE);
  return 2;
}

/* Returns 0, or the exit status for bad arguments after saying why. */
static int parse_args(int argc, char **argv, struct ticker *t) {
  int have_count = 0, burst = 0, interval = 0;
  t->count = DEFAULT_COUNT;
  t->interval_ms = DEFAULT_INTERVAL_MS;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      printf("%s\n", USAGE);
      exit(0);
    } else if (strcmp(a, "--burst") == 0) {
      burst = 1;
    } else if (strcmp(a, "--interval") == 0) {
      if (i + 1 == argc)
        return usage_error("missing milliseconds after", a);
      if (parse_number(argv[++i], MAX_INTERVAL_MS, &t->interval_ms) != 0)
        return usage_error("bad interval", argv[i]);
      interval = 1;
    } else if (a[0] == '-') {
      return usage_error("unknown option", a);
    } else if (have_count) {
      return usage_error("unexpected argument", a);
    } else if (parse_number(a, MAX_COUNT, &t->count) != 0) {
      return usage_error("bad COUNT", a);
    } else {
      have_count = 1;
    }
  }
  if (burst && interval)
    return usage_error("--burst and --interval exclude each other", NULL);
  if (burst)
    t->interval_ms = 0;
  return 0;
}

/*
 * Sets up the loop thread's side, then starts the producer with a channel
 * reference of its own.
 */
static void start(struct ticker *t) {
  must(seam_loop_new(&t->loop), "seam_loop_new");
  must(seam_chan_new(t->loop, CAPACITY, on_event, t, &t->chan),
       "seam_chan_new");
  must(seam_timer_new(t->loop, on_heartbeat, t, &t->heartbeat),
       "seam_timer_new");
  must(seam_timer_start(t->heartbeat, HEARTBEAT_MS, HEARTBEAT_MS),
       "seam_timer_start");
  must(seam_chan_acquire(t->chan), "seam_chan_acquire");
  int err = pthread_create(&t->producer, NULL, produce, t);
  if (err != 0) {
    fprintf(stderr, "ticker: cannot start the producer: %s\n", strerror(err));
    exit(1);
  }
  if (t->count == 0)
    must(seam_chan_close(t->chan), "seam_chan_close");
}

int main(int argc, char **argv) {
  struct ticker t = {0};
  int status = parse_args(argc, argv, &t);
  if (status != 0)
    return status;

  /* Each line is written when it happens, also into a pipe or a file. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ticker on %s %s\n", seam_backend(), seam_backend_version());
  if (t.interval_ms > 0)
    printf("sending %lu events, one every %lu ms\n", t.count, t.interval_ms);
  else
    printf("sending %lu events as fast as possible\n", t.count);

  start(&t);
  /* Returns once the final callback has freed the heartbeat. */
  must(seam_loop_run(t.loop, SEAM_RUN_DEFAULT), "seam_loop_run");
  pthread_join(t.producer, NULL);
  must(seam_loop_free(t.loop), "seam_loop_free");

  printf("received %lu of %lu events, %lu heartbeats\n", t.received, t.count,
         t.beats);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "ticker: writing the output failed\n");
    return 1;
  }
  return t.received == t.count && !t.lost_order ? 0 : 1;
}
