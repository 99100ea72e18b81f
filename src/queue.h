/*
 * queue.h - an intrusive, circular, doubly linked list.
 *
 * A struct seam__queue is embedded in the element; the list head is a
 * struct seam__queue of its own. An empty head and an element that is on no
 * list both point at themselves, so removal needs no head and is idempotent.
 */
#ifndef SEAM_QUEUE_H
#define SEAM_QUEUE_H

#include <stddef.h>

struct seam__queue {
  struct seam__queue *next;
  struct seam__queue *prev;
};

#define seam__container_of(ptr, type, member) \
  ((type *)((char *)(ptr) - offsetof(type, member)))

static inline void seam__queue_init(struct seam__queue *q) {
  q->next = q;
  q->prev = q;
}

static inline int seam__queue_empty(const struct seam__queue *q) {
  return q->next == q;
}

static inline struct seam__queue *seam__queue_head(const struct seam__queue *q) {
  return q->next;
}

/* Appends node at the tail of head. */
static inline void seam__queue_push(struct seam__queue *head,
                                    struct seam__queue *node) {
  node->next = head;
  node->prev = head->prev;
  node->prev->next = node;
  head->prev = node;
}

/* Unlinks node from whatever list holds it (a no-op if none). */
static inline void seam__queue_remove(struct seam__queue *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  seam__queue_init(node);
}

/* Moves every node of from, in order, to the tail of head; from ends empty. */
static inline void seam__queue_splice(struct seam__queue *head,
                                      struct seam__queue *from) {
  if (seam__queue_empty(from))
    return;
  from->next->prev = head->prev;
  head->prev->next = from->next;
  from->prev->next = head;
  head->prev = from->prev;
  seam__queue_init(from);
}

#endif /* SEAM_QUEUE_H */
