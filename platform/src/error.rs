// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Why discovery failed, as one line naming the node and what is missing or
//! unsupported. Node names borrow from the blob.

use core::fmt;

/// A device tree the hypervisor cannot use, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error<'a> {
    /// The blob is not a well-formed FDT.
    Malformed { what: &'static str, offset: usize },
    /// The FDT format version is not 17 (or compatible with it).
    BadVersion { version: u32, last_comp: u32 },
    /// Nodes nest deeper than the fixed limit.
    TooDeep { node: &'a str, limit: usize },
    /// A fixed-capacity list would overflow.
    TooMany { what: &'static str, limit: usize },
    /// A property has the wrong shape for its binding.
    BadProperty {
        node: &'a str,
        prop: &'static str,
        why: &'static str,
    },
    /// A required property is absent.
    MissingProperty { node: &'a str, prop: &'static str },
    /// A bus between the node and the root has no `ranges`.
    NotTranslatable { node: &'a str, bus: &'a str },
    /// An address lies outside every window of a bus's `ranges`.
    OutsideRanges {
        node: &'a str,
        bus: &'a str,
        addr: u64,
    },
    /// No RAM.
    NoMemory,
    /// No usable GIC.
    NoGic,
    /// No `arm,armv8-timer` node.
    NoTimer,
    /// No `/cpus/cpu@*` node.
    NoCpus,
    /// A CPU's `enable-method` is neither `psci` nor `spin-table`.
    UnsupportedEnableMethod { node: &'a str, method: &'a str },
    /// A CPU's `reg` is not an MPIDR affinity value, or repeats another's.
    BadMpidr {
        node: &'a str,
        mpidr: u64,
        duplicate: bool,
    },
    /// A CPU uses PSCI but there is no PSCI node.
    NoPsci { node: &'a str },
    /// The PSCI node's `method` is neither `smc` nor `hvc`.
    PsciMethod { node: &'a str, method: &'a str },
    /// A GIC interrupt specifier has a type other than SPI/PPI (or their
    /// GICv3 extended ranges), or a number outside that range.
    BadInterrupt {
        node: &'a str,
        kind: u32,
        number: u32,
    },
    /// The trigger flags of a GIC interrupt specifier are not one of
    /// edge rising/falling or level high/low.
    BadTrigger { node: &'a str, flags: u32 },
    /// A node's interrupts go to a controller that is not the GIC where
    /// the GIC is required (the timer, the maintenance interrupt).
    NotOnGic { node: &'a str },
    /// `interrupt-parent` or `interrupts-extended` names a missing phandle.
    NoSuchPhandle { node: &'a str, phandle: u32 },
    /// `/chosen/stdout-path` names an alias or path that does not exist.
    NoSuchConsole { path: &'a str },
    /// The console node is not a UART this code drives.
    UnsupportedConsole { node: &'a str, compatible: &'a str },
}

impl fmt::Display for Error<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Malformed { what, offset } => {
                write!(f, "not a valid device tree blob: {what} (at byte {offset:#x})")
            }
            Error::BadVersion { version, last_comp } => write!(
                f,
                "device tree blob version {version} (compatible down to {last_comp}) is not supported: need version 17"
            ),
            Error::TooDeep { node, limit } => {
                write!(f, "{node}: nodes nest deeper than {limit} levels")
            }
            Error::TooMany { what, limit } => {
                write!(f, "more than {limit} {what}: raise the limit in the platform crate")
            }
            Error::BadProperty { node, prop, why } => write!(f, "{node}: property {prop} {why}"),
            Error::MissingProperty { node, prop } => write!(f, "{node}: no {prop} property"),
            Error::NotTranslatable { node, bus } => write!(
                f,
                "{node}: address cannot be translated: parent bus {bus} has no ranges property"
            ),
            Error::OutsideRanges { node, bus, addr } => write!(
                f,
                "{node}: address {addr:#x} lies outside every window of {bus}'s ranges"
            ),
            Error::NoMemory => write!(
                f,
                "no RAM: no memory node has a non-empty reg (the boot loader normally fills it in)"
            ),
            Error::NoGic => write!(
                f,
                "no interrupt controller node compatible with arm,gic-400, arm,cortex-a15-gic or arm,gic-v3"
            ),
            Error::NoTimer => write!(f, "no timer node compatible with arm,armv8-timer or arm,armv7-timer"),
            Error::NoCpus => write!(f, "no cpu nodes under /cpus"),
            Error::UnsupportedEnableMethod { node, method } => write!(
                f,
                "{node}: enable-method \"{method}\" is not supported (need psci or spin-table)"
            ),
            Error::BadMpidr { node, mpidr, duplicate: false } => {
                write!(f, "{node}: reg {mpidr:#x} is not an MPIDR affinity value")
            }
            Error::BadMpidr { node, mpidr, duplicate: true } => {
                write!(f, "{node}: MPIDR {mpidr:#x} is used by an earlier cpu node too")
            }
            Error::NoPsci { node } => write!(
                f,
                "{node}: enable-method is psci but there is no node compatible with arm,psci"
            ),
            Error::PsciMethod { node, method } => write!(
                f,
                "{node}: PSCI method \"{method}\" is not supported (need smc or hvc)"
            ),
            Error::BadInterrupt { node, kind, number } => write!(
                f,
                "{node}: GIC interrupt type {kind} number {number} is not a valid SPI or PPI"
            ),
            Error::BadTrigger { node, flags } => write!(
                f,
                "{node}: GIC interrupt trigger flags {flags:#x} are not 1, 2, 4 or 8"
            ),
            Error::NotOnGic { node } => write!(f, "{node}: interrupts are not routed to the GIC"),
            Error::NoSuchPhandle { node, phandle } => {
                write!(f, "{node}: refers to phandle {phandle:#x} which does not exist")
            }
            Error::NoSuchConsole { path } => {
                write!(f, "/chosen/stdout-path names {path} which does not exist")
            }
            Error::UnsupportedConsole { node, compatible } => write!(
                f,
                "console {node} (compatible \"{compatible}\") is not a supported UART: need arm,pl011, ns16550a, snps,dw-apb-uart, brcm,bcm2835-aux-uart or amlogic,meson-gx-uart"
            ),
        }
    }
}
