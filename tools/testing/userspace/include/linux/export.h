/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: symbol exports mean nothing outside the kernel. The
 * EXPORT_SYMBOL* macros are defined empty on the compiler command line
 * (see ../../Makefile), so this header is empty on purpose.
 */
#ifndef _SHIM_LINUX_EXPORT_H
#define _SHIM_LINUX_EXPORT_H
#endif
