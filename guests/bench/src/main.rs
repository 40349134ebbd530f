// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The benchmark guest: a bare-metal EL1 image (arm64 `Image` format) that
//! the hypervisor boots like a kernel. It reads its device tree, picks the
//! interrupt-controller backend from it, starts every vCPU with PSCI, times
//! each figure (docs/performance.md) and prints one `bench NAME n=… mean_ns=…
//! min_ns=… median_ns=…` line per figure (with `bench.insns`, for a
//! single-vCPU figure also `bench NAME insns mean_ns=… guest_insns=…
//! el2_insns=…`), then powers off.
//!
//! Layout: `arch` and `console` are the conformance guest's own
//! (guests/selftest, as path modules: boot.S, the vectors, hypercalls, the
//! timer and counter registers, the PL011); `cpu` adds the few instructions
//! only the benchmark needs; `worker` is what the other vCPUs run and the
//! IRQ handler; `figures` holds the measurements, written against the
//! `IrqChip` trait of the `bench` library.
#![cfg_attr(target_os = "none", no_std, no_main)]

// The conformance guest's hardware layer, shared as it is: the benchmark
// uses only part of it.
#[cfg(target_os = "none")]
#[allow(dead_code)]
#[macro_use]
#[path = "../../selftest/src/arch/mod.rs"]
mod arch;
#[cfg(target_os = "none")]
#[allow(dead_code)]
#[path = "../../selftest/src/console.rs"]
mod console;
#[cfg(target_os = "none")]
mod cpu;
#[cfg(target_os = "none")]
mod figures;
#[cfg(target_os = "none")]
mod start;
#[cfg(target_os = "none")]
mod worker;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("bench is an aarch64 bare-metal guest image: build it with guests/bench/build.sh");
    std::process::exit(2);
}
