// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The parts of the EL2 binary that are plain logic, so that `cargo test`
//! reaches them on the host: the hypervisor's options ([`options`]), the
//! decoding of a guest's SMCCC function ID into the call it names
//! ([`function`]), a vCPU's PSCI power state machine ([`power`]), trapped
//! system registers ([`sysreg`], [`pmu`]), waits ([`wait`]) and the
//! hold on a level line ([`held`]). No
//! hardware, no `unsafe`; the binary (`main.rs` and the layers under it)
//! uses them as they are.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod function;
pub mod held;
pub mod options;
pub mod pmu;
pub mod power;
pub mod sysreg;
pub mod wait;
