// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a device's reply (or a host's
 * request, for the decoders the model runs). The first byte picks the
 * decoder; the rest is the payload, of exactly its length (copied, so
 * ASan sees any read past it). A decoder that accepts must return
 * fields inside their bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maint_cmd_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP	(256ULL << 20)

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_event ev[MC_EVENTS_MAX];
	struct mc_poison rec[MC_POISON_MAX];
	struct mc_events_hdr eh;
	struct mc_poison_hdr ph;
	struct mc_identify id;
	struct mc_maint m;
	struct mc_maint_feat mf;
	enum mc_feature_id f;
	const u8 *d;
	u16 handles[MC_CLEAR_MAX], a16, b16, rc;
	u32 mask, u;
	u64 dpa, lines, u64b;
	u8 *p, log, pct;
	bool all, run;
	unsigned int i;
	int sel, ret;

	if (!size)
		return 0;
	sel = data[0];
	size--;
	p = malloc(size ? size : 1);
	memcpy(p, data + 1, size);
	switch (sel % 15) {
	case 0:
		if (!mc_events_decode(&eh, ev, MC_EVENTS_MAX, p, size, CAP)) {
			check(eh.count <= MC_EVENTS_MAX);
			for (i = 0; i < eh.count; i++)
				check(ev[i].dpa < CAP && !(ev[i].dpa % MC_LINE) &&
				      ev[i].severity < 4 && ev[i].type < 3);
		}
		break;
	case 1:
		if (!mc_event_decode(ev, p, size, CAP))
			check(size == MC_EVENT_LEN && ev->dpa < CAP);
		break;
	case 2:
		if (!mc_poison_decode(&ph, rec, MC_POISON_MAX, p, size, CAP))
			for (i = 0; i < ph.count; i++)
				check(rec[i].lines && rec[i].dpa < CAP &&
				      rec[i].lines <= (CAP - rec[i].dpa) / MC_LINE);
		break;
	case 3:
		if (!mc_identify_decode(&id, p, size))
			check(id.capacity && !(id.capacity % 4096));
		break;
	case 4:
		mc_cel_decode(p, size, &mask);
		break;
	case 5:
		if (!mc_supp_feat_decode(p, size, &mask, &a16))
			check(mask < (1U << MC_NR_FEATS));
		break;
	case 6:
		mc_maint_feat_decode(&mf, p, size, sel & 1 ? MC_FEAT_HARD_PPR :
				     MC_FEAT_SOFT_PPR);
		break;
	case 7:
		if (!mc_bg_status_decode(p, size, &a16, &pct, &run, &rc))
			check(pct <= 100);
		break;
	case 8:
		ret = mc_clear_decode(p, size, &log, &all, handles, MC_CLEAR_MAX);
		check(ret < 0 || (ret <= MC_CLEAR_MAX && log < MC_NR_LOGS));
		break;
	case 9:
		if (!mc_maint_decode(&m, p, size, CAP))
			check(m.dpa < CAP && !(m.dpa % MC_LINE));
		break;
	case 10:
		if (!mc_range_decode(p, size, CAP, &dpa, &lines))
			check(lines && dpa < CAP && lines <= (CAP - dpa) / MC_LINE);
		break;
	case 11:
		if (!mc_get_feat_decode_in(p, size, &f, &a16, &b16))
			check(f < MC_NR_FEATS && b16);
		mc_get_log_decode_in(p, size, &u, &a16, &b16);
		break;
	case 12:
		if (!mc_set_feat_decode_in(p, size, &f, &d, &a16))
			check(d + a16 == p + size);
		mc_supp_feat_in_decode(p, size, &u, &a16);
		break;
	case 13:
		if (!mc_dpa_decode(p, size, sel & 1 ? MC_CLEAR_POISON_LEN : MC_INJECT_LEN,
				   CAP, &dpa))
			check(dpa < CAP);
		break;
	case 14:
		if (size < 26)
			break;
		memcpy(&dpa, p, 8);		/* the register */
		memcpy(&lines, p + 8, 8);	/* now */
		memcpy(&u64b, p + 16, 8);	/* deadline */
		memcpy(&a16, p + 24, 2);	/* the opcode waited for */
		switch (mc_bg_judge(dpa, a16, sel & 1, lines, u64b, &ret)) {
		case MC_BGV_DONE:
			check(!(dpa & MC_BGREG_RUNNING) && MC_BGREG_OPCODE(dpa) == a16 &&
			      ret == mc_rc_errno(MC_BGREG_RC(dpa)));
			break;
		case MC_BGV_ABORT:
			check(ret == ((sel & 1) ? -ENODEV : -ETIMEDOUT));
			check((sel & 1) || lines > u64b);
			break;
		case MC_BGV_WAIT:
			check(!ret && !(sel & 1) && lines <= u64b);
			break;
		default:
			check(0);
		}
		break;
	}
	free(p);
	return 0;
}
