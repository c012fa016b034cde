/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: BUILD_BUG_ON, where the condition is a constant. */
#ifndef _SHIM_LINUX_BUILD_BUG_H
#define _SHIM_LINUX_BUILD_BUG_H

#define BUILD_BUG_ON(cond)	((void)sizeof(char[1 - 2 * !!(cond)]))

#endif
