// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Discovery on small synthetic trees (`tests/dts/*.dts`, compiled with
//! `dtc` at test time): address translation, cell sizes, interrupt
//! parents, reserved-memory carving, stdout-path forms, CPU start methods,
//! the clear errors, the fixed limits, and robustness against corrupt
//! blobs.

mod common;

use common::{dtc, dts, dts_with, err, ok};
use platform::{
    discover_at, dtb_size, Conduit, ConsoleKind, EnableMethod, Error, GicInfo, Irq, PsciVersion,
    Range, Sense, MAX_CPUS, MAX_MEMORY, MAX_USABLE,
};

fn ranges(pairs: &[(u64, u64)]) -> Vec<Range> {
    pairs.iter().map(|&(b, s)| Range::new(b, s)).collect()
}

fn irq(intid: u32, sense: Sense) -> Irq {
    Irq { intid, sense }
}

#[test]
fn translates_through_two_levels_of_ranges() {
    let dtb = dts("translate");
    let p = ok(&dtb);
    // soc maps bus address 0x40000000 to 0xff800000.
    assert_eq!(
        p.gic,
        GicInfo::V2 {
            gicd: Range::new(0xff84_1000, 0x1000),
            gicc: Range::new(0xff84_2000, 0x2000),
            gich: Some(Range::new(0xff84_4000, 0x2000)),
            gicv: Some(Range::new(0xff84_6000, 0x2000)),
        }
    );
    let c = p.console.unwrap();
    assert_eq!(
        (c.kind, c.base, c.size),
        (ConsoleKind::Pl011, 0xfe20_1000, 0x200)
    );
    assert_eq!(c.irq, Some(irq(153, Sense::LevelHigh)));
    // bus@7e300000 maps <0x1 0x0> to soc address 0x7e300000, which soc
    // maps to 0xfe300000.
    let mmc = p.devices.iter().find(|d| d.name == "mmc@1,100").unwrap();
    assert_eq!(
        mmc.regs,
        ranges(&[(0xfe30_0100, 0x100), (0xfe30_0200, 0x10)])
    );
    assert_eq!(
        mmc.irqs.iter().collect::<Vec<_>>(),
        [irq(158, Sense::LevelHigh)]
    );
    // Two-cell MPIDRs (Aff3 = 1); the disabled cpu@200 is left out.
    let mpidrs: Vec<u64> = p.cpus.iter().map(|c| c.mpidr).collect();
    assert_eq!(mpidrs, [0, 0x1_0000_0100]);
    assert_eq!(p.cpus[1].node, "cpu@100000100");
    let psci = p.psci.unwrap();
    assert_eq!(
        (psci.conduit, psci.cpu_on, psci.version),
        (Conduit::Hvc, 0xc400_0003, PsciVersion::V0_2)
    );
    // The fifth timer interrupt is the EL2 virtual timer.
    assert_eq!(p.timer.hyp_virt, Some(irq(28, Sense::LevelHigh)));
}

#[test]
fn bus_without_ranges_is_not_translatable() {
    let dtb = dts_with(
        "translate",
        "/ { soc { bus@7e300000 { /delete-property/ ranges; }; }; };",
    );
    let (e, msg) = err(&dtb);
    assert_eq!(
        e,
        Error::NotTranslatable {
            node: "mmc@1,100",
            bus: "bus@7e300000"
        }
    );
    assert_eq!(
        msg,
        "mmc@1,100: address cannot be translated: parent bus bus@7e300000 has no ranges property"
    );
}

#[test]
fn address_outside_every_window_is_an_error() {
    let dtb = dts_with(
        "translate",
        "/ { soc { serial@7e201000 { reg = <0x7d000000 0x200>; }; }; };",
    );
    let (e, msg) = err(&dtb);
    assert_eq!(
        e,
        Error::OutsideRanges {
            node: "serial@7e201000",
            bus: "soc",
            addr: 0x7d00_0000
        }
    );
    assert_eq!(
        msg,
        "serial@7e201000: address 0x7d000000 lies outside every window of soc's ranges"
    );
    // One past the end of the 0x7e000000 window, and its last byte.
    let dtb = dts_with(
        "translate",
        "/ { soc { serial@7e201000 { reg = <0x7f800000 0x200>; }; }; };",
    );
    assert_eq!(
        err(&dtb).0,
        Error::OutsideRanges {
            node: "serial@7e201000",
            bus: "soc",
            addr: 0x7f80_0000
        }
    );
    let dtb = dts_with(
        "translate",
        "/ { soc { serial@7e201000 { reg = <0x7f7fffff 0x1>; }; }; };",
    );
    assert_eq!(ok(&dtb).console.unwrap().base, 0xff7f_ffff);
    let dtb = dts_with(
        "translate",
        "/ { soc { ranges = <0x7e000000 0x0 0xfe000000>; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "soc: property ranges length is not a whole number of (child, parent, size) entries"
    );
}

#[test]
fn malformed_reg_is_an_error() {
    // Absurd cell counts are an error, not an overflow.
    let cells = "/ { soc { #address-cells = <0xffffffff>; #size-cells = <0xffffffff>; }; };";
    let dtb = dts_with("translate", cells);
    let (e, _) = err(&dtb);
    assert!(
        matches!(
            e,
            Error::BadProperty {
                prop: "reg" | "ranges",
                ..
            }
        ),
        "{e}"
    );
    let dtb = dts_with(
        "translate",
        "/ { soc { serial@7e201000 { reg = <0x7e201000>; }; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "serial@7e201000: property reg length is not a whole number of (address, size) entries"
    );
    let dtb = dts_with(
        "reserved",
        "/ { memory@80000000 { reg = <0xffffffff 0xffff0000 0x0 0x10000000>; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "memory@80000000: property reg runs past the top of the 64-bit address space"
    );
}

#[test]
fn one_address_cell_gicv3_and_spin_tables() {
    let dtb = dts("cells1");
    let p = ok(&dtb);
    let GicInfo::V3 {
        gicd,
        redists,
        redistributor_stride,
        gicv,
    } = p.gic
    else {
        panic!("{:?}", p.gic)
    };
    assert_eq!(gicd, Range::new(0x300_0000, 0x1_0000));
    assert_eq!(
        redists[..],
        ranges(&[(0x310_0000, 0x8_0000), (0x320_0000, 0x4_0000)])
    );
    assert_eq!(redistributor_stride, Some(0x4_0000));
    assert_eq!(gicv, Some(Range::new(0x332_0000, 0x2000)));
    // Four interrupt cells: the fourth (PPI partition) is ignored.
    assert_eq!(p.maintenance_irq, Some(irq(25, Sense::LevelHigh)));
    assert_eq!(p.timer.virt, irq(27, Sense::LevelLow));
    let cpus: Vec<_> = p.cpus.iter().map(|c| (c.mpidr, c.enable)).collect();
    assert_eq!(
        cpus,
        [
            (0, EnableMethod::Absent),
            (
                1,
                EnableMethod::SpinTable {
                    release_addr: 0x8000_fff8
                }
            ),
            // "foo" is skipped for the supported method after it.
            (
                0x101,
                EnableMethod::SpinTable {
                    release_addr: 0x8000_fff0
                }
            ),
        ]
    );
    assert_eq!(p.psci, None);
    let c = p.console.unwrap();
    assert_eq!(
        (c.kind, c.compatible, c.base, c.size),
        (ConsoleKind::Ns16550, "snps,dw-apb-uart", 0x1c2_8000, 0x400)
    );
    assert_eq!((c.reg_shift, c.reg_io_width, c.options), (2, 4, "115200n8"));
    assert_eq!(c.irq, Some(irq(32, Sense::LevelHigh)));
    assert_eq!(p.memory[..], ranges(&[(0x8000_0000, 0x2000_0000)]));
    assert_eq!(p.usable[..], ranges(&[(0x8001_0000, 0x1fff_0000)]));
}

#[test]
fn interrupt_parents_decide_what_is_a_gic_device() {
    let dtb = dts("irq-parent");
    let p = ok(&dtb);
    let devices: Vec<(&str, Vec<Range>, Vec<Irq>)> = p
        .devices
        .iter()
        .map(|d| (d.compatible, d.regs.to_vec(), d.irqs.iter().collect()))
        .collect();
    let level = |i| irq(i, Sense::LevelHigh);
    assert_eq!(
        devices,
        [
            // Its own interrupt goes to the GIC, though it is a controller.
            ("test,intc", ranges(&[(0x4000, 0x100)]), vec![level(33)]),
            // Inherits the root's interrupt-parent.
            (
                "test,direct",
                ranges(&[(0x5000, 0x100)]),
                vec![level(34), irq(35, Sense::EdgeRising)]
            ),
            // Its bus sends interrupts to intc2, but it names the GIC.
            ("test,back", ranges(&[(0x11000, 0x100)]), vec![level(36)]),
            // interrupts-extended, all to the GIC.
            (
                "test,ext",
                ranges(&[(0x7000, 0x100)]),
                vec![level(37), irq(18, Sense::LevelLow)]
            ),
        ]
    );
    // other@6000, inherits@10000 (intc2), mixed@8000 (one entry to intc2),
    // disabled, noirq, hidden (not on a simple-bus), gone (disabled bus),
    // behind-nexus (its bus is its interrupt parent) are not devices;
    // neither is the GIC.
    // The console (an alias plus a sub-path) interrupts intc2: no IRQ.
    let c = p.console.unwrap();
    assert_eq!(
        (c.kind, c.node, c.base, c.reg_shift, c.reg_io_width),
        (ConsoleKind::Ns16550, "uart@12000", 0x12000, 0, 1)
    );
    assert_eq!((c.irq, c.options), (None, "9600"));
    // PSCI 0.1 takes CPU_ON from the node.
    let psci = p.psci.unwrap();
    assert_eq!(
        (psci.cpu_on, psci.version),
        (0x8400_0003, PsciVersion::V0_1)
    );
    // A GICv2 without the virtualization frames.
    assert!(matches!(
        p.gic,
        GicInfo::V2 {
            gich: None,
            gicv: None,
            ..
        }
    ));
    assert_eq!(p.maintenance_irq, None);
}

#[test]
fn missing_phandle_in_interrupts_extended_is_an_error() {
    let dtb = dts_with(
        "irq-parent",
        "/ { mixed@8000 { interrupts-extended = <&gic 0 6 4>, <0x77 3>; }; };",
    );
    assert_eq!(
        err(&dtb).0,
        Error::NoSuchPhandle {
            node: "mixed@8000",
            phandle: 0x77
        }
    );
}

#[test]
fn reserved_memory_is_carved_with_overlaps() {
    let dtb = dts("reserved");
    let size = dtb_size(dtb[..8].try_into().unwrap()).unwrap() as u64;
    assert_eq!(size, dtb.len() as u64);
    let mut p = discover_at(&dtb, Some(0x9800_0000)).unwrap();
    assert_eq!(
        p.memory[..],
        ranges(&[
            (0x8000_0000, 0x1000_0000),
            (0x9000_0000, 0x1000_0000),
            (0x1_0000_0000, 0x4000_0000)
        ])
    );
    // /memreserve/ first, then reserved-memory children with reg; the
    // disabled one and the reg-less CMA pool are not there.
    assert_eq!(
        p.reserved[..],
        ranges(&[
            (0x8000_0000, 0x1000),
            (0x8000_0800, 0x2000),
            (0x8fff_0000, 0x2_0000),
            (0x8fff_8000, 0x1000),
            (0x4000_0000, 0x1000),
            (0x1_3fff_0000, 0x1_0000),
        ])
    );
    assert_eq!(p.dtb, Some(Range::new(0x9800_0000, size)));
    // The adjacent RAM ranges merge; the carve-out straddling their join
    // splits them again; the blob is cut out of the second.
    let expected = [
        (0x8000_2800, 0x8fff_0000 - 0x8000_2800),
        (0x9001_0000, 0x9800_0000 - 0x9001_0000),
        (0x9800_0000 + size, 0xa000_0000 - 0x9800_0000 - size),
        (0x1_0000_0000, 0x3fff_0000),
    ];
    assert_eq!(p.usable[..], ranges(&expected));

    // The hypervisor removes its own image.
    p.exclude(Range::new(0x8020_0000, 0x10_0000)).unwrap();
    assert_eq!(
        p.usable[0],
        Range::new(0x8000_2800, 0x8020_0000 - 0x8000_2800)
    );
    assert_eq!(
        p.usable[1],
        Range::new(0x8030_0000, 0x8fff_0000 - 0x8030_0000)
    );
    assert_eq!(p.usable.len(), 5);

    // Exclusions past the capacity fail and leave `usable` as it was.
    let mut i = 0;
    let e = loop {
        match p.exclude(Range::new(0x1_0000_0000 + 0x1000 * (2 * i + 1), 0x1000)) {
            Ok(()) => i += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(p.usable.len(), MAX_USABLE);
    assert_eq!(i as usize, MAX_USABLE - 5);
    assert_eq!(
        e.to_string(),
        format!(
            "more than {MAX_USABLE} usable memory ranges: raise the limit in the platform crate"
        )
    );
}

#[test]
fn stdout_path_forms() {
    // A full path with options.
    let dtb = dts_with(
        "translate",
        "/ { chosen { stdout-path = \"/soc/serial@7e201000:115200n8\"; }; };",
    );
    let c = ok(&dtb).console.unwrap();
    assert_eq!((c.node, c.options), ("serial@7e201000", "115200n8"));
    // An alias.
    let alias = "/ { aliases { serial3 = \"/soc/serial@7e201000\"; }; chosen { stdout-path = \"serial3\"; }; };";
    let dtb = dts_with("translate", alias);
    assert_eq!(ok(&dtb).console.unwrap().base, 0xfe20_1000);
    // Only the older linux,stdout-path.
    let legacy = "/ { chosen { /delete-property/ stdout-path; linux,stdout-path = \"/soc/serial@7e201000\"; }; };";
    let dtb = dts_with("translate", legacy);
    assert_eq!(ok(&dtb).console.unwrap().node, "serial@7e201000");
    // Neither: no console, the hypervisor boots silent.
    let dtb = dts_with(
        "translate",
        "/ { chosen { /delete-property/ stdout-path; }; };",
    );
    assert_eq!(ok(&dtb).console, None);
    let dtb = dts_with("translate", "/ { /delete-node/ chosen; };");
    assert_eq!(ok(&dtb).console, None);
    // A path one component short, or naming the wrong unit address.
    for (path, missing) in [
        ("/serial@7e201000", "/serial@7e201000"),
        ("/soc/serial@7e201001", "/soc/serial@7e201001"),
    ] {
        let dtb = dts_with(
            "translate",
            &format!("/ {{ chosen {{ stdout-path = \"{path}\"; }}; }};"),
        );
        assert_eq!(err(&dtb).0, Error::NoSuchConsole { path: missing });
    }
}

#[test]
fn unsupported_console_says_which_uart() {
    let dtb = dts_with(
        "translate",
        "/ { soc { serial@7e201000 { compatible = \"vendor,uart\"; }; }; };",
    );
    let (e, msg) = err(&dtb);
    assert_eq!(
        e,
        Error::UnsupportedConsole {
            node: "serial@7e201000",
            compatible: "vendor,uart"
        }
    );
    assert!(msg.starts_with("console serial@7e201000 (compatible \"vendor,uart\") is not a supported UART: need arm,pl011"), "{msg}");
    let dtb = dts_with("cells1", "/ { serial@1c28000 { reg-io-width = <3>; }; };");
    assert_eq!(
        err(&dtb).1,
        "serial@1c28000: property reg-io-width is not 1, 2 or 4"
    );
}

#[test]
fn cpu_errors_name_the_cpu() {
    let dtb = dts_with(
        "translate",
        "/ { cpus { cpu@0 { enable-method = \"foo\"; }; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "cpu@0: enable-method \"foo\" is not supported (need psci or spin-table)"
    );
    let dtb = dts_with(
        "cells1",
        "/ { cpus { cpu@1 { /delete-property/ cpu-release-addr; }; }; };",
    );
    assert_eq!(err(&dtb).1, "cpu@1: no cpu-release-addr property");
    let dtb = dts_with("translate", "/ { /delete-node/ psci; };");
    assert_eq!(
        err(&dtb).1,
        "cpu@0: enable-method is psci but there is no node compatible with arm,psci"
    );
    let dtb = dts_with("translate", "/ { psci { method = \"svc\"; }; };");
    assert_eq!(
        err(&dtb).1,
        "psci: PSCI method \"svc\" is not supported (need smc or hvc)"
    );
    let dtb = dts_with(
        "translate",
        "/ { cpus { cpu@0 { reg = <0x1 0x100>; }; }; };",
    );
    assert_eq!(
        err(&dtb).0,
        Error::BadMpidr {
            node: "cpu@100000100",
            mpidr: 0x1_0000_0100,
            duplicate: true
        }
    );
    let dtb = dts_with(
        "translate",
        "/ { cpus { cpu@0 { reg = <0x0 0x1000000>; }; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "cpu@0: reg 0x1000000 is not an MPIDR affinity value"
    );
    let dtb = dts_with("translate", "/ { /delete-node/ cpus; };");
    assert_eq!(err(&dtb).0, Error::NoCpus);
}

#[test]
fn timer_and_gic_errors() {
    let dtb = dts_with("translate", "/ { /delete-node/ timer; };");
    assert_eq!(
        err(&dtb).1,
        "no timer node compatible with arm,armv8-timer or arm,armv7-timer"
    );
    let dtb = dts_with(
        "translate",
        "/ { timer { interrupts = <1 13 4>, <1 14 4>, <1 11 4>; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "timer: property interrupts has fewer than 4 entries (secure, non-secure, virtual and hypervisor timers)"
    );
    let dtb = dts_with("translate", "/ { timer { interrupt-parent = <0x99>; }; };");
    assert_eq!(err(&dtb).1, "timer: interrupts are not routed to the GIC");
    let dtb = dts_with(
        "translate",
        "/ { soc { serial@7e201000 { interrupts = <0 121 3>; }; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "serial@7e201000: GIC interrupt trigger flags 0x3 are not 1, 2, 4 or 8"
    );
    let dtb = dts_with(
        "translate",
        "/ { soc { serial@7e201000 { interrupts = <5 1 4>; }; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "serial@7e201000: GIC interrupt type 5 number 1 is not a valid SPI or PPI"
    );
    let dtb = dts_with(
        "cells1",
        "/ { interrupt-controller@3000000 { #redistributor-regions = <5>; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "interrupt-controller@3000000: property #redistributor-regions is not between 1 and 4"
    );
    let dtb = dts_with(
        "cells1",
        "/ { interrupt-controller@3000000 { reg = <0x3000000 0x10000>; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "interrupt-controller@3000000: property reg has fewer redistributor regions than #redistributor-regions"
    );
    let dtb = dts_with(
        "irq-parent",
        "/ { interrupt-controller@1000 { reg = <0x1000 0x1000>; }; };",
    );
    assert_eq!(
        err(&dtb).1,
        "interrupt-controller@1000: property reg has no second entry (need the CPU interface GICC)"
    );
    // A GIC node that is disabled does not count.
    let dtb = dts_with(
        "irq-parent",
        "/ { interrupt-controller@1000 { status = \"disabled\"; }; };",
    );
    assert_eq!(err(&dtb).0, Error::NoGic);
}

/// `count` extra nodes produced by `node(i)` under `parent`, as source.
fn many(parent: &str, count: usize, node: impl Fn(usize) -> String) -> String {
    let nodes: String = (0..count).map(node).collect();
    format!("/ {{ {parent} {{ {nodes} }}; }};")
}

#[test]
fn limits_are_errors_not_truncation() {
    let cpus = many("cpus", MAX_CPUS, |i| {
        format!(
            "cpu@{:x} {{ device_type = \"cpu\"; reg = <0x{:x}>; enable-method = \"psci\"; }};",
            i + 1,
            i + 1
        )
    });
    // 64 new ones plus cpu@0.
    let dtb = dts_with("reserved", &cpus);
    let (e, msg) = err(&dtb);
    assert_eq!(
        e,
        Error::TooMany {
            what: "CPUs",
            limit: MAX_CPUS
        }
    );
    assert_eq!(
        msg,
        "more than 64 CPUs: raise the limit in the platform crate"
    );
    // Exactly 64 is fine.
    let cpus = many("cpus", MAX_CPUS - 1, |i| {
        format!(
            "cpu@{:x} {{ device_type = \"cpu\"; reg = <0x{:x}>; enable-method = \"psci\"; }};",
            i + 1,
            i + 1
        )
    });
    assert_eq!(ok(&dts_with("reserved", &cpus)).cpus.len(), MAX_CPUS);

    let memory: String = (0..MAX_MEMORY)
        .map(|i| {
            format!(
                "memory@{0:x} {{ device_type = \"memory\"; reg = <0x2 0x{0:x} 0x0 0x1000>; }};",
                i << 16
            )
        })
        .collect();
    let dtb = dts_with("reserved", &format!("/ {{ {memory} }};"));
    let (e, _) = err(&dtb);
    assert_eq!(
        e,
        Error::TooMany {
            what: "memory ranges",
            limit: MAX_MEMORY
        }
    );
}

#[test]
fn too_deep_nesting_is_an_error() {
    let mut deep = String::new();
    for i in 0..20 {
        deep.push_str(&format!("n{i} {{ "));
    }
    deep.push_str(&"}; ".repeat(20));
    let dtb = dts_with("reserved", &format!("/ {{ {deep} }};"));
    assert_eq!(err(&dtb).1, "n15: nodes nest deeper than 16 levels");
}

#[test]
fn garbage_and_corruption_give_errors_never_panics() {
    assert_eq!(
        err(&[]).1,
        "not a valid device tree blob: header is truncated (at byte 0x0)"
    );
    assert_eq!(
        err(b"not a device tree at all, not even close.").1,
        "not a valid device tree blob: no FDT magic 0xd00dfeed (at byte 0x0)"
    );
    let dtb = dts("irq-parent");
    // Cut short: the header's totalsize no longer fits the buffer.
    for len in 0..dtb.len() {
        assert!(
            discover_at(&dtb[..len], None).is_err(),
            "accepted {len} bytes"
        );
    }
    // Every byte replaced by a few values: anything may come out, but
    // nothing may panic or loop.
    let mut copy = dtb.clone();
    let mut accepted = 0;
    for i in 0..dtb.len() {
        for v in [0x00, 0xff, dtb[i] ^ 0x01, dtb[i] ^ 0x80] {
            copy[i] = v;
            accepted += usize::from(discover_at(&copy, None).is_ok());
        }
        copy[i] = dtb[i];
    }
    // Flips inside values and names are often harmless; flips in the
    // header and tokens are not.
    assert!(accepted > 0 && accepted < 4 * dtb.len(), "{accepted}");
}

#[test]
fn dtb_size_reads_the_header_of_a_real_blob() {
    let dtb = dtc("/dts-v1/; / { };");
    assert_eq!(dtb_size(dtb[..8].try_into().unwrap()), Some(dtb.len()));
    let mut bad = dtb.clone();
    bad[0] = 0;
    assert_eq!(dtb_size(bad[..8].try_into().unwrap()), None);
}

#[test]
fn guest_ram_is_carved_from_the_top_of_a_range_that_holds_it() {
    const MIB2: u64 = 2 << 20;
    let dtb = dts("reserved");
    let p = discover_at(&dtb, Some(0x9800_0000)).unwrap();
    // The top usable range is [0x1_0000_0000, 0x1_3fff_0000): its end is
    // not 2 MiB aligned, so the carve rounds down.
    assert_eq!(
        p.usable.last(),
        Some(&Range::new(0x1_0000_0000, 0x3fff_0000))
    );
    assert_eq!(p.carve_top(MIB2, MIB2), Some(0x1_3fc0_0000));
    assert_eq!(p.carve_top(0x3fe0_0000, MIB2), Some(0x1_0000_0000));
    assert_eq!(p.carve_top(0x3fe0_0000 + MIB2, MIB2), None);
    assert_eq!(p.carve_top(0x1000, 0x1000), Some(0x1_3ffe_f000));
    // A top range too small for the guest: the next one down that holds it.
    let dtb = dts_with(
        "reserved",
        "/ { memory@100000000 { reg = <0x1 0x0 0x0 0x400000>; }; };",
    );
    let p = discover_at(&dtb, Some(0x9800_0000)).unwrap();
    assert_eq!(p.usable.last(), Some(&Range::new(0x1_0000_0000, 0x40_0000)));
    assert_eq!(p.carve_top(4 << 20, MIB2), Some(0x1_0000_0000));
    assert_eq!(p.carve_top(6 << 20, MIB2), Some(0xa000_0000 - (6 << 20)));
    // From the bottom: the first range starts at 0x8000_2800, so the first
    // 2 MiB-aligned base is 0x8020_0000.
    assert_eq!(p.carve_bottom(MIB2, MIB2), Some(0x8020_0000));
    assert_eq!(p.carve_bottom(0x1000, 0x1000), Some(0x8000_3000));
    // No 1 GiB-aligned base in the low ranges: the next that holds one.
    assert_eq!(p.carve_bottom(4 << 20, 1 << 30), Some(0x1_0000_0000));
    assert_eq!(p.carve_bottom(0x1000_0000, MIB2), None);
}

/// The power-management watchdog of a board without PSCI firmware, by
/// either binding: the PM block is the first reg, translated; a disabled
/// one is not used; one too small for the reset registers is an error.
#[test]
fn the_pm_watchdog_is_found_by_either_binding() {
    let new =
        "/ { soc { watchdog@7e100000 { compatible = \"brcm,bcm2711-pm\", \"brcm,bcm2835-pm-wdt\"; \
        reg = <0x7e100000 0x114>, <0x7e00a000 0x24>; reg-names = \"pm\", \"asb\"; }; }; };";
    let dtb = dts_with("translate", new);
    let w = ok(&dtb).pm_watchdog.expect("watchdog");
    assert_eq!(
        (w.node, w.compatible, w.regs),
        (
            "watchdog@7e100000",
            "brcm,bcm2711-pm",
            Range::new(0xfe10_0000, 0x114)
        )
    );
    let old = "/ { soc { watchdog@7e100000 { compatible = \"brcm,bcm2835-pm-wdt\"; reg = <0x7e100000 0x28>; }; }; };";
    let dtb = dts_with("translate", old);
    let w = ok(&dtb).pm_watchdog.expect("watchdog");
    assert_eq!(
        (w.compatible, w.regs),
        ("brcm,bcm2835-pm-wdt", Range::new(0xfe10_0000, 0x28))
    );
    // No interrupts: not a device, so never in the device list.
    assert!(ok(&dtb).devices.iter().all(|d| d.name != w.node));

    let off = "/ { soc { watchdog@7e100000 { compatible = \"brcm,bcm2835-pm\"; reg = <0x7e100000 0x114>; status = \"disabled\"; }; }; };";
    assert_eq!(ok(&dts_with("translate", off)).pm_watchdog, None);
    assert_eq!(ok(&dts("translate")).pm_watchdog, None);

    let small = "/ { soc { watchdog@7e100000 { compatible = \"brcm,bcm2835-pm\"; reg = <0x7e100000 0x24>; }; }; };";
    let dtb = dts_with("translate", small);
    let (e, msg) = err(&dtb);
    assert!(
        matches!(
            e,
            Error::BadProperty {
                node: "watchdog@7e100000",
                prop: "reg",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(msg.contains("PM_WDOG"), "{msg}");
}

/// A watchdog node with an interrupt on the GIC is a device, but the
/// hypervisor keeps it, as it keeps its console.
#[test]
fn the_pm_watchdog_and_the_console_are_kept() {
    let wdt = "/ { soc { watchdog@7e100000 { compatible = \"brcm,bcm2835-pm\"; reg = <0x7e100000 0x114>; interrupts = <0 60 4>; }; }; };";
    let dtb = dts_with("translate", wdt);
    let p = ok(&dtb);
    let index = |name: &str| p.devices.iter().position(|d| d.name == name).unwrap();
    assert_eq!(
        p.kept(index("watchdog@7e100000")),
        Some(platform::Kept::PowerController)
    );
    assert_eq!(
        p.kept(index("serial@7e201000")),
        Some(platform::Kept::Console)
    );
    assert_eq!(p.kept(index("mmc@1,100")), None);
    assert_eq!(p.kept(p.devices.len()), None);
}

/// A disabled node in a device's page keeps the device from a guest,
/// unless it is another instance of the device's own kind (same first
/// compatible), as the Raspberry Pi 4's uart2..uart5 beside uart0.
#[test]
fn only_disabled_instances_of_the_same_kind_may_share_a_page() {
    let sibling = |compatible: &str, status: &str| {
        format!("/ {{ soc {{ serial@7e201400 {{ compatible = {compatible}; reg = <0x7e201400 0x200>; interrupts = <0 121 4>; status = \"{status}\"; }}; }}; }};")
    };
    let uart0 = |dtb: &[u8]| {
        let p = platform::discover_at(dtb, None).unwrap();
        let i = p
            .devices
            .iter()
            .position(|d| d.name == "serial@7e201000")
            .unwrap();
        p.page_neighbour(i, |_| false).map(str::to_string)
    };
    let same = dts_with(
        "translate",
        &sibling("\"arm,pl011\", \"arm,primecell\"", "disabled"),
    );
    assert_eq!(uart0(&same), None);
    let other = dts_with("translate", &sibling("\"acme,dma\"", "disabled"));
    assert_eq!(uart0(&other).as_deref(), Some("serial@7e201400"));
    // Available, it is a device of its own: given only if asked for too.
    let on = dts_with("translate", &sibling("\"arm,pl011\"", "okay"));
    assert_eq!(uart0(&on).as_deref(), Some("serial@7e201400"));
    let secondary = dts_with(
        "translate",
        &sibling("\"arm,primecell\", \"arm,pl011\"", "disabled"),
    );
    assert_eq!(uart0(&secondary).as_deref(), Some("serial@7e201400"));
}
