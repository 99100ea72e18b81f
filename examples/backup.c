/*
 * backup.c - an online backup of a live SQLite database that never blocks
 * the loop: the pattern of node:sqlite's backup(), on seam.
 *
 * sqlite3_backup_step() copies a few pages and may wait for the disk, so it
 * runs in a job's work, on seam's thread pool. The job's done callback, back
 * on the loop thread, reports progress and submits the same job again until
 * the copy is complete. Between two steps the loop is free: a 10 ms timer
 * keeps ticking, and the summary gives the number of ticks and the longest
 * gap between two of them, the proof that the loop stayed responsive. Ctrl-C
 * cancels the job through an async notifier, the one seam call that a signal
 * handler may make.
 *
 * The source stays live: another connection may write to it meanwhile, and
 * if it does between two steps, SQLite starts the copy again from the first
 * page, so the result is always one consistent state of the database.
 *
 * The copy is written to a temporary file next to DEST and renamed to DEST
 * only once it is complete, so DEST is never a half-written database: an
 * error or Ctrl-C removes the temporary file and leaves DEST as it was.
 *
 * Usage: backup SOURCE.db DEST.db [--pages N] [--step-delay-ms M]
 *          copies SOURCE to DEST, N pages per step (default 64), sleeping M
 *          ms in each step to play a slow disk (default 0)
 *        backup --make-sample SIZE_MB FILE.db
 *          writes a new database of about SIZE_MB megabytes to back up
 * Exit status: 0 done, 1 failed, 2 bad arguments, 130 interrupted.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "seam.h"

#define TICK_MS 10
#define RETRY_MS 10    /* pause before retrying a step that found a lock */
#define NAP_SLICE_MS 5 /* how often a sleeping step looks for a cancel */
#define DEFAULT_PAGES 64
#define MAX_PAGES 1000000UL
#define MAX_DELAY_MS 60000UL
#define MAX_SAMPLE_MB 4096UL

#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130 /* 128 + SIGINT, as a shell reports it */

#define USAGE                                                                  \
  "usage: backup SOURCE.db DEST.db [--pages N] [--step-delay-ms M]"            \
  " | backup --make-sample SIZE_MB FILE.db"

struct backup {
  /*
   * Set up before the first step. The SQLite objects are then used by work
   * (pool thread) and done (loop thread) in turn, never at once.
   */
  const char *src_path;
  const char *dst_path;
  char *tmp_path;
  unsigned long pages_per_step;
  unsigned long delay_ms;
  sqlite3 *src;
  sqlite3 *dst;
  sqlite3_backup *copy;
  int total_pages;

  /* Loop thread only. */
  seam_loop *loop;
  seam_job *step; /* NULL once the backup has finished */
  seam_timer *ticker;
  seam_async *interrupt;
  int interrupted;
  int status; /* the exit status, once finished */
  uint64_t started_ms;
  uint64_t ended_ms;
  uint64_t last_tick_ms;
  uint64_t longest_gap_ms;
  unsigned long ticks;
};

/* ---- small helpers ---- */

/* Prints one line "backup: <problem>" on stderr and returns 1. */
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("backup: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

/*
 * Failures of these seam calls mean a bug in this program or no memory left:
 * nothing sensible remains to do but say which call failed and stop.
 */
static void must(int err, const char *what) {
  if (err < 0) {
    fail("%s: %s", what, seam_strerror(err));
    exit(1);
  }
}

static void sleep_ms(unsigned long ms) {
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                        .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* Removes a database file and whatever SQLite may have created beside it. */
static void remove_database(const char *path) {
  static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
  char name[4096];
  for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
    int n = snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
    if (n > 0 && (size_t)n < sizeof(name))
      unlink(name);
  }
}

/* ---- the job: one sqlite3_backup_step() per run ---- */

/*
 * Sleeps ms milliseconds in short slices, returning 1 early if cancellation
 * was requested for the current run, 0 otherwise.
 */
static int nap(seam_job *job, unsigned long ms) {
  while (ms > 0) {
    if (seam_job_cancelled(job))
      return 1;
    unsigned long slice = ms < NAP_SLICE_MS ? ms : NAP_SLICE_MS;
    sleep_ms(slice);
    ms -= slice;
  }
  return seam_job_cancelled(job);
}

/*
 * The work, on a pool thread. Work and done of one job never overlap: done
 * runs only after work has returned, and the next work only after done has
 * submitted again. So the backup handle and both connections are used by one
 * thread at a time, the pool thread here and the loop thread in done, and
 * need no lock of ours.
 *
 * The return value becomes done's status. It is an SQLite result code (all
 * of them are >= 0), or SEAM_ECANCELED when the step noticed a cancel and
 * stopped early: the status done also gets for a run cancelled before its
 * work started, so done has one case for both.
 */
static int step_work(seam_job *job, void *data) {
  struct backup *b = data;
  if (nap(job, b->delay_ms))
    return SEAM_ECANCELED;
  int rc = sqlite3_backup_step(b->copy, (int)b->pages_per_step);
  /* Another connection is writing the source: wait a little, then retry. */
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    nap(job, RETRY_MS);
  return rc;
}

/* The source may have grown or shrunk since it was opened: ask again. */
static void print_progress(struct backup *b) {
  b->total_pages = sqlite3_backup_pagecount(b->copy);
  printf("copied %d/%d pages\n",
         b->total_pages - sqlite3_backup_remaining(b->copy), b->total_pages);
}

/*
 * Renames the finished copy to DEST: from this moment DEST is a complete
 * database, never earlier.
 */
static int publish(struct backup *b) {
  if (rename(b->tmp_path, b->dst_path) != 0)
    return fail("cannot write destination '%s': %s", b->dst_path,
                strerror(errno));
  return 0;
}

/*
 * Ends the backup with the given exit status: releases the SQLite side,
 * publishes or removes the copy, and frees the job, after which nothing
 * keeps the loop alive (the timer and the notifier are unref'd).
 */
static void finish(struct backup *b, int status) {
  b->ended_ms = seam_now(b->loop);
  must(seam_timer_stop(b->ticker), "seam_timer_stop");
  /* Reports an I/O or memory error of any earlier step, too. */
  int rc = sqlite3_backup_finish(b->copy);
  b->copy = NULL;
  if (status == 0 && rc != SQLITE_OK)
    status =
        fail("copying '%s' failed: %s", b->src_path, sqlite3_errmsg(b->dst));
  rc = sqlite3_close(b->dst);
  b->dst = NULL;
  if (status == 0 && rc != SQLITE_OK)
    status = fail("cannot close the copy of '%s': %s", b->src_path,
                  sqlite3_errstr(rc));
  if (status == 0)
    status = publish(b);
  if (status != 0)
    remove_database(b->tmp_path);
  b->status = status;
  must(seam_job_free(b->step), "seam_job_free");
  b->step = NULL;
}

/* The done callback, on the loop thread: report, then step again or finish. */
static void step_done(seam_job *job, int status, void *data) {
  struct backup *b = data;
  if (b->interrupted || status == SEAM_ECANCELED) {
    finish(b, EXIT_INTERRUPTED);
    return;
  }
  switch (status) {
  case SQLITE_OK:
    print_progress(b);
    /* Incremental work: the same job goes back to the tail of the queue. */
    must(seam_job_submit(job), "seam_job_submit");
    break;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    must(seam_job_submit(job), "seam_job_submit");
    break;
  case SQLITE_DONE:
    print_progress(b);
    finish(b, 0);
    break;
  default:
    finish(b, fail("copying '%s' failed: %s", b->src_path,
                   sqlite3_errstr(status)));
    break;
  }
}

/* ---- the heartbeat and Ctrl-C, on the loop thread ---- */

static void on_tick(seam_timer *timer, void *data) {
  struct backup *b = data;
  uint64_t now = seam_now(b->loop);
  (void)timer;
  if (now - b->last_tick_ms > b->longest_gap_ms)
    b->longest_gap_ms = now - b->last_tick_ms;
  b->last_tick_ms = now;
  b->ticks++;
}

/*
 * The notifier's callback: the loop-thread half of Ctrl-C, where any seam
 * call is allowed. A cancel returns 0 if the step was still queued (done will
 * get SEAM_ECANCELED) or SEAM_EBUSY if it is running (its work sees
 * seam_job_cancelled() and stops early, or completes the step and done sees
 * interrupted). Either way the next done finishes the backup.
 */
static void on_interrupt(seam_async *async, void *data) {
  struct backup *b = data;
  (void)async;
  if (b->step == NULL || b->interrupted)
    return;
  b->interrupted = 1;
  fprintf(stderr, "backup: interrupted, cancelling\n");
  int err = seam_job_cancel(b->step);
  if (err != SEAM_EBUSY)
    must(err, "seam_job_cancel");
}

/*
 * The signal handler gets no data pointer, hence the global. seam_async_send
 * is async-signal-safe; nothing else in seam is, so the handler does only
 * that, and keeps errno as it found it for the code it interrupted.
 */
static seam_async *sigint_notifier;

static void on_sigint(int sig) {
  int saved = errno;
  (void)sig;
  seam_async_send(sigint_notifier);
  errno = saved;
}

static void catch_sigint(seam_async *notifier) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigint_notifier = notifier;
  sigaction(SIGINT, &sa, NULL);
}

/*
 * The notifier must outlive every send, so before it is freed SIGINT is
 * blocked: seam's pool threads run with every signal blocked, so this thread
 * is the only one where the handler can run, and once the mask is set it
 * cannot run any more. A Ctrl-C this late stays pending, and is dropped at
 * exit: there is nothing left to cancel.
 */
static void release_sigint(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* ---- opening and checking the files ---- */

/*
 * Opens SOURCE read-only and proves it is a database: reading its page count
 * needs its header, which fails with SQLITE_NOTADB for any other file.
 */
static int open_source(struct backup *b, struct stat *st) {
  if (stat(b->src_path, st) != 0)
    return fail("cannot read source '%s': %s", b->src_path, strerror(errno));
  if (!S_ISREG(st->st_mode))
    return fail("source '%s' is not a regular file", b->src_path);
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_open_v2(b->src_path, &b->src, SQLITE_OPEN_READONLY, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(b->src, "PRAGMA page_count", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    b->total_pages = sqlite3_column_int(stmt, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(stmt);
  if (rc == SQLITE_NOTADB)
    return fail("source '%s' is not an SQLite database", b->src_path);
  if (rc != SQLITE_OK)
    return fail("cannot open source '%s': %s", b->src_path,
                b->src ? sqlite3_errmsg(b->src) : sqlite3_errstr(rc));
  return 0;
}

/*
 * Refuses a DEST that is SOURCE under another name. Comparing device and
 * inode catches every spelling: a relative path, a symbolic link, a hard
 * link. A DEST that does not exist yet cannot be SOURCE.
 */
static int check_destination(const struct backup *b, const struct stat *src) {
  struct stat st;
  if (stat(b->dst_path, &st) != 0) {
    if (errno == ENOENT)
      return 0;
    return fail("cannot write destination '%s': %s", b->dst_path,
                strerror(errno));
  }
  if (st.st_dev == src->st_dev && st.st_ino == src->st_ino)
    return fail("destination '%s' is the same file as source '%s'", b->dst_path,
                b->src_path);
  if (!S_ISREG(st.st_mode))
    return fail("destination '%s' is not a regular file", b->dst_path);
  return 0;
}

/*
 * Creates the temporary copy next to DEST (same directory, so the final
 * rename cannot cross file systems) with the permissions a new file gets.
 * mkstemp() picks a name nobody else uses and makes the file 0600.
 */
static int create_temporary(struct backup *b, mode_t umask_bits) {
  size_t size = strlen(b->dst_path) + sizeof(".partial-XXXXXX");
  b->tmp_path = malloc(size);
  if (b->tmp_path == NULL)
    return fail("out of memory");
  snprintf(b->tmp_path, size, "%s.partial-XXXXXX", b->dst_path);
  int fd = mkstemp(b->tmp_path);
  if (fd < 0) {
    free(b->tmp_path);
    b->tmp_path = NULL;
    return fail("cannot write destination '%s': %s", b->dst_path,
                strerror(errno));
  }
  fchmod(fd, 0666 & ~umask_bits);
  close(fd);
  return 0;
}

/* Opens the temporary copy (an empty file is an empty database). */
static int open_destination(struct backup *b) {
  int rc = sqlite3_open_v2(b->tmp_path, &b->dst, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK) {
    b->copy = sqlite3_backup_init(b->dst, "main", b->src, "main");
    if (b->copy == NULL)
      rc = sqlite3_errcode(b->dst);
  }
  if (rc != SQLITE_OK)
    return fail("cannot write destination '%s': %s", b->dst_path,
                b->dst ? sqlite3_errmsg(b->dst) : sqlite3_errstr(rc));
  return 0;
}

static int open_files(struct backup *b, mode_t umask_bits) {
  struct stat src;
  if (open_source(b, &src) != 0 || check_destination(b, &src) != 0 ||
      create_temporary(b, umask_bits) != 0)
    return 1;
  if (open_destination(b) != 0) {
    remove_database(b->tmp_path);
    return 1;
  }
  return 0;
}

/* ---- the backup on the loop ---- */

/*
 * The job is what keeps the loop alive: the ticker and the notifier are
 * unref'd, so seam_loop_run() returns as soon as the last done has not
 * submitted again. Ctrl-C is caught from here on; a Ctrl-C while the files
 * are being opened is delivered as soon as the loop runs, and cancels the
 * first step.
 */
static void create_handles(struct backup *b) {
  must(seam_loop_new(&b->loop), "seam_loop_new");
  must(seam_job_new(b->loop, step_work, step_done, b, &b->step),
       "seam_job_new");
  must(seam_timer_new(b->loop, on_tick, b, &b->ticker), "seam_timer_new");
  must(seam_timer_unref(b->ticker), "seam_timer_unref");
  must(seam_async_new(b->loop, on_interrupt, b, &b->interrupt),
       "seam_async_new");
  must(seam_async_unref(b->interrupt), "seam_async_unref");
  catch_sigint(b->interrupt);
}

static void free_handles(struct backup *b) {
  release_sigint();
  must(seam_async_free(b->interrupt), "seam_async_free");
  must(seam_timer_free(b->ticker), "seam_timer_free");
  if (b->step)
    must(seam_job_free(b->step), "seam_job_free");
  must(seam_loop_free(b->loop), "seam_loop_free");
}

static void print_summary(const struct backup *b) {
  if (b->status == 0)
    printf("backup of '%s' to '%s' complete: %d pages in %" PRIu64 " ms\n",
           b->src_path, b->dst_path, b->total_pages,
           b->ended_ms - b->started_ms);
  printf("%lu ticks during the backup, longest gap between ticks %" PRIu64
         " ms\n",
         b->ticks, b->longest_gap_ms);
  if (b->status == EXIT_INTERRUPTED)
    fprintf(stderr, "backup: interrupted; '%s' was not written\n", b->dst_path);
}

static int run_backup(struct backup *b, mode_t umask_bits) {
  create_handles(b);
  if (open_files(b, umask_bits) != 0) {
    b->status = 1;
  } else {
    printf("backing up '%s' (%d pages) to '%s', %lu pages per step\n",
           b->src_path, b->total_pages, b->dst_path, b->pages_per_step);
    must(seam_timer_start(b->ticker, TICK_MS, TICK_MS), "seam_timer_start");
    b->started_ms = b->last_tick_ms = seam_now(b->loop);
    must(seam_job_submit(b->step), "seam_job_submit");
    must(seam_loop_run(b->loop, SEAM_RUN_DEFAULT), "seam_loop_run");
    print_summary(b);
  }
  free_handles(b);
  sqlite3_close(b->src);
  free(b->tmp_path);
  return b->status;
}

/* ---- --make-sample ---- */

/*
 * Set by SIGINT while a sample is written: that code does not run a loop,
 * so a flag it checks between rows is all it needs.
 */
static volatile sig_atomic_t sample_interrupted;

static void on_sample_sigint(int sig) {
  (void)sig;
  sample_interrupted = 1;
}

/* A row of word salad, 80 to 400 characters long; returns its length. */
static int sample_text(uint32_t *seed, char *buf, int size) {
  static const char *const words[] = {
      "loop",   "timer",  "thread", "pool",    "job",    "channel",
      "wakeup", "cancel", "page",   "backup",  "sqlite", "callback",
      "notify", "queue",  "signal", "message", "done",   "work"};
  int target = 80 + (int)(*seed % 321), len = 0;
  while (len < target && len < size - 16) {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    len += snprintf(buf + len, (size_t)(size - len), "%s ",
                    words[*seed % (sizeof(words) / sizeof(words[0]))]);
  }
  return len;
}

/* Inserts rows until their text adds up to about size_mb megabytes. */
static int fill_sample(sqlite3 *db, unsigned long size_mb,
                       unsigned long *rows) {
  sqlite3_stmt *insert = NULL;
  int rc = sqlite3_prepare_v2(db, "INSERT INTO notes(body) VALUES (?)", -1,
                              &insert, NULL);
  uint64_t bytes = 0, target = (uint64_t)size_mb << 20;
  uint32_t seed = 2463534242u;
  char text[512];
  while (rc == SQLITE_OK && bytes < target && !sample_interrupted) {
    int len = sample_text(&seed, text, (int)sizeof(text));
    sqlite3_bind_text(insert, 1, text, len, SQLITE_STATIC);
    rc = sqlite3_step(insert);
    if (rc == SQLITE_DONE)
      rc = sqlite3_reset(insert);
    bytes += (uint64_t)len + 12; /* the row's own bookkeeping, roughly */
    *rows += rc == SQLITE_OK;
  }
  sqlite3_finalize(insert);
  return rc;
}

/*
 * The file is new and is deleted if anything goes wrong, so it needs neither
 * a rollback journal nor a sync to the disk: one transaction without either
 * writes 20 MB in a fraction of a second.
 */
static int write_sample(const char *path, unsigned long size_mb) {
  sqlite3 *db = NULL;
  unsigned long rows = 0;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db,
                      "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                      "BEGIN; CREATE TABLE notes (id INTEGER PRIMARY KEY,"
                      " body TEXT NOT NULL);",
                      NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = fill_sample(db, size_mb, &rows);
  if (rc == SQLITE_OK && !sample_interrupted)
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  int status = 0;
  if (sample_interrupted)
    status = EXIT_INTERRUPTED;
  else if (rc != SQLITE_OK)
    status = fail("cannot write '%s': %s", path,
                  db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (sqlite3_close(db) != SQLITE_OK && status == 0)
    status = fail("cannot close '%s'", path);
  if (status == 0)
    printf("wrote '%s': %lu rows in table notes, about %lu MB\n", path, rows,
           size_mb);
  return status;
}

static int make_sample(const char *path, unsigned long size_mb) {
  /* O_EXCL: never overwrite an existing file, a database or not. */
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
  if (fd < 0)
    return fail("cannot create '%s': %s", path, strerror(errno));
  close(fd);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sample_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  int status = write_sample(path, size_mb);
  if (status != 0)
    remove_database(path);
  if (status == EXIT_INTERRUPTED)
    fprintf(stderr, "backup: interrupted; '%s' was not written\n", path);
  return status;
}

/* ---- arguments ---- */

static int parse_number(const char *s, unsigned long min, unsigned long max,
                        unsigned long *out) {
  char *end;
  errno = 0;
  if (*s < '0' || *s > '9')
    return -1;
  unsigned long n = strtoul(s, &end, 10);
  if (errno != 0 || *end != '\0' || n < min || n > max)
    return -1;
  *out = n;
  return 0;
}

/* One line on stderr naming the problem (and the argument, if any). */
static int usage_error(const char *problem, const char *arg) {
  if (arg)
    fprintf(stderr, "backup: %s '%s' (%s)\n", problem, arg, USAGE);
  else
    fprintf(stderr, "backup: %s (%s)\n", problem, USAGE);
  return EXIT_USAGE;
}

/* Parses the value after option argv[*i] into *out, advancing *i. */
static int option_value(int argc, char **argv, int *i, unsigned long min,
                        unsigned long max, unsigned long *out) {
  const char *name = argv[*i];
  if (*i + 1 == argc)
    return usage_error("missing value after", name);
  if (parse_number(argv[++*i], min, max, out) != 0) {
    fprintf(stderr, "backup: bad value '%s' for %s (%s)\n", argv[*i], name,
            USAGE);
    return EXIT_USAGE;
  }
  return 0;
}

static int parse_backup_args(int argc, char **argv, struct backup *b) {
  const char *paths[2];
  int npaths = 0, err = 0;
  b->pages_per_step = DEFAULT_PAGES;
  for (int i = 1; i < argc && err == 0; i++) {
    if (strcmp(argv[i], "--pages") == 0)
      err = option_value(argc, argv, &i, 1, MAX_PAGES, &b->pages_per_step);
    else if (strcmp(argv[i], "--step-delay-ms") == 0)
      err = option_value(argc, argv, &i, 0, MAX_DELAY_MS, &b->delay_ms);
    else if (argv[i][0] == '-' && argv[i][1] != '\0')
      err = usage_error("unknown option", argv[i]);
    else if (npaths == 2)
      err = usage_error("unexpected argument", argv[i]);
    else
      paths[npaths++] = argv[i];
  }
  if (err == 0 && npaths < 2)
    err =
        usage_error(npaths ? "missing DEST" : "missing SOURCE and DEST", NULL);
  if (err == 0) {
    b->src_path = paths[0];
    b->dst_path = paths[1];
  }
  return err;
}

static int sample_main(int argc, char **argv) {
  unsigned long size_mb;
  if (argc != 4)
    return usage_error("--make-sample needs SIZE_MB and FILE.db", NULL);
  if (parse_number(argv[2], 1, MAX_SAMPLE_MB, &size_mb) != 0)
    return usage_error("bad SIZE_MB", argv[2]);
  return make_sample(argv[3], size_mb);
}

int main(int argc, char **argv) {
  /* Each line is written when it happens, also into a pipe or a file. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 &&
      (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("%s\n", USAGE);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "--make-sample") == 0)
    return sample_main(argc, argv);

  struct backup b = {0};
  int status = parse_backup_args(argc, argv, &b);
  if (status != 0)
    return status;
  if (!sqlite3_threadsafe())
    return fail("this SQLite was built without thread support, and the "
                "backup steps run on another thread");
  /* Read once, before any thread exists: umask() can only be read by
   * setting it. */
  mode_t umask_bits = umask(0);
  umask(umask_bits);
  printf("backup on %s %s\n", seam_backend(), seam_backend_version());
  return run_backup(&b, umask_bits);
}
