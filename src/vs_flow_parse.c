/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovs-ofctl flow syntax: vs_flow_parse() turns "add-flow"/"del-flows" text
 * into a struct vs_flow_spec, and the vs_flow_format*() functions print
 * specs back the way dump-flows does, so that parse(format(spec)) == spec.
 *
 * Field values go through the field table (vs_field.c).  Parsing never
 * recurses: the action list and ct(...) arguments are split iteratively
 * with a bounded parenthesis depth, and every token is copied into a
 * bounded buffer first, so arbitrary input is safe.  All functions are pure
 * (they touch only their arguments): callable from any thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vs_flow.h"

/* Longest field name, value and single action accepted. */
#define NAME_MAX__   32
#define VALUE_MAX__  256
#define ACTION_MAX__ 1024
/* Deepest parenthesis nesting in actions: ct(exec(...)) needs 2. */
#define PAREN_DEPTH_MAX 4
/* Match tokens remembered for the prerequisite check. */
#define MATCH_MAX 128

#define ETH_TYPE_IP   0x0800
#define ETH_TYPE_ARP  0x0806
#define ETH_TYPE_IPV6 0x86dd

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* State of one vs_flow_parse() call. */
struct vs_parser {
	unsigned int flags;                /* enum vs_flow_parse_flags */
	const struct vs_port_names *names; /* may be NULL */
	struct vs_flow_spec *spec;         /* output */
	char *err;                         /* may be NULL */
	size_t err_size;
	unsigned int n_match;                    /* entries in 'match_names' */
	char match_names[MATCH_MAX][NAME_MAX__]; /* fields as spelled, for prerequisites */
	const char *shorthand;                   /* last protocol shorthand given, or NULL */
	uint16_t shorthand_dl_type;              /* its dl_type (host order) */
};

/* Protocol shorthands: dl_type and, when non-zero, nw_proto. */
static const struct {
	const char *name;
	uint16_t dl_type;
	uint8_t nw_proto;
} vs_shorthands[] = {
	{ "ip", ETH_TYPE_IP, 0 },        { "ipv6", ETH_TYPE_IPV6, 0 },
	{ "arp", ETH_TYPE_ARP, 0 },      { "icmp", ETH_TYPE_IP, 1 },
	{ "icmp6", ETH_TYPE_IPV6, 58 },  { "tcp", ETH_TYPE_IP, 6 },
	{ "tcp6", ETH_TYPE_IPV6, 6 },    { "udp", ETH_TYPE_IP, 17 },
	{ "udp6", ETH_TYPE_IPV6, 17 },   { "sctp", ETH_TYPE_IP, 132 },
	{ "sctp6", ETH_TYPE_IPV6, 132 },
};

/* mod_* actions: SET_FIELD with spelling VS_SET_MOD. */
static const struct {
	const char *name;
	uint8_t field;
} vs_mod_actions[] = {
	{ "mod_dl_src", VS_F_DL_SRC }, { "mod_dl_dst", VS_F_DL_DST }, { "mod_nw_src", VS_F_NW_SRC },
	{ "mod_nw_dst", VS_F_NW_DST }, { "mod_tp_src", VS_F_TP_SRC }, { "mod_tp_dst", VS_F_TP_DST },
	{ "mod_nw_tos", VS_F_NW_TOS }, { "mod_nw_ttl", VS_F_NW_TTL },
};

static int __attribute__((format(printf, 2, 3))) fail__(struct vs_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err != NULL && p->err_size > 0) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->err_size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool
is_sep__(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_space__(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decimal or 0x-hex, no sign, at most 'max'. */
static bool
parse_uint__(const char *s, uint64_t max, uint64_t *v)
{
	unsigned int base = 10;
	uint64_t r = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return false;
		if (r > (UINT64_MAX - d) / base)
			return false;
		r = r * base + d;
	}
	if (r > max)
		return false;
	*v = r;
	return true;
}

/* Copies [s, s + n) without surrounding blanks into 'dst' of 'size'; false if too long. */
static bool
copy_trimmed__(char *dst, size_t size, const char *s, size_t n)
{
	while (n > 0 && is_space__(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space__(s[n - 1]))
		n--;
	if (n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/*
 * Length of the next comma-separated item of 's' at parenthesis depth 0.
 * Returns -1 on unbalanced or too deeply nested parentheses.
 */
static long
item_len__(const char *s)
{
	int depth = 0;
	long n;

	for (n = 0; s[n] != '\0'; n++) {
		if (s[n] == '(') {
			if (++depth > PAREN_DEPTH_MAX)
				return -1;
		} else if (s[n] == ')') {
			if (--depth < 0)
				return -1;
		} else if (s[n] == ',' && depth == 0) {
			break;
		}
	}
	return depth == 0 ? n : -1;
}

/* Parses one field value with the field table; errors name the field as spelled. */
static int
parse_field_value__(struct vs_parser *p, enum vs_field f, const char *spelled, const char *text,
                    struct vs_field_value *v)
{
	char msg[VALUE_MAX__ + 64];

	if (vs_field_parse(f, text, p->names, v, msg, sizeof(msg)))
		return fail__(p, "%s for %s", msg, spelled);
	return 0;
}

/* table=, priority=, cookie=, idle_timeout=, hard_timeout=.  1 when 'name' is none of them. */
static int
parse_flow_param__(struct vs_parser *p, const char *name, const char *value)
{
	struct vs_flow_spec *spec = p->spec;
	bool add = p->flags & VS_FP_ADD;
	uint64_t v, m;
	char *slash;

	if (!strcmp(name, "table")) {
		if (!parse_uint__(value, UINT64_MAX, &v))
			return fail__(p, "bad value '%s' for table", value);
		if (v >= VS_N_TABLES)
			return fail__(p, "table out of range (0 to %d)", VS_N_TABLES - 1);
		spec->table_id = (uint8_t)v;
		spec->has_table = true;
	} else if (!strcmp(name, "priority")) {
		if (!parse_uint__(value, UINT64_MAX, &v))
			return fail__(p, "bad value '%s' for priority", value);
		if (v > UINT16_MAX)
			return fail__(p, "priority out of range (0 to 65535)");
		spec->priority = (uint16_t)v;
		spec->has_priority = true;
	} else if (!strcmp(name, "idle_timeout") || !strcmp(name, "hard_timeout")) {
		if (!add)
			return fail__(p, "%s is only allowed when adding flows", name);
		if (!parse_uint__(value, UINT16_MAX, &v))
			return fail__(p, "bad value '%s' for %s", value, name);
		if (name[0] == 'i')
			spec->idle_timeout = (uint16_t)v;
		else
			spec->hard_timeout = (uint16_t)v;
	} else if (!strcmp(name, "cookie")) {
		char text[VALUE_MAX__];

		snprintf(text, sizeof(text), "%s", value);
		slash = strchr(text, '/');
		if (slash != NULL) {
			if (add)
				return fail__(p, "flow additions cannot use a cookie mask");
			*slash = '\0';
			if (!parse_uint__(slash + 1, UINT64_MAX, &m))
				return fail__(p, "bad mask '%s' for cookie", slash + 1);
		} else {
			if (!add)
				return fail__(p, "cannot set cookie (use cookie=VALUE/MASK)");
			m = UINT64_MAX;
		}
		if (!parse_uint__(text, UINT64_MAX, &v))
			return fail__(p, "bad value '%s' for cookie", text);
		spec->cookie = v & m;
		spec->cookie_mask = m;
		spec->cookie_matched = slash != NULL;
	} else {
		return 1;
	}
	return 0;
}

/* Whether 'name' is a flow parameter rather than a match field. */
static bool
is_flow_param__(const char *name)
{
	return !strcmp(name, "table") || !strcmp(name, "priority") || !strcmp(name, "cookie") ||
	       !strcmp(name, "idle_timeout") || !strcmp(name, "hard_timeout");
}

/* One "name" or "name=value" token before actions=. */
static int
parse_match_token__(struct vs_parser *p, const char *name, const char *value)
{
	struct vs_flow_spec *spec = p->spec;
	struct vs_field_value v;
	size_t i;
	int f, rc;

	if (value == NULL) {
		for (i = 0; i < N_ELEMS(vs_shorthands); i++) {
			if (strcmp(vs_shorthands[i].name, name))
				continue;
			spec->key.dl_type = htons(vs_shorthands[i].dl_type);
			spec->mask.dl_type = 0xffff;
			p->shorthand = vs_shorthands[i].name;
			p->shorthand_dl_type = vs_shorthands[i].dl_type;
			if (vs_shorthands[i].nw_proto) {
				spec->key.nw_proto = vs_shorthands[i].nw_proto;
				spec->mask.nw_proto = 0xff;
			}
			return 0;
		}
		if (vs_field_by_name(name) >= 0 || is_flow_param__(name))
			return fail__(p, "missing value for %s", name);
		return fail__(p, "unknown field '%s'", name);
	}
	rc = parse_flow_param__(p, name, value);
	if (rc != 1)
		return rc;
	f = vs_field_by_name(name);
	if (f < 0)
		return fail__(p, "unknown field '%s'", name);
	if (p->n_match >= MATCH_MAX)
		return fail__(p, "too many match fields (max %d)", MATCH_MAX);
	rc = parse_field_value__(p, (enum vs_field)f, name, value, &v);
	if (rc)
		return rc;
	vs_field_apply((enum vs_field)f, &v, &spec->key, &spec->mask);
	snprintf(p->match_names[p->n_match++], NAME_MAX__, "%s", name);
	return 0;
}

/* Appends an action; fails when the list is full or follows goto_table. */
static struct vs_action *
new_action__(struct vs_parser *p, enum vs_act_type type, int *rc)
{
	struct vs_flow_spec *spec = p->spec;
	struct vs_action *a;

	if (spec->n_actions > 0 && spec->actions[spec->n_actions - 1].type == VS_ACT_GOTO_TABLE) {
		*rc = fail__(p, "goto_table must be the last action");
		return NULL;
	}
	if (spec->n_actions >= VS_ACTIONS_MAX) {
		*rc = fail__(p, "too many actions (max %d)", VS_ACTIONS_MAX);
		return NULL;
	}
	a = &spec->actions[spec->n_actions++];
	memset(a, 0, sizeof(*a));
	a->type = (uint16_t)type;
	*rc = 0;
	return a;
}

/* Port number or name for output/resubmit; 0 is not a port. */
static int
parse_port__(struct vs_parser *p, const char *text, const char *what, uint16_t *port)
{
	struct vs_field_value v;
	uint16_t n;
	int rc;

	rc = parse_field_value__(p, VS_F_IN_PORT, what, text, &v);
	if (rc)
		return rc;
	memcpy(&n, v.value, sizeof(n));
	if (n == VS_OFPORT_NONE)
		return fail__(p, "bad value '%s' for %s", text, what);
	*port = n;
	return 0;
}

/* resubmit:PORT or resubmit([PORT],[TABLE]) ('args' is the text in parentheses). */
static int
parse_resubmit__(struct vs_parser *p, const char *port_text, const char *args)
{
	char ptext[VALUE_MAX__], ttext[VALUE_MAX__];
	uint16_t port = VS_OFPORT_NONE;
	uint32_t table = VS_RESUBMIT_CUR_TABLE;
	struct vs_action *a;
	const char *comma;
	uint64_t t;
	int rc;

	if (port_text != NULL) {
		rc = parse_port__(p, port_text, "resubmit", &port);
		if (rc)
			return rc;
	} else {
		comma = strchr(args, ',');
		if (comma == NULL || strchr(comma + 1, ',') != NULL)
			return fail__(p, "bad resubmit arguments '(%s)': use (PORT,TABLE)", args);
		if (!copy_trimmed__(ptext, sizeof(ptext), args, (size_t)(comma - args)) ||
		    !copy_trimmed__(ttext, sizeof(ttext), comma + 1, strlen(comma + 1)))
			return fail__(p, "resubmit arguments too long");
		if (ptext[0] == '\0' && ttext[0] == '\0')
			return fail__(p, "resubmit: at least one of port and table must be given");
		if (ptext[0] != '\0' && strcasecmp(ptext, "in_port")) {
			rc = parse_port__(p, ptext, "resubmit", &port);
			if (rc)
				return rc;
		}
		if (ttext[0] != '\0') {
			if (!parse_uint__(ttext, VS_N_TABLES - 1, &t))
				return fail__(p, "bad table '%s' for resubmit", ttext);
			table = (uint32_t)t;
		}
		/* resubmit(in_port,) names neither a port nor a table (found by
		 * fuzzing: it printed as "resubmit(,)", which does not parse). */
		if (port == VS_OFPORT_NONE && ttext[0] == '\0')
			return fail__(p, "resubmit: at least one of port and table must be given");
	}
	a = new_action__(p, VS_ACT_RESUBMIT, &rc);
	if (a == NULL)
		return rc;
	a->port = port;
	a->arg = table;
	return 0;
}

/* Appends a SET_FIELD action writing 'v' to field 'f', spelled 'spelling'. */
static int
add_set_field__(struct vs_parser *p, enum vs_field f, enum vs_set_spelling spelling,
                const struct vs_field_value *v)
{
	struct vs_action *a;
	int rc;

	a = new_action__(p, VS_ACT_SET_FIELD, &rc);
	if (a == NULL)
		return rc;
	a->field = (uint16_t)f;
	a->spelling = (uint16_t)spelling;
	memcpy(a->value, v->value, sizeof(a->value));
	memcpy(a->mask, v->mask, sizeof(a->mask));
	return 0;
}

/* Fills a SET_FIELD action from "VALUE[/MASK]->FIELD". */
static int
parse_set_field__(struct vs_parser *p, const char *arg)
{
	const struct vs_field_desc *d;
	char value[VALUE_MAX__];
	struct vs_field_value v;
	const char *arrow = strstr(arg, "->");
	int f, rc;

	if (arrow == NULL)
		return fail__(p, "set_field: missing '->' in '%s'", arg);
	if (!copy_trimmed__(value, sizeof(value), arg, (size_t)(arrow - arg)))
		return fail__(p, "set_field: value too long");
	f = vs_field_by_name(arrow + 2);
	if (f < 0)
		return fail__(p, "set_field: unknown field '%s'", arrow + 2);
	d = vs_field_get((enum vs_field)f);
	if (f == VS_F_CT_MARK || f == VS_F_CT_LABEL)
		return fail__(p, "set_field: %s can only be set in ct(commit,exec(...))", d->name);
	if (!d->settable)
		return fail__(p, "set_field: %s is not settable", d->name);
	rc = parse_field_value__(p, (enum vs_field)f, d->name, value, &v);
	if (rc)
		return rc;
	return add_set_field__(p, (enum vs_field)f, VS_SET_FIELD, &v);
}

/* mod_dl_src:MAC, mod_nw_src:IP, ... (no masks). */
static int
parse_mod__(struct vs_parser *p, const char *name, enum vs_field f, const char *arg)
{
	struct vs_field_value v;
	int rc;

	if (arg == NULL || strchr(arg, '/') != NULL || arg[0] == '\0')
		return fail__(p, "bad value '%s' for %s", arg ? arg : "", name);
	rc = parse_field_value__(p, f, name, arg, &v);
	if (rc)
		return rc;
	return add_set_field__(p, f, VS_SET_MOD, &v);
}

/* One or two decimal digits at '*s' (a bit index); advances '*s'. */
static bool
parse_bit__(const char **s, unsigned int *bit)
{
	const char *c = *s;

	if (*c < '0' || *c > '9')
		return false;
	*bit = (unsigned int)(*c++ - '0');
	if (*c >= '0' && *c <= '9')
		*bit = *bit * 10 + (unsigned int)(*c++ - '0');
	*s = c;
	return *bit < 32;
}

/* zone=NXM_NX_REGn[a..b] or zone=regn[a..b]: a 16-bit register slice. */
static int
parse_ct_zone_reg__(struct vs_parser *p, const char *text, struct vs_act_ct *ct)
{
	const char *s = text;
	unsigned int reg, lo = 0, hi = 31;

	if (!strncasecmp(s, "NXM_NX_REG", 10))
		s += 10;
	else if (!strncmp(s, "reg", 3))
		s += 3;
	else
		return fail__(p, "ct: bad zone '%s'", text);
	if (*s < '0' || *s >= '0' + PM_N_REGS || s[1] != '[')
		return fail__(p, "ct: bad zone '%s'", text);
	reg = (unsigned int)(*s - '0');
	s += 2;
	/* [] is the whole register, [k] one bit, [a..b] bits a to b. */
	if (*s != ']') {
		if (!parse_bit__(&s, &lo))
			return fail__(p, "ct: bad zone '%s'", text);
		hi = lo;
		if (!strncmp(s, "..", 2)) {
			s += 2;
			if (!parse_bit__(&s, &hi) || hi < lo)
				return fail__(p, "ct: bad zone '%s'", text);
		}
	}
	if (strcmp(s, "]"))
		return fail__(p, "ct: bad zone '%s'", text);
	if (hi - lo + 1 != 16)
		return fail__(p, "ct: zone '%s' must be 16 bits", text);
	ct->zone_from_reg = true;
	ct->zone_reg = (uint8_t)reg;
	ct->zone_ofs = (uint8_t)lo;
	ct->zone_nbits = 16;
	ct->zone = 0;
	return 0;
}

/* exec(set_field:V->ct_mark, set_field:V/M->ct_label): 'args' is inside the parentheses. */
static int
parse_ct_exec__(struct vs_parser *p, const char *args, struct vs_act_ct *ct)
{
	char item[VALUE_MAX__], value[VALUE_MAX__];
	struct vs_field_value v;
	const char *arrow, *field;
	enum vs_field f;
	uint32_t u32;
	long n;
	int rc;

	for (; *args != '\0'; args += n + (args[n] == ',')) {
		n = item_len__(args);
		if (n < 0 || !copy_trimmed__(item, sizeof(item), args, (size_t)n))
			return fail__(p, "ct: bad exec argument '%.64s'", args);
		if (item[0] == '\0')
			continue;
		arrow = strstr(item, "->");
		if (strncasecmp(item, "set_field:", 10) || arrow == NULL || strchr(item, '('))
			return fail__(p,
			              "ct: exec: only set_field to ct_mark or ct_label is "
			              "supported, not '%s'",
			              item);
		field = arrow + 2;
		if (!strcmp(field, "ct_mark"))
			f = VS_F_CT_MARK;
		else if (!strcmp(field, "ct_label"))
			f = VS_F_CT_LABEL;
		else
			return fail__(p,
			              "ct: exec: cannot set_field %s (only ct_mark and ct_label)",
			              field);
		if (!copy_trimmed__(value, sizeof(value), item + 10, (size_t)(arrow - item - 10)))
			return fail__(p, "ct: exec: value too long");
		rc = parse_field_value__(p, f, field, value, &v);
		if (rc)
			return rc;
		if (f == VS_F_CT_MARK) {
			memcpy(&u32, v.value, sizeof(u32));
			ct->mark = u32;
			memcpy(&u32, v.mask, sizeof(u32));
			ct->mark_mask = u32;
			ct->set_mark = true;
		} else {
			memcpy(ct->label, v.value, sizeof(ct->label));
			memcpy(ct->label_mask, v.mask, sizeof(ct->label_mask));
			ct->set_label = true;
		}
	}
	return 0;
}

/* One ct() argument: commit, zone=, table=, exec(...). */
static int
parse_ct_arg__(struct vs_parser *p, const char *arg, struct vs_act_ct *ct)
{
	char key[NAME_MAX__];
	const char *val;
	size_t n = strcspn(arg, "=(:");
	uint64_t v;

	snprintf(key, sizeof(key), "%.*s", (int)(n < sizeof(key) ? n : sizeof(key) - 1), arg);
	val = arg[n] == '=' ? arg + n + 1 : NULL;
	if (!strcmp(arg, "commit")) {
		ct->commit = true;
	} else if (!strcmp(key, "zone") && val != NULL) {
		if (*val >= '0' && *val <= '9') {
			if (!parse_uint__(val, UINT16_MAX, &v))
				return fail__(p, "ct: bad zone '%s'", val);
			ct->zone_from_reg = false;
			ct->zone_reg = ct->zone_ofs = ct->zone_nbits = 0;
			ct->zone = (uint16_t)v;
		} else {
			return parse_ct_zone_reg__(p, val, ct);
		}
	} else if (!strcmp(key, "table") && val != NULL) {
		if (!parse_uint__(val, VS_N_TABLES - 1, &v))
			return fail__(p, "ct: bad table '%s'", val);
		ct->table = (uint8_t)v;
	} else if (!strcmp(key, "exec") && arg[n] == '(') {
		char inner[ACTION_MAX__];
		size_t len = strlen(arg);

		if (arg[len - 1] != ')')
			return fail__(p, "ct: trailing garbage after exec(...) in '%s'", arg);
		if (!copy_trimmed__(inner, sizeof(inner), arg + n + 1, len - n - 2))
			return fail__(p, "ct: exec too long");
		return parse_ct_exec__(p, inner, ct);
	} else {
		return fail__(p, "ct: %s is not supported", key[0] ? key : arg);
	}
	return 0;
}

/* ct or ct(ARGS): 'args' is the text in parentheses, "" for bare ct. */
static int
parse_ct__(struct vs_parser *p, const char *args)
{
	char arg[ACTION_MAX__];
	struct vs_act_ct *ct;
	struct vs_action *a;
	long n;
	int rc;

	a = new_action__(p, VS_ACT_CT, &rc);
	if (a == NULL)
		return rc;
	ct = calloc(1, sizeof(*ct));
	if (ct == NULL) {
		p->spec->n_actions--;
		fail__(p, "out of memory");
		return -ENOMEM;
	}
	a->ct = ct; /* owned by the spec from here on, even on error */
	ct->table = VS_CT_NO_TABLE;
	for (; *args != '\0'; args += n + (args[n] == ',')) {
		n = item_len__(args);
		if (n < 0 || !copy_trimmed__(arg, sizeof(arg), args, (size_t)n))
			return fail__(p, "ct: bad argument '%.64s'", args);
		if (arg[0] == '\0')
			return fail__(p, "ct: empty argument");
		rc = parse_ct_arg__(p, arg, ct);
		if (rc)
			return rc;
	}
	if ((ct->set_mark || ct->set_label) && !ct->commit)
		return fail__(p, "ct: exec requires commit");
	return 0;
}

/* Actions that take no argument.  1 when 'name' is none of them. */
static int
parse_bare_action__(struct vs_parser *p, const char *name, bool *drop)
{
	static const struct {
		const char *name;
		enum vs_act_type type;
	} bare[] = {
		{ "in_port", VS_ACT_IN_PORT },
		{ "flood", VS_ACT_FLOOD },
		{ "all", VS_ACT_ALL },
		{ "normal", VS_ACT_NORMAL },
		{ "strip_vlan", VS_ACT_STRIP_VLAN },
		{ "pop_vlan", VS_ACT_STRIP_VLAN },
		{ "dec_ttl", VS_ACT_DEC_TTL },
		{ "ct_clear", VS_ACT_CT_CLEAR },
	};
	size_t i;
	int rc;

	if (!strcasecmp(name, "drop")) {
		*drop = true;
		return 0;
	}
	for (i = 0; i < N_ELEMS(bare); i++)
		if (!strcasecmp(name, bare[i].name))
			return new_action__(p, bare[i].type, &rc) ? 0 : rc;
	return 1;
}

/* Actions written NAME:ARG.  1 when 'name' is none of them. */
static int
parse_colon_action__(struct vs_parser *p, const char *name, const char *arg)
{
	struct vs_action *a;
	uint16_t port;
	uint64_t v;
	size_t i;
	int rc;

	if (!strcasecmp(name, "output")) {
		rc = parse_port__(p, arg, "output", &port);
		if (rc)
			return rc;
		a = new_action__(p, VS_ACT_OUTPUT, &rc);
		if (a != NULL)
			a->arg = port;
		return rc;
	}
	if (!strcasecmp(name, "resubmit"))
		return parse_resubmit__(p, arg, NULL);
	if (!strcasecmp(name, "set_field"))
		return parse_set_field__(p, arg);
	for (i = 0; i < N_ELEMS(vs_mod_actions); i++)
		if (!strcasecmp(name, vs_mod_actions[i].name))
			return parse_mod__(p, vs_mod_actions[i].name,
			                   (enum vs_field)vs_mod_actions[i].field, arg);
	if (!strcasecmp(name, "goto_table")) {
		if (!parse_uint__(arg, VS_N_TABLES - 1, &v))
			return fail__(p, "bad value '%s' for goto_table", arg);
		if (v <= p->spec->table_id)
			return fail__(p, "goto_table:%" PRIu64 " must go to a table after %u", v,
			              p->spec->table_id);
		a = new_action__(p, VS_ACT_GOTO_TABLE, &rc);
	} else if (!strcasecmp(name, "mod_vlan_vid")) {
		if (!parse_uint__(arg, PM_VLAN_VID_MASK, &v))
			return fail__(p, "bad value '%s' for mod_vlan_vid", arg);
		a = new_action__(p, VS_ACT_MOD_VLAN_VID, &rc);
	} else if (!strcasecmp(name, "mod_vlan_pcp")) {
		if (!parse_uint__(arg, 7, &v))
			return fail__(p, "bad value '%s' for mod_vlan_pcp", arg);
		a = new_action__(p, VS_ACT_MOD_VLAN_PCP, &rc);
	} else if (!strcasecmp(name, "push_vlan")) {
		if (!parse_uint__(arg, UINT16_MAX, &v) || (v != 0x8100 && v != 0x88a8))
			return fail__(p, "bad value '%s' for push_vlan (0x8100 or 0x88a8)", arg);
		a = new_action__(p, VS_ACT_PUSH_VLAN, &rc);
	} else {
		return 1;
	}
	if (a != NULL)
		a->arg = (uint32_t)v;
	return rc;
}

/* Whether 'name' is an action that needs an argument (NAME:ARG or NAME(ARGS)). */
static bool
takes_arg__(const char *name)
{
	static const char *const with_arg[] = {
		"output",    "resubmit",     "set_field",    "goto_table",
		"push_vlan", "mod_vlan_vid", "mod_vlan_pcp",
	};
	size_t i;

	for (i = 0; i < N_ELEMS(with_arg); i++)
		if (!strcasecmp(name, with_arg[i]))
			return true;
	for (i = 0; i < N_ELEMS(vs_mod_actions); i++)
		if (!strcasecmp(name, vs_mod_actions[i].name))
			return true;
	return false;
}

/* Whether 'name' is an action written without an argument. */
static bool
is_bare__(const char *name)
{
	static const char *const bare[] = {
		"in_port",    "flood",    "all",     "normal",   "drop",
		"strip_vlan", "pop_vlan", "dec_ttl", "ct_clear",
	};
	size_t i;

	for (i = 0; i < N_ELEMS(bare); i++)
		if (!strcasecmp(name, bare[i]))
			return true;
	return false;
}

/* A bare port number or name: output to it. */
static int
parse_bare_port__(struct vs_parser *p, const char *item)
{
	struct vs_action *a;
	uint16_t port;
	int rc;

	if (item[0] < '0' || item[0] > '9') {
		if (p->names == NULL || p->names->by_name == NULL ||
		    p->names->by_name(p->names->ctx, item) < 0)
			return fail__(p, "unknown action '%s'", item);
	}
	rc = parse_port__(p, item, "output", &port);
	if (rc)
		return rc;
	a = new_action__(p, VS_ACT_OUTPUT, &rc);
	if (a != NULL)
		a->arg = port;
	return rc;
}

/* NAME(ARGS): 'rest' starts at the '(' (parentheses are balanced). */
static int
parse_paren_action__(struct vs_parser *p, const char *item, const char *name, const char *rest)
{
	char inner[ACTION_MAX__];
	const char *c;
	long depth = 0;

	for (c = rest; *c != '\0'; c++) {
		depth += *c == '(' ? 1 : *c == ')' ? -1 : 0;
		if (depth == 0)
			break;
	}
	if (*c == '\0' || c[1] != '\0')
		return fail__(p, "trailing garbage after '%.*s'", (int)(c - item + (*c != '\0')),
		              item);
	if (!copy_trimmed__(inner, sizeof(inner), rest + 1, (size_t)(c - rest - 1)))
		return fail__(p, "action too long");
	if (!strcasecmp(name, "ct"))
		return parse_ct__(p, inner);
	if (!strcasecmp(name, "resubmit"))
		return parse_resubmit__(p, NULL, inner);
	if (is_bare__(name) || takes_arg__(name) || !strcasecmp(name, "ct_clear"))
		return fail__(p, "%s(...) is not supported", name);
	return fail__(p, "unknown action '%s'", name);
}

/* One action, trimmed, without commas at depth 0. */
static int
parse_action__(struct vs_parser *p, const char *item, bool *drop)
{
	char name[NAME_MAX__];
	size_t n = strspn(item, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	const char *rest = item + n;
	int rc;

	if (n >= sizeof(name))
		return fail__(p, "unknown action '%.64s'", item);
	memcpy(name, item, n);
	name[n] = '\0';

	if (*rest == '\0') {
		rc = parse_bare_action__(p, name, drop);
		if (rc != 1)
			return rc;
		if (!strcasecmp(name, "ct"))
			return parse_ct__(p, "");
		if (takes_arg__(name))
			return fail__(p, "missing argument for %s", name);
		return parse_bare_port__(p, item);
	}
	if (*rest == '(')
		return parse_paren_action__(p, item, name, rest);
	if (*rest == ':') {
		rc = parse_colon_action__(p, name, rest + 1);
		if (rc != 1)
			return rc;
		if (is_bare__(name) || !strcasecmp(name, "ct"))
			return fail__(p, "trailing garbage '%s' after '%s'", rest, name);
	}
	/* Port names may hold other characters ("vhu-0", "eth0.1"). */
	if (p->names != NULL && p->names->by_name != NULL &&
	    p->names->by_name(p->names->ctx, item) >= 0)
		return parse_bare_port__(p, item);
	return fail__(p, "unknown action '%s'", *rest == ':' ? name : item);
}

/* The text after actions=. */
static int
parse_actions__(struct vs_parser *p, const char *s)
{
	char item[ACTION_MAX__];
	bool drop = false;
	long n;
	int rc;

	for (; *s != '\0'; s += n + (s[n] == ',')) {
		n = item_len__(s);
		if (n < 0)
			return fail__(p, "unbalanced or too deeply nested parentheses in '%.64s'",
			              s);
		if (!copy_trimmed__(item, sizeof(item), s, (size_t)n))
			return fail__(p, "action too long: '%.64s...'", s);
		if (item[0] == '\0')
			continue;
		rc = parse_action__(p, item, &drop);
		if (rc)
			return rc;
	}
	if (drop && p->spec->n_actions > 0)
		return fail__(p, "\"drop\" must not be accompanied by any other action");
	return 0;
}

/* Splits the text before actions= into tokens.  Sets '*actions' to the text after it. */
static int
parse_match__(struct vs_parser *p, const char *s, const char **actions)
{
	char name[NAME_MAX__], value[VALUE_MAX__];
	const char *start;
	size_t n;
	int rc;

	*actions = NULL;
	for (;;) {
		while (is_sep__(*s))
			s++;
		if (*s == '\0')
			return 0;
		start = s;
		while (*s != '\0' && *s != '=' && !is_sep__(*s))
			s++;
		n = (size_t)(s - start);
		if (n == 0)
			return fail__(p, "missing field name before '%.64s'", s);
		if (n >= sizeof(name))
			return fail__(p, "unknown field '%.*s'", (int)(n > 64 ? 64 : n), start);
		memcpy(name, start, n);
		name[n] = '\0';
		if (!strcmp(name, "actions") || !strcmp(name, "action")) {
			if (*s != '=')
				return fail__(p, "missing '=' after %s", name);
			*actions = s + 1;
			return 0;
		}
		if (*s != '=') {
			rc = parse_match_token__(p, name, NULL);
		} else {
			start = ++s;
			while (*s != '\0' && !is_sep__(*s))
				s++;
			n = (size_t)(s - start);
			if (n == 0)
				return fail__(p, "missing value for %s", name);
			if (n >= sizeof(value))
				return fail__(p, "value too long for %s", name);
			memcpy(value, start, n);
			value[n] = '\0';
			rc = parse_match_token__(p, name, value);
		}
		if (rc)
			return rc;
	}
}

static int
parse__(struct vs_parser *p, const char *text)
{
	struct vs_flow_spec *spec = p->spec;
	const char *actions;
	char msg[128];
	unsigned int i;
	int rc;

	rc = parse_match__(p, text, &actions);
	if (rc)
		return rc;
	if (actions == NULL && (p->flags & VS_FP_ADD))
		return fail__(p, "missing actions=");
	if (actions != NULL && (p->flags & VS_FP_DEL))
		return fail__(p, "actions= is not allowed when deleting flows");
	/* A shorthand's protocol stands only with its own dl_type: "icmp,dl_type=0x86dd"
	 * would keep nw_proto=1 on a non-IPv4 match (found by fuzzing: such a rule
	 * printed a flow that does not parse back). */
	if (p->shorthand != NULL && ntohs(spec->key.dl_type) != p->shorthand_dl_type)
		return fail__(p, "dl_type=0x%04x conflicts with '%s'", ntohs(spec->key.dl_type),
		              p->shorthand);
	/* Prerequisites are checked on the whole match, so order does not matter. */
	for (i = 0; i < p->n_match; i++)
		if (vs_field_check_prereqs(p->match_names[i], &spec->key, &spec->mask, msg,
		                           sizeof(msg)))
			return fail__(p, "%s", msg);
	pm_key_apply_mask(&spec->key, &spec->key, &spec->mask);
	return actions != NULL ? parse_actions__(p, actions) : 0;
}

int
vs_flow_parse(const char *text, unsigned int flags, const struct vs_port_names *names,
              struct vs_flow_spec *spec, char *err, size_t err_size)
{
	struct vs_parser p;
	int rc;

	if (err != NULL && err_size > 0)
		err[0] = '\0';
	if (spec == NULL || text == NULL) {
		if (err != NULL && err_size > 0)
			snprintf(err, err_size, "no flow text");
		return -EINVAL;
	}
	memset(spec, 0, sizeof(*spec));
	spec->priority = VS_FLOW_PRIO_DEFAULT;
	p.flags = flags;
	p.names = names;
	p.spec = spec;
	p.err = err;
	p.err_size = err_size;
	p.n_match = 0;
	p.shorthand = NULL;
	p.shorthand_dl_type = 0;
	rc = parse__(&p, text);
	if (rc) {
		/* Leave nothing owned behind, so that vs_flow_spec_free() is a no-op. */
		vs_flow_spec_free(spec);
		spec->n_actions = 0;
	}
	return rc;
}

void
vs_flow_spec_free(struct vs_flow_spec *spec)
{
	unsigned int i, n;

	if (spec == NULL)
		return;
	n = spec->n_actions < VS_ACTIONS_MAX ? spec->n_actions : VS_ACTIONS_MAX;
	for (i = 0; i < n; i++) {
		free(spec->actions[i].ct);
		spec->actions[i].ct = NULL;
	}
}

int
vs_flow_spec_copy(struct vs_flow_spec *dst, const struct vs_flow_spec *src)
{
	unsigned int i, j, n;

	if (dst == NULL || src == NULL)
		return -EINVAL;
	memcpy(dst, src, sizeof(*dst));
	n = dst->n_actions < VS_ACTIONS_MAX ? dst->n_actions : VS_ACTIONS_MAX;
	for (i = 0; i < n; i++) {
		if (src->actions[i].ct == NULL)
			continue;
		dst->actions[i].ct = malloc(sizeof(*dst->actions[i].ct));
		if (dst->actions[i].ct == NULL) {
			for (j = 0; j < i; j++) {
				if (src->actions[j].ct != NULL)
					free(dst->actions[j].ct);
			}
			for (j = 0; j < n; j++)
				dst->actions[j].ct = NULL;
			dst->n_actions = 0;
			return -ENOMEM;
		}
		memcpy(dst->actions[i].ct, src->actions[i].ct, sizeof(*dst->actions[i].ct));
	}
	return 0;
}

/*
 * Output buffer with snprintf semantics: 'len' counts everything appended,
 * 'buf' holds the first 'size - 1' characters and is always terminated.
 */
struct vs_sbuf {
	char *buf;
	size_t size;
	size_t len;
};

static char *
sb_at__(const struct vs_sbuf *sb)
{
	return sb->len < sb->size ? sb->buf + sb->len : NULL;
}

static size_t
sb_left__(const struct vs_sbuf *sb)
{
	return sb->len < sb->size ? sb->size - sb->len : 0;
}

static void __attribute__((format(printf, 2, 3))) sb_put__(struct vs_sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb_at__(sb), sb_left__(sb), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += (size_t)n;
}

/* Appends the value of 'f' read at 'value'/'mask' (container layout). */
static void
sb_value__(struct vs_sbuf *sb, enum vs_field f, const uint8_t *value, const uint8_t *mask,
           const struct vs_port_names *names)
{
	int n = vs_field_format(f, value, mask, names, sb_at__(sb), sb_left__(sb));

	if (n > 0)
		sb->len += (size_t)n;
}

/* Appends "name=value", after a comma unless the buffer is still empty. */
static void
sb_field__(struct vs_sbuf *sb, const char *name, enum vs_field f, const uint8_t *value,
           const uint8_t *mask, const struct vs_port_names *names)
{
	sb_put__(sb, "%s%s=", sb->len ? "," : "", name);
	sb_value__(sb, f, value, mask, names);
}

/* Shorthand for a dl_type/nw_proto pair, or NULL; '*uses_proto' when it covers nw_proto. */
static const char *
shorthand__(const struct pm_key *key, const struct pm_key *mask, bool *uses_proto)
{
	uint16_t dl_type = ntohs(key->dl_type);
	size_t i;

	*uses_proto = false;
	if (mask->dl_type != 0xffff)
		return NULL;
	if (mask->nw_proto == 0xff) {
		for (i = 0; i < N_ELEMS(vs_shorthands); i++) {
			if (vs_shorthands[i].dl_type == dl_type && vs_shorthands[i].nw_proto &&
			    vs_shorthands[i].nw_proto == key->nw_proto) {
				*uses_proto = true;
				return vs_shorthands[i].name;
			}
		}
	}
	for (i = 0; i < N_ELEMS(vs_shorthands); i++)
		if (vs_shorthands[i].dl_type == dl_type && !vs_shorthands[i].nw_proto)
			return vs_shorthands[i].name;
	return NULL;
}

/* vlan_tci as OVS match_format(): dl_vlan/dl_vlan_pcp when they say it all. */
static void
format_vlan__(struct vs_sbuf *sb, const struct pm_key *key, const struct pm_key *mask)
{
	uint16_t v = ntohs(key->vlan_tci), m = ntohs(mask->vlan_tci);
	uint16_t vid_mask = m & PM_VLAN_VID_MASK, pcp_mask = m & 0xe000;
	const uint8_t *kv = (const uint8_t *)&key->vlan_tci;
	const uint8_t *mv = (const uint8_t *)&mask->vlan_tci;

	if (m == 0)
		return;
	if ((m & PM_VLAN_PRESENT) && (v & PM_VLAN_PRESENT) &&
	    (vid_mask == 0 || vid_mask == PM_VLAN_VID_MASK) &&
	    (pcp_mask == 0 || pcp_mask == 0xe000) && (vid_mask || pcp_mask)) {
		if (vid_mask)
			sb_field__(sb, "dl_vlan", VS_F_DL_VLAN, kv, NULL, NULL);
		if (pcp_mask)
			sb_field__(sb, "dl_vlan_pcp", VS_F_DL_VLAN_PCP, kv, NULL, NULL);
		return;
	}
	sb_field__(sb, "vlan_tci", VS_F_VLAN_TCI, kv, mv, NULL);
}

/* Whether any bit of field 'f' is set in 'mask'. */
static bool
field_masked__(enum vs_field f, const struct pm_key *mask)
{
	const struct vs_field_desc *d = vs_field_get(f);
	const uint8_t *m = (const uint8_t *)mask + d->offset;
	uint64_t c = 0;
	uint16_t u16;
	uint32_t u32;
	unsigned int i;

	if (d->bits == 0) {
		for (i = 0; i < d->size; i++)
			if (m[i])
				return true;
		return false;
	}
	/* Fields with 'bits' are 1, 2 or 4 bytes (see vs_field.c). */
	if (!d->host_order) {
		for (i = 0; i < d->size; i++)
			c = (c << 8) | m[i];
	} else if (d->size == 1) {
		c = m[0];
	} else if (d->size == 2) {
		memcpy(&u16, m, sizeof(u16));
		c = u16;
	} else {
		memcpy(&u32, m, sizeof(u32));
		c = u32;
	}
	return (c & d->bits) != 0;
}

int
vs_flow_format_match(const struct pm_key *key, const struct pm_key *mask,
                     const struct vs_port_names *names, char *buf, size_t size)
{
	struct vs_sbuf sb = { buf, size, 0 };
	bool uses_proto, is_arp, is_icmp;
	const char *sh, *name;
	enum vs_field f, pf;
	uint16_t dl_type;

	if (size > 0)
		buf[0] = '\0';
	if (key == NULL || mask == NULL)
		return 0;
	sh = shorthand__(key, mask, &uses_proto);
	if (sh != NULL)
		sb_put__(&sb, "%s", sh);
	dl_type = mask->dl_type == 0xffff ? ntohs(key->dl_type) : 0;
	is_arp = dl_type == ETH_TYPE_ARP;
	is_icmp = mask->nw_proto == 0xff && ((dl_type == ETH_TYPE_IP && key->nw_proto == 1) ||
	                                     (dl_type == ETH_TYPE_IPV6 && key->nw_proto == 58));

	for (f = 0; f < VS_F_N; f++) {
		pf = f;
		name = vs_field_get(f)->name;
		switch (f) {
		case VS_F_DL_TYPE:
			if (sh != NULL)
				continue;
			break;
		case VS_F_NW_PROTO:
			if (uses_proto)
				continue;
			name = is_arp ? "arp_op" : name;
			break;
		case VS_F_VLAN_TCI:
			format_vlan__(&sb, key, mask);
			continue;
		case VS_F_NW_SRC:
			name = is_arp ? "arp_spa" : name;
			break;
		case VS_F_NW_DST:
			name = is_arp ? "arp_tpa" : name;
			break;
		case VS_F_TP_SRC:
			pf = is_icmp ? VS_F_ICMP_TYPE : f;
			break;
		case VS_F_TP_DST:
			pf = is_icmp ? VS_F_ICMP_CODE : f;
			break;
		/* Other views of containers printed above or below. */
		case VS_F_DL_VLAN:
		case VS_F_DL_VLAN_PCP:
		case VS_F_IP_DSCP:
		case VS_F_ARP_OP:
		case VS_F_ARP_SPA:
		case VS_F_ARP_TPA:
		case VS_F_ICMP_TYPE:
		case VS_F_ICMP_CODE:
			continue;
		default:
			break;
		}
		if (!field_masked__(f, mask))
			continue;
		sb_field__(&sb, pf != f ? vs_field_get(pf)->name : name, pf,
		           (const uint8_t *)key + vs_field_get(f)->offset,
		           (const uint8_t *)mask + vs_field_get(f)->offset, names);
	}
	return (int)sb.len;
}

/* Port for output/resubmit: number, or name when 'names' has one. */
static void
sb_port__(struct vs_sbuf *sb, uint32_t port, const struct vs_port_names *names)
{
	uint16_t p = (uint16_t)port;

	sb_value__(sb, VS_F_IN_PORT, (const uint8_t *)&p, NULL, names);
}

/* ct(commit,zone=...,table=...,exec(...)): the order of the examples in vs_flow.h. */
static void
format_ct__(struct vs_sbuf *sb, const struct vs_act_ct *ct)
{
	size_t start;
	bool first = true;

	sb_put__(sb, "ct(");
	start = sb->len;
	if (ct == NULL) {
		sb_put__(sb, ")");
		return;
	}
	if (ct->commit)
		sb_put__(sb, "commit");
	if (ct->zone_from_reg)
		sb_put__(sb, "%szone=NXM_NX_REG%u[%u..%u]", sb->len > start ? "," : "",
		         ct->zone_reg, ct->zone_ofs, ct->zone_ofs + ct->zone_nbits - 1);
	else if (ct->zone)
		sb_put__(sb, "%szone=%u", sb->len > start ? "," : "", ct->zone);
	if (ct->table != VS_CT_NO_TABLE)
		sb_put__(sb, "%stable=%u", sb->len > start ? "," : "", ct->table);
	if (ct->set_mark || ct->set_label) {
		sb_put__(sb, "%sexec(", sb->len > start ? "," : "");
		if (ct->set_mark) {
			sb_put__(sb, "set_field:");
			sb_value__(sb, VS_F_CT_MARK, (const uint8_t *)&ct->mark,
			           (const uint8_t *)&ct->mark_mask, NULL);
			sb_put__(sb, "->ct_mark");
			first = false;
		}
		if (ct->set_label) {
			sb_put__(sb, "%sset_field:", first ? "" : ",");
			sb_value__(sb, VS_F_CT_LABEL, ct->label, ct->label_mask, NULL);
			sb_put__(sb, "->ct_label");
		}
		sb_put__(sb, ")");
	}
	sb_put__(sb, ")");
}

/* set_field:V->F, or mod_*:V when it was spelled that way. */
static void
format_set_field__(struct vs_sbuf *sb, const struct vs_action *a)
{
	const struct vs_field_desc *d = vs_field_get(a->field);
	size_t i;

	if (d == NULL) {
		sb_put__(sb, "set_field:?");
		return;
	}
	if (a->spelling == VS_SET_MOD) {
		for (i = 0; i < N_ELEMS(vs_mod_actions); i++) {
			if (vs_mod_actions[i].field != a->field)
				continue;
			sb_put__(sb, "%s:", vs_mod_actions[i].name);
			sb_value__(sb, a->field, a->value, a->mask, NULL);
			return;
		}
	}
	sb_put__(sb, "set_field:");
	sb_value__(sb, a->field, a->value, a->mask, NULL);
	sb_put__(sb, "->%s", d->name);
}

static void
format_action__(struct vs_sbuf *sb, const struct vs_action *a, const struct vs_port_names *names)
{
	switch (a->type) {
	case VS_ACT_OUTPUT:
		sb_put__(sb, "output:");
		sb_port__(sb, a->arg, names);
		break;
	/* Reserved ports print in upper case, as OVS does. */
	case VS_ACT_IN_PORT:
		sb_put__(sb, "IN_PORT");
		break;
	case VS_ACT_FLOOD:
		sb_put__(sb, "FLOOD");
		break;
	case VS_ACT_ALL:
		sb_put__(sb, "ALL");
		break;
	case VS_ACT_NORMAL:
		sb_put__(sb, "NORMAL");
		break;
	case VS_ACT_DROP:
		sb_put__(sb, "drop");
		break;
	case VS_ACT_RESUBMIT:
		if (a->port != VS_OFPORT_NONE && a->arg == VS_RESUBMIT_CUR_TABLE) {
			sb_put__(sb, "resubmit:");
			sb_port__(sb, a->port, names);
			break;
		}
		sb_put__(sb, "resubmit(");
		if (a->port != VS_OFPORT_NONE)
			sb_port__(sb, a->port, names);
		sb_put__(sb, ",");
		if (a->arg != VS_RESUBMIT_CUR_TABLE)
			sb_put__(sb, "%" PRIu32, a->arg);
		sb_put__(sb, ")");
		break;
	case VS_ACT_GOTO_TABLE:
		sb_put__(sb, "goto_table:%" PRIu32, a->arg);
		break;
	case VS_ACT_MOD_VLAN_VID:
		sb_put__(sb, "mod_vlan_vid:%" PRIu32, a->arg);
		break;
	case VS_ACT_MOD_VLAN_PCP:
		sb_put__(sb, "mod_vlan_pcp:%" PRIu32, a->arg);
		break;
	case VS_ACT_STRIP_VLAN:
		sb_put__(sb, "strip_vlan");
		break;
	case VS_ACT_PUSH_VLAN:
		sb_put__(sb, "push_vlan:0x%04" PRIx32, a->arg);
		break;
	case VS_ACT_SET_FIELD:
		format_set_field__(sb, a);
		break;
	case VS_ACT_DEC_TTL:
		sb_put__(sb, "dec_ttl");
		break;
	case VS_ACT_CT:
		format_ct__(sb, a->ct);
		break;
	case VS_ACT_CT_CLEAR:
		sb_put__(sb, "ct_clear");
		break;
	default:
		sb_put__(sb, "unknown_action_%u", a->type);
		break;
	}
}

int
vs_flow_format_actions(const struct vs_action *actions, uint16_t n_actions,
                       const struct vs_port_names *names, char *buf, size_t size)
{
	struct vs_sbuf sb = { buf, size, 0 };
	unsigned int i;

	if (size > 0)
		buf[0] = '\0';
	if (actions == NULL || n_actions == 0) {
		sb_put__(&sb, "drop");
		return (int)sb.len;
	}
	for (i = 0; i < n_actions && i < VS_ACTIONS_MAX; i++) {
		if (i > 0)
			sb_put__(&sb, ",");
		format_action__(&sb, &actions[i], names);
	}
	return (int)sb.len;
}

int
vs_flow_format(const struct vs_flow_spec *spec, const struct vs_port_names *names, char *buf,
               size_t size)
{
	struct vs_sbuf sb = { buf, size, 0 };
	int n;

	if (size > 0)
		buf[0] = '\0';
	if (spec == NULL)
		return 0;
	if (spec->has_table || spec->table_id)
		sb_put__(&sb, "table=%u,", spec->table_id);
	if (spec->has_priority || spec->priority != VS_FLOW_PRIO_DEFAULT)
		sb_put__(&sb, "priority=%u,", spec->priority);
	/* A full mask prints as the add-flow "cookie=V", unless the spec is a match
	 * (del-flows or a filter), where OVS syntax needs the mask. */
	if (spec->cookie_mask == UINT64_MAX && !spec->cookie_matched)
		sb_put__(&sb, "cookie=%#" PRIx64 ",", spec->cookie);
	else if (spec->cookie_mask || spec->cookie)
		sb_put__(&sb, "cookie=%#" PRIx64 "/%#" PRIx64 ",", spec->cookie, spec->cookie_mask);
	if (spec->idle_timeout)
		sb_put__(&sb, "idle_timeout=%u,", spec->idle_timeout);
	if (spec->hard_timeout)
		sb_put__(&sb, "hard_timeout=%u,", spec->hard_timeout);
	n = vs_flow_format_match(&spec->key, &spec->mask, names, sb_at__(&sb), sb_left__(&sb));
	if (n == 0 && sb.len > 0)
		sb.len--; /* no match: drop the trailing comma */
	else
		sb.len += n > 0 ? (size_t)n : 0;
	sb_put__(&sb, "%sactions=", sb.len ? " " : "");
	n = vs_flow_format_actions(spec->actions, spec->n_actions, names, sb_at__(&sb),
	                           sb_left__(&sb));
	sb.len += n > 0 ? (size_t)n : 0;
	if (size > 0 && sb.len < size)
		buf[sb.len] = '\0';
	return (int)sb.len;
}

bool
vs_mask_subset(const struct pm_key *mask, const struct pm_key *other)
{
	const uint8_t *a = (const uint8_t *)mask, *b = (const uint8_t *)other;
	uint64_t wa, wb;
	size_t i;

	for (i = 0; i < sizeof(struct pm_key); i += sizeof(uint64_t)) {
		memcpy(&wa, a + i, sizeof(wa));
		memcpy(&wb, b + i, sizeof(wb));
		if (wa & ~wb)
			return false;
	}
	return true;
}
