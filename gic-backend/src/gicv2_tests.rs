// SPDX-License-Identifier: Apache-2.0 OR MIT
use super::*;
use crate::fake::FakeBlock;
use crate::lr::decode_v2;
use crate::LrState;

struct Rig {
    d: Mmio,
    c: Mmio,
    h: Mmio,
    gic: GicV2,
    _blocks: [FakeBlock; 3],
}

fn cpu(index: usize) -> CpuId {
    CpuId {
        index,
        mpidr: index as u64,
    }
}

/// A GICv2 over zeroed fake frames, with GICD_TYPER and GICD_ITARGETSR0 preset.
fn rig(ncpus: usize, typer: u32, itargetsr0: u32) -> Rig {
    let mut blocks = [
        FakeBlock::new(0x1000),
        FakeBlock::new(0x2000),
        FakeBlock::new(0x1000),
    ];
    let cpus: std::vec::Vec<CpuId> = (0..ncpus).map(cpu).collect();
    let frames = GicV2Frames {
        gicd: blocks[0].addr(),
        gicc: blocks[1].addr(),
        gich: blocks[2].addr(),
    };
    // SAFETY: the fake frames are as large as GicV2 needs and outlive `gic`
    // (both are in the returned Rig).
    let gic = unsafe { GicV2::new(frames, &cpus) };
    let (d, c, h) = (blocks[0].regs(), blocks[1].regs(), blocks[2].regs());
    d.write32(GICD_TYPER, typer);
    d.write32(GICD_ITARGETSR, itargetsr0);
    Rig {
        d,
        c,
        h,
        gic,
        _blocks: blocks,
    }
}

extern crate std;

#[test]
fn distributor_init_without_security_extensions_uses_group_0() {
    let r = rig(2, 2, 0x0101_0101); // 96 lines
    r.d.write32(lines::IGROUPR, 0x1234_5678); // banked: not the distributor's business
    r.d.write32(lines::ICFGR + 4, 0x5555_5555); // PPIs: untouched
    for off in (0xc08..0xc18).step_by(4) {
        r.d.write32(off, !0);
    }
    r.gic.init_distributor();
    assert_eq!(r.d.read32(GICD_CTLR), 1);
    assert_eq!(r.d.read32(lines::IGROUPR), 0x1234_5678);
    for word in [1, 2] {
        assert_eq!(r.d.read32(lines::IGROUPR + 4 * word), 0);
        assert_eq!(r.d.read32(lines::ICENABLER + 4 * word), !0);
        assert_eq!(r.d.read32(lines::ICACTIVER + 4 * word), !0);
    }
    assert_eq!(r.d.read32(lines::ICENABLER), 0);
    assert_eq!(r.d.read32(lines::IGROUPR + 12), 0);
    assert_eq!(r.d.read32(lines::ICENABLER + 12), 0, "only 96 lines");
    for intid in (32..96).step_by(4) {
        assert_eq!(r.d.read32(lines::IPRIORITYR + intid), 0xa0a0_a0a0);
        assert_eq!(r.d.read32(GICD_ITARGETSR + intid), 0x0101_0101);
    }
    assert_eq!(r.d.read32(lines::IPRIORITYR + 28), 0);
    assert_eq!(r.d.read32(lines::IPRIORITYR + 96), 0);
    assert_eq!(r.d.read32(GICD_ITARGETSR + 96), 0);
    assert_eq!(r.d.read32(lines::ICFGR + 4), 0x5555_5555);
    for off in (0xc08..0xc18).step_by(4) {
        assert_eq!(r.d.read32(off), 0, "SPIs level at {off:#x}");
    }
}

#[test]
fn distributor_init_with_security_extensions_uses_group_1() {
    let r = rig(2, 1 << 10 | 1, 0x0202_0202); // 64 lines, boot CPU interface 1
    r.gic.init_distributor();
    assert_eq!(r.d.read32(GICD_CTLR), 1);
    assert_eq!(r.d.read32(lines::IGROUPR + 4), !0);
    assert_eq!(r.d.read32(lines::IGROUPR + 8), 0);
    assert_eq!(r.d.read32(GICD_ITARGETSR + 32), 0x0202_0202);
    assert_eq!(r.d.read32(GICD_ITARGETSR + 60), 0x0202_0202);
    assert_eq!(r.d.read32(GICD_ITARGETSR + 64), 0);
}

#[test]
fn init_cpu_learns_target_numbers_from_itargetsr() {
    let r = rig(3, 2, 0x0404_0404);
    r.gic.init_cpu(cpu(1)); // CPU 1 is CPU interface 2
    r.d.write32(GICD_ITARGETSR, 0);
    r.d.write32(GICD_ITARGETSR + 4, 0x0001_0000); // CPU 2: found in ITARGETSR1
    r.gic.init_cpu(cpu(2));
    r.gic.route(40, cpu(1));
    assert_eq!(r.d.read32(GICD_ITARGETSR + 40), 0x04);
    r.gic.route(43, cpu(2));
    assert_eq!(r.d.read32(GICD_ITARGETSR + 40), 0x0100_0004);
    r.gic.send_sgi(3, cpu(1));
    assert_eq!(r.d.read32(GICD_SGIR), 0x0004_0003);
    r.gic.send_sgi(15, cpu(2));
    assert_eq!(r.d.read32(GICD_SGIR), 0x0001_000f);
}

#[test]
fn init_cpu_sets_banked_lines_cpu_interface_and_clears_lrs() {
    let r = rig(1, 1 << 10, 0x0101_0101);
    r.c.write32(GICC_CTLR, 0x1e2); // bypass-disable bits set by firmware
    r.h.write32(GICH_HCR, 1);
    r.h.write32(GICH_VTR, 0x9000_0003); // 4 list registers
    for n in 0..6 {
        r.h.write32(GICH_LR + 4 * n, !0);
    }
    r.gic.init_cpu(cpu(0));
    assert_eq!(r.d.read32(lines::IGROUPR), !0);
    assert_eq!(r.d.read32(lines::ICACTIVER), !0);
    assert_eq!(r.d.read32(lines::ICENABLER), 0xffff_0000);
    assert_eq!(r.d.read32(lines::ISENABLER), 0x0000_ffff);
    for intid in (0..32).step_by(4) {
        assert_eq!(r.d.read32(lines::IPRIORITYR + intid), 0xa0a0_a0a0);
    }
    assert_eq!(r.d.read32(lines::IPRIORITYR + 32), 0);
    assert_eq!(r.c.read32(GICC_PMR), 0xff);
    assert_eq!(r.c.read32(GICC_BPR), 0);
    assert_eq!(r.c.read32(GICC_CTLR), 0x1e0 | 1 << 9 | 1);
    assert_eq!(r.h.read32(GICH_HCR), 0);
    let lrs: std::vec::Vec<u32> = (0..6).map(|n| r.h.read32(GICH_LR + 4 * n)).collect();
    assert_eq!(lrs, [0, 0, 0, 0, !0, !0]);
}

#[test]
fn uniprocessor_gic_reads_no_target_and_uses_interface_0() {
    let r = rig(1, 2, 0);
    r.gic.init_cpu(cpu(0));
    r.gic.route(50, cpu(0));
    assert_eq!(r.d.read32(GICD_ITARGETSR + 48), 0x0001_0000);
}

#[test]
#[should_panic(expected = "no target number")]
fn smp_gic_without_target_number_panics() {
    rig(2, 2, 0).gic.init_cpu(cpu(0));
}

#[test]
#[should_panic(expected = "has not run init_cpu")]
fn route_to_cpu_before_its_init_panics() {
    let r = rig(2, 2, 0x0101_0101);
    r.gic.init_cpu(cpu(0));
    r.gic.route(40, cpu(1));
}

#[test]
fn enable_and_disable_write_one_bit() {
    let r = rig(1, 0x1f, 1);
    r.gic.enable(27);
    assert_eq!(r.d.read32(lines::ISENABLER), 1 << 27);
    assert_eq!(
        r.d.read32(lines::ISENABLER + 4),
        0,
        "enable(27) touches word 0 only"
    );
    r.gic.enable(45);
    assert_eq!(r.d.read32(lines::ISENABLER + 4), 1 << 13);
    r.gic.disable(45);
    assert_eq!(r.d.read32(lines::ICENABLER + 4), 1 << 13);
    r.gic.disable(1019);
    assert_eq!(r.d.read32(lines::ICENABLER + 0x7c), 1 << 27);
}

#[test]
fn trigger_sets_the_two_bit_icfgr_field() {
    let r = rig(1, 2, 1);
    r.gic.set_trigger(45, Trigger::Edge); // ICFGR2, field 13: bit 27
    assert_eq!(r.d.read32(lines::ICFGR + 8), 0x0800_0000);
    r.gic.set_trigger(44, Trigger::Edge);
    assert_eq!(r.d.read32(lines::ICFGR + 8), 0x0a00_0000);
    r.gic.set_trigger(45, Trigger::Level);
    assert_eq!(r.d.read32(lines::ICFGR + 8), 0x0200_0000);
    r.gic.set_trigger(31, Trigger::Edge); // PPI: ICFGR1 bit 31
    assert_eq!(r.d.read32(lines::ICFGR + 4), 0x8000_0000);
    r.d.write32(lines::ICFGR, 0xaaaa_aaaa);
    r.gic.set_trigger(3, Trigger::Level); // SGIs: always edge, untouched
    assert_eq!(r.d.read32(lines::ICFGR), 0xaaaa_aaaa);
}

#[test]
fn pending_and_active() {
    let r = rig(1, 2, 1);
    r.d.write32(lines::ISPENDR + 4, 1 << 13);
    assert!(r.gic.is_pending(45) && !r.gic.is_pending(44));
    r.d.write32(lines::ICACTIVER + 8, 0); // init cleared everything
    r.gic.clear_active(66);
    assert_eq!(r.d.read32(lines::ICACTIVER + 8), 1 << 2);
}

#[test]
fn sgi_source_goes_back_to_eoir_and_dir() {
    let r = rig(4, 2, 0x0404_0404); // calling CPU: interface 2
    r.c.write32(GICC_IAR, 3 << 10 | 5); // SGI 5 from CPU interface 3
    assert_eq!(r.gic.acknowledge(), Some(5));
    r.d.write32(GICD_ITARGETSR, 0x0101_0101); // now on CPU interface 0
    r.c.write32(GICC_IAR, 1 << 10 | 5);
    assert_eq!(r.gic.acknowledge(), Some(5));
    r.gic.priority_drop(5);
    assert_eq!(r.c.read32(GICC_EOIR), 0x405);
    r.d.write32(GICD_ITARGETSR, 0x0404_0404); // back on interface 2
    r.gic.priority_drop(5);
    assert_eq!(r.c.read32(GICC_EOIR), 0xc05);
    r.gic.deactivate(5);
    assert_eq!(r.c.read32(GICC_DIR), 0xc05);
    r.c.write32(GICC_IAR, 45);
    assert_eq!(r.gic.acknowledge(), Some(45));
    r.gic.priority_drop(45);
    r.gic.deactivate(45);
    assert_eq!((r.c.read32(GICC_EOIR), r.c.read32(GICC_DIR)), (45, 45));
}

#[test]
fn special_intids_acknowledge_as_none() {
    let r = rig(1, 2, 1);
    for iar in [1023, 1022, 1020, 7 << 10 | 1023] {
        r.c.write32(GICC_IAR, iar);
        assert_eq!(r.gic.acknowledge(), None, "IAR {iar:#x}");
    }
    r.c.write32(GICC_IAR, 1019);
    assert_eq!(r.gic.acknowledge(), Some(1019));
}

#[test]
fn list_registers_and_status() {
    let r = rig(1, 0x1f, 1);
    r.h.write32(GICH_VTR, 0x9000_0003);
    assert_eq!(r.gic.num_lrs(), 4);
    let lr = ListReg {
        vintid: 27,
        state: LrState::Pending,
        group1: true,
        priority: 0xa0,
        hw: Some(27),
    };
    r.gic.write_lr(2, lr);
    assert_eq!(r.h.read32(GICH_LR + 8), 0xda00_6c1b);
    r.h.write32(GICH_LR + 4, 0x2f80_03ff);
    let expect = ListReg {
        vintid: 1023,
        state: LrState::Active,
        group1: false,
        priority: 0xf8,
        hw: None,
    };
    assert_eq!(decode_v2(r.h.read32(GICH_LR + 4)), expect);
    assert_eq!(r.gic.num_irqs(), 1020);
}

#[test]
fn virtual_interface_enable_sets_hcr_and_vmcr() {
    let r = rig(1, 2, 1);
    r.h.write32(GICH_VMCR, 1 << 9);
    r.gic.set_virtual_interface(
        true,
        MaintenanceEnables {
            underflow: true,
            no_pending: false,
        },
    );
    assert_eq!(r.h.read32(GICH_HCR), 0b0011);
    assert_eq!(r.h.read32(GICH_VMCR), 0xf800_0202);
    r.h.write32(GICH_VMCR, 0x1234);
    r.gic.set_virtual_interface(
        false,
        MaintenanceEnables {
            underflow: false,
            no_pending: true,
        },
    );
    assert_eq!(r.h.read32(GICH_HCR), 0b1000);
    assert_eq!(r.h.read32(GICH_VMCR), 0x1234);
}
