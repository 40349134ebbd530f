// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The CPUs (`/cpus/*` with `device_type = "cpu"`), their MPIDRs and how
//! to start them, and the PSCI firmware node.

use crate::error::Error;
use crate::walk::Context;

/// PSCI 0.2+ `CPU_ON` (SMC64), used when the node has no `cpu_on`.
pub use smccc::psci::PSCI_CPU_ON_64;
pub use vocab::MAX_CPUS;

/// How a secondary CPU is started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnableMethod {
    /// PSCI `CPU_ON` through [`Psci`].
    #[default]
    Psci,
    /// Write the entry point to `release_addr`, then `sev`.
    SpinTable { release_addr: u64 },
    /// No `enable-method`: only valid for the CPU that is already running
    /// (the boot CPU); nothing can start this one.
    Absent,
}

/// One CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpu<'a> {
    /// The node name, e.g. `cpu@100`.
    pub node: &'a str,
    /// The node's `reg`: the MPIDR affinity fields (Aff3..Aff0).
    pub mpidr: u64,
    pub enable: EnableMethod,
}

/// How to call PSCI firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conduit {
    Smc,
    Hvc,
}

/// The newest PSCI version the node's `compatible` claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PsciVersion {
    /// `arm,psci`: function IDs come from the node.
    V0_1,
    /// `arm,psci-0.2`: standard function IDs, `PSCI_VERSION` available.
    V0_2,
    /// `arm,psci-1.0`.
    V1_0,
}

/// The PSCI firmware interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Psci {
    pub conduit: Conduit,
    /// Function ID of `CPU_ON`: the node's `cpu_on`, else
    /// [`PSCI_CPU_ON_64`].
    pub cpu_on: u32,
    pub version: PsciVersion,
}

/// Reads `ctx` if it is an available CPU node under `/cpus`.
pub fn parse_cpu<'a>(ctx: &Context<'a, '_>) -> Result<Option<Cpu<'a>>, Error<'a>> {
    let n = ctx.node;
    let under_cpus = ctx
        .parent
        .is_some_and(|p| p.is_root_child() && p.node.name() == "cpus");
    if !under_cpus || n.str_prop("device_type") != Some("cpu") || !n.is_available() {
        return Ok(None);
    }
    let node = n.name();
    let cells = ctx.parent.map_or(1, |p| p.address_cells);
    let reg = n
        .prop("reg")
        .ok_or(Error::MissingProperty { node, prop: "reg" })?;
    let mpidr = reg
        .cells()
        .filter(|c| c.len() == cells as usize)
        .and_then(|mut c| c.take(cells))
        .ok_or(Error::BadProperty {
            node,
            prop: "reg",
            why: "is not one MPIDR of #address-cells cells",
        })?;
    if mpidr & !vocab::MPIDR_AFFINITY_MASK != 0 {
        return Err(Error::BadMpidr {
            node,
            mpidr,
            duplicate: false,
        });
    }
    let enable = match n.prop("enable-method") {
        None => EnableMethod::Absent,
        Some(p) => match p.strs().find(|m| *m == "psci" || *m == "spin-table") {
            Some("psci") => EnableMethod::Psci,
            Some(_) => {
                let addr = n.prop("cpu-release-addr").ok_or(Error::MissingProperty {
                    node,
                    prop: "cpu-release-addr",
                })?;
                let release_addr = addr.u64().ok_or(Error::BadProperty {
                    node,
                    prop: "cpu-release-addr",
                    why: "is not one or two cells",
                })?;
                EnableMethod::SpinTable { release_addr }
            }
            None => {
                let method = p.strs().next().unwrap_or("");
                return Err(Error::UnsupportedEnableMethod { node, method });
            }
        },
    };
    Ok(Some(Cpu {
        node,
        mpidr,
        enable,
    }))
}

/// Reads `ctx` if it is an available PSCI node.
pub fn parse_psci<'a>(ctx: &Context<'a, '_>) -> Result<Option<Psci>, Error<'a>> {
    let n = ctx.node;
    let version = if n.is_compatible("arm,psci-1.0") {
        PsciVersion::V1_0
    } else if n.is_compatible("arm,psci-0.2") {
        PsciVersion::V0_2
    } else if n.is_compatible("arm,psci") {
        PsciVersion::V0_1
    } else {
        return Ok(None);
    };
    if !n.is_available() {
        return Ok(None);
    }
    let node = n.name();
    let conduit = match n.str_prop("method") {
        Some("smc") => Conduit::Smc,
        Some("hvc") => Conduit::Hvc,
        Some(method) => return Err(Error::PsciMethod { node, method }),
        None => {
            return Err(Error::MissingProperty {
                node,
                prop: "method",
            })
        }
    };
    let cpu_on = match n.prop("cpu_on") {
        Some(p) => p.u32().ok_or(Error::BadProperty {
            node,
            prop: "cpu_on",
            why: "is not one cell",
        })?,
        None if version == PsciVersion::V0_1 => {
            return Err(Error::MissingProperty {
                node,
                prop: "cpu_on",
            })
        }
        None => PSCI_CPU_ON_64,
    };
    Ok(Some(Psci {
        conduit,
        cpu_on,
        version,
    }))
}
