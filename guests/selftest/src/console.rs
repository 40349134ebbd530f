// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The console: the stdout-path PL011, written by polling, one line at a
//! time under a lock so that vCPUs do not interleave. Owns the UART's base.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::arch;

const DR: u64 = 0x00;
const FR: u64 = 0x18;
const FR_TXFF: u32 = 1 << 5;

static BASE: AtomicU64 = AtomicU64::new(0);
static LOCK: spin::Mutex<()> = spin::Mutex::new(());

/// Write to the PL011 at `base` from now on.
pub fn init(base: u64) {
    BASE.store(base, Relaxed);
}

struct Uart(u64);

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0 == 0 {
            return Ok(());
        }
        for b in s.bytes() {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
        }
        Ok(())
    }
}

impl Uart {
    fn put(&self, b: u8) {
        while arch::read32(self.0 + FR) & FR_TXFF != 0 {}
        arch::write32(self.0 + DR, b.into());
    }
}

/// Run `f` with the console, holding the lock.
pub fn with<R>(f: impl FnOnce(&mut dyn Write) -> R) -> R {
    let _g = LOCK.lock();
    f(&mut Uart(BASE.load(Relaxed)))
}

/// Run `f` with the console even if the lock cannot be had (the MMU may be
/// off, or its holder may be the code that just faulted): tries for a while,
/// then writes regardless.
pub fn force<R>(f: impl FnOnce(&mut dyn Write) -> R) -> R {
    let guard = (0..100_000).find_map(|_| LOCK.try_lock());
    let r = f(&mut Uart(BASE.load(Relaxed)));
    drop(guard);
    r
}

/// `println!` on the console.
#[macro_export]
macro_rules! println {
    ($($t:tt)*) => {
        $crate::console::with(|w| {
            let _ = writeln!(w, $($t)*);
        })
    };
}
