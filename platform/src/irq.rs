// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Interrupt specifiers: which of a node's interrupts go to the GIC, and
//! their translation from the GIC binding's (type, number, flags) cells to
//! GIC INTIDs and trigger modes.
//!
//! A node's interrupts go to the GIC when its interrupt parent (its own or
//! inherited `interrupt-parent`, or the nearest ancestor with
//! `#interrupt-cells`) is the GIC node, or, with `interrupts-extended`,
//! when every entry names the GIC. Anything else (the Raspberry Pi 4's
//! `bcm2836-l1-intc`, a GPIO controller) is reported as
//! [`Routing::Elsewhere`], never misread as GIC interrupts.

use crate::error::Error;
use crate::fdt::{be32, Fdt};
use crate::walk::{Context, IrqParent};
use vocab::Trigger;

/// How the device tree says a line signals: the low 4 bits of a GIC
/// specifier's third cell, polarity included. [`Irq::trigger`] reduces it
/// to the [`Trigger`] the GIC is programmed with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sense {
    /// 1: low-to-high edge.
    EdgeRising,
    /// 2: high-to-low edge (PPIs only).
    EdgeFalling,
    /// 4: active-high level.
    #[default]
    LevelHigh,
    /// 8: active-low level (PPIs only; some timer bindings use it).
    LevelLow,
    /// 0: the tree does not say. Treated as level: a level interrupt
    /// handled as level is never lost.
    Unspecified,
}

/// One interrupt, as the GIC numbers it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Irq {
    /// GIC INTID: SPI n is 32+n, PPI n is 16+n (GICv3 extended: ESPI n is
    /// 4096+n, EPPI n is 1056+n).
    pub intid: u32,
    pub sense: Sense,
}

impl Irq {
    /// Edge for either edge; level for either level, and for an
    /// unspecified sense (a level line handled as level is never lost).
    pub fn trigger(&self) -> Trigger {
        match self.sense {
            Sense::EdgeRising | Sense::EdgeFalling => Trigger::Edge,
            _ => Trigger::Level,
        }
    }

    /// [`Irq::trigger`] is level.
    pub fn is_level(&self) -> bool {
        self.trigger() == Trigger::Level
    }
}

/// The GIC node, as interrupt routing needs to recognise it.
#[derive(Clone, Copy, Debug)]
pub struct GicRef {
    pub(crate) offset: usize,
    pub(crate) phandle: Option<u32>,
    /// The GIC's `#interrupt-cells`: 3 or 4 ([`crate::gic::parse`]
    /// checks); cells past the third, such as GICv3's PPI partition, are
    /// ignored.
    pub(crate) cells: u32,
}

impl GicRef {
    /// Whether `parent` is this GIC.
    pub fn is(&self, parent: IrqParent) -> bool {
        match parent {
            IrqParent::Node(off) => off == self.offset,
            IrqParent::Phandle(p) => Some(p) == self.phandle,
            IrqParent::None => false,
        }
    }
}

/// Translates one GIC specifier `(type, number, flags)` to an [`Irq`].
///
/// The INTID is computed as Linux's GIC drivers do (type 0: 32+n, type 1:
/// 16+n, no check that a "PPI" number is below 16), so trees that write an
/// SPI as a large PPI number (hi6220's Mali, ThunderX's UARTs) give the
/// INTID Linux would use. What is refused is an INTID outside 0..1020 and
/// the GICv3 extended ranges (type 2: ESPI 4096+n, type 3: EPPI 1056+n).
pub fn decode<'a>(node: &'a str, kind: u32, number: u32, flags: u32) -> Result<Irq, Error<'a>> {
    let intid = match kind {
        0 => 32u64 + u64::from(number),
        1 => 16u64 + u64::from(number),
        2 if number < 1024 => 4096 + u64::from(number),
        3 if number < 64 => 1056 + u64::from(number),
        _ => u64::MAX,
    };
    let intid = u32::try_from(intid)
        .ok()
        .filter(|&i| i < 1020 || kind >= 2)
        .ok_or(Error::BadInterrupt { node, kind, number })?;
    let sense = match flags & 0xf {
        0 => Sense::Unspecified,
        1 => Sense::EdgeRising,
        2 => Sense::EdgeFalling,
        4 => Sense::LevelHigh,
        8 => Sense::LevelLow,
        other => return Err(Error::BadTrigger { node, flags: other }),
    };
    Ok(Irq { intid, sense })
}

/// A node's GIC interrupts, read from the blob on demand: any number of
/// them, no copy. Built only by [`gic_interrupts`], which has already
/// decoded every entry once, so iterating cannot fail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqList<'a> {
    cells: &'a [u8],
    /// Bytes per entry.
    stride: u8,
    /// Bytes to skip at the start of each entry (the phandle of an
    /// `interrupts-extended` entry).
    skip: u8,
}

impl<'a> IrqList<'a> {
    /// How many interrupts.
    pub fn len(&self) -> usize {
        self.cells
            .len()
            .checked_div(usize::from(self.stride))
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th interrupt.
    pub fn get(&self, i: usize) -> Option<Irq> {
        let entry = self.cells.get(i.checked_mul(usize::from(self.stride))?..)?;
        let cell = |n: usize| be32(entry, usize::from(self.skip) + 4 * n);
        decode("", cell(0)?, cell(1)?, cell(2)?).ok()
    }

    /// The interrupts, in order.
    pub fn iter(&self) -> impl Iterator<Item = Irq> + 'a {
        let list = *self;
        (0..list.len()).map_while(move |i| list.get(i))
    }

    fn check(&self, node: &'a str) -> Result<(), Error<'a>> {
        for entry in self.cells.chunks(usize::from(self.stride.max(1))) {
            let cell = |n: usize| be32(entry, usize::from(self.skip) + 4 * n).unwrap_or(0);
            decode(node, cell(0), cell(1), cell(2))?;
        }
        Ok(())
    }
}

/// Where a node's interrupts go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing<'a> {
    /// The node has neither `interrupts` nor `interrupts-extended`.
    Absent,
    /// All of them go to the GIC.
    Gic(IrqList<'a>),
    /// At least one goes to another controller.
    Elsewhere,
}

/// Reads the node's `interrupts-extended` (preferred, as Linux does) or
/// `interrupts`, and checks every GIC specifier in it.
pub fn gic_interrupts<'a>(
    fdt: &Fdt<'a>,
    ctx: &Context<'a, '_>,
    gic: &GicRef,
) -> Result<Routing<'a>, Error<'a>> {
    let node = ctx.node.name();
    let bad = |prop, why| Error::BadProperty { node, prop, why };
    // At most 16: `gic::parse` accepts only 3 or 4 cells.
    let gic_entry = 4 * gic.cells.min(4) as u8;
    let list = if let Some(p) = ctx.node.prop("interrupts-extended") {
        let prop = "interrupts-extended";
        let mut cells = p
            .cells()
            .ok_or(bad(prop, "length is not a multiple of 4"))?;
        let mut elsewhere = false;
        while let Some(phandle) = cells.next_u32() {
            let n = if gic.phandle == Some(phandle) {
                gic.cells
            } else {
                elsewhere = true;
                let target = fdt.nodes().find(|n| n.phandle() == Some(phandle));
                let target = target.ok_or(Error::NoSuchPhandle { node, phandle })?;
                let n = target.u32_prop("#interrupt-cells");
                n.ok_or(bad(prop, "names a node without #interrupt-cells"))?
            };
            for _ in 0..n {
                cells
                    .next_u32()
                    .ok_or(bad(prop, "ends in the middle of an entry"))?;
            }
        }
        if elsewhere {
            return Ok(Routing::Elsewhere);
        }
        IrqList {
            cells: p.value,
            stride: 4 + gic_entry,
            skip: 4,
        }
    } else {
        let Some(p) = ctx.node.prop("interrupts") else {
            return Ok(Routing::Absent);
        };
        if !gic.is(ctx.irq_parent) {
            return Ok(Routing::Elsewhere);
        }
        if !p.value.len().is_multiple_of(usize::from(gic_entry)) {
            return Err(bad(
                "interrupts",
                "length is not a multiple of the GIC's #interrupt-cells",
            ));
        }
        IrqList {
            cells: p.value,
            stride: gic_entry,
            skip: 0,
        }
    };
    list.check(node)?;
    Ok(Routing::Gic(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_spi_ppi_and_extended_ranges() {
        let d = |k, n, f| decode("n", k, n, f);
        assert_eq!(
            d(0, 1, 4),
            Ok(Irq {
                intid: 33,
                sense: Sense::LevelHigh
            })
        );
        assert_eq!(
            d(1, 9, 0xf04),
            Ok(Irq {
                intid: 25,
                sense: Sense::LevelHigh
            })
        );
        assert_eq!(
            d(1, 13, 0xff08),
            Ok(Irq {
                intid: 29,
                sense: Sense::LevelLow
            })
        );
        assert_eq!(
            d(0, 0xc1, 1).map(|i| (i.intid, i.is_level())),
            Ok((225, false))
        );
        assert_eq!(d(0, 987, 2).map(|i| i.intid), Ok(1019));
        assert_eq!(d(2, 5, 4).map(|i| i.intid), Ok(4101));
        assert_eq!(d(3, 63, 4).map(|i| i.intid), Ok(1119));
        assert!(d(0, 0, 0).unwrap().is_level());
        // hi6220's Mali says "PPI 126": Linux makes that INTID 142.
        assert_eq!(d(1, 126, 4).map(|i| i.intid), Ok(142));
        assert_eq!(
            d(1, 1004, 4),
            Err(Error::BadInterrupt {
                node: "n",
                kind: 1,
                number: 1004
            })
        );
        assert_eq!(
            d(0, 988, 4),
            Err(Error::BadInterrupt {
                node: "n",
                kind: 0,
                number: 988
            })
        );
        assert_eq!(
            d(2, 1024, 4),
            Err(Error::BadInterrupt {
                node: "n",
                kind: 2,
                number: 1024
            })
        );
        assert_eq!(
            d(0, u32::MAX, 4),
            Err(Error::BadInterrupt {
                node: "n",
                kind: 0,
                number: u32::MAX
            })
        );
        assert_eq!(
            d(4, 0, 4),
            Err(Error::BadInterrupt {
                node: "n",
                kind: 4,
                number: 0
            })
        );
        assert_eq!(
            d(0, 1, 3),
            Err(Error::BadTrigger {
                node: "n",
                flags: 3
            })
        );
    }

    #[test]
    fn gic_ref_matches_by_offset_or_phandle_only() {
        let gic = GicRef {
            offset: 0x40,
            phandle: Some(1),
            cells: 3,
        };
        assert!(gic.is(IrqParent::Node(0x40)));
        assert!(gic.is(IrqParent::Phandle(1)));
        assert!(!gic.is(IrqParent::Phandle(2)));
        assert!(!gic.is(IrqParent::Node(0x44)));
        assert!(!gic.is(IrqParent::None));
        let anonymous = GicRef {
            phandle: None,
            ..gic
        };
        assert!(!anonymous.is(IrqParent::Phandle(1)));
    }
}
