// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Arm PL011 (`arm,pl011`): data register and flag register only.

use crate::mmio::Mmio;
use crate::{spin_until, Console};

const DR: usize = 0x00;
const FR: usize = 0x18;
const FR_RXFE: u32 = 1 << 4;
const FR_TXFF: u32 = 1 << 5;

pub struct Pl011 {
    regs: Mmio,
}

impl Pl011 {
    /// # Safety
    /// `base` must be a PL011's registers, mapped as device memory for the
    /// value's lifetime.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller's contract.
        let regs = unsafe { Mmio::new(base) };
        Pl011 { regs }
    }

    /// Writes `b` if the transmit FIFO has room.
    pub fn try_write_byte(&self, b: u8) -> bool {
        let room = self.regs.read32(FR) & FR_TXFF == 0;
        if room {
            self.regs.write32(DR, b.into());
        }
        room
    }
}

impl Console for Pl011 {
    fn write_byte(&self, b: u8) {
        spin_until(|| self.try_write_byte(b));
    }

    fn read_byte(&self) -> Option<u8> {
        (self.regs.read32(FR) & FR_RXFE == 0).then(|| self.regs.read32(DR) as u8)
    }
}
