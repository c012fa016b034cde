/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: what part.c and walker.c take from module.h. */
#ifndef _SHIM_LINUX_MODULE_H
#define _SHIM_LINUX_MODULE_H

#include <linux/export.h>
#include <linux/kernel.h>

#endif
