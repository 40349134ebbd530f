// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The conformance guest's plain logic, kept apart from the EL1 image so that
//! `cargo test` checks it on the host: the ABI's numbers and how a call's
//! result is compared and printed, the device-tree reading, the EL1 page
//! tables, the report lines, the interrupt bookkeeping and the random-call
//! generator. Nothing here touches hardware.
#![no_std]
// A failed check carries its message in a fixed buffer (the guest has no
// heap), so `Result<(), Msg>` is deliberately large.
#![allow(clippy::result_large_err)]

#[cfg(test)]
extern crate std;

pub mod abi;
pub mod dt;
pub mod fuzz;
pub mod pagetable;
pub mod report;
pub mod tally;

/// Most vCPUs the guest drives; further `cpu` nodes are left off.
pub const MAX_CPUS: usize = 8;
/// Most INTIDs (`T + U`) the guest keeps counts for.
pub const MAX_INTIDS: usize = 256;
