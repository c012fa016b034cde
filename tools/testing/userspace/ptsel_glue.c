// SPDX-License-Identifier: GPL-2.0
/*
 * The ptsel knobs that sysfs.c defines in the module, with the same
 * defaults, for userspace builds of part.c and walker.c.
 */
#include <linux/ptsel.h>

#include "ptsel_internal.h"

unsigned long ptsel_max_table_pages = 4096;
unsigned long ptsel_max_mapped_pages = 1UL << 24;
unsigned int ptsel_max_partitions_per_fd = 16;
unsigned int ptsel_default_format = PTSEL_FORMAT_RADIX;
unsigned int ptsel_tlb_entries = 512;
unsigned int ptsel_retained_asids = 6;
unsigned int ptsel_walk_cache_size = 64;
unsigned int ptsel_tlb_flush_ceiling = PTSEL_TLB_FLUSH_CEILING;
unsigned int ptsel_targeted_invalidation = 1;
