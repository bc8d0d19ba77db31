/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config file: the same commands as sluicectl, one per line, '#'
 * comments.  A file is first played into a model (ports, an ofproto with no
 * readers, settings) which validates every line; only a valid model is
 * applied.  At startup the model is applied whole; on reload the running
 * state moves to the model by difference (ports that changed are re-added,
 * flows are republished in one step, keeping the counters of unchanged
 * rules).  The devices of new ports are probed before anything running is
 * touched, and a reload that fails later is undone.  Control thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "vs_ct.h"
#include "vs_daemon.h"
#include "vs_flow.h"
#include "vs_underlay.h"
#include "vs_words.h"

RTE_LOG_REGISTER(vs_config_logtype, user.vs.config, INFO);
#define CFG_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, vs_config_logtype, "config: " fmt "\n", ##__VA_ARGS__)

#define CFG_LINE_MAX  65536
#define CFG_WORDS_MAX 512

struct cfg_port {
	struct vs_port_args args;
	unsigned int line;
};

/* An underlay line ("ip addr add", "route add", "neigh add"), applied after the ports. */
struct cfg_ul {
	char text[512];
	unsigned int line;
};

#define CFG_UL_MAX 1024
#define CFG_CT_MAX 256

struct cfg_model {
	struct cfg_port ports[VS_PORT_MAX];
	unsigned int n_ports;
	struct cfg_ul ul[CFG_UL_MAX];
	unsigned int n_ul;
	struct cfg_ul ct[CFG_CT_MAX]; /* "ct ..." lines, validated, applied in order */
	unsigned int n_ct;
	struct vs_ofproto *flows;
	bool has_sleep;
	uint32_t sleep_us;
};

static uint64_t
zero_clock(void)
{
	return 0;
}

static struct cfg_port *
model_port(struct cfg_model *m, const char *name)
{
	unsigned int i;

	for (i = 0; i < m->n_ports; i++)
		if (strcmp(m->ports[i].args.name, name) == 0)
			return &m->ports[i];
	return NULL;
}

static int
model_by_name(void *ctx, const char *name)
{
	struct cfg_port *p = model_port(ctx, name);

	return p != NULL ? p->args.ofport : -1;
}

static const char *
model_name_of(void *ctx, uint32_t ofport)
{
	struct cfg_model *m = ctx;
	unsigned int i;

	for (i = 0; i < m->n_ports; i++)
		if (m->ports[i].args.ofport == ofport)
			return m->ports[i].args.name;
	return NULL;
}

static bool
model_ofport_used(const struct cfg_model *m, uint16_t o)
{
	unsigned int i;

	for (i = 0; i < m->n_ports; i++)
		if (m->ports[i].args.ofport == o)
			return true;
	return false;
}

/*
 * Gives a model port its ofport: the requested one; else the one a running
 * port of the same name and arguments has (so a reload keeps numbers); else
 * the lowest number neither the model nor another running port uses.
 */
static int
model_assign_ofport(struct cfg_model *m, struct vs_port_args *a, struct vs_reply *r)
{
	const struct vs_portmap *map = vs_d.sw.portmap;
	struct vs_port *run = map != NULL ? vs_port_lookup(map, a->name) : NULL;
	uint32_t o;

	if (a->ofport != 0) {
		if (model_ofport_used(m, a->ofport))
			return vs_reply_error(r, -EEXIST, "ofport %u is in use", a->ofport);
		return 0;
	}
	if (run != NULL && strcmp(run->name, a->name) == 0 &&
	    strcmp(run->args.text, a->text) == 0 && !model_ofport_used(m, run->ofport)) {
		a->ofport = run->ofport;
		return 0;
	}
	for (o = 1; o <= VS_OFPORT_MAX; o++) {
		struct vs_port *other = map != NULL ? vs_portmap_get(map, o) : NULL;

		if (model_ofport_used(m, (uint16_t)o))
			continue;
		if (other != NULL && strcmp(other->name, a->name) != 0 &&
		    model_port(m, other->name) == NULL)
			continue; /* reserved by a running port that may stay */
		a->ofport = (uint16_t)o;
		return 0;
	}
	return vs_reply_error(r, -ENOSPC, "no free ofport");
}

/* Plays one config line into the model. */
/* Keeps a line (its words joined) in slot *n of 'lines' (of 'max'), for the apply step. */
static int
model_keep_line(struct cfg_ul *lines, unsigned int *n, unsigned int max, const char *what, int argc,
                char **argv, unsigned int line, struct vs_reply *r)
{
	if (*n == max)
		return vs_reply_error(r, -ENOSPC, "too many %s lines (%u)", what, max);
	if (vs_join_words(argc, argv, lines[*n].text, sizeof(lines[*n].text)) != 0)
		return vs_reply_error(r, -E2BIG, "line too long");
	lines[(*n)++].line = line;
	return 0;
}

/*
 * Underlay lines are checked here for their form and their port; the
 * underlay validates the rest when the config is applied, all or nothing.
 */
static int
model_ul_line(struct cfg_model *m, int argc, char **argv, unsigned int line, struct vs_reply *r)
{
	bool add = (strcmp(argv[0], "ip") == 0 && argc >= 3 &&
	            (strcmp(argv[1], "addr") == 0 || strcmp(argv[1], "address") == 0) &&
	            strcmp(argv[2], "add") == 0) ||
	           (strcmp(argv[0], "ip") != 0 && argc >= 2 && strcmp(argv[1], "add") == 0);
	int i;

	if (!add)
		return vs_reply_error(r, -EINVAL,
		                      "only 'ip addr add', 'route add' and 'neigh add' belong in a "
		                      "config file");
	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "dev") == 0 && model_port(m, argv[i + 1]) == NULL)
			return vs_reply_error(r, -ENOENT, "no port '%s' in this config",
			                      argv[i + 1]);
	return model_keep_line(m->ul, &m->n_ul, CFG_UL_MAX, "underlay", argc, argv, line, r);
}

static void at_line(struct vs_reply *r, const char *path, unsigned int line);

/* True when an underlay line names port 'name' ("dev NAME"). */
static bool
model_ul_needs(const struct cfg_model *m, const char *name)
{
	char pat[VS_NAME_MAX + 8];
	unsigned int i;
	size_t len;

	len = (size_t)snprintf(pat, sizeof(pat), " dev %s", name);
	for (i = 0; i < m->n_ul; i++) {
		const char *p = strstr(m->ul[i].text, pat);

		if (p != NULL && (p[len] == '\0' || p[len] == ' '))
			return true;
	}
	return false;
}

/* Applies the model's underlay lines in one step. */
static int
apply_ul(const struct cfg_model *m, const char *path, struct vs_reply *r)
{
	static char *lines[CFG_UL_MAX];
	unsigned int i, bad = 0;
	int ret;

	for (i = 0; i < m->n_ul; i++)
		lines[i] = (char *)(uintptr_t)m->ul[i].text;
	ret = vs_underlay_apply_config(lines, m->n_ul, &bad, r);
	if (ret != 0 && bad < m->n_ul)
		at_line(r, path, m->ul[bad].line);
	return ret;
}

/* A "ct" line: checked now, kept to be applied with the model. */
static int
model_ct_line(struct cfg_model *m, int argc, char **argv, unsigned int line, struct vs_reply *r)
{
	int ret = vs_ct_config_check(argc - 1, argv + 1, r);

	if (ret != 0)
		return ret;
	return model_keep_line(m->ct, &m->n_ct, CFG_CT_MAX, "ct", argc, argv, line, r);
}

/* Applies the model's ct lines in file order (each was validated when read). */
static int
apply_ct(const struct cfg_model *m, const char *path, struct vs_reply *r)
{
	char text[sizeof(m->ct[0].text)], *argv[64];
	unsigned int i;
	int argc, ret;

	for (i = 0; i < m->n_ct; i++) {
		snprintf(text, sizeof(text), "%s", m->ct[i].text);
		argc = vs_split_words(text, argv, (int)VS_ARRAY_SIZE(argv));
		if (argc < 1)
			continue;
		ret = vs_ct_cmd(argc - 1, argv + 1, r);
		if (ret != 0) {
			at_line(r, path, m->ct[i].line);
			return ret;
		}
	}
	return 0;
}

static int
model_line(struct cfg_model *m, int argc, char **argv, unsigned int line, struct vs_reply *r)
{
	const struct vs_port_names names = {
		.ctx = m,
		.by_name = model_by_name,
		.name_of = model_name_of,
	};
	struct vs_flow_spec spec;
	int ret;

	if (argc >= 2 && strcmp(argv[0], "port") == 0 && strcmp(argv[1], "add") == 0) {
		struct cfg_port *p;

		if (m->n_ports == VS_PORT_MAX)
			return vs_reply_error(r, -ENOSPC, "too many ports");
		p = &m->ports[m->n_ports];
		ret = vs_port_parse_args(argc - 2, argv + 2, &p->args, r);
		if (ret != 0)
			return ret;
		if (model_port(m, p->args.name) != NULL)
			return vs_reply_error(r, -EEXIST, "port %s already exists", p->args.name);
		ret = model_assign_ofport(m, &p->args, r);
		if (ret != 0)
			return ret;
		p->line = line;
		m->n_ports++;
		return 0;
	}
	if (argc >= 2 && strcmp(argv[0], "flow") == 0 &&
	    (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0)) {
		bool add = argv[1][0] == 'a', strict = false;

		argc -= 2;
		argv += 2;
		if (!add && argc > 0 && strcmp(argv[0], "--strict") == 0) {
			strict = true;
			argc--;
			argv++;
		}
		if (add && argc == 0)
			return vs_reply_error(r, -EINVAL, "usage: flow add FLOW");
		ret = vs_cmd_parse_flow(argc, argv, add ? VS_FP_ADD : VS_FP_DEL, &names, &spec, r);
		if (ret != 0)
			return ret;
		if (strict && !spec.has_priority)
			spec.priority = VS_FLOW_PRIO_DEFAULT;
		ret = add ? vs_ofproto_add(m->flows, &spec) :
		            vs_ofproto_del(m->flows, &spec, strict);
		vs_flow_spec_free(&spec);
		return ret < 0 ? vs_reply_error(r, ret, "flow: %s", strerror(-ret)) : 0;
	}
	if (strcmp(argv[0], "ip") == 0 || strcmp(argv[0], "route") == 0 ||
	    strcmp(argv[0], "neigh") == 0)
		return model_ul_line(m, argc, argv, line, r);
	if (strcmp(argv[0], "ct") == 0)
		return model_ct_line(m, argc, argv, line, r);
	if (argc == 3 && strcmp(argv[0], "pmd") == 0 && strcmp(argv[1], "sleep") == 0) {
		char *end;
		unsigned long us = strtoul(argv[2], &end, 10);

		if (*argv[2] == '\0' || *end != '\0' || us > 10000)
			return vs_reply_error(r, -EINVAL, "bad sleep '%s' (0-10000 us)", argv[2]);
		m->has_sleep = true;
		m->sleep_us = (uint32_t)us;
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "log") == 0) {
		struct vs_reply tmp;

		/* Logging has no state to diff: validate and apply at once. */
		vs_reply_init(&tmp, false);
		vs_cmd_handle(argc, argv, &tmp, NULL);
		ret = tmp.status;
		if (ret != 0)
			vs_reply_error(r, ret, "%s", tmp.buf);
		vs_reply_free(&tmp);
		return ret;
	}
	return vs_reply_error(r, -EINVAL,
	                      "'%s%s%s' is not a config command (port add, flow add, "
	                      "flow del, pmd sleep, log set, ip addr add, route add, neigh add, "
	                      "ct set, ct limit set, ct timeout set)",
	                      argc ? argv[0] : "", argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
}

/* Prefixes the error in 'r' with "FILE:LINE: ". */
static void
at_line(struct vs_reply *r, const char *path, unsigned int line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", r->buf);
	msg[strcspn(msg, "\n")] = '\0';
	vs_reply_error(r, r->status, "%s:%u: %s", path, line, msg);
}

static void
model_free(struct cfg_model *m)
{
	if (m == NULL)
		return;
	vs_ofproto_destroy(m->flows);
	free(m);
}

/* Reads 'path' into a new model.  On error 'r' holds "FILE:LINE: message". */
static struct cfg_model *
model_load(const char *path, struct vs_reply *r)
{
	struct cfg_model *m = calloc(1, sizeof(*m));
	char *line = malloc(CFG_LINE_MAX), *argv[CFG_WORDS_MAX],
	     *dflt[] = { "priority=0,actions=normal" };
	struct vs_flow_spec spec;
	unsigned int lineno = 0;
	FILE *f = NULL;
	int argc;

	if (m == NULL || line == NULL)
		goto err_nomem;
	m->flows = vs_ofproto_create(NULL, NULL, zero_clock);
	if (m->flows == NULL)
		goto err_nomem;
	/* A fresh switch has the one 'normal' rule, as a fresh OVS bridge. */
	if (vs_cmd_parse_flow(1, dflt, VS_FP_ADD, NULL, &spec, r) != 0 ||
	    vs_ofproto_add(m->flows, &spec) != 0)
		goto err;
	vs_flow_spec_free(&spec);
	f = fopen(path, "r");
	if (f == NULL) {
		vs_reply_error(r, -errno, "%s: %s", path, strerror(errno));
		goto err;
	}
	while (fgets(line, CFG_LINE_MAX, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			vs_reply_error(r, -E2BIG, "%s:%u: line too long", path, lineno);
			goto err;
		}
		argc = vs_split_words(line, argv, CFG_WORDS_MAX);
		if (argc < 0) {
			vs_reply_error(r, -E2BIG, "%s:%u: too many words", path, lineno);
			goto err;
		}
		if (argc == 0)
			continue;
		if (model_line(m, argc, argv, lineno, r) != 0) {
			at_line(r, path, lineno);
			goto err;
		}
	}
	if (ferror(f)) {
		vs_reply_error(r, -EIO, "%s: read error", path);
		goto err;
	}
	fclose(f);
	free(line);
	return m;

err_nomem:
	vs_reply_error(r, -ENOMEM, "out of memory");
err:
	if (f != NULL)
		fclose(f);
	free(line);
	model_free(m);
	return NULL;
}

/* The model's flows as an array of specs (borrowed from the model). */
static struct vs_flow_spec *
model_specs(const struct cfg_model *m, uint32_t *n)
{
	const struct vs_ruleset *rs = vs_ofproto_current(m->flows);
	struct vs_flow_spec *specs = malloc(sizeof(*specs) * (rs->n_rules + 1));
	unsigned int t;
	uint32_t i, k = 0;

	if (specs == NULL)
		return NULL;
	for (t = 0; t < VS_N_TABLES; t++)
		for (i = 0; rs->tables[t] != NULL && i < rs->tables[t]->n_rules; i++)
			specs[k++] = rs->tables[t]->rules[i]->spec;
	*n = k;
	return specs;
}

static int
apply_flows(const struct cfg_model *m, struct vs_reply *r)
{
	struct vs_flow_spec *specs;
	uint32_t n = 0;
	int ret;

	specs = model_specs(m, &n);
	if (specs == NULL)
		return vs_reply_error(r, -ENOMEM, "out of memory");
	ret = vs_ofproto_replace_all(vs_d.sw.ofp, specs, n);
	free(specs);
	return ret != 0 ? vs_reply_error(r, ret, "cannot install flows: %s", strerror(-ret)) : 0;
}

int
vs_config_load(const char *path, struct vs_reply *r)
{
	struct cfg_model *m = model_load(path, r);
	unsigned int i, ul_after = 0;
	int ret = 0;

	if (m == NULL)
		return r->status;
	/* The underlay goes in as soon as the ports it names exist, so that the
	 * ports after them meet their addresses from their first packet. */
	for (i = 0; i < m->n_ports; i++)
		if (model_ul_needs(m, m->ports[i].args.name))
			ul_after = i + 1;
	/* Flows and ct settings first: a port's first packets must meet them. */
	ret = apply_flows(m, r);
	if (ret == 0)
		ret = apply_ct(m, path, r);
	if (ret == 0 && ul_after == 0)
		ret = apply_ul(m, path, r);
	for (i = 0; i < m->n_ports && ret == 0; i++) {
		ret = vs_port_add(&vs_d.sw, &m->ports[i].args, r);
		if (ret != 0)
			at_line(r, path, m->ports[i].line);
		else if (i + 1 == ul_after)
			ret = apply_ul(m, path, r);
	}
	if (ret == 0 && m->has_sleep)
		vs_d.sw.pmd_sleep_max_us = m->sleep_us;
	model_free(m);
	return ret;
}

static void
free_specs(struct vs_flow_spec *specs, uint32_t n)
{
	uint32_t i;

	for (i = 0; specs != NULL && i < n; i++)
		vs_flow_spec_free(&specs[i]);
	free(specs);
}

/* Deep copy of the running flows (for undoing a failed reload). */
static struct vs_flow_spec *
copy_current_specs(uint32_t *n)
{
	const struct vs_ruleset *rs = vs_ofproto_current(vs_d.sw.ofp);
	struct vs_flow_spec *specs = calloc(rs->n_rules + 1, sizeof(*specs));
	unsigned int t;
	uint32_t i, k = 0;

	if (specs == NULL)
		return NULL;
	for (t = 0; t < VS_N_TABLES; t++)
		for (i = 0; rs->tables[t] != NULL && i < rs->tables[t]->n_rules; i++)
			if (vs_flow_spec_copy(&specs[k++], &rs->tables[t]->rules[i]->spec) != 0) {
				free_specs(specs, k - 1);
				return NULL;
			}
	*n = k;
	return specs;
}

/* True when running port 'p' is exactly model port 'c'. */
static bool
port_same(const struct vs_port *p, const struct cfg_port *c)
{
	return c != NULL && strcmp(p->args.text, c->args.text) == 0 && p->ofport == c->args.ofport;
}

/* Devices a reload probed before touching the running state (see preprobe_new__()). */
struct cfg_probed {
	char names[VS_PORT_MAX][RTE_DEV_NAME_MAX_LEN];
	unsigned int n;
};

/* The ethdev name of a dpdk port's devargs (up to the first comma). */
static void
dev_name__(const char *devargs, char *name, size_t size)
{
	size_t n = strcspn(devargs, ",");

	snprintf(name, size, "%.*s", (int)RTE_MIN(n, size - 1), devargs);
}

/* Removes the devices in 'pp' that no port took over (a failed reload). */
static void
unprobe__(const struct cfg_probed *pp)
{
	struct rte_eth_dev_info info;
	unsigned int i;
	uint16_t id;

	/* A port that took one over was deleted by the undo, and its device with it. */
	for (i = 0; i < pp->n; i++)
		if (rte_eth_dev_get_port_by_name(pp->names[i], &id) == 0 &&
		    rte_eth_dev_info_get(id, &info) == 0 && info.device != NULL)
			rte_dev_remove(info.device);
}

/*
 * Probes the devices of the dpdk ports the file adds under a new name, before
 * anything running is touched: probing is where adding a port fails most (a
 * missing file, a bad device argument), and a failure here leaves the running
 * state as it was, where the same failure after the changed ports were deleted
 * would bounce them (deleted, then re-added by the undo: counters reset, a
 * vhost-user guest disconnected, packets to them dropped meanwhile).  A device
 * EAL already has (a port being renamed, a --vdev) is left to vs_port_add().
 */
static int
preprobe_new__(struct cfg_model *m, struct cfg_probed *pp, struct vs_reply *r)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	unsigned int i;
	uint16_t id;
	int ret;

	pp->n = 0;
	for (i = 0; i < m->n_ports; i++) {
		const struct vs_port_args *a = &m->ports[i].args;

		if (strcmp(a->type, "dpdk") != 0 ||
		    vs_port_lookup(vs_d.sw.portmap, a->name) != NULL)
			continue;
		dev_name__(a->devargs, name, sizeof(name));
		if (rte_eth_dev_get_port_by_name(name, &id) == 0)
			continue;
		ret = rte_dev_probe(a->devargs);
		if (ret < 0) {
			unprobe__(pp);
			return vs_reply_error(r, ret, "port %s: cannot probe device '%s': %s",
			                      a->name, a->devargs, rte_strerror(-ret));
		}
		snprintf(pp->names[pp->n++], sizeof(pp->names[0]), "%s", name);
	}
	return 0;
}

int
vs_config_reload(const char *path, struct vs_reply *r)
{
	struct vs_port_args removed[VS_PORT_MAX];
	const char *added[VS_PORT_MAX];
	unsigned int n_removed = 0, n_added = 0, i, k;
	char name[RTE_DEV_NAME_MAX_LEN];
	struct cfg_model *m = model_load(path, r);
	struct vs_flow_spec *old_specs = NULL;
	static struct cfg_probed pp;
	struct vs_reply undo;
	uint32_t n_old = 0;
	uint16_t s;
	int ret = 0;

	if (m == NULL)
		return r->status;
	if (preprobe_new__(m, &pp, r) != 0) {
		model_free(m);
		return r->status;
	}
	/* Ports that vanish or changed go first. */
	for (s = 0; s < VS_PORT_MAX; s++) {
		struct vs_port *p = vs_d.sw.portmap->slots[s];

		if (p == NULL || port_same(p, model_port(m, p->name)))
			continue;
		removed[n_removed] = p->args;
		removed[n_removed++].ofport = p->ofport;
		vs_port_del(&vs_d.sw, p, r);
	}
	/* Then the new rules, so that new ports meet them from their first packet;
	 * the old ones are kept aside for the undo. */
	old_specs = copy_current_specs(&n_old);
	if (old_specs == NULL) {
		ret = vs_reply_error(r, -ENOMEM, "out of memory");
	} else {
		struct vs_reply tmp;

		vs_reply_init(&tmp, false);
		ret = apply_flows(m, &tmp);
		if (ret != 0)
			vs_reply_error(r, ret, "%s", tmp.buf);
		vs_reply_free(&tmp);
	}
	for (i = 0; i < m->n_ports && ret == 0; i++) {
		if (vs_port_lookup(vs_d.sw.portmap, m->ports[i].args.name) != NULL)
			continue;
		ret = vs_port_add(&vs_d.sw, &m->ports[i].args, r);
		if (ret != 0)
			break;
		added[n_added++] = m->ports[i].args.name;
		/* A device probed above is the port's: deleting the port removes it. */
		dev_name__(m->ports[i].args.devargs, name, sizeof(name));
		for (k = 0; k < pp.n; k++)
			if (strcmp(pp.names[k], name) == 0)
				vs_port_lookup(vs_d.sw.portmap, m->ports[i].args.name)->probed =
						true;
	}
	if (ret == 0)
		ret = apply_ul(m, path, r); /* all or nothing */
	if (ret != 0) {
		/* Undo: the running state must not change on error. */
		vs_reply_init(&undo, false);
		for (i = 0; i < n_added; i++) {
			struct vs_port *p = vs_port_lookup(vs_d.sw.portmap, added[i]);

			if (p != NULL)
				vs_port_del(&vs_d.sw, p, &undo);
		}
		for (i = 0; i < n_removed; i++)
			vs_port_add(&vs_d.sw, &removed[i], &undo);
		if (old_specs != NULL)
			vs_ofproto_replace_all(vs_d.sw.ofp, old_specs, n_old);
		unprobe__(&pp);
		vs_reply_free(&undo);
		free_specs(old_specs, n_old);
		model_free(m);
		return ret;
	}
	free_specs(old_specs, n_old);
	/* Validated when read; settings the file does not name are left as they are. */
	ret = apply_ct(m, path, r);
	vs_d.sw.pmd_sleep_max_us = m->has_sleep ? m->sleep_us : vs_d.cli_sleep_us;
	CFG_LOG(INFO, "reloaded %s: %u ports removed, %u added", path, n_removed, n_added);
	if (ret == 0 && r->json)
		vs_reply_printf(r, "{\"ports_removed\": %u, \"ports_added\": %u}\n", n_removed,
		                n_added);
	else if (ret == 0)
		vs_reply_printf(r, "reloaded %s: %u ports removed, %u added\n", path, n_removed,
		                n_added);
	model_free(m);
	return ret;
}

int
vs_config_save(const char *path, struct vs_reply *r)
{
	const struct vs_ruleset *rs = vs_ofproto_current(vs_d.sw.ofp);
	static char flow[16384];
	char tmp[4096];
	time_t now = time(NULL);
	unsigned int t;
	uint32_t o, i;
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return vs_reply_error(r, -ENAMETOOLONG, "path too long");
	f = fopen(tmp, "w");
	if (f == NULL)
		return vs_reply_error(r, -errno, "%s: %s", tmp, strerror(errno));
	fprintf(f, "# sluice config, saved %s", ctime(&now));
	fprintf(f, "pmd sleep %u\n", vs_d.sw.pmd_sleep_max_us);
	for (o = 1; o <= VS_OFPORT_MAX; o++) {
		struct vs_port *p = vs_portmap_get(vs_d.sw.portmap, o);

		if (p == NULL)
			continue;
		fprintf(f, "port add %s\n", p->args.text);
	}
	vs_underlay_save(f);
	vs_ct_save(f);
	/* A fresh switch starts with the 'normal' rule: remove it, then write all. */
	fprintf(f, "flow del\n");
	for (t = 0; t < VS_N_TABLES; t++)
		for (i = 0; rs->tables[t] != NULL && i < rs->tables[t]->n_rules; i++) {
			vs_flow_format(&rs->tables[t]->rules[i]->spec, vs_cmd_port_names(), flow,
			               sizeof(flow));
			fprintf(f, "flow add %s\n", flow);
		}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int err = errno;

		unlink(tmp);
		return vs_reply_error(r, -err, "%s: %s", path, strerror(err));
	}
	if (r->json)
		vs_reply_printf(r, "{\"saved\": \"%s\"}\n", path);
	else
		vs_reply_printf(r, "saved %s\n", path);
	return 0;
}
