// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The architected generic timer node and its per-CPU interrupts.

use crate::error::Error;
use crate::irq::{gic_interrupts, GicRef, Irq, Routing};
use crate::walk::Context;
use crate::Fdt;

/// The generic timer's PPIs, in the binding's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerInfo {
    /// Secure EL1 physical timer (CNTPS).
    pub secure_phys: Irq,
    /// Non-secure EL1 physical timer (CNTP).
    pub phys: Irq,
    /// Virtual timer (CNTV): the one a guest uses.
    pub virt: Irq,
    /// EL2 physical timer (CNTHP): the hypervisor's own.
    pub hyp_phys: Irq,
    /// EL2 virtual timer (CNTHV, ARMv8.1), if listed.
    pub hyp_virt: Option<Irq>,
}

/// Reads `ctx` if it is an available timer node.
pub fn parse<'a>(
    fdt: &Fdt<'a>,
    ctx: &Context<'a, '_>,
    gic: &GicRef,
) -> Result<Option<TimerInfo>, Error<'a>> {
    let n = ctx.node;
    let compatible = n.is_compatible("arm,armv8-timer") || n.is_compatible("arm,armv7-timer");
    if !compatible || !n.is_available() {
        return Ok(None);
    }
    let node = n.name();
    let irqs =
        match gic_interrupts(fdt, ctx, gic)? {
            Routing::Gic(irqs) if irqs.len() >= 4 => irqs,
            Routing::Gic(_) => return Err(Error::BadProperty {
                node,
                prop: "interrupts",
                why: "has fewer than 4 entries (secure, non-secure, virtual and hypervisor timers)",
            }),
            Routing::Absent => {
                return Err(Error::MissingProperty {
                    node,
                    prop: "interrupts",
                })
            }
            Routing::Elsewhere => return Err(Error::NotOnGic { node }),
        };
    let irq = |i| irqs.get(i).unwrap_or_default();
    Ok(Some(TimerInfo {
        secure_phys: irq(0),
        phys: irq(1),
        virt: irq(2),
        hyp_phys: irq(3),
        hyp_virt: irqs.get(4),
    }))
}
