// SPDX-License-Identifier: GPL-2.0
/*
 * Arm rVIC: the per-vCPU interrupt controller a hypervisor provides
 * through hypercalls instead of an emulated GIC.
 *
 * This driver owns the root interrupt domain, whose hwirqs are the INTIDs
 * 0..T+U-1 of every vCPU's rVIC:
 *  - trusted 0..15 are IPIs: per-CPU, sent with SIGNAL;
 *  - trusted 16..T-1 are per-CPU interrupts named in the device tree
 *    (the architected timers);
 *  - untrusted T..T+U-1 are the rVIC ends of rVID routes (irq-rvid.c
 *    stacks its domain on this one); each is targeted at one vCPU.
 * It also brings each CPU's instance up and down, acknowledges interrupts,
 * reports failed hypercalls and shows its state in debugfs.
 */

#define pr_fmt(fmt) "rvic: " fmt

#include <linux/bitmap.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/irq.h>
#include <linux/irqchip.h>
#include <linux/irqchip/arm-rvic.h>
#include <linux/irqdomain.h>
#include <linux/of.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <asm/barrier.h>
#include <asm/cputype.h>
#include <asm/exception.h>
#include <asm/smp.h>
#include <asm/sysreg.h>

/*
 * IPIs allocated on trusted INTIDs 0..RVIC_NR_IPI-1: arm64 in 6.1 uses
 * seven (NR_IPI); like the GIC drivers we offer eight.
 */
#define RVIC_NR_IPI		8
/* ISR_EL1.I: the (virtual) IRQ line is asserted */
#define RVIC_ISR_EL1_I		BIT(7)

/* An untrusted INTID's route, as this driver last set it */
struct rvic_route {
	u64 target;	/* MPIDR of the target vCPU, or RVIC_NO_TARGET */
	bool masked;	/* the mask state the kernel asked for */
};

struct rvic_cpu {
	/* Trusted INTIDs: the mask state this driver last set on this CPU */
	DECLARE_BITMAP(masked, RVIC_MAX_INTIDS);
	unsigned long acks;		/* INTIDs acknowledged */
	unsigned long spurious;		/* IRQ exceptions with nothing to ack */
	unsigned long unhandled;	/* acknowledged INTIDs without a mapping */
	unsigned long signals;		/* successful SIGNAL calls made */
	unsigned long errors;		/* failed hypercalls */
};

static struct {
	struct irq_domain *domain;
	/*
	 * ABI 0.4: interrupts are taken with ACKNOWLEDGE_UNMASKED, so a
	 * trusted INTID's EOI needs no CLEAR_MASKED (see rvic_handle_irq)
	 */
	bool ack_unmasked;
	unsigned int nr_trusted;	/* T */
	unsigned int nr_untrusted;	/* U */
	struct rvic_route *routes;	/* U entries, for INTIDs T..T+U-1 */
} rvic;

static DEFINE_PER_CPU(struct rvic_cpu, rvic_cpu);

/* Failed hypercalls are logged once per (function, reason) pair */
#define RVIC_FN_SLOTS		(RVIC_NR_FN + RVID_NR_FN + 1)
#define RVIC_REASON_SLOTS	8
static DECLARE_BITMAP(rvic_reported, RVIC_FN_SLOTS * RVIC_REASON_SLOTS);

static const char * const rvic_fn_names[RVIC_FN_SLOTS] = {
	"VERSION", "INFO", "ENABLE", "DISABLE", "SET_MASKED", "CLEAR_MASKED",
	"IS_PENDING", "SIGNAL", "CLEAR_PENDING", "ACKNOWLEDGE", "RESAMPLE",
	"ACKNOWLEDGE_UNMASKED", "rVID VERSION", "rVID MAP", "rVID UNMAP", "unknown function",
};

static const char * const rvic_reason_names[] = {
	"SUCCESS", "ERROR_PARAMETER", "INVALID_CPU", "DISABLED",
	"NO_INTERRUPTS",
};

static unsigned int rvic_fn_slot(u32 fn)
{
	if (fn >= RVIC_FN(0) && fn < RVIC_FN(RVIC_NR_FN))
		return fn - RVIC_FN(0);
	if (fn >= RVID_FN(0) && fn < RVID_FN(RVID_NR_FN))
		return RVIC_NR_FN + fn - RVID_FN(0);
	return RVIC_NR_FN + RVID_NR_FN;
}

static void rvic_report(u32 fn, unsigned long status)
{
	unsigned int reason = RVIC_STATUS_REASON(status);
	unsigned int fn_slot = rvic_fn_slot(fn);
	const char *name = "unknown reason";

	this_cpu_inc(rvic_cpu.errors);
	if (test_and_set_bit(fn_slot * RVIC_REASON_SLOTS +
			     min_t(unsigned int, reason, RVIC_REASON_SLOTS - 1),
			     rvic_reported))
		return;

	if ((long)status == SMCCC_RET_NOT_SUPPORTED)
		name = "NOT_SUPPORTED";
	else if (reason < ARRAY_SIZE(rvic_reason_names))
		name = rvic_reason_names[reason];
	pr_err_ratelimited("%s failed: status %#lx (%s, argument %lu)\n",
			   rvic_fn_names[fn_slot], status, name,
			   RVIC_STATUS_ARG(status));
}

/**
 * rvic_call() - make one rVIC or rVID hypercall
 * @fn: function ID
 * @a1: first argument (x1)
 * @a2: second argument (x2)
 * @a3: third argument (x3)
 * @value: if not NULL, receives the value returned in x1
 *
 * A failure is counted and logged the first time its kind is seen.
 *
 * Return: the status word, RVIC_STATUS_SUCCESS (0) on success.
 */
unsigned long rvic_call(u32 fn, u64 a1, u64 a2, u64 a3, u64 *value)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(fn, a1, a2, a3, &res);
	if (value)
		*value = res.a1;
	if (res.a0 != RVIC_STATUS_SUCCESS)
		rvic_report(fn, res.a0);
	else if (fn == RVIC_FN_SIGNAL)
		this_cpu_inc(rvic_cpu.signals);
	return res.a0;
}

/**
 * rvic_untrusted_range() - where rVID routes may land
 * @first: receives T, the first untrusted INTID
 * @nr: receives U, the number of untrusted INTIDs (and of rVID inputs)
 *
 * Return: 0, or -ENODEV if the rVIC driver is not running.
 */
int rvic_untrusted_range(unsigned int *first, unsigned int *nr)
{
	if (!rvic.domain)
		return -ENODEV;
	*first = rvic.nr_trusted;
	*nr = rvic.nr_untrusted;
	return 0;
}

/* The ABI names a vCPU by MPIDR_EL1 & 0xff00ffffff */
u64 rvic_cpu_target(unsigned int cpu)
{
	return cpu_logical_map(cpu) & MPIDR_HWID_BITMASK;
}

static u64 rvic_self(void)
{
	return rvic_cpu_target(smp_processor_id());
}

static struct rvic_route *rvic_route_of(struct irq_data *d)
{
	return &rvic.routes[d->hwirq - rvic.nr_trusted];
}

/* The route accessors run under the interrupt's descriptor lock */
u64 rvic_route_target(struct irq_data *d)
{
	return rvic_route_of(d)->target;
}

void rvic_route_set_target(struct irq_data *d, u64 target)
{
	rvic_route_of(d)->target = target;
}

bool rvic_route_masked(struct irq_data *d)
{
	return rvic_route_of(d)->masked;
}

/* The hypervisor owns each source's sense; the guest only learns it */
static int rvic_set_type(struct irq_data *d, unsigned int type)
{
	switch (type) {
	case IRQ_TYPE_EDGE_RISING:
	case IRQ_TYPE_LEVEL_HIGH:
		return 0;
	default:
		return -EINVAL;
	}
}

/* Trusted INTIDs: every operation acts on the calling CPU's instance */
static void rvic_local_mask(struct irq_data *d)
{
	__set_bit(d->hwirq, this_cpu_ptr(&rvic_cpu)->masked);
	rvic_call(RVIC_FN_SET_MASKED, rvic_self(), d->hwirq, 0, NULL);
}

static void rvic_local_unmask(struct irq_data *d)
{
	__clear_bit(d->hwirq, this_cpu_ptr(&rvic_cpu)->masked);
	rvic_call(RVIC_FN_CLEAR_MASKED, rvic_self(), d->hwirq, 0, NULL);
}

/*
 * ACKNOWLEDGE left the INTID masked; unmasking it ends the interrupt. A
 * level source (the timers) first gets RESAMPLE, which re-pends it if the
 * line is still asserted. ACKNOWLEDGE_UNMASKED left the mask as the kernel
 * set it, so there is nothing to unmask.
 */
static void rvic_local_eoi(struct irq_data *d)
{
	if (irqd_is_level_type(d))
		rvic_call(RVIC_FN_RESAMPLE, d->hwirq, 0, 0, NULL);
	if (!rvic.ack_unmasked &&
	    !test_bit(d->hwirq, this_cpu_ptr(&rvic_cpu)->masked))
		rvic_call(RVIC_FN_CLEAR_MASKED, rvic_self(), d->hwirq, 0, NULL);
}

static void rvic_ipi_send_mask(struct irq_data *d, const struct cpumask *mask)
{
	unsigned int cpu;

	/* Make our stores visible before a target can take the IPI */
	dsb(ishst);
	for_each_cpu(cpu, mask)
		rvic_call(RVIC_FN_SIGNAL, rvic_cpu_target(cpu), d->hwirq, 0,
			  NULL);
}

/* Untrusted INTIDs: every operation acts on the route's target vCPU */
static void rvic_route_mask(struct irq_data *d)
{
	struct rvic_route *r = rvic_route_of(d);

	r->masked = true;
	if (r->target != RVIC_NO_TARGET)
		rvic_call(RVIC_FN_SET_MASKED, r->target, d->hwirq, 0, NULL);
}

static void rvic_route_unmask(struct irq_data *d)
{
	struct rvic_route *r = rvic_route_of(d);

	r->masked = false;
	if (r->target != RVIC_NO_TARGET)
		rvic_call(RVIC_FN_CLEAR_MASKED, r->target, d->hwirq, 0, NULL);
}

static void rvic_route_eoi(struct irq_data *d)
{
	struct rvic_route *r = rvic_route_of(d);

	if (r->target == RVIC_NO_TARGET)
		return;

	/*
	 * Another CPU is still running this interrupt's handler: its
	 * affinity changed under it and the flow handler drops this
	 * occurrence. Make it pending again and leave it masked; the
	 * running handler's EOI unmasks it.
	 */
	if (irqd_irq_inprogress(d)) {
		rvic_call(RVIC_FN_SIGNAL, r->target, d->hwirq, 0, NULL);
		return;
	}

	if (irqd_is_level_type(d)) {
		/*
		 * RESAMPLE acts on the caller's own instance. If the route
		 * moved while this CPU handled the interrupt, let the new
		 * target take it once more: its EOI resamples the line.
		 */
		if (r->target == rvic_self())
			rvic_call(RVIC_FN_RESAMPLE, d->hwirq, 0, 0, NULL);
		else
			rvic_call(RVIC_FN_SIGNAL, r->target, d->hwirq, 0, NULL);
	}
	if (!r->masked)
		rvic_call(RVIC_FN_CLEAR_MASKED, r->target, d->hwirq, 0, NULL);
}

static int rvic_route_retrigger(struct irq_data *d)
{
	struct rvic_route *r = rvic_route_of(d);

	if (r->target == RVIC_NO_TARGET)
		return 0;
	return !rvic_call(RVIC_FN_SIGNAL, r->target, d->hwirq, 0, NULL);
}

static const struct irq_chip rvic_ipi_chip = {
	.name		= "rVIC-IPI",
	.irq_mask	= rvic_local_mask,
	.irq_unmask	= rvic_local_unmask,
	.irq_eoi	= rvic_local_eoi,
	.ipi_send_mask	= rvic_ipi_send_mask,
	.flags		= IRQCHIP_SKIP_SET_WAKE | IRQCHIP_MASK_ON_SUSPEND,
};

static const struct irq_chip rvic_percpu_chip = {
	.name		= "rVIC-PPI",
	.irq_mask	= rvic_local_mask,
	.irq_unmask	= rvic_local_unmask,
	.irq_eoi	= rvic_local_eoi,
	.irq_set_type	= rvic_set_type,
	.flags		= IRQCHIP_SKIP_SET_WAKE | IRQCHIP_MASK_ON_SUSPEND,
};

static const struct irq_chip rvic_route_chip = {
	.name		= "rVIC",
	.irq_mask	= rvic_route_mask,
	.irq_unmask	= rvic_route_unmask,
	.irq_eoi	= rvic_route_eoi,
	.irq_set_type	= rvic_set_type,
	.irq_retrigger	= rvic_route_retrigger,
	.flags		= IRQCHIP_SKIP_SET_WAKE | IRQCHIP_MASK_ON_SUSPEND,
};

/* Only the per-CPU trusted INTIDs (16..T-1) may be named in a device tree */
static int rvic_irq_domain_translate(struct irq_domain *domain,
				     struct irq_fwspec *fwspec,
				     unsigned long *hwirq, unsigned int *type)
{
	if (!is_of_node(fwspec->fwnode) || fwspec->param_count != 2)
		return -EINVAL;
	if (fwspec->param[0] < RVIC_NR_SGI ||
	    fwspec->param[0] >= rvic.nr_trusted)
		return -EINVAL;

	*hwirq = fwspec->param[0];
	*type = fwspec->param[1] & IRQ_TYPE_SENSE_MASK;
	return 0;
}

static void rvic_irq_setup(struct irq_domain *domain, unsigned int virq,
			   unsigned int intid)
{
	struct rvic_route *r;

	if (intid < rvic.nr_trusted) {
		irq_set_percpu_devid(virq);
		irq_domain_set_info(domain, virq, intid,
				    intid < RVIC_NR_SGI ? &rvic_ipi_chip :
							  &rvic_percpu_chip,
				    NULL, handle_percpu_devid_irq, NULL, NULL);
		return;
	}

	r = &rvic.routes[intid - rvic.nr_trusted];
	r->target = RVIC_NO_TARGET;
	r->masked = true;
	irq_domain_set_info(domain, virq, intid, &rvic_route_chip, NULL,
			    handle_fasteoi_irq, NULL, NULL);
	irqd_set_single_target(irq_get_irq_data(virq));
}

/*
 * Called for the device tree's per-CPU interrupts (after translate), for
 * the IPIs, and by the rVID domain for the untrusted INTID of each input.
 */
static int rvic_irq_domain_alloc(struct irq_domain *domain, unsigned int virq,
				 unsigned int nr_irqs, void *arg)
{
	struct irq_fwspec *fwspec = arg;
	unsigned int i, intid;

	if (fwspec->param_count != 2)
		return -EINVAL;
	intid = fwspec->param[0];
	if (intid + nr_irqs > rvic.nr_trusted + rvic.nr_untrusted)
		return -EINVAL;

	for (i = 0; i < nr_irqs; i++)
		rvic_irq_setup(domain, virq + i, intid + i);
	return 0;
}

static void rvic_irq_domain_free(struct irq_domain *domain, unsigned int virq,
				 unsigned int nr_irqs)
{
	unsigned int i;

	for (i = 0; i < nr_irqs; i++)
		irq_domain_reset_irq_data(irq_domain_get_irq_data(domain,
								  virq + i));
}

static const struct irq_domain_ops rvic_domain_ops = {
	.translate	= rvic_irq_domain_translate,
	.alloc		= rvic_irq_domain_alloc,
	.free		= rvic_irq_domain_free,
};

/*
 * ACKNOWLEDGE returns one pending, unmasked INTID and leaves it masked and
 * not pending; the chip's EOI unmasks it. Loop until nothing is left. The
 * ABI's notification rule makes the virtual IRQ line exact whenever the
 * vCPU enters the guest, so after each interrupt ISR_EL1.I tells whether
 * another is deliverable: a clear bit ends the loop without a last
 * ACKNOWLEDGE (one EL2 entry fewer per interrupt).
 */
static void __exception_irq_entry rvic_handle_irq(struct pt_regs *regs)
{
	u32 ack = rvic.ack_unmasked ? RVIC_FN_ACKNOWLEDGE_UNMASKED :
				      RVIC_FN_ACKNOWLEDGE;
	struct arm_smccc_res res;
	bool first = true;

	for (;;) {
		arm_smccc_1_1_hvc(ack, &res);
		if (res.a0 != RVIC_STATUS_SUCCESS) {
			if (res.a0 != RVIC_STATUS_NO_INTERRUPTS)
				rvic_report(ack, res.a0);
			else if (first)
				this_cpu_inc(rvic_cpu.spurious);
			return;
		}
		first = false;
		this_cpu_inc(rvic_cpu.acks);
		/*
		 * A route's EOI (rvic_route_eoi) relies on the INTID being
		 * masked while its handler runs, as ACKNOWLEDGE leaves it:
		 * with ACKNOWLEDGE_UNMASKED mask it here. Only trusted
		 * INTIDs (the IPIs and the timers) save the CLEAR_MASKED.
		 */
		if (rvic.ack_unmasked && res.a1 >= rvic.nr_trusted &&
		    res.a1 < rvic.nr_trusted + rvic.nr_untrusted)
			rvic_call(RVIC_FN_SET_MASKED, rvic_self(), res.a1, 0,
				  NULL);
		if (generic_handle_domain_irq(rvic.domain, res.a1)) {
			this_cpu_inc(rvic_cpu.unhandled);
			pr_warn_ratelimited("INTID %lu has no handler; left masked\n",
					    res.a1);
		}
		if (!(read_sysreg(isr_el1) & RVIC_ISR_EL1_I))
			return;
	}
}

/*
 * Per-CPU bring-up, on the CPU itself with interrupts off, before the
 * timer and the IPIs are enabled: start from a quiet instance (everything
 * masked, nothing pending) and enable it. A route still targeting this
 * CPU keeps its state (routes normally leave a CPU before it goes down).
 */
static int rvic_cpu_starting(unsigned int cpu)
{
	unsigned int nr = rvic.nr_trusted + rvic.nr_untrusted;
	u64 self = rvic_cpu_target(cpu);
	unsigned int intid;

	rvic_call(RVIC_FN_DISABLE, 0, 0, 0, NULL);
	for (intid = 0; intid < nr; intid++) {
		if (intid >= rvic.nr_trusted &&
		    rvic.routes[intid - rvic.nr_trusted].target == self)
			continue;
		rvic_call(RVIC_FN_SET_MASKED, self, intid, 0, NULL);
		rvic_call(RVIC_FN_CLEAR_PENDING, self, intid, 0, NULL);
	}
	bitmap_fill(per_cpu_ptr(&rvic_cpu, cpu)->masked, rvic.nr_trusted);
	rvic_call(RVIC_FN_ENABLE, 0, 0, 0, NULL);
	return 0;
}

static int rvic_cpu_dying(unsigned int cpu)
{
	rvic_call(RVIC_FN_DISABLE, 0, 0, 0, NULL);
	return 0;
}

static bool __init rvic_geometry_valid(u64 t, u64 u)
{
	return t >= 32 && u >= 32 && t % 32 == 0 && u % 32 == 0 &&
	       t + u <= RVIC_MAX_INTIDS;
}

static int __init rvic_init_ipis(void)
{
	struct irq_fwspec fwspec = {
		.fwnode		= rvic.domain->fwnode,
		.param_count	= 2,
		.param		= { 0, IRQ_TYPE_EDGE_RISING },
	};
	int base;

	base = irq_domain_alloc_irqs(rvic.domain, RVIC_NR_IPI, NUMA_NO_NODE,
				     &fwspec);
	if (base <= 0)
		return base ? base : -ENOMEM;
	set_smp_ipi_range(base, RVIC_NR_IPI);
	return 0;
}

static int __init rvic_of_init(struct device_node *node,
			       struct device_node *parent)
{
	u64 version = 0, t = 0, u = 0;
	unsigned int i;
	int ret;

	if (parent) {
		pr_err("%pOF: must be the root interrupt controller\n", node);
		return -EINVAL;
	}
	if (rvic_call(RVIC_FN_VERSION, 0, 0, 0, &version) ||
	    (version != RVIC_ABI_VERSION && version != RVIC_ABI_VERSION_0_4)) {
		pr_err("%pOF: no version 0.3 or 0.4 (VERSION gave %#llx)\n",
		       node, version);
		return -ENODEV;
	}
	rvic.ack_unmasked = version == RVIC_ABI_VERSION_0_4;
	if (rvic_call(RVIC_FN_INFO, RVIC_INFO_NR_TRUSTED, 0, 0, &t) ||
	    rvic_call(RVIC_FN_INFO, RVIC_INFO_NR_UNTRUSTED, 0, 0, &u) ||
	    !rvic_geometry_valid(t, u)) {
		pr_err("%pOF: bad INTID space: T=%llu U=%llu\n", node, t, u);
		return -ENODEV;
	}
	rvic.nr_trusted = t;
	rvic.nr_untrusted = u;

	rvic.routes = kcalloc(u, sizeof(*rvic.routes), GFP_KERNEL);
	if (!rvic.routes)
		return -ENOMEM;
	for (i = 0; i < u; i++) {
		rvic.routes[i].target = RVIC_NO_TARGET;
		rvic.routes[i].masked = true;
	}

	rvic.domain = irq_domain_create_linear(of_node_to_fwnode(node), t + u,
					       &rvic_domain_ops, NULL);
	if (!rvic.domain) {
		ret = -ENOMEM;
		goto free_routes;
	}

	ret = set_handle_irq(rvic_handle_irq);
	if (ret)
		goto remove_domain;

	rvic_cpu_starting(smp_processor_id());
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_IRQ_RVIC_STARTING,
					"irqchip/arm/rvic:starting",
					rvic_cpu_starting, rvic_cpu_dying);
	if (ret)
		pr_err("no CPU hotplug state (%d): secondary CPUs stay quiet\n",
		       ret);

	ret = rvic_init_ipis();
	if (ret)
		pr_err("cannot allocate IPIs (%d)\n", ret);

	pr_info("%pOF: version 0.%llu, %u trusted and %u untrusted INTIDs%s\n",
		node, version & 0xffff, rvic.nr_trusted, rvic.nr_untrusted,
		rvic.ack_unmasked ? ", ACKNOWLEDGE_UNMASKED" : "");
	return 0;

remove_domain:
	irq_domain_remove(rvic.domain);
	rvic.domain = NULL;
free_routes:
	kfree(rvic.routes);
	rvic.routes = NULL;
	return ret;
}

IRQCHIP_DECLARE(arm_rvic, "arm,rvic", rvic_of_init);

#ifdef CONFIG_DEBUG_FS
static const char *rvic_intid_kind(unsigned int intid)
{
	if (intid < RVIC_NR_SGI)
		return "ipi";
	if (intid < rvic.nr_trusted)
		return "ppi";
	return "route";
}

/*
 * Pending comes from IS_PENDING on each CPU's instance. Masked is this
 * driver's record of what it last set there: the hypervisor has no call
 * to read it back, and ACKNOWLEDGE's masking of an INTID being handled is
 * not in that record. A route is masked on every CPU but its target.
 */
static int rvic_intids_show(struct seq_file *s, void *unused)
{
	unsigned int nr = rvic.nr_trusted + rvic.nr_untrusted;
	unsigned int intid, cpu;

	seq_puts(s, "# p: pending (IS_PENDING), m: masked (driver's record)\n");
	seq_puts(s, "intid kind   virq");
	cpus_read_lock();
	for_each_online_cpu(cpu)
		seq_printf(s, " cpu%-3u", cpu);
	seq_puts(s, " target\n");

	for (intid = 0; intid < nr; intid++) {
		struct rvic_route *r = NULL;

		if (intid >= rvic.nr_trusted)
			r = &rvic.routes[intid - rvic.nr_trusted];
		seq_printf(s, "%5u %-5s %5u", intid, rvic_intid_kind(intid),
			   irq_find_mapping(rvic.domain, intid));
		for_each_online_cpu(cpu) {
			u64 target = rvic_cpu_target(cpu);
			u64 pending = 0;
			bool masked;

			if (rvic_call(RVIC_FN_IS_PENDING, target, intid, 0,
				      &pending))
				pending = 0;
			if (r)
				masked = r->target != target || r->masked;
			else
				masked = test_bit(intid,
						  per_cpu_ptr(&rvic_cpu, cpu)->masked);
			seq_printf(s, "     %c%c", pending ? 'p' : '-',
				   masked ? 'm' : '-');
		}
		if (r && r->target != RVIC_NO_TARGET)
			seq_printf(s, " %#llx", r->target);
		seq_putc(s, '\n');
	}
	cpus_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rvic_intids);

static int rvic_counters_show(struct seq_file *s, void *unused)
{
	unsigned int cpu;

	seq_puts(s, "cpu       acks   spurious  unhandled    signals     errors\n");
	for_each_possible_cpu(cpu) {
		struct rvic_cpu *c = per_cpu_ptr(&rvic_cpu, cpu);

		seq_printf(s, "%3u %10lu %10lu %10lu %10lu %10lu\n", cpu,
			   c->acks, c->spurious, c->unhandled, c->signals,
			   c->errors);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rvic_counters);

static int __init rvic_debugfs_init(void)
{
	struct dentry *dir;

	if (!rvic.domain)
		return 0;
	dir = debugfs_create_dir("rvic", NULL);
	debugfs_create_file("intids", 0400, dir, NULL, &rvic_intids_fops);
	debugfs_create_file("counters", 0444, dir, NULL, &rvic_counters_fops);
	return 0;
}
late_initcall(rvic_debugfs_init);
#endif
