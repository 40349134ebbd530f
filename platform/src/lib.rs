// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Board discovery from the flattened device tree the boot loader passes in
//! x0: RAM and what is reserved in it, the CPUs and how to start them, the
//! GIC, the timer interrupts, the console UART, the power-management
//! watchdog of a board without PSCI firmware and the devices a guest may
//! be given.
//!
//! This crate owns the reading of the tree and nothing else: no MMIO, no
//! assembly, no globals, no heap, no atomics. It runs at EL2 before the MMU
//! and the heap exist, so every list has a fixed capacity (the `MAX_*`
//! constants); a tree that exceeds one gets [`Error::TooMany`], never a
//! silently shortened list. A tree the hypervisor cannot drive gets an
//! [`Error`] whose `Display` names what is missing or unsupported.
//!
//! The blob is parsed here rather than with the `fdt` crate (0.1.5): that
//! crate's nodes do not know their ancestors, and translating `reg` through
//! every parent's `ranges` and resolving inherited `interrupt-parent` both
//! need the whole ancestry (see [`walk`]).

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod clocks;
pub mod console;
pub mod cpus;
pub mod devices;
pub mod error;
pub mod fdt;
pub mod gic;
pub mod irq;
pub mod list;
pub mod memory;
pub mod node;
pub mod power;
pub mod range;
pub mod timer;
pub mod walk;

pub use clocks::{device_clocks, Clock, ClockError, MAX_CLOCKS};
pub use console::{ConsoleInfo, ConsoleKind};
pub use cpus::{Conduit, Cpu, EnableMethod, Psci, PsciVersion, MAX_CPUS};
pub use devices::{Device, Devices, MAX_DEVICES, MAX_DEVICE_REGS};
pub use error::Error;
pub use fdt::{dtb_size, Fdt, MAX_DTB_SIZE};
pub use gic::{GicInfo, MAX_REDIST_REGIONS};
pub use irq::{Irq, IrqList, Sense};
pub use list::List;
pub use memory::{MAX_MEMORY, MAX_RESERVED};
pub use power::PmWatchdog;
pub use range::Range;
pub use timer::TimerInfo;

/// Most usable ranges: every reserved range and the blob can split one RAM
/// range, and there is room for 15 [`Platform::exclude`] calls more.
pub const MAX_USABLE: usize = MAX_MEMORY + MAX_RESERVED + 16;
const _: () = assert!(MAX_MEMORY <= MAX_USABLE);

/// What the hypervisor needs to know about the board.
#[derive(Clone, Debug)]
pub struct Platform<'a> {
    /// The root `model` (or `""`).
    pub model: &'a str,
    /// The blob itself, if its physical address is known.
    pub dtb: Option<Range>,
    /// `/chosen/bootargs` (the hypervisor's options), or `""`.
    pub bootargs: &'a str,
    /// What the boot loader loaded as the initrd (`/chosen/linux,initrd-start`
    /// up to `linux,initrd-end`, each a 32- or 64-bit value): the guest
    /// bundle. `None` if there is none or it is empty.
    pub initrd: Option<Range>,
    /// RAM, as the `memory` nodes list it (empty ranges left out).
    pub memory: List<Range, MAX_MEMORY>,
    /// `/memreserve/` entries, then `/reserved-memory` children's `reg`.
    pub reserved: List<Range, MAX_RESERVED>,
    /// RAM minus `reserved`, minus the blob and the initrd, minus whatever
    /// [`exclude`](Self::exclude) removed: sorted and disjoint.
    pub usable: List<Range, MAX_USABLE>,
    /// The available CPUs, in tree order.
    pub cpus: List<Cpu<'a>, MAX_CPUS>,
    pub psci: Option<Psci>,
    pub gic: GicInfo,
    /// The `compatible` that identified the GIC.
    pub gic_compatible: &'a str,
    /// The GIC's maintenance interrupt (a PPI), if it has one.
    pub maintenance_irq: Option<Irq>,
    pub timer: TimerInfo,
    /// `None` if `/chosen` names no console: the hypervisor boots silent.
    pub console: Option<ConsoleInfo<'a>>,
    /// The power-management watchdog that powers a board without PSCI
    /// firmware off and resets it (the first available one), if any.
    pub pm_watchdog: Option<PmWatchdog<'a>>,
    pub devices: Devices<'a>,
}

/// Why the hypervisor keeps a device for itself: no guest is given it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// The UART `/chosen/stdout-path` names.
    Console,
    /// The power-management watchdog it powers the board off with.
    PowerController,
}

impl<'a> Platform<'a> {
    /// Removes `r` (e.g. the hypervisor's own image) from `usable`.
    pub fn exclude(&mut self, r: Range) -> Result<(), Error<'a>> {
        range::subtract(&mut self.usable, r).map_err(|_| Error::TooMany {
            what: "usable memory ranges",
            limit: MAX_USABLE,
        })
    }

    /// Whether the hypervisor keeps device `i` for itself, and why: its
    /// console (the device whose first range starts where the console's
    /// registers do) or its power controller (the watchdog's node).
    pub fn kept(&self, i: usize) -> Option<Kept> {
        let d = self.devices.get(i)?;
        let first = d.regs.first().map(|r| r.base);
        if self.console.is_some_and(|c| first == Some(c.base)) {
            return Some(Kept::Console);
        }
        if self.pm_watchdog.is_some_and(|w| w.offset == d.offset) {
            return Some(Kept::PowerController);
        }
        None
    }

    /// Another node with registers in one of the 4 KiB pages that device
    /// `i`'s registers occupy (stage 2 maps whole pages, so a guest given
    /// device `i` would reach them too): the first device `j != i` for
    /// which `shared_ok(j)` is false, any other node on the buses (disabled
    /// or not a device), or the GIC. Its name, or `None`.
    ///
    /// Except a disabled node whose first `compatible` is device `i`'s:
    /// another instance of the same block that nobody drives (the
    /// Raspberry Pi 4's disabled uart2..uart5 in the page of its PL011,
    /// uart0). A guest given device `i` reaches it too, and gets nothing of
    /// a kind it was not given.
    pub fn page_neighbour(&self, i: usize, shared_ok: impl Fn(usize) -> bool) -> Option<&'a str> {
        let overlaps = |a: &Range, b: &Range| a.pages().overlaps(&b.pages());
        let me = self.devices.get(i)?;
        for (j, d) in self.devices.iter().enumerate() {
            if j == i || shared_ok(j) {
                continue;
            }
            if d.regs
                .iter()
                .any(|r| me.regs.iter().any(|m| overlaps(m, r)))
            {
                return Some(d.name);
            }
        }
        let (others, truncated) = self.devices.others();
        let same_kind = |o: &devices::Other<'_>| {
            !o.disabled_kind.is_empty() && o.disabled_kind == me.compatible
        };
        if let Some(o) = others
            .iter()
            .filter(|o| !same_kind(o))
            .find(|o| me.regs.iter().any(|m| overlaps(m, &o.reg)))
        {
            return Some(o.name);
        }
        if truncated {
            return Some("a node past the ones discovery keeps (MAX_OTHER_REGS)");
        }
        let gic = self.gic.regions();
        if gic
            .iter()
            .flatten()
            .any(|g| me.regs.iter().any(|m| overlaps(m, g)))
        {
            return Some("the GIC");
        }
        None
    }

    /// The lowest `align`-aligned base of `size` bytes inside one usable
    /// range (the hypervisor's own memory goes low, leaving the top to
    /// guests). `align` is a power of two. `None` if no range holds it.
    pub fn carve_bottom(&self, size: u64, align: u64) -> Option<u64> {
        debug_assert!(align.is_power_of_two());
        self.usable.iter().find_map(|r| {
            let base = r.base.checked_next_multiple_of(align)?;
            (base.checked_add(size)? <= r.end()).then_some(base)
        })
    }

    /// The highest `align`-aligned base of `size` bytes inside one usable
    /// range (a guest's RAM is carved from the top, away from the images
    /// the boot loader put low). `align` is a power of two. `None` if no
    /// range is large enough.
    pub fn carve_top(&self, size: u64, align: u64) -> Option<u64> {
        debug_assert!(align.is_power_of_two());
        self.usable.iter().rev().find_map(|r| {
            let top = r.end() & !(align - 1);
            let base = top.checked_sub(size)?;
            (base >= r.base).then_some(base)
        })
    }
}

/// Discovers the board from `dtb`, taking the slice's address as the
/// blob's physical address (true at EL2 with the MMU off, or under an
/// identity map) so that `usable` leaves the blob out.
pub fn discover(dtb: &[u8]) -> Result<Platform<'_>, Error<'_>> {
    discover_at(dtb, Some(dtb.as_ptr() as u64))
}

/// [`discover`], with the blob's physical address given (`None`: the
/// caller will exclude the blob itself, or it is not in RAM).
pub fn discover_at(dtb: &[u8], dtb_addr: Option<u64>) -> Result<Platform<'_>, Error<'_>> {
    discover_with(dtb, dtb_addr, Ram::FromTree)
}

/// Where discovery takes RAM from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ram {
    /// The `memory` nodes, as the boot loader left them; none is an error
    /// ([`Error::NoMemory`]). What the hypervisor does.
    FromTree,
    /// This range instead of the `memory` nodes, as a boot loader would
    /// write it: for checking a board's blob before it is flashed.
    Given(Range),
    /// The `memory` nodes, and none is not an error: a board's blob as its
    /// kernel package ships it, whose boot loader fills `/memory` in.
    /// `memory` and `usable` may then be empty.
    Optional,
}

/// [`discover_at`], with RAM taken as `ram` says.
pub fn discover_with(
    dtb: &[u8],
    dtb_addr: Option<u64>,
    ram: Ram,
) -> Result<Platform<'_>, Error<'_>> {
    let fdt = Fdt::new(dtb)?;
    let mut found_gic = None;
    walk::walk(&fdt, &mut |ctx| {
        if found_gic.is_none() {
            found_gic = gic::parse(&fdt, ctx)?;
        }
        Ok(())
    })?;
    let gic = found_gic.ok_or(Error::NoGic)?;
    let stdout = console::stdout_path(&fdt)?;
    let (bootargs, initrd) = chosen(&fdt)?;

    let mut reserved: List<Range, MAX_RESERVED> = List::new();
    for r in fdt.reservations().filter(|r| r.size != 0) {
        reserved.push(r).map_err(|_| Error::TooMany {
            what: "reserved memory ranges",
            limit: MAX_RESERVED,
        })?;
    }
    let mut memory = List::new();
    let mut cpus: List<Cpu<'_>, MAX_CPUS> = List::new();
    let (mut psci, mut timer, mut console, mut pm_watchdog) = (None, None, None, None);
    let mut devices = Devices::default();
    walk::walk(&fdt, &mut |ctx| {
        memory::parse_memory(ctx, &mut memory)?;
        memory::parse_reserved(ctx, &mut reserved)?;
        if let Some(cpu) = cpus::parse_cpu(ctx)? {
            if cpus.iter().any(|c| c.mpidr == cpu.mpidr) {
                return Err(Error::BadMpidr {
                    node: cpu.node,
                    mpidr: cpu.mpidr,
                    duplicate: true,
                });
            }
            cpus.push(cpu).map_err(|_| Error::TooMany {
                what: "CPUs",
                limit: MAX_CPUS,
            })?;
        }
        if psci.is_none() {
            psci = cpus::parse_psci(ctx)?;
        }
        if timer.is_none() {
            timer = timer::parse(&fdt, ctx, &gic.id)?;
        }
        if pm_watchdog.is_none() {
            pm_watchdog = power::parse(ctx)?;
        }
        if let Some(path) = stdout.as_ref().filter(|p| ctx.path_is(p.base, p.sub)) {
            console = Some(console::parse(&fdt, ctx, &gic.id, path)?);
        }
        devices.add(&fdt, ctx, &gic.id)
    })?;

    if let (Some(path), None) = (&stdout, &console) {
        return Err(Error::NoSuchConsole { path: path.base });
    }
    if let Ram::Given(r) = ram {
        memory = List::new();
        let _ = memory.push(r); // cannot fail: the list is empty
    }
    if memory.is_empty() && ram == Ram::FromTree {
        return Err(Error::NoMemory);
    }
    if cpus.is_empty() {
        return Err(Error::NoCpus);
    }
    if psci.is_none() {
        if let Some(cpu) = cpus.iter().find(|c| c.enable == EnableMethod::Psci) {
            return Err(Error::NoPsci { node: cpu.node });
        }
    }
    let timer = timer.ok_or(Error::NoTimer)?;

    let dtb = dtb_addr.map(|base| Range::new(base, fdt.total_size() as u64));
    let mut usable = List::new();
    for r in memory.iter() {
        let _ = usable.push(*r); // cannot fail: MAX_MEMORY <= MAX_USABLE
    }
    range::normalize(&mut usable);
    let mut platform = Platform {
        model: fdt.root().str_prop("model").unwrap_or(""),
        dtb,
        bootargs,
        initrd,
        memory,
        reserved,
        usable,
        cpus,
        psci,
        gic: gic.info,
        gic_compatible: gic.compatible,
        maintenance_irq: gic.maintenance_irq,
        timer,
        console,
        pm_watchdog,
        devices,
    };
    for r in reserved.iter().chain(dtb.iter()).chain(initrd.iter()) {
        platform.exclude(*r)?;
    }
    Ok(platform)
}

/// `/chosen/bootargs` and the initrd range from `/chosen`.
fn chosen<'a>(fdt: &Fdt<'a>) -> Result<(&'a str, Option<Range>), Error<'a>> {
    let Some(chosen) = fdt.root().child("chosen") else {
        return Ok(("", None));
    };
    let bootargs = match chosen.prop("bootargs") {
        None => "",
        Some(p) if p.value.is_empty() => "",
        Some(p) => p.str().ok_or(Error::BadProperty {
            node: "chosen",
            prop: "bootargs",
            why: "is not one NUL-terminated UTF-8 string",
        })?,
    };
    let bound = |prop: &'static str| -> Result<Option<u64>, Error<'a>> {
        let Some(p) = chosen.prop(prop) else {
            return Ok(None);
        };
        p.u64().map(Some).ok_or(Error::BadProperty {
            node: "chosen",
            prop,
            why: "is not a 32- or 64-bit value",
        })
    };
    let initrd = match (bound("linux,initrd-start")?, bound("linux,initrd-end")?) {
        (None, None) => None,
        (Some(_), None) => {
            return Err(Error::MissingProperty {
                node: "chosen",
                prop: "linux,initrd-end",
            })
        }
        (None, Some(_)) => {
            return Err(Error::MissingProperty {
                node: "chosen",
                prop: "linux,initrd-start",
            })
        }
        (Some(start), Some(end)) if end < start => {
            return Err(Error::BadProperty {
                node: "chosen",
                prop: "linux,initrd-end",
                why: "is below linux,initrd-start",
            })
        }
        (Some(start), Some(end)) => Some(Range::new(start, end - start)).filter(|r| r.size != 0),
    };
    Ok((bootargs, initrd))
}

/// The console alone, for reporting why [`discover`] failed: read even
/// from a tree the hypervisor cannot otherwise use (its interrupt is not).
pub fn find_console(dtb: &[u8]) -> Option<ConsoleInfo<'_>> {
    let fdt = Fdt::new(dtb).ok()?;
    let path = console::stdout_path(&fdt).ok()??;
    let mut found = None;
    walk::walk(&fdt, &mut |ctx| {
        if found.is_none() && ctx.path_is(path.base, path.sub) {
            found = console::parse_registers(ctx, &path).ok();
        }
        Ok(())
    })
    .ok()?;
    found
}

/// A node a guest's device list names, as [`find_node`] finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedNode {
    /// Its structure offset: a [`Device`]'s `offset` if it is one.
    pub offset: usize,
    /// `status` absent, `"okay"` or `"ok"`.
    pub available: bool,
    pub has_reg: bool,
}

/// The node `selector` names: an absolute path (`/soc/serial@7e201000`,
/// each component a full node name) or an alias (`serial1`, looked up in
/// `/aliases`). `None` if there is no such node.
pub fn find_node(dtb: &[u8], selector: &str) -> Option<NamedNode> {
    let fdt = Fdt::new(dtb).ok()?;
    let root = fdt.root();
    let path = if selector.starts_with('/') {
        selector
    } else {
        root.child("aliases")?.str_prop(selector)?
    };
    let mut node = root;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        node = node.child(part)?;
    }
    Some(NamedNode {
        offset: node.offset(),
        available: node.is_available(),
        has_reg: node.has("reg"),
    })
}

/// The raw value of property `name` of the node at structure offset
/// `offset` ([`Device::offset`]), if the node has it.
pub fn node_prop<'a>(dtb: &'a [u8], offset: usize, name: &str) -> Option<&'a [u8]> {
    let fdt = Fdt::new(dtb).ok()?;
    let node = fdt.nodes().find(|n| n.offset() == offset)?;
    Some(node.prop(name)?.value)
}

/// The PSCI firmware alone, so that a failed boot can still power off.
pub fn find_psci(dtb: &[u8]) -> Option<Psci> {
    let fdt = Fdt::new(dtb).ok()?;
    let mut found = None;
    walk::walk(&fdt, &mut |ctx| {
        if found.is_none() {
            found = cpus::parse_psci(ctx).ok().flatten();
        }
        Ok(())
    })
    .ok()?;
    found
}

#[cfg(test)]
mod tests {
    /// `Platform` is built on the EL2 boot stack: keep it under 20 KiB
    /// (24,296 bytes, most of it the device list; the boot stack is 128 KiB
    /// and holds it more than once). `--nocapture` prints the size.
    #[test]
    fn platform_fits_a_boot_stack() {
        let size = core::mem::size_of::<crate::Platform<'_>>();
        std::eprintln!("Platform: {size} bytes");
        assert!(size <= 24 * 1024);
    }
}
