// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Why discovery has its own device-tree parser rather than the `fdt`
//! crate (docs/architecture.md): the blob is input the hypervisor must not
//! trust, and at EL2 a panic stops every guest. Each 32-bit word of a real
//! tree is overwritten in turn with a few hostile values; our discovery
//! must return (`Ok` or a one-line `Err`) every time, while `fdt` 0.1.5,
//! walked the way discovery walks, panics on some of them. If this test
//! ever fails on its second assertion, the crate has become a candidate.

mod common;

use common::dts;
use std::panic::{catch_unwind, AssertUnwindSafe};

fn mutations(blob: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    (8..blob.len() - 4).step_by(4).flat_map(move |i| {
        [0xffff_fff0u32, 0x7fff_ffff, 0x0000_0003, 0x0000_0001]
            .into_iter()
            .map(move |v| {
                let mut b = blob.to_vec();
                b[i..i + 4].copy_from_slice(&v.to_be_bytes());
                b
            })
    })
}

fn walk_with_the_crate(b: &[u8]) {
    if let Ok(f) = fdt::Fdt::new(b) {
        for n in f.all_nodes() {
            for p in n.properties() {
                let _ = p.as_str();
            }
            let _ = n.reg().map(|r| r.count());
            let _ = n.interrupts().map(|r| r.count());
            let _ = n.compatible().map(|c| c.all().count());
        }
        let _ = f.chosen().bootargs();
        let _ = f.memory().regions().count();
        let _ = f.cpus().count();
    }
}

#[test]
fn our_parser_survives_every_mutation_and_the_crate_does_not() {
    let blob = dts("irq-parent");
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let (mut ours, mut theirs, mut total) = (0, 0, 0);
    for b in mutations(&blob) {
        total += 1;
        if catch_unwind(AssertUnwindSafe(|| {
            platform::discover_at(&b, None).map(|_| ())
        }))
        .is_err()
        {
            ours += 1;
        }
        if catch_unwind(AssertUnwindSafe(|| walk_with_the_crate(&b))).is_err() {
            theirs += 1;
        }
    }
    std::panic::set_hook(hook);
    assert_eq!(
        ours, 0,
        "discovery panicked on {ours} of {total} mutated blobs"
    );
    assert!(theirs > 0, "fdt 0.1.5 survived all {total} mutated blobs");
    eprintln!("{total} mutated blobs: discovery panicked on 0, fdt 0.1.5 on {theirs}");
}
