// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The parts of the EL2 binary that are plain logic, so that `cargo test`
//! reaches them on the host: the hypervisor's options ([`options`]), the
//! decoding of a guest's SMCCC function ID into the call it names
//! ([`function`]), a vCPU's PSCI power state machine ([`power`]), trapped
//! system registers ([`sysreg`], [`pmu`]), waits ([`wait`]), the hold on
//! a level line ([`held`]), what a guest gets for an SError it caused
//! ([`serror`]), what each CPU needs on guest exit against Spectre-v2 and
//! -BHB ([`spectre`]), the bookkeeping of stopping every CPU without
//! firmware ([`halt`]) and the register sequence that powers a BCM2711
//! board off or resets it by its watchdog ([`pm_watchdog`]). No
//! hardware, no `unsafe`; the binary (`main.rs` and the layers under it)
//! uses them as they are.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod function;
pub mod halt;
pub mod held;
pub mod options;
pub mod pm_watchdog;
pub mod pmu;
pub mod power;
pub mod serror;
pub mod spectre;
pub mod sysreg;
pub mod wait;
