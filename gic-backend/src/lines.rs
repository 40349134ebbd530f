// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The per-interrupt register banks shared by the GICv2 distributor, the
//! GICv3 distributor and the GICv3 redistributor's SGI frame. They sit at the
//! same offsets in all three (one bit, two bits or one byte per INTID), so
//! one set of functions drives them; the caller passes the block that owns
//! the INTID (on v3, the calling CPU's SGI frame for INTIDs below 32).

use crate::mmio::Mmio;
use crate::{IntId, Trigger, DEFAULT_PRIORITY, SPI_BASE};

pub(crate) const IGROUPR: usize = 0x080;
pub(crate) const ISENABLER: usize = 0x100;
pub(crate) const ICENABLER: usize = 0x180;
pub(crate) const ISPENDR: usize = 0x200;
pub(crate) const ICACTIVER: usize = 0x380;
pub(crate) const IPRIORITYR: usize = 0x400;
pub(crate) const ICFGR: usize = 0xc00;

const PRIORITY_X4: u32 = u32::from_ne_bytes([DEFAULT_PRIORITY; 4]);

fn bit(bank: usize, intid: IntId) -> (usize, u32) {
    (bank + intid as usize / 32 * 4, 1 << (intid % 32))
}

/// Writes the INTID's bit alone to a write-1-to-set or write-1-to-clear bank.
pub(crate) fn write_bit(regs: &Mmio, bank: usize, intid: IntId) {
    let (offset, mask) = bit(bank, intid);
    regs.write32(offset, mask);
}

pub(crate) fn read_bit(regs: &Mmio, bank: usize, intid: IntId) -> bool {
    let (offset, mask) = bit(bank, intid);
    regs.read32(offset) & mask != 0
}

/// Read-modify-write of the INTID's 2-bit ICFGR field (bit 1: edge). The
/// caller serialises writers of the same register.
pub(crate) fn set_trigger(regs: &Mmio, intid: IntId, trigger: Trigger) {
    let offset = ICFGR + intid as usize / 16 * 4;
    let edge = 2 << (2 * (intid % 16));
    let old = regs.read32(offset);
    let new = match trigger {
        Trigger::Edge => old | edge,
        Trigger::Level => old & !edge,
    };
    regs.write32(offset, new);
}

/// SPIs `32..num_irqs`: into `group` (one bit per line), disabled,
/// deactivated, default priority, level-sensitive.
pub(crate) fn init_spis(regs: &Mmio, num_irqs: IntId, group: u32) {
    for intid in (SPI_BASE..num_irqs).step_by(32) {
        let offset = intid as usize / 8;
        regs.write32(IGROUPR + offset, group);
        regs.write32(ICENABLER + offset, !0);
        regs.write32(ICACTIVER + offset, !0);
    }
    for intid in (SPI_BASE..num_irqs).step_by(4) {
        regs.write32(IPRIORITYR + intid as usize, PRIORITY_X4);
    }
    for intid in (SPI_BASE..num_irqs).step_by(16) {
        regs.write32(ICFGR + intid as usize / 4, 0);
    }
}

/// The calling CPU's SGIs and PPIs: into `group`, deactivated, PPIs
/// disabled, SGIs enabled, default priority. Trigger modes are left as the
/// hardware or firmware set them.
pub(crate) fn init_banked(regs: &Mmio, group: u32) {
    regs.write32(IGROUPR, group);
    regs.write32(ICACTIVER, !0);
    regs.write32(ICENABLER, 0xffff_0000);
    regs.write32(ISENABLER, 0x0000_ffff);
    for intid in (0..SPI_BASE).step_by(4) {
        regs.write32(IPRIORITYR + intid as usize, PRIORITY_X4);
    }
}

/// Interrupt lines a distributor implements, from GICD_TYPER.ITLinesNumber.
pub(crate) fn num_irqs(typer: u32) -> IntId {
    (32 * ((typer & 0x1f) + 1)).min(1020)
}
