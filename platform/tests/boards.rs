// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Discovery on real device trees: QEMU virt (GICv2, GICv3) as QEMU 10.0
//! dumps them, and the Raspberry Pi 4, an RK3568 board and an ODROID-C4 from
//! Debian's arm64 kernel package. `scripts/fetch-dtbs` puts them in
//! `target/dtbs/`; the expected values were read with `dtc -I dtb -O dts`.

mod common;

use common::{amend, board};
use platform::{
    discover_at, Conduit, ConsoleKind, EnableMethod, Error, GicInfo, Irq, Platform, PsciVersion,
    Range, Sense,
};

const NEEDS_DTBS: &str = "needs target/dtbs: run scripts/fetch-dtbs";

fn ranges(pairs: &[(u64, u64)]) -> Vec<Range> {
    pairs.iter().map(|&(b, s)| Range::new(b, s)).collect()
}

fn irq(intid: u32, sense: Sense) -> Irq {
    Irq { intid, sense }
}

fn cpus(p: &Platform<'_>) -> Vec<(u64, EnableMethod)> {
    p.cpus.iter().map(|c| (c.mpidr, c.enable)).collect()
}

/// The timer PPIs every board here uses: 13, 14, 11, 10, and no EL2
/// virtual timer.
fn assert_timer(p: &Platform<'_>, sense: Sense) {
    assert_timer_with(p, sense, None);
}

/// [`assert_timer`], with the EL2 virtual timer's interrupt given.
fn assert_timer_with(p: &Platform<'_>, sense: Sense, hyp_virt: Option<Irq>) {
    assert_eq!(p.timer.secure_phys, irq(29, sense));
    assert_eq!(p.timer.phys, irq(30, sense));
    assert_eq!(p.timer.virt, irq(27, sense));
    assert_eq!(p.timer.hyp_phys, irq(26, sense));
    assert_eq!(p.timer.hyp_virt, hyp_virt);
}

fn assert_psci_smc(p: &Platform<'_>) {
    let psci = p.psci.expect("psci");
    assert_eq!(
        (psci.conduit, psci.cpu_on, psci.version),
        (Conduit::Smc, 0xc400_0003, PsciVersion::V1_0)
    );
}

/// Checks what QEMU virt has whatever the GIC: 1 GiB at 0x4000_0000 with
/// the blob placed at its start, 4 PSCI CPUs, PL011, and the devices.
/// `hyp_virt`: the EL2 virtual timer's interrupt, which QEMU 10 lists for
/// a CPU with FEAT_VHE (`-cpu max`), not for the Cortex-A57.
fn assert_qemu_virt_common(p: &Platform<'_>, dtb_len: u64, hyp_virt: Option<Irq>) {
    assert_eq!(p.model, "linux,dummy-virt");
    assert_eq!(p.memory[..], ranges(&[(0x4000_0000, 0x4000_0000)]));
    assert!(p.reserved.is_empty());
    assert_eq!(p.dtb, Some(Range::new(0x4000_0000, dtb_len)));
    assert_eq!(
        p.usable[..],
        ranges(&[(0x4000_0000 + dtb_len, 0x4000_0000 - dtb_len)])
    );
    assert_eq!(
        cpus(p),
        (0..4).map(|i| (i, EnableMethod::Psci)).collect::<Vec<_>>()
    );
    assert_psci_smc(p);
    assert_eq!(p.pm_watchdog, None);
    assert_eq!(p.maintenance_irq, Some(irq(25, Sense::LevelHigh)));
    assert_timer_with(p, Sense::LevelHigh, hyp_virt);

    let c = p.console.expect("console");
    assert_eq!(
        (c.kind, c.compatible, c.node),
        (ConsoleKind::Pl011, "arm,pl011", "pl011@9000000")
    );
    assert_eq!(
        (c.base, c.size, c.reg_shift, c.reg_io_width),
        (0x900_0000, 0x1000, 0, 4)
    );
    assert_eq!((c.irq, c.options), (Some(irq(33, Sense::LevelHigh)), ""));

    // 32 virtio-mmio transports (SPI 16..47, edge), pl061, pl031, pl011.
    assert_eq!(p.devices.len(), 35);
    let virtio: Vec<_> = p
        .devices
        .iter()
        .filter(|d| d.compatible == "virtio,mmio")
        .collect();
    assert_eq!(virtio.len(), 32);
    for (i, d) in virtio.iter().enumerate() {
        assert_eq!(d.regs, [Range::new(0xa00_0000 + 0x200 * i as u64, 0x200)]);
        assert_eq!(
            d.irqs.iter().collect::<Vec<_>>(),
            [irq(48 + i as u32, Sense::EdgeRising)]
        );
    }
    let find = |name: &str| {
        p.devices
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let rtc = find("pl031@9010000");
    assert_eq!(
        (rtc.compatible, rtc.regs),
        ("arm,pl031", &[Range::new(0x901_0000, 0x1000)][..])
    );
    assert_eq!(
        rtc.irqs.iter().collect::<Vec<_>>(),
        [irq(34, Sense::LevelHigh)]
    );
    let uart = find("pl011@9000000");
    assert_eq!(uart.irqs.get(0), Some(irq(33, Sense::LevelHigh)));
    assert_eq!(
        find("pl061@9030000").irqs.get(0),
        Some(irq(39, Sense::LevelHigh))
    );
    // No reg (pmu, timer), no interrupts (fw-cfg, flash), interrupt-map
    // only (pcie), or the GIC itself: not devices.
    for name in [
        "fw-cfg@9020000",
        "flash@0",
        "pcie@10000000",
        "intc@8000000",
        "pmu",
        "timer",
    ] {
        assert!(p.devices.iter().all(|d| d.name != name), "{name} listed");
    }
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn qemu_virt_gicv2() {
    let dtb = board("qemu-virt-gicv2.dtb");
    let p = discover_at(&dtb, Some(0x4000_0000)).expect(NEEDS_DTBS);
    assert_eq!(p.gic_compatible, "arm,cortex-a15-gic");
    assert_eq!(
        p.gic,
        GicInfo::V2 {
            gicd: Range::new(0x800_0000, 0x1_0000),
            gicc: Range::new(0x801_0000, 0x1_0000),
            gich: Some(Range::new(0x803_0000, 0x1_0000)),
            gicv: Some(Range::new(0x804_0000, 0x1_0000)),
        }
    );
    assert_qemu_virt_common(&p, 0x10_0000, None);
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn qemu_virt_gicv3() {
    let dtb = board("qemu-virt-gicv3.dtb");
    let p = discover_at(&dtb, Some(0x4000_0000)).unwrap();
    assert_eq!(p.gic_compatible, "arm,gic-v3");
    let GicInfo::V3 {
        gicd,
        redists,
        redistributor_stride,
        gicv,
    } = p.gic
    else {
        panic!("not v3: {:?}", p.gic)
    };
    assert_eq!(gicd, Range::new(0x800_0000, 0x1_0000));
    assert_eq!(redists[..], ranges(&[(0x80a_0000, 0xf6_0000)]));
    assert_eq!((redistributor_stride, gicv), (None, None));
    assert_qemu_virt_common(&p, 0x10_0000, Some(irq(28, Sense::LevelHigh)));
}

/// What the Raspberry Pi firmware writes into `memory@0` on a 4 GiB board
/// before starting the kernel (Debian's blob has `reg = <0 0 0>`).
const RPI4_MEMORY: &str =
    "/ { memory@0 { reg = <0x0 0x0 0x3b400000 0x0 0x40000000 0xbc000000>; }; };";

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn raspberry_pi_4() {
    let dtb = amend(&board("bcm2711-rpi-4-b.dtb"), RPI4_MEMORY);
    let p = discover_at(&dtb, None).unwrap();
    assert_eq!(p.model, "Raspberry Pi 4 Model B");
    // The GIC's reg is a bus address under /soc: 0x40041000 -> 0xff841000.
    assert_eq!(p.gic_compatible, "arm,gic-400");
    assert_eq!(
        p.gic,
        GicInfo::V2 {
            gicd: Range::new(0xff84_1000, 0x1000),
            gicc: Range::new(0xff84_2000, 0x2000),
            gich: Some(Range::new(0xff84_4000, 0x2000)),
            gicv: Some(Range::new(0xff84_6000, 0x2000)),
        }
    );
    assert_eq!(p.maintenance_irq, Some(irq(25, Sense::LevelHigh)));
    let spin = |release_addr| EnableMethod::SpinTable { release_addr };
    assert_eq!(
        cpus(&p),
        [
            (0, spin(0xd8)),
            (1, spin(0xe0)),
            (2, spin(0xe8)),
            (3, spin(0xf0))
        ]
    );
    assert_eq!(p.psci, None);
    assert_timer(&p, Sense::LevelLow);
    // No PSCI: the board powers off and resets by its PM watchdog, whose
    // reg is a bus address under /soc (0x7e100000 -> 0xfe100000).
    let w = p.pm_watchdog.expect("pm watchdog");
    assert_eq!(
        (w.node, w.compatible, w.regs),
        (
            "watchdog@7e100000",
            "brcm,bcm2711-pm",
            Range::new(0xfe10_0000, 0x114)
        )
    );
    // It has no interrupt, so it is no device; its pages hold no device.
    assert!(p.devices.iter().all(|d| d.name != w.node));
    assert!((0..p.devices.len()).all(|i| p.page_neighbour(i, |_| true) != Some(w.node)));

    // stdout-path = "serial1:115200n8": the mini UART.
    let c = p.console.expect("console");
    assert_eq!(
        (c.kind, c.compatible, c.node),
        (
            ConsoleKind::Bcm2835Aux,
            "brcm,bcm2835-aux-uart",
            "serial@7e215040"
        )
    );
    assert_eq!(
        (c.base, c.size, c.reg_shift, c.reg_io_width),
        (0xfe21_5040, 0x40, 2, 4)
    );
    assert_eq!(
        (c.irq, c.options),
        (Some(irq(125, Sense::LevelHigh)), "115200n8")
    );

    assert_eq!(
        p.memory[..],
        ranges(&[(0, 0x3b40_0000), (0x4000_0000, 0xbc00_0000)])
    );
    // /memreserve/ 0 0x1000 covers the spin tables; reserved-memory has
    // only a reg-less CMA pool and a disabled nvram node.
    assert_eq!(p.reserved[..], ranges(&[(0, 0x1000)]));
    assert_eq!(
        p.usable[..],
        ranges(&[(0x1000, 0x3b3f_f000), (0x4000_0000, 0xbc00_0000)])
    );

    assert_eq!(p.devices.len(), 22);
    let find = |name: &str| p.devices.iter().find(|d| d.name == name);
    let pl011 = find("serial@7e201000").expect("pl011");
    assert_eq!(pl011.regs, [Range::new(0xfe20_1000, 0x200)]);
    assert_eq!(pl011.irqs.get(0), Some(irq(153, Sense::LevelHigh)));
    // Under /emmc2bus, whose children have two address cells.
    assert_eq!(
        find("mmc@7e340000").expect("emmc2").regs,
        [Range::new(0xfe34_0000, 0x100)]
    );
    // Under /scb, a second bus with its own ranges.
    let genet = find("ethernet@7d580000").expect("genet");
    assert_eq!(genet.regs, [Range::new(0xfd58_0000, 0x1_0000)]);
    assert_eq!(
        genet.irqs.iter().map(|i| i.intid).collect::<Vec<_>>(),
        [189, 190]
    );
    let dma = find("dma@7e007000").expect("dma");
    assert_eq!(dma.irqs.len(), 11);
    // The L2 interrupt controller is a GIC device; the HDMI blocks behind
    // it are not (their interrupt-parent is the L2 controller).
    assert_eq!(
        find("interrupt-controller@7ef00100")
            .expect("l2")
            .irqs
            .get(0),
        Some(irq(128, Sense::LevelHigh))
    );
    assert!(find("hdmi@7ef00700").is_none() && find("hdmi@7ef05700").is_none());

    // The mini UART's page also holds the AUX block and its (disabled) SPI
    // siblings: a guest given it alone would reach them too.
    let index = |name: &str| p.devices.iter().position(|d| d.name == name).unwrap();
    let mini = index("serial@7e215040");
    let neighbour = p.page_neighbour(mini, |_| false).expect("a neighbour");
    assert!(
        ["aux@7e215000", "spi@7e215080", "spi@7e2150c0"].contains(&neighbour),
        "{neighbour}"
    );
    // The PL011's page holds only disabled PL011s (uart2..uart5): the
    // same block, driven by nobody, so it may be given.
    let (others, _) = p.devices.others();
    let in_uart0_page: Vec<_> = others
        .iter()
        .filter(|o| o.reg.base & !0xfff == 0xfe20_1000)
        .map(|o| (o.name, o.disabled_kind))
        .collect();
    assert_eq!(
        in_uart0_page,
        [
            ("serial@7e201400", "arm,pl011"),
            ("serial@7e201600", "arm,pl011"),
            ("serial@7e201800", "arm,pl011"),
            ("serial@7e201a00", "arm,pl011")
        ]
    );
    assert_eq!(p.page_neighbour(index("serial@7e201000"), |_| false), None);
    // A device alone in its pages has none: the PCIe controller.
    assert_eq!(p.page_neighbour(index("pcie@7d500000"), |_| false), None);
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn raspberry_pi_4_without_firmware_memory_says_so() {
    let dtb = board("bcm2711-rpi-4-b.dtb");
    let e = discover_at(&dtb, None).unwrap_err();
    assert_eq!(e, Error::NoMemory);
    assert_eq!(
        e.to_string(),
        "no RAM: no memory node has a non-empty reg (the boot loader normally fills it in)"
    );
}

/// A memory node as U-Boot adds it (Debian's blob has none).
const RK3568_MEMORY: &str = "/ { memory@200000 { device_type = \"memory\"; \
    reg = <0x0 0x200000 0x0 0x8200000 0x0 0x9400000 0x0 0xe6c00000 0x1 0x0 0x0 0x0>; }; };";

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn rk3568_evb1() {
    let dtb = amend(&board("rk3568-evb1-v10.dtb"), RK3568_MEMORY);
    let p = discover_at(&dtb, None).unwrap();
    assert_eq!(p.model, "Rockchip RK3568 EVB1 DDR4 V10 Board");
    assert_eq!(p.gic_compatible, "arm,gic-v3");
    let GicInfo::V3 {
        gicd,
        redists,
        redistributor_stride,
        gicv,
    } = p.gic
    else {
        panic!("not v3: {:?}", p.gic)
    };
    assert_eq!(gicd, Range::new(0xfd40_0000, 0x1_0000));
    assert_eq!(redists[..], ranges(&[(0xfd46_0000, 0x8_0000)]));
    assert_eq!((redistributor_stride, gicv), (None, None));
    assert_eq!(p.maintenance_irq, Some(irq(25, Sense::LevelHigh)));
    assert_eq!(
        cpus(&p),
        [0, 0x100, 0x200, 0x300].map(|m| (m, EnableMethod::Psci))
    );
    assert_psci_smc(&p);
    assert_timer(&p, Sense::LevelHigh);

    // stdout-path = "serial2:1500000n8": a DesignWare 16550, 32-bit registers.
    let c = p.console.expect("console");
    assert_eq!(
        (c.kind, c.compatible, c.node),
        (ConsoleKind::Ns16550, "snps,dw-apb-uart", "serial@fe660000")
    );
    assert_eq!(
        (c.base, c.size, c.reg_shift, c.reg_io_width),
        (0xfe66_0000, 0x100, 2, 4)
    );
    assert_eq!(
        (c.irq, c.options),
        (Some(irq(150, Sense::LevelHigh)), "1500000n8")
    );

    // The zero-sized third entry is left out.
    let ram = ranges(&[(0x20_0000, 0x820_0000), (0x940_0000, 0xe6c0_0000)]);
    assert_eq!(p.memory[..], ram);
    assert!(p.reserved.is_empty());
    assert_eq!(p.usable[..], ram);
    assert_eq!(p.devices.len(), 30);
    let vop = p
        .devices
        .iter()
        .find(|d| d.name == "vop@fe040000")
        .expect("vop");
    assert_eq!(
        vop.regs,
        ranges(&[(0xfe04_0000, 0x3000), (0xfe04_4000, 0x1000)])
    );
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn rk3568_without_boot_loader_memory_says_so() {
    assert_eq!(
        discover_at(&board("rk3568-evb1-v10.dtb"), None).unwrap_err(),
        Error::NoMemory
    );
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn odroid_c4() {
    let dtb = board("meson-sm1-odroid-c4.dtb");
    let p = discover_at(&dtb, None).unwrap();
    assert_eq!(p.model, "Hardkernel ODROID-C4");
    assert_eq!(p.gic_compatible, "arm,gic-400");
    assert_eq!(
        p.gic,
        GicInfo::V2 {
            gicd: Range::new(0xffc0_1000, 0x1000),
            gicc: Range::new(0xffc0_2000, 0x2000),
            gich: Some(Range::new(0xffc0_4000, 0x2000)),
            gicv: Some(Range::new(0xffc0_6000, 0x2000)),
        }
    );
    assert_eq!(p.maintenance_irq, Some(irq(25, Sense::LevelHigh)));
    assert_eq!(
        cpus(&p),
        (0..4).map(|i| (i, EnableMethod::Psci)).collect::<Vec<_>>()
    );
    assert_psci_smc(&p);
    assert_timer(&p, Sense::LevelLow);

    // stdout-path = "serial0:115200n8": /soc/bus@ff800000/serial@3000,
    // translated through the AO bus's ranges.
    let c = p.console.expect("console");
    assert_eq!(
        (c.kind, c.compatible, c.node),
        (ConsoleKind::Meson, "amlogic,meson-gx-uart", "serial@3000")
    );
    assert_eq!(
        (c.base, c.size, c.reg_shift, c.reg_io_width),
        (0xff80_3000, 0x18, 0, 4)
    );
    assert_eq!(
        (c.irq, c.options),
        (Some(irq(225, Sense::EdgeRising)), "115200n8")
    );

    assert_eq!(p.memory[..], ranges(&[(0, 0x4000_0000)]));
    // Two secure-monitor carve-outs; the CMA pool has no reg.
    assert_eq!(
        p.reserved[..],
        ranges(&[(0x500_0000, 0x30_0000), (0x530_0000, 0x200_0000)])
    );
    assert_eq!(
        p.usable[..],
        ranges(&[(0, 0x500_0000), (0x730_0000, 0x38d0_0000)])
    );
    assert_eq!(p.devices.len(), 17);
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn gic_node_removed_is_a_clear_error() {
    let dtb = amend(
        &board("qemu-virt-gicv3.dtb"),
        "/ { /delete-node/ intc@8000000; };",
    );
    let e = discover_at(&dtb, None).unwrap_err();
    assert_eq!(e, Error::NoGic);
    assert_eq!(
        e.to_string(),
        "no interrupt controller node compatible with arm,gic-400, arm,cortex-a15-gic or arm,gic-v3"
    );
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn wrong_stdout_path_is_a_clear_error() {
    let dtb = amend(
        &board("qemu-virt-gicv2.dtb"),
        "/ { chosen { stdout-path = \"serial9:115200n8\"; }; };",
    );
    let e = discover_at(&dtb, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/chosen/stdout-path names serial9 which does not exist"
    );
    let dtb = amend(
        &board("qemu-virt-gicv2.dtb"),
        "/ { chosen { stdout-path = \"/pl011@9100000\"; }; };",
    );
    let e = discover_at(&dtb, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/chosen/stdout-path names /pl011@9100000 which does not exist"
    );
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn qemu_blob_at_its_real_address_is_found_by_pointer() {
    // `discover` takes the slice's own address as the blob's physical one.
    let dtb = board("qemu-virt-gicv3.dtb");
    let p = platform::discover(&dtb).unwrap();
    assert_eq!(p.dtb, Some(Range::new(dtb.as_ptr() as u64, 0x10_0000)));
}
