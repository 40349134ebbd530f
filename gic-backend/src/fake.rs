// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Test doubles: register blocks in ordinary memory, and system registers
//! that remember their values and log every access.

extern crate std;

use crate::mmio::Mmio;
use crate::sysreg::{SysReg, SysRegs};
use std::sync::Mutex;
use std::vec;
use std::vec::Vec;

/// Zeroed, 8-byte aligned memory standing in for a register block.
pub(crate) struct FakeBlock {
    mem: Vec<u64>,
}

impl FakeBlock {
    pub(crate) fn new(size: usize) -> Self {
        FakeBlock {
            mem: vec![0; size / 8],
        }
    }

    /// Address to hand a driver constructor.
    pub(crate) fn addr(&mut self) -> usize {
        self.mem.as_mut_ptr() as usize
    }

    /// A view for the test to set and check registers.
    pub(crate) fn regs(&mut self) -> Mmio {
        let size = self.mem.len() * 8;
        // SAFETY: the block is owned by `self`, outlives the test's use of the
        // view, and is only accessed through raw-pointer `Mmio`s.
        unsafe { Mmio::new(self.addr(), size) }
    }
}

/// One system register access, in program order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Read(SysReg),
    Write(SysReg, u64),
    WriteLr(usize, u64),
    Isb,
    DsbSy,
    DsbIshst,
}

#[derive(Default)]
struct State {
    values: Vec<(SysReg, u64)>,
    lrs: [u64; 16],
    log: Vec<Op>,
}

/// System registers that read back the last value set or written (0 if
/// none) and log every access.
#[derive(Default)]
pub(crate) struct FakeSysRegs {
    state: Mutex<State>,
}

impl FakeSysRegs {
    /// Presets a register without logging (the hardware's value).
    pub(crate) fn set(&self, reg: SysReg, value: u64) {
        let mut s = self.state.lock().unwrap();
        s.values.retain(|(r, _)| *r != reg);
        s.values.push((reg, value));
    }

    pub(crate) fn get(&self, reg: SysReg) -> u64 {
        let s = self.state.lock().unwrap();
        s.values
            .iter()
            .find(|(r, _)| *r == reg)
            .map_or(0, |(_, v)| *v)
    }

    pub(crate) fn lr(&self, n: usize) -> u64 {
        self.state.lock().unwrap().lrs[n]
    }

    /// The accesses so far, clearing the log.
    pub(crate) fn take_log(&self) -> Vec<Op> {
        core::mem::take(&mut self.state.lock().unwrap().log)
    }

    /// The writes and barriers so far (reads left out), clearing the log.
    pub(crate) fn take_writes(&self) -> Vec<Op> {
        let log = self.take_log();
        log.into_iter()
            .filter(|op| !matches!(op, Op::Read(_)))
            .collect()
    }

    fn log(&self, op: Op) {
        self.state.lock().unwrap().log.push(op);
    }
}

impl SysRegs for FakeSysRegs {
    fn read(&self, reg: SysReg) -> u64 {
        self.log(Op::Read(reg));
        self.get(reg)
    }

    fn write(&self, reg: SysReg, value: u64) {
        self.log(Op::Write(reg, value));
        self.set(reg, value);
    }

    fn write_lr(&self, n: usize, value: u64) {
        self.log(Op::WriteLr(n, value));
        self.state.lock().unwrap().lrs[n] = value;
    }

    fn isb(&self) {
        self.log(Op::Isb);
    }

    fn dsb_sy(&self) {
        self.log(Op::DsbSy);
    }

    fn dsb_ishst(&self) {
        self.log(Op::DsbIshst);
    }
}
