/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: the bitmap helpers the core code uses, bit by bit. */
#ifndef _SHIM_LINUX_BITMAP_H
#define _SHIM_LINUX_BITMAP_H

#include <stdbool.h>
#include <string.h>

#define BITS_PER_LONG		(8 * sizeof(long))
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits)	unsigned long name[BITS_TO_LONGS(bits)]

static inline bool test_bit(unsigned long nr, const unsigned long *a)
{
	return (a[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}

static inline void __set_bit(unsigned long nr, unsigned long *a)
{
	a[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

static inline void __clear_bit(unsigned long nr, unsigned long *a)
{
	a[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}

static inline unsigned long find_next_bit(const unsigned long *a,
					  unsigned long size, unsigned long off)
{
	while (off < size && !test_bit(off, a))
		off++;
	return off < size ? off : size;
}

static inline unsigned long find_next_zero_bit(const unsigned long *a,
					       unsigned long size,
					       unsigned long off)
{
	while (off < size && test_bit(off, a))
		off++;
	return off < size ? off : size;
}

static inline unsigned long find_first_bit(const unsigned long *a,
					   unsigned long size)
{
	return find_next_bit(a, size, 0);
}

static inline void bitmap_set(unsigned long *a, unsigned int s, unsigned int n)
{
	while (n--)
		__set_bit(s++, a);
}

static inline void bitmap_clear(unsigned long *a, unsigned int s, unsigned int n)
{
	while (n--)
		__clear_bit(s++, a);
}

static inline void bitmap_zero(unsigned long *a, unsigned int n)
{
	memset(a, 0, BITS_TO_LONGS(n) * sizeof(long));
}

static inline void bitmap_fill(unsigned long *a, unsigned int n)
{
	bitmap_zero(a, n);
	bitmap_set(a, 0, n);
}

static inline unsigned int bitmap_weight(const unsigned long *a, unsigned int n)
{
	unsigned int i, w = 0;

	for (i = 0; i < n; i++)
		w += test_bit(i, a);
	return w;
}

#endif
