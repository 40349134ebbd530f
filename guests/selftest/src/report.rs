// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The run's report: one numbered line per check (`ok N - what` or
//! `not ok N - what: why`) and the closing `P passed, F failed` line. Owns the
//! counters, which every vCPU may bump; the caller owns the output.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// Why a check failed: a short text in a fixed buffer (no heap in the guest).
/// Text beyond the buffer is cut at a character boundary.
#[derive(Clone)]
pub struct Msg {
    buf: [u8; 240],
    len: usize,
}

/// A check's result.
pub type Outcome = Result<(), Msg>;

impl Msg {
    pub fn new(args: fmt::Arguments) -> Msg {
        let mut m = Msg {
            buf: [0; 240],
            len: 0,
        };
        let _ = m.write_fmt(args);
        m
    }

    pub fn as_str(&self) -> &str {
        // The buffer only ever holds whole characters (see write_str).
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Write for Msg {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// `msg!("...", args)`: a [`Msg`] from format arguments.
#[macro_export]
macro_rules! msg {
    ($($t:tt)*) => { $crate::report::Msg::new(format_args!($($t)*)) };
}

/// `ensure!(cond, "why {}", ...)`: unless `cond`, return `Err(msg!(...))`
/// from the enclosing function (a check).
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($t:tt)*) => {
        if !$cond {
            return Err($crate::msg!($($t)*));
        }
    };
}

/// Counts checks as they are reported, from any vCPU.
pub struct Report {
    last: AtomicU32,
    passed: AtomicU32,
    failed: AtomicU32,
}

impl Report {
    pub const fn new() -> Report {
        Report {
            last: AtomicU32::new(0),
            passed: AtomicU32::new(0),
            failed: AtomicU32::new(0),
        }
    }

    /// Number the check, count it, and write its line (with `\n`) to `out`.
    pub fn record(&self, out: &mut dyn Write, what: fmt::Arguments, outcome: &Outcome) {
        let n = self.last.fetch_add(1, Relaxed) + 1;
        let _ = match outcome {
            Ok(()) => {
                self.passed.fetch_add(1, Relaxed);
                writeln!(out, "ok {n} - {what}")
            }
            Err(why) => {
                self.failed.fetch_add(1, Relaxed);
                writeln!(out, "not ok {n} - {what}: {}", why.as_str())
            }
        };
    }

    pub fn failed(&self) -> u32 {
        self.failed.load(Relaxed)
    }

    /// The closing line, exactly `P passed, F failed`.
    pub fn summary(&self, out: &mut dyn Write) {
        let _ = writeln!(
            out,
            "{} passed, {} failed",
            self.passed.load(Relaxed),
            self.failed.load(Relaxed)
        );
    }
}

impl Default for Report {
    fn default() -> Report {
        Report::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    #[test]
    fn lines_are_numbered_and_counted() {
        let r = Report::new();
        let mut out = String::new();
        r.record(&mut out, format_args!("rVIC VERSION"), &Ok(()));
        r.record(
            &mut out,
            format_args!("INFO({})", 2),
            &Err(msg!("got {}", 7)),
        );
        r.record(&mut out, format_args!("third"), &Ok(()));
        r.summary(&mut out);
        assert_eq!(
            out,
            "ok 1 - rVIC VERSION\nnot ok 2 - INFO(2): got 7\nok 3 - third\n2 passed, 1 failed\n"
        );
        assert_eq!(r.failed(), 1);
    }

    #[test]
    fn an_empty_run_still_has_its_last_line() {
        let mut out = String::new();
        Report::new().summary(&mut out);
        assert_eq!(out, "0 passed, 0 failed\n");
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let long = "é".repeat(200); // 400 bytes of two-byte characters
        let m = msg!("{long}");
        assert_eq!(m.as_str().len(), 240);
        assert!(m.as_str().chars().all(|c| c == 'é'));
        let m = msg!("x{long}");
        assert_eq!(m.as_str().len(), 239);
    }
}
