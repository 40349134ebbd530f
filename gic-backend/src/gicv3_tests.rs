// SPDX-License-Identifier: Apache-2.0 OR MIT
extern crate std;

use super::*;
use crate::fake::{FakeBlock, FakeSysRegs, Op};
use crate::lines::{ICACTIVER, ICFGR, IGROUPR, IPRIORITYR};
use crate::lr::decode_v3;
use crate::LrState;
use std::vec::Vec;

const FRAME: usize = 0x1_0000;
const GICR_CTLR: usize = 0x0;
const GICR_TYPER: usize = 0x8;
const GICR_WAKER: usize = 0x14;
const LAST: u64 = 1 << 4;
const VLPIS: u64 = 1 << 1;

/// A region of `frames` 64 KiB frames; `typers` puts GICR_TYPER values at
/// frame numbers.
fn region(frames: usize, typers: &[(usize, u64)]) -> (FakeBlock, Mmio) {
    let mut block = FakeBlock::new(frames * FRAME);
    let regs = block.regs();
    for &(frame, typer) in typers {
        regs.write64(frame * FRAME + GICR_TYPER, typer);
    }
    (block, regs)
}

fn aff(a: u32) -> u64 {
    u64::from(a) << 32
}

#[test]
fn typer_affinity_packs_aff3_over_the_mpidr_flags() {
    assert_eq!(typer_affinity(0x0000_0081_c112_3456), 0x8112_3456);
    assert_eq!(typer_affinity(0x1_0000_0000), 0x0100_0000);
    assert_eq!(typer_affinity(0x8000_0100), 0x100);
}

#[test]
fn discovery_finds_the_frame_with_matching_affinity() {
    let (_b, r) = region(4, &[(0, aff(0)), (2, aff(0x100) | LAST)]);
    let found = Redist::find(&[r], 0, 0x100).unwrap();
    assert_eq!(
        found,
        Redist {
            rd: r.sub(2 * FRAME, FRAME),
            sgi: r.sub(3 * FRAME, FRAME)
        }
    );
    let found = Redist::find(&[r], 0, 0).unwrap();
    assert_eq!(found.rd, r.sub(0, FRAME));
    assert_eq!(Redist::find(&[r], 0, 0x200), None);
}

#[test]
fn discovery_stops_at_last() {
    let (_b, r) = region(4, &[(0, aff(0) | LAST), (2, aff(0x100))]);
    assert_eq!(Redist::find(&[r], 0, 0x100), None);
}

#[test]
fn discovery_steps_over_gicv4_frames() {
    // VLPIS: RD, SGI, VLPI and a reserved frame per CPU.
    let (_b, r) = region(
        8,
        &[
            (0, aff(0) | VLPIS),
            (2, aff(0x1)),
            (4, aff(0x100) | VLPIS | LAST),
        ],
    );
    assert_eq!(
        Redist::find(&[r], 0, 0x100).unwrap().rd,
        r.sub(4 * FRAME, FRAME)
    );
    assert_eq!(
        Redist::find(&[r], 0, 0x1),
        None,
        "frame 2 is CPU 0's VLPI frame"
    );
    // An explicit stride wins over VLPIS.
    assert_eq!(
        Redist::find(&[r], 2 * FRAME, 0x1).unwrap().rd,
        r.sub(2 * FRAME, FRAME)
    );
    let (_c, s) = region(8, &[(0, aff(0)), (4, aff(0x100) | LAST)]);
    assert_eq!(
        Redist::find(&[s], 4 * FRAME, 0x100).unwrap().sgi,
        s.sub(5 * FRAME, FRAME)
    );
}

#[test]
fn discovery_moves_on_to_the_next_region() {
    let (_a, r0) = region(2, &[(0, aff(0) | LAST)]);
    let (_b, r1) = region(4, &[(0, aff(0x0100_0000)), (2, aff(0x0100_0001) | LAST)]);
    let found = Redist::find(&[r0, r1], 0, typer_affinity(0x1_0000_0001)).unwrap();
    assert_eq!(found.rd, r1.sub(2 * FRAME, FRAME));
}

struct Rig {
    d: Mmio,
    r: Mmio,
    gic: GicV3<FakeSysRegs>,
    _blocks: [FakeBlock; 2],
}

const CPU0: CpuId = CpuId { index: 0, mpidr: 0 };
const CPU1: CpuId = CpuId {
    index: 1,
    mpidr: 0x100,
};

impl Rig {
    fn sys(&self) -> &FakeSysRegs {
        &self.gic.sys
    }

    /// Run the next calls as `cpu`.
    fn on(&self, cpu: CpuId) -> &Self {
        self.sys().set(SysReg::MpidrEl1, 0x8000_0000 | cpu.mpidr);
        self
    }

    fn sgi_frame(&self, cpu: usize) -> Mmio {
        self.r.sub((2 * cpu + 1) * FRAME, FRAME)
    }
}

/// Two CPUs (MPIDR 0 and 0x100) with one redistributor region, 96 lines,
/// 4 list registers.
fn rig() -> Rig {
    let mut d = FakeBlock::new(0x1_0000);
    let (mut rb, r) = region(4, &[(0, aff(0)), (2, aff(0x100) | LAST)]);
    let regions = [RedistRegion {
        base: rb.addr(),
        size: 4 * FRAME,
    }];
    let sys = FakeSysRegs::default();
    sys.set(SysReg::IchVtrEl2, 0x9000_0003);
    // SAFETY: the fake frames are as large as GicV3 needs and outlive `gic`
    // (both are in the returned Rig).
    let gic = unsafe { GicV3::new(d.addr(), &regions, 0, &[CPU0, CPU1], sys) };
    let d_regs = d.regs();
    d_regs.write32(GICD_TYPER, 2);
    Rig {
        d: d_regs,
        r,
        gic,
        _blocks: [d, rb],
    }
}

#[test]
fn distributor_init_enables_affinity_routing_and_routes_spis_to_boot_cpu() {
    let r = rig();
    r.sys().set(SysReg::MpidrEl1, 0x8000_0000 | 0x4_0001_0203);
    r.gic.init_distributor();
    assert_eq!(r.d.read32(GICD_CTLR), 0x13);
    for word in [1, 2] {
        assert_eq!(r.d.read32(IGROUPR + 4 * word), !0);
        assert_eq!(r.d.read32(lines::ICENABLER + 4 * word), !0);
        assert_eq!(r.d.read32(ICACTIVER + 4 * word), !0);
    }
    assert_eq!(r.d.read32(IGROUPR), 0);
    assert_eq!(r.d.read32(IGROUPR + 12), 0);
    for intid in (32..96).step_by(4) {
        assert_eq!(r.d.read32(IPRIORITYR + intid), 0xa0a0_a0a0);
    }
    for intid in 32..96 {
        assert_eq!(r.d.read64(GICD_IROUTER + 8 * intid), 0x4_0001_0203);
    }
    assert_eq!(r.d.read64(GICD_IROUTER + 8 * 96), 0);
    assert_eq!(r.d.read64(GICD_IROUTER + 8 * 31), 0);
}

#[test]
fn init_cpu_wakes_its_redistributor_and_sets_up_the_cpu_interface() {
    let r = rig();
    r.r.write32(GICR_WAKER, 0b110);
    r.r.write32(2 * FRAME + GICR_WAKER, 0b110);
    r.sys().set(SysReg::IccSreEl1, 0b110);
    r.on(CPU1).gic.init_cpu(CPU1);
    assert_eq!(r.r.read32(2 * FRAME + GICR_WAKER), 0);
    assert_eq!(
        r.r.read32(GICR_WAKER),
        0b110,
        "CPU 0's redistributor untouched"
    );
    let sgi = r.sgi_frame(1);
    assert_eq!(sgi.read32(IGROUPR), !0);
    assert_eq!(sgi.read32(ICACTIVER), !0);
    assert_eq!(sgi.read32(lines::ICENABLER), 0xffff_0000);
    assert_eq!(sgi.read32(lines::ISENABLER), 0xffff);
    assert_eq!(sgi.read32(IPRIORITYR + 28), 0xa0a0_a0a0);
    assert_eq!(r.sgi_frame(0).read32(IGROUPR), 0);
    let expected = [
        Op::Write(SysReg::IccSreEl2, 0b1001),
        Op::Isb,
        Op::Write(SysReg::IccSreEl1, 0b111),
        Op::Isb,
        Op::Write(SysReg::IccPmrEl1, 0xff),
        Op::Write(SysReg::IccBpr1El1, 0),
        Op::Write(SysReg::IccCtlrEl1, 0b10),
        Op::Write(SysReg::IccIgrpen1El1, 1),
        Op::Write(SysReg::IchHcrEl2, 0),
        Op::WriteLr(0, 0),
        Op::WriteLr(1, 0),
        Op::WriteLr(2, 0),
        Op::WriteLr(3, 0),
        Op::Isb,
    ];
    assert_eq!(r.sys().take_writes(), expected);
}

#[test]
#[should_panic(expected = "no redistributor for MPIDR 0x200")]
fn init_cpu_without_a_redistributor_panics() {
    let r = rig();
    r.gic.init_cpu(CpuId {
        index: 1,
        mpidr: 0x200,
    });
}

#[test]
fn sgi_and_ppi_registers_go_to_the_calling_cpus_frame() {
    let r = rig();
    r.on(CPU0).gic.init_cpu(CPU0);
    r.on(CPU1).gic.init_cpu(CPU1);
    r.on(CPU0).gic.enable(27);
    assert_eq!(r.sgi_frame(0).read32(lines::ISENABLER), 1 << 27);
    assert_eq!(r.sgi_frame(1).read32(lines::ISENABLER), 0xffff);
    r.on(CPU1).gic.disable(20);
    assert_eq!(r.sgi_frame(1).read32(lines::ICENABLER), 1 << 20);
    r.gic.set_trigger(27, Trigger::Edge); // ICFGR1, field 11
    assert_eq!(r.sgi_frame(1).read32(ICFGR + 4), 1 << 23);
    r.sgi_frame(1).write32(lines::ISPENDR, 1 << 16);
    assert!(r.gic.is_pending(16));
    assert!(
        !r.on(CPU0).gic.is_pending(16),
        "CPU 0's SGI frame has nothing pending"
    );
    r.sgi_frame(1).write32(lines::ICACTIVER, 0); // init cleared everything
    r.on(CPU1).gic.clear_active(27);
    assert_eq!(r.sgi_frame(1).read32(lines::ICACTIVER), 1 << 27);
}

#[test]
fn spi_registers_go_to_the_distributor() {
    let r = rig();
    r.gic.enable(45);
    assert_eq!(r.d.read32(lines::ISENABLER + 4), 1 << 13);
    r.gic.disable(95);
    assert_eq!(r.d.read32(lines::ICENABLER + 8), 1 << 31);
    r.gic.set_trigger(45, Trigger::Edge);
    assert_eq!(r.d.read32(ICFGR + 8), 1 << 27);
    r.d.write32(lines::ISPENDR + 4, 1 << 13);
    assert!(r.gic.is_pending(45) && !r.gic.is_pending(46));
    r.gic.route(
        40,
        CpuId {
            index: 0,
            mpidr: 0x4_8001_0203,
        },
    );
    assert_eq!(r.d.read64(GICD_IROUTER + 8 * 40), 0x4_0001_0203);
}

#[test]
#[should_panic(expected = "init_cpu has not run")]
fn ppi_access_before_init_cpu_panics() {
    rig().on(CPU1).gic.enable(27);
}

#[test]
#[should_panic(expected = "GICD_CTLR.RWP")]
fn spi_disable_waits_for_rwp() {
    let r = rig();
    r.d.write32(GICD_CTLR, 1 << 31);
    r.gic.disable(40);
}

#[test]
#[should_panic(expected = "GICR_CTLR.RWP")]
fn ppi_disable_waits_for_redistributor_rwp() {
    let r = rig();
    r.on(CPU0).gic.init_cpu(CPU0);
    r.r.write32(GICR_CTLR, 1 << 3);
    r.gic.disable(20);
}

#[test]
fn sgi1r_encodes_affinity_and_range_selector() {
    assert_eq!(sgi1r(3, 0), 0x0300_0001);
    assert_eq!(sgi1r(3, 0x8000_0005), 0x0300_0020);
    // Aff0 = 17: RS 1, TargetList bit 1.
    assert_eq!(sgi1r(1, 0x11), 0x0000_1000_0100_0002);
    // Aff3 4, Aff2 1, Aff1 2, Aff0 3.
    assert_eq!(sgi1r(5, 0x4_0001_0203), 0x0004_0001_0502_0008);
    // Aff0 255: RS 15, bit 15.
    assert_eq!(sgi1r(15, 0xff_00ff_ffff), 0x00ff_f0ff_0fff_8000);
}

#[test]
fn send_sgi_orders_stores_then_writes_sgi1r() {
    let r = rig();
    r.gic.send_sgi(
        5,
        CpuId {
            index: 1,
            mpidr: 0x4_0001_0203,
        },
    );
    let expected = [
        Op::DsbIshst,
        Op::Write(SysReg::IccSgi1rEl1, 0x0004_0001_0502_0008),
        Op::Isb,
    ];
    assert_eq!(r.sys().take_log(), expected);
}

#[test]
fn acknowledge_drop_and_deactivate() {
    let r = rig();
    r.sys().set(SysReg::IccIar1El1, 45);
    assert_eq!(r.gic.acknowledge(), Some(45));
    assert_eq!(
        r.sys().take_log(),
        [Op::Read(SysReg::IccIar1El1), Op::DsbSy]
    );
    r.gic.priority_drop(45);
    assert_eq!(
        r.sys().take_log(),
        [Op::Write(SysReg::IccEoir1El1, 45), Op::Isb]
    );
    r.gic.deactivate(45);
    assert_eq!(
        r.sys().take_log(),
        [Op::Write(SysReg::IccDirEl1, 45), Op::Isb]
    );
    for special in [1020, 1021, 1022, 1023] {
        r.sys().set(SysReg::IccIar1El1, special);
        assert_eq!(r.gic.acknowledge(), None);
    }
    r.sys().set(SysReg::IccIar1El1, 8192);
    assert_eq!(r.gic.acknowledge(), Some(8192));
}

#[test]
fn list_registers_and_virtual_interface() {
    let r = rig();
    assert_eq!(r.gic.num_lrs(), 4);
    r.sys().set(SysReg::IchVtrEl2, 0x9000_000f);
    assert_eq!(r.gic.num_lrs(), 16);
    let lr = ListReg {
        vintid: 27,
        state: LrState::Pending,
        group1: true,
        priority: 0xa0,
        hw: Some(27),
    };
    r.gic.write_lr(3, lr);
    assert_eq!(r.sys().lr(3), 0x70a0_001b_0000_001b);
    assert_eq!(decode_v3(r.sys().lr(3)), lr);
    let _ = r.sys().take_writes();
    r.sys().set(SysReg::IchVmcrEl2, 0x4);
    r.gic.set_virtual_interface(
        true,
        MaintenanceEnables {
            underflow: false,
            no_pending: true,
        },
    );
    let expected = [
        Op::Write(SysReg::IchVmcrEl2, 0xff00_0006),
        Op::Write(SysReg::IchHcrEl2, 0b1001),
        Op::Isb,
    ];
    assert_eq!(r.sys().take_writes(), expected);
    r.gic
        .set_virtual_interface(false, MaintenanceEnables::default());
    assert_eq!(
        r.sys().take_writes(),
        [Op::Write(SysReg::IchHcrEl2, 0), Op::Isb]
    );
    assert_eq!(r.gic.num_irqs(), 96);
    let _: Vec<Op> = r.sys().take_log();
}
