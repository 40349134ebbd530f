// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Device interrupts through rVID. First what every board's guest tree
//! must have: a console (`stdout-path`) that is a UART with its interrupt
//! on an rVID input, and every device's inputs numbered 0..n, each once
//! (the system tests compare n and the device count with the hypervisor's
//! boot line). Then two level lines the guest can raise and drop itself:
//! the PL011's TX interrupt (TXIM with the TX FIFO drained), where the
//! console is a PL011, and the PL031's alarm (match register one second
//! ahead), where the tree has a PL031 (QEMU virt's; the Raspberry Pi 4 has
//! none). Each is MAPped,
//! delivered, RESAMPLEd high (pending again) and low (idle). Then the ABI's
//! retargeting sequence moves a pending PL011 interrupt from the first vCPU
//! to the last. Edge inputs (virtio-mmio) cannot fire without a device, so
//! edge semantics are checked with SIGNAL in `delivery`.

use selftest::abi::*;
use selftest::dt::{Device, LEVEL_HIGH};
use selftest::ensure;
use selftest::report::Outcome;

use super::*;
use crate::{arch, mailbox, println};

/// A device interrupt line the guest controls.
trait Line {
    /// Make the device assert its line (now or soon).
    fn raise(&self) -> Outcome;
    fn lower(&self);
    fn is_high(&self) -> bool;
    /// How long after `raise` the line may take to go high (µs).
    fn rise_time(&self) -> u64;
}

struct Pl011(u64);

const UART_FR: u64 = 0x18;
const UART_FR_TXFE: u32 = 1 << 7;
const UART_IMSC: u64 = 0x38;
const UART_RIS: u64 = 0x3c;
const UART_MIS: u64 = 0x40;
const UART_TX: u32 = 1 << 5;

impl Line for Pl011 {
    fn raise(&self) -> Outcome {
        let drained = wait_for(ARRIVAL, || {
            arch::read32(self.0 + UART_FR) & UART_FR_TXFE != 0
        });
        let imsc = arch::read32(self.0 + UART_IMSC);
        arch::write32(self.0 + UART_IMSC, imsc | UART_TX);
        ensure!(
            self.is_high(),
            "the PL011 did not assert TXMIS (RIS {:#x}, TX FIFO drained: {drained})",
            arch::read32(self.0 + UART_RIS)
        );
        Ok(())
    }
    fn lower(&self) {
        let imsc = arch::read32(self.0 + UART_IMSC);
        arch::write32(self.0 + UART_IMSC, imsc & !UART_TX);
    }
    fn is_high(&self) -> bool {
        arch::read32(self.0 + UART_MIS) & UART_TX != 0
    }
    fn rise_time(&self) -> u64 {
        ARRIVAL
    }
}

struct Pl031(u64);

const RTC_DR: u64 = 0x00;
const RTC_MR: u64 = 0x04;
const RTC_IMSC: u64 = 0x10;
const RTC_MIS: u64 = 0x18;
const RTC_ICR: u64 = 0x1c;

impl Line for Pl031 {
    fn raise(&self) -> Outcome {
        arch::write32(self.0 + RTC_ICR, 1);
        let now = arch::read32(self.0 + RTC_DR);
        arch::write32(self.0 + RTC_MR, now.wrapping_add(1));
        arch::write32(self.0 + RTC_IMSC, 1);
        Ok(())
    }
    fn lower(&self) {
        arch::write32(self.0 + RTC_IMSC, 0);
        arch::write32(self.0 + RTC_ICR, 1);
    }
    fn is_high(&self) -> bool {
        arch::read32(self.0 + RTC_MIS) & 1 != 0
    }
    fn rise_time(&self) -> u64 {
        3_000_000 // the alarm is at the next second boundary of the RTC
    }
}

pub fn run(ctx: &Ctx) {
    let console = ctx.info.stdout;
    let input = console.and_then(|c| c.device.irq);
    check(
        format_args!(
            "device tree: the console (stdout-path) is a UART whose interrupt is an rVID input, level"
        ),
        match (console, input) {
            (None, _) => Err(selftest::msg!("stdout-path names no node with reg")),
            (Some(c), _) if !c.is_uart => Err(selftest::msg!(
                "its compatible is none of the UARTs the hypervisor gives"
            )),
            (_, None) => Err(selftest::msg!("its interrupt is not on the rvid")),
            (_, Some((_, LEVEL_HIGH))) => Ok(()),
            (_, Some((i, flags))) => Err(selftest::msg!(
                "input {i} has flags {flags}, expected 4 (level high)"
            )),
        },
    );
    let n = ctx.info.inputs;
    check(
        format_args!(
            "device tree: {} device(s) with {} rVID input(s), numbered from 0, each once",
            n.devices, n.inputs
        ),
        match n.misnumbered {
            None => Ok(()),
            Some(i) => Err(selftest::msg!(
                "input {i} is listed twice or out of 0..{}",
                n.inputs
            )),
        },
    );
    // The PL011 line checks drive the console's own registers.
    let uart = ctx
        .info
        .uart
        .filter(|_| console.is_some_and(|c| c.is_pl011));
    match uart {
        Some(Device {
            base,
            irq: Some((input, flags)),
        }) => level(ctx, "PL011", input, flags, &Pl011(base)),
        Some(_) => missing("PL011"),
        None => not_here("the console is not a PL011"),
    }
    match ctx.info.rtc {
        Some(Device {
            base,
            irq: Some((input, flags)),
        }) => level(ctx, "PL031", input, flags, &Pl031(base)),
        Some(_) => missing("PL031"),
        None => not_here("no PL031 in the device tree"),
    }
    if let Some(Device {
        base,
        irq: Some((input, _)),
    }) = uart
    {
        let (from, to) = (0, ctx.n() - 1);
        let line = Pl011(base);
        let r = retarget(ctx, u64::from(input), &line, from, to);
        line.lower();
        let x = ctx.t + u64::from(input);
        let c = mailbox::call_on(to, RVIC_RESAMPLE, [x, 0, 0]);
        let r = r.and(
            c.map_or(Err(selftest::msg!("vCPU {to} did not RESAMPLE")), |c| {
                c.expect(SUCCESS, 0)
            }),
        );
        let r = r.and(ok(RVID_UNMAP, [u64::from(input), 0, 0]));
        check(
            format_args!("retargeting a pending PL011 interrupt from vCPU {from} to vCPU {to}: it arrives once, on vCPU {to} only"),
            r,
        );
    }
}

/// A device's line checks that this board's tree gives nothing to run.
fn not_here(why: &str) {
    println!("# SKIP {why}: its level-line checks are not run");
}

fn missing(name: &str) {
    let why = selftest::msg!("its interrupt is not on the rvid");
    check(
        format_args!("device tree: the {name}'s rVID input"),
        Err(why),
    );
}

fn level(ctx: &Ctx, name: &str, input: u32, flags: u32, line: &dyn Line) {
    let input = u64::from(input);
    check(
        format_args!("device tree: the {name} is rVID input {input}, level (flags {flags})"),
        match flags {
            LEVEL_HIGH => Ok(()),
            _ => Err(selftest::msg!("expected flags 4 (level high)")),
        },
    );
    let x = ctx.t + input;
    check(
        format_args!(
            "{name}: its raised line, MAPped to vCPU 0 INTID {x} and unmasked, is delivered once"
        ),
        deliver(ctx, input, x, line),
    );
    check(
        format_args!("{name}: RESAMPLE while the line is high makes INTID {x} pending again"),
        resample_high(ctx, x, line),
    );
    check(
        format_args!("{name}: after the line drops, RESAMPLE leaves INTID {x} idle"),
        resample_low(ctx, x, line),
    );
    line.lower();
    let _ = ok(RVIC_SET_MASKED, [ctx.me(), x, 0]);
    let _ = ok(RVID_UNMAP, [input, 0, 0]);
}

fn deliver(ctx: &Ctx, input: u64, x: u64, line: &dyn Line) -> Outcome {
    let me = ctx.me();
    ok(RVIC_SET_MASKED, [me, x, 0])?;
    ok(RVIC_CLEAR_PENDING, [me, x, 0])?;
    let a = acks(0, x);
    line.raise()?;
    ok(RVID_MAP, [input, me, x])?;
    ok(RVIC_CLEAR_MASKED, [me, x, 0])?;
    ensure!(
        wait_for(line.rise_time(), || acks(0, x) > a),
        "not delivered (device line {})",
        if line.is_high() { "high" } else { "low" }
    );
    ensure!(
        holds_for(QUIET, || acks(0, x) == a + 1),
        "delivered {} times without a RESAMPLE",
        acks(0, x) - a
    );
    Ok(())
}

fn resample_high(ctx: &Ctx, x: u64, line: &dyn Line) -> Outcome {
    let (me, a) = (ctx.me(), acks(0, x));
    ensure!(line.is_high(), "the device line is not high any more");
    ok(RVIC_RESAMPLE, [x, 0, 0])?;
    ensure!(
        wait_for(ARRIVAL, || pending(me, x)),
        "not pending after RESAMPLE"
    );
    ok(RVIC_CLEAR_MASKED, [me, x, 0])?;
    ensure!(
        wait_for(ARRIVAL, || acks(0, x) == a + 1),
        "not delivered after CLEAR_MASKED"
    );
    Ok(())
}

fn resample_low(ctx: &Ctx, x: u64, line: &dyn Line) -> Outcome {
    let (me, a) = (ctx.me(), acks(0, x));
    line.lower();
    ensure!(!line.is_high(), "the device did not drop its line");
    ok(RVIC_RESAMPLE, [x, 0, 0])?;
    ensure!(
        holds_for(QUIET, || !pending(me, x)),
        "pending after RESAMPLE"
    );
    ok(RVIC_CLEAR_MASKED, [me, x, 0])?;
    ensure!(
        holds_for(QUIET, || acks(0, x) == a),
        "delivered again with the line low"
    );
    Ok(())
}

/// Raise the line routed to `from` (masked there), then move it to `to`
/// by the ABI's sequence.
fn retarget(ctx: &Ctx, input: u64, line: &Pl011, from: usize, to: usize) -> Outcome {
    let (a, b, x) = (ctx.mpidr(from), ctx.mpidr(to), ctx.t + input);
    for m in [a, b] {
        ok(RVIC_SET_MASKED, [m, x, 0])?;
        ok(RVIC_CLEAR_PENDING, [m, x, 0])?;
    }
    ok(RVID_MAP, [input, a, x])?;
    line.raise()?;
    ensure!(
        wait_for(ARRIVAL, || pending(a, x)),
        "the raised line did not make INTID {x} pending on vCPU {from}"
    );
    let (on_a, on_b) = (acks(from, x), acks(to, x));
    // Mask old, mask new, MAP new, move the pending state, unmask new.
    ok(RVIC_SET_MASKED, [a, x, 0])?;
    ok(RVIC_SET_MASKED, [b, x, 0])?;
    ok(RVID_MAP, [input, b, x])?;
    if pending(a, x) {
        ok(RVIC_CLEAR_PENDING, [a, x, 0])?;
        ok(RVIC_SIGNAL, [b, x, 0])?;
    }
    ok(RVIC_CLEAR_MASKED, [b, x, 0])?;
    wait_for(ARRIVAL, || acks(to, x) > on_b);
    let right = || acks(to, x) == on_b + 1 && (from == to || acks(from, x) == on_a);
    ensure!(
        holds_for(4 * QUIET, right),
        "acknowledged {} time(s) on vCPU {to}, {} on vCPU {from}",
        acks(to, x) - on_b,
        acks(from, x) - on_a
    );
    Ok(())
}
