// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The rVIC/rVID conformance guest: a bare-metal EL1 image (arm64 `Image`
//! format) that the hypervisor boots like a kernel. It reads its device
//! tree, starts every vCPU with PSCI and checks the guest ABI end to end
//! (docs/rvic-abi.md), printing one `ok N - …` / `not ok N - …: …` line per
//! check and a closing `P passed, F failed`, then powers off.
//! See docs/conformance.md.
//!
//! Layout: `arch` is the hardware layer (assembly, all `unsafe`); `start`
//! runs vCPU 0 from boot to SYSTEM_OFF; `exception` takes IRQs and faults;
//! `mailbox` lets vCPU 0 make the other vCPUs act; `checks` holds the
//! checks. The plain logic they use is the `selftest` library (lib.rs),
//! tested on the host.
//!
//! Only the aarch64 bare-metal target builds the guest; on any other target
//! this is a program that says so.
#![cfg_attr(target_os = "none", no_std, no_main)]
// See lib.rs: check results carry fixed-size messages.
#![allow(clippy::result_large_err)]

#[cfg(target_os = "none")]
mod arch;
#[cfg(target_os = "none")]
mod checks;
#[cfg(target_os = "none")]
mod console;
#[cfg(target_os = "none")]
mod exception;
#[cfg(target_os = "none")]
mod mailbox;
#[cfg(target_os = "none")]
mod start;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "selftest is an aarch64 bare-metal guest image: build it with guests/selftest/build.sh"
    );
    std::process::exit(2);
}
