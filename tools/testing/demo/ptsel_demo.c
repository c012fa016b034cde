// SPDX-License-Identifier: GPL-2.0
/*
 * make demo, ptsel scenario: map 1 GiB three ways in one partition and
 * show what each costs in table pages and in table lines read per
 * lookup, first as radix (walk cache on), then after a live conversion
 * of the region to the hashed format.
 * Prints "metric|before|after" rows for demo.sh's table.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/ptsel.h>

#include "memvirt_ksft.h"

#define SYSFS	"/sys/kernel/mm/ptsel/"
#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL

static long read_table_pages(void)
{
	return mv_read_knob(SYSFS, "stats/table_pages");
}

static int map(int fd, uint64_t addr, uint64_t target, uint64_t size)
{
	struct ptsel_map m = { .addr = addr, .target = target, .size = size,
			       .prot = PTSEL_PROT_READ | PTSEL_PROT_WRITE };

	return ioctl(fd, PTSEL_IOC_MAP, &m);
}

static double avg_refs(int fd, uint64_t base)
{
	struct ptsel_translate t = { 0 };
	uint64_t a, refs = 0, n = 0;

	for (a = base; a < base + SZ_1G; a += 64 * SZ_4K, n++) {
		t.addr = a;
		if (ioctl(fd, PTSEL_IOC_TRANSLATE, &t))
			return -1;
		refs += t.mem_refs;
	}
	return (double)refs / n;
}

int main(void)
{
	static const struct { const char *name; uint64_t target; } cases[] = {
		{ "4K leaves (target 4K-aligned)", 8 * SZ_1G + SZ_4K },
		{ "2M leaves (target 2M-aligned)", 16 * SZ_1G + SZ_2M },
		{ "1G leaf (target 1G-aligned)", 24 * SZ_1G },
	};
	unsigned int i;

	for (i = 0; i < 3; i++) {
		int fd = open("/dev/ptsel", O_RDWR);
		struct ptsel_region r;
		long before, after;

		if (fd < 0) {
			perror("/dev/ptsel");
			return 1;
		}
		before = read_table_pages();
		if (map(fd, SZ_1G, cases[i].target, SZ_1G)) {
			perror("map");
			return 1;
		}
		after = read_table_pages();
		printf("ptsel: table pages, 1 GiB as %s|%ld|%ld\n",
		       cases[i].name, before, after);
		printf("ptsel: lines read per lookup, radix, %s|-|%.2f\n",
		       cases[i].name, avg_refs(fd, SZ_1G));
		r = (struct ptsel_region){ .addr = SZ_1G, .size = SZ_1G,
					   .format = PTSEL_FORMAT_HASH };
		if (ioctl(fd, PTSEL_IOC_SET_REGION, &r)) {
			perror("convert");
			return 1;
		}
		printf("ptsel: leaves moved radix->hash, %s|-|%u\n",
		       cases[i].name, r.leaves);
		printf("ptsel: table pages after conversion, %s|%ld|%ld\n",
		       cases[i].name, after, read_table_pages());
		printf("ptsel: lines read per lookup, hashed, %s|-|%.2f\n",
		       cases[i].name, avg_refs(fd, SZ_1G));
		close(fd);
	}
	return 0;
}
