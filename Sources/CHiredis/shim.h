#ifndef BAEDAL_CHIREDIS_SHIM_H
#define BAEDAL_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/*
 * Reply objects from an arena instead of one calloc/malloc per node.
 *
 * hiredis builds every reply as a tree of redisReply nodes plus a copy of each string: a
 * 500-entry XREADGROUP reply is some 11,000 allocations. With these reader functions the nodes
 * and strings of a reply are carved out of a few large blocks owned by the connection, and
 * baedal_arena_reset() releases them all at once after the reply has been read. The tree has
 * exactly the shape hiredis's own functions build, so every reader of redisReply works as is.
 * freeReplyObject() must never be called on such a reply.
 */
typedef struct baedal_arena_block {
    struct baedal_arena_block *next;
    size_t used, capacity;
    char data[];
} baedal_arena_block;

typedef struct baedal_arena {
    baedal_arena_block *first, *current;
    size_t total;
} baedal_arena;

static inline void *baedal_arena_alloc(baedal_arena *arena, size_t size) {
    size = (size + 15) & ~(size_t)15;
    baedal_arena_block *block = arena->current;
    while (block == NULL || block->used + size > block->capacity) {
        baedal_arena_block *next = block ? block->next : arena->first;
        if (next != NULL && next->capacity >= size) {
            next->used = 0;
            block = next;
            continue;
        }
        size_t capacity = size > 65536 ? size : 65536;
        baedal_arena_block *fresh = (baedal_arena_block *)malloc(sizeof(baedal_arena_block) + capacity);
        if (fresh == NULL) return NULL;
        fresh->used = 0;
        fresh->capacity = capacity;
        fresh->next = next;
        if (block) block->next = fresh; else arena->first = fresh;
        arena->total += capacity;
        block = fresh;
    }
    arena->current = block;
    void *memory = block->data + block->used;
    block->used += size;
    return memory;
}

static inline redisReply *baedal_arena_reply(const redisReadTask *task, int type, size_t extra) {
    baedal_arena *arena = (baedal_arena *)task->privdata;
    redisReply *reply = (redisReply *)baedal_arena_alloc(arena, sizeof(redisReply) + extra);
    if (reply == NULL) return NULL;
    memset(reply, 0, sizeof(redisReply));
    reply->type = type;
    if (task->parent) {
        redisReply *parent = (redisReply *)task->parent->obj;
        parent->element[task->idx] = reply;
    }
    return reply;
}

static inline void *baedal_arena_string(const redisReadTask *task, char *str, size_t len) {
    redisReply *reply = baedal_arena_reply(task, task->type, len + 1);
    if (reply == NULL) return NULL;
    reply->str = (char *)(reply + 1);
    memcpy(reply->str, str, len);
    reply->str[len] = '\0';
    reply->len = len;
    return reply;
}

static inline void *baedal_arena_array(const redisReadTask *task, int elements) {
    size_t extra = elements > 0 ? (size_t)elements * sizeof(redisReply *) : 0;
    redisReply *reply = baedal_arena_reply(task, REDIS_REPLY_ARRAY, extra);
    if (reply == NULL) return NULL;
    if (elements > 0) {
        reply->element = (redisReply **)(reply + 1);
        memset(reply->element, 0, extra);
    }
    reply->elements = elements > 0 ? (size_t)elements : 0;
    return reply;
}

static inline void *baedal_arena_integer(const redisReadTask *task, long long value) {
    redisReply *reply = baedal_arena_reply(task, REDIS_REPLY_INTEGER, 0);
    if (reply != NULL) reply->integer = value;
    return reply;
}

static inline void *baedal_arena_nil(const redisReadTask *task) {
    return baedal_arena_reply(task, REDIS_REPLY_NIL, 0);
}

static inline void baedal_arena_free_object(void *reply) {
    (void)reply;  /* released with the arena */
}

/* Gives a reader an arena; returns it (NULL when out of memory). A reader used alone
 * (redisReaderCreate, fed by a NIO channel) takes one as well as a context's. */
static inline baedal_arena *baedal_arena_attach_reader(redisReader *reader) {
    static redisReplyObjectFunctions functions = {
        baedal_arena_string, baedal_arena_array, baedal_arena_integer, baedal_arena_nil, baedal_arena_free_object,
    };
    baedal_arena *arena = (baedal_arena *)calloc(1, sizeof(baedal_arena));
    if (arena == NULL) return NULL;
    reader->fn = &functions;
    reader->privdata = arena;
    return arena;
}

/* Gives the context's reader an arena; returns it (NULL when out of memory). */
static inline baedal_arena *baedal_arena_attach(redisContext *context) {
    return baedal_arena_attach_reader(context->reader);
}

/* Forgets every reply read so far; keeps up to 4 MiB of blocks for the next ones. */
static inline void baedal_arena_reset(baedal_arena *arena) {
    if (arena->total > 4u << 20 && arena->first != NULL) {
        baedal_arena_block *block = arena->first->next;
        while (block != NULL) {
            baedal_arena_block *next = block->next;
            arena->total -= block->capacity;
            free(block);
            block = next;
        }
        arena->first->next = NULL;
    }
    if (arena->first != NULL) arena->first->used = 0;
    arena->current = arena->first;
}

static inline void baedal_arena_destroy(baedal_arena *arena) {
    baedal_arena_block *block = arena->first;
    while (block != NULL) {
        baedal_arena_block *next = block->next;
        free(block);
        block = next;
    }
    free(arena);
}
#endif
