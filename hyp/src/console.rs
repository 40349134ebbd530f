// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The hypervisor's console: one UART from `/chosen/stdout-path`, and the
//! `log` backend that prefixes every line with the CPU that wrote it.

use core::fmt::{self, Write};

use spin::{Mutex, Once};

use crate::arch;

static UART: Once<&'static (dyn uart::Console + 'static)> = Once::new();
/// Serialises whole lines from different CPUs.
static LOCK: Mutex<()> = Mutex::new(());

/// The uart crate's description of a console the device tree names.
fn desc(c: &platform::ConsoleInfo) -> uart::ConsoleDesc {
    uart::ConsoleDesc {
        kind: c.kind,
        base: c.base as usize,
        reg_shift: c.reg_shift,
        reg_io_width: c.reg_io_width,
    }
}

/// Make the device tree's console ours. Needs the MMU on and the heap.
pub fn init(c: &platform::ConsoleInfo) {
    // SAFETY: the registers come from the device tree and the EL2 map
    // covers them as device memory.
    if let Ok(u) = unsafe { uart::Uart::new(&desc(c)) } {
        let u: &'static uart::Uart = alloc::boxed::Box::leak(alloc::boxed::Box::new(u));
        UART.call_once(|| u);
    }
}

/// Print one line on `c` with no lock, no heap and no global state: for
/// errors found before the MMU is on.
pub fn early_print(c: &platform::ConsoleInfo, args: fmt::Arguments) {
    // SAFETY: as in `init`; with the MMU off every access is device memory.
    if let Ok(u) = unsafe { uart::Uart::new(&desc(c)) } {
        let _ = writeln!(uart::ConsoleWriter(&u), "[cpu0] {args}");
    }
}

struct Writer;

impl Write for Writer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(u) = UART.get() {
            u.write_str(s);
        }
        Ok(())
    }
}

/// Print one line, whole, prefixed with this CPU's number.
pub fn print_line(args: fmt::Arguments) {
    let _guard = LOCK.lock();
    let _ = writeln!(Writer, "[cpu{}] {}", arch::cpu_index(), args);
}

/// Print without taking the lock: for the fatal-exception path, where this
/// CPU may already hold it. Lines may interleave with other CPUs' output.
pub fn print_emergency(args: fmt::Arguments) {
    let _ = writeln!(Writer, "[cpu{}] {}", arch::cpu_index(), args);
}

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        match record.level() {
            log::Level::Info => print_line(format_args!("{}", record.args())),
            l => print_line(format_args!("{}: {}", l, record.args())),
        }
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

/// Route the `log` macros to the console.
pub fn init_log() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Info);
}
