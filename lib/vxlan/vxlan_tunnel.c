/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vxlan tunnel table: build, free, lookup (control thread builds; any
 * thread holding a published snapshot looks up, see vxlan.h).
 */
#include <errno.h>
#include <stdint.h>

#include <rte_errno.h>

#include "vxlan.h"
#include "vxlan_priv.h"

/* Lookup class of a tunnel (index in vxlan_tunnel_lookup__()'s order). */
static uint32_t
tunnel_class__(const struct vxlan_tunnel_params *p)
{
	return (p->remote_flow ? 2u : 0u) | (p->key_flow ? 1u : 0u);
}

static int
tunnel_params_valid__(const struct vxlan_tunnel_params *p)
{
	if (p->local_ip == 0)
		return 0;
	if (!p->remote_flow && p->remote_ip == 0)
		return 0;
	return p->key_flow || p->vni <= VXLAN_VNI_MAX;
}

struct vxlan_tunnels *
vxlan_tunnels_build(const struct vxlan_tunnel_params *params, uint32_t n,
                    const struct vxlan_alloc *alloc)
{
	struct vxlan_tunnels *t;
	uint32_t slots = 2, i;

	if (alloc == NULL || alloc->zalloc == NULL || alloc->free == NULL ||
	    n > VXLAN_TUNNELS_MAX || (n > 0 && params == NULL)) {
		rte_errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!tunnel_params_valid__(&params[i])) {
			rte_errno = EINVAL;
			return NULL;
		}
	}
	while (slots < 2 * n)
		slots *= 2;
	t = alloc->zalloc(alloc->arg, sizeof(*t) + slots * sizeof(t->slots[0]),
	                  RTE_CACHE_LINE_SIZE);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->alloc = *alloc;
	t->mask = slots - 1;
	for (i = 0; i < n; i++) {
		const struct vxlan_tunnel_params *p = &params[i];
		uint32_t remote = p->remote_flow ? 0 : p->remote_ip;
		uint32_t tag = (p->key_flow ? VXLAN_TAG_KEY_FLOW : p->vni) |
		               (p->remote_flow ? VXLAN_TAG_REMOTE_FLOW : 0);
		uint32_t s;

		if (vxlan_tunnel_find__(t, p->local_ip, remote, tag) != NULL) {
			rte_errno = EEXIST;
			goto err_free;
		}
		s = vxlan_tunnel_hash__(p->local_ip, remote, tag) & t->mask;
		while (t->slots[s].local_ip != 0)
			s = (s + 1) & t->mask;
		t->slots[s].local_ip = p->local_ip;
		t->slots[s].remote_ip = remote;
		t->slots[s].tag = tag;
		t->slots[s].params = *p;
		t->slots[s].params.remote_ip = remote;
		if (p->key_flow)
			t->slots[s].params.vni = 0;
		t->classes |= 1u << tunnel_class__(p);
		t->n++;
	}
	return t;

err_free:
	alloc->free(alloc->arg, t);
	return NULL;
}

void
vxlan_tunnels_free(struct vxlan_tunnels *t)
{
	if (t != NULL)
		t->alloc.free(t->alloc.arg, t);
}

uint32_t
vxlan_tunnels_count(const struct vxlan_tunnels *t)
{
	return t == NULL ? 0 : t->n;
}

const struct vxlan_tunnel_params *
vxlan_tunnels_lookup(const struct vxlan_tunnels *t, uint32_t local_ip, uint32_t vni,
                     uint32_t remote_ip)
{
	if (t == NULL || local_ip == 0 || vni > VXLAN_VNI_MAX)
		return NULL;
	return vxlan_tunnel_lookup__(t, local_ip, vni, remote_ip);
}
