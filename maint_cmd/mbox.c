// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd host transport: the mailbox registers (doorbell, command,
 * status, payload, background status), one foreground command at a
 * time, one background command at a time, completion by interrupt or
 * by polling the doorbell, and abort of a background command that
 * overruns its time. Nothing goes out that the device did not
 * advertise (mc_caps_allow()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>

#include "maint_cmd_internal.h"
#include "trace.h"

/* Waits until @done() holds; the interrupt or a poll wakes the wait. */
static int mc_wait(struct mc_host *h, struct completion *c,
		   bool (*done)(struct mc_host *h, u16 op), u16 op,
		   unsigned int timeout_ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);

	for (;;) {
		if (done(h, op))
			return 0;
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		if (READ_ONCE(h->use_irq))
			wait_for_completion_timeout(c, msecs_to_jiffies(10));
		else
			usleep_range(100, 200);
	}
}

static bool mc_doorbell_clear(struct mc_host *h, u16 op)
{
	return !test_bit(MC_CTRL_DOORBELL, &h->regs->ctrl);
}

static bool mc_bg_finished(struct mc_host *h, u16 op)
{
	u64 r = READ_ONCE(h->regs->bg_status);

	return !(r & MC_BGREG_RUNNING) && MC_BGREG_OPCODE(r) == op;
}

/*
 * Caller holds h->bg_lock, so no background command of the host's runs.
 * One may still run on the device: a Perform Maintenance or Scan Media
 * whose submission timed out (stalled firmware) and that the firmware
 * started after the host gave up on it. Nobody waits for it and nobody
 * aborts it, and the device refuses every background command (BUSY)
 * until it ends, which may take a minute: abort it now.
 */
static void mc_bg_reap(struct mc_host *h)
{
	u64 r = READ_ONCE(h->regs->bg_status);
	u16 op = MC_BGREG_OPCODE(r);

	lockdep_assert_held(&h->bg_lock);
	if (!(r & MC_BGREG_RUNNING))
		return;
	atomic64_inc(&h->stat[MC_ST_ABORTS]);
	reinit_completion(&h->bg_done);
	if (!mc_mbox_send(h, MC_OP_BG_ABORT, NULL, 0, NULL, 0, NULL))
		mc_wait(h, &h->bg_done, mc_bg_finished, op,
			READ_ONCE(mc_cmd_timeout_ms));
}

/*
 * Caller holds h->bg_lock: waits for the background command @op, as
 * mc_bg_judge() decides. A device going away does not wait out
 * bg_timeout_ms: the command is aborted at once and the caller gets
 * -ENODEV; one that overruns is aborted too, and the abort is awaited.
 */
static int mc_bg_wait(struct mc_host *h, u16 op)
{
	u64 deadline = ktime_get_ns() +
		       (u64)READ_ONCE(mc_bg_timeout_ms) * NSEC_PER_MSEC;
	enum mc_bg_verdict v;
	int err;

	lockdep_assert_held(&h->bg_lock);
	for (;;) {
		v = mc_bg_judge(READ_ONCE(h->regs->bg_status), op,
				READ_ONCE(h->dead), ktime_get_ns(), deadline, &err);
		if (v != MC_BGV_WAIT)
			break;
		if (READ_ONCE(h->use_irq))
			wait_for_completion_timeout(&h->bg_done, msecs_to_jiffies(10));
		else
			usleep_range(100, 200);
	}
	if (v == MC_BGV_DONE)
		return err;
	if (err == -ETIMEDOUT)
		atomic64_inc(&h->stat[MC_ST_TIMEOUTS]);
	atomic64_inc(&h->stat[MC_ST_ABORTS]);
	mc_mbox_send(h, MC_OP_BG_ABORT, NULL, 0, NULL, 0, NULL);
	mc_wait(h, &h->bg_done, mc_bg_finished, op, READ_ONCE(mc_cmd_timeout_ms));
	return err;
}

/**
 * mc_mbox_send() - run one mailbox command
 * @h: the device
 * @opcode: the command
 * @in: its input payload
 * @in_len: bytes of @in
 * @out: where the output payload goes, or NULL
 * @out_size: bytes @out holds
 * @out_len: bytes the device returned, or NULL
 *
 * A background command returns when it has completed, or after it was
 * aborted for overrunning /sys/kernel/mm/maint_cmd/bg_timeout_ms.
 *
 * Return: 0, -EOPNOTSUPP for a command the device did not advertise,
 * -EBUSY while the device still works on an earlier one, -ETIMEDOUT,
 * -EPROTO for a malformed answer, -ENODEV when the device goes away,
 * or the errno of the device's return code.
 */
int mc_mbox_send(struct mc_host *h, u16 opcode, const void *in, size_t in_len,
		 void *out, size_t out_size, size_t *out_len)
{
	struct mc_regs *r = h->regs;
	int idx = mc_op_index(opcode), ret;
	u64 t0 = ktime_get_ns();
	bool bg;
	u32 len;
	u64 cmd;
	u16 rc = MC_RC_INTERNAL;

	if (!mc_caps_allow(&h->caps, opcode)) {
		atomic64_inc(&h->stat[MC_ST_UNSUPPORTED]);
		return -EOPNOTSUPP;
	}
	if (in_len > MC_PAYLOAD_MAX)
		return -EINVAL;
	bg = mc_ops[idx].background;
	if (bg) {
		mutex_lock(&h->bg_lock);
		if (!READ_ONCE(h->dead))
			mc_bg_reap(h);
	}
	mutex_lock(&h->mbox_lock);
	/* Going away, the host still aborts what runs in the background. */
	if (READ_ONCE(h->dead) && opcode != MC_OP_BG_ABORT) {
		ret = -ENODEV;
		goto unlock;
	}
	/*
	 * The device still works on a command the host gave up on (it
	 * timed out): the mailbox is the device's until it answers that
	 * one. Wait for it as long as for a command of our own.
	 */
	if (mc_wait(h, &h->mbox_done, mc_doorbell_clear, opcode,
		    READ_ONCE(mc_cmd_timeout_ms))) {
		ret = -EBUSY;
		goto unlock;
	}
	if (in_len)
		memcpy(r->payload, in, in_len);
	WRITE_ONCE(r->cmd, MC_CMD(opcode, in_len));
	reinit_completion(&h->mbox_done);
	if (bg)
		reinit_completion(&h->bg_done);
	smp_wmb();	/* command and payload before the doorbell */
	set_bit(MC_CTRL_DOORBELL, &r->ctrl);
	mc_model_doorbell(h->model);
	atomic64_inc(&h->stat[MC_ST_COMMANDS]);
	trace_maint_cmd_command_submit(h->id, opcode, in_len);
	ret = mc_wait(h, &h->mbox_done, mc_doorbell_clear, opcode,
		      READ_ONCE(mc_cmd_timeout_ms));
	if (ret) {
		atomic64_inc(&h->stat[MC_ST_TIMEOUTS]);
		goto unlock;
	}
	smp_rmb();	/* the answer after the doorbell cleared */
	rc = MC_STATUS_RC(READ_ONCE(r->status));
	cmd = READ_ONCE(r->cmd);
	len = MC_CMD_LEN(cmd);
	ret = mc_rc_errno(rc);
	/* An answer to another command, or longer than the registers. */
	if ((rc == MC_RC_BG_STARTED && !bg) || MC_CMD_OPCODE(cmd) != opcode ||
	    len > MC_PAYLOAD_MAX || (!ret && len > out_size)) {
		atomic64_inc(&h->stat[MC_ST_MALFORMED]);
		ret = -EPROTO;
		goto unlock;
	}
	if (!ret && len)
		memcpy(out, r->payload, len);
	if (out_len)
		*out_len = ret ? 0 : len;
unlock:
	mutex_unlock(&h->mbox_lock);
	if (!ret && rc == MC_RC_BG_STARTED)
		ret = mc_bg_wait(h, opcode);
	if (bg)
		mutex_unlock(&h->bg_lock);
	trace_maint_cmd_command_complete(h->id, opcode, rc, ret,
					 (ktime_get_ns() - t0) / NSEC_PER_USEC);
	return ret;
}

/* The device's interrupt (hard-irq context). */
void mc_host_irq(struct mc_host *h)
{
	struct mc_regs *r = h->regs;

	if (test_and_clear_bit(MC_IRQ_MBOX, &r->irq_status))
		complete(&h->mbox_done);
	if (test_and_clear_bit(MC_IRQ_BG, &r->irq_status))
		complete(&h->bg_done);
	if (test_and_clear_bit(MC_IRQ_EVENT, &r->irq_status) && !READ_ONCE(h->dead))
		mod_delayed_work(system_unbound_wq, &h->event_work, 0);
}
