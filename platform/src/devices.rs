// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Devices a hypervisor may later hand to a guest: every available node
//! directly under the root or under a chain of `simple-bus` nodes that has
//! `reg` and whose interrupts all go to the GIC. The GIC itself is left
//! out; so are nodes whose interrupts go to another controller.
//!
//! The `reg` ranges of all devices share one pool, so a device with many
//! ranges does not make every entry large; interrupts are read from the
//! blob on demand ([`IrqList`]).

use crate::error::Error;
use crate::fdt::cstr;
use crate::irq::{gic_interrupts, GicRef, IrqList, Routing};
use crate::list::List;
use crate::range::Range;
use crate::walk::Context;
use crate::Fdt;

/// Most devices recorded (the largest of the 577 trees in Debian's arm64
/// kernel package has 67).
pub const MAX_DEVICES: usize = 128;
/// Most `reg` ranges over all devices together (largest seen: 76).
pub const MAX_DEVICE_REGS: usize = 256;
/// Most `reg` ranges of the other nodes on the buses (disabled ones, those
/// whose interrupts go elsewhere or that have none), kept only to know
/// what shares a page with a device.
pub const MAX_OTHER_REGS: usize = 128;

/// A node on the buses that is not a [`Device`], by one of its ranges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Other<'a> {
    pub name: &'a str,
    pub reg: Range,
    /// A disabled node's first `compatible` (`""` for one that is
    /// available, or has none): a disabled instance of a device's own
    /// kind in its page does not keep the device from a guest (see
    /// [`crate::Platform::page_neighbour`]).
    pub disabled_kind: &'a str,
}

/// One device node, as [`Devices`] hands it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device<'a, 'd> {
    /// The node name, e.g. `pl031@9010000`.
    pub name: &'a str,
    /// The first `compatible` string, or `""`.
    pub compatible: &'a str,
    /// The raw `compatible` property: NUL-terminated strings, most specific
    /// first (empty if the node has none). A guest's copy of the node gets
    /// exactly these bytes.
    pub compatibles: &'a [u8],
    /// `reg`, translated to CPU physical addresses.
    pub regs: &'d [Range],
    /// The interrupts, as GIC INTIDs.
    pub irqs: IrqList<'a>,
    /// Where the node starts in the blob's structure block: its identity,
    /// as [`crate::find_node`] gives it.
    pub offset: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Entry<'a> {
    name: &'a str,
    /// The raw property; the first string is derived on demand so that the
    /// entry (and the boot-stack `Platform`) stays as small as it was.
    compatibles: &'a [u8],
    first_reg: u16,
    regs: u16,
    /// The node's structure offset (a blob is at most 4 GiB).
    offset: u32,
    irqs: IrqList<'a>,
}

/// The device list, in tree order.
#[derive(Clone, Debug, Default)]
pub struct Devices<'a> {
    entries: List<Entry<'a>, MAX_DEVICES>,
    regs: List<Range, MAX_DEVICE_REGS>,
    others: List<Other<'a>, MAX_OTHER_REGS>,
    /// More other nodes' ranges than [`MAX_OTHER_REGS`]: any page may be
    /// shared with one not kept.
    others_truncated: bool,
}

impl<'a> Devices<'a> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `i`th device.
    pub fn get(&self, i: usize) -> Option<Device<'a, '_>> {
        let e = self.entries.get(i)?;
        let start = usize::from(e.first_reg);
        Some(Device {
            name: e.name,
            compatible: cstr(e.compatibles).unwrap_or(""),
            compatibles: e.compatibles,
            regs: self
                .regs
                .get(start..start + usize::from(e.regs))
                .unwrap_or(&[]),
            irqs: e.irqs,
            offset: e.offset as usize,
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = Device<'a, '_>> {
        (0..self.len()).map_while(|i| self.get(i))
    }

    /// The other nodes' ranges, and whether some were not kept.
    pub fn others(&self) -> (&[Other<'a>], bool) {
        (&self.others, self.others_truncated)
    }

    fn add_other(&mut self, ctx: &Context<'a, '_>) {
        let n = ctx.node;
        let disabled_kind = match n.is_available() {
            true => "",
            false => n.compatible().next().unwrap_or(""),
        };
        for r in ctx.regs().flatten() {
            let other = Other {
                name: n.name(),
                reg: r,
                disabled_kind,
            };
            if self.others.push(other).is_err() {
                self.others_truncated = true;
            }
        }
    }

    /// Records `ctx` if it is such a device.
    pub(crate) fn add(
        &mut self,
        fdt: &Fdt<'a>,
        ctx: &Context<'a, '_>,
        gic: &GicRef,
    ) -> Result<(), Error<'a>> {
        let n = ctx.node;
        if !ctx.on_bus || !n.has("reg") || n.offset() == gic.offset {
            return Ok(());
        }
        if !n.is_available() {
            self.add_other(ctx);
            return Ok(());
        }
        let Routing::Gic(irqs) = gic_interrupts(fdt, ctx, gic)? else {
            self.add_other(ctx);
            return Ok(());
        };
        let first = self.regs.len();
        for r in ctx.regs() {
            let r = r?;
            if self.regs.push(r).is_err() {
                self.regs.truncate(first);
                return Err(Error::TooMany {
                    what: "device reg ranges",
                    limit: MAX_DEVICE_REGS,
                });
            }
        }
        let entry = Entry {
            name: n.name(),
            compatibles: n.prop("compatible").map_or(&[][..], |p| p.value),
            // MAX_DEVICE_REGS fits in u16.
            first_reg: first as u16,
            regs: (self.regs.len() - first) as u16,
            offset: n.offset() as u32,
            irqs,
        };
        self.entries.push(entry).map_err(|_| Error::TooMany {
            what: "devices",
            limit: MAX_DEVICES,
        })
    }
}
