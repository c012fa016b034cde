/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: kernel integer types on top of the uapi ones. */
#ifndef _SHIM_LINUX_TYPES_H
#define _SHIM_LINUX_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

/* Annotations of the kernel's compiler_types.h, here for every file. */
#define __rcu
#define __init
#define __exit
#define fallthrough	__attribute__((__fallthrough__))

#endif
