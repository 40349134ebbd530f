// SPDX-License-Identifier: Apache-2.0 OR MIT
//! In-crate tests: the input table on its own, and the exhaustive
//! exploration, which needs to copy a `Vm` (see `Vm::fork`).

#[path = "../tests/support/model.rs"]
mod model;

mod distributor;
mod explore;
