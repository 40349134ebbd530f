// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Console drivers for the hypervisor's own output and input: PL011, the
//! 16550 family (incl. DesignWare and the Raspberry Pi mini UART) and the
//! Amlogic Meson UART, behind the [`Console`] trait. They poll the FIFO
//! status and move bytes; baud rate and clocks are firmware's job.
//!
//! `mmio` holds the only `unsafe` that touches a register; the drivers'
//! constructors are `unsafe fn`s because they take a device address, and
//! only pass that promise on to `mmio`.
#![no_std]

mod any;
mod meson;
mod mmio;
mod ns16550;
mod pl011;

pub use any::{ConsoleDesc, ConsoleKind, LayoutError, Uart};
pub use meson::Meson;
pub use ns16550::Ns16550;
pub use pl011::Pl011;

/// A polled serial console.
pub trait Console: Send + Sync {
    /// Sends `b`, waiting for room in the transmitter. Gives up on the byte
    /// if the transmitter stays full for about a million polls (a dead or
    /// misdescribed UART must not hang the hypervisor).
    fn write_byte(&self, b: u8);
    /// A received byte, if one is waiting.
    fn read_byte(&self) -> Option<u8>;

    /// Writes `s`, turning each `\n` into `\r\n`.
    fn write_str(&self, s: &str) {
        for b in s.bytes() {
            if b == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(b);
        }
    }
}

/// `core::fmt::Write` over a console, for `write!` and loggers.
pub struct ConsoleWriter<'a>(pub &'a dyn Console);

impl core::fmt::Write for ConsoleWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.write_str(s);
        Ok(())
    }
}

/// Polls before `write_byte` drops a byte.
const SPIN_LIMIT: u32 = 1_000_000;

/// Retries `try_send` until it succeeds or [`SPIN_LIMIT`] polls have failed.
fn spin_until(mut try_send: impl FnMut() -> bool) {
    for _ in 0..SPIN_LIMIT {
        if try_send() {
            return;
        }
        core::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests;
