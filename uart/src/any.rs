// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Building a console from a plain description (the shape of the platform
//! crate's console info), without this crate knowing the device tree.

use crate::ns16550::layout_ok;
use crate::{Console, Meson, Ns16550, Pl011};
use core::fmt;
pub use vocab::ConsoleKind;

/// A console as the platform found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsoleDesc {
    pub kind: ConsoleKind,
    /// Register base, an address the hypervisor can access.
    pub base: usize,
    /// 16550 only: `reg-shift`.
    pub reg_shift: u32,
    /// 16550 only: `reg-io-width` in bytes (1 or 4).
    pub reg_io_width: u32,
}

/// A 16550 layout the driver does not support.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutError {
    pub reg_shift: u32,
    pub reg_io_width: u32,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "16550 console with reg-shift {} and reg-io-width {} is not supported \
             (reg-shift at most 4; reg-io-width 1, or 4 with reg-shift >= 2)",
            self.reg_shift, self.reg_io_width
        )
    }
}

/// Any of the console drivers.
pub enum Uart {
    Pl011(Pl011),
    Ns16550(Ns16550),
    Meson(Meson),
}

impl Uart {
    /// # Safety
    /// `desc.base` must be the described UART's registers, mapped as device
    /// memory for the value's lifetime.
    pub unsafe fn new(desc: &ConsoleDesc) -> Result<Uart, LayoutError> {
        let (shift, width) = match desc.kind {
            ConsoleKind::Bcm2835Aux => (2, 4),
            _ => (desc.reg_shift, desc.reg_io_width),
        };
        Ok(match desc.kind {
            // SAFETY: the caller's contract is the driver's.
            ConsoleKind::Pl011 => Uart::Pl011(unsafe { Pl011::new(desc.base) }),
            // SAFETY: the caller's contract is the driver's.
            ConsoleKind::Meson => Uart::Meson(unsafe { Meson::new(desc.base) }),
            ConsoleKind::Ns16550 | ConsoleKind::Bcm2835Aux => {
                if !layout_ok(shift, width) {
                    return Err(LayoutError {
                        reg_shift: shift,
                        reg_io_width: width,
                    });
                }
                // SAFETY: the caller's contract is the driver's.
                Uart::Ns16550(unsafe { Ns16550::new(desc.base, shift, width) })
            }
        })
    }

    fn inner(&self) -> &dyn Console {
        match self {
            Uart::Pl011(u) => u,
            Uart::Ns16550(u) => u,
            Uart::Meson(u) => u,
        }
    }
}

impl Console for Uart {
    fn write_byte(&self, b: u8) {
        self.inner().write_byte(b);
    }

    fn read_byte(&self) -> Option<u8> {
        self.inner().read_byte()
    }
}
