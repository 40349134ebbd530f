// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Running vCPU i on physical CPU i: first entry, every exit from the guest,
//! the virtual IRQ line on the way back in, and the power states PSCI
//! moves it through.

use core::sync::atomic::Ordering::*;

use gic_backend::{ListReg, LrState, MaintenanceEnables, Trigger};

use crate::arch::exception::{Syndrome, TrapFrame};
use crate::arch::{self, guest as hw};
use crate::guest::{self, power, Delivery, Exit, Guest};
use crate::{board, hvc, irq};

/// The virtual INTID the list register uses to raise the line (the guest
/// never acknowledges it at the GIC; it only sees the IRQ exception).
const LR_VINTID: u32 = 32;

/// Start the guest's vCPU on this CPU. Never returns: from here on the CPU
/// runs the guest and handles its exits.
pub fn run(g: &'static Guest, cpu: usize) -> ! {
    let b = board::get();
    hw::init_cpu(g.vttbr, cpu as u64, g.options.trap_wfi);
    if g.options.delivery == Delivery::Lr {
        b.gic
            .set_virtual_interface(true, MaintenanceEnables::default());
    }
    let vtimer = b.platform.timer.virt.intid;
    b.gic.set_trigger(vtimer, Trigger::Level);
    b.gic.enable(vtimer);
    b.gic.enable(irq::sgi::KICK);

    let mut frame = TrapFrame::default();
    let (entry, context) = wait_for_power_on(g, cpu);
    hw::reset_vcpu(&mut frame, entry, context);
    before_entry(g, cpu);
    hw::enter(&mut frame)
}

/// Wait, off, until another vCPU's CPU_ON (or the boot) turns this one on.
/// Interrupts stay masked; pending ones wake WFI and are handled here.
fn wait_for_power_on(g: &Guest, cpu: usize) -> (u64, u64) {
    let v = &g.vcpus[cpu];
    loop {
        if v.power
            .compare_exchange(power::ON_PENDING, power::ON, AcqRel, Acquire)
            .is_ok()
        {
            return (v.entry.load(Acquire), v.context.load(Acquire));
        }
        arch::wfi();
        irq::handle();
    }
}

/// Every synchronous exception from the guest.
pub fn sync_exit(frame: &mut TrapFrame) {
    let g = guest::get().expect("guest exit without a guest");
    let cpu = arch::cpu_index();
    let s = Syndrome::read();
    let exit = match s.ec() {
        0x16 => {
            hvc::handle(g, cpu, frame);
            Exit::Hvc
        }
        0x17 => {
            frame.elr += 4; // a trapped SMC returns past itself
            hvc::handle(g, cpu, frame);
            Exit::Smc
        }
        0x01 => {
            frame.elr += 4;
            idle(g, cpu);
            Exit::Wfi
        }
        ec @ (0x20 | 0x24) => {
            abort(g, cpu, frame, &s, ec == 0x24);
            if ec == 0x24 {
                Exit::DataAbort
            } else {
                Exit::InstrAbort
            }
        }
        0x18 => {
            hw::inject_undef(frame);
            Exit::SysReg
        }
        _ => {
            hw::inject_undef(frame);
            Exit::Other
        }
    };
    count(g, cpu, exit);
}

/// The guest waits for an interrupt (a trapped WFI, PSCI CPU_SUSPEND):
/// unless one is already deliverable, wait for any physical interrupt,
/// which stays masked here and is taken once the guest is re-entered.
pub fn idle(g: &Guest, cpu: usize) {
    if !g.vm.notification(cpu) {
        arch::wfi();
    }
}

/// The guest touched an address stage 2 does not map: it gets a
/// synchronous external abort, and the first one is logged.
fn abort(g: &Guest, cpu: usize, frame: &mut TrapFrame, s: &Syndrome, data: bool) {
    let hpfar: u64;
    // SAFETY: HPFAR_EL2 is read-only state of this exception.
    unsafe { core::arch::asm!("mrs {}, hpfar_el2", out(reg) hpfar) };
    let ipa = (hpfar >> 4) << 12 | (s.far & 0xfff);
    if !g.abort_logged.swap(true, Relaxed) {
        log::warn!(
            "vcpu{cpu}: {} abort at IPA {ipa:#x} (VA {:#x}, PC {:#x}): outside the guest's map, external abort injected (logged once)",
            if data { "data" } else { "instruction" },
            s.far,
            frame.elr
        );
    }
    g.vcpus[cpu].stats.aborts.fetch_add(1, Relaxed);
    hw::inject_external_abort(frame, data, s.far);
}

/// An IRQ taken while the guest ran.
pub fn irq_exit() {
    if let Some(g) = guest::get() {
        count(g, arch::cpu_index(), Exit::Irq);
    }
    irq::handle();
}

fn count(g: &Guest, cpu: usize, exit: Exit) {
    g.vcpus[cpu].stats.exits[exit as usize].fetch_add(1, Relaxed);
}

/// On every way back into the guest: the virtual IRQ line must equal the
/// notification predicate (enabled, and some INTID pending and unmasked).
pub fn before_entry(g: &Guest, cpu: usize) {
    set_line(g, cpu, g.vm.notification(cpu));
}

/// Raise or lower this CPU's virtual IRQ line, by the configured means.
fn set_line(g: &Guest, cpu: usize, want: bool) {
    let v = &g.vcpus[cpu];
    if v.line.swap(want, Relaxed) == want {
        return;
    }
    if want {
        v.stats.injected.fetch_add(1, Relaxed);
    }
    match g.options.delivery {
        Delivery::Vi => hw::set_vi(want),
        Delivery::Lr => {
            let lr = if want {
                ListReg {
                    vintid: LR_VINTID,
                    state: LrState::Pending,
                    ..ListReg::EMPTY
                }
            } else {
                ListReg::EMPTY
            };
            board::get().gic.write_lr(0, lr);
        }
    }
}

/// Tell the CPUs of `kick` (other than this one) to re-evaluate their line.
pub fn kick(g: &Guest, set: rvid::VcpuSet) {
    let me = arch::cpu_index();
    let b = board::get();
    for v in set.iter().filter(|&v| v != me) {
        b.gic.send_sgi(irq::sgi::KICK, b.cpu(v));
        g.vcpus[me].stats.kicks.fetch_add(1, Relaxed);
    }
}

/// PSCI CPU_OFF on this vCPU: wait here until a CPU_ON, then restart the
/// frame at its entry point.
pub fn power_off_self(g: &Guest, cpu: usize, frame: &mut TrapFrame) {
    g.vcpus[cpu].power.store(power::OFF, Release);
    set_line(g, cpu, false);
    // The timer this vCPU may have held (active, awaiting a RESAMPLE that
    // will never come) is released, and its level line dropped, so the
    // vCPU starts clean when it comes back.
    hw::stop_vtimer();
    let b = board::get();
    b.gic.clear_active(b.platform.timer.virt.intid);
    let _ = g.vm.set_trusted_level(cpu, guest::VTIMER_INTID, false);
    let (entry, context) = wait_for_power_on(g, cpu);
    hw::reset_vcpu(frame, entry, context);
}
