// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Powering off and resetting a BCM2835/BCM2711 board (the Raspberry Pi 4)
//! by its power-management watchdog, as Linux's `bcm2835-wdt` does: arm
//! the watchdog for a few ticks and set a full reset as what its expiry
//! does (PM_WDOG, PM_RSTC). For a halt, the reset status register
//! (PM_RSTS) first gets boot partition 63, which the Raspberry Pi's boot
//! firmware takes as "do not boot again"; for a reset, partition 0 (boot
//! as usual), so that an earlier halt request left in PM_RSTS cannot turn
//! the reset into a halt. Every write carries the block's password in its
//! top byte; without it the block ignores the write.
//!
//! The register sequence only, over [`Registers`]; the MMIO is the
//! binary's (`board.rs`), with the registers discovery found
//! (`platform::PmWatchdog`).

/// Reset control: the watchdog's configuration on expiry (WRCFG).
pub const PM_RSTC: usize = 0x1c;
/// Reset status: the boot partition the firmware reads after a reset.
pub const PM_RSTS: usize = 0x20;
/// Watchdog: ticks until it expires (20 bits, 65,536 ticks a second).
pub const PM_WDOG: usize = 0x24;

/// What the top byte of every write must hold.
pub const PASSWORD: u32 = 0x5a00_0000;
const PASSWORD_MASK: u32 = 0xff00_0000;
/// PM_RSTC's WRCFG field, and its "full reset" value.
const RSTC_WRCFG: u32 = 0x30;
const RSTC_WRCFG_FULL_RESET: u32 = 0x20;
/// PM_RSTS's partition field: 6 bits, one at each even bit 0..10.
const RSTS_PARTITION: u32 = 0x555;
/// PM_WDOG's tick count.
const WDOG_TICKS: u32 = 0x000f_ffff;

/// The partition that tells the boot firmware to halt.
pub const HALT_PARTITION: u32 = 63;
/// Ticks before the reset: 10 (about 150 µs), as Linux arms it.
pub const RESET_TICKS: u32 = 10;

/// The power-management block's registers, by byte offset.
pub trait Registers {
    fn read(&mut self, offset: usize) -> u32;
    fn write(&mut self, offset: usize, value: u32);
}

/// Partition `p` (0..=63) as PM_RSTS holds it: bit i of `p` at bit 2i.
pub fn partition_bits(p: u32) -> u32 {
    (0..6).fold(0, |bits, i| bits | ((p >> i) & 1) << (2 * i))
}

/// Halt (`halt`) or reset the board: PM_RSTS's partition, then the
/// watchdog armed, then a full reset as what its expiry does. The board
/// resets [`RESET_TICKS`] watchdog ticks later.
pub fn stop(regs: &mut impl Registers, halt: bool) {
    let partition = if halt { HALT_PARTITION } else { 0 };
    let rsts = regs.read(PM_RSTS) & !PASSWORD_MASK & !RSTS_PARTITION;
    regs.write(PM_RSTS, PASSWORD | rsts | partition_bits(partition));
    regs.write(PM_WDOG, PASSWORD | (RESET_TICKS & WDOG_TICKS));
    let rstc = regs.read(PM_RSTC) & !PASSWORD_MASK & !RSTC_WRCFG;
    regs.write(PM_RSTC, PASSWORD | rstc | RSTC_WRCFG_FULL_RESET);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_spread_over_the_even_bits() {
        assert_eq!(partition_bits(0), 0);
        assert_eq!(partition_bits(1), 0b1);
        assert_eq!(partition_bits(2), 0b100);
        assert_eq!(partition_bits(5), 0b10001);
        assert_eq!(partition_bits(HALT_PARTITION), 0x555);
        // Only six bits are held.
        assert_eq!(partition_bits(64 | 1), 1);
    }

    /// What the board does, as QEMU 10's raspi4b models it: writes without
    /// the password are ignored; a full reset configured in PM_RSTC resets
    /// the board, or powers it off if PM_RSTS names partition 63.
    #[derive(Default)]
    struct Board {
        rstc: u32,
        rsts: u32,
        wdog: u32,
        writes: Vec<(usize, u32)>,
        /// `Some(true)`: powered off; `Some(false)`: reset.
        ended: Option<bool>,
        /// The watchdog was armed when the reset was configured.
        armed: bool,
    }

    impl Registers for Board {
        fn read(&mut self, offset: usize) -> u32 {
            match offset {
                PM_RSTC => self.rstc,
                PM_RSTS => self.rsts,
                PM_WDOG => self.wdog,
                _ => panic!("read at {offset:#x}"),
            }
        }
        fn write(&mut self, offset: usize, value: u32) {
            self.writes.push((offset, value));
            if value & PASSWORD_MASK != PASSWORD {
                return;
            }
            let v = value & !PASSWORD_MASK;
            match offset {
                PM_RSTC => {
                    self.rstc = v;
                    if v & RSTC_WRCFG_FULL_RESET != 0 && self.ended.is_none() {
                        self.armed = self.wdog & WDOG_TICKS != 0;
                        self.ended = Some(self.rsts & 0xfff == 0x555);
                    }
                }
                PM_RSTS => self.rsts = v,
                PM_WDOG => self.wdog = v,
                _ => panic!("write at {offset:#x}"),
            }
        }
    }

    /// The values the board has out of reset.
    fn board() -> Board {
        Board {
            rstc: 0x102,
            rsts: 0x1000,
            ..Board::default()
        }
    }

    #[test]
    fn halt_powers_off_and_reset_resets() {
        let mut b = board();
        stop(&mut b, true);
        assert_eq!(b.ended, Some(true));
        assert!(b.armed);
        let mut b = board();
        stop(&mut b, false);
        assert_eq!(b.ended, Some(false));
        assert!(b.armed);
    }

    #[test]
    fn every_write_has_the_password_and_other_bits_are_kept() {
        let mut b = board();
        stop(&mut b, true);
        assert!(b.writes.iter().all(|&(_, v)| v & PASSWORD_MASK == PASSWORD));
        // PM_RSTS's bit 12 and PM_RSTC's low bits survive.
        assert_eq!(b.rsts, 0x1555);
        assert_eq!(b.rstc, 0x122);
        assert_eq!(b.wdog, RESET_TICKS);
    }

    #[test]
    fn a_reset_after_a_halt_request_is_still_a_reset() {
        let mut b = board();
        b.rsts = 0x1555;
        // The board may read back any top byte: it is never written back.
        b.rstc = 0xff00_0132;
        stop(&mut b, false);
        assert_eq!(b.ended, Some(false));
        assert_eq!(b.rsts, 0x1000);
        assert_eq!(b.rstc, 0x102 | RSTC_WRCFG_FULL_RESET);
    }
}
