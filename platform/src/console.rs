// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The boot console: the UART `/chosen/stdout-path` names, and which of the
//! supported drivers fits it.
//!
//! `stdout-path` (or the older `linux,stdout-path`) is a full path or an
//! alias from `/aliases`, optionally followed by `:options` (e.g.
//! `serial1:115200n8`). Supported: PL011, the 16550 family (`ns16550a`,
//! `ns16550`, `snps,dw-apb-uart` with `reg-shift`/`reg-io-width`), the
//! BCM2835 mini UART and the Amlogic Meson UART.

use crate::error::Error;
use crate::irq::{gic_interrupts, GicRef, Irq, Routing};
use crate::walk::Context;
use crate::Fdt;
pub use vocab::ConsoleKind;

/// The console UART.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsoleInfo<'a> {
    pub kind: ConsoleKind,
    /// The `compatible` string that selected `kind`.
    pub compatible: &'a str,
    /// The node name, e.g. `serial@7e215040`.
    pub node: &'a str,
    /// What followed `:` in `stdout-path` (e.g. `115200n8`), or `""`.
    pub options: &'a str,
    pub base: u64,
    pub size: u64,
    /// log2 of the register spacing (16550 family; 2 for the mini UART;
    /// 0 for PL011 and Meson, whose registers sit at fixed offsets).
    pub reg_shift: u32,
    /// Register access width in bytes (1, 2 or 4).
    pub reg_io_width: u32,
    /// The UART's interrupt, if it goes to the GIC.
    pub irq: Option<Irq>,
}

const KINDS: [(&str, ConsoleKind); 6] = [
    ("arm,pl011", ConsoleKind::Pl011),
    ("ns16550a", ConsoleKind::Ns16550),
    ("ns16550", ConsoleKind::Ns16550),
    ("snps,dw-apb-uart", ConsoleKind::Ns16550),
    ("brcm,bcm2835-aux-uart", ConsoleKind::Bcm2835Aux),
    ("amlogic,meson-gx-uart", ConsoleKind::Meson),
];

/// Whether a raw `compatible` (NUL-separated strings) names a UART this
/// code drives: what a guest's own console may be.
pub fn is_uart(compatibles: &[u8]) -> bool {
    compatibles
        .split(|&b| b == 0)
        .any(|c| KINDS.iter().any(|(k, _)| k.as_bytes() == c))
}

/// Where `stdout-path` points: the path `base` followed by `sub` (an alias
/// may be followed by a sub-path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StdoutPath<'a> {
    pub base: &'a str,
    pub sub: &'a str,
    pub options: &'a str,
}

/// Reads `/chosen/stdout-path` (else `linux,stdout-path`) and resolves an
/// alias. `Ok(None)` if neither property exists.
pub fn stdout_path<'a>(fdt: &Fdt<'a>) -> Result<Option<StdoutPath<'a>>, Error<'a>> {
    let root = fdt.root();
    let Some(chosen) = root.child("chosen") else {
        return Ok(None);
    };
    let Some(prop) = chosen
        .prop("stdout-path")
        .or_else(|| chosen.prop("linux,stdout-path"))
    else {
        return Ok(None);
    };
    let value = prop.str().ok_or(Error::BadProperty {
        node: "chosen",
        prop: "stdout-path",
        why: "is not one string",
    })?;
    let (spec, options) = value.split_once(':').unwrap_or((value, ""));
    if spec.starts_with('/') {
        return Ok(Some(StdoutPath {
            base: spec,
            sub: "",
            options,
        }));
    }
    let (alias, sub) = spec.split_once('/').unwrap_or((spec, ""));
    let base = root.child("aliases").and_then(|a| a.str_prop(alias));
    let base = base.ok_or(Error::NoSuchConsole { path: spec })?;
    Ok(Some(StdoutPath { base, sub, options }))
}

/// Reads the console node `ctx` (the one `path` names).
pub fn parse<'a>(
    fdt: &Fdt<'a>,
    ctx: &Context<'a, '_>,
    gic: &GicRef,
    path: &StdoutPath<'a>,
) -> Result<ConsoleInfo<'a>, Error<'a>> {
    let mut info = parse_registers(ctx, path)?;
    info.irq = match gic_interrupts(fdt, ctx, gic)? {
        Routing::Gic(irqs) => irqs.get(0),
        Routing::Absent | Routing::Elsewhere => None,
    };
    Ok(info)
}

/// The console node's driver and registers, without its interrupt: enough
/// to print, even from a tree whose interrupt controller is unusable.
pub fn parse_registers<'a>(
    ctx: &Context<'a, '_>,
    path: &StdoutPath<'a>,
) -> Result<ConsoleInfo<'a>, Error<'a>> {
    let n = ctx.node;
    let node = n.name();
    let found = n.compatible().find_map(|c| {
        KINDS
            .iter()
            .find(|(k, _)| *k == c)
            .map(|&(_, kind)| (c, kind))
    });
    let Some((compatible, kind)) = found else {
        let compatible = n.compatible().next().unwrap_or("");
        return Err(Error::UnsupportedConsole { node, compatible });
    };
    let reg = ctx
        .first_reg()?
        .ok_or(Error::MissingProperty { node, prop: "reg" })?;
    let bad = |prop, why| Error::BadProperty { node, prop, why };
    let (reg_shift, reg_io_width) = match kind {
        ConsoleKind::Ns16550 => {
            let shift = read_u32(ctx, "reg-shift", 0)?;
            let width = read_u32(ctx, "reg-io-width", 1)?;
            if shift > 3 {
                return Err(bad("reg-shift", "is larger than 3"));
            }
            if ![1, 2, 4].contains(&width) {
                return Err(bad("reg-io-width", "is not 1, 2 or 4"));
            }
            (shift, width)
        }
        ConsoleKind::Bcm2835Aux => (2, 4),
        ConsoleKind::Pl011 | ConsoleKind::Meson => (0, 4),
    };
    Ok(ConsoleInfo {
        kind,
        compatible,
        node,
        options: path.options,
        base: reg.base,
        size: reg.size,
        reg_shift,
        reg_io_width,
        irq: None,
    })
}

fn read_u32<'a>(ctx: &Context<'a, '_>, prop: &'static str, default: u32) -> Result<u32, Error<'a>> {
    match ctx.node.prop(prop) {
        None => Ok(default),
        Some(p) => p.u32().ok_or(Error::BadProperty {
            node: ctx.node.name(),
            prop,
            why: "is not one cell",
        }),
    }
}
