/*
 * util.c - timing, pinning, threads, heap accounting and the eventfd+epoll
 * primitive of the raw variants.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

void bench_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_pin(int cpu) {
  cpu_set_t allowed, one;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
    bench_fail("sched_getaffinity: errno %d", errno);
  int count = CPU_COUNT(&allowed);
  int want = cpu % count;
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (CPU_ISSET(c, &allowed) && want-- == 0) {
      CPU_SET(c, &one);
      break;
    }
  }
  /* pthread_setaffinity_np pins only this thread, not the process. */
  int err = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
  if (err != 0)
    bench_fail("pthread_setaffinity_np: error %d", err);
}

void *bench_thread(void *(*fn)(void *), void *arg) {
  pthread_t *t = malloc(sizeof(*t));
  if (t == NULL || pthread_create(t, NULL, fn, arg) != 0)
    bench_fail("cannot start a thread");
  return t;
}

void bench_join(void *thread) {
  pthread_t *t = thread;
  if (pthread_join(*t, NULL) != 0)
    bench_fail("pthread_join failed");
  free(t);
}

size_t bench_heap_bytes(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void bench_efd_open(struct bench_efd *e) {
  e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  e->epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  if (e->efd < 0 || e->epfd < 0 ||
      epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->efd, &ev) != 0)
    bench_fail("eventfd/epoll: errno %d", errno);
}

void bench_efd_close(struct bench_efd *e) {
  close(e->efd);
  close(e->epfd);
}

void bench_efd_signal(struct bench_efd *e) {
  uint64_t one = 1;
  /* EAGAIN: the counter is already nonzero, a wakeup is on its way. */
  while (write(e->efd, &one, sizeof(one)) < 0 && errno == EINTR)
    ;
}

void bench_efd_wait(struct bench_efd *e) {
  struct epoll_event ev;
  uint64_t n;
  for (;;) {
    int r = epoll_wait(e->epfd, &ev, 1, -1);
    if (r < 0 && errno != EINTR)
      bench_fail("epoll_wait: errno %d", errno);
    if (r == 1 && read(e->efd, &n, sizeof(n)) == sizeof(n))
      return;
  }
}
