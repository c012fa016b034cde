/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: the scheduler calls of the core sources. */
#ifndef _SHIM_LINUX_SCHED_H
#define _SHIM_LINUX_SCHED_H

static inline void cond_resched(void)
{
}

#endif
