// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the guest that thp_encvm_qemu boots in QEMU, with a
 * thp_encvm object as its RAM. Static, alone in its initramfs.
 *
 * It fills a buffer, one header and a pattern a page, says so on the
 * console and waits: meanwhile the test finds the headers in the
 * object, attaches it and lets collapses time out. When the test
 * writes the nonce into the first page's header, it checks every word
 * and powers off. The nonce comes from the kernel command line
 * (te_nonce=), which passes it to init in its environment.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "l2.h"

static unsigned int word(unsigned int p, unsigned int k, unsigned int nonce)
{
	return (p * 2654435761u) ^ (k * 40503u) ^ nonce;
}

int main(void)
{
	const char *n = getenv("te_nonce");
	unsigned int nonce = n ? strtoul(n, NULL, 0) : 0;
	unsigned int p, k, s, bad = 0;
	struct l2_page *pg;
	char *buf;
	int fd;

	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("%s up\n", L2_MARK);
	buf = mmap(NULL, L2_PAGES * 4096UL, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		printf("%s no memory\n", L2_MARK);
		goto off;
	}
	for (p = 0; p < L2_PAGES; p++) {
		unsigned int *w = (unsigned int *)(buf + p * 4096UL);

		for (k = 0; k < 1024; k++)
			w[k] = word(p, k, nonce);
		pg = (struct l2_page *)w;
		memcpy(pg->magic, L2_PAGE_MAGIC, sizeof(pg->magic));
		pg->index = p;
		pg->nonce = nonce;
		pg->go = 0;
	}
	printf("%s filled %u\n", L2_MARK, L2_PAGES);
	/* The test writes the nonce here once it is done with the object. */
	pg = (struct l2_page *)buf;
	for (s = 0; __atomic_load_n(&pg->go, __ATOMIC_ACQUIRE) != nonce; s++) {
		if (s == L2_WAIT_S) {
			printf("%s no answer\n", L2_MARK);
			break;
		}
		sleep(1);
	}
	for (p = 0; p < L2_PAGES; p++) {
		unsigned int *w = (unsigned int *)(buf + p * 4096UL);

		pg = (struct l2_page *)w;
		bad += memcmp(pg->magic, L2_PAGE_MAGIC, sizeof(pg->magic)) ||
		       pg->index != p || pg->nonce != nonce;
		for (k = sizeof(*pg) / 4; k < 1024; k++)
			bad += w[k] != word(p, k, nonce);
	}
	printf("%s verified %u bad %u\n", L2_MARK, L2_PAGES, bad);
off:
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
