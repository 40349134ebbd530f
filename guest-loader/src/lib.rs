// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Everything a guest needs to boot that is not the hypervisor's run-time:
//! which host devices it gets and which rVID inputs their interrupts feed
//! ([`assign`]), reading the guest bundle the boot loader loaded ([`bundle`]), the
//! kernel's arm64 `Image` header ([`image`]), where the kernel, initrd and
//! device tree go in guest RAM ([`layout`]) and the device tree the guest
//! is handed ([`guest_dt`], from a [`GuestDesc`]). Pure code, no hardware,
//! tested on the host; `src/bin/mkguest.rs` is the host tool that writes
//! bundles.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod assign;
pub mod bundle;
pub mod desc;
pub mod fdt_writer;
pub mod guest_dt;
pub mod image;
pub mod layout;

pub use assign::{AssignError, Assignment, InputLine, Named, NamedRefusal};
pub use bundle::{Bundle, BundleError};
pub use desc::{DescError, GuestClock, GuestDesc, GuestDevice};
pub use guest_dt::{guest_dt, VTIMER_INTID};
pub use image::{ImageError, ImageHeader};
pub use layout::{Layout, LayoutError, DTB_MAX};

#[cfg(test)]
mod tests;
