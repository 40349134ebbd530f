// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What the hypervisor tells [`crate::guest_dt`] about a guest, and the
//! checks that make the tree written from it one a guest can boot with.

use core::fmt;
use rvic::timer_intid::ALL as TIMER_INTIDS;

/// Most vCPUs: vCPU `i` has MPIDR `i`, which must fit in Aff0.
pub const MAX_VCPUS: usize = 256;

/// One device handed to the guest, as the host tree describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestDevice<'a> {
    /// The host node name, e.g. `pl011@9000000`; also its guest path.
    pub name: &'a str,
    /// The host node's raw `compatible`: NUL-terminated strings.
    pub compatible: &'a [u8],
    /// `reg` as `(base, size)` pairs (IPA = PA).
    pub regs: &'a [(u64, u64)],
    /// Its interrupts: `(rVID input, edge)`; `edge` false means level high.
    pub irqs: &'a [(u32, bool)],
    /// Its input clocks, in the host's `clocks` order; empty if the host
    /// node names none.
    pub clocks: &'a [GuestClock<'a>],
    /// Host properties copied as they are (`assign::COPIED`).
    pub props: &'a [(&'a str, &'a [u8])],
}

/// One input clock of a guest device: the guest gets a fixed clock of
/// this rate in place of the host's provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestClock<'a> {
    /// The host's `clock-names` entry, if it names its clocks.
    pub name: Option<&'a str>,
    /// The rate; 0 for a clock whose rate its driver never reads (a
    /// PrimeCell's `apb_pclk`): it gets the guest's APB clock.
    pub hz: u32,
}

impl GuestDevice<'_> {
    /// The strings of `compatible`.
    pub fn compatibles(&self) -> impl Iterator<Item = &[u8]> {
        self.compatible.split(|&b| b == 0).filter(|s| !s.is_empty())
    }

    /// Whether `compatible` lists `c`.
    pub fn is_compatible(&self, c: &str) -> bool {
        self.compatibles().any(|s| s == c.as_bytes())
    }
}

/// Everything the guest device tree says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestDesc<'a> {
    /// Guest RAM: `(IPA, size)`.
    pub ram: (u64, u64),
    /// vCPU `i` gets `cpu@i` with MPIDR `i`.
    pub vcpus: usize,
    /// The guest's command line (`/chosen/bootargs`).
    pub bootargs: &'a str,
    /// The initrd: `(IPA, size)`, as [`crate::Layout`] placed it.
    pub initrd: Option<(u64, u64)>,
    /// The assigned devices, in the order they were assigned.
    pub devices: &'a [GuestDevice<'a>],
    /// Index into `devices` of the console (`/chosen/stdout-path`).
    pub console: Option<usize>,
    /// rVIC trusted INTIDs (T): the timer INTIDs must be below it.
    pub rvic_t: u32,
    /// rVIC untrusted INTIDs (U): rVID inputs are `0..U`.
    pub rvic_u: u32,
}

/// A description [`crate::guest_dt`] would turn into a tree the guest
/// cannot use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescError<'a> {
    /// No vCPUs, or more than [`MAX_VCPUS`].
    Vcpus(usize),
    /// `console` is not an index into `devices`.
    NoSuchConsole { index: usize, devices: usize },
    /// A timer INTID is not a trusted INTID.
    TimerNotTrusted { intid: u32, t: u32 },
    /// A device's rVID input is `>= U`.
    InputOutOfRange { device: &'a str, input: u32, u: u32 },
    /// Two interrupts use the same rVID input.
    InputShared { device: &'a str, input: u32 },
    /// A device's `compatible` is empty or not NUL-terminated.
    BadCompatible { device: &'a str },
    /// The initrd `(IPA, size)` does not lie inside guest RAM.
    InitrdOutsideRam { base: u64, size: u64 },
}

impl fmt::Display for DescError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DescError::Vcpus(n) => {
                write!(f, "guest has {n} vCPUs: need 1 to {MAX_VCPUS}")
            }
            DescError::NoSuchConsole { index, devices } => write!(
                f,
                "guest console is device {index} but the guest has {devices} devices"
            ),
            DescError::TimerNotTrusted { intid, t } => write!(
                f,
                "timer INTID {intid} is not a trusted rVIC INTID (T = {t})"
            ),
            DescError::InputOutOfRange { device, input, u } => {
                write!(f, "{device}: rVID input {input} is out of range (U = {u})")
            }
            DescError::InputShared { device, input } => write!(
                f,
                "{device}: rVID input {input} is already used by another interrupt"
            ),
            DescError::BadCompatible { device } => {
                write!(f, "{device}: compatible is empty or not NUL-terminated")
            }
            DescError::InitrdOutsideRam { base, size } => write!(
                f,
                "guest initrd ({size:#x} bytes at {base:#x}) does not lie inside guest RAM"
            ),
        }
    }
}

impl<'a> GuestDesc<'a> {
    /// Checks what [`crate::guest_dt`] relies on; it writes a tree from any
    /// description, so call this first.
    pub fn check(&self) -> Result<(), DescError<'a>> {
        if self.vcpus == 0 || self.vcpus > MAX_VCPUS {
            return Err(DescError::Vcpus(self.vcpus));
        }
        if let Some(index) = self.console.filter(|&i| i >= self.devices.len()) {
            return Err(DescError::NoSuchConsole {
                index,
                devices: self.devices.len(),
            });
        }
        if let Some((base, size)) = self.initrd {
            let (ram, ram_size) = self.ram;
            let inside = base >= ram
                && base
                    .checked_add(size)
                    .zip(ram.checked_add(ram_size))
                    .is_some_and(|(end, ram_end)| end <= ram_end);
            if !inside {
                return Err(DescError::InitrdOutsideRam { base, size });
            }
        }
        if let Some(&intid) = TIMER_INTIDS.iter().find(|&&i| i >= self.rvic_t) {
            return Err(DescError::TimerNotTrusted {
                intid,
                t: self.rvic_t,
            });
        }
        for (n, d) in self.devices.iter().enumerate() {
            if d.compatible.last() != Some(&0) {
                return Err(DescError::BadCompatible { device: d.name });
            }
            for (k, &(input, _)) in d.irqs.iter().enumerate() {
                if input >= self.rvic_u {
                    return Err(DescError::InputOutOfRange {
                        device: d.name,
                        input,
                        u: self.rvic_u,
                    });
                }
                let mut earlier = self.devices[..n]
                    .iter()
                    .flat_map(|e| e.irqs)
                    .chain(&d.irqs[..k]);
                if earlier.any(|&(i, _)| i == input) {
                    return Err(DescError::InputShared {
                        device: d.name,
                        input,
                    });
                }
            }
        }
        Ok(())
    }
}
