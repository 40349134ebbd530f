// SPDX-License-Identifier: GPL-2.0
/*
 * Arm rVID: the per-VM paravirtual interrupt distributor. It routes
 * numbered inputs (device lines) to an untrusted INTID on one vCPU's rVIC.
 *
 * This driver owns a domain stacked on the rVIC domain (irq-rvic.c):
 * hwirq n is input n, always backed by untrusted INTID T + n. Activating
 * an interrupt MAPs its input to a vCPU, deactivating UNMAPs it, and an
 * affinity change moves the route with the ABI's retargeting sequence.
 * Mask, unmask and EOI belong to the rVIC, which acts on the route's
 * target vCPU.
 */

#define pr_fmt(fmt) "rvid: " fmt

#include <linux/cpumask.h>
#include <linux/init.h>
#include <linux/irq.h>
#include <linux/irqchip.h>
#include <linux/irqchip/arm-rvic.h>
#include <linux/irqdomain.h>
#include <linux/of.h>

static struct {
	struct irq_domain *domain;
	unsigned int first_intid;	/* T: input n is INTID T + n */
	unsigned int nr_inputs;		/* U */
} rvid;

/*
 * Move a mapped route from vCPU @old to vCPU @new, as the ABI prescribes:
 * mask on both, MAP to the new target, carry a pending state across, then
 * unmask on the new target if the kernel had it unmasked. An INTID being
 * handled on the old target stays masked there; its EOI (on the old CPU)
 * unmasks it on the new target.
 */
static int rvid_move(struct irq_data *d, u64 old, u64 new)
{
	struct irq_data *rd = d->parent_data;
	unsigned int intid = rd->hwirq;
	u64 pending = 0;

	rvic_call(RVIC_FN_SET_MASKED, old, intid, 0, NULL);
	rvic_call(RVIC_FN_SET_MASKED, new, intid, 0, NULL);
	if (rvic_call(RVID_FN_MAP, d->hwirq, new, intid, NULL)) {
		/* The route did not move: undo the mask on the old target */
		if (!rvic_route_masked(rd))
			rvic_call(RVIC_FN_CLEAR_MASKED, old, intid, 0, NULL);
		return -EIO;
	}
	rvic_route_set_target(rd, new);

	if (!rvic_call(RVIC_FN_IS_PENDING, old, intid, 0, &pending) &&
	    pending) {
		rvic_call(RVIC_FN_CLEAR_PENDING, old, intid, 0, NULL);
		rvic_call(RVIC_FN_SIGNAL, new, intid, 0, NULL);
	}
	if (!rvic_route_masked(rd))
		rvic_call(RVIC_FN_CLEAR_MASKED, new, intid, 0, NULL);
	return 0;
}

static int rvid_set_affinity(struct irq_data *d, const struct cpumask *mask,
			     bool force)
{
	unsigned int cpu;
	u64 old, new;
	int ret;

	if (force)
		cpu = cpumask_first(mask);
	else
		cpu = cpumask_any_and(mask, cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		return -EINVAL;

	/* An inactive interrupt has no route yet: activation makes it */
	if (irqd_is_activated(d)) {
		old = rvic_route_target(d->parent_data);
		new = rvic_cpu_target(cpu);
		if (old != new) {
			ret = rvid_move(d, old, new);
			if (ret)
				return ret;
		}
	}
	irq_data_update_effective_affinity(d, cpumask_of(cpu));
	return IRQ_SET_MASK_OK_DONE;
}

static const struct irq_chip rvid_chip = {
	.name			= "rVID",
	.irq_mask		= irq_chip_mask_parent,
	.irq_unmask		= irq_chip_unmask_parent,
	.irq_eoi		= irq_chip_eoi_parent,
	.irq_set_type		= irq_chip_set_type_parent,
	.irq_set_affinity	= rvid_set_affinity,
	.irq_retrigger		= irq_chip_retrigger_hierarchy,
	.flags			= IRQCHIP_SKIP_SET_WAKE |
				  IRQCHIP_MASK_ON_SUSPEND,
};

/* Device tree specifier: <input flags>, flags 1 = edge, 4 = level */
static int rvid_translate(struct irq_domain *domain, struct irq_fwspec *fwspec,
			  unsigned long *hwirq, unsigned int *type)
{
	if (!is_of_node(fwspec->fwnode) || fwspec->param_count != 2)
		return -EINVAL;
	if (fwspec->param[0] >= rvid.nr_inputs)
		return -EINVAL;

	*hwirq = fwspec->param[0];
	*type = fwspec->param[1] & IRQ_TYPE_SENSE_MASK;
	return 0;
}

static int rvid_alloc(struct irq_domain *domain, unsigned int virq,
		      unsigned int nr_irqs, void *arg)
{
	struct irq_fwspec parent_fwspec;
	unsigned long input;
	unsigned int i, type;
	int ret;

	ret = rvid_translate(domain, arg, &input, &type);
	if (ret)
		return ret;
	if (input + nr_irqs > rvid.nr_inputs)
		return -EINVAL;

	for (i = 0; i < nr_irqs; i++) {
		ret = irq_domain_set_hwirq_and_chip(domain, virq + i, input + i,
						    &rvid_chip, NULL);
		if (ret)
			return ret;
	}

	parent_fwspec.fwnode = domain->parent->fwnode;
	parent_fwspec.param_count = 2;
	parent_fwspec.param[0] = rvid.first_intid + input;
	parent_fwspec.param[1] = type;
	return irq_domain_alloc_irqs_parent(domain, virq, nr_irqs,
					    &parent_fwspec);
}

/* Route the input to the first online CPU of the interrupt's affinity */
static int rvid_activate(struct irq_domain *domain, struct irq_data *d,
			 bool reserve)
{
	struct irq_data *rd = d->parent_data;
	unsigned int cpu;
	u64 target;

	cpu = cpumask_first_and(irq_data_get_affinity_mask(d),
				cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	target = rvic_cpu_target(cpu);

	if (rvic_call(RVID_FN_MAP, d->hwirq, target, rd->hwirq, NULL))
		return -EIO;
	rvic_route_set_target(rd, target);
	if (!rvic_route_masked(rd))
		rvic_call(RVIC_FN_CLEAR_MASKED, target, rd->hwirq, 0, NULL);
	irq_data_update_effective_affinity(d, cpumask_of(cpu));
	return 0;
}

/* Unroute the input and leave its INTID quiet on the old target */
static void rvid_deactivate(struct irq_domain *domain, struct irq_data *d)
{
	struct irq_data *rd = d->parent_data;
	u64 target = rvic_route_target(rd);

	rvic_call(RVID_FN_UNMAP, d->hwirq, 0, 0, NULL);
	if (target == RVIC_NO_TARGET)
		return;
	rvic_call(RVIC_FN_SET_MASKED, target, rd->hwirq, 0, NULL);
	rvic_call(RVIC_FN_CLEAR_PENDING, target, rd->hwirq, 0, NULL);
	rvic_route_set_target(rd, RVIC_NO_TARGET);
}

static const struct irq_domain_ops rvid_domain_ops = {
	.translate	= rvid_translate,
	.alloc		= rvid_alloc,
	.free		= irq_domain_free_irqs_common,
	.activate	= rvid_activate,
	.deactivate	= rvid_deactivate,
};

static int __init rvid_of_init(struct device_node *node,
			       struct device_node *parent)
{
	struct irq_domain *parent_domain = NULL;
	u64 version = 0;

	if (parent)
		parent_domain = irq_find_host(parent);
	if (!parent_domain ||
	    rvic_untrusted_range(&rvid.first_intid, &rvid.nr_inputs)) {
		pr_err("%pOF: interrupt-parent is not a running rVIC\n", node);
		return -ENXIO;
	}
	if (rvic_call(RVID_FN_VERSION, 0, 0, 0, &version) ||
	    (version != RVIC_ABI_VERSION && version != RVIC_ABI_VERSION_0_4)) {
		pr_err("%pOF: no version 0.3 (VERSION gave %#llx)\n", node,
		       version);
		return -ENODEV;
	}

	rvid.domain = irq_domain_create_hierarchy(parent_domain, 0,
						  rvid.nr_inputs,
						  of_node_to_fwnode(node),
						  &rvid_domain_ops, NULL);
	if (!rvid.domain)
		return -ENOMEM;

	pr_info("%pOF: version 0.3, inputs 0..%u on INTIDs %u..%u\n", node,
		rvid.nr_inputs - 1, rvid.first_intid,
		rvid.first_intid + rvid.nr_inputs - 1);
	return 0;
}

IRQCHIP_DECLARE(arm_rvid, "arm,rvid", rvid_of_init);
