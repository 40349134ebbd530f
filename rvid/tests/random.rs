// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Random sequences of hypercalls from three vCPUs and source changes,
//! checked against the reference model after every step, on ABI 0.3 and
//! 0.4.

#[path = "support/model.rs"]
mod model;

use model::{check, step, Model, Op, CONFIG, FIDS};
use proptest::prelude::*;
use rvid::rvic::Abi;
use rvid::{Vm, VmConfig};

/// Register values that mean something as an MPIDR, an INTID (trusted,
/// level, untrusted, last, past the end) or an input number.
const VALUES: [u64; 15] = [0, 1, 2, 3, 26, 27, 30, 63, 64, 65, 66, 100, 127, 128, 0x100];

fn value() -> impl Strategy<Value = u64> {
    prop_oneof![12 => prop::sample::select(&VALUES[..]), 1 => any::<u64>()]
}

fn op() -> impl Strategy<Value = Op> {
    let fid = prop_oneof![15 => prop::sample::select(&FIDS[..]), 1 => any::<u64>()];
    prop_oneof![
        12 => (0..3usize, fid, [value(), value(), value()])
            .prop_map(|(caller, fid, x)| Op::Hvc { caller, fid, x }),
        2 => (0..4usize, any::<bool>()).prop_map(|(input, asserted)| Op::Line { input, asserted }),
        1 => (0..3usize, prop::sample::select(&[26u32, 27, 30][..]), any::<bool>())
            .prop_map(|(vcpu, intid, asserted)| Op::Trusted { vcpu, intid, asserted }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_the_model(ops in prop::collection::vec(op(), 1..300), v0_3: bool) {
        let abi = if v0_3 { Abi::V0_3 } else { Abi::V0_4 };
        let cfg = VmConfig { abi, ..CONFIG };
        let vm = Vm::new(cfg).unwrap();
        let mut model = Model::new(&cfg);
        for op in ops {
            step(&vm, &mut model, op);
            check(&vm, &model);
        }
    }
}
