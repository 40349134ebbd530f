// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The rVID and the VM-level interrupt controller (`docs/rvic-abi.md`).
//!
//! [`Rvid`] owns the input table: each input's trigger, line and route to a
//! (vCPU, untrusted INTID). [`Vm`] owns one [`rvic::Rvic`] per vCPU and one
//! [`Rvid`] behind locks, the MPIDR → vCPU table and the counters. It is the
//! hypervisor's single entry point: [`Vm::call`] for every rVIC and rVID
//! call (with the hardware behind a [`Physical`]), [`Vm::set_input_line`]
//! and [`Vm::set_trusted_level`] for the sources the hypervisor owns. Memory is allocated in [`Vm::new`] only.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate self as rvid;
#[cfg(test)]
extern crate std;

mod counters;
mod distributor;
#[cfg(test)]
mod tests;
mod vcpu_set;
mod vm;

pub use counters::Counters;
pub use distributor::{LineEffect, Route, Rvid, Trigger};
pub use rvic;
pub use vcpu_set::VcpuSet;
pub use vm::{ConfigError, HvcResult, NoHardware, Physical, Resampled, Source, Vm, VmConfig};
