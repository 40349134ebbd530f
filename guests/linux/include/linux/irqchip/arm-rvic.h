/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Arm rVIC/rVID paravirtual interrupt controller: the hypercall ABI and
 * the small interface irq-rvic.c offers to irq-rvid.c.
 *
 * The ABI is the project's docs/rvic-abi.md (version 0.3): SMCCC 1.1 fast
 * SMC64 calls issued with HVC #0, arguments in x1..x3, a status word in x0
 * (bits[7:0] reason, bits[15:8] index of the faulting argument) and a
 * value in x1.
 */
#ifndef __LINUX_IRQCHIP_ARM_RVIC_H
#define __LINUX_IRQCHIP_ARM_RVIC_H

#include <linux/arm-smccc.h>
#include <linux/irq.h>
#include <linux/types.h>

#define RVIC_FN(n)	ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL,		\
					   ARM_SMCCC_SMC_64,		\
					   ARM_SMCCC_OWNER_STANDARD_HYP,\
					   0x200 + (n))
#define RVID_FN(n)	ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL,		\
					   ARM_SMCCC_SMC_64,		\
					   ARM_SMCCC_OWNER_STANDARD_HYP,\
					   0x100 + (n))

/* rVIC calls (one instance per vCPU), base 0xc5000200 */
#define RVIC_FN_VERSION		RVIC_FN(0)
#define RVIC_FN_INFO		RVIC_FN(1)
#define RVIC_FN_ENABLE		RVIC_FN(2)
#define RVIC_FN_DISABLE		RVIC_FN(3)
#define RVIC_FN_SET_MASKED	RVIC_FN(4)
#define RVIC_FN_CLEAR_MASKED	RVIC_FN(5)
#define RVIC_FN_IS_PENDING	RVIC_FN(6)
#define RVIC_FN_SIGNAL		RVIC_FN(7)
#define RVIC_FN_CLEAR_PENDING	RVIC_FN(8)
#define RVIC_FN_ACKNOWLEDGE	RVIC_FN(9)
#define RVIC_FN_RESAMPLE	RVIC_FN(10)
/* ABI 0.4 only: ACKNOWLEDGE that leaves the INTID unmasked */
#define RVIC_FN_ACKNOWLEDGE_UNMASKED	RVIC_FN(11)
#define RVIC_NR_FN		12

/* rVID calls (one distributor per VM), base 0xc5000100 */
#define RVID_FN_VERSION		RVID_FN(0)
#define RVID_FN_MAP		RVID_FN(1)
#define RVID_FN_UNMAP		RVID_FN(2)
#define RVID_NR_FN		3

/* INFO keys */
#define RVIC_INFO_NR_TRUSTED	0
#define RVIC_INFO_NR_UNTRUSTED	1

/* Status word reasons */
#define RVIC_STATUS_SUCCESS		0
#define RVIC_STATUS_ERROR_PARAMETER	1
#define RVIC_STATUS_INVALID_CPU		2
#define RVIC_STATUS_DISABLED		3
#define RVIC_STATUS_NO_INTERRUPTS	4

#define RVIC_STATUS_REASON(s)	((s) & 0xff)
#define RVIC_STATUS_ARG(s)	(((s) >> 8) & 0xff)

#define RVIC_VERSION(major, minor)	((major) << 16 | (minor))
/*
 * Both components implement version 0.3 of the ABI; a hypervisor may offer
 * 0.4 instead, which adds ACKNOWLEDGE_UNMASKED and changes nothing else.
 */
#define RVIC_ABI_VERSION	RVIC_VERSION(0, 3)
#define RVIC_ABI_VERSION_0_4	RVIC_VERSION(0, 4)

/* Trusted INTIDs 0..15 are software-generated (IPIs) by convention */
#define RVIC_NR_SGI		16
/* T + U never exceeds 2048 */
#define RVIC_MAX_INTIDS		2048

/* Value of a route's target while no rVID input is mapped to it */
#define RVIC_NO_TARGET		(~0ULL)

/*
 * Services of irq-rvic.c used by irq-rvid.c. An untrusted INTID is the
 * rVIC end of one rVID route; its irq_data is the parent level of an rVID
 * interrupt. The rVIC driver keeps, per untrusted INTID, the MPIDR of the
 * vCPU the route targets and the mask state the kernel asked for; its
 * mask, unmask and EOI act on that target.
 */
unsigned long rvic_call(u32 fn, u64 a1, u64 a2, u64 a3, u64 *value);
int rvic_untrusted_range(unsigned int *first, unsigned int *nr);
u64 rvic_cpu_target(unsigned int cpu);
u64 rvic_route_target(struct irq_data *d);
void rvic_route_set_target(struct irq_data *d, u64 target);
bool rvic_route_masked(struct irq_data *d);

#endif /* __LINUX_IRQCHIP_ARM_RVIC_H */
