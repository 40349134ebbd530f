// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Recognising the GIC node and reading its register frames and
//! maintenance interrupt.
//!
//! GICv2 (`arm,gic-400`, `arm,cortex-a15-gic`): `reg` is GICD, GICC and,
//! with the virtualization extensions, GICH and GICV. GICv3 (`arm,gic-v3`):
//! `reg` is GICD, `#redistributor-regions` (default 1) redistributor
//! regions, then optionally GICC, GICH and GICV. The maintenance interrupt
//! is the node's first `interrupts` entry.

use crate::error::Error;
use crate::irq::{gic_interrupts, GicRef, Irq, Routing};
use crate::list::List;
use crate::range::Range;
use crate::walk::Context;
use crate::Fdt;

/// Most redistributor regions a GICv3 node may list.
pub const MAX_REDIST_REGIONS: usize = 4;
/// Most `reg` entries a GIC node may have: GICD, four redistributor
/// regions, GICC, GICH, GICV.
const MAX_GIC_REGS: usize = 1 + MAX_REDIST_REGIONS + 3;

const V2_COMPATIBLE: [&str; 2] = ["arm,gic-400", "arm,cortex-a15-gic"];
const V3_COMPATIBLE: &str = "arm,gic-v3";

/// The GIC's register frames, as CPU physical addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GicInfo {
    V2 {
        gicd: Range,
        gicc: Range,
        /// Virtual interface control (absent without virtualization).
        gich: Option<Range>,
        /// Virtual CPU interface (absent without virtualization).
        gicv: Option<Range>,
    },
    V3 {
        gicd: Range,
        redists: List<Range, MAX_REDIST_REGIONS>,
        /// `redistributor-stride`, if the redistributors are padded.
        redistributor_stride: Option<u64>,
        /// The GICv2-compatible virtual CPU interface, if there is one.
        gicv: Option<Range>,
    },
}

impl GicInfo {
    /// Every register frame (at most 4 redistributor regions).
    pub fn regions(&self) -> [Option<Range>; 4 + MAX_REDIST_REGIONS] {
        let mut out = [None; 4 + MAX_REDIST_REGIONS];
        match self {
            GicInfo::V2 {
                gicd,
                gicc,
                gich,
                gicv,
            } => {
                out[..4].copy_from_slice(&[Some(*gicd), Some(*gicc), *gich, *gicv]);
            }
            GicInfo::V3 {
                gicd,
                redists,
                gicv,
                ..
            } => {
                out[0] = Some(*gicd);
                out[1] = *gicv;
                for (o, r) in out[4..].iter_mut().zip(redists.iter()) {
                    *o = Some(*r);
                }
            }
        }
        out
    }
}

/// The GIC node, read.
#[derive(Clone, Copy, Debug)]
pub struct Gic<'a> {
    pub info: GicInfo,
    pub node: &'a str,
    pub compatible: &'a str,
    pub maintenance_irq: Option<Irq>,
    pub id: GicRef,
}

/// Reads `ctx` if it is an available GIC node; `Ok(None)` otherwise.
pub fn parse<'a>(fdt: &Fdt<'a>, ctx: &Context<'a, '_>) -> Result<Option<Gic<'a>>, Error<'a>> {
    let n = ctx.node;
    if !n.has("interrupt-controller") || !n.is_available() {
        return Ok(None);
    }
    let Some(compatible) = n
        .compatible()
        .find(|c| V2_COMPATIBLE.contains(c) || *c == V3_COMPATIBLE)
    else {
        return Ok(None);
    };
    let node = n.name();
    let bad = |prop, why| Error::BadProperty { node, prop, why };
    let cells = n
        .u32_prop("#interrupt-cells")
        .ok_or(bad("#interrupt-cells", "is missing or not one cell"))?;
    if !(3..=4).contains(&cells) {
        return Err(bad("#interrupt-cells", "is not 3 or 4"));
    }
    let id = GicRef {
        offset: n.offset(),
        phandle: n.phandle(),
        cells,
    };

    let mut regs: List<Range, MAX_GIC_REGS> = List::new();
    for r in ctx.regs() {
        regs.push(r?).map_err(|_| Error::TooMany {
            what: "reg entries on the GIC node",
            limit: MAX_GIC_REGS,
        })?;
    }
    let reg = |i: usize| regs.get(i).copied();
    let missing = |what| bad("reg", what);
    let info = if compatible == V3_COMPATIBLE {
        let count = match n.prop("#redistributor-regions") {
            None => 1,
            Some(p) => p
                .u32()
                .ok_or(bad("#redistributor-regions", "is not one cell"))?
                as usize,
        };
        if count == 0 || count > MAX_REDIST_REGIONS {
            return Err(bad("#redistributor-regions", "is not between 1 and 4"));
        }
        let mut redists = List::new();
        for i in 1..=count {
            let r = reg(i).ok_or(missing(
                "has fewer redistributor regions than #redistributor-regions",
            ))?;
            let _ = redists.push(r); // cannot fail: count <= MAX_REDIST_REGIONS
        }
        let redistributor_stride = match n.prop("redistributor-stride") {
            None => None,
            Some(p) => Some(
                p.u64()
                    .ok_or(bad("redistributor-stride", "is not one or two cells"))?,
            ),
        };
        GicInfo::V3 {
            gicd: reg(0).ok_or(missing("is missing (need the distributor GICD)"))?,
            redists,
            redistributor_stride,
            gicv: reg(count + 3),
        }
    } else {
        GicInfo::V2 {
            gicd: reg(0).ok_or(missing("is missing (need the distributor GICD)"))?,
            gicc: reg(1).ok_or(missing("has no second entry (need the CPU interface GICC)"))?,
            gich: reg(2),
            gicv: reg(3),
        }
    };

    let maintenance_irq = match gic_interrupts(fdt, ctx, &id)? {
        Routing::Absent => None,
        Routing::Gic(irqs) => irqs.get(0),
        Routing::Elsewhere => return Err(Error::NotOnGic { node }),
    };
    Ok(Some(Gic {
        info,
        node,
        compatible,
        maintenance_irq,
        id,
    }))
}
