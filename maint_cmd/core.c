// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd core: payload codecs, capability gating, the action policy
 * and the background-operation state machine (see maint_cmd_core.h).
 *
 * A decoder checks the length first, then every field, and fails with
 * -EPROTO (a reply the host cannot trust) or -EINVAL (a request the
 * device must refuse); it reads nothing past @len.
 */
#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <kunit/visibility.h>
#include <linux/string.h>

#include "maint_cmd_core.h"

const struct mc_op_info mc_ops[MC_NR_OPS] = {
	[MC_I_BG_STATUS] = { MC_OP_BG_STATUS, "bg_status", false, false },
	[MC_I_BG_ABORT] = { MC_OP_BG_ABORT, "bg_abort", false, false },
	[MC_I_GET_EVENTS] = { MC_OP_GET_EVENTS, "get_events", false, false },
	[MC_I_CLEAR_EVENTS] = { MC_OP_CLEAR_EVENTS, "clear_events", false, false },
	[MC_I_GET_LOG] = { MC_OP_GET_LOG, "get_log", false, true },
	[MC_I_GET_SUPP_FEAT] = { MC_OP_GET_SUPP_FEAT, "get_supported_features", false, false },
	[MC_I_GET_FEATURE] = { MC_OP_GET_FEATURE, "get_feature", false, false },
	[MC_I_SET_FEATURE] = { MC_OP_SET_FEATURE, "set_feature", false, false },
	[MC_I_PERFORM_MAINT] = { MC_OP_PERFORM_MAINT, "perform_maintenance", true, false },
	[MC_I_IDENTIFY] = { MC_OP_IDENTIFY, "identify", false, true },
	[MC_I_GET_POISON] = { MC_OP_GET_POISON, "get_poison_list", false, false },
	[MC_I_INJECT_POISON] = { MC_OP_INJECT_POISON, "inject_poison", false, false },
	[MC_I_CLEAR_POISON] = { MC_OP_CLEAR_POISON, "clear_poison", false, false },
	[MC_I_SCAN_CAPS] = { MC_OP_SCAN_CAPS, "get_scan_media_caps", false, false },
	[MC_I_SCAN_MEDIA] = { MC_OP_SCAN_MEDIA, "scan_media", true, false },
	[MC_I_SCAN_RESULTS] = { MC_OP_SCAN_RESULTS, "get_scan_media_results", false, false },
};
EXPORT_SYMBOL_IF_KUNIT(mc_ops);

/* CXL's general media and DRAM event record UUIDs. */
static const u8 mc_gm_uuid[16] = {
	0xfb, 0xcd, 0x0a, 0x77, 0xc2, 0x60, 0x41, 0x7f,
	0x85, 0xa9, 0x08, 0x8b, 0x16, 0x21, 0xeb, 0xa6,
};
static const u8 mc_dram_uuid[16] = {
	0x60, 0x1d, 0xcb, 0xb3, 0x9c, 0x06, 0x4e, 0xab,
	0xb8, 0xaf, 0x4e, 0x9b, 0xfb, 0x5c, 0x96, 0x24,
};

/* The model's feature UUIDs (see Documentation/admin-guide/maint_cmd.rst). */
const u8 mc_feat_uuid[MC_NR_FEATS][16] = {
	[MC_FEAT_SOFT_PPR] = { 0x6d, 0x63, 0x70, 0x70, 0x72, 0x00, 0x4d, 0x43,
			       0x80, 0x01, 0x73, 0x70, 0x70, 0x72, 0x00, 0x01 },
	[MC_FEAT_HARD_PPR] = { 0x6d, 0x63, 0x70, 0x70, 0x72, 0x00, 0x4d, 0x43,
			       0x80, 0x01, 0x68, 0x70, 0x70, 0x72, 0x00, 0x02 },
	[MC_FEAT_HOST_CAPS] = { 0x6d, 0x63, 0x68, 0x6f, 0x73, 0x74, 0x4d, 0x43,
				0x80, 0x01, 0x63, 0x61, 0x70, 0x73, 0x00, 0x03 },
	[MC_FEAT_ROW_SPARING] = { 0x6d, 0x63, 0x73, 0x70, 0x61, 0x72, 0x4d, 0x43,
				  0x80, 0x01, 0x72, 0x6f, 0x77, 0x73, 0x00, 0x04 },
};
EXPORT_SYMBOL_IF_KUNIT(mc_feat_uuid);

static const struct {
	u16 get_size, set_size;
	u8 op_class, op_subclass;
} mc_feat_info[MC_NR_FEATS] = {
	[MC_FEAT_SOFT_PPR] = { MC_MAINT_FEAT_LEN, 1, MC_MAINT_PPR, MC_MAINT_SOFT_PPR },
	[MC_FEAT_HARD_PPR] = { MC_MAINT_FEAT_LEN, 1, MC_MAINT_PPR, MC_MAINT_HARD_PPR },
	[MC_FEAT_HOST_CAPS] = { MC_HOST_CAPS_LEN, MC_HOST_CAPS_LEN, 0, 0 },
	[MC_FEAT_ROW_SPARING] = { MC_MAINT_FEAT_LEN, 1, MC_MAINT_SPARING, MC_SPARE_ROW },
};

/* Little-endian fields of a payload. */
static void put16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put24(u8 *p, u32 v)
{
	put16(p, v);
	p[2] = v >> 16;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(u8 *p, u64 v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static u16 get16(const u8 *p)
{
	return p[0] | (u16)p[1] << 8;
}

static u32 get24(const u8 *p)
{
	return get16(p) | (u32)p[2] << 16;
}

static u32 get32(const u8 *p)
{
	return get16(p) | (u32)get16(p + 2) << 16;
}

static u64 get64(const u8 *p)
{
	return get32(p) | (u64)get32(p + 4) << 32;
}

/* A maintenance class and subclass CXL 3.2 defines (0/0: none). */
static bool mc_maint_op_valid(u8 op_class, u8 op_subclass)
{
	switch (op_class) {
	case MC_MAINT_NONE:
		return !op_subclass;
	case MC_MAINT_PPR:
		return op_subclass <= MC_MAINT_HARD_PPR;
	case MC_MAINT_SPARING:
		return op_subclass <= MC_SPARE_RANK;
	default:
		return false;
	}
}

static bool all_zero(const u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* A 64 B aligned range of @lines lines inside @capacity. */
static bool range_ok(u64 dpa, u64 lines, u64 capacity)
{
	return !(dpa % MC_LINE) && lines && dpa < capacity &&
	       lines <= (capacity - dpa) / MC_LINE;
}

/**
 * mc_op_index() - position of an opcode in mc_ops[]
 * @opcode: a mailbox opcode (enum mc_opcode)
 *
 * Context: any; pure lookup.
 * Return: the index (enum mc_op_idx), which is also the opcode's bit in
 * a capability mask, or -1 if the command set has no such opcode.
 */
int mc_op_index(u16 opcode)
{
	int i;

	for (i = 0; i < MC_NR_OPS; i++)
		if (mc_ops[i].opcode == opcode)
			return i;
	return -1;
}
EXPORT_SYMBOL_IF_KUNIT(mc_op_index);

/**
 * mc_rc_errno() - the errno a mailbox return code maps to
 * @rc: the device's return code (enum mc_rc)
 *
 * Context: any; pure.
 * Return: 0 for success and "background command started"; -EINVAL for
 * invalid input or invalid payload length; -EOPNOTSUPP for unsupported;
 * -EAGAIN for retry; -EBUSY for busy; -ERANGE for an invalid physical
 * address; -ECANCELED for aborted; -EIO for any other code.
 */
int mc_rc_errno(u16 rc)
{
	switch (rc) {
	case MC_RC_SUCCESS:
	case MC_RC_BG_STARTED:
		return 0;
	case MC_RC_INVALID_INPUT:
	case MC_RC_INVALID_LEN:
		return -EINVAL;
	case MC_RC_UNSUPPORTED:
		return -EOPNOTSUPP;
	case MC_RC_RETRY:
		return -EAGAIN;
	case MC_RC_BUSY:
		return -EBUSY;
	case MC_RC_INVALID_PA:
		return -ERANGE;
	case MC_RC_ABORTED:
		return -ECANCELED;
	default:
		return -EIO;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mc_rc_errno);

/* --- Identify --------------------------------------------------------- */

/**
 * mc_identify_encode() - build an Identify reply
 * @out: payload buffer of at least MC_IDENTIFY_LEN bytes
 * @id: what to report; @id->fw is copied as 16 bytes
 *
 * Reserved bytes are zeroed. Context: any; pure.
 * Return: MC_IDENTIFY_LEN, the payload length.
 */
int mc_identify_encode(u8 *out, const struct mc_identify *id)
{
	memset(out, 0, MC_IDENTIFY_LEN);
	memcpy(out, id->fw, 16);
	put64(out + 16, id->capacity);
	put16(out + 24, id->poison_max);
	put16(out + 26, id->inject_limit);
	return MC_IDENTIFY_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_identify_encode);

/**
 * mc_identify_decode() - check and parse an Identify reply
 * @id: filled in; @id->fw is always NUL-terminated
 * @p: the reply payload
 * @len: its length as the device reported it
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EPROTO if @len is not MC_IDENTIFY_LEN, a
 * reserved byte is set, the capacity is 0 or not a multiple of 4 KiB, or
 * the poison list holds no entries. @id may be partly written on error.
 */
int mc_identify_decode(struct mc_identify *id, const u8 *p, size_t len)
{
	if (len != MC_IDENTIFY_LEN || !all_zero(p + 28, 4))
		return -EPROTO;
	memcpy(id->fw, p, 16);
	id->fw[15] = 0;
	id->capacity = get64(p + 16);
	id->poison_max = get16(p + 24);
	id->inject_limit = get16(p + 26);
	if (!id->capacity || id->capacity % 4096 || !id->poison_max)
		return -EPROTO;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_identify_decode);

/* --- Get Log: command effects log ------------------------------------- */

/**
 * mc_get_log_encode() - build a Get Log request
 * @in: payload buffer of at least MC_GET_LOG_IN_LEN bytes
 * @log: log id (MC_LOG_CEL)
 * @offset: byte offset into the log
 * @length: bytes wanted
 *
 * Context: any; pure.
 * Return: MC_GET_LOG_IN_LEN, the payload length.
 */
int mc_get_log_encode(u8 *in, u32 log, u16 offset, u16 length)
{
	put32(in, log);
	put16(in + 4, offset);
	put16(in + 6, length);
	return MC_GET_LOG_IN_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_get_log_encode);

/**
 * mc_get_log_decode_in() - check and parse a Get Log request (device side)
 * @p: the request payload
 * @len: its length
 * @log: the log id
 * @offset: byte offset into the log
 * @length: bytes wanted
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EINVAL if @len is not MC_GET_LOG_IN_LEN, the
 * log is not the command effects log, @offset is not a multiple of
 * MC_CEL_ENTRY_LEN or @length exceeds MC_PAYLOAD_MAX. The outputs may be
 * written on error.
 */
int mc_get_log_decode_in(const u8 *p, size_t len, u32 *log, u16 *offset,
			 u16 *length)
{
	if (len != MC_GET_LOG_IN_LEN)
		return -EINVAL;
	*log = get32(p);
	*offset = get16(p + 4);
	*length = get16(p + 6);
	if (*log != MC_LOG_CEL || *offset % MC_CEL_ENTRY_LEN ||
	    *length > MC_PAYLOAD_MAX)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_get_log_decode_in);

/**
 * mc_cel_encode() - build a command effects log
 * @out: payload buffer
 * @size: bytes available at @out
 * @ops_mask: the opcodes to list, bit n = mc_ops[n]
 *
 * One MC_CEL_ENTRY_LEN entry per opcode in @ops_mask, in mc_ops[]
 * order, with no effects bits. Context: any; pure.
 * Return: the payload length, or -ENOSPC if the entries do not fit in
 * @size (@out may then hold some of them).
 */
int mc_cel_encode(u8 *out, size_t size, u32 ops_mask)
{
	size_t n = 0;
	int i;

	for (i = 0; i < MC_NR_OPS; i++) {
		if (!(ops_mask & (1U << i)))
			continue;
		if (n + MC_CEL_ENTRY_LEN > size)
			return -ENOSPC;
		put16(out + n, mc_ops[i].opcode);
		put16(out + n + 2, 0);
		n += MC_CEL_ENTRY_LEN;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mc_cel_encode);

/**
 * mc_cel_decode() - check and parse a command effects log
 * @p: the Get Log reply payload
 * @len: its length
 * @ops_mask: set to the opcodes listed, bit n = mc_ops[n]
 *
 * Opcodes the host does not know are the device's business and are
 * skipped; effects bits are ignored. Context: any; pure.
 * Return: 0 on success; -EPROTO if @len is not a multiple of
 * MC_CEL_ENTRY_LEN or exceeds MC_PAYLOAD_MAX (@ops_mask untouched).
 */
int mc_cel_decode(const u8 *p, size_t len, u32 *ops_mask)
{
	size_t off;
	int i;

	if (len % MC_CEL_ENTRY_LEN || len > MC_PAYLOAD_MAX)
		return -EPROTO;
	*ops_mask = 0;
	for (off = 0; off < len; off += MC_CEL_ENTRY_LEN) {
		i = mc_op_index(get16(p + off));
		if (i >= 0)
			*ops_mask |= 1U << i;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_cel_decode);

/* --- Features ----------------------------------------------------------- */

/**
 * mc_feature_lookup() - the feature a UUID names
 * @uuid: 16 bytes
 *
 * Context: any; pure.
 * Return: the enum mc_feature_id of @uuid, or -1 if the host does not
 * know the feature.
 */
int mc_feature_lookup(const u8 *uuid)
{
	int f;

	for (f = 0; f < MC_NR_FEATS; f++)
		if (!memcmp(uuid, mc_feat_uuid[f], 16))
			return f;
	return -1;
}
EXPORT_SYMBOL_IF_KUNIT(mc_feature_lookup);

/**
 * mc_supp_feat_in_encode() - build a Get Supported Features request
 * @in: payload buffer of at least MC_SUPP_FEAT_IN_LEN bytes
 * @out_size: the reply size the host accepts
 * @start: index of the first feature entry wanted
 *
 * Context: any; pure.
 * Return: MC_SUPP_FEAT_IN_LEN, the payload length.
 */
int mc_supp_feat_in_encode(u8 *in, u32 out_size, u16 start)
{
	put32(in, out_size);
	put16(in + 4, start);
	put16(in + 6, 0);
	return MC_SUPP_FEAT_IN_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_supp_feat_in_encode);

/**
 * mc_supp_feat_in_decode() - check and parse a Get Supported Features
 *	request (device side)
 * @p: the request payload
 * @len: its length
 * @out_size: the reply size the host accepts
 * @start: index of the first feature entry wanted
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EINVAL if @len is not MC_SUPP_FEAT_IN_LEN, the
 * reserved field is set, or @out_size is below MC_SUPP_FEAT_HDR.
 */
int mc_supp_feat_in_decode(const u8 *p, size_t len, u32 *out_size, u16 *start)
{
	if (len != MC_SUPP_FEAT_IN_LEN || get16(p + 6))
		return -EINVAL;
	*out_size = get32(p);
	*start = get16(p + 4);
	if (*out_size < MC_SUPP_FEAT_HDR)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_supp_feat_in_decode);

/**
 * mc_supp_feat_encode() - build a Get Supported Features reply
 * @out: payload buffer
 * @size: bytes available at @out, the host's out_size
 * @feats_mask: the features the device supports, bit = mc_feature_id
 * @start: index of the first entry to return
 *
 * The header counts every supported feature; entries from @start on
 * follow as long as they fit in @size. Context: any; pure.
 * Return: the payload length, or -ENOSPC if @size is below
 * MC_SUPP_FEAT_HDR.
 */
int mc_supp_feat_encode(u8 *out, size_t size, u32 feats_mask, u16 start)
{
	size_t n = MC_SUPP_FEAT_HDR;
	u16 idx = 0, entries = 0, total = 0;
	int f;

	if (size < MC_SUPP_FEAT_HDR)
		return -ENOSPC;
	memset(out, 0, MC_SUPP_FEAT_HDR);
	for (f = 0; f < MC_NR_FEATS; f++) {
		u8 *e = out + n;

		if (!(feats_mask & (1U << f)))
			continue;
		total++;
		if (idx++ < start || n + MC_FEAT_ENTRY_LEN > size)
			continue;
		memset(e, 0, MC_FEAT_ENTRY_LEN);
		memcpy(e, mc_feat_uuid[f], 16);
		put16(e + 16, idx - 1);
		put16(e + 18, mc_feat_info[f].get_size);
		put16(e + 20, mc_feat_info[f].set_size);
		put32(e + 22, 1);	/* changeable */
		e[26] = 1;
		e[27] = 1;
		n += MC_FEAT_ENTRY_LEN;
		entries++;
	}
	put16(out, entries);
	put16(out + 2, total);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mc_supp_feat_encode);

/**
 * mc_supp_feat_decode() - check and parse a Get Supported Features reply
 * @p: the reply payload
 * @len: its length
 * @feats_mask: set to the known features listed, bit = mc_feature_id
 * @device_total: set to the number of features the device supports
 *
 * Entries with a UUID the host does not know are skipped. Context: any;
 * pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EPROTO if @len is shorter than the header or
 * does not match the entry count, a reserved byte is set, more entries
 * are returned than the device supports, or a known feature reports a
 * get or set size other than the host's.
 */
int mc_supp_feat_decode(const u8 *p, size_t len, u32 *feats_mask,
			u16 *device_total)
{
	u16 n, i;
	int f;

	if (len < MC_SUPP_FEAT_HDR || !all_zero(p + 4, 4))
		return -EPROTO;
	n = get16(p);
	*device_total = get16(p + 2);
	if (n > *device_total ||
	    len != MC_SUPP_FEAT_HDR + (size_t)n * MC_FEAT_ENTRY_LEN)
		return -EPROTO;
	*feats_mask = 0;
	for (i = 0; i < n; i++) {
		const u8 *e = p + MC_SUPP_FEAT_HDR + (size_t)i * MC_FEAT_ENTRY_LEN;

		if (!all_zero(e + 30, MC_FEAT_ENTRY_LEN - 30))
			return -EPROTO;
		f = mc_feature_lookup(e);
		if (f < 0)
			continue;
		/* A known feature of the wrong size would be misread. */
		if (get16(e + 18) != mc_feat_info[f].get_size ||
		    get16(e + 20) != mc_feat_info[f].set_size)
			return -EPROTO;
		*feats_mask |= 1U << f;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_supp_feat_decode);

/**
 * mc_get_feat_encode() - build a Get Feature request for the current value
 * @in: payload buffer of at least MC_GET_FEAT_IN_LEN bytes
 * @f: the feature, below MC_NR_FEATS
 * @offset: byte offset into the feature data
 * @count: bytes wanted
 *
 * Context: any; pure.
 * Return: MC_GET_FEAT_IN_LEN, the payload length.
 */
int mc_get_feat_encode(u8 *in, enum mc_feature_id f, u16 offset, u16 count)
{
	memcpy(in, mc_feat_uuid[f], 16);
	put16(in + 16, offset);
	put16(in + 18, count);
	in[20] = 0;	/* current value */
	return MC_GET_FEAT_IN_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_get_feat_encode);

/**
 * mc_get_feat_decode_in() - check and parse a Get Feature request
 *	(device side)
 * @p: the request payload
 * @len: its length
 * @f: the feature asked for
 * @offset: byte offset into the feature data
 * @count: bytes wanted
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EINVAL if @len is not MC_GET_FEAT_IN_LEN, the
 * selection is above 2, @count is 0 or @offset + @count runs past the
 * feature's data; -ENOENT if the UUID names no known feature.
 */
int mc_get_feat_decode_in(const u8 *p, size_t len, enum mc_feature_id *f,
			  u16 *offset, u16 *count)
{
	int id;

	if (len != MC_GET_FEAT_IN_LEN)
		return -EINVAL;
	id = mc_feature_lookup(p);
	if (id < 0)
		return -ENOENT;
	*f = id;
	*offset = get16(p + 16);
	*count = get16(p + 18);
	if (p[20] > 2 || !*count ||
	    (u32)*offset + *count > mc_feat_info[id].get_size)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_get_feat_decode_in);

/**
 * mc_set_feat_encode() - build a Set Feature request (full transfer)
 * @in: payload buffer
 * @size: bytes available at @in
 * @f: the feature, below MC_NR_FEATS
 * @data: the feature data
 * @n: bytes of @data
 *
 * Context: any; pure.
 * Return: the payload length, MC_SET_FEAT_HDR + @n, or -ENOSPC if that
 * exceeds @size (@in untouched).
 */
int mc_set_feat_encode(u8 *in, size_t size, enum mc_feature_id f,
		       const u8 *data, u16 n)
{
	if (size < MC_SET_FEAT_HDR + (size_t)n)
		return -ENOSPC;
	memset(in, 0, MC_SET_FEAT_HDR);
	memcpy(in, mc_feat_uuid[f], 16);
	in[22] = 1;	/* version */
	memcpy(in + MC_SET_FEAT_HDR, data, n);
	return MC_SET_FEAT_HDR + n;
}
EXPORT_SYMBOL_IF_KUNIT(mc_set_feat_encode);

/**
 * mc_set_feat_decode_in() - check and parse a Set Feature request
 *	(device side)
 * @p: the request payload
 * @len: its length
 * @f: the feature to set
 * @data: set to the feature data inside @p
 * @n: bytes at @data
 *
 * Only full transfers of version 1 are accepted. Context: any; pure.
 * Reads no more than @len bytes of @p.
 * Return: 0 on success; -EINVAL if @len is shorter than the header, a
 * flag, offset or reserved byte is set, the version is not 1, or the
 * data length is not the feature's set size; -ENOENT if the UUID names
 * no known feature.
 */
int mc_set_feat_decode_in(const u8 *p, size_t len, enum mc_feature_id *f,
			  const u8 **data, u16 *n)
{
	int id;

	if (len < MC_SET_FEAT_HDR)
		return -EINVAL;
	id = mc_feature_lookup(p);
	if (id < 0)
		return -ENOENT;
	/* Whole transfers only: flags, offset and reserved bytes are 0. */
	if (!all_zero(p + 16, 6) || p[22] != 1 || !all_zero(p + 23, 9) ||
	    len - MC_SET_FEAT_HDR != mc_feat_info[id].set_size)
		return -EINVAL;
	*f = id;
	*data = p + MC_SET_FEAT_HDR;
	*n = len - MC_SET_FEAT_HDR;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_set_feat_decode_in);

/**
 * mc_maint_feat_encode() - build a maintenance feature's data
 * @out: buffer of at least MC_MAINT_FEAT_LEN bytes
 * @m: class, subclass, MC_MFEAT_* flags and typical latency
 *
 * Context: any; pure.
 * Return: MC_MAINT_FEAT_LEN, the data length.
 */
int mc_maint_feat_encode(u8 *out, const struct mc_maint_feat *m)
{
	memset(out, 0, MC_MAINT_FEAT_LEN);
	out[0] = m->op_class;
	out[1] = m->op_subclass;
	out[2] = m->flags;
	put16(out + 4, m->latency_ms);
	return MC_MAINT_FEAT_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_maint_feat_encode);

/**
 * mc_maint_feat_decode() - check and parse a maintenance feature's data
 * @m: filled in
 * @p: the Get Feature reply
 * @len: its length
 * @f: the feature that was read
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EPROTO if @len is not MC_MAINT_FEAT_LEN, a
 * reserved byte is set, @f is MC_FEAT_HOST_CAPS or out of range, the
 * class or subclass is not the one @f stands for, or an unknown flag is
 * set. @m may be partly written on error.
 */
int mc_maint_feat_decode(struct mc_maint_feat *m, const u8 *p, size_t len,
			 enum mc_feature_id f)
{
	if (len != MC_MAINT_FEAT_LEN || p[3] || get16(p + 6) ||
	    f == MC_FEAT_HOST_CAPS || f >= MC_NR_FEATS)
		return -EPROTO;
	m->op_class = p[0];
	m->op_subclass = p[1];
	m->flags = p[2];
	m->latency_ms = get16(p + 4);
	if (m->op_class != mc_feat_info[f].op_class ||
	    m->op_subclass != mc_feat_info[f].op_subclass ||
	    m->flags & ~(MC_MFEAT_OFFLINE_ONLY | MC_MFEAT_INDICATE))
		return -EPROTO;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_maint_feat_decode);

/* --- Event records ------------------------------------------------------ */

#define GM_VALID	0x0f	/* channel, rank, device, component */
#define DRAM_VALID	0xff	/* channel .. correction mask */
#define DPAF_VALID	(MC_DPAF_VOLATILE | MC_DPAF_NOT_REPAIRABLE)

/**
 * mc_event_encode() - build a general media or DRAM event record
 * @out: buffer of at least MC_EVENT_LEN bytes
 * @ev: the record; @ev->kind selects the UUID and the DRAM fields
 *
 * Context: any; pure.
 * Return: MC_EVENT_LEN, the record length.
 */
int mc_event_encode(u8 *out, const struct mc_event *ev)
{
	memset(out, 0, MC_EVENT_LEN);
	memcpy(out, ev->kind == MC_EV_DRAM ? mc_dram_uuid : mc_gm_uuid, 16);
	out[16] = MC_EVENT_LEN;
	out[17] = ev->flags | (ev->severity & MC_EVF_SEV_MASK);
	put16(out + 20, ev->handle);
	put64(out + 24, ev->timestamp);
	out[32] = ev->maint_class;
	out[33] = ev->maint_subclass;
	put64(out + 48, ev->dpa | (ev->dpa_flags & DPAF_VALID));
	out[56] = ev->descriptor;
	out[57] = ev->type;
	out[58] = ev->transaction;
	put16(out + 59, 0x3);		/* channel and rank valid */
	out[61] = ev->channel;
	out[62] = ev->rank;
	if (ev->kind == MC_EV_DRAM) {
		put16(out + 59, 0x27);	/* + nibble mask, row */
		put24(out + 63, ev->nibble_mask);
		put24(out + 68, ev->row);
	}
	return MC_EVENT_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_event_encode);

/**
 * mc_event_decode() - check and parse one event record
 * @ev: filled in
 * @p: the record
 * @len: its length
 * @capacity: the device's capacity; the DPA must lie below it
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EPROTO if @len or the record's length byte is
 * not MC_EVENT_LEN, the UUID is neither general media nor DRAM, an
 * unknown header flag, reserved byte or valid bit is set, the
 * maintenance class/subclass is not one CXL defines, the DPA has unknown
 * low flag bits or lies at or past @capacity, or the descriptor, type or
 * transaction type is out of range. @ev may be partly written on error.
 */
int mc_event_decode(struct mc_event *ev, const u8 *p, size_t len,
		    u64 capacity)
{
	u16 valid;
	u64 dpa;

	if (len != MC_EVENT_LEN || p[16] != MC_EVENT_LEN)
		return -EPROTO;
	if (!memcmp(p, mc_gm_uuid, 16))
		ev->kind = MC_EV_GENERAL_MEDIA;
	else if (!memcmp(p, mc_dram_uuid, 16))
		ev->kind = MC_EV_DRAM;
	else
		return -EPROTO;
	if (p[17] & ~MC_EVF_VALID || p[18] || p[19] || !all_zero(p + 34, 14))
		return -EPROTO;
	ev->severity = p[17] & MC_EVF_SEV_MASK;
	ev->flags = p[17] & ~MC_EVF_SEV_MASK;
	ev->handle = get16(p + 20);
	ev->timestamp = get64(p + 24);
	ev->maint_class = p[32];
	ev->maint_subclass = p[33];
	if (!mc_maint_op_valid(ev->maint_class, ev->maint_subclass))
		return -EPROTO;
	dpa = get64(p + 48);
	if ((dpa & (MC_LINE - 1)) & ~DPAF_VALID)
		return -EPROTO;
	ev->dpa = dpa & ~(u64)(MC_LINE - 1);
	ev->dpa_flags = dpa & DPAF_VALID;
	if (ev->dpa >= capacity)
		return -EPROTO;
	ev->descriptor = p[56];
	ev->type = p[57];
	ev->transaction = p[58];
	valid = get16(p + 59);
	if (ev->descriptor & ~MC_DESC_VALID || ev->type > 2 ||
	    ev->transaction > 6)
		return -EPROTO;
	ev->channel = p[61];
	ev->rank = p[62];
	if (ev->kind == MC_EV_DRAM) {
		if (valid & ~DRAM_VALID || !all_zero(p + 76, MC_EVENT_LEN - 76))
			return -EPROTO;
		ev->nibble_mask = get24(p + 63);
		ev->row = get24(p + 68);
	} else {
		if (valid & ~GM_VALID || !all_zero(p + 82, MC_EVENT_LEN - 82))
			return -EPROTO;
		ev->nibble_mask = 0;
		ev->row = 0;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_event_decode);

/**
 * mc_events_encode() - build a Get Event Records reply
 * @out: payload buffer
 * @size: bytes available at @out
 * @h: header: flags, overflow total and record count
 * @ev: @h->count records
 *
 * Context: any; pure.
 * Return: the payload length, or -ENOSPC if @h->count exceeds
 * MC_EVENTS_MAX or the payload does not fit in @size (@out untouched).
 */
int mc_events_encode(u8 *out, size_t size, const struct mc_events_hdr *h,
		     const struct mc_event *ev)
{
	size_t n = MC_EVENTS_HDR + (size_t)h->count * MC_EVENT_LEN;
	u16 i;

	if (h->count > MC_EVENTS_MAX || n > size)
		return -ENOSPC;
	memset(out, 0, MC_EVENTS_HDR);
	out[0] = h->flags;
	put16(out + 2, h->overflow);
	put16(out + 20, h->count);
	for (i = 0; i < h->count; i++)
		mc_event_encode(out + MC_EVENTS_HDR + (size_t)i * MC_EVENT_LEN,
				&ev[i]);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mc_events_encode);

/**
 * mc_events_decode() - check and parse a Get Event Records reply
 * @h: the header, filled in
 * @ev: room for @max records
 * @max: records @ev holds
 * @p: the reply payload
 * @len: its length
 * @capacity: the device's capacity, for each record's DPA
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EPROTO if @len is shorter than the header or
 * does not match the record count, a reserved byte or unknown flag is
 * set, the count exceeds @max or MC_EVENTS_MAX, or any record fails
 * mc_event_decode().
 */
int mc_events_decode(struct mc_events_hdr *h, struct mc_event *ev,
		     unsigned int max, const u8 *p, size_t len, u64 capacity)
{
	u16 i;
	int ret;

	if (len < MC_EVENTS_HDR || p[1] || !all_zero(p + 22, 10))
		return -EPROTO;
	h->flags = p[0];
	h->overflow = get16(p + 2);
	h->count = get16(p + 20);
	if (h->flags & ~(MC_EVENTS_OVERFLOW | MC_EVENTS_MORE) ||
	    h->count > max || h->count > MC_EVENTS_MAX ||
	    len != MC_EVENTS_HDR + (size_t)h->count * MC_EVENT_LEN)
		return -EPROTO;
	for (i = 0; i < h->count; i++) {
		ret = mc_event_decode(&ev[i], p + MC_EVENTS_HDR +
				      (size_t)i * MC_EVENT_LEN, MC_EVENT_LEN,
				      capacity);
		if (ret)
			return ret;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_events_decode);

/**
 * mc_clear_encode() - build a Clear Event Records request
 * @in: payload buffer
 * @size: bytes available at @in
 * @log: the event log (MC_LOG_*)
 * @handles: @n record handles to clear
 * @n: number of handles; 0 means "clear all"
 *
 * Context: any; pure.
 * Return: the payload length, or -ENOSPC if it exceeds @size (@in
 * untouched).
 */
int mc_clear_encode(u8 *in, size_t size, u8 log, const u16 *handles, u8 n)
{
	size_t len = MC_CLEAR_HDR + 2 * (size_t)n;
	u8 i;

	if (len > size)
		return -ENOSPC;
	memset(in, 0, MC_CLEAR_HDR);
	in[0] = log;
	in[1] = !n;
	in[2] = n;
	for (i = 0; i < n; i++)
		put16(in + MC_CLEAR_HDR + 2 * i, handles[i]);
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(mc_clear_encode);

/**
 * mc_clear_decode() - check and parse a Clear Event Records request
 *	(device side)
 * @p: the request payload
 * @len: its length
 * @log: the event log
 * @all: set if every record of @log is to be cleared
 * @handles: room for @max handles
 * @max: handles @handles holds
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: the number of handles (0 with @all set) on success; -EINVAL if
 * @len is shorter than the header or does not match the handle count,
 * the log id is not below MC_NR_LOGS, the clear-all flag is not 0 or 1,
 * a reserved byte is set, clear-all comes with handles or neither is
 * given, or there are more than @max handles.
 */
int mc_clear_decode(const u8 *p, size_t len, u8 *log, bool *all,
		    u16 *handles, unsigned int max)
{
	unsigned int i, n;

	if (len < MC_CLEAR_HDR || p[0] >= MC_NR_LOGS || p[1] > 1 ||
	    !all_zero(p + 3, 3))
		return -EINVAL;
	n = p[2];
	*log = p[0];
	*all = p[1];
	if ((*all && n) || (!*all && !n) || n > max ||
	    len != MC_CLEAR_HDR + 2 * (size_t)n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		handles[i] = get16(p + MC_CLEAR_HDR + 2 * i);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mc_clear_decode);

/* --- Poison list and Scan Media ---------------------------------------- */

/**
 * mc_range_encode() - build a DPA range request (Get Poison List, Scan Media)
 * @in: payload buffer of at least MC_POISON_IN_LEN bytes
 * @dpa: start of the range
 * @lines: length in 64-byte lines
 *
 * Context: any; pure.
 * Return: MC_POISON_IN_LEN, the payload length.
 */
int mc_range_encode(u8 *in, u64 dpa, u64 lines)
{
	put64(in, dpa);
	put64(in + 8, lines);
	return MC_POISON_IN_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_range_encode);

/**
 * mc_range_decode() - check and parse a DPA range request (device side)
 * @p: the request payload
 * @len: its length
 * @capacity: the device's capacity
 * @dpa: start of the range
 * @lines: length in 64-byte lines
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EINVAL if @len is not MC_POISON_IN_LEN;
 * -ERANGE if @dpa is not 64-byte aligned, @lines is 0 or the range does
 * not lie inside @capacity (@dpa and @lines are still set).
 */
int mc_range_decode(const u8 *p, size_t len, u64 capacity, u64 *dpa,
		    u64 *lines)
{
	if (len != MC_POISON_IN_LEN)
		return -EINVAL;
	*dpa = get64(p);
	*lines = get64(p + 8);
	return range_ok(*dpa, *lines, capacity) ? 0 : -ERANGE;
}
EXPORT_SYMBOL_IF_KUNIT(mc_range_decode);

/**
 * mc_poison_encode() - build a Get Poison List or Scan Media results reply
 * @out: payload buffer
 * @size: bytes available at @out
 * @h: header: flags, restart DPA and record count
 * @rec: @h->count records
 *
 * Context: any; pure.
 * Return: the payload length, or -ENOSPC if @h->count exceeds
 * MC_POISON_MAX or the payload does not fit in @size (@out untouched).
 */
int mc_poison_encode(u8 *out, size_t size, const struct mc_poison_hdr *h,
		     const struct mc_poison *rec)
{
	size_t n = MC_POISON_HDR + (size_t)h->count * MC_POISON_REC_LEN;
	u16 i;

	if (h->count > MC_POISON_MAX || n > size)
		return -ENOSPC;
	memset(out, 0, n);
	out[0] = h->flags;
	put64(out + 2, h->restart_dpa);
	put16(out + 10, h->count);
	for (i = 0; i < h->count; i++) {
		u8 *r = out + MC_POISON_HDR + (size_t)i * MC_POISON_REC_LEN;

		put64(r, rec[i].dpa | (rec[i].source & 7));
		put32(r + 8, rec[i].lines);
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mc_poison_encode);

/**
 * mc_poison_decode() - check and parse a poison list reply
 * @h: the header, filled in
 * @rec: room for @max records
 * @max: records @rec holds
 * @p: the reply payload
 * @len: its length
 * @capacity: the device's capacity
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EPROTO if @len is shorter than the header or
 * does not match the record count, a reserved byte or unknown flag is
 * set, the restart DPA is unaligned or past @capacity, the count exceeds
 * @max or MC_POISON_MAX, or a record has reserved bits, an unknown
 * source or a range outside @capacity.
 */
int mc_poison_decode(struct mc_poison_hdr *h, struct mc_poison *rec,
		     unsigned int max, const u8 *p, size_t len, u64 capacity)
{
	u16 i;

	if (len < MC_POISON_HDR || p[1] || !all_zero(p + 12, 20))
		return -EPROTO;
	h->flags = p[0];
	h->restart_dpa = get64(p + 2);
	h->count = get16(p + 10);
	if (h->flags & ~(MC_POISON_MORE | MC_POISON_OVERFLOW | MC_POISON_SCANNING) ||
	    h->restart_dpa % MC_LINE || h->restart_dpa > capacity ||
	    h->count > max || h->count > MC_POISON_MAX ||
	    len != MC_POISON_HDR + (size_t)h->count * MC_POISON_REC_LEN)
		return -EPROTO;
	for (i = 0; i < h->count; i++) {
		const u8 *r = p + MC_POISON_HDR + (size_t)i * MC_POISON_REC_LEN;
		u64 a = get64(r);

		rec[i].source = a & 7;
		rec[i].dpa = a & ~(u64)(MC_LINE - 1);
		rec[i].lines = get32(r + 8);
		if (a & 0x38 || (rec[i].source > MC_SRC_INJECTED && rec[i].source != 7) ||
		    get32(r + 12) || !range_ok(rec[i].dpa, rec[i].lines, capacity))
			return -EPROTO;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_poison_decode);

/**
 * mc_dpa_encode() - build an Inject Poison request
 * @in: payload buffer of at least MC_INJECT_LEN bytes
 * @dpa: the address
 *
 * Clear Poison uses the same leading DPA and appends the new data.
 * Context: any; pure.
 * Return: MC_INJECT_LEN, the length of the DPA field.
 */
int mc_dpa_encode(u8 *in, u64 dpa)
{
	put64(in, dpa);
	return MC_INJECT_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_dpa_encode);

/**
 * mc_dpa_decode() - check and parse an Inject or Clear Poison request
 *	(device side)
 * @p: the request payload
 * @len: its length
 * @want: the length the command takes: MC_INJECT_LEN for Inject Poison,
 *	MC_CLEAR_POISON_LEN (DPA and new data) for Clear Poison
 * @capacity: the device's capacity
 * @dpa: the address
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EINVAL if @len is not @want or @want is below
 * MC_INJECT_LEN; -ERANGE if @dpa is not 64-byte aligned or not below
 * @capacity (@dpa is still set).
 */
int mc_dpa_decode(const u8 *p, size_t len, size_t want, u64 capacity,
		  u64 *dpa)
{
	if (len != want || want < MC_INJECT_LEN)
		return -EINVAL;
	*dpa = get64(p);
	return range_ok(*dpa, 1, capacity) ? 0 : -ERANGE;
}
EXPORT_SYMBOL_IF_KUNIT(mc_dpa_decode);

/* --- Perform Maintenance ------------------------------------------------ */

/**
 * mc_maint_encode() - build a Perform Maintenance request
 * @in: payload buffer of at least MC_MAINT_IN_LEN bytes
 * @m: class, subclass, MC_MAINTF_* flags, DPA and nibble mask
 *
 * Context: any; pure.
 * Return: MC_MAINT_IN_LEN, the payload length.
 */
int mc_maint_encode(u8 *in, const struct mc_maint *m)
{
	in[0] = m->op_class;
	in[1] = m->op_subclass;
	in[2] = m->flags;
	put64(in + 3, m->dpa);
	put24(in + 11, m->nibble_mask);
	return MC_MAINT_IN_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_maint_encode);

/**
 * mc_maint_decode() - check and parse a Perform Maintenance request
 *	(device side)
 * @m: filled in
 * @p: the request payload
 * @len: its length
 * @capacity: the device's capacity
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EINVAL if @len is not MC_MAINT_IN_LEN, the
 * class is none or not one CXL defines with that subclass, an unknown
 * flag is set, or a nibble mask comes without MC_MAINTF_NIBBLE; -ERANGE
 * if the DPA is not 64-byte aligned or not below @capacity.
 */
int mc_maint_decode(struct mc_maint *m, const u8 *p, size_t len, u64 capacity)
{
	if (len != MC_MAINT_IN_LEN)
		return -EINVAL;
	m->op_class = p[0];
	m->op_subclass = p[1];
	m->flags = p[2];
	m->dpa = get64(p + 3);
	m->nibble_mask = get24(p + 11);
	if (m->op_class == MC_MAINT_NONE ||
	    !mc_maint_op_valid(m->op_class, m->op_subclass) ||
	    m->flags & ~(MC_MAINTF_QUERY | MC_MAINTF_NIBBLE) ||
	    (!(m->flags & MC_MAINTF_NIBBLE) && m->nibble_mask))
		return -EINVAL;
	return range_ok(m->dpa, 1, capacity) ? 0 : -ERANGE;
}
EXPORT_SYMBOL_IF_KUNIT(mc_maint_decode);

/* --- Capabilities --------------------------------------------------------- */

/**
 * mc_caps_allow() - may the host send @opcode to this device?
 * @c: what discovery found
 * @opcode: the command
 *
 * Before discovery only the mandatory commands that discovery itself
 * needs go out; after it, only those the command effects log listed.
 *
 * Return: true if the command may be sent.
 */
bool mc_caps_allow(const struct mc_caps *c, u16 opcode)
{
	int i = mc_op_index(opcode);

	if (i < 0)
		return false;
	if (!c->discovered)
		return mc_ops[i].mandatory;
	return c->ops & (1U << i);
}
EXPORT_SYMBOL_IF_KUNIT(mc_caps_allow);

/**
 * mc_caps_can_repair() - can the device do a PPR of this kind?
 * @c: what discovery found
 * @hard: hard PPR rather than soft
 *
 * Context: any; pure.
 * Return: true if Perform Maintenance may be sent (see mc_caps_allow())
 * and the device lists the soft or hard PPR feature @hard selects.
 */
bool mc_caps_can_repair(const struct mc_caps *c, bool hard)
{
	return mc_caps_allow(c, MC_OP_PERFORM_MAINT) &&
	       c->feats & (1U << (hard ? MC_FEAT_HARD_PPR : MC_FEAT_SOFT_PPR));
}
EXPORT_SYMBOL_IF_KUNIT(mc_caps_can_repair);

/**
 * mc_caps_can_spare() - can the device do row sparing?
 * @c: what discovery found
 *
 * Context: any; pure.
 * Return: true if Perform Maintenance may be sent (see mc_caps_allow())
 * and the device lists the row sparing feature.
 */
bool mc_caps_can_spare(const struct mc_caps *c)
{
	return mc_caps_allow(c, MC_OP_PERFORM_MAINT) &&
	       c->feats & (1U << MC_FEAT_ROW_SPARING);
}
EXPORT_SYMBOL_IF_KUNIT(mc_caps_can_spare);

/* --- Policy ------------------------------------------------------------- */

/**
 * mc_after_repair() - what follows a repair: Clear Poison, return to service
 * @c: what discovery found
 * @held: the device may hold poison at the address: the record reports
 *	lost data, or the page went offline for lost data (memory_failure())
 * @back: the page is one this host took offline, in this action or
 *	earlier, and comes back to service once repaired
 *
 * The rule mc_policy() and the administrator's repair (mem_repairN)
 * share: lost data is returned to service only after a Clear Poison.
 * When @held and the device does not advertise Clear Poison, nothing
 * follows the repair: the page stays offline, and the host's record of
 * it stays.
 *
 * Context: any; pure.
 * Return: MAINT_CMD_ACT_CLEAR_POISON when @held and the device can
 * clear poison, with MAINT_CMD_ACT_UNPOISON when @back too;
 * MAINT_CMD_ACT_UNPOISON alone when @back and not @held; else 0.
 */
u32 mc_after_repair(const struct mc_caps *c, bool held, bool back)
{
	u32 act = 0;

	if (held) {
		if (!mc_caps_allow(c, MC_OP_CLEAR_POISON))
			return 0;
		act = MAINT_CMD_ACT_CLEAR_POISON;
	}
	return back ? act | MAINT_CMD_ACT_UNPOISON : act;
}
EXPORT_SYMBOL_IF_KUNIT(mc_after_repair);

/**
 * mc_policy() - the actions an indication asks for
 * @in: the record and the state of its page
 *
 * An informational record with nothing to repair is only logged.
 * Otherwise the page first leaves service: evacuated by iommu_migrate
 * when it maps it and the data is good, soft-offlined when the error
 * was corrected, hard-offlined (memory_failure) when the data is lost;
 * lost data iommu_migrate maps has its DMA blocked first, and nothing
 * more is done to it.
 * A repair follows when auto_repair is on, the device advertises the
 * repair and did not flag the address as not repairable: row sparing
 * when the device asks for it and both sides handle it, otherwise PPR
 * in the repair mode chosen;
 * an uncorrectable address then has its poison cleared, and a page
 * that was taken offline comes back.
 *
 * A page this host took offline under an earlier record
 * (@in->offline_ours) is offline memory: repaired in place, and then
 * returned to service like a page this action took offline; when it
 * went offline for lost data (@in->offline_lost), the device may hold
 * the poison still, so it is returned only after a Clear Poison, as
 * an uncorrectable record's page is (mc_after_repair(), the rule the
 * administrator's repair follows too).
 *
 * A page poisoned, but not by this host (@in->poisoned_foreign: one
 * memory_failure() marked but could not take from its owner, or one
 * poisoned by someone else) is still its owner's, in use as far as
 * the host knows. It gets no page action: poisoned already, it cannot
 * be taken offline, and an offline's wait would take the poison for
 * this host's and later return the page. Its poison is not cleared
 * under its owner and it is not returned to service. It is repaired
 * only as memory in use is: not when the repair's feature wants the
 * memory offline (the rule mc_repair_check() applies to the
 * administrator's repair). Lost data on it that iommu_migrate maps is
 * the exception: its DMA is blocked (devices must not go on writing
 * poisoned memory, whoever poisoned it first), and nothing more is
 * done, as for lost data on a page in service.
 *
 * Return: MAINT_CMD_ACT_* in the order the host carries them out.
 */
u32 mc_policy(const struct mc_policy_in *in)
{
	const struct mc_event *ev = in->ev;
	const struct mc_caps *c = in->caps;
	bool lost = ev->descriptor & MC_DESC_UNCORRECTABLE;
	bool needs = ev->flags & MC_EVF_MAINT_NEEDED;
	bool foreign = in->poisoned_foreign;
	bool ours = in->offline_ours && !foreign;
	/* The device may hold poison at the address: cleared before a return. */
	bool held = lost || (ours && in->offline_lost);
	u32 act = 0, offline = 0, fix;
	enum mc_feature_id feat;
	bool spare;

	if (!lost && !needs)
		return 0;
	/* Lost data on its owner's page that devices write: fenced only. */
	if (foreign && lost && in->evac_mapped && c->host & MC_HOST_EVACUATE)
		return MAINT_CMD_ACT_BLOCK_DMA;
	if (in->page_online && !foreign && !ours) {
		if (lost) {
			offline = c->host & MC_HOST_HARD_OFFLINE ?
				  MAINT_CMD_ACT_HARD_OFFLINE : 0;
			/*
			 * Devices write it through iommu_migrate: they are
			 * fenced off first, memory_failure() cannot take the
			 * page from its owner. It stays the owner's, poisoned:
			 * not repaired and not returned to service here.
			 */
			if (in->evac_mapped && c->host & MC_HOST_EVACUATE)
				return MAINT_CMD_ACT_BLOCK_DMA | offline;
		} else if (in->evac_mapped && c->host & MC_HOST_EVACUATE)
			act |= MAINT_CMD_ACT_EVACUATE;
		else
			offline = c->host & MC_HOST_SOFT_OFFLINE ?
				  MAINT_CMD_ACT_SOFT_OFFLINE : 0;
	}
	/* The device asks for sparing: done if both sides can. */
	spare = ev->maint_class == MC_MAINT_SPARING &&
		c->host & MC_HOST_SPARING && mc_caps_can_spare(c);
	feat = spare ? MC_FEAT_ROW_SPARING :
	       in->hard_repair ? MC_FEAT_HARD_PPR : MC_FEAT_SOFT_PPR;
	if (!in->auto_repair || ev->dpa_flags & MC_DPAF_NOT_REPAIRABLE ||
	    (!spare && (!(c->host & MC_HOST_PPR) ||
			!mc_caps_can_repair(c, in->hard_repair))))
		return act | offline;
	fix = spare ? MAINT_CMD_ACT_SPARE : in->hard_repair ?
	      MAINT_CMD_ACT_HARD_PPR : MAINT_CMD_ACT_SOFT_PPR;
	/* Its owner's: repaired in use, or not at all. */
	if (foreign)
		return mc_repair_safe_when_in_use(c, feat) ? fix : 0;
	if (in->page_online && !ours && !offline) {
		/* A page still in service is not repaired under its user. */
		if (!(act & MAINT_CMD_ACT_EVACUATE))
			return act;
		/*
		 * Evacuated: the vacated frame went back to the allocator
		 * and is repaired in service (a reported address), unless
		 * the repair wants the memory idle: then it goes offline.
		 */
		if (c->mfeat[feat].flags & MC_MFEAT_OFFLINE_ONLY) {
			if (!(c->host & MC_HOST_SOFT_OFFLINE))
				return act;
			offline = MAINT_CMD_ACT_SOFT_OFFLINE;
		}
	}
	/*
	 * Offline by this host's hand, now or earlier: back in service,
	 * lost data only once the device drops its poison.
	 */
	return act | fix | offline | mc_after_repair(c, held, offline || ours);
}
EXPORT_SYMBOL_IF_KUNIT(mc_policy);

/**
 * mc_repair_allowed() - the upstream CXL rule for repairing memory
 * @reported_this_boot: the device reported an error at the address
 *	since boot
 * @memory_offline: the memory is not in use by the system
 *
 * Return: true if a repair of the address may be issued.
 */
bool mc_repair_allowed(bool reported_this_boot, bool memory_offline)
{
	return reported_this_boot || memory_offline;
}
EXPORT_SYMBOL_IF_KUNIT(mc_repair_allowed);

/**
 * mc_repair_safe_when_in_use() - may the repair run on memory in use?
 * @c: what discovery found
 * @feat: the repair's feature (MC_FEAT_SOFT_PPR, _HARD_PPR, _ROW_SPARING)
 *
 * EDAC's repair_safe_when_in_use: the feature does not say the memory
 * must be offline (CXL: the media stays accessible and the data is
 * retained during the repair).
 *
 * Return: true if the device allows the repair on memory in use.
 */
bool mc_repair_safe_when_in_use(const struct mc_caps *c, enum mc_feature_id feat)
{
	if (feat >= MC_NR_FEATS)
		return false;
	return !(c->mfeat[feat].flags & MC_MFEAT_OFFLINE_ONLY);
}
EXPORT_SYMBOL_IF_KUNIT(mc_repair_safe_when_in_use);

/**
 * mc_repair_check() - may an administrator's repair be issued now?
 * @c: what discovery found
 * @feat: the repair's feature
 * @reported_this_boot: the device reported an error at the address
 *	since boot
 * @memory_offline: the memory is not in use (the host took it offline)
 *
 * The upstream CXL rule first (mc_repair_allowed()), then the
 * feature's own restriction: a repair that wants the memory offline
 * is not run on memory in use, even at a reported address.
 *
 * Return: 0, -EPERM when the rule forbids it, -EBUSY when the memory is
 * in use and the feature needs it offline.
 */
int mc_repair_check(const struct mc_caps *c, enum mc_feature_id feat,
		    bool reported_this_boot, bool memory_offline)
{
	if (!mc_repair_allowed(reported_this_boot, memory_offline))
		return -EPERM;
	if (!memory_offline && !mc_repair_safe_when_in_use(c, feat))
		return -EBUSY;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_repair_check);

/* --- Background operations ----------------------------------------------- */

/**
 * mc_bg_start() - start a background operation
 * @bg: the device's background state
 * @opcode: the command
 * @now: current time, ms
 * @duration: how long it will run, ms
 *
 * Return: 0, or -EBUSY while another one runs.
 */
int mc_bg_start(struct mc_bg *bg, u16 opcode, u64 now, u64 duration)
{
	if (bg->state == MC_BG_RUNNING)
		return -EBUSY;
	bg->state = MC_BG_RUNNING;
	bg->opcode = opcode;
	bg->start = now;
	bg->duration = duration;
	bg->percent = 0;
	bg->rc = MC_RC_SUCCESS;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_bg_start);

/**
 * mc_bg_tick() - advance a background operation's progress
 * @bg: the device's background state
 * @now: current time, ms, same clock as mc_bg_start()
 *
 * A clock that went backwards counts as no time elapsed. Once the
 * duration has elapsed the operation is done with MC_RC_SUCCESS and
 * 100 percent. Context: any; pure; the caller serializes access to @bg.
 * Return: true if the operation completed with this tick, false if it
 * is still running or none was running.
 */
bool mc_bg_tick(struct mc_bg *bg, u64 now)
{
	u64 el;

	if (bg->state != MC_BG_RUNNING)
		return false;
	el = now > bg->start ? now - bg->start : 0;
	if (el >= bg->duration) {
		bg->state = MC_BG_DONE;
		bg->percent = 100;
		bg->rc = MC_RC_SUCCESS;
		return true;
	}
	bg->percent = el * 100 / bg->duration;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(mc_bg_tick);

/**
 * mc_bg_abort() - abort the running background operation
 * @bg: the device's background state
 *
 * The operation ends with MC_RC_ABORTED; its progress is kept.
 * Context: any; pure; the caller serializes access to @bg.
 * Return: 0 if a running operation was aborted, -ENOENT if none ran.
 */
int mc_bg_abort(struct mc_bg *bg)
{
	if (bg->state != MC_BG_RUNNING)
		return -ENOENT;
	bg->state = MC_BG_DONE;
	bg->rc = MC_RC_ABORTED;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_bg_abort);

/**
 * mc_bg_reg() - the background status register's value
 * @bg: the device's background state
 *
 * Context: any; pure.
 * Return: opcode in bits 15:0, percent in bits 22:16, MC_BGREG_RUNNING
 * while running, and once done the return code in bits 47:32 (read them
 * with the MC_BGREG_* macros).
 */
u64 mc_bg_reg(const struct mc_bg *bg)
{
	u64 r = bg->opcode | (u64)(bg->percent & 0x7f) << 16;

	if (bg->state == MC_BG_RUNNING)
		r |= MC_BGREG_RUNNING;
	else if (bg->state == MC_BG_DONE)
		r |= (u64)bg->rc << 32;
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(mc_bg_reg);

/**
 * mc_bg_judge() - the host's decision about the background command it waits for
 * @reg: the background status register, read once
 * @opcode: the command the host started
 * @dead: the device is going away
 * @now: the time now
 * @deadline: when the command overruns (bg_timeout_ms after its start,
 *	same unit as @now); at @deadline it is still in time
 * @err: the result the host returns, 0 while it waits
 *
 * An ended command is the answer, even on a device going away or past
 * its time: it is not aborted. A register that shows another command,
 * or this one still running, means waiting, unless the device goes
 * (aborted at once, -ENODEV) or the time is over (aborted, -ETIMEDOUT).
 *
 * Context: any; pure.
 * Return: MC_BGV_WAIT, MC_BGV_DONE or MC_BGV_ABORT.
 */
enum mc_bg_verdict mc_bg_judge(u64 reg, u16 opcode, bool dead, u64 now,
			       u64 deadline, int *err)
{
	if (!(reg & MC_BGREG_RUNNING) && MC_BGREG_OPCODE(reg) == opcode) {
		*err = mc_rc_errno(MC_BGREG_RC(reg));
		return MC_BGV_DONE;
	}
	if (dead) {
		*err = -ENODEV;
		return MC_BGV_ABORT;
	}
	if (now > deadline) {
		*err = -ETIMEDOUT;
		return MC_BGV_ABORT;
	}
	*err = 0;
	return MC_BGV_WAIT;
}
EXPORT_SYMBOL_IF_KUNIT(mc_bg_judge);

/**
 * mc_bg_status_encode() - build a Background Operation Status reply
 * @out: payload buffer of at least MC_BG_STATUS_LEN bytes
 * @bg: the device's background state
 *
 * The return code is reported only once the operation is done.
 * Context: any; pure.
 * Return: MC_BG_STATUS_LEN, the payload length.
 */
int mc_bg_status_encode(u8 *out, const struct mc_bg *bg)
{
	memset(out, 0, MC_BG_STATUS_LEN);
	out[0] = bg->state == MC_BG_RUNNING;
	out[1] = bg->percent;
	put16(out + 2, bg->opcode);
	put16(out + 4, bg->state == MC_BG_DONE ? bg->rc : 0);
	return MC_BG_STATUS_LEN;
}
EXPORT_SYMBOL_IF_KUNIT(mc_bg_status_encode);

/**
 * mc_bg_status_decode() - check and parse a Background Operation Status
 *	reply
 * @p: the reply payload
 * @len: its length
 * @opcode: the command running or last run, 0 if none
 * @percent: progress, 0..100
 * @running: whether it still runs
 * @rc: its return code
 *
 * Context: any; pure. Reads no more than @len bytes of @p.
 * Return: 0 on success; -EPROTO if @len is not MC_BG_STATUS_LEN, the
 * running byte is above 1 or the percentage above 100, the opcode is not
 * one that runs in the background, or no opcode is given while running
 * or with progress.
 */
int mc_bg_status_decode(const u8 *p, size_t len, u16 *opcode, u8 *percent,
			bool *running, u16 *rc)
{
	int i;

	if (len != MC_BG_STATUS_LEN || p[0] > 1 || p[1] > 100)
		return -EPROTO;
	*running = p[0];
	*percent = p[1];
	*opcode = get16(p + 2);
	*rc = get16(p + 4);
	i = mc_op_index(*opcode);
	if (*opcode && (i < 0 || !mc_ops[i].background))
		return -EPROTO;
	if (!*opcode && (*running || *percent))
		return -EPROTO;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mc_bg_status_decode);

/**
 * mc_count_take() - take one of @max slots counted by @n
 * @n: the slots in use
 * @max: the cap
 *
 * The counter never passes @max, however many callers race: a caller
 * that finds it full takes nothing and leaves it as it was.
 *
 * Context: any.
 * Return: true if a slot was taken (give it back with atomic_dec()).
 */
bool mc_count_take(atomic_t *n, int max)
{
	return atomic_add_unless(n, 1, max);
}
EXPORT_SYMBOL_IF_KUNIT(mc_count_take);

/**
 * mc_poison_next() - where the next page of a poison list starts
 * @from: the DPA the page was asked from
 * @h: the page's decoded header
 * @last: its last record (unused when it has none)
 * @next: set to the DPA to ask the next page from
 *
 * A page with More Records set goes on right after the end of its last
 * record, which may span many lines: nothing is asked for twice and
 * nothing is skipped. A failed page is not passed to this; the caller
 * stops there with nothing of that page reported.
 *
 * Context: any; pure. @last comes from mc_poison_decode(), so its range
 * lies inside the device.
 * Return: 1 with @next set if another page follows; 0 if the list is
 * complete; -EPROTO if the page claims more records but has none, or
 * its last record ends at or before @from (the list would not advance).
 */
int mc_poison_next(u64 from, const struct mc_poison_hdr *h,
		   const struct mc_poison *last, u64 *next)
{
	u64 end;

	if (!(h->flags & MC_POISON_MORE))
		return 0;
	if (!h->count)
		return -EPROTO;
	end = last->dpa + (u64)last->lines * MC_LINE;
	if (end <= from)
		return -EPROTO;
	*next = end;
	return 1;
}
EXPORT_SYMBOL_IF_KUNIT(mc_poison_next);

/**
 * mc_media_overlap() - do two devices' media share a page?
 * @a: first pfn of one
 * @na: its pages
 * @b: first pfn of the other
 * @nb: its pages
 *
 * Context: any; pure.
 * Return: true if [@a, @a + @na) and [@b, @b + @nb) intersect; an
 * empty range intersects nothing.
 */
bool mc_media_overlap(unsigned long a, unsigned long na, unsigned long b,
		      unsigned long nb)
{
	if (!na || !nb)
		return false;
	return a < b ? b - a < na : a - b < nb;
}
EXPORT_SYMBOL_IF_KUNIT(mc_media_overlap);
