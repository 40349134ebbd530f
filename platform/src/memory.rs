// SPDX-License-Identifier: Apache-2.0 OR MIT
//! RAM and what must not be used of it: `memory` nodes, `/memreserve/`
//! entries and `/reserved-memory` children with `reg`.
//!
//! Reserved-memory children without `reg` (dynamically placed pools such
//! as `linux,cma`) reserve nothing here: whoever places them later must
//! take them from the usable ranges.

use crate::error::Error;
use crate::list::List;
use crate::range::Range;
use crate::walk::Context;

/// Most RAM ranges recorded.
pub const MAX_MEMORY: usize = 16;
/// Most reserved ranges recorded (`/memreserve/` plus `/reserved-memory`).
pub const MAX_RESERVED: usize = 64;

/// Appends the RAM ranges of `ctx` to `out` if it is an available
/// `device_type = "memory"` node under the root. Empty ranges are skipped
/// (some firmware leaves `reg = <0 0 0>` for the boot loader to fill in).
pub fn parse_memory<'a>(
    ctx: &Context<'a, '_>,
    out: &mut List<Range, MAX_MEMORY>,
) -> Result<(), Error<'a>> {
    let n = ctx.node;
    if !ctx.is_root_child() || n.str_prop("device_type") != Some("memory") || !n.is_available() {
        return Ok(());
    }
    push_nonempty(ctx, out, "memory ranges")
}

/// Appends the ranges of `ctx` to `out` if it is an available child of
/// `/reserved-memory` with `reg`.
pub fn parse_reserved<'a>(
    ctx: &Context<'a, '_>,
    out: &mut List<Range, MAX_RESERVED>,
) -> Result<(), Error<'a>> {
    let in_reserved = ctx
        .parent
        .is_some_and(|p| p.is_root_child() && p.node.name() == "reserved-memory");
    if !in_reserved || !ctx.node.is_available() {
        return Ok(());
    }
    push_nonempty(ctx, out, "reserved memory ranges")
}

fn push_nonempty<'a, const N: usize>(
    ctx: &Context<'a, '_>,
    out: &mut List<Range, N>,
    what: &'static str,
) -> Result<(), Error<'a>> {
    for r in ctx.regs() {
        let r = r?;
        if r.size != 0 {
            out.push(r).map_err(|_| Error::TooMany { what, limit: N })?;
        }
    }
    Ok(())
}
