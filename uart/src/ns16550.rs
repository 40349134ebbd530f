// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The 16550 family: `ns16550a`, `snps,dw-apb-uart` (reg-shift 2, 32-bit
//! registers) and the Raspberry Pi mini UART `brcm,bcm2835-aux-uart`, whose
//! AUX_MU_IO (+0x00) and AUX_MU_LSR (+0x14) sit where a 16550's THR/RBR and
//! LSR do at a 4-byte stride. Register `n` is at `base + (n << reg_shift)`,
//! accessed 8 or 32 bits wide.

use crate::mmio::Mmio;
use crate::{spin_until, Console};

const THR_RBR: usize = 0;
const LSR: usize = 5;
const LSR_DR: u32 = 1 << 0;
const LSR_THRE: u32 = 1 << 5;

pub struct Ns16550 {
    regs: Mmio,
    reg_shift: u32,
    wide: bool,
}

impl Ns16550 {
    /// `reg_io_width` is 1 or 4 bytes; 4 needs `reg_shift >= 2`. Panics
    /// otherwise (see [`crate::Uart::new`] for a checked constructor).
    ///
    /// # Safety
    /// `base` must be the UART's registers, mapped as device memory for the
    /// value's lifetime.
    pub unsafe fn new(base: usize, reg_shift: u32, reg_io_width: u32) -> Self {
        assert!(
            layout_ok(reg_shift, reg_io_width),
            "16550: bad reg-shift/reg-io-width"
        );
        // SAFETY: the caller's contract.
        let regs = unsafe { Mmio::new(base) };
        Ns16550 {
            regs,
            reg_shift,
            wide: reg_io_width == 4,
        }
    }

    fn read(&self, reg: usize) -> u32 {
        let offset = reg << self.reg_shift;
        if self.wide {
            self.regs.read32(offset)
        } else {
            self.regs.read8(offset).into()
        }
    }

    fn write(&self, reg: usize, value: u8) {
        let offset = reg << self.reg_shift;
        if self.wide {
            self.regs.write32(offset, value.into());
        } else {
            self.regs.write8(offset, value);
        }
    }

    /// Writes `b` if the transmit holding register is empty.
    pub fn try_write_byte(&self, b: u8) -> bool {
        let room = self.read(LSR) & LSR_THRE != 0;
        if room {
            self.write(THR_RBR, b);
        }
        room
    }
}

/// Register layouts the driver supports.
pub(crate) fn layout_ok(reg_shift: u32, reg_io_width: u32) -> bool {
    reg_shift <= 4 && (reg_io_width == 1 || (reg_io_width == 4 && reg_shift >= 2))
}

impl Console for Ns16550 {
    fn write_byte(&self, b: u8) {
        spin_until(|| self.try_write_byte(b));
    }

    fn read_byte(&self) -> Option<u8> {
        (self.read(LSR) & LSR_DR != 0).then(|| self.read(THR_RBR) as u8)
    }
}
