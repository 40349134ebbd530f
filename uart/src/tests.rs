// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Drivers against register blocks in ordinary memory.

extern crate std;

use super::*;
use crate::mmio::Mmio;
use core::fmt::Write as _;
use std::string::String;
use std::sync::Mutex;
use std::vec;
use std::vec::Vec;

/// 64 zeroed 32-bit registers standing in for a UART.
struct Fake {
    mem: Vec<u32>,
}

impl Fake {
    fn new() -> Self {
        Fake { mem: vec![0; 64] }
    }

    fn base(&mut self) -> usize {
        self.mem.as_mut_ptr() as usize
    }

    /// The test's own view of the registers, word by word.
    fn regs(&mut self) -> Mmio {
        // SAFETY: `mem` outlives every use in the test and is only accessed
        // through raw pointers once a driver has its address.
        unsafe { Mmio::new(self.base()) }
    }
}

fn desc(kind: ConsoleKind, base: usize, reg_shift: u32, reg_io_width: u32) -> ConsoleDesc {
    ConsoleDesc {
        kind,
        base,
        reg_shift,
        reg_io_width,
    }
}

#[test]
fn pl011_writes_dr_when_fifo_has_room() {
    let mut f = Fake::new();
    let r = f.regs();
    // SAFETY: a fake PL011 that outlives the driver.
    let u = unsafe { Pl011::new(f.base()) };
    u.write_byte(b'A');
    assert_eq!(r.read32(0x00), 0x41);
    r.write32(0x18, 1 << 5); // TXFF
    assert!(!u.try_write_byte(b'B'));
    u.write_byte(b'C'); // gives up instead of hanging
    assert_eq!(r.read32(0x00), 0x41);
    r.write32(0x18, 1 << 4); // RXFE
    assert_eq!(u.read_byte(), None);
    r.write32(0x18, 0);
    r.write32(0x00, 0x100 | 0x42); // overrun flag above the data
    assert_eq!(u.read_byte(), Some(0x42));
}

#[test]
fn ns16550_byte_registers_use_8_bit_accesses() {
    let mut f = Fake::new();
    let r = f.regs();
    // SAFETY: a fake 16550 that outlives the driver.
    let u = unsafe { Ns16550::new(f.base(), 0, 1) };
    r.write32(0x0, 0xaabb_cc00);
    assert!(!u.try_write_byte(b'A'), "LSR.THRE clear");
    r.write32(0x4, 1 << (8 + 5)); // LSR is byte 5: THRE
    u.write_byte(b'A');
    assert_eq!(r.read32(0x0), 0xaabb_cc41, "only byte 0 written");
    assert_eq!(u.read_byte(), None);
    r.write32(0x4, 1 << 8); // LSR.DR
    assert_eq!(u.read_byte(), Some(0x41));
}

#[test]
fn ns16550_dw_apb_uses_32_bit_accesses_at_stride_4() {
    let mut f = Fake::new();
    let r = f.regs();
    // SAFETY: a fake DesignWare UART that outlives the driver.
    let u = unsafe { Uart::new(&desc(ConsoleKind::Ns16550, f.base(), 2, 4)) }.unwrap();
    r.write32(0x0, 0xaabb_cc00);
    r.write32(0x14, 1 << 5);
    u.write_byte(b'A');
    assert_eq!(r.read32(0x0), 0x41, "whole word written");
    r.write32(0x14, 1 << 5 | 1);
    r.write32(0x0, 0x5a);
    assert_eq!(u.read_byte(), Some(0x5a));
}

#[test]
fn bcm2835_aux_is_a_16550_at_io_plus_0x14() {
    let mut f = Fake::new();
    let r = f.regs();
    // SAFETY: a fake mini UART that outlives the driver.
    let u = unsafe { Uart::new(&desc(ConsoleKind::Bcm2835Aux, f.base(), 0, 1)) }.unwrap();
    r.write32(0x0, 0xffff_ff00);
    r.write32(0x14, 1 << 5); // AUX_MU_LSR: transmitter can take a byte
    u.write_byte(b'z');
    assert_eq!(r.read32(0x0), u32::from(b'z'));
    r.write32(0x14, 1); // data ready
    r.write32(0x0, 0x33);
    assert_eq!(u.read_byte(), Some(0x33));
}

#[test]
fn meson_uses_wfifo_rfifo_and_status() {
    let mut f = Fake::new();
    let r = f.regs();
    // SAFETY: a fake Meson UART that outlives the driver.
    let u = unsafe { Uart::new(&desc(ConsoleKind::Meson, f.base(), 0, 0)) }.unwrap();
    u.write_byte(b'M');
    assert_eq!(r.read32(0x0), 0x4d);
    r.write32(0xc, 1 << 21); // TX_FULL
    let Uart::Meson(m) = &u else {
        panic!("not a Meson")
    };
    assert!(!m.try_write_byte(b'N'));
    assert_eq!(r.read32(0x0), 0x4d);
    r.write32(0xc, 1 << 20); // RX_EMPTY
    r.write32(0x4, 0x61);
    assert_eq!(u.read_byte(), None);
    r.write32(0xc, 0);
    assert_eq!(u.read_byte(), Some(0x61));
}

#[test]
fn uart_new_rejects_layouts_the_16550_driver_cannot_do() {
    for (shift, width) in [(0, 2), (0, 4), (1, 4), (0, 8), (5, 1)] {
        // SAFETY: rejected before any register is touched.
        let err = unsafe { Uart::new(&desc(ConsoleKind::Ns16550, 0x1000, shift, width)) };
        let err = err.err().expect("layout must be rejected");
        assert_eq!(
            err,
            LayoutError {
                reg_shift: shift,
                reg_io_width: width
            }
        );
    }
    let text = std::format!(
        "{}",
        LayoutError {
            reg_shift: 0,
            reg_io_width: 2
        }
    );
    assert!(text.contains("reg-io-width 2"), "{text}");
}

/// Records every byte written.
#[derive(Default)]
struct Recorder(Mutex<Vec<u8>>);

impl Console for Recorder {
    fn write_byte(&self, b: u8) {
        self.0.lock().unwrap().push(b);
    }

    fn read_byte(&self) -> Option<u8> {
        None
    }
}

#[test]
fn write_str_turns_newline_into_crlf() {
    let rec = Recorder::default();
    rec.write_str("a\nb\n\n");
    assert_eq!(*rec.0.lock().unwrap(), b"a\r\nb\r\n\r\n");
    let rec = Recorder::default();
    writeln!(ConsoleWriter(&rec), "x={}", 42).unwrap();
    assert_eq!(
        String::from_utf8(rec.0.lock().unwrap().clone()).unwrap(),
        "x=42\r\n"
    );
}
