// SPDX-License-Identifier: Apache-2.0 OR MIT
//! (being written: the rVIC/rVID core)
#![no_std]
