// SPDX-License-Identifier: Apache-2.0 OR MIT
//! GICv3 redistributors: finding a CPU's frames in the redistributor regions
//! by affinity, waking it, and waiting for its register writes to complete.

use crate::mmio::Mmio;

const GICR_CTLR: usize = 0x0000;
const GICR_TYPER: usize = 0x0008;
const GICR_WAKER: usize = 0x0014;
const GICR_CTLR_RWP: u32 = 1 << 3;
const GICR_TYPER_VLPIS: u64 = 1 << 1;
const GICR_TYPER_LAST: u64 = 1 << 4;
const GICR_WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
const GICR_WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;

const FRAME: usize = 0x1_0000;

/// One CPU's redistributor: RD_base and the SGI frame after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Redist {
    pub rd: Mmio,
    pub sgi: Mmio,
}

/// An MPIDR's affinity as GICR_TYPER[63:32] holds it: Aff3.Aff2.Aff1.Aff0.
pub(crate) fn typer_affinity(mpidr: u64) -> u32 {
    ((mpidr >> 32 & 0xff) << 24 | mpidr & 0xff_ffff) as u32
}

impl Redist {
    /// Scans each region frame by frame for GICR_TYPER affinity `affinity`,
    /// stopping a region at the frame marked Last. `stride` 0 means the
    /// architectural 2 x 64 KiB, or 4 x 64 KiB for frames with VLPIS (GICv4).
    pub(crate) fn find(regions: &[Mmio], stride: usize, affinity: u32) -> Option<Redist> {
        for region in regions {
            let mut offset = 0;
            while offset + 2 * FRAME <= region.size() {
                let typer = region.read64(offset + GICR_TYPER);
                if (typer >> 32) as u32 == affinity {
                    return Some(Redist {
                        rd: region.sub(offset, FRAME),
                        sgi: region.sub(offset + FRAME, FRAME),
                    });
                }
                if typer & GICR_TYPER_LAST != 0 {
                    break;
                }
                offset += match stride {
                    0 if typer & GICR_TYPER_VLPIS != 0 => 4 * FRAME,
                    0 => 2 * FRAME,
                    stride => stride,
                };
            }
        }
        None
    }

    /// Marks the CPU awake (ProcessorSleep = 0) and waits for the
    /// redistributor's interfaces to follow (ChildrenAsleep = 0).
    pub(crate) fn wake(&self) {
        let waker = self.rd.read32(GICR_WAKER);
        let awake = waker & !(GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP);
        self.rd.write32(GICR_WAKER, awake);
        self.rd.wait_clear(
            GICR_WAKER,
            GICR_WAKER_CHILDREN_ASLEEP,
            "GICR_WAKER.ChildrenAsleep",
        );
    }

    /// Waits until writes to the SGI frame's ICENABLER0 have taken effect.
    pub(crate) fn wait_rwp(&self) {
        self.rd
            .wait_clear(GICR_CTLR, GICR_CTLR_RWP, "GICR_CTLR.RWP");
    }
}
