/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: allocation flags mean nothing here. */
#ifndef _SHIM_LINUX_GFP_H
#define _SHIM_LINUX_GFP_H

#define gfp_t	unsigned int

#define GFP_KERNEL		0U
#define GFP_KERNEL_ACCOUNT	0U
#define __GFP_NOWARN		0U

#endif
