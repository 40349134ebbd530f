// SPDX-License-Identifier: Apache-2.0 OR MIT
//! How a board without PSCI firmware powers off and resets: the
//! BCM2835/BCM2711 power-management block (`brcm,bcm2835-pm`,
//! `brcm,bcm2711-pm`, or the older `brcm,bcm2835-pm-wdt` binding), whose
//! watchdog resets the chip, and whose reset status register tells the
//! Raspberry Pi's boot firmware to halt instead of booting again. Only
//! where the registers are is read here; the writes are the hypervisor's.
//!
//! Both bindings put the PM block first in `reg` (the newer one names it
//! `pm`, followed by the `asb` bridges). The hypervisor keeps the block
//! for itself: a guest is never given it (see [`crate::Platform::kept`]).

use crate::error::Error;
use crate::range::Range;
use crate::walk::Context;

/// The compatibles of the power-management watchdog.
const COMPATIBLES: [&str; 3] = ["brcm,bcm2711-pm", "brcm,bcm2835-pm", "brcm,bcm2835-pm-wdt"];

/// One past the last register the hypervisor writes (PM_WDOG at 0x24).
pub const PM_WATCHDOG_SPAN: u64 = 0x28;

/// The power-management watchdog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PmWatchdog<'a> {
    /// The node name, e.g. `watchdog@7e100000`.
    pub node: &'a str,
    /// The `compatible` string that identified it.
    pub compatible: &'a str,
    /// The PM block: the first `reg`, translated to a CPU physical address.
    pub regs: Range,
    /// The node's structure offset (a [`crate::Device`]'s `offset`, if the
    /// node is one).
    pub offset: usize,
}

/// Reads `ctx` if it is an available power-management watchdog.
pub fn parse<'a>(ctx: &Context<'a, '_>) -> Result<Option<PmWatchdog<'a>>, Error<'a>> {
    let n = ctx.node;
    let Some(compatible) = COMPATIBLES.into_iter().find(|c| n.is_compatible(c)) else {
        return Ok(None);
    };
    if !n.is_available() {
        return Ok(None);
    }
    let regs = ctx.first_reg()?.ok_or(Error::MissingProperty {
        node: n.name(),
        prop: "reg",
    })?;
    if regs.size < PM_WATCHDOG_SPAN {
        return Err(Error::BadProperty {
            node: n.name(),
            prop: "reg",
            why: "is too small for the PM block's reset registers (up to PM_WDOG at 0x24)",
        });
    }
    Ok(Some(PmWatchdog {
        node: n.name(),
        compatible,
        regs,
        offset: n.offset(),
    }))
}
