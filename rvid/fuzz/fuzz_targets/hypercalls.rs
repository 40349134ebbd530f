// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Fuzzes the controller with raw `(function id, x1, x2, x3)` hypercalls
//! from three vCPUs, mixed with input-line and trusted-line changes. After
//! every operation the implementation must match the reference model
//! (registers, kick set, RESAMPLE report, counters) and its whole state must
//! equal the model's, which includes the notification predicate. Any panic,
//! in the controller or in a check, is a crash.
#![no_main]

#[path = "../../tests/support/model.rs"]
mod model;

use libfuzzer_sys::fuzz_target;
use model::{check, step, Model, Op, CONFIG, FIDS};
use rvid::Vm;

/// The fuzzer's bytes, read front to back.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn word(&mut self) -> Option<u64> {
        let (word, rest) = self.0.split_first_chunk::<8>()?;
        self.0 = rest;
        Some(u64::from_le_bytes(*word))
    }

    /// A byte with its top bit set is followed by a raw 64-bit value;
    /// otherwise the byte picks a small value (`small` maps it).
    fn value(&mut self, small: impl Fn(u8) -> u64) -> Option<u64> {
        match self.byte()? {
            b if b & 0x80 != 0 => self.word(),
            b => Some(small(b)),
        }
    }

    fn op(&mut self) -> Option<Op> {
        let kind = self.byte()?;
        Some(match kind % 8 {
            0..=5 => {
                let caller = usize::from(kind / 8) % CONFIG.mpidrs.len();
                let fid = self.value(|b| FIDS[usize::from(b) % FIDS.len()])?;
                // 0..=126 stand for themselves (INTIDs, inputs, keys, MPIDRs
                // 0 and 1); 127 is the third vCPU's MPIDR.
                let reg = |b: u8| if b == 127 { 0x100 } else { u64::from(b) };
                let x = [self.value(reg)?, self.value(reg)?, self.value(reg)?];
                Op::Hvc { caller, fid, x }
            }
            6 => Op::Line {
                input: usize::from(kind / 16) % CONFIG.inputs.len(),
                asserted: kind & 8 != 0,
            },
            _ => Op::Trusted {
                vcpu: usize::from(kind / 32) % CONFIG.mpidrs.len(),
                intid: [26, 27, 30][usize::from(kind / 8) % 3],
                asserted: self.byte()? & 1 != 0,
            },
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let vm = Vm::new(CONFIG).unwrap();
    let mut model = Model::new(&CONFIG);
    let mut bytes = Bytes(data);
    while let Some(op) = bytes.op() {
        step(&vm, &mut model, op);
        check(&vm, &model);
    }
});
