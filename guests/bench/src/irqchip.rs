// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The interrupt controller as the measurements see it: one trait,
//! [`IrqChip`], with the operations a figure times, so that the same
//! figures can run against rVIC (hypercalls, under rvhyp) and, later,
//! against the architectural GIC (under KVM). Which one a run uses comes
//! from the device tree ([`Backend::find`]). Only the rVIC backend exists
//! today; the GIC's line of each operation is written beside it so the
//! trait stays something a GIC can implement.

use core::marker::PhantomData;

use selftest::abi::{
    RVIC_ACKNOWLEDGE, RVIC_CLEAR_MASKED, RVIC_ENABLE, RVIC_RESAMPLE, RVIC_SIGNAL, SUCCESS,
};
use selftest::MAX_CPUS;

/// The interrupt controller of the vCPU calling each method.
pub trait IrqChip: Sync {
    /// For the banner.
    fn name(&self) -> &'static str;
    /// Make the calling vCPU's interface deliver interrupts. rVIC: ENABLE;
    /// GIC: the CPU interface's enables (ICC_IGRPEN1_EL1 / GICC_CTLR) and
    /// the priority mask.
    fn cpu_init(&self) -> Result<(), &'static str>;
    /// Let `intid` reach the calling vCPU. rVIC: CLEAR_MASKED; GIC: its
    /// enable bit (GICR_ISENABLER0 / GICD_ISENABLER).
    fn unmask(&self, intid: u32);
    /// Send software interrupt `intid` to vCPU `cpu`. rVIC: SIGNAL; GIC:
    /// ICC_SGI1R_EL1 / GICD_SGIR.
    fn send_ipi(&self, cpu: usize, intid: u32);
    /// Take the interrupt being signalled: `None` if nothing is (spurious).
    /// rVIC: ACKNOWLEDGE; GIC: ICC_IAR1_EL1 / GICC_IAR.
    fn acknowledge(&self) -> Option<u32>;
    /// Complete `intid` (end of interrupt). rVIC: CLEAR_MASKED; GIC:
    /// ICC_EOIR1_EL1 / GICC_EOIR.
    fn complete(&self, intid: u32);
    /// The level source behind `intid`, acknowledged, has been quietened.
    /// rVIC: RESAMPLE (the hypervisor holds the line until then); GIC:
    /// nothing (the distributor samples the line itself).
    fn level_quiet(&self, intid: u32);
    /// An INTID whose completion changes nothing, for the `eoi` figure.
    /// rVIC: an SGI the guest never signals; GIC: 1023 (spurious).
    fn idle_intid(&self) -> u32;
    /// The EL1 virtual timer's INTID. rVIC: from the device tree; GIC:
    /// PPI 27.
    fn vtimer(&self) -> u32;
}

/// Which interrupt controller the device tree describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An `arm,rvic` node: rVIC/rVID by hypercalls.
    Rvic,
    /// An `arm,gic-v3` node (no backend yet).
    GicV3,
    /// A GICv2 node (`arm,cortex-a15-gic`, `arm,gic-400`; no backend yet).
    GicV2,
}

impl Backend {
    /// rVIC if the tree has an `arm,rvic` node, else the GIC it has.
    pub fn find(fdt: &fdt::Fdt) -> Option<Backend> {
        if fdt.find_compatible(&["arm,rvic"]).is_some() {
            Some(Backend::Rvic)
        } else if fdt.find_compatible(&["arm,gic-v3"]).is_some() {
            Some(Backend::GicV3)
        } else if fdt
            .find_compatible(&["arm,cortex-a15-gic", "arm,gic-400"])
            .is_some()
        {
            Some(Backend::GicV2)
        } else {
            None
        }
    }
}

/// How the rVIC backend reaches the hypervisor: `HVC #0` in the guest, a
/// recording fake in the tests.
pub trait Conduit {
    /// A fast call: x0 = `fid`, x1..x3 = `args`; returns x0..x3.
    fn call(fid: u32, args: [u64; 3]) -> [u64; 4];
    /// The calling vCPU's MPIDR affinity fields, as rVIC names targets.
    fn me() -> u64;
}

/// rVIC: every operation one hypercall (docs/rvic-abi.md).
pub struct Rvic<H> {
    mpidrs: [u64; MAX_CPUS],
    vtimer: u32,
    _conduit: PhantomData<H>,
}

/// The SGI the rVIC backend never signals, whose CLEAR_MASKED the `eoi`
/// figure times.
pub const RVIC_IDLE_INTID: u32 = 14;

impl<H: Conduit> Rvic<H> {
    /// vCPU `i` has MPIDR `mpidrs[i]`; the virtual timer is `vtimer`.
    pub fn new(mpidrs: &[u64], vtimer: u32) -> Rvic<H> {
        let mut m = [0; MAX_CPUS];
        m[..mpidrs.len().min(MAX_CPUS)].copy_from_slice(&mpidrs[..mpidrs.len().min(MAX_CPUS)]);
        Rvic {
            mpidrs: m,
            vtimer,
            _conduit: PhantomData,
        }
    }
}

impl<H: Conduit + Sync> IrqChip for Rvic<H> {
    fn name(&self) -> &'static str {
        "rVIC"
    }

    fn cpu_init(&self) -> Result<(), &'static str> {
        match H::call(RVIC_ENABLE, [0; 3])[0] {
            SUCCESS => Ok(()),
            _ => Err("rVIC ENABLE failed"),
        }
    }

    fn unmask(&self, intid: u32) {
        H::call(RVIC_CLEAR_MASKED, [H::me(), intid.into(), 0]);
    }

    fn send_ipi(&self, cpu: usize, intid: u32) {
        H::call(RVIC_SIGNAL, [self.mpidrs[cpu], intid.into(), 0]);
    }

    fn acknowledge(&self) -> Option<u32> {
        let r = H::call(RVIC_ACKNOWLEDGE, [0; 3]);
        (r[0] == SUCCESS).then_some(r[1] as u32)
    }

    fn complete(&self, intid: u32) {
        H::call(RVIC_CLEAR_MASKED, [H::me(), intid.into(), 0]);
    }

    fn level_quiet(&self, intid: u32) {
        H::call(RVIC_RESAMPLE, [intid.into(), 0, 0]);
    }

    fn idle_intid(&self) -> u32 {
        RVIC_IDLE_INTID
    }

    fn vtimer(&self) -> u32 {
        self.vtimer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use selftest::abi::NO_INTERRUPTS;
    use std::cell::RefCell;
    use std::vec::Vec;

    std::thread_local! {
        static CALLS: RefCell<Vec<(u32, [u64; 3])>> = const { RefCell::new(Vec::new()) };
    }

    /// Records each call; ACKNOWLEDGE answers INTID 7 once, then nothing.
    struct Fake;
    impl Conduit for Fake {
        fn call(fid: u32, args: [u64; 3]) -> [u64; 4] {
            CALLS.with(|c| c.borrow_mut().push((fid, args)));
            let acks = CALLS.with(|c| {
                c.borrow()
                    .iter()
                    .filter(|c| c.0 == RVIC_ACKNOWLEDGE)
                    .count()
            });
            match (fid, acks) {
                (RVIC_ACKNOWLEDGE, 1) => [SUCCESS, 7, 0, 0],
                (RVIC_ACKNOWLEDGE, _) => [NO_INTERRUPTS, 0, 0, 0],
                _ => [SUCCESS, 0, 0, 0],
            }
        }
        fn me() -> u64 {
            0
        }
    }

    #[test]
    fn each_operation_is_the_one_rvic_call() {
        let chip = Rvic::<Fake>::new(&[0x0, 0x1, 0x100], 27);
        chip.cpu_init().unwrap();
        chip.send_ipi(2, 1);
        assert_eq!(chip.acknowledge(), Some(7));
        assert_eq!(chip.acknowledge(), None);
        chip.complete(7);
        chip.level_quiet(27);
        chip.unmask(3);
        let calls = CALLS.with(|c| c.borrow().clone());
        assert_eq!(
            calls,
            [
                (RVIC_ENABLE, [0, 0, 0]),
                (RVIC_SIGNAL, [0x100, 1, 0]),
                (RVIC_ACKNOWLEDGE, [0, 0, 0]),
                (RVIC_ACKNOWLEDGE, [0, 0, 0]),
                (RVIC_CLEAR_MASKED, [0, 7, 0]),
                (RVIC_RESAMPLE, [27, 0, 0]),
                (RVIC_CLEAR_MASKED, [0, 3, 0]),
            ]
        );
        assert_eq!(chip.vtimer(), 27);
        assert_eq!(chip.idle_intid(), RVIC_IDLE_INTID);
    }
}
