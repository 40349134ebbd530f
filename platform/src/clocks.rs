// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The rates of a device's input clocks (`clocks`, `clock-names`), for a
//! guest that gets the device but not its clock provider: it is given a
//! fixed clock of the same rate instead.
//!
//! A rate comes, in this order, from the device's own `assigned-clocks` /
//! `assigned-clock-rates`, from a `fixed-clock` provider's
//! `clock-frequency`, from a `fixed-factor-clock` (its parent's rate times
//! `clock-mult` over `clock-div`), or from [`FIRMWARE_RATES`]: clocks a
//! board's firmware sets and the tree does not describe, each with where
//! the rate comes from. Anything else is a [`ClockError`]: the device
//! cannot be given with a rate the guest could trust.

use crate::fdt::Fdt;
use crate::list::List;
use crate::node::Node;
use core::fmt;

/// Most clocks a device may name.
pub const MAX_CLOCKS: usize = 4;
/// Deepest chain of `fixed-factor-clock`s followed.
const MAX_FACTOR_DEPTH: usize = 4;

/// A clock a board's firmware sets before the kernel starts: the provider's
/// `compatible`, the clock's specifier cell, its rate, and why that rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirmwareRate {
    pub provider: &'static str,
    pub cell: u32,
    pub hz: u32,
    pub why: &'static str,
}

/// The firmware-set clocks known. The BCM2711's clock manager (CPRMAN)
/// is programmed by the Raspberry Pi firmware; the tree names its clocks
/// by number (`include/dt-bindings/clock/bcm2835.h`) without a rate.
pub const FIRMWARE_RATES: &[FirmwareRate] = &[
    FirmwareRate {
        provider: "brcm,bcm2711-cprman",
        cell: 19, // BCM2835_CLOCK_UART: the PL011s' reference clock
        hz: 48_000_000,
        why: "the Raspberry Pi firmware's init_uart_clock, which scripts/image rpi4 sets in config.txt",
    },
    FirmwareRate {
        provider: "brcm,bcm2711-cprman",
        cell: 28, // BCM2835_CLOCK_EMMC: the Arasan SDHCI's base clock
        hz: 100_000_000,
        why: "assumed: the Raspberry Pi firmware sets it, the tree does not say; not measured on a board",
    },
    FirmwareRate {
        provider: "brcm,bcm2711-cprman",
        cell: 51, // BCM2711_CLOCK_EMMC2: the EMMC2 controller's base clock
        hz: 100_000_000,
        why: "assumed: the Raspberry Pi firmware sets it, the tree does not say; not measured on a board",
    },
];

/// Where a rate came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// Computed from the tree (a fixed or fixed-factor clock, or the
    /// device's `assigned-clock-rates`).
    #[default]
    Tree,
    /// A firmware-set clock of [`FIRMWARE_RATES`]; the reason.
    Firmware(&'static str),
}

/// One input clock of a device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock<'a> {
    /// Its `clock-names` entry, if the device names its clocks.
    pub name: Option<&'a str>,
    pub hz: u32,
    pub source: Source,
}

/// A device clock whose rate cannot be known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockError<'a> {
    /// `clocks` is not a list of phandles and specifiers the providers'
    /// `#clock-cells` explain, or a phandle names no node.
    Malformed,
    /// More than [`MAX_CLOCKS`].
    TooMany,
    /// Clock `index` comes from `provider` (its first `compatible`,
    /// specifier `cell`), whose rate the tree does not give.
    UnknownRate {
        index: usize,
        provider: &'a str,
        compatible: &'a str,
        cell: Option<u32>,
    },
}

impl fmt::Display for ClockError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ClockError::Malformed => {
                f.write_str("its clocks property does not match its providers' #clock-cells")
            }
            ClockError::TooMany => write!(f, "it has more than {MAX_CLOCKS} clocks"),
            ClockError::UnknownRate {
                index,
                provider,
                compatible,
                cell,
            } => {
                write!(
                    f,
                    "the rate of its clock {index} (from {provider}, {compatible}"
                )?;
                if let Some(c) = cell {
                    write!(f, " clock {c}")?;
                }
                f.write_str(") is not in the host device tree, so the guest cannot be given a clock of that rate")
            }
        }
    }
}

/// The input clocks of the node at structure offset `offset` of `dtb`, in
/// `clocks` order; empty if it has none. A clock whose `clock-names` entry
/// is in `unrated` (one whose rate its driver never reads, such as a
/// PrimeCell's `apb_pclk`, which the AMBA bus only enables) gets rate 0
/// and is not looked up.
pub fn device_clocks<'a>(
    dtb: &'a [u8],
    offset: usize,
    unrated: &[&str],
) -> Result<List<Clock<'a>, MAX_CLOCKS>, ClockError<'a>> {
    let fdt = Fdt::new(dtb).map_err(|_| ClockError::Malformed)?;
    let node = fdt
        .nodes()
        .find(|n| n.offset() == offset)
        .ok_or(ClockError::Malformed)?;
    let mut out = List::new();
    let Some(prop) = node.prop("clocks") else {
        return Ok(out);
    };
    let mut cells = prop.cells().ok_or(ClockError::Malformed)?;
    let mut names = node.prop("clock-names").map(|p| p.strs());
    let mut index = 0;
    while !cells.is_empty() {
        let (provider, spec) = take_spec(&fdt, &mut cells)?;
        let name = names.as_mut().and_then(|n| n.next());
        let (hz, source) = match assigned_rate(&fdt, &node, provider.offset(), spec) {
            _ if name.is_some_and(|n| unrated.contains(&n)) => (0, Source::Tree),
            Some(hz) => (hz, Source::Tree),
            None => provider_rate(&fdt, &provider, spec, 0).ok_or(ClockError::UnknownRate {
                index,
                provider: provider.name(),
                compatible: provider.compatible().next().unwrap_or(""),
                cell: spec,
            })?,
        };
        out.push(Clock { name, hz, source })
            .map_err(|_| ClockError::TooMany)?;
        index += 1;
    }
    Ok(out)
}

/// The next phandle and its specifier (at most one cell is kept: the
/// providers here take 0 or 1).
fn take_spec<'a>(
    fdt: &Fdt<'a>,
    cells: &mut crate::node::Cells<'a>,
) -> Result<(Node<'a>, Option<u32>), ClockError<'a>> {
    let phandle = cells.next_u32().ok_or(ClockError::Malformed)?;
    let provider = by_phandle(fdt, phandle).ok_or(ClockError::Malformed)?;
    let n = provider
        .u32_prop("#clock-cells")
        .ok_or(ClockError::Malformed)?;
    let spec = match n {
        0 => None,
        1 => Some(cells.next_u32().ok_or(ClockError::Malformed)?),
        _ => return Err(ClockError::Malformed),
    };
    Ok((provider, spec))
}

fn by_phandle<'a>(fdt: &Fdt<'a>, phandle: u32) -> Option<Node<'a>> {
    fdt.nodes().find(|n| n.phandle() == Some(phandle))
}

/// The rate `node`'s `assigned-clock-rates` gives the clock
/// (`provider`, `spec`), if it lists it with a non-zero rate.
fn assigned_rate(
    fdt: &Fdt<'_>,
    node: &Node<'_>,
    provider: usize,
    spec: Option<u32>,
) -> Option<u32> {
    let mut clocks = node.prop("assigned-clocks")?.cells()?;
    let mut rates = node.prop("assigned-clock-rates")?.cells()?;
    while !clocks.is_empty() {
        let (p, s) = take_spec(fdt, &mut clocks).ok()?;
        let rate = rates.next_u32()?;
        if p.offset() == provider && s == spec && rate != 0 {
            return Some(rate);
        }
    }
    None
}

/// A provider's rate for specifier `spec`, from the tree or the firmware
/// table.
fn provider_rate(
    fdt: &Fdt<'_>,
    p: &Node<'_>,
    spec: Option<u32>,
    depth: usize,
) -> Option<(u32, Source)> {
    if p.is_compatible("fixed-clock") && spec.is_none() {
        return Some((p.u32_prop("clock-frequency")?, Source::Tree));
    }
    if p.is_compatible("fixed-factor-clock") && spec.is_none() && depth < MAX_FACTOR_DEPTH {
        let mut cells = p.prop("clocks")?.cells()?;
        let (parent, pspec) = take_spec(fdt, &mut cells).ok()?;
        let (rate, source) = provider_rate(fdt, &parent, pspec, depth + 1)?;
        let (mult, div) = (p.u32_prop("clock-mult")?, p.u32_prop("clock-div")?);
        let hz = u64::from(rate) * u64::from(mult) / u64::from(div).max(1);
        return Some((u32::try_from(hz).ok().filter(|&h| h != 0)?, source));
    }
    let cell = spec?;
    FIRMWARE_RATES
        .iter()
        .find(|r| r.cell == cell && p.is_compatible(r.provider))
        .map(|r| (r.hz, Source::Firmware(r.why)))
}
