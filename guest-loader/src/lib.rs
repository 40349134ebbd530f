// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Everything a guest needs to boot that is not the hypervisor's run-time:
//! the device tree it is handed. Pure code, tested on the host.
#![no_std]

extern crate alloc;

pub mod fdt_writer;

#[cfg(test)]
mod tests;
