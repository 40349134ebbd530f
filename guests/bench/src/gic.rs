// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The architectural GIC as an [`IrqChip`]: GICv3 through its CPU
//! interface's system registers and the GICD/GICR frames ([`GicV3`]),
//! GICv2 through the GICD/GICC frames ([`GicV2`]). What a guest of KVM's
//! vGIC, or of bare QEMU, does and no more: one group-1 (GICv3) or group-0
//! (GICv2, no security extensions) priority level, EOImode 0 (the EOI
//! write also deactivates), SGIs and PPIs only. Registers are reached
//! through [`GicHw`], the guest's instructions in the image and a register
//! file in the tests.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use selftest::MAX_CPUS;

use crate::irqchip::{GicV3Regions, Irq, IrqChip, Region};

/// The CPU interface's system registers the GICv3 backend uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icc {
    /// ICC_SRE_EL1: bit 0 SRE, the system-register interface.
    Sre,
    /// ICC_PMR_EL1: the priority mask.
    Pmr,
    /// ICC_IGRPEN1_EL1: group 1 on.
    Igrpen1,
    /// ICC_SGI1R_EL1: send a group-1 SGI.
    Sgi1r,
    /// ICC_IAR1_EL1: acknowledge.
    Iar1,
    /// ICC_EOIR1_EL1: end of interrupt.
    Eoir1,
}

/// How the backends reach the GIC (associated functions, as the rVIC
/// backend's `Conduit`, so that the backend holds no pointer).
pub trait GicHw {
    fn read32(addr: u64) -> u32;
    fn write32(addr: u64, v: u32);
    /// Read an ICC register (after it: DSB SY for IAR1, as Linux does).
    fn icc_read(reg: Icc) -> u64;
    /// Write an ICC register (followed by an ISB).
    fn icc_write(reg: Icc, v: u64);
    /// DSB ISHST: what this vCPU stored is visible before the SGI it is
    /// about to send.
    fn before_sgi();
    /// The calling vCPU's index (0 = the boot vCPU) and MPIDR.
    fn cpu_index() -> usize;
    fn mpidr() -> u64;
}

/// The priority every INTID the benchmark uses is given (PMR lets all in).
const PRIORITY: u32 = 0x80;
/// INTIDs 1020..1023 are special: nothing to acknowledge.
const FIRST_SPECIAL: u32 = 1020;
const SPURIOUS: u32 = 1023;

/// Set byte `intid` of the priority registers at `base` to [`PRIORITY`].
fn set_priority<H: GicHw>(base: u64, intid: u32) {
    let reg = base + u64::from(intid & !3);
    let shift = 8 * (intid & 3);
    H::write32(
        reg,
        (H::read32(reg) & !(0xff << shift)) | (PRIORITY << shift),
    );
}

/// Make SPI `intid` level-sensitive (its GICD_ICFGR field's bit 1
/// clear), given the priority and enabled, at the distributor `gicd`;
/// `target` first sets where it goes.
fn route_spi<H: GicHw>(gicd: u64, intid: u32, target: impl FnOnce()) {
    let cfg = gicd + GICD_ICFGR + u64::from(intid / 16) * 4;
    H::write32(cfg, H::read32(cfg) & !(2 << (2 * (intid % 16))));
    set_priority::<H>(gicd + GICD_IPRIORITYR, intid);
    target();
    H::write32(
        gicd + GICD_ISENABLER0 + u64::from(intid / 32) * 4,
        1 << (intid % 32),
    );
}

/// Wait (a bounded number of reads) until `bit` of the register at `addr`
/// is `want`.
fn poll<H: GicHw>(addr: u64, bit: u32, want: bool, what: &'static str) -> Result<(), &'static str> {
    for _ in 0..1_000_000 {
        if (H::read32(addr) & bit != 0) == want {
            return Ok(());
        }
    }
    Err(what)
}

// GICv3 distributor and redistributor registers.
const GICD_CTLR: u64 = 0x0;
const GICD_CTLR_RWP: u32 = 1 << 31;
/// ARE (affinity routing) and EnableGrp1, in the single-security-state
/// view QEMU virt and KVM give a guest (the Non-secure view has ARE_NS
/// and EnableGrp1A at the same bits).
const GICD_CTLR_ARE_GRP1: u32 = (1 << 4) | (1 << 1);
const GICD_IGROUPR: u64 = 0x80;
const GICD_IROUTER: u64 = 0x6000;
const GICR_TYPER: u64 = 0x8;
const GICR_TYPER_VLPIS: u64 = 1 << 1;
const GICR_TYPER_LAST: u64 = 1 << 4;
const GICR_WAKER: u64 = 0x14;
const GICR_WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
const GICR_WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;
/// The SGI/PPI frame follows the RD frame.
const GICR_SGI: u64 = 0x1_0000;
const GICR_IGROUPR0: u64 = GICR_SGI + 0x80;
const GICR_ISENABLER0: u64 = GICR_SGI + 0x100;
const GICR_IPRIORITYR: u64 = GICR_SGI + 0x400;

/// MPIDR's affinity as GICR_TYPER[63:32] gives it: Aff3.Aff2.Aff1.Aff0.
pub fn packed_affinity(mpidr: u64) -> u32 {
    ((mpidr >> 32 & 0xff) << 24 | mpidr & 0xff_ffff) as u32
}

/// ICC_SGI1R_EL1 for SGI `intid` to the CPU `mpidr` alone: the target
/// list bit Aff0 mod 16, range selector Aff0 / 16, Aff1..Aff3.
pub fn sgi1r(mpidr: u64, intid: u32) -> u64 {
    let aff0 = mpidr & 0xff;
    let (aff1, aff2, aff3) = (mpidr >> 8 & 0xff, mpidr >> 16 & 0xff, mpidr >> 32 & 0xff);
    1 << (aff0 & 0xf)
        | aff1 << 16
        | u64::from(intid & 0xf) << 24
        | aff2 << 32
        | (aff0 >> 4) << 44
        | aff3 << 48
}

/// The ICC_SGI1R_EL1 writes that send `intid` to every MPIDR of
/// `targets`: consecutive targets that differ only in their target-list
/// bit share one write, as Linux's `gic_ipi_send_mask` groups a cluster.
pub fn sgi1r_writes(targets: impl Iterator<Item = u64>, intid: u32, mut write: impl FnMut(u64)) {
    let mut pending: Option<u64> = None;
    for m in targets {
        let v = sgi1r(m, intid);
        pending = match pending {
            Some(p) if p & !0xffff == v & !0xffff => Some(p | v),
            Some(p) => {
                write(p);
                Some(v)
            }
            None => Some(v),
        };
    }
    if let Some(p) = pending {
        write(p);
    }
}

/// GICv3: ICC_* system registers, the distributor and one redistributor
/// per vCPU, found by its GICR_TYPER affinity.
pub struct GicV3<H> {
    regions: GicV3Regions,
    mpidrs: [u64; MAX_CPUS],
    /// Each vCPU's RD frame, written by its own `cpu_init`.
    rd: [AtomicU64; MAX_CPUS],
    vtimer: u32,
    _hw: PhantomData<H>,
}

impl<H: GicHw> GicV3<H> {
    /// vCPU `i` has MPIDR `mpidrs[i]`; the virtual timer is PPI `vtimer`.
    pub fn new(regions: GicV3Regions, mpidrs: &[u64], vtimer: u32) -> GicV3<H> {
        let mut m = [0; MAX_CPUS];
        let n = mpidrs.len().min(MAX_CPUS);
        m[..n].copy_from_slice(&mpidrs[..n]);
        GicV3 {
            regions,
            mpidrs: m,
            rd: [const { AtomicU64::new(0) }; MAX_CPUS],
            vtimer,
            _hw: PhantomData,
        }
    }

    /// The RD frame whose GICR_TYPER affinity is `mpidr`'s: each region
    /// walked frame by frame (two 64 KiB frames, four with VLPIs) until
    /// the frame marked Last.
    fn find_rd(&self, mpidr: u64) -> Option<u64> {
        let want = packed_affinity(mpidr);
        for r in self.regions.redists() {
            let mut frame = r.base;
            while frame < r.base + r.size {
                let typer = u64::from(H::read32(frame + GICR_TYPER))
                    | u64::from(H::read32(frame + GICR_TYPER + 4)) << 32;
                if (typer >> 32) as u32 == want {
                    return Some(frame);
                }
                if typer & GICR_TYPER_LAST != 0 {
                    break;
                }
                frame += if typer & GICR_TYPER_VLPIS != 0 {
                    0x4_0000
                } else {
                    0x2_0000
                };
            }
        }
        None
    }

    fn my_rd(&self) -> u64 {
        self.rd[H::cpu_index() % MAX_CPUS].load(Relaxed)
    }
}

impl<H: GicHw + Sync> IrqChip for GicV3<H> {
    fn name(&self) -> &'static str {
        "GICv3"
    }

    fn global_init(&self) -> Result<(), &'static str> {
        let ctlr = self.regions.gicd.base + GICD_CTLR;
        H::write32(ctlr, GICD_CTLR_ARE_GRP1);
        poll::<H>(ctlr, GICD_CTLR_RWP, false, "GICD_CTLR.RWP stayed set")
    }

    fn cpu_init(&self) -> Result<(), &'static str> {
        let rd = self
            .find_rd(H::mpidr())
            .ok_or("no GICv3 redistributor has this vCPU's affinity")?;
        self.rd[H::cpu_index() % MAX_CPUS].store(rd, Relaxed);
        let waker = rd + GICR_WAKER;
        H::write32(waker, H::read32(waker) & !GICR_WAKER_PROCESSOR_SLEEP);
        poll::<H>(
            waker,
            GICR_WAKER_CHILDREN_ASLEEP,
            false,
            "the redistributor did not wake",
        )?;
        H::write32(rd + GICR_IGROUPR0, !0);
        H::icc_write(Icc::Sre, H::icc_read(Icc::Sre) | 1);
        H::icc_write(Icc::Pmr, 0xff);
        H::icc_write(Icc::Igrpen1, 1);
        Ok(())
    }

    fn unmask(&self, intid: u32) {
        let rd = self.my_rd();
        set_priority::<H>(rd + GICR_IPRIORITYR, intid);
        H::write32(rd + GICR_ISENABLER0, 1 << (intid % 32));
    }

    fn route_level(&self, intid: u32) -> Result<u32, &'static str> {
        if !(32..FIRST_SPECIAL).contains(&intid) {
            return Err("the device's interrupt is not an SPI");
        }
        let d = self.regions.gicd.base;
        let group = d + GICD_IGROUPR + u64::from(intid / 32) * 4;
        H::write32(group, H::read32(group) | 1 << (intid % 32));
        route_spi::<H>(d, intid, || {
            // Aff3.Aff2.Aff1.Aff0 of this vCPU, Interrupt_Routing_Mode 0.
            let router = d + GICD_IROUTER + 8 * u64::from(intid);
            let mpidr = H::mpidr();
            H::write32(router, (mpidr & 0xff_ffff) as u32);
            H::write32(router + 4, (mpidr >> 32 & 0xff) as u32);
        });
        Ok(intid)
    }

    fn send_ipi(&self, cpu: usize, intid: u32) {
        H::before_sgi();
        H::icc_write(Icc::Sgi1r, sgi1r(self.mpidrs[cpu], intid));
    }

    fn send_ipi_set(&self, cpus: &[usize], intid: u32) {
        H::before_sgi();
        sgi1r_writes(cpus.iter().map(|&c| self.mpidrs[c]), intid, |v| {
            H::icc_write(Icc::Sgi1r, v)
        });
    }

    fn acknowledge(&self) -> Option<Irq> {
        let intid = (H::icc_read(Icc::Iar1) & 0xff_ffff) as u32;
        (intid < FIRST_SPECIAL).then_some(Irq::plain(intid))
    }

    fn complete(&self, irq: Irq) {
        H::icc_write(Icc::Eoir1, irq.token.into());
    }

    fn level_quiet(&self, _intid: u32) {}

    fn idle_irq(&self) -> Irq {
        Irq::plain(SPURIOUS)
    }

    fn vtimer(&self) -> u32 {
        self.vtimer
    }
}

// GICv2 distributor and CPU interface registers (the first four, at the
// same offsets, are the GICv3 distributor's too).
const GICD_ISENABLER0: u64 = 0x100;
const GICD_IPRIORITYR: u64 = 0x400;
const GICD_ITARGETSR0: u64 = 0x800;
const GICD_ICFGR: u64 = 0xc00;
const GICD_SGIR: u64 = 0xf00;
const GICC_CTLR: u64 = 0x0;
const GICC_PMR: u64 = 0x4;
const GICC_IAR: u64 = 0xc;
const GICC_EOIR: u64 = 0x10;

/// GICv2: the distributor and the memory-mapped CPU interface. SGIs name
/// their targets by CPU interface number, which each vCPU reads from its
/// banked GICD_ITARGETSR0 (it need not be MPIDR.Aff0).
pub struct GicV2<H> {
    gicd: u64,
    gicc: u64,
    /// Each vCPU's CPU-interface bit, written by its own `cpu_init`.
    targets: [AtomicU32; MAX_CPUS],
    vtimer: u32,
    _hw: PhantomData<H>,
}

impl<H: GicHw> GicV2<H> {
    pub fn new(gicd: Region, gicc: Region, vtimer: u32) -> GicV2<H> {
        GicV2 {
            gicd: gicd.base,
            gicc: gicc.base,
            targets: [const { AtomicU32::new(0) }; MAX_CPUS],
            vtimer,
            _hw: PhantomData,
        }
    }
}

impl<H: GicHw + Sync> IrqChip for GicV2<H> {
    fn name(&self) -> &'static str {
        "GICv2"
    }

    fn global_init(&self) -> Result<(), &'static str> {
        H::write32(self.gicd + GICD_CTLR, 1);
        Ok(())
    }

    fn cpu_init(&self) -> Result<(), &'static str> {
        let me = H::read32(self.gicd + GICD_ITARGETSR0) & 0xff;
        if me == 0 {
            return Err("GICD_ITARGETSR0 names no CPU interface for this vCPU");
        }
        self.targets[H::cpu_index() % MAX_CPUS].store(me, Relaxed);
        H::write32(self.gicc + GICC_PMR, 0xff);
        H::write32(self.gicc + GICC_CTLR, 1);
        Ok(())
    }

    fn unmask(&self, intid: u32) {
        set_priority::<H>(self.gicd + GICD_IPRIORITYR, intid);
        H::write32(self.gicd + GICD_ISENABLER0, 1 << (intid % 32));
    }

    fn route_level(&self, intid: u32) -> Result<u32, &'static str> {
        if !(32..FIRST_SPECIAL).contains(&intid) {
            return Err("the device's interrupt is not an SPI");
        }
        route_spi::<H>(self.gicd, intid, || {
            // This vCPU's CPU-interface bit in the SPI's target byte.
            let reg = self.gicd + GICD_ITARGETSR0 + u64::from(intid & !3);
            let shift = 8 * (intid & 3);
            let me = self.targets[H::cpu_index() % MAX_CPUS].load(Relaxed);
            H::write32(reg, (H::read32(reg) & !(0xff << shift)) | me << shift);
        });
        Ok(intid)
    }

    fn send_ipi(&self, cpu: usize, intid: u32) {
        self.send_ipi_set(&[cpu], intid);
    }

    fn send_ipi_set(&self, cpus: &[usize], intid: u32) {
        let list = cpus
            .iter()
            .fold(0, |l, &c| l | self.targets[c % MAX_CPUS].load(Relaxed));
        H::before_sgi();
        H::write32(self.gicd + GICD_SGIR, list << 16 | (intid & 0xf));
    }

    fn acknowledge(&self) -> Option<Irq> {
        let iar = H::read32(self.gicc + GICC_IAR);
        let intid = iar & 0x3ff;
        (intid < FIRST_SPECIAL).then_some(Irq { intid, token: iar })
    }

    fn complete(&self, irq: Irq) {
        H::write32(self.gicc + GICC_EOIR, irq.token);
    }

    fn level_quiet(&self, _intid: u32) {}

    fn idle_irq(&self) -> Irq {
        Irq::plain(SPURIOUS)
    }

    fn vtimer(&self) -> u32 {
        self.vtimer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::vec::Vec;

    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Op {
        Write(u64, u32),
        Icc(Icc, u64),
        Barrier,
    }

    #[derive(Default)]
    struct State {
        regs: BTreeMap<u64, u32>,
        iar: Vec<u64>,
        ops: Vec<Op>,
        cpu: usize,
        mpidr: u64,
    }

    std::thread_local! {
        static HW: RefCell<State> = RefCell::new(State::default());
    }

    fn with<T>(f: impl FnOnce(&mut State) -> T) -> T {
        HW.with(|s| f(&mut s.borrow_mut()))
    }

    /// A register file: reads return what was written (or set up), ICC
    /// writes are logged, IAR reads pop a queue (then 1023).
    struct Fake;
    impl GicHw for Fake {
        fn read32(addr: u64) -> u32 {
            with(|s| s.regs.get(&addr).copied().unwrap_or(0))
        }
        fn write32(addr: u64, v: u32) {
            with(|s| {
                s.ops.push(Op::Write(addr, v));
                // The hardware's side: a woken redistributor's children wake.
                let v = if addr & 0xffff == GICR_WAKER && v & GICR_WAKER_PROCESSOR_SLEEP == 0 {
                    v & !GICR_WAKER_CHILDREN_ASLEEP
                } else {
                    v
                };
                s.regs.insert(addr, v);
            })
        }
        fn icc_read(reg: Icc) -> u64 {
            with(|s| match reg {
                Icc::Iar1 if !s.iar.is_empty() => s.iar.remove(0),
                Icc::Iar1 => 1023,
                _ => 0,
            })
        }
        fn icc_write(reg: Icc, v: u64) {
            with(|s| s.ops.push(Op::Icc(reg, v)))
        }
        fn before_sgi() {
            with(|s| s.ops.push(Op::Barrier))
        }
        fn cpu_index() -> usize {
            with(|s| s.cpu)
        }
        fn mpidr() -> u64 {
            with(|s| s.mpidr)
        }
    }

    fn ops() -> Vec<Op> {
        with(|s| core::mem::take(&mut s.ops))
    }

    const GICD: u64 = 0x0800_0000;
    const GICR: u64 = 0x080a_0000;

    #[test]
    fn sgi1r_names_the_target_by_affinity() {
        assert_eq!(sgi1r(0x1, 1), 1 << 1 | 1 << 24);
        // Aff0 17: range selector 1, target-list bit 1.
        assert_eq!(sgi1r(17, 0), 1 << 44 | 1 << 1);
        assert_eq!(
            sgi1r(0x12_0003_0405, 15),
            1 << 5 | 4 << 16 | 15 << 24 | 3 << 32 | 0x12 << 48
        );
        assert_eq!(packed_affinity(0x12_8003_0405), 0x1203_0405);
        let mut w = Vec::new();
        sgi1r_writes([1, 2, 3, 0x100, 0x101].into_iter(), 1, |v| w.push(v));
        assert_eq!(w, [0b1110 | 1 << 24, 0b11 | 1 << 16 | 1 << 24]);
    }

    /// Three vCPUs' redistributors: frames 0x20000 apart, the last marked.
    fn redistributors(vlpis: bool) -> GicV3<Fake> {
        let stride = if vlpis { 0x4_0000 } else { 0x2_0000 };
        with(|s| {
            *s = State::default();
            for i in 0..3u64 {
                let frame = GICR + i * stride;
                let flags = if vlpis { GICR_TYPER_VLPIS } else { 0 } as u32
                    | if i == 2 { GICR_TYPER_LAST as u32 } else { 0 };
                s.regs.insert(frame + GICR_TYPER, flags);
                s.regs.insert(frame + GICR_TYPER + 4, i as u32);
                s.regs.insert(frame + GICR_WAKER, 0b110);
            }
        });
        let regions = GicV3Regions::new(
            Region {
                base: GICD,
                size: 0x1_0000,
            },
            &[Region {
                base: GICR,
                size: 0xf6_0000,
            }],
        );
        GicV3::new(regions, &[0, 1, 2], 27)
    }

    #[test]
    fn gicv3_finds_its_redistributor_wakes_it_and_enables_group_1() {
        for vlpis in [false, true] {
            let chip = redistributors(vlpis);
            with(|s| (s.cpu, s.mpidr) = (2, 2));
            chip.cpu_init().unwrap();
            let rd = GICR + 2 * if vlpis { 0x4_0000 } else { 0x2_0000 };
            assert_eq!(
                ops(),
                [
                    Op::Write(rd + GICR_WAKER, 0b100),
                    Op::Write(rd + GICR_IGROUPR0, !0),
                    Op::Icc(Icc::Sre, 1),
                    Op::Icc(Icc::Pmr, 0xff),
                    Op::Icc(Icc::Igrpen1, 1),
                ]
            );
            chip.unmask(27);
            assert_eq!(
                ops(),
                [
                    Op::Write(rd + GICR_IPRIORITYR + 24, PRIORITY << 24),
                    Op::Write(rd + GICR_ISENABLER0, 1 << 27),
                ]
            );
        }
        let chip = redistributors(false);
        with(|s| s.mpidr = 7);
        assert!(chip.cpu_init().is_err(), "no frame has affinity 7");
    }

    #[test]
    fn gicv3_sends_acknowledges_and_completes() {
        let chip = redistributors(false);
        chip.global_init().unwrap();
        chip.send_ipi(1, 3);
        chip.send_ipi_set(&[1, 2], 1);
        assert_eq!(
            ops(),
            [
                Op::Write(GICD + GICD_CTLR, GICD_CTLR_ARE_GRP1),
                Op::Barrier,
                Op::Icc(Icc::Sgi1r, sgi1r(1, 3)),
                Op::Barrier,
                Op::Icc(Icc::Sgi1r, 0b110 | 1 << 24),
            ]
        );
        with(|s| s.iar = [27, 1022].into());
        let irq = chip.acknowledge().unwrap();
        assert_eq!(irq, Irq::plain(27));
        assert_eq!(chip.acknowledge(), None, "1022 is special");
        assert_eq!(chip.acknowledge(), None, "1023 is spurious");
        chip.complete(irq);
        chip.complete(chip.idle_irq());
        assert_eq!(ops(), [Op::Icc(Icc::Eoir1, 27), Op::Icc(Icc::Eoir1, 1023)]);
    }

    #[test]
    fn gicv3_routes_a_level_spi_to_the_caller() {
        let chip = redistributors(false);
        with(|s| {
            s.mpidr = 0x1_0000_0203;
            s.regs.insert(GICD + GICD_ICFGR + 16, 0xffff_ffff);
        });
        assert_eq!(chip.route_level(33 + 32), Ok(65));
        assert_eq!(
            ops(),
            [
                Op::Write(GICD + GICD_IGROUPR + 8, 1 << 1),
                Op::Write(GICD + GICD_ICFGR + 16, !(2 << 2)),
                Op::Write(GICD + GICD_IPRIORITYR + 64, PRIORITY << 8),
                Op::Write(GICD + GICD_IROUTER + 8 * 65, 0x0203),
                Op::Write(GICD + GICD_IROUTER + 8 * 65 + 4, 1),
                Op::Write(GICD + GICD_ISENABLER0 + 8, 1 << 1),
            ]
        );
        assert!(chip.route_level(27).is_err(), "a PPI is not routed");
    }

    #[test]
    fn gicv2_targets_cpu_interfaces_and_eois_what_it_acknowledged() {
        with(|s| *s = State::default());
        const GICC: u64 = 0x0801_0000;
        let chip = GicV2::<Fake>::new(
            Region {
                base: GICD,
                size: 0x1_0000,
            },
            Region {
                base: GICC,
                size: 0x1_0000,
            },
            27,
        );
        chip.global_init().unwrap();
        // Interfaces numbered in reverse of the vCPUs.
        for (cpu, bit) in [(0, 8), (1, 4), (2, 2), (3, 1)] {
            with(|s| {
                s.cpu = cpu;
                s.regs.insert(GICD + GICD_ITARGETSR0, bit);
            });
            chip.cpu_init().unwrap();
        }
        chip.unmask(1);
        ops();
        chip.send_ipi(1, 1);
        chip.send_ipi_set(&[1, 2, 3], 2);
        assert_eq!(
            ops(),
            [
                Op::Barrier,
                Op::Write(GICD + GICD_SGIR, 4 << 16 | 1),
                Op::Barrier,
                Op::Write(GICD + GICD_SGIR, 7 << 16 | 2),
            ]
        );
        // SGI 1 from CPU interface 3: the EOI carries the source.
        with(|s| s.regs.insert(GICC + GICC_IAR, 3 << 10 | 1));
        let irq = chip.acknowledge().unwrap();
        assert_eq!((irq.intid, irq.token), (1, 3 << 10 | 1));
        chip.complete(irq);
        assert_eq!(ops(), [Op::Write(GICC + GICC_EOIR, 3 << 10 | 1)]);
        with(|s| s.regs.insert(GICC + GICC_IAR, 1023));
        assert_eq!(chip.acknowledge(), None);
        // SPI 1 (INTID 33), level, to vCPU 3's interface (bit 1).
        assert_eq!(chip.route_level(33), Ok(33));
        assert_eq!(
            ops(),
            [
                Op::Write(GICD + GICD_ICFGR + 8, 0),
                Op::Write(GICD + GICD_IPRIORITYR + 32, PRIORITY << 8),
                Op::Write(GICD + GICD_ITARGETSR0 + 32, 1 << 8),
                Op::Write(GICD + GICD_ISENABLER0 + 4, 1 << 1),
            ]
        );
        with(|s| s.regs.insert(GICD + GICD_ITARGETSR0, 0));
        assert!(chip.cpu_init().is_err());
    }
}
