// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Reading the guest device tree (what the hypervisor's guest loader wrote)
//! into [`GuestInfo`]: RAM, the vCPUs' MPIDRs, the console, the timer's rVIC
//! INTIDs, the console (stdout-path) node, every device's rVID inputs and
//! those of the PL011 and PL031. Nodes are found by `compatible` (the
//! console by `stdout-path`), never by name. What only one check needs is optional, so
//! that a flaw there fails that check and not the whole run.
//!
//! Paths are resolved by walking every node: the fdt crate's own path
//! lookup (0.1.5) stops at FDT_NOP tokens, which QEMU, U-Boot and libfdt
//! leave where they deleted a node. Only a path's last component is
//! matched, which is unique in the trees this guest is given.

use fdt::node::FdtNode;
use fdt::Fdt;

use crate::MAX_CPUS;

pub const RVIC_COMPATIBLE: &str = "arm,rvic";
pub const RVID_COMPATIBLE: &str = "arm,rvid";
/// Interrupt specifier flags (second cell).
pub const EDGE_RISING: u32 = 1;
pub const LEVEL_HIGH: u32 = 4;

/// A device the guest drives: its registers and, if its interrupt goes to
/// rVID, its (input, flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    pub base: u64,
    pub irq: Option<(u32, u32)>,
}

/// The UARTs the hypervisor can give a guest as its console (as the
/// `platform` crate knows them).
pub const UART_COMPATIBLES: [&str; 6] = [
    "arm,pl011",
    "ns16550a",
    "ns16550",
    "snps,dw-apb-uart",
    "brcm,bcm2835-aux-uart",
    "amlogic,meson-gx-uart",
];

/// The node `stdout-path` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Console {
    /// Its `compatible` names a UART of [`UART_COMPATIBLES`].
    pub is_uart: bool,
    /// It is a PL011 (the console driver here writes only that).
    pub is_pl011: bool,
    pub device: Device,
}

/// The device nodes whose interrupts go to the rVID, and their inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inputs {
    /// Nodes with at least one interrupt on the rVID.
    pub devices: usize,
    /// Their interrupt entries on the rVID, all together.
    pub inputs: usize,
    /// The first input that is listed twice or lies outside 0..inputs (the
    /// hypervisor numbers them from 0, one per line), if any.
    pub misnumbered: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestInfo {
    pub ram_base: u64,
    pub ram_size: u64,
    mpidrs: [u64; MAX_CPUS],
    ncpus: usize,
    /// `cpu` nodes in the tree (more than [`MAX_CPUS`] are not driven).
    pub cpus_in_dt: usize,
    /// Base of the stdout-path device (else of the PL011).
    pub console: u64,
    /// The stdout-path node, if it resolves to a node with `reg`.
    pub stdout: Option<Console>,
    pub inputs: Inputs,
    pub uart: Option<Device>,
    pub rtc: Option<Device>,
    /// The virtual timer's (INTID, flags): the third `interrupts` entry of
    /// the arm,armv8-timer node, if that node's parent is the rVIC.
    pub vtimer: Option<(u32, u32)>,
    /// The psci node says `method = "hvc"`.
    pub psci_hvc: bool,
    /// The random-call burst's calls per vCPU and seed, if `/chosen/bootargs`
    /// sets them (`selftest.calls=N selftest.seed=S`; `scripts/soak`).
    pub burst_calls: Option<u64>,
    pub burst_seed: Option<u64>,
}

impl GuestInfo {
    /// The vCPUs' MPIDRs; after [`GuestInfo::boot_first`], the boot vCPU's first.
    pub fn mpidrs(&self) -> &[u64] {
        &self.mpidrs[..self.ncpus]
    }

    /// Put `mpidr` (the boot vCPU) at index 0, keeping the others in order.
    pub fn boot_first(&mut self, mpidr: u64) -> Result<(), &'static str> {
        let i = self
            .mpidrs()
            .iter()
            .position(|&m| m == mpidr)
            .ok_or("the boot vCPU's MPIDR is not among the cpu nodes")?;
        self.mpidrs[..=i].rotate_right(1);
        Ok(())
    }
}

/// The size of the blob whose header starts with these 8 bytes.
pub fn total_size(header: &[u8; 8]) -> Option<usize> {
    let magic = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let size = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    (magic == 0xd00d_feed && size >= 40).then_some(size as usize)
}

fn cell(bytes: &[u8], i: usize) -> Option<u32> {
    let b = bytes.get(4 * i..4 * i + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn prop_u32(node: FdtNode, name: &str) -> Option<u32> {
    cell(node.property(name)?.value, 0)
}

fn phandle(node: FdtNode) -> Option<u32> {
    prop_u32(node, "phandle").or_else(|| prop_u32(node, "linux,phandle"))
}

/// A controller node by compatible: must be an interrupt controller with
/// two-cell specifiers; returns its phandle.
fn controller(fdt: &Fdt, compatible: &str) -> Result<u32, &'static str> {
    let node = fdt
        .find_compatible(&[compatible])
        .ok_or("no arm,rvic or arm,rvid node")?;
    if node.property("interrupt-controller").is_none()
        || prop_u32(node, "#interrupt-cells") != Some(2)
    {
        return Err("an rvic/rvid node is not an interrupt controller with #interrupt-cells = <2>");
    }
    phandle(node).ok_or("an rvic/rvid node has no phandle")
}

/// Entry `index` of `node`'s `interrupts`, if its interrupt parent (its own
/// or the root's) is `parent`.
fn interrupt(fdt: &Fdt, node: FdtNode, parent: u32, index: usize) -> Option<(u32, u32)> {
    let root = fdt.all_nodes().next()?;
    let p = prop_u32(node, "interrupt-parent").or_else(|| prop_u32(root, "interrupt-parent"))?;
    let spec = node.property("interrupts")?.value;
    (p == parent).then_some((cell(spec, 2 * index)?, cell(spec, 2 * index + 1)?))
}

/// The node named `name` (`cpus`, `pl011@9000000`; with no unit address,
/// any unit address matches).
fn named<'b, 'a>(fdt: &'b Fdt<'a>, name: &str) -> Option<FdtNode<'b, 'a>> {
    fdt.all_nodes()
        .find(|n| n.name == name || (!name.contains('@') && n.name.split('@').next() == Some(name)))
}

/// The node a path or an alias (as in stdout-path, options after `:` cut)
/// names.
fn resolve<'b, 'a>(fdt: &'b Fdt<'a>, path: &str) -> Option<FdtNode<'b, 'a>> {
    let path = path.split(':').next()?;
    let path = match path.starts_with('/') {
        true => path,
        false => named(fdt, "aliases")?.property(path)?.as_str()?,
    };
    named(fdt, path.rsplit('/').next()?)
}

fn reg_base(node: FdtNode) -> Option<u64> {
    Some(node.reg()?.next()?.starting_address as u64)
}

/// The device `compatible`; its interrupt only if it goes to `rvid`.
fn device(fdt: &Fdt, compatible: &str, rvid: Option<u32>) -> Option<Device> {
    let node = fdt.find_compatible(&[compatible])?;
    Some(Device {
        base: reg_base(node)?,
        irq: rvid.and_then(|p| interrupt(fdt, node, p, 0)),
    })
}

/// Read the guest device tree `dtb`, which must describe an rVIC and an
/// rVID: [`parse_machine`], then the timer's and the devices' interrupts
/// through them.
pub fn parse(dtb: &[u8]) -> Result<GuestInfo, &'static str> {
    let fdt = Fdt::new(dtb).map_err(|_| "not a device tree blob")?;
    let rvic = controller(&fdt, RVIC_COMPATIBLE)?;
    let rvid = controller(&fdt, RVID_COMPATIBLE)?;
    if let Some(rvid_node) = fdt.find_compatible(&[RVID_COMPATIBLE]) {
        if prop_u32(rvid_node, "interrupt-parent") != Some(rvic) {
            return Err("the rvid node's interrupt-parent is not the rvic");
        }
    }
    let mut info = parse_machine(dtb)?;
    info.uart = device(&fdt, "arm,pl011", Some(rvid));
    info.rtc = device(&fdt, "arm,pl031", Some(rvid));
    info.inputs = inputs(&fdt, rvid);
    info.stdout = stdout(&fdt, Some(rvid));
    info.vtimer = fdt
        .find_compatible(&["arm,armv8-timer"])
        .and_then(|t| interrupt(&fdt, t, rvic, 2));
    Ok(info)
}

/// Read what `dtb` says whatever its interrupt controller: RAM, the vCPUs,
/// the console, the PSCI method and the command line's burst options. The
/// PL011 and PL031 are found with no interrupt, the timer not at all
/// (the benchmark guest reads a GIC's itself).
pub fn parse_machine(dtb: &[u8]) -> Result<GuestInfo, &'static str> {
    let fdt = Fdt::new(dtb).map_err(|_| "not a device tree blob")?;
    let memory = fdt
        .all_nodes()
        .find(|n| n.property("device_type").and_then(|p| p.as_str()) == Some("memory"))
        .and_then(|n| n.reg()?.next())
        .ok_or("no memory node with a reg")?;
    let mut info = GuestInfo {
        ram_base: memory.starting_address as u64,
        ram_size: memory.size.ok_or("the memory node has no size")? as u64,
        mpidrs: [0; MAX_CPUS],
        ncpus: 0,
        cpus_in_dt: 0,
        console: 0,
        stdout: None,
        inputs: Inputs::default(),
        uart: None,
        rtc: None,
        vtimer: None,
        psci_hvc: false,
        burst_calls: None,
        burst_seed: None,
    };

    let cells = named(&fdt, "cpus")
        .ok_or("no /cpus node")?
        .cell_sizes()
        .address_cells;
    for cpu in fdt.all_nodes() {
        if cpu.property("device_type").and_then(|p| p.as_str()) != Some("cpu") {
            continue;
        }
        let reg = cpu.property("reg").ok_or("a cpu node has no reg")?.value;
        let mpidr = match cells {
            1 => cell(reg, 0).map(u64::from),
            2 => cell(reg, 0)
                .zip(cell(reg, 1))
                .map(|(h, l)| u64::from(h) << 32 | u64::from(l)),
            _ => None,
        };
        let mpidr = mpidr.ok_or("a cpu node's reg is not an MPIDR")?;
        if info.ncpus < MAX_CPUS {
            info.mpidrs[info.ncpus] = mpidr;
            info.ncpus += 1;
        }
        info.cpus_in_dt += 1;
    }
    if info.ncpus == 0 {
        return Err("no cpu nodes");
    }

    info.uart = device(&fdt, "arm,pl011", None);
    info.rtc = device(&fdt, "arm,pl031", None);
    info.psci_hvc = fdt
        .find_compatible(&["arm,psci-1.0", "arm,psci-0.2", "arm,psci"])
        .and_then(|n| n.property("method")?.as_str())
        == Some("hvc");

    let bootargs = named(&fdt, "chosen")
        .and_then(|c| c.property("bootargs")?.as_str())
        .unwrap_or("");
    (info.burst_calls, info.burst_seed) = burst_options(bootargs);

    info.stdout = stdout(&fdt, None);
    info.console = info
        .stdout
        .map(|c| c.device.base)
        .or(info.uart.map(|u| u.base))
        .ok_or("no stdout-path device and no PL011")?;
    Ok(info)
}

/// The node `/chosen/stdout-path` names, as a console; its interrupt is
/// read only through the rVID `rvid` (its phandle), if given.
fn stdout(fdt: &Fdt, rvid: Option<u32>) -> Option<Console> {
    let n = named(fdt, "chosen")
        .and_then(|c| c.property("stdout-path")?.as_str())
        .and_then(|path| resolve(fdt, path))?;
    let compatible = |list: &[&str]| {
        n.compatible()
            .is_some_and(|c| c.all().any(|c| list.contains(&c)))
    };
    Some(Console {
        is_uart: compatible(&UART_COMPATIBLES),
        is_pl011: compatible(&["arm,pl011"]),
        device: Device {
            base: reg_base(n)?,
            irq: rvid.and_then(|r| interrupt(fdt, n, r, 0)),
        },
    })
}

/// Every node's interrupts on the rVID (`rvid`, its phandle), counted,
/// and whether they are numbered 0..n, each once.
fn inputs(fdt: &Fdt, rvid: u32) -> Inputs {
    let mut seen = [false; 1024];
    let mut found = Inputs::default();
    let mut listed = 0usize;
    for node in fdt.all_nodes() {
        let Some(spec) = node.property("interrupts").map(|p| p.value) else {
            continue;
        };
        if interrupt(fdt, node, rvid, 0).is_none() {
            continue;
        }
        found.devices += 1;
        for entry in 0..spec.len() / 8 {
            let Some(input) = cell(spec, 2 * entry) else {
                continue;
            };
            listed += 1;
            let slot = seen.get_mut(input as usize);
            match slot {
                Some(s) if !*s => *s = true,
                _ => {
                    found.misnumbered.get_or_insert(input);
                }
            }
        }
    }
    found.inputs = listed;
    if found.misnumbered.is_none() {
        found.misnumbered = (listed..seen.len()).find(|&i| seen[i]).map(|i| i as u32);
    }
    found
}

/// `selftest.calls=N` and `selftest.seed=S` (decimal or 0x hex) from
/// the kernel command line; anything else, or a bad number, is ignored.
pub fn burst_options(bootargs: &str) -> (Option<u64>, Option<u64>) {
    let number = |v: &str| match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    };
    let (mut calls, mut seed) = (None, None);
    for word in bootargs.split_ascii_whitespace() {
        if let Some(v) = word.strip_prefix("selftest.calls=") {
            calls = number(v);
        } else if let Some(v) = word.strip_prefix("selftest.seed=") {
            seed = number(v);
        }
    }
    (calls, seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn burst_options_come_from_the_command_line() {
        assert_eq!(burst_options(""), (None, None));
        assert_eq!(
            burst_options("quiet selftest.calls=250000 selftest.seed=0x2a"),
            (Some(250_000), Some(42))
        );
        assert_eq!(burst_options("selftest.calls=lots"), (None, None));
    }

    /// A minimal flattened-device-tree writer for the tests.
    #[derive(Default)]
    struct Writer {
        structs: Vec<u8>,
        strings: Vec<u8>,
    }

    impl Writer {
        fn word(&mut self, w: u32) {
            self.structs.extend_from_slice(&w.to_be_bytes());
        }
        fn begin(&mut self, name: &str) -> &mut Self {
            self.word(4); // FDT_NOP, as libfdt leaves where it deleted things
            self.word(1);
            self.structs.extend_from_slice(name.as_bytes());
            self.structs.push(0);
            self.structs
                .resize(self.structs.len().next_multiple_of(4), 0);
            self
        }
        fn end(&mut self) -> &mut Self {
            self.word(2);
            self
        }
        fn prop(&mut self, name: &str, value: &[u8]) -> &mut Self {
            let off = self.strings.len() as u32;
            self.strings.extend_from_slice(name.as_bytes());
            self.strings.push(0);
            self.word(3);
            self.word(value.len() as u32);
            self.word(off);
            self.structs.extend_from_slice(value);
            self.structs
                .resize(self.structs.len().next_multiple_of(4), 0);
            self
        }
        fn cells(&mut self, name: &str, cells: &[u32]) -> &mut Self {
            let v: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
            self.prop(name, &v)
        }
        fn str(&mut self, name: &str, s: &str) -> &mut Self {
            let mut v = s.as_bytes().to_vec();
            v.push(0);
            self.prop(name, &v)
        }
        fn finish(&mut self) -> Vec<u8> {
            self.word(9);
            let (st, sz) = (56u32, self.structs.len() as u32);
            let total = st + sz + self.strings.len() as u32;
            let header = [0xd00d_feed, total, st, st + sz, 40, 17, 16, 0];
            let mut out: Vec<u8> = header.iter().flat_map(|w: &u32| w.to_be_bytes()).collect();
            out.extend_from_slice(&(self.strings.len() as u32).to_be_bytes());
            out.extend_from_slice(&sz.to_be_bytes());
            out.extend_from_slice(&[0; 16]);
            out.extend_from_slice(&self.structs);
            out.extend_from_slice(&self.strings);
            out
        }
    }

    /// The tree of the guest spec, for `ncpus` vCPUs, with `stdout` as
    /// stdout-path; `edit` may add to the root before it is closed.
    /// An open root with 512 MiB of memory at 1 GiB and one CPU, MPIDR 0:
    /// the least a tree must have; each test adds its own nodes.
    fn machine_tree() -> Writer {
        let mut w = Writer::default();
        w.begin("")
            .cells("#address-cells", &[2])
            .cells("#size-cells", &[2]);
        w.begin("memory")
            .str("device_type", "memory")
            .cells("reg", &[0, 1 << 30, 0, 1 << 29])
            .end();
        w.begin("cpus").cells("#address-cells", &[1]);
        w.begin("cpu@0")
            .str("device_type", "cpu")
            .cells("reg", &[0])
            .end()
            .end();
        w
    }

    fn guest_tree(ncpus: u32, stdout: &str, edit: impl Fn(&mut Writer)) -> Vec<u8> {
        let mut w = Writer::default();
        w.begin("")
            .cells("#address-cells", &[2])
            .cells("#size-cells", &[2])
            .cells("interrupt-parent", &[1]);
        w.begin("chosen").str("stdout-path", stdout).end();
        w.begin("aliases").str("serial0", "/pl011@9000000").end();
        w.begin("memory@40000000")
            .str("device_type", "memory")
            .cells("reg", &[0, 0x4000_0000, 0, 0x2000_0000])
            .end();
        w.begin("cpus")
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[0]);
        for i in 0..ncpus {
            w.begin(&std::format!("cpu@{i}"))
                .str("device_type", "cpu")
                .cells("reg", &[i])
                .end();
        }
        w.end();
        w.begin("psci")
            .str("compatible", "arm,psci-1.0")
            .str("method", "hvc")
            .end();
        w.begin("interrupt-controller-rvic")
            .str("compatible", "arm,rvic")
            .prop("interrupt-controller", &[])
            .cells("#interrupt-cells", &[2])
            .cells("phandle", &[1])
            .end();
        w.begin("interrupt-controller-rvid")
            .str("compatible", "arm,rvid")
            .prop("interrupt-controller", &[])
            .cells("#interrupt-cells", &[2])
            .cells("interrupt-parent", &[1])
            .cells("phandle", &[2])
            .end();
        w.begin("timer")
            .str("compatible", "arm,armv8-timer")
            .cells("interrupts", &[29, 4, 30, 4, 27, 4, 26, 4])
            .end();
        w.begin("pl011@9000000")
            .prop("compatible", b"arm,pl011\0arm,primecell\0")
            .cells("reg", &[0, 0x0900_0000, 0, 0x1000])
            .cells("interrupt-parent", &[2])
            .cells("interrupts", &[0, 4])
            .end();
        w.begin("pl031@9010000")
            .prop("compatible", b"arm,pl031\0arm,primecell\0")
            .cells("reg", &[0, 0x0901_0000, 0, 0x1000])
            .cells("interrupt-parent", &[2])
            .cells("interrupts", &[1, 4])
            .end();
        edit(&mut w);
        w.end().finish()
    }

    #[test]
    fn the_spec_tree_is_read_in_full() {
        let dtb = guest_tree(4, "/pl011@9000000", |_| {});
        let header: [u8; 8] = dtb[..8].try_into().unwrap();
        assert_eq!(total_size(&header), Some(dtb.len()));
        let info = parse(&dtb).unwrap();
        assert_eq!((info.ram_base, info.ram_size), (0x4000_0000, 0x2000_0000));
        assert_eq!(info.mpidrs(), &[0, 1, 2, 3]);
        assert_eq!(info.console, 0x0900_0000);
        let uart = Some(Device {
            base: 0x0900_0000,
            irq: Some((0, LEVEL_HIGH)),
        });
        assert_eq!(info.uart, uart);
        assert_eq!(info.rtc.unwrap().irq, Some((1, LEVEL_HIGH)));
        assert_eq!(info.vtimer, Some((27, LEVEL_HIGH)));
        assert!(info.psci_hvc);
    }

    #[test]
    fn the_console_and_every_rvid_input_are_read() {
        let info = parse(&guest_tree(1, "/pl011@9000000", |_| {})).unwrap();
        let c = info.stdout.unwrap();
        assert!(c.is_uart && c.is_pl011);
        assert_eq!(c.device.irq, Some((0, LEVEL_HIGH)));
        let want = Inputs {
            devices: 2,
            inputs: 2,
            misnumbered: None,
        };
        assert_eq!(info.inputs, want);
        // A mini UART console is a UART, not a PL011; a third device
        // repeating input 1, or skipping to 3, is misnumbered.
        let mini = |input: u32| {
            move |w: &mut Writer| {
                w.begin("serial@7e215040")
                    .str("compatible", "brcm,bcm2835-aux-uart")
                    .cells("reg", &[0, 0xfe21_5040, 0, 0x40])
                    .cells("interrupt-parent", &[2])
                    .cells("interrupts", &[input, 4])
                    .end();
            }
        };
        let info = parse(&guest_tree(1, "/serial@7e215040", mini(2))).unwrap();
        let c = info.stdout.unwrap();
        assert!(c.is_uart && !c.is_pl011);
        assert_eq!(info.inputs.inputs, 3);
        assert_eq!(info.inputs.misnumbered, None);
        let info = parse(&guest_tree(1, "/serial@7e215040", mini(1))).unwrap();
        assert_eq!(info.inputs.misnumbered, Some(1));
        let info = parse(&guest_tree(1, "/serial@7e215040", mini(3))).unwrap();
        assert_eq!(info.inputs.misnumbered, Some(3));
        // A stdout-path node of another kind is no UART.
        let rtc = parse(&guest_tree(1, "/pl031@9010000", |_| {})).unwrap();
        assert!(!rtc.stdout.unwrap().is_uart);
        assert_eq!(
            parse(&guest_tree(1, "/nowhere", |_| {})).unwrap().stdout,
            None
        );
    }

    #[test]
    fn stdout_path_may_be_an_alias_with_options() {
        let other = |w: &mut Writer| {
            w.begin("serial@1c090000")
                .str("compatible", "ns16550a")
                .cells("reg", &[0, 0x1c09_0000, 0, 0x1000])
                .end();
        };
        let info = parse(&guest_tree(1, "/serial@1c090000", other)).unwrap();
        assert_eq!(info.console, 0x1c09_0000);
        assert_eq!(info.uart.unwrap().base, 0x0900_0000);
        let info = parse(&guest_tree(1, "serial0:115200n8", other)).unwrap();
        assert_eq!(info.console, 0x0900_0000);
        // An unresolvable stdout-path falls back to the PL011.
        let info = parse(&guest_tree(1, "/nowhere", |_| {})).unwrap();
        assert_eq!(info.console, 0x0900_0000);
    }

    #[test]
    fn the_boot_vcpu_goes_first() {
        let mut info = parse(&guest_tree(4, "serial0", |_| {})).unwrap();
        info.boot_first(2).unwrap();
        assert_eq!(info.mpidrs(), &[2, 0, 1, 3]);
        assert!(info.boot_first(9).is_err());
    }

    #[test]
    fn more_cpus_than_driven_are_counted() {
        let info = parse(&guest_tree(MAX_CPUS as u32 + 2, "serial0", |_| {})).unwrap();
        assert_eq!(info.mpidrs().len(), MAX_CPUS);
        assert_eq!(info.cpus_in_dt, MAX_CPUS + 2);
    }

    #[test]
    fn interrupts_count_only_through_the_right_controller() {
        // A device whose interrupt goes elsewhere has no rVID input.
        let mut w = machine_tree();
        for (name, ph) in [("arm,rvic", 1), ("arm,rvid", 2)] {
            w.begin(name)
                .str("compatible", name)
                .prop("interrupt-controller", &[])
                .cells("#interrupt-cells", &[2])
                .cells("interrupt-parent", &[1])
                .cells("phandle", &[ph])
                .end();
        }
        w.begin("uart")
            .str("compatible", "arm,pl011")
            .cells("reg", &[0, 0x0900_0000, 0, 0x1000])
            .cells("interrupt-parent", &[1]) // the rVIC, not the rVID
            .cells("interrupts", &[0, 4])
            .end();
        w.begin("timer")
            .str("compatible", "arm,armv8-timer")
            .cells("interrupts", &[29, 4]) // no virtual timer entry, no parent
            .end();
        let info = parse(&w.end().finish()).unwrap();
        assert_eq!(info.uart.unwrap().irq, None);
        assert_eq!(info.vtimer, None);
        assert!(!info.psci_hvc);
    }

    #[test]
    fn a_tree_without_rvic_is_read_as_a_machine_only() {
        // QEMU virt's own tree has a GIC where the guest spec has rVIC/rVID.
        let dtb = guest_tree(2, "/pl011@9000000", |_| {});
        let full = parse(&dtb).unwrap();
        let machine = parse_machine(&dtb).unwrap();
        assert_eq!(machine.mpidrs(), full.mpidrs());
        assert_eq!(
            (machine.ram_base, machine.console),
            (full.ram_base, full.console)
        );
        assert_eq!(machine.uart.unwrap().irq, None);
        assert_eq!(machine.vtimer, None);
        let mut w = machine_tree();
        w.begin("pl011@9000000")
            .str("compatible", "arm,pl011")
            .cells("reg", &[0, 0x0900_0000, 0, 0x1000])
            .end();
        w.begin("intc@8000000")
            .str("compatible", "arm,gic-v3")
            .prop("interrupt-controller", &[])
            .cells("#interrupt-cells", &[3])
            .end();
        let dtb = w.end().finish();
        assert_eq!(parse(&dtb), Err("no arm,rvic or arm,rvid node"));
        let info = parse_machine(&dtb).unwrap();
        assert_eq!((info.mpidrs(), info.console), (&[0][..], 0x0900_0000));
    }

    #[test]
    fn missing_essentials_are_errors() {
        assert!(parse(&[0; 64]).is_err());
        assert_eq!(total_size(&[0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 8]), None);
        let mut w = machine_tree();
        assert_eq!(
            parse(&w.end().finish()),
            Err("no arm,rvic or arm,rvid node")
        );
    }
}
