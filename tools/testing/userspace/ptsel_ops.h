/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace harness for the ptsel core: a byte-stream op decoder that
 * drives the radix format and checks every result against a simple
 * extent-list reference model. Shared by the randomized test, the
 * libFuzzer target and the benchmarks.
 */
#ifndef _PTSEL_OPS_H
#define _PTSEL_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ext_model.h"
#include "ptsel_core.h"

#define OPS_MAX_EXT	256

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "ptsel_ops: %s:%d: check failed: %s: ",	\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)


enum ops_fmt { OPS_RADIX, OPS_HASH };

struct ops_env {
	enum ops_fmt fmt;
	struct ptsel_radix r;
	struct ptsel_hash h;
	struct ptsel_ext ext[OPS_MAX_EXT];
	unsigned int n_ext;
	long fail_after;	/* table allocations until one fails; <0 never */
	unsigned long live;	/* tables handed out and not freed */
	u64 base;		/* the ops address a window starting here */
	u64 window;
	unsigned long ops, maps, unmaps, xlates, enomem, protects, walks;
	/*
	 * Concurrent tests: frees are parked here until ops_env_fini(),
	 * standing in for the RCU grace period the kernel glue waits for.
	 */
	bool defer_free;
	void **parked;
	unsigned long nr_parked;
};

extern const struct ptsel_table_ops ops_table_ops;
extern const struct ptsel_hash_ops ops_hash_ops;

/* @levels: radix depth; also sets the input limit of a hashed table. */
int ops_env_init(struct ops_env *env, enum ops_fmt fmt, unsigned int levels,
		 u64 base);
int ops_map(struct ops_env *env, u64 addr, u64 target, u64 size, u32 prot);
int ops_unmap(struct ops_env *env, u64 addr, u64 size);
int ops_translate(struct ops_env *env, u64 addr, struct ptsel_xlate *out);
int ops_protect(struct ops_env *env, u64 addr, u64 size, u32 prot);
/* ptsel_*_walk_leaves() of the format */
int ops_leaves(struct ops_env *env, u64 start, u64 end, ptsel_leaf_fn fn,
	       void *priv);
void ops_env_fini(struct ops_env *env);
/* Decode and apply one op; returns bytes used, 0 when @len is too short. */
size_t ops_step(struct ops_env *env, const uint8_t *buf, size_t len);
/* Structure of a hashed table (ptsel_ops_hash.c); aborts on error. */
void ops_check_hash(const struct ptsel_hash *h);
/* Would a 4K leaf at @addr fit in @h without making the table grow? */
bool ops_hash_room(const struct ptsel_hash *h, u64 addr);
/* Full cross-check of table and model; aborts on any mismatch. */
void ops_check(struct ops_env *env);

#endif
