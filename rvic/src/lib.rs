// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The rVIC: one vCPU's paravirtual interrupt controller (`docs/rvic-abi.md`).
//!
//! This crate owns the guest-visible numbers of the ABI ([`Call`], [`Error`],
//! [`IntidSpace`]) and the per-vCPU interrupt state ([`Rvic`]). It is plain
//! data: no locks, no hardware, no allocation after [`Rvic::new`]. The `rvid`
//! crate puts N of these behind locks and decodes hypercalls into them.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod abi;
mod instance;
mod space;
#[cfg(test)]
mod tests;

pub use abi::{timer_intid, Abi, Call, Error, AFFINITY_MASK, NOT_SUPPORTED, SUCCESS};
pub use instance::{NotLevel, Rvic};
pub use space::{IntidSpace, SpaceError, MAX_INTIDS};
