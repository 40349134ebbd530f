// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The guest device tree, read back with the `fdt` crate and with `dtc`:
//! every node and property the spec lists, for a 4-vCPU guest with a
//! PL011, a PL031, two virtio-mmio transports and an initrd; the variants
//! (no console, no initrd, devices without interrupts or clocks); the node
//! names the Linux binding uses; the largest guests.

use super::dtc::decompile;
use crate::desc::{GuestDesc, GuestDevice, MAX_VCPUS};
use crate::guest_dt::{guest_dt, RVIC_NODE, RVID_NODE, TIMER_INTIDS, VTIMER_INTID};
use crate::layout::DTB_MAX;
use std::format;
use std::string::String;
use std::vec::Vec;

pub(super) const DEVICES: [GuestDevice<'static>; 4] = [
    GuestDevice {
        name: "pl011@9000000",
        compatible: b"arm,pl011\0arm,primecell\0",
        regs: &[(0x900_0000, 0x1000)],
        irqs: &[(0, false)],
        clocks: &[],
        props: &[],
    },
    GuestDevice {
        name: "pl031@9010000",
        compatible: b"arm,pl031\0arm,primecell\0",
        regs: &[(0x901_0000, 0x1000)],
        irqs: &[(1, false)],
        clocks: &[],
        props: &[],
    },
    GuestDevice {
        name: "virtio_mmio@a000400",
        compatible: b"virtio,mmio\0",
        regs: &[(0xa00_0400, 0x200)],
        irqs: &[(4, true)],
        clocks: &[],
        props: &[],
    },
    GuestDevice {
        name: "virtio_mmio@a000600",
        compatible: b"virtio,mmio\0",
        regs: &[(0xa00_0600, 0x200)],
        irqs: &[(5, true)],
        clocks: &[],
        props: &[],
    },
];

const INITRD: (u64, u64) = (0x5fdf_e000, 0x1388);
const BOOTARGS: &str = "console=ttyAMA0 earlycon rdinit=/init";

/// A 4-vCPU guest with 512 MiB of RAM, an initrd and the PL011 as console.
pub(super) fn qemu_desc<'a>(devices: &'a [GuestDevice<'a>]) -> GuestDesc<'a> {
    GuestDesc {
        ram: (0x4000_0000, 0x2000_0000),
        vcpus: 4,
        bootargs: BOOTARGS,
        initrd: Some(INITRD),
        devices,
        console: Some(0),
        rvic_t: 32,
        rvic_u: 64,
    }
}

fn s(v: &str) -> Vec<u8> {
    strs(&[v])
}

fn strs(v: &[&str]) -> Vec<u8> {
    v.iter().flat_map(|s| s.bytes().chain([0])).collect()
}

fn c(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

fn q(v: &[u64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// The node at `path` has exactly these properties, in this order.
fn assert_props(fdt: &fdt::Fdt<'_>, path: &str, want: &[(&str, Vec<u8>)]) {
    let node = fdt
        .find_node(path)
        .unwrap_or_else(|| panic!("no node {path}"));
    let got: Vec<(&str, Vec<u8>)> = node
        .properties()
        .map(|p| (p.name, p.value.to_vec()))
        .collect();
    let want: Vec<(&str, Vec<u8>)> = want.iter().map(|(n, v)| (*n, v.clone())).collect();
    assert_eq!(got, want, "properties of {path}");
}

fn children(fdt: &fdt::Fdt<'_>, path: &str) -> Vec<String> {
    let node = fdt.find_node(path).unwrap();
    node.children().map(|n| String::from(n.name)).collect()
}

/// The phandle values the tree uses, read from the nodes themselves.
fn phandle(fdt: &fdt::Fdt<'_>, path: &str) -> u32 {
    let p = fdt.find_node(path).unwrap().property("phandle").unwrap();
    u32::from_be_bytes(p.value.try_into().unwrap())
}

#[test]
fn every_node_and_property_of_the_spec() {
    let blob = guest_dt(&qemu_desc(&DEVICES));
    let fdt = fdt::Fdt::new(&blob).expect("a valid FDT");
    let rvic_path = format!("/{RVIC_NODE}");
    let rvid_path = format!("/{RVID_NODE}");
    let (rvic, rvid, pclk) = (
        phandle(&fdt, &rvic_path),
        phandle(&fdt, &rvid_path),
        phandle(&fdt, "/apb-pclk"),
    );
    let mut phandles = [rvic, rvid, pclk];
    phandles.sort_unstable();
    assert!(phandles[0] != 0 && phandles[0] < phandles[1] && phandles[1] < phandles[2]);

    assert_eq!(
        children(&fdt, "/"),
        [
            "chosen",
            "memory@40000000",
            "cpus",
            "psci",
            "interrupt-controller",
            "interrupt-controller-rvid",
            "timer",
            "apb-pclk",
            "pl011@9000000",
            "pl031@9010000",
            "virtio_mmio@a000400",
            "virtio_mmio@a000600",
        ]
    );
    assert_props(
        &fdt,
        "/",
        &[
            ("#address-cells", c(&[2])),
            ("#size-cells", c(&[2])),
            ("compatible", s("linux,dummy-virt")),
            ("model", s("rvhyp guest")),
            ("interrupt-parent", c(&[rvic])),
        ],
    );
    assert_props(
        &fdt,
        "/chosen",
        &[
            ("bootargs", s(BOOTARGS)),
            ("stdout-path", s("/pl011@9000000")),
            ("linux,initrd-start", q(&[0x5fdf_e000])),
            ("linux,initrd-end", q(&[0x5fdf_f388])),
        ],
    );
    assert_props(
        &fdt,
        "/memory@40000000",
        &[
            ("device_type", s("memory")),
            ("reg", q(&[0x4000_0000, 0x2000_0000])),
        ],
    );
    assert_eq!(
        children(&fdt, "/cpus"),
        ["cpu@0", "cpu@1", "cpu@2", "cpu@3"]
    );
    assert_props(
        &fdt,
        "/cpus",
        &[("#address-cells", c(&[1])), ("#size-cells", c(&[0]))],
    );
    for i in 0..4 {
        assert_props(
            &fdt,
            &format!("/cpus/cpu@{i}"),
            &[
                ("device_type", s("cpu")),
                ("compatible", s("arm,armv8")),
                ("reg", c(&[i])),
                ("enable-method", s("psci")),
            ],
        );
    }
    assert_props(
        &fdt,
        "/psci",
        &[
            ("compatible", strs(&["arm,psci-1.0", "arm,psci-0.2"])),
            ("method", s("hvc")),
        ],
    );
    assert_props(
        &fdt,
        &rvic_path,
        &[
            ("compatible", s("arm,rvic")),
            ("interrupt-controller", Vec::new()),
            ("#address-cells", c(&[0])),
            ("#interrupt-cells", c(&[2])),
            ("phandle", c(&[rvic])),
        ],
    );
    assert_props(
        &fdt,
        &rvid_path,
        &[
            ("compatible", s("arm,rvid")),
            ("interrupt-controller", Vec::new()),
            ("#address-cells", c(&[0])),
            ("#interrupt-cells", c(&[2])),
            ("interrupt-parent", c(&[rvic])),
            ("phandle", c(&[rvid])),
        ],
    );
    assert_props(
        &fdt,
        "/timer",
        &[
            ("compatible", s("arm,armv8-timer")),
            ("interrupts", c(&[29, 4, 30, 4, 27, 4, 26, 4])),
        ],
    );
    assert_props(
        &fdt,
        "/apb-pclk",
        &[
            ("compatible", s("fixed-clock")),
            ("#clock-cells", c(&[0])),
            ("clock-frequency", c(&[24_000_000])),
            ("clock-output-names", s("clk24mhz")),
            ("phandle", c(&[pclk])),
        ],
    );
    assert_props(
        &fdt,
        "/pl011@9000000",
        &[
            ("compatible", strs(&["arm,pl011", "arm,primecell"])),
            ("reg", q(&[0x900_0000, 0x1000])),
            ("interrupt-parent", c(&[rvid])),
            ("interrupts", c(&[0, 4])),
            ("clocks", c(&[pclk, pclk])),
            ("clock-names", strs(&["uartclk", "apb_pclk"])),
        ],
    );
    assert_props(
        &fdt,
        "/pl031@9010000",
        &[
            ("compatible", strs(&["arm,pl031", "arm,primecell"])),
            ("reg", q(&[0x901_0000, 0x1000])),
            ("interrupt-parent", c(&[rvid])),
            ("interrupts", c(&[1, 4])),
            ("clocks", c(&[pclk])),
            ("clock-names", s("apb_pclk")),
        ],
    );
    for (name, base, input) in [
        ("virtio_mmio@a000400", 0xa00_0400, 4),
        ("virtio_mmio@a000600", 0xa00_0600, 5),
    ] {
        assert_props(
            &fdt,
            &format!("/{name}"),
            &[
                ("compatible", s("virtio,mmio")),
                ("reg", q(&[base, 0x200])),
                ("interrupt-parent", c(&[rvid])),
                ("interrupts", c(&[input, 1])),
                ("dma-coherent", Vec::new()),
            ],
        );
    }
    // Leaves have no children.
    for leaf in ["/chosen", "/psci", "/timer", "/pl011@9000000"] {
        assert!(children(&fdt, leaf).is_empty(), "{leaf}");
    }
}

/// The same tree as the `fdt` crate's standard accessors see it: the
/// phandles resolve, stdout-path finds the UART, the cpus are numbered.
#[test]
fn standard_accessors_resolve_the_tree() {
    let blob = guest_dt(&qemu_desc(&DEVICES));
    let fdt = fdt::Fdt::new(&blob).unwrap();
    assert_eq!(fdt.chosen().bootargs(), Some(BOOTARGS));
    assert_eq!(fdt.chosen().stdout().unwrap().name, "pl011@9000000");
    let ids: Vec<usize> = fdt.cpus().map(|c| c.ids().first()).collect();
    assert_eq!(ids, [0, 1, 2, 3]);
    let mem = fdt.memory().regions().next().unwrap();
    assert_eq!(
        (mem.starting_address as usize, mem.size),
        (0x4000_0000, Some(0x2000_0000))
    );
    let uart = fdt.find_node("/pl011@9000000").unwrap();
    assert_eq!(uart.interrupt_parent().unwrap().name, RVID_NODE);
    let rvid = fdt.find_node(&format!("/{RVID_NODE}")).unwrap();
    assert_eq!(rvid.interrupt_parent().unwrap().name, RVIC_NODE);
    assert_eq!(rvid.interrupt_cells(), Some(2));
    assert_eq!(fdt.find_compatible(&["arm,rvic"]).unwrap().name, RVIC_NODE);
    assert_eq!(TIMER_INTIDS[2], VTIMER_INTID);
    assert_eq!(fdt.total_size(), blob.len());
}

#[test]
fn dtc_reads_it_without_a_warning() {
    let (source, warnings) = decompile(&guest_dt(&qemu_desc(&DEVICES)));
    assert_eq!(warnings, "", "dtc warned about the guest device tree");
    for line in [
        "stdout-path = \"/pl011@9000000\";",
        "interrupts = <0x1d 0x04 0x1e 0x04 0x1b 0x04 0x1a 0x04>;",
        "compatible = \"arm,psci-1.0\\0arm,psci-0.2\";",
        "interrupt-controller-rvid {",
    ] {
        assert!(source.contains(line), "{line} not in\n{source}");
    }
}

#[test]
fn what_is_left_out_when_absent() {
    let bare = [
        // A PrimeCell device that is not a UART: one clock.
        GuestDevice {
            name: "pl061@9030000",
            compatible: b"arm,pl061\0arm,primecell\0",
            regs: &[(0x903_0000, 0x1000)],
            irqs: &[(3, false)],
            clocks: &[],
            props: &[],
        },
        // Not a PrimeCell, no interrupts, two reg ranges.
        GuestDevice {
            name: "flash@0",
            compatible: b"cfi-flash\0",
            regs: &[(0, 0x400_0000), (0x400_0000, 0x400_0000)],
            irqs: &[],
            clocks: &[],
            props: &[],
        },
    ];
    let mut desc = qemu_desc(&bare);
    desc.console = None;
    desc.initrd = None;
    desc.bootargs = "";
    desc.vcpus = 1;
    let blob = guest_dt(&desc);
    let fdt = fdt::Fdt::new(&blob).unwrap();
    assert_props(&fdt, "/chosen", &[("bootargs", s(""))]);
    assert_eq!(children(&fdt, "/cpus"), ["cpu@0"]);
    let pclk = phandle(&fdt, "/apb-pclk");
    let rvid = phandle(&fdt, &format!("/{RVID_NODE}"));
    assert_props(
        &fdt,
        "/pl061@9030000",
        &[
            ("compatible", strs(&["arm,pl061", "arm,primecell"])),
            ("reg", q(&[0x903_0000, 0x1000])),
            ("interrupt-parent", c(&[rvid])),
            ("interrupts", c(&[3, 4])),
            ("clocks", c(&[pclk])),
            ("clock-names", s("apb_pclk")),
        ],
    );
    assert_props(
        &fdt,
        "/flash@0",
        &[
            ("compatible", s("cfi-flash")),
            ("reg", q(&[0, 0x400_0000, 0x400_0000, 0x400_0000])),
        ],
    );
    let (_, warnings) = decompile(&blob);
    assert_eq!(warnings, "");
    // A console index that names no device writes no stdout-path.
    desc.console = Some(7);
    let blob = guest_dt(&desc);
    let fdt = fdt::Fdt::new(&blob).unwrap();
    assert!(fdt
        .find_node("/chosen")
        .unwrap()
        .property("stdout-path")
        .is_none());
}

/// The largest guest `GuestDesc::check` allows with every virtio-mmio slot
/// of QEMU virt still fits the 2 MiB the device tree gets, and stays clean.
#[test]
fn largest_guest_fits_its_region() {
    let regs: Vec<[(u64, u64); 1]> = (0..32u64)
        .map(|n| [(0xa00_0000 + n * 0x200, 0x200)])
        .collect();
    let irqs: Vec<[(u32, bool); 1]> = (0..32u32).map(|n| [(2 + n, true)]).collect();
    let names: Vec<String> = (0..32u64)
        .map(|n| format!("virtio_mmio@{:x}", 0xa00_0000 + n * 0x200))
        .collect();
    let mut devices = std::vec![DEVICES[0], DEVICES[1]];
    for n in 0..32 {
        devices.push(GuestDevice {
            name: &names[n],
            compatible: b"virtio,mmio\0",
            regs: &regs[n],
            irqs: &irqs[n],
            clocks: &[],
            props: &[],
        });
    }
    let mut desc = qemu_desc(&devices);
    desc.vcpus = MAX_VCPUS;
    assert_eq!(desc.check(), Ok(()));
    let blob = guest_dt(&desc);
    assert!(blob.len() <= DTB_MAX, "{} bytes", blob.len());
    let fdt = fdt::Fdt::new(&blob).unwrap();
    assert_eq!(fdt.cpus().count(), MAX_VCPUS);
    assert!(fdt.find_node("/cpus/cpu@ff").is_some());
    assert_eq!(decompile(&blob).1, "");
}

/// The rVIC/rVID node names and the timer specifiers are the ones the
/// Linux binding and its example guest tree use.
#[test]
fn node_names_match_the_linux_binding() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../guests/linux/bindings");
    let read = |f: &str| {
        std::fs::read_to_string(format!("{dir}/{f}")).unwrap_or_else(|e| panic!("{dir}/{f}: {e}"))
    };
    let example = read("example-guest.dts");
    assert!(example.contains(&format!("rvic: {RVIC_NODE} {{")));
    assert!(example.contains(&format!("rvid: {RVID_NODE} {{")));
    let cells: Vec<String> = TIMER_INTIDS.iter().map(|i| format!("<{i} 4>")).collect();
    assert!(example.contains(&format!("interrupts = {};", cells.join(", "))));
    // arm,rvid.yaml: $nodename pattern '^interrupt-controller-[a-z0-9]+$'.
    assert!(read("arm,rvid.yaml").contains("'^interrupt-controller-[a-z0-9]+$'"));
    let suffix = RVID_NODE.strip_prefix("interrupt-controller-").unwrap();
    assert!(
        !suffix.is_empty()
            && suffix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
}

/// The largest tree the limits on what goes in allow: the platform's most
/// devices and `reg` ranges, each device's name and `compatible` at their
/// limits, every rVID input used, the most vCPUs and the longest bootargs.
/// It stays far below the 2 MiB heap the hypervisor builds it on.
#[test]
fn largest_tree_the_limits_allow_is_small() {
    use crate::assign::{COMPATIBLE_MAX, NAME_MAX};
    use crate::bundle::BOOTARGS_MAX;
    use platform::{MAX_DEVICES, MAX_DEVICE_REGS};
    let names: Vec<String> = (0..MAX_DEVICES)
        .map(|n| format!("uart@{n:0width$x}", width = NAME_MAX - 5))
        .collect();
    let mut compatible = b"arm,pl011\0arm,primecell\0".to_vec();
    compatible.resize(COMPATIBLE_MAX - 1, b'x');
    compatible.push(0);
    let per_device = MAX_DEVICE_REGS / MAX_DEVICES;
    let regs: Vec<(u64, u64)> = (0..MAX_DEVICE_REGS as u64)
        .map(|n| (u64::MAX - n * 0x1000, 0x1000))
        .collect();
    let irqs: Vec<(u32, bool)> = (0..64u32).map(|n| (n, false)).collect();
    let devices: Vec<GuestDevice<'_>> = (0..MAX_DEVICES)
        .map(|n| GuestDevice {
            name: &names[n],
            compatible: &compatible,
            regs: &regs[n * per_device..(n + 1) * per_device],
            irqs: irqs.get(n..n + 1).unwrap_or(&[]),
            clocks: &[],
            props: &[],
        })
        .collect();
    let bootargs = "x".repeat(BOOTARGS_MAX);
    let mut desc = qemu_desc(&devices);
    desc.vcpus = MAX_VCPUS;
    desc.bootargs = &bootargs;
    assert_eq!(desc.check(), Ok(()));
    let blob = guest_dt(&desc);
    assert!(blob.len() <= 128 << 10, "{} bytes", blob.len());
    assert_eq!(
        fdt::Fdt::new(&blob).unwrap().chosen().bootargs(),
        Some(&bootargs[..])
    );
}

/// Host clocks become fixed clocks of their rates (one node per rate, the
/// APB clock's rate and an unrated clock on `apb-pclk`), with the host's
/// names; copied properties come through byte for byte.
#[test]
fn device_clocks_get_fixed_clocks_of_their_rates() {
    use crate::desc::GuestClock;
    const UART: [GuestClock<'static>; 2] = [
        GuestClock {
            name: Some("uartclk"),
            hz: 48_000_000,
        },
        GuestClock {
            name: Some("apb_pclk"),
            hz: 0,
        },
    ];
    const MMC: [GuestClock<'static>; 1] = [GuestClock {
        name: None,
        hz: 100_000_000,
    }];
    let periphid = [0u8, 0x34, 0x10, 0x11];
    let props = [("arm,primecell-periphid", &periphid[..])];
    let devs = [
        GuestDevice {
            name: "serial@7e201000",
            clocks: &UART,
            props: &props,
            ..DEVICES[0]
        },
        GuestDevice {
            name: "mmc@7e300000",
            compatible: b"brcm,bcm2835-sdhci\0",
            clocks: &MMC,
            ..DEVICES[2]
        },
    ];
    let dtb = guest_dt(&qemu_desc(&devs));
    let (_, warnings) = decompile(&dtb);
    assert_eq!(warnings, "");
    let fdt = fdt::Fdt::new(&dtb).unwrap();
    let uart = phandle(&fdt, "/clk-48000000");
    let mmc = phandle(&fdt, "/clk-100000000");
    assert_eq!((uart, mmc), (4, 5), "ascending rates from phandle 4");
    assert_props(
        &fdt,
        "/clk-48000000",
        &[
            ("compatible", s("fixed-clock")),
            ("#clock-cells", c(&[0])),
            ("clock-frequency", c(&[48_000_000])),
            ("phandle", c(&[4])),
        ],
    );
    let node = fdt.find_node("/serial@7e201000").unwrap();
    let prop = |n: &str| node.property(n).unwrap().value.to_vec();
    assert_eq!(prop("clocks"), c(&[4, phandle(&fdt, "/apb-pclk")]));
    assert_eq!(prop("clock-names"), strs(&["uartclk", "apb_pclk"]));
    assert_eq!(prop("arm,primecell-periphid"), periphid.to_vec());
    let node = fdt.find_node("/mmc@7e300000").unwrap();
    assert_eq!(node.property("clocks").unwrap().value, c(&[5]));
    assert!(node.property("clock-names").is_none());
}
