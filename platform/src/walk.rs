// SPDX-License-Identifier: Apache-2.0 OR MIT
//! A depth-first walk of the tree that keeps each node's ancestry, and what
//! needs that ancestry: `#address-cells`/`#size-cells`, `reg` translated to
//! a CPU physical address through every parent's `ranges`, the inherited
//! interrupt parent, and path matching.
//!
//! The ancestry is a chain of [`Context`]s on the call stack, one per
//! level, so the walk needs no heap; its depth is bounded by
//! [`MAX_DEPTH`](crate::fdt::MAX_DEPTH), checked when the blob is parsed.

use crate::error::Error;
use crate::fdt::Fdt;
use crate::node::{Cells, Node, Prop};
use crate::range::Range;

/// Where a node's interrupts go, as far as the tree itself says: an
/// `interrupt-parent` phandle, or an ancestor with `#interrupt-cells`.
/// Which of these is the GIC is decided later (see [`crate::irq`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqParent {
    /// No interrupt parent anywhere up the tree.
    None,
    /// The node with this `phandle`.
    Phandle(u32),
    /// The node at this structure-block offset ([`Node::offset`]).
    Node(usize),
}

/// A node together with its ancestry.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a, 'p> {
    pub node: Node<'a>,
    pub parent: Option<&'p Context<'a, 'p>>,
    /// `#address-cells` for this node's children (default 2).
    pub address_cells: u32,
    /// `#size-cells` for this node's children (default 1).
    pub size_cells: u32,
    /// Where this node's own `interrupts` go.
    pub irq_parent: IrqParent,
    /// Where a child without `interrupt-parent` sends its interrupts.
    child_irq_parent: IrqParent,
    /// The node is a child of the root or of a chain of available
    /// `simple-bus` nodes: a candidate for the device list.
    pub on_bus: bool,
    bus_for_children: bool,
}

impl<'a, 'p> Context<'a, 'p> {
    fn new(node: Node<'a>, parent: Option<&'p Context<'a, 'p>>) -> Result<Self, Error<'a>> {
        let cells = |prop: &'static str, default: u32| match node.prop(prop) {
            None => Ok(default),
            Some(p) => p.u32().ok_or(Error::BadProperty {
                node: node.name(),
                prop,
                why: "is not one cell",
            }),
        };
        let irq_parent = match node.prop("interrupt-parent") {
            Some(p) => IrqParent::Phandle(p.u32().ok_or(Error::BadProperty {
                node: node.name(),
                prop: "interrupt-parent",
                why: "is not one cell",
            })?),
            None => parent.map_or(IrqParent::None, |p| p.child_irq_parent),
        };
        let child_irq_parent = if node.has("#interrupt-cells") {
            IrqParent::Node(node.offset())
        } else {
            irq_parent
        };
        let on_bus = parent.is_some_and(|p| p.bus_for_children);
        Ok(Context {
            node,
            parent,
            address_cells: cells("#address-cells", 2)?,
            size_cells: cells("#size-cells", 1)?,
            irq_parent,
            child_irq_parent,
            on_bus,
            bus_for_children: parent.is_none()
                || (on_bus && node.is_compatible("simple-bus") && node.is_available()),
        })
    }

    /// Whether this node is the root.
    pub fn is_root(&self) -> bool {
        self.parent.is_none()
    }

    /// Whether this node's parent is the root.
    pub fn is_root_child(&self) -> bool {
        self.parent.is_some_and(|p| p.is_root())
    }

    /// Whether this node's full path is `base` followed by `sub` (both
    /// `/`-separated; `sub` may be empty). Names must match exactly,
    /// unit address included.
    pub fn path_is(&self, base: &str, sub: &str) -> bool {
        let parts = base
            .split('/')
            .chain(sub.split('/'))
            .filter(|c| !c.is_empty());
        let mut at = Some(self);
        for part in parts.rev() {
            match at {
                Some(ctx) if !ctx.is_root() && ctx.node.name() == part => at = ctx.parent,
                _ => return false,
            }
        }
        at.is_some_and(|ctx| ctx.is_root())
    }

    /// The node's `reg` entries, each translated to a CPU physical address.
    /// An absent `reg` gives no entries; iteration ends after an error.
    pub fn regs(&self) -> impl Iterator<Item = Result<Range, Error<'a>>> + '_ {
        let name = self.node.name();
        let bad = move |why| Error::BadProperty {
            node: name,
            prop: "reg",
            why,
        };
        let (ac, sc) = self
            .parent
            .map_or((2, 1), |p| (p.address_cells, p.size_cells));
        let entry = ac as usize + sc as usize;
        let whole = |c: &Cells<'_>| entry != 0 && c.len().is_multiple_of(entry);
        let shape = "length is not a whole number of (address, size) entries";
        let mut state = self
            .node
            .prop("reg")
            .map(|p| p.cells().filter(whole).ok_or(bad(shape)));
        core::iter::from_fn(move || match state.take()? {
            Err(e) => Some(Err(e)),
            Ok(mut cells) if !cells.is_empty() => {
                let result = match (cells.take(ac), cells.take(sc)) {
                    (Some(addr), Some(size)) => self.translate(addr, size),
                    _ => Err(bad("has an address or size that does not fit in 64 bits")),
                };
                if result.is_ok() {
                    state = Some(Ok(cells));
                }
                Some(result)
            }
            Ok(_) => None,
        })
    }

    /// The first `reg` entry, translated; `None` if there is no `reg`.
    pub fn first_reg(&self) -> Result<Option<Range>, Error<'a>> {
        self.regs().next().transpose()
    }

    /// Translates `addr` (in this node's parent's address space) to a CPU
    /// physical address, walking up through every bus's `ranges`.
    fn translate(&self, addr: u64, size: u64) -> Result<Range, Error<'a>> {
        let node = self.node.name();
        let mut addr = addr;
        let mut bus = self.parent;
        while let Some(b) = bus {
            let Some(up) = b.parent else { break };
            let ranges = b.node.prop("ranges").ok_or(Error::NotTranslatable {
                node,
                bus: b.node.name(),
            })?;
            if !ranges.value.is_empty() {
                addr = b
                    .map_through_ranges(ranges, up, addr)
                    .ok_or(Error::OutsideRanges {
                        node,
                        bus: b.node.name(),
                        addr,
                    })??;
            }
            bus = b.parent;
        }
        if addr.checked_add(size).is_none() {
            return Err(Error::BadProperty {
                node,
                prop: "reg",
                why: "runs past the top of the 64-bit address space",
            });
        }
        Ok(Range::new(addr, size))
    }

    /// Looks `addr` up in this bus's non-empty `ranges`; `up` is the bus's
    /// parent. `None` if no window contains it; windows whose addresses do
    /// not fit in 64 bits (PCI space codes) never match.
    fn map_through_ranges(
        &self,
        ranges: Prop<'a>,
        up: &Context<'a, '_>,
        addr: u64,
    ) -> Option<Result<u64, Error<'a>>> {
        let (c, p, s) = (self.address_cells, up.address_cells, self.size_cells);
        let entry = c as usize + p as usize + s as usize;
        let bad = Error::BadProperty {
            node: self.node.name(),
            prop: "ranges",
            why: "length is not a whole number of (child, parent, size) entries",
        };
        let mut cells = match ranges.cells() {
            Some(cells) if entry != 0 && cells.len().is_multiple_of(entry) => cells,
            _ => return Some(Err(bad)),
        };
        while !cells.is_empty() {
            let (child, parent, size) = (cells.take(c), cells.take(p), cells.take(s));
            if let (Some(child), Some(parent), Some(size)) = (child, parent, size) {
                if addr >= child && addr - child < size {
                    return Some(parent.checked_add(addr - child).ok_or(Error::BadProperty {
                        node: self.node.name(),
                        prop: "ranges",
                        why: "maps past the top of the 64-bit address space",
                    }));
                }
            }
        }
        None
    }
}

/// Calls `visit` on every node, parents before children, with its
/// ancestry. Stops at the first error.
pub fn walk<'a>(
    fdt: &Fdt<'a>,
    visit: &mut dyn FnMut(&Context<'a, '_>) -> Result<(), Error<'a>>,
) -> Result<(), Error<'a>> {
    visit_node(fdt.root(), None, visit)
}

fn visit_node<'a>(
    node: Node<'a>,
    parent: Option<&Context<'a, '_>>,
    visit: &mut dyn FnMut(&Context<'a, '_>) -> Result<(), Error<'a>>,
) -> Result<(), Error<'a>> {
    let ctx = Context::new(node, parent)?;
    visit(&ctx)?;
    for child in node.children() {
        visit_node(child, Some(&ctx), visit)?;
    }
    Ok(())
}
