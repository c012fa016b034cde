// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd device model: a memory device behind the mailbox, with a
 * firmware thread that answers commands, runs one background operation
 * at a time (with latency, abortable), keeps a poison list and event
 * logs, and raises interrupts. Its media is a range of the machine's
 * own RAM (a NUMA node's), so the host's actions move and offline real
 * pages; the model never corrupts that RAM. Errors and indications are
 * injected through debugfs (see Documentation/admin-guide/maint_cmd.rst).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/slab.h>
#include <linux/unaligned.h>

#include "maint_cmd_internal.h"

#define MC_SOFT_PPR_MS	20	/* typical sPPR time */
#define MC_HARD_PPR_MS	100	/* typical hPPR time */
#define MC_SPARE_MS	50	/* typical row sparing time */
#define MC_ROW		4096	/* the model's DRAM row: one page of DPA */

static u64 now_ms(void)
{
	return ktime_get_ns() / NSEC_PER_MSEC;
}

static void mc_model_raise(struct mc_model *m, int bit)
{
	set_bit(bit, &m->regs.irq_status);
	if (test_bit(MC_CTRL_IRQ_EN, &m->regs.ctrl))
		irq_work_queue(&m->irq);
}

static void mc_model_irq(struct irq_work *w)
{
	struct mc_model *m = container_of(w, struct mc_model, irq);

	mc_host_irq(m->host);
}

/* Caller holds m->lock. */
static int mc_poison_add(struct mc_model *m, u64 dpa, u8 source)
{
	void *old;

	lockdep_assert_held(&m->lock);
	if (xa_load(&m->poison, dpa / MC_LINE))
		return 0;
	if (m->nr_poison >= MC_MODEL_POISON_MAX)
		return -ENOSPC;
	old = xa_store(&m->poison, dpa / MC_LINE, xa_mk_value(source), GFP_ATOMIC);
	if (xa_is_err(old))
		return xa_err(old);
	m->nr_poison++;
	return 0;
}

/* Caller holds m->lock. Drops the poison of [dpa, dpa + len). */
static void mc_poison_clear(struct mc_model *m, u64 dpa, u64 len)
{
	unsigned long idx;
	void *e;

	lockdep_assert_held(&m->lock);
	xa_for_each_range(&m->poison, idx, e, dpa / MC_LINE,
			  (dpa + len) / MC_LINE - 1) {
		xa_erase(&m->poison, idx);
		m->nr_poison--;
	}
}

/* Caller holds m->lock. Poison list entries from @dpa, at most @max. */
static unsigned int mc_poison_collect(struct mc_model *m, u64 dpa, u64 lines,
				      struct mc_poison *rec, unsigned int max,
				      bool *more)
{
	unsigned long idx;
	unsigned int n = 0;
	void *e;

	lockdep_assert_held(&m->lock);
	*more = false;
	xa_for_each_range(&m->poison, idx, e, dpa / MC_LINE,
			  dpa / MC_LINE + lines - 1) {
		if (n == max) {
			*more = true;
			break;
		}
		rec[n].dpa = (u64)idx * MC_LINE;
		rec[n].lines = 1;
		rec[n].source = xa_to_value(e);
		n++;
	}
	return n;
}

/**
 * mc_model_inject_event() - the device logs an event and interrupts
 * @m: the model
 * @ev: the record; its handle and time stamp are the device's
 *
 * An uncorrectable error also enters the poison list. Maintenance is
 * asked for only when the host enabled indications for PPR.
 *
 * Return: 0, or -ENOSPC when the log was full (counted as overflow).
 */
int mc_model_inject_event(struct mc_model *m, const struct mc_event *ev)
{
	unsigned int log = min_t(unsigned int, ev->severity, MC_LOG_FATAL);
	struct mc_event *r;
	int ret = 0;

	spin_lock(&m->lock);
	if (m->log_n[log] == MC_MODEL_LOG) {
		m->log_overflow[log]++;
		ret = -ENOSPC;
		goto out;
	}
	r = &m->log[log][(m->log_first[log] + m->log_n[log]) % MC_MODEL_LOG];
	*r = *ev;
	r->severity = log;
	r->handle = ++m->next_handle ? m->next_handle : ++m->next_handle;
	r->timestamp = ktime_get_real_ns();
	if (!m->ppr_indicate)
		r->flags &= ~MC_EVF_MAINT_NEEDED;
	/*
	 * It asks only for what the host said it handles (Set Feature,
	 * host capabilities): a host that cannot spare gets a PPR request
	 * instead, a host that repairs nothing gets no request at all.
	 */
	if (r->maint_class == MC_MAINT_SPARING && !(m->host_caps & MC_HOST_SPARING)) {
		r->maint_class = MC_MAINT_PPR;
		r->maint_subclass = MC_MAINT_SOFT_PPR;
	}
	if (!(m->host_caps & (MC_HOST_PPR | MC_HOST_SPARING)))
		r->flags &= ~MC_EVF_MAINT_NEEDED;
	m->log_n[log]++;
	if (ev->descriptor & MC_DESC_UNCORRECTABLE)
		mc_poison_add(m, ev->dpa, MC_SRC_INTERNAL);
	m->regs.event_status |= 1U << log;
out:
	spin_unlock(&m->lock);
	if (!ret)
		mc_model_raise(m, MC_IRQ_EVENT);
	return ret;
}

/* --- commands ----------------------------------------------------------- */

static u16 fw_get_events(struct mc_model *m, u8 *in, u32 len, u8 *out, u32 *olen)
{
	struct mc_event *ev = m->scratch.ev;
	struct mc_events_hdr h = { 0 };
	unsigned int log, i;

	if (len != 1 || in[0] >= MC_NR_LOGS)
		return MC_RC_INVALID_INPUT;
	log = in[0];
	spin_lock(&m->lock);
	h.count = min_t(unsigned int, m->log_n[log], MC_EVENTS_MAX);
	for (i = 0; i < h.count; i++)
		ev[i] = m->log[log][(m->log_first[log] + i) % MC_MODEL_LOG];
	if (m->log_n[log] > h.count)
		h.flags |= MC_EVENTS_MORE;
	/*
	 * The running total, never reset by reading it: a host that gave
	 * up on this answer (a stalled or aborted command) learns the
	 * same total, or a larger one, from its next Get. The flag stays
	 * up once the log has dropped a record; the total may wrap to 0.
	 */
	if (m->log_overflow[log] != m->log_overflow_told[log] ||
	    m->log_overflow[log]) {
		h.flags |= MC_EVENTS_OVERFLOW;
		h.overflow = m->log_overflow[log];
		m->log_overflow_told[log] = m->log_overflow[log];
		if (!m->log_n[log])
			m->regs.event_status &= ~(1U << log);
	}
	spin_unlock(&m->lock);
	*olen = mc_events_encode(out, MC_PAYLOAD_MAX, &h, ev);
	return MC_RC_SUCCESS;
}

static u16 fw_clear_events(struct mc_model *m, u8 *in, u32 len)
{
	u16 *handles = m->scratch.handles;
	unsigned int i, log_n;
	bool all, pending;
	u8 log;
	int n;

	n = mc_clear_decode(in, len, &log, &all, handles, MC_CLEAR_MAX);
	if (n < 0)
		return MC_RC_INVALID_INPUT;
	spin_lock(&m->lock);
	if (all) {
		m->log_n[log] = 0;
	} else {
		/* Handles clear the oldest records, in order, as CXL's do. */
		for (i = 0; i < n; i++) {
			log_n = m->log_n[log];
			if (!log_n ||
			    m->log[log][m->log_first[log]].handle != handles[i]) {
				spin_unlock(&m->lock);
				return MC_RC_INVALID_INPUT;
			}
			m->log_first[log] = (m->log_first[log] + 1) % MC_MODEL_LOG;
			m->log_n[log]--;
		}
	}
	/*
	 * A record refused since the last Get Event Records is not yet in
	 * any answer; the log's status bit stays up for it.
	 */
	pending = !m->log_n[log] &&
		  m->log_overflow[log] != m->log_overflow_told[log];
	if (!m->log_n[log] && !pending)
		m->regs.event_status &= ~(1U << log);
	spin_unlock(&m->lock);
	/* The host drained what it saw; tell it about what it did not. */
	if (pending)
		mc_model_raise(m, MC_IRQ_EVENT);
	return MC_RC_SUCCESS;
}

static u16 fw_features(struct mc_model *m, u16 op, u8 *in, u32 len, u8 *out,
		       u32 *olen)
{
	struct mc_maint_feat mf;
	enum mc_feature_id f;
	u16 off, cnt, start, n;
	u8 data[MC_MAINT_FEAT_LEN];
	const u8 *d;
	u32 size;
	int ret;

	switch (op) {
	case MC_OP_GET_SUPP_FEAT:
		if (mc_supp_feat_in_decode(in, len, &size, &start))
			return MC_RC_INVALID_INPUT;
		ret = mc_supp_feat_encode(out, min_t(u32, size, MC_PAYLOAD_MAX),
					  m->feats, start);
		if (ret < 0)
			return MC_RC_INVALID_INPUT;
		*olen = ret;
		return MC_RC_SUCCESS;
	case MC_OP_GET_FEATURE:
		ret = mc_get_feat_decode_in(in, len, &f, &off, &cnt);
		if (ret)
			return ret == -ENOENT ? MC_RC_UNSUPPORTED : MC_RC_INVALID_INPUT;
		if (!(m->feats & (1U << f)))
			return MC_RC_UNSUPPORTED;
		spin_lock(&m->lock);
		if (f == MC_FEAT_HOST_CAPS) {
			data[0] = m->host_caps;
			data[1] = m->host_caps >> 8;
			data[2] = m->host_caps >> 16;
			data[3] = m->host_caps >> 24;
		} else {
			mf.op_class = f == MC_FEAT_ROW_SPARING ? MC_MAINT_SPARING :
				      MC_MAINT_PPR;
			mf.op_subclass = f == MC_FEAT_ROW_SPARING ? MC_SPARE_ROW :
					 f == MC_FEAT_HARD_PPR;
			mf.flags = (f == MC_FEAT_ROW_SPARING ? 0 : m->ppr_flags[f]) |
				   (m->ppr_indicate & (1U << f) ? MC_MFEAT_INDICATE : 0);
			mf.latency_ms = f == MC_FEAT_ROW_SPARING ? MC_SPARE_MS :
					f == MC_FEAT_HARD_PPR ? MC_HARD_PPR_MS :
					m->ppr_latency_ms;
			mc_maint_feat_encode(data, &mf);
		}
		spin_unlock(&m->lock);
		memcpy(out, data + off, cnt);
		*olen = cnt;
		return MC_RC_SUCCESS;
	default:	/* MC_OP_SET_FEATURE */
		ret = mc_set_feat_decode_in(in, len, &f, &d, &n);
		if (ret)
			return ret == -ENOENT ? MC_RC_UNSUPPORTED : MC_RC_INVALID_INPUT;
		if (!(m->feats & (1U << f)))
			return MC_RC_UNSUPPORTED;
		spin_lock(&m->lock);
		if (f == MC_FEAT_HOST_CAPS) {
			m->host_caps = d[0] | d[1] << 8 | d[2] << 16 | (u32)d[3] << 24;
		} else if (d[0] & ~MC_MFEAT_INDICATE) {
			spin_unlock(&m->lock);
			return MC_RC_INVALID_INPUT;
		} else if (d[0] & MC_MFEAT_INDICATE) {
			m->ppr_indicate |= 1U << f;
		} else {
			m->ppr_indicate &= ~(1U << f);
		}
		spin_unlock(&m->lock);
		return MC_RC_SUCCESS;
	}
}

static u16 fw_poison(struct mc_model *m, u16 op, u8 *in, u32 len, u8 *out,
		     u32 *olen)
{
	struct mc_poison *rec = m->scratch.rec;
	struct mc_poison_hdr h = { 0 };
	u64 dpa, lines;
	bool more;
	int ret;

	switch (op) {
	case MC_OP_GET_POISON:
		if (mc_range_decode(in, len, m->capacity, &dpa, &lines))
			return MC_RC_INVALID_INPUT;
		spin_lock(&m->lock);
		h.count = mc_poison_collect(m, dpa, lines, rec, MC_POISON_MAX, &more);
		spin_unlock(&m->lock);
		h.flags = more ? MC_POISON_MORE : 0;
		if (m->bg.state == MC_BG_RUNNING && m->bg.opcode == MC_OP_SCAN_MEDIA)
			h.flags |= MC_POISON_SCANNING;
		*olen = mc_poison_encode(out, MC_PAYLOAD_MAX, &h, rec);
		return MC_RC_SUCCESS;
	case MC_OP_INJECT_POISON:
	case MC_OP_CLEAR_POISON:
		ret = mc_dpa_decode(in, len, op == MC_OP_INJECT_POISON ?
				    MC_INJECT_LEN : MC_CLEAR_POISON_LEN,
				    m->capacity, &dpa);
		if (ret)
			return ret == -ERANGE ? MC_RC_INVALID_PA : MC_RC_INVALID_INPUT;
		spin_lock(&m->lock);
		if (op == MC_OP_INJECT_POISON)
			ret = mc_poison_add(m, dpa, MC_SRC_INJECTED);
		else
			mc_poison_clear(m, dpa, MC_LINE);
		spin_unlock(&m->lock);
		return ret ? MC_RC_INTERNAL : MC_RC_SUCCESS;
	case MC_OP_SCAN_CAPS:
		if (mc_range_decode(in, len, m->capacity, &dpa, &lines))
			return MC_RC_INVALID_INPUT;
		/* 1 ms per 64 MiB, at least 1 */
		put_unaligned_le32(max_t(u64, 1, (lines * MC_LINE) >> 26), out);
		*olen = MC_SCAN_CAPS_OUT_LEN;
		return MC_RC_SUCCESS;
	default:	/* MC_OP_SCAN_RESULTS */
		if (len)
			return MC_RC_INVALID_LEN;
		spin_lock(&m->lock);
		h.count = m->nr_scan;
		h.restart_dpa = m->bg_scan[0] + m->bg_scan[1] * MC_LINE;
		memcpy(rec, m->scan, sizeof(rec[0]) * m->nr_scan);
		m->nr_scan = 0;
		spin_unlock(&m->lock);
		*olen = mc_poison_encode(out, MC_PAYLOAD_MAX, &h, rec);
		return MC_RC_SUCCESS;
	}
}

/* Starts a background operation: Perform Maintenance or Scan Media. */
static u16 fw_background(struct mc_model *m, u16 op, u8 *in, u32 len)
{
	struct mc_maint mt;
	u64 dpa, lines, dur;
	int f;

	if (op == MC_OP_PERFORM_MAINT) {
		if (mc_maint_decode(&mt, in, len, m->capacity))
			return MC_RC_INVALID_INPUT;
		/* The model spares rows only. */
		f = mt.op_class == MC_MAINT_SPARING ?
		    (mt.op_subclass == MC_SPARE_ROW ? MC_FEAT_ROW_SPARING : -1) :
		    mt.op_subclass ? MC_FEAT_HARD_PPR : MC_FEAT_SOFT_PPR;
		if (f < 0 || !(m->feats & (1U << f)))
			return MC_RC_UNSUPPORTED;
		dur = f == MC_FEAT_ROW_SPARING ? MC_SPARE_MS :
		      f == MC_FEAT_HARD_PPR ? MC_HARD_PPR_MS :
		      min_t(u32, READ_ONCE(m->ppr_latency_ms), 60000);
	} else {
		if (len != MC_SCAN_IN_LEN || in[16] & ~1 ||
		    mc_range_decode(in, MC_POISON_IN_LEN, m->capacity, &dpa, &lines))
			return MC_RC_INVALID_INPUT;
		dur = max_t(u64, 1, (lines * MC_LINE) >> 26);
	}
	spin_lock(&m->lock);
	if (mc_bg_start(&m->bg, op, now_ms(), dur)) {
		spin_unlock(&m->lock);
		return MC_RC_BUSY;
	}
	if (op == MC_OP_PERFORM_MAINT) {
		m->bg_maint = mt;
	} else {
		m->bg_scan[0] = dpa;
		m->bg_scan[1] = lines;
		m->nr_scan = 0;
	}
	WRITE_ONCE(m->regs.bg_status, mc_bg_reg(&m->bg));
	spin_unlock(&m->lock);
	return MC_RC_BG_STARTED;
}

/* A background operation reached its end: apply what it did. */
static void fw_bg_finish(struct mc_model *m)
{
	bool more;

	lockdep_assert_held(&m->lock);
	if (m->bg.opcode == MC_OP_PERFORM_MAINT && m->bg.rc == MC_RC_SUCCESS) {
		/* The row is replaced: its poison is gone. */
		mc_poison_clear(m, round_down(m->bg_maint.dpa, MC_ROW), MC_ROW);
		if (m->bg_maint.op_class == MC_MAINT_SPARING)
			atomic64_inc(&m->spare_done);
		else
			atomic64_inc(&m->ppr_done[m->bg_maint.op_subclass]);
	} else if (m->bg.opcode == MC_OP_SCAN_MEDIA && m->bg.rc == MC_RC_SUCCESS) {
		m->nr_scan = mc_poison_collect(m, m->bg_scan[0], m->bg_scan[1],
					       m->scan, MC_POISON_MAX, &more);
	}
	WRITE_ONCE(m->regs.bg_status, mc_bg_reg(&m->bg));
}

static u16 fw_execute(struct mc_model *m, u16 op, u8 *in, u32 len, u8 *out,
		      u32 *olen)
{
	struct mc_identify id = { "maint_cmd model", m->capacity,
				  MC_MODEL_POISON_MAX, MC_MODEL_POISON_MAX };
	u32 log;
	u16 off, length;
	int i = mc_op_index(op), ret;

	*olen = 0;
	if (i < 0 || !(m->ops & (1U << i))) {
		atomic64_inc(&m->unadvertised);
		return MC_RC_UNSUPPORTED;
	}
	switch (op) {
	case MC_OP_IDENTIFY:
		if (len)
			return MC_RC_INVALID_LEN;
		*olen = mc_identify_encode(out, &id);
		return MC_RC_SUCCESS;
	case MC_OP_GET_LOG:
		if (mc_get_log_decode_in(in, len, &log, &off, &length))
			return MC_RC_INVALID_INPUT;
		ret = mc_cel_encode(out, MC_PAYLOAD_MAX, m->ops);
		if (ret < 0 || off > ret)
			return MC_RC_INVALID_INPUT;
		*olen = min_t(u32, ret - off, length);
		memmove(out, out + off, *olen);
		return MC_RC_SUCCESS;
	case MC_OP_GET_EVENTS:
		return fw_get_events(m, in, len, out, olen);
	case MC_OP_CLEAR_EVENTS:
		return fw_clear_events(m, in, len);
	case MC_OP_GET_SUPP_FEAT:
	case MC_OP_GET_FEATURE:
	case MC_OP_SET_FEATURE:
		return fw_features(m, op, in, len, out, olen);
	case MC_OP_PERFORM_MAINT:
	case MC_OP_SCAN_MEDIA:
		return fw_background(m, op, in, len);
	case MC_OP_BG_STATUS:
		if (len)
			return MC_RC_INVALID_LEN;
		spin_lock(&m->lock);
		*olen = mc_bg_status_encode(out, &m->bg);
		spin_unlock(&m->lock);
		return MC_RC_SUCCESS;
	case MC_OP_BG_ABORT:
		if (len)
			return MC_RC_INVALID_LEN;
		spin_lock(&m->lock);
		if (!mc_bg_abort(&m->bg)) {
			fw_bg_finish(m);
			spin_unlock(&m->lock);
			mc_model_raise(m, MC_IRQ_BG);
			return MC_RC_SUCCESS;
		}
		spin_unlock(&m->lock);
		return MC_RC_SUCCESS;
	default:
		return fw_poison(m, op, in, len, out, olen);
	}
}

/*
 * model_corrupt: garble the next reply that carries records (Get Event
 * Records, Get Poison List, with at least one record), as a faulty
 * device would.
 */
static void fw_corrupt(struct mc_model *m, u16 *op, u32 *olen)
{
	u8 *p = m->regs.payload;
	unsigned int at = *op == MC_OP_GET_EVENTS ? 20 : 10;

	if ((*op != MC_OP_GET_EVENTS && *op != MC_OP_GET_POISON) ||
	    *olen < MC_EVENTS_HDR || !get_unaligned_le16(p + at))
		return;
	switch (xchg(&m->corrupt, MC_CORRUPT_NONE)) {
	case MC_CORRUPT_LEN:
		*olen = MC_PAYLOAD_MAX + 1;
		break;
	case MC_CORRUPT_OPCODE:
		*op = *op == MC_OP_GET_EVENTS ? MC_OP_GET_POISON : MC_OP_GET_EVENTS;
		break;
	case MC_CORRUPT_TRUNCATE:
		*olen -= 1;
		break;
	case MC_CORRUPT_COUNT:
		put_unaligned_le16(get_unaligned_le16(p + at) + 1, p + at);
		break;
	}
}

/* One command from the doorbell to its completion interrupt. */
static void fw_command(struct mc_model *m)
{
	u64 cmd;
	u32 len, olen = 0, us;
	u16 rc, op;

	smp_rmb();	/* the command and payload after the doorbell */
	cmd = READ_ONCE(m->regs.cmd);
	len = MC_CMD_LEN(cmd);
	op = MC_CMD_OPCODE(cmd);
	if (len > MC_PAYLOAD_MAX) {
		rc = MC_RC_INVALID_LEN;
	} else {
		memcpy(m->buf, m->regs.payload, len);
		us = min_t(u32, READ_ONCE(m->cmd_latency_us), 100000);
		if (us)
			usleep_range(us, us + 10);
		rc = fw_execute(m, op, m->buf, len, m->regs.payload, &olen);
		if (rc == MC_RC_SUCCESS)
			fw_corrupt(m, &op, &olen);
	}
	WRITE_ONCE(m->regs.cmd, MC_CMD(op, olen));
	WRITE_ONCE(m->regs.status, (u64)rc << 32);
	smp_wmb();	/* the answer before the doorbell clears */
	clear_bit(MC_CTRL_DOORBELL, &m->regs.ctrl);
	mc_model_raise(m, MC_IRQ_MBOX);
}

static bool fw_bg_running(struct mc_model *m)
{
	return READ_ONCE(m->bg.state) == MC_BG_RUNNING;
}

static int mc_firmware(void *data)
{
	struct mc_model *m = data;
	bool fin;

	while (!kthread_should_stop()) {
		wait_event_interruptible_timeout(m->fw_wait,
			kthread_should_stop() ||
			(test_bit(MC_CTRL_DOORBELL, &m->regs.ctrl) &&
			 !READ_ONCE(m->stall)),
			fw_bg_running(m) ? msecs_to_jiffies(2) : HZ);
		if (fw_bg_running(m)) {
			spin_lock(&m->lock);
			fin = mc_bg_tick(&m->bg, now_ms());
			if (fin)
				fw_bg_finish(m);
			else
				WRITE_ONCE(m->regs.bg_status, mc_bg_reg(&m->bg));
			spin_unlock(&m->lock);
			if (fin)
				mc_model_raise(m, MC_IRQ_BG);
		}
		if (test_bit(MC_CTRL_DOORBELL, &m->regs.ctrl) &&
		    !READ_ONCE(m->stall))
			fw_command(m);
	}
	return 0;
}

void mc_model_doorbell(struct mc_model *m)
{
	wake_up(&m->fw_wait);
}

/**
 * mc_model_create() - a device model over part of a node's RAM
 * @nid: the node
 * @first: first page of the media, counted from the node's start
 * @pages: pages of media, 0 for the rest of the node
 * @ops: opcodes it advertises (enum mc_op_idx bits)
 * @feats: features it advertises (enum mc_feature_id bits)
 * @offline_only: MC_MFEAT_OFFLINE_ONLY per PPR feature (bit 0 soft, 1 hard)
 *
 * Return: the model, not yet running, or an ERR_PTR.
 */
struct mc_model *mc_model_create(int nid, unsigned long first, unsigned long pages,
				 u32 ops, u32 feats, u8 offline_only)
{
	unsigned long start, end;
	struct mc_model *m;

	if (nid < 0 || nid >= MAX_NUMNODES || !node_state(nid, N_MEMORY))
		return ERR_PTR(-EINVAL);
	start = node_start_pfn(nid);
	end = node_end_pfn(nid);
	if (first >= end - start)
		return ERR_PTR(-ERANGE);
	if (!pages || pages > end - start - first)
		pages = end - start - first;
	if (ops & ~MC_ALL_OPS || feats >= (1U << MC_NR_FEATS) || offline_only > 3)
		return ERR_PTR(-EINVAL);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->nid = nid;
	m->base_pfn = start + first;
	m->capacity = (u64)pages << PAGE_SHIFT;
	m->ops = ops;
	m->feats = feats;
	m->ppr_flags[0] = offline_only & 1 ? MC_MFEAT_OFFLINE_ONLY : 0;
	m->ppr_flags[1] = offline_only & 2 ? MC_MFEAT_OFFLINE_ONLY : 0;
	m->cmd_latency_us = 50;
	m->ppr_latency_ms = MC_SOFT_PPR_MS;
	/* Until the host says otherwise, it is taken to handle everything. */
	m->host_caps = MC_HOST_ALL;
	spin_lock_init(&m->lock);
	init_waitqueue_head(&m->fw_wait);
	init_irq_work(&m->irq, mc_model_irq);
	xa_init(&m->poison);
	return m;
}

/* Starts the firmware; from here on @h gets the interrupts. */
void mc_model_start(struct mc_model *m, struct mc_host *h)
{
	m->host = h;
	m->fw = kthread_run(mc_firmware, m, "maint_cmd_fw%d", h->id);
}

void mc_model_destroy(struct mc_model *m)
{
	if (!IS_ERR_OR_NULL(m->fw))
		kthread_stop(m->fw);
	WRITE_ONCE(m->regs.ctrl, 0);
	irq_work_sync(&m->irq);
	xa_destroy(&m->poison);
	kfree(m);
}

/* --- debugfs: error and indication injection ----------------------------- */

/*
 * inject_event: "gm|dram DPA SEVERITY [maint] [spare] [uncorrectable]
 * [threshold] [hard] [norepair] [row=N] [nibble=N]"
 */
static ssize_t inject_event_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct mc_model *m = file->private_data;
	struct mc_event ev = { .type = 0, .transaction = 5 };
	char buf[128], *p = buf, *tok;
	unsigned int sev, field = 0;
	u32 v;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	while ((tok = strsep(&p, " \t\n"))) {
		if (!*tok)
			continue;
		if (field == 0) {
			if (!strcmp(tok, "gm"))
				ev.kind = MC_EV_GENERAL_MEDIA;
			else if (!strcmp(tok, "dram"))
				ev.kind = MC_EV_DRAM;
			else
				return -EINVAL;
		} else if (field == 1) {
			ret = kstrtou64(tok, 0, &ev.dpa);
			if (ret)
				return ret;
		} else if (field == 2) {
			if (kstrtouint(tok, 0, &sev) || sev > MC_LOG_FATAL)
				return -EINVAL;
			ev.severity = sev;
		} else if (!strcmp(tok, "maint")) {
			ev.flags |= MC_EVF_MAINT_NEEDED;
			if (ev.maint_class != MC_MAINT_SPARING)
				ev.maint_class = MC_MAINT_PPR;
		} else if (!strcmp(tok, "uncorrectable")) {
			ev.descriptor |= MC_DESC_UNCORRECTABLE;
		} else if (!strcmp(tok, "threshold")) {
			ev.descriptor |= MC_DESC_THRESHOLD;
		} else if (!strcmp(tok, "hard") && ev.maint_class != MC_MAINT_SPARING) {
			ev.maint_subclass = MC_MAINT_HARD_PPR;
		} else if (!strcmp(tok, "spare")) {
			ev.flags |= MC_EVF_MAINT_NEEDED;
			ev.maint_class = MC_MAINT_SPARING;
			ev.maint_subclass = MC_SPARE_ROW;
		} else if (!strcmp(tok, "norepair")) {
			ev.dpa_flags |= MC_DPAF_NOT_REPAIRABLE;
		} else if (!strncmp(tok, "row=", 4) && !kstrtou32(tok + 4, 0, &v) &&
			   v < (1U << 24)) {
			ev.row = v;
		} else if (!strncmp(tok, "nibble=", 7) && !kstrtou32(tok + 7, 0, &v) &&
			   v < (1U << 24)) {
			ev.nibble_mask = v;
		} else {
			return -EINVAL;
		}
		field++;
	}
	if (field < 3 || ev.dpa % MC_LINE || ev.dpa >= m->capacity)
		return -EINVAL;
	if (!ev.maint_class)
		ev.maint_subclass = 0;
	ret = mc_model_inject_event(m, &ev);
	return ret ? ret : count;
}

static const struct file_operations inject_event_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = inject_event_write,
};

static int poison_list_show(struct seq_file *s, void *unused)
{
	struct mc_model *m = s->private;
	unsigned long idx;
	void *e;

	spin_lock(&m->lock);
	xa_for_each(&m->poison, idx, e)
		seq_printf(s, "%#llx %lu\n", (u64)idx * MC_LINE, xa_to_value(e));
	spin_unlock(&m->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(poison_list);

static int model_stats_show(struct seq_file *s, void *unused)
{
	struct mc_model *m = s->private;

	seq_printf(s, "unadvertised %lld\nsoft_ppr %lld\nhard_ppr %lld\nrow_sparing %lld\n",
		   atomic64_read(&m->unadvertised),
		   atomic64_read(&m->ppr_done[0]), atomic64_read(&m->ppr_done[1]),
		   atomic64_read(&m->spare_done));
	seq_printf(s, "ops %#x\nfeats %#x\nhost_caps %#x\nbg_running %d\n",
		   m->ops, m->feats, m->host_caps, fw_bg_running(m));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(model_stats);

/*
 * model_stall: the firmware stops answering, or answers again. Clearing
 * it wakes the firmware, which otherwise would notice only at its next
 * doorbell or idle tick and leave the mailbox busy meanwhile.
 */
static int model_stall_get(void *data, u64 *val)
{
	struct mc_model *m = data;

	*val = READ_ONCE(m->stall);
	return 0;
}

static int model_stall_set(void *data, u64 val)
{
	struct mc_model *m = data;

	if (val > 1)
		return -EINVAL;
	WRITE_ONCE(m->stall, val);
	wake_up(&m->fw_wait);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(model_stall_fops, model_stall_get, model_stall_set, "%llu\n");

static const char * const mc_corrupt_names[MC_NR_CORRUPT] = {
	"none", "len", "opcode", "truncate", "count",
};

static ssize_t model_corrupt_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct mc_model *m = file->private_data;
	char buf[16];
	int i;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	i = sysfs_match_string(mc_corrupt_names, buf);
	if (i < 0)
		return i;
	WRITE_ONCE(m->corrupt, i);
	return count;
}

static ssize_t model_corrupt_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct mc_model *m = file->private_data;
	u32 c = READ_ONCE(m->corrupt);
	char buf[16];
	int n;

	n = scnprintf(buf, sizeof(buf), "%s\n",
		      mc_corrupt_names[c < MC_NR_CORRUPT ? c : 0]);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations model_corrupt_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = model_corrupt_read,
	.write = model_corrupt_write,
};

/* The model's files, in the device's debugfs directory. */
void mc_model_debugfs(struct mc_model *m, struct dentry *dir)
{
	debugfs_create_file("inject_event", 0200, dir, m, &inject_event_fops);
	debugfs_create_file("model_poison_list", 0400, dir, m, &poison_list_fops);
	debugfs_create_file("model_stats", 0400, dir, m, &model_stats_fops);
	debugfs_create_u32("model_cmd_latency_us", 0600, dir, &m->cmd_latency_us);
	debugfs_create_u32("model_ppr_latency_ms", 0600, dir, &m->ppr_latency_ms);
	debugfs_create_file_unsafe("model_stall", 0600, dir, m, &model_stall_fops);
	debugfs_create_file("model_corrupt", 0600, dir, m, &model_corrupt_fops);
}
