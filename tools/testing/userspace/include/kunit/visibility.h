/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: there are no module exports here. The Makefile
 * defines EXPORT_SYMBOL_IF_KUNIT() away on the command line (SHIM).
 */
#ifndef _SHIM_KUNIT_VISIBILITY_H
#define _SHIM_KUNIT_VISIBILITY_H
#endif
