// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Which of the host's devices a guest is given, and how their interrupts
//! become rVID inputs: the guest's console first (the first UART that is
//! not the hypervisor's own), then every device whose `compatible` is one
//! of the assigned kinds, in tree order; each of their
//! GIC SPIs, in order, takes the next rVID input. The result says, per
//! input, which physical line feeds it (the hypervisor's map from physical
//! INTID to guest input, built once), and gives the [`GuestDevice`]s the
//! guest's device tree is written from.
//!
//! An assigned device's name and `compatible` are copied from the host tree
//! into the guest's, which is built on the hypervisor's heap: each has a
//! fixed limit ([`NAME_MAX`], [`COMPATIBLE_MAX`]), so that with the
//! platform's own limits (at most `MAX_DEVICES` devices and
//! `MAX_DEVICE_REGS` ranges) the guest's tree stays small.

use crate::desc::{GuestClock, GuestDevice};
use alloc::vec::Vec;
use core::fmt;
use platform::clocks::Source;
use platform::{ClockError, Kept, Platform, Range};
use vocab::Trigger;

/// First SPI: lower INTIDs (SGIs, PPIs) are never a device's to give.
const SPI_BASE: u32 = 32;
/// One past the last SPI. Extended SPIs (4096 and up) are not driven.
const SPI_END: u32 = 1020;

/// Why a device's interrupt feeds no rVID input (the device is still
/// given; the hypervisor logs each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not an SPI (a PPI or SGI, or an extended SPI the GIC driver does
    /// not drive).
    NotAnSpi,
    /// Every rVID input is taken.
    NoInputLeft,
    /// An earlier assigned device has the same SPI: a line feeds one
    /// input only.
    Shared,
}

impl Refused {
    /// Why, in words.
    pub fn reason(self) -> &'static str {
        match self {
            Refused::NotAnSpi => "not an SPI (extended SPIs are not driven)",
            Refused::NoInputLeft => "every rVID input is taken",
            Refused::Shared => "an earlier device has it: a line feeds one input",
        }
    }
}

/// A device interrupt that feeds no input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefusedLine<'a> {
    pub device: &'a str,
    pub intid: u32,
    pub why: Refused,
}

/// Longest node name of an assigned device, in bytes: DTSpec's node names
/// are at most 31 characters, then `@` and a unit address (16 hex digits
/// for a 64-bit one).
pub const NAME_MAX: usize = 64;
/// Longest raw `compatible` of an assigned device, in bytes (all its
/// strings and their NULs): room for several vendor strings.
pub const COMPATIBLE_MAX: usize = 256;

/// Host properties an assigned device's guest node gets as they are, if
/// present: what Linux's drivers for the devices given read from their
/// node (the PrimeCell ID the AMBA bus matches on, an SD host's bus width
/// and card detection, a 16550's register layout, a GPIO block's
/// specifier size). None holds a phandle, which would point at nothing in
/// the guest's tree.
pub const COPIED: [&str; 8] = [
    "arm,primecell-periphid",
    "bus-width",
    "non-removable",
    "broken-cd",
    "reg-shift",
    "reg-io-width",
    "gpio-controller",
    "#gpio-cells",
];
/// Longest copied property, in bytes (each of [`COPIED`] is empty or one
/// or two cells); a longer one is not copied.
pub const COPIED_MAX: usize = 8;
/// Clock names whose rate their driver never reads: a PrimeCell's bus
/// clock, which the AMBA bus only enables.
const UNRATED: [&str; 1] = ["apb_pclk"];

/// An assigned device the guest's tree cannot copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignError<'a> {
    /// Its node name is `len` bytes, more than [`NAME_MAX`]; `name` is it.
    NameTooLong { name: &'a str, len: usize },
    /// Its `compatible` is `len` bytes, more than [`COMPATIBLE_MAX`].
    CompatibleTooLong { device: &'a str, len: usize },
    /// A device the bundle names cannot be given.
    Named {
        selector: &'a str,
        why: NamedRefusal<'a>,
    },
}

/// Why a device the guest bundle names is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedRefusal<'a> {
    /// No node has that path, nor alias.
    NoSuchNode,
    /// The node's `status` is not okay.
    Disabled,
    /// The node has no `reg`.
    NoRegisters,
    /// An available node with registers that is not a device: the GIC, or
    /// a node whose interrupts go to a controller other than the GIC, or
    /// one not on a bus the CPU reaches.
    NotOnGic,
    /// It is the hypervisor's console.
    HypervisorConsole,
    /// It is the power-management watchdog the hypervisor powers the
    /// board off and resets it with.
    PowerController,
    /// A page of its registers holds `neighbour`'s, which is not given.
    SharesPage { neighbour: &'a str },
    /// Its interrupt `intid` can feed no rVID input.
    Interrupt { intid: u32, why: Refused },
    /// The rate of one of its clocks is not known.
    Clock(ClockError<'a>),
}

/// A device the guest bundle names, and the host node it names, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Named<'a> {
    pub selector: &'a str,
    pub node: Option<platform::NamedNode>,
}

impl fmt::Display for AssignError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AssignError::NameTooLong { name, len } => {
                // Say which node by its start, not by all of it.
                let shown = name.char_indices().nth(16).map_or(name, |(i, _)| &name[..i]);
                write!(
                    f,
                    "host device tree: the node name of assigned device {shown}... is {len} bytes, more than the {NAME_MAX} a guest's tree takes: shorten it"
                )
            }
            AssignError::CompatibleTooLong { device, len } => write!(
                f,
                "host device tree: {device}: compatible is {len} bytes, more than the {COMPATIBLE_MAX} a guest's tree takes: shorten it"
            ),
            AssignError::Named { selector, why } => {
                write!(f, "guest bundle: device {selector}: ")?;
                match why {
                    NamedRefusal::NoSuchNode => f.write_str(
                        "no node has this path or alias in the host device tree (scripts/platform lists the devices)",
                    ),
                    NamedRefusal::Disabled => f.write_str("the node is disabled (status)"),
                    NamedRefusal::NoRegisters => f.write_str("the node has no registers (reg)"),
                    NamedRefusal::NotOnGic => f.write_str(
                        "not a device the hypervisor can give: the GIC itself, or a node whose interrupts go to another controller or that is not on a bus",
                    ),
                    NamedRefusal::HypervisorConsole => f.write_str(
                        "it is the hypervisor's console and is never given (the guest's console is another UART)",
                    ),
                    NamedRefusal::PowerController => f.write_str(
                        "it is the board's power-management watchdog, with which the hypervisor powers off and resets, and is never given",
                    ),
                    NamedRefusal::SharesPage { neighbour } => write!(
                        f,
                        "a page of its registers holds {neighbour}'s, which the guest is not given: give both or neither"
                    ),
                    NamedRefusal::Interrupt { intid, why } => write!(
                        f,
                        "its interrupt {intid} can feed no rVID input: {}",
                        why.reason()
                    ),
                    NamedRefusal::Clock(e) => write!(f, "{e}"),
                }
            }
        }
    }
}

/// A physical interrupt line that feeds an rVID input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputLine {
    /// The GIC INTID.
    pub intid: u32,
    pub trigger: Trigger,
}

/// One assigned host device.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Assigned<'a> {
    name: &'a str,
    compatible: &'a [u8],
    regs: Vec<(u64, u64)>,
    /// `(rVID input, edge)`.
    irqs: Vec<(u32, bool)>,
    clocks: Vec<GuestClock<'a>>,
    props: Vec<(&'a str, &'a [u8])>,
}

/// The devices a guest gets and the rVID inputs their lines feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment<'a> {
    devices: Vec<Assigned<'a>>,
    /// rVID input `n` is fed by `inputs[n]`.
    pub inputs: Vec<InputLine>,
    /// Whether `devices[0]` is the guest's console: a UART of its own,
    /// never the hypervisor's (`/chosen/stdout-path`), which no guest is
    /// given.
    pub has_console: bool,
    /// The assigned devices' interrupts that feed no input, and why.
    pub refused: Vec<RefusedLine<'a>>,
    /// Devices of the assigned kinds not given, because a page of theirs
    /// holds another node's registers.
    pub shared_pages: Vec<SharedPage<'a>>,
    /// Devices of the assigned kinds (or the console) not given, because
    /// the rate of a clock of theirs is not known.
    pub no_clock: Vec<(&'a str, ClockError<'a>)>,
    /// Clock rates given that come from the firmware table, not the tree:
    /// `(device, clock name, rate, why)`.
    pub firmware_clocks: Vec<FirmwareClock<'a>>,
}

/// A guest clock whose rate is the firmware's ([`platform::clocks::FIRMWARE_RATES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirmwareClock<'a> {
    pub device: &'a str,
    pub name: Option<&'a str>,
    pub hz: u32,
    pub why: &'static str,
}

/// A device not given because it shares a 4 KiB page with `neighbour`, a
/// node the guest is not given (or the GIC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedPage<'a> {
    pub device: &'a str,
    pub neighbour: &'a str,
}

impl<'a> Assignment<'a> {
    /// Choose the devices of `platform` to give a guest with `max_inputs`
    /// rVID inputs: a console (the first UART in tree order that is not
    /// the hypervisor's), and the devices whose `compatible` is one of
    /// `kinds`. What the hypervisor keeps (its console, its power
    /// controller) is never given, and neither is a device sharing a page
    /// with it. An error if one of them has a name or
    /// `compatible` over its limit.
    pub fn choose(
        platform: &Platform<'a>,
        dtb: &'a [u8],
        kinds: &[&str],
        max_inputs: usize,
    ) -> Result<Assignment<'a>, AssignError<'a>> {
        let console = Self::guest_console(platform);
        let mut chosen: Vec<usize> = console.into_iter().collect();
        for (i, d) in platform.devices.iter().enumerate() {
            if Some(i) != console && platform.kept(i).is_none() && kinds.contains(&d.compatible) {
                chosen.push(i);
            }
        }
        Self::finish(platform, dtb, chosen, console, &[], max_inputs)
    }

    /// Like [`Self::choose`], but the devices given besides the console
    /// are exactly those `named` (a guest bundle's device list), each
    /// refused with an error if it cannot be given whole: no such node,
    /// not a device, the hypervisor's console or power controller, a page
    /// shared with a node
    /// not given, or an interrupt that can feed no input.
    pub fn choose_named(
        platform: &Platform<'a>,
        dtb: &'a [u8],
        named: &[Named<'a>],
        max_inputs: usize,
    ) -> Result<Assignment<'a>, AssignError<'a>> {
        let console = Self::guest_console(platform);
        let mut chosen: Vec<usize> = console.into_iter().collect();
        let mut strict = Vec::new();
        for n in named {
            let refuse = |why| AssignError::Named {
                selector: n.selector,
                why,
            };
            let node = n.node.ok_or(refuse(NamedRefusal::NoSuchNode))?;
            let found = platform
                .devices
                .iter()
                .position(|d| d.offset == node.offset);
            let i = match found {
                Some(i) => i,
                None if !node.available => return Err(refuse(NamedRefusal::Disabled)),
                None if !node.has_reg => return Err(refuse(NamedRefusal::NoRegisters)),
                None => return Err(refuse(NamedRefusal::NotOnGic)),
            };
            match platform.kept(i) {
                Some(Kept::Console) => return Err(refuse(NamedRefusal::HypervisorConsole)),
                Some(Kept::PowerController) => return Err(refuse(NamedRefusal::PowerController)),
                None => {}
            }
            if !chosen.contains(&i) {
                chosen.push(i);
            }
            strict.push((i, n.selector));
        }
        Self::finish(platform, dtb, chosen, console, &strict, max_inputs)
    }

    /// The guest's console: the first UART in tree order that the
    /// hypervisor does not keep.
    fn guest_console(platform: &Platform<'a>) -> Option<usize> {
        platform.devices.iter().enumerate().position(|(i, d)| {
            platform.kept(i).is_none() && platform::console::is_uart(d.compatibles)
        })
    }

    /// The assignment of devices `chosen` (the console, if any, first):
    /// those sharing a page with a node not given are dropped, or refused
    /// with an error if `strict` names them, and so is a `strict` device
    /// whose interrupt can feed no input.
    fn finish(
        platform: &Platform<'a>,
        dtb: &'a [u8],
        mut chosen: Vec<usize>,
        console_device: Option<usize>,
        strict: &[(usize, &'a str)],
        max_inputs: usize,
    ) -> Result<Assignment<'a>, AssignError<'a>> {
        let strict_name = |i: usize| strict.iter().find(|s| s.0 == i).map(|s| s.1);
        // A device whose clock rate is not known is not given: its driver
        // would run it at a rate nobody chose.
        let mut clocks = Vec::new();
        let mut no_clock = Vec::new();
        let mut refused = None;
        chosen.retain(|&i| {
            let Some(d) = platform.devices.get(i) else {
                return false;
            };
            match platform::device_clocks(dtb, d.offset, &UNRATED) {
                Ok(list) => {
                    clocks.push((i, list));
                    true
                }
                Err(e) => {
                    if let (None, Some(selector)) = (refused, strict_name(i)) {
                        refused = Some(AssignError::Named {
                            selector,
                            why: NamedRefusal::Clock(e),
                        });
                    }
                    no_clock.push((d.name, e));
                    false
                }
            }
        });
        if let Some(e) = refused {
            return Err(e);
        }
        // A device whose pages hold another node's registers is not given
        // (stage 2 maps whole pages); dropping one can expose another, so
        // until nothing changes.
        let mut shared_pages = Vec::new();
        loop {
            let before = chosen.clone();
            let mut refused = None;
            chosen.retain(|&i| {
                let neighbour = platform.page_neighbour(i, |j| before.contains(&j));
                if let Some(neighbour) = neighbour {
                    let device = platform.devices.get(i).map_or("", |d| d.name);
                    shared_pages.push(SharedPage { device, neighbour });
                    if let (None, Some(selector)) = (refused, strict_name(i)) {
                        refused = Some(AssignError::Named {
                            selector,
                            why: NamedRefusal::SharesPage { neighbour },
                        });
                    }
                }
                neighbour.is_none()
            });
            if let Some(e) = refused {
                return Err(e);
            }
            if chosen.len() == before.len() {
                break;
            }
        }
        let has_console = console_device.is_some_and(|c| chosen.contains(&c));
        let chosen: Vec<_> = chosen
            .iter()
            .filter_map(|&i| Some((i, platform.devices.get(i)?)))
            .collect();
        let mut inputs: Vec<InputLine> = Vec::new();
        let mut devices = Vec::new();
        let mut refused = Vec::new();
        let mut firmware_clocks = Vec::new();
        for (i, d) in &chosen {
            if d.name.len() > NAME_MAX {
                return Err(AssignError::NameTooLong {
                    name: d.name,
                    len: d.name.len(),
                });
            }
            if d.compatibles.len() > COMPATIBLE_MAX {
                return Err(AssignError::CompatibleTooLong {
                    device: d.name,
                    len: d.compatibles.len(),
                });
            }
            let mut irqs = Vec::new();
            for irq in d.irqs.iter() {
                let why = if !(SPI_BASE..SPI_END).contains(&irq.intid) {
                    Some(Refused::NotAnSpi)
                } else if inputs.iter().any(|l| l.intid == irq.intid) {
                    Some(Refused::Shared)
                } else if inputs.len() >= max_inputs {
                    Some(Refused::NoInputLeft)
                } else {
                    None
                };
                if let (Some(why), Some(selector)) = (why, strict_name(*i)) {
                    return Err(AssignError::Named {
                        selector,
                        why: NamedRefusal::Interrupt {
                            intid: irq.intid,
                            why,
                        },
                    });
                }
                if let Some(why) = why {
                    refused.push(RefusedLine {
                        device: d.name,
                        intid: irq.intid,
                        why,
                    });
                    continue;
                }
                let trigger = irq.trigger();
                irqs.push((inputs.len() as u32, trigger == Trigger::Edge));
                inputs.push(InputLine {
                    intid: irq.intid,
                    trigger,
                });
            }
            let host_clocks = clocks.iter().find(|c| c.0 == *i).map(|c| c.1);
            let mut guest_clocks = Vec::new();
            for c in host_clocks.iter().flat_map(|l| l.iter()) {
                if let Source::Firmware(why) = c.source {
                    firmware_clocks.push(FirmwareClock {
                        device: d.name,
                        name: c.name,
                        hz: c.hz,
                        why,
                    });
                }
                guest_clocks.push(GuestClock {
                    name: c.name,
                    hz: c.hz,
                });
            }
            let props = COPIED
                .iter()
                .filter_map(|&name| {
                    let value = platform::node_prop(dtb, d.offset, name)?;
                    (value.len() <= COPIED_MAX).then_some((name, value))
                })
                .collect();
            devices.push(Assigned {
                name: d.name,
                compatible: d.compatibles,
                regs: d.regs.iter().map(|r| (r.base, r.size)).collect(),
                irqs,
                clocks: guest_clocks,
                props,
            });
        }
        Ok(Assignment {
            devices,
            inputs,
            has_console,
            refused,
            shared_pages,
            no_clock,
            firmware_clocks,
        })
    }

    /// The devices as the guest's device tree describes them.
    pub fn guest_devices(&self) -> Vec<GuestDevice<'_>> {
        self.devices
            .iter()
            .map(|d| GuestDevice {
                name: d.name,
                compatible: d.compatible,
                regs: &d.regs,
                irqs: &d.irqs,
                clocks: &d.clocks,
                props: &d.props,
            })
            .collect()
    }

    /// The 4 KiB pages stage 2 must map for the assigned devices, each
    /// once, ascending: devices given together may share a page (virtio-mmio
    /// transports do); no page holds anything not given ([`Self::choose`]
    /// refused such devices).
    pub fn pages(&self) -> Vec<u64> {
        let mut pages: Vec<u64> = self
            .devices
            .iter()
            .flat_map(|d| d.regs.iter())
            .flat_map(|&(base, size)| {
                let p = Range::new(base, size).pages();
                (p.base..p.end()).step_by(4096)
            })
            .collect();
        pages.sort_unstable();
        pages.dedup();
        pages
    }

    /// How many devices are assigned.
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// No device is assigned.
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }
}
