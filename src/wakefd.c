/*
 * wakefd.c - an eventfd that wakes a loop, for backends whose library can
 * watch a file descriptor but whose own cross-thread notifier is unsuitable
 * (libevent's needs a thread-aware base; libuv 1.44's makes the loop spin on
 * a preempted sender). The core's pending bits already coalesce sends, so the
 * descriptor needs no flag of its own: every write is one wakeup at most.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "backend.h"

int seam__wakefd_open(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void seam__wakefd_signal(int fd) {
  /* EAGAIN means the counter is already nonzero: the loop will wake. A
   * signal handler may call this, so errno is left as it was. */
  int saved = errno;
  uint64_t one = 1;
  while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
    ;
  errno = saved;
}

void seam__wakefd_drain(int fd) {
  uint64_t n;
  while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
    ;
}
