/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: no trace events are created. */
