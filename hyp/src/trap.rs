// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Where every exception taken to EL2 goes, and the fatal report for the
//! ones that should never happen.

use crate::arch::exception::{Syndrome, TrapFrame, Vector};
use crate::{arch, console, guest, irq, vcpu};

/// Dispatch one exception. Called from the vectors with the saved context.
pub fn handle(frame: &mut TrapFrame, vector: Vector) {
    match vector {
        Vector::CurrentIrq => irq::handle(),
        Vector::LowerIrq => vcpu::irq_exit(),
        Vector::LowerSync => vcpu::sync_exit(frame),
        Vector::LowerAsync(_) => {
            // Nothing routes FIQs or SErrors to a guest on purpose: note it
            // once and let the guest go on.
            static LOGGED: core::sync::atomic::AtomicBool =
                core::sync::atomic::AtomicBool::new(false);
            if !LOGGED.swap(true, core::sync::atomic::Ordering::Relaxed) {
                log::warn!(
                    "{} (ESR {:#x}), ignored (logged once)",
                    vector.name(),
                    Syndrome::read().esr
                );
            }
        }
        _ => fatal(frame, vector),
    }
    if matches!(
        vector,
        Vector::LowerIrq | Vector::LowerSync | Vector::LowerAsync(_)
    ) {
        if let Some(g) = guest::get() {
            vcpu::before_entry(g, arch::cpu_index());
        }
    }
}

/// Name of an exception class (ESR_EL2.EC), for the report.
fn ec_name(ec: u64) -> &'static str {
    match ec {
        0x00 => "unknown reason",
        0x01 => "WFI/WFE",
        0x07 => "FP/SIMD access",
        0x0e => "illegal execution state",
        0x15 => "SVC",
        0x16 => "HVC",
        0x17 => "SMC",
        0x18 => "system register access",
        0x20 | 0x21 => "instruction abort",
        0x22 => "PC alignment fault",
        0x24 | 0x25 => "data abort",
        0x26 => "SP alignment fault",
        0x2f => "SError",
        0x3c => "BRK",
        _ => "other",
    }
}

/// Report an exception the hypervisor cannot handle and stop this CPU.
/// Other CPUs carry on.
pub fn fatal(frame: &TrapFrame, vector: Vector) -> ! {
    let s = Syndrome::read();
    let cpu = arch::cpu_index();
    console::print_emergency(format_args!(
        "FATAL: {} on cpu{cpu}: EC {:#04x} ({}) ESR {:#010x} FAR {:#018x}",
        vector.name(),
        s.ec(),
        ec_name(s.ec()),
        s.esr,
        s.far
    ));
    console::print_emergency(format_args!(
        "  ELR {:#018x} SPSR {:#010x}",
        frame.elr, frame.spsr
    ));
    for row in 0..8 {
        let r = row * 4;
        let reg = |i: usize| frame.x.get(i).copied();
        match (reg(r), reg(r + 1), reg(r + 2), reg(r + 3)) {
            (Some(a), Some(b), Some(c), Some(d)) => console::print_emergency(format_args!(
                "  x{:<2} {a:#018x} x{:<2} {b:#018x} x{:<2} {c:#018x} x{:<2} {d:#018x}",
                r,
                r + 1,
                r + 2,
                r + 3
            )),
            (Some(a), Some(b), Some(c), None) => console::print_emergency(format_args!(
                "  x{:<2} {a:#018x} x{:<2} {b:#018x} x{:<2} {c:#018x}",
                r,
                r + 1,
                r + 2
            )),
            _ => {}
        }
    }
    console::print_emergency(format_args!("cpu{cpu} stopped"));
    arch::park()
}
