// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Running vCPU i on physical CPU i, the top of the hypervisor: enter the
//! guest, decode the exit ([`trap`]), let the VM handle it ([`vm`]), and do
//! what the outcome says: enter again, take pending interrupts ([`irq`]),
//! wait for one, wait for a CPU_ON, or stop the system. Every wait happens
//! here, so no layer below ever calls back up.

use gic_backend::MaintenanceEnables;
use hyp::options::{Delivery, PowerOff};

use crate::arch::{self, exception, virt};
use crate::board::{self, Completion};
use crate::vm::{self, vcpu::KICK_SGI, Outcome, Vm};
use crate::{irq, smp, trap};

/// Register the VM's physical lines in the interrupt table: each input's
/// SPI, the virtual timer's PPI and the kick SGI. On the boot CPU, once,
/// before any vCPU runs.
pub fn register(vm: &Vm) {
    for (n, line) in vm.lines.inputs().iter().enumerate() {
        if irq::register(line.intid, on_input, n as u32).is_err() {
            log::warn!(
                "interrupt {} of the guest's devices is beyond the table or already taken: not delivered",
                line.intid
            );
        }
    }
    let _ = irq::register(vm.lines.vtimer(), on_vtimer, 0);
    let _ = irq::register(KICK_SGI, irq::nothing, 0);
}

fn on_input(n: u32) -> Completion {
    let vm = vm::get().expect("guest lines registered without a VM");
    vm.lines.input_fired(vm, n as usize)
}

fn on_vtimer(_: u32) -> Completion {
    let vm = vm::get().expect("guest lines registered without a VM");
    match vm.vcpu_on(arch::cpu_index()) {
        Some(vcpu) => vm.lines.vtimer_fired(vm, vcpu),
        None => Completion::Deactivate, // enabled only on a vCPU's CPU
    }
}

/// Wait for an interrupt, or (WFIT) until the virtual count reaches
/// `deadline`: the EL2 timer, armed at it, is such an interrupt (its
/// handler, registered by the boot check, stops it) and is stopped here
/// either way.
fn idle(deadline: Option<u64>) {
    match deadline {
        None => arch::wfi(),
        Some(d) => {
            arch::timer::arm_at_virtual(d);
            if arch::timer::virtual_now() < d {
                arch::wfi();
            }
            arch::timer::stop();
        }
    }
}

/// Run vCPU `cpu` on this CPU (the one `Vm::vcpu_on` names). Never
/// returns: from here on the CPU runs the guest and handles its exits.
pub fn vcpu(vm: &'static Vm, cpu: usize) -> ! {
    let b = board::get();
    virt::init_cpu(vm.vttbr, cpu as u64, vm.options.trap_wfi);
    if vm.options.delivery == Delivery::Lr {
        b.gic
            .set_virtual_interface(true, MaintenanceEnables::default());
    }
    b.gic.set_trigger(vm.lines.vtimer(), vocab::Trigger::Level);
    b.gic.enable(vm.lines.vtimer());
    b.gic.enable(KICK_SGI);

    let mut ctx = exception::Context::default();
    loop {
        // Off until a CPU_ON (or the boot, for vCPU 0) turns it on.
        while !vm.power_on(cpu, &mut ctx) {
            arch::wfi();
            irq::poll();
        }
        loop {
            vm.before_entry(cpu);
            let exit = trap::decode(exception::run(&mut ctx));
            match vm.handle(cpu, &mut ctx, exit) {
                Outcome::Resume => {}
                Outcome::Interrupts => irq::poll(),
                Outcome::Idle(deadline) => {
                    if !vm.deliverable(cpu) {
                        idle(deadline);
                    }
                    irq::poll();
                }
                Outcome::Off => break,
                Outcome::System(stop) => {
                    smp::power_off(stop, vm.options.power_off == PowerOff::Firmware)
                }
            }
        }
    }
}
