// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The guest's device tree: RAM, the vCPUs (PSCI over HVC), the rVIC and
//! rVID interrupt controllers (bindings in `guests/linux/bindings/`), the
//! architected timer on trusted rVIC INTIDs, a 24 MHz APB clock for
//! PrimeCell devices, a fixed clock for every other rate an assigned
//! device's clocks have on the host, and each assigned device with its
//! interrupts moved onto rVID inputs and its clocks onto those.
//!
//! The node names, phandles and INTIDs a guest depends on are the constants
//! below: nowhere else spells them.

use crate::desc::{GuestDesc, GuestDevice};
use crate::fdt_writer::FdtWriter;
use alloc::format;
use alloc::vec::Vec;

/// The rVIC node (`arm,rvic.yaml`): the root interrupt controller.
pub const RVIC_NODE: &str = "interrupt-controller";
/// The rVID node (`arm,rvid.yaml`: `^interrupt-controller-[a-z0-9]+$`).
pub const RVID_NODE: &str = "interrupt-controller-rvid";
/// The fixed clock PrimeCell devices name as `apb_pclk` (as on QEMU virt).
pub const PCLK_NODE: &str = "apb-pclk";
pub const RVIC_PHANDLE: u32 = 1;
pub const RVID_PHANDLE: u32 = 2;
pub const PCLK_PHANDLE: u32 = 3;
/// The APB clock's rate and name.
pub const PCLK_HZ: u32 = 24_000_000;
pub const PCLK_NAME: &str = "clk24mhz";
/// The fixed clocks of other rates: `clk-<Hz>`, phandles from this one up
/// in ascending rate.
pub const RATE_PHANDLE_BASE: u32 = 4;

/// Interrupt specifier flags (second cell) of `arm,rvic` and `arm,rvid`.
pub const FLAGS_EDGE_RISING: u32 = 1;
pub const FLAGS_LEVEL_HIGH: u32 = 4;

/// Trusted rVIC INTIDs of the architected timer: the ABI core's.
pub use rvic::timer_intid::{ALL as TIMER_INTIDS, VIRT as VTIMER_INTID};

pub const ROOT_COMPATIBLE: &str = "linux,dummy-virt";
pub const MODEL: &str = "rvhyp guest";

/// Writes the guest's device tree. It writes whatever `desc` says:
/// [`GuestDesc::check`] it first. A `console` index past `devices` writes
/// no `stdout-path`.
pub fn guest_dt(desc: &GuestDesc<'_>) -> Vec<u8> {
    let mut w = FdtWriter::new();
    w.begin_node("");
    w.prop_u32("#address-cells", 2);
    w.prop_u32("#size-cells", 2);
    w.prop_str("compatible", ROOT_COMPATIBLE);
    w.prop_str("model", MODEL);
    w.prop_u32("interrupt-parent", RVIC_PHANDLE);

    chosen(&mut w, desc);
    let (ram_base, ram_size) = desc.ram;
    w.begin_node(&format!("memory@{ram_base:x}"));
    w.prop_str("device_type", "memory");
    w.prop_u64s("reg", &[ram_base, ram_size]);
    w.end_node();
    cpus(&mut w, desc.vcpus);
    controllers(&mut w);
    let rates = rates(desc);
    for (k, &hz) in rates.iter().enumerate() {
        w.begin_node(&format!("clk-{hz}"));
        w.prop_str("compatible", "fixed-clock");
        w.prop_u32("#clock-cells", 0);
        w.prop_u32("clock-frequency", hz);
        w.prop_u32("phandle", RATE_PHANDLE_BASE + k as u32);
        w.end_node();
    }
    for d in desc.devices {
        device(&mut w, d, &rates);
    }
    w.end_node();
    w.finish(0)
}

fn chosen(w: &mut FdtWriter, desc: &GuestDesc<'_>) {
    w.begin_node("chosen");
    w.prop_str("bootargs", desc.bootargs);
    if let Some(console) = desc.console.and_then(|i| desc.devices.get(i)) {
        w.prop_str("stdout-path", &format!("/{}", console.name));
    }
    if let Some((base, size)) = desc.initrd {
        w.prop_u64s("linux,initrd-start", &[base]);
        w.prop_u64s("linux,initrd-end", &[base.saturating_add(size)]);
    }
    w.end_node();
}

fn cpus(w: &mut FdtWriter, vcpus: usize) {
    w.begin_node("cpus");
    w.prop_u32("#address-cells", 1);
    w.prop_u32("#size-cells", 0);
    for i in 0..vcpus {
        w.begin_node(&format!("cpu@{i:x}"));
        w.prop_str("device_type", "cpu");
        w.prop_str("compatible", "arm,armv8");
        w.prop_u32("reg", i as u32);
        w.prop_str("enable-method", "psci");
        w.end_node();
    }
    w.end_node();
    w.begin_node("psci");
    w.prop_strs("compatible", &["arm,psci-1.0", "arm,psci-0.2"]);
    w.prop_str("method", "hvc");
    w.end_node();
}

/// rVIC, rVID, the timer and the APB clock.
fn controllers(w: &mut FdtWriter) {
    w.begin_node(RVIC_NODE);
    w.prop_str("compatible", "arm,rvic");
    w.prop_empty("interrupt-controller");
    w.prop_u32("#address-cells", 0);
    w.prop_u32("#interrupt-cells", 2);
    w.prop_u32("phandle", RVIC_PHANDLE);
    w.end_node();

    w.begin_node(RVID_NODE);
    w.prop_str("compatible", "arm,rvid");
    w.prop_empty("interrupt-controller");
    w.prop_u32("#address-cells", 0);
    w.prop_u32("#interrupt-cells", 2);
    w.prop_u32("interrupt-parent", RVIC_PHANDLE);
    w.prop_u32("phandle", RVID_PHANDLE);
    w.end_node();

    w.begin_node("timer");
    w.prop_str("compatible", "arm,armv8-timer");
    let cells: Vec<u32> = TIMER_INTIDS
        .iter()
        .flat_map(|&i| [i, FLAGS_LEVEL_HIGH])
        .collect();
    w.prop_cells("interrupts", &cells);
    w.end_node();

    w.begin_node(PCLK_NODE);
    w.prop_str("compatible", "fixed-clock");
    w.prop_u32("#clock-cells", 0);
    w.prop_u32("clock-frequency", PCLK_HZ);
    w.prop_str("clock-output-names", PCLK_NAME);
    w.prop_u32("phandle", PCLK_PHANDLE);
    w.end_node();
}

/// The clock rates the devices need besides the APB clock's, ascending,
/// each once.
fn rates(desc: &GuestDesc<'_>) -> Vec<u32> {
    let mut rates: Vec<u32> = desc
        .devices
        .iter()
        .flat_map(|d| d.clocks)
        .map(|c| c.hz)
        .filter(|&hz| hz != 0 && hz != PCLK_HZ)
        .collect();
    rates.sort_unstable();
    rates.dedup();
    rates
}

/// The phandle of the guest clock of rate `hz` (0: the APB clock).
fn clock_phandle(hz: u32, rates: &[u32]) -> u32 {
    match rates.iter().position(|&r| r == hz) {
        Some(k) => RATE_PHANDLE_BASE + k as u32,
        None => PCLK_PHANDLE,
    }
}

fn device(w: &mut FdtWriter, d: &GuestDevice<'_>, rates: &[u32]) {
    w.begin_node(d.name);
    w.prop("compatible", d.compatible);
    let reg: Vec<u64> = d.regs.iter().flat_map(|&(b, s)| [b, s]).collect();
    w.prop_u64s("reg", &reg);
    if !d.irqs.is_empty() {
        w.prop_u32("interrupt-parent", RVID_PHANDLE);
        let cells: Vec<u32> = d
            .irqs
            .iter()
            .flat_map(|&(input, edge)| {
                [
                    input,
                    if edge {
                        FLAGS_EDGE_RISING
                    } else {
                        FLAGS_LEVEL_HIGH
                    },
                ]
            })
            .collect();
        w.prop_cells("interrupts", &cells);
    }
    for &(name, value) in d.props {
        w.prop(name, value);
    }
    if !d.clocks.is_empty() {
        let cells: Vec<u32> = d
            .clocks
            .iter()
            .map(|c| clock_phandle(c.hz, rates))
            .collect();
        w.prop_cells("clocks", &cells);
        let names: Option<Vec<&str>> = d.clocks.iter().map(|c| c.name).collect();
        if let Some(names) = names {
            w.prop_strs("clock-names", &names);
        }
    } else if d.is_compatible("arm,primecell") {
        if d.is_compatible("arm,pl011") {
            w.prop_cells("clocks", &[PCLK_PHANDLE, PCLK_PHANDLE]);
            w.prop_strs("clock-names", &["uartclk", "apb_pclk"]);
        } else {
            w.prop_cells("clocks", &[PCLK_PHANDLE]);
            w.prop_strs("clock-names", &["apb_pclk"]);
        }
    }
    if d.is_compatible("virtio,mmio") {
        w.prop_empty("dma-coherent");
    }
    w.end_node();
}
