// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Amlogic Meson UART (`amlogic,meson-gx-uart`): FIFOs and status only.

use crate::mmio::Mmio;
use crate::{spin_until, Console};

const WFIFO: usize = 0x0;
const RFIFO: usize = 0x4;
const STATUS: usize = 0xc;
const STATUS_RX_EMPTY: u32 = 1 << 20;
const STATUS_TX_FULL: u32 = 1 << 21;

pub struct Meson {
    regs: Mmio,
}

impl Meson {
    /// # Safety
    /// `base` must be a Meson UART's registers, mapped as device memory for
    /// the value's lifetime.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller's contract.
        let regs = unsafe { Mmio::new(base) };
        Meson { regs }
    }

    /// Writes `b` if the transmit FIFO has room.
    pub fn try_write_byte(&self, b: u8) -> bool {
        let room = self.regs.read32(STATUS) & STATUS_TX_FULL == 0;
        if room {
            self.regs.write32(WFIFO, b.into());
        }
        room
    }
}

impl Console for Meson {
    fn write_byte(&self, b: u8) {
        spin_until(|| self.try_write_byte(b));
    }

    fn read_byte(&self) -> Option<u8> {
        (self.regs.read32(STATUS) & STATUS_RX_EMPTY == 0).then(|| self.regs.read32(RFIFO) as u8)
    }
}
