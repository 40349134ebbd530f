// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The benchmark guest's plain logic, kept apart from the EL1 image so that
//! `cargo test` checks it on the host: which figures there are and what the
//! command line asks for ([`Args`]), the summary of a figure's samples
//! ([`stats`]), the interrupt-controller interface the measurements are
//! written against with its rVIC backend ([`irqchip`]), and its GICv3 and
//! GICv2 backends ([`gic`]). Nothing here touches hardware: registers and
//! hypercalls are reached through traits the image implements.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod gic;
pub mod irqchip;
pub mod stats;

/// Most iterations of one figure (the samples are kept for the median).
pub const MAX_ITERS: usize = 10_000;
/// Iterations per figure unless `bench.iters=N` says otherwise.
pub const DEFAULT_ITERS: usize = 1_000;

/// One measured operation (docs/performance.md defines each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// A null hypercall round trip (SMCCC_VERSION).
    Hvc,
    /// vCPU 0 signals vCPU 1, which waits in WFI, until vCPU 0 sees the
    /// flag vCPU 1's handler sets.
    IpiWfi,
    /// The same with vCPU 1 busy-polling.
    IpiPoll,
    /// vCPU 0 signals vCPUs 1, 2 and 3 (in WFI) until it sees all flags.
    IpiBcast,
    /// Completing an interrupt, alone (an INTID with nothing to complete).
    Eoi,
    /// Signal this vCPU, take the interrupt, complete it, see the flag.
    SelfIpi,
    /// The virtual timer's deadline to its handler's entry.
    Timer,
    /// The console PL011's TX interrupt (a level device line): from the
    /// write that asserts it until vCPU 0 sees the flag its handler sets
    /// after deasserting and completing it.
    Device,
}

impl Figure {
    pub const ALL: [Figure; 8] = [
        Figure::Hvc,
        Figure::IpiWfi,
        Figure::IpiPoll,
        Figure::IpiBcast,
        Figure::Eoi,
        Figure::SelfIpi,
        Figure::Timer,
        Figure::Device,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Figure::Hvc => "hvc",
            Figure::IpiWfi => "ipi-wfi",
            Figure::IpiPoll => "ipi-poll",
            Figure::IpiBcast => "ipi-bcast",
            Figure::Eoi => "eoi",
            Figure::SelfIpi => "self-ipi",
            Figure::Timer => "timer",
            Figure::Device => "device",
        }
    }

    pub fn by_name(name: &str) -> Option<Figure> {
        Figure::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether the other vCPUs execute nothing while it runs (they wait in
    /// WFI), so that the PMU's EL1 instruction count under `-icount` is
    /// this vCPU's alone ([`Args::insns`]).
    pub fn single(self) -> bool {
        self.cpus() == 1
    }

    /// vCPUs the figure needs.
    pub fn cpus(self) -> usize {
        match self {
            Figure::IpiWfi | Figure::IpiPoll => 2,
            Figure::IpiBcast => 4,
            _ => 1,
        }
    }
}

/// What `/chosen/bootargs` asks for: `bench.iters=N` (0 runs each figure's
/// set-up only, for the exit-count baseline of scripts/bench),
/// `bench.only=NAME[,NAME...]` and `bench.insns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Args {
    pub iters: usize,
    only: [bool; Figure::ALL.len()],
    /// `bench.insns`: also count the guest's own EL1 instructions per
    /// operation with the PMU, for the figures where that count is
    /// exact ([`Figure::single`]). A run of its own: under rvhyp on a CPU
    /// before PMUv3p5 every PMU access is an EL2 entry.
    pub insns: bool,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            iters: DEFAULT_ITERS,
            only: [true; Figure::ALL.len()],
            insns: false,
        }
    }
}

impl Args {
    /// Read the command line; a word that is not ours is ignored, one of
    /// ours that is malformed is an error.
    pub fn parse(cmdline: &str) -> Result<Args, &'static str> {
        let mut args = Args::default();
        for word in cmdline.split_ascii_whitespace() {
            if let Some(n) = word.strip_prefix("bench.iters=") {
                args.iters = n.parse().map_err(|_| "bench.iters= takes a number")?;
                if args.iters > MAX_ITERS {
                    return Err("bench.iters= is above the guest's 10000");
                }
            } else if word == "bench.insns" {
                args.insns = true;
            } else if let Some(list) = word.strip_prefix("bench.only=") {
                args.only = [false; Figure::ALL.len()];
                for name in list.split(',') {
                    let f = Figure::by_name(name).ok_or("bench.only= names an unknown figure")?;
                    args.only[f as usize] = true;
                }
            }
        }
        Ok(args)
    }

    /// Whether `f` is to run.
    pub fn wants(&self, f: Figure) -> bool {
        self.only[f as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_is_found_by_its_name() {
        for f in Figure::ALL {
            assert_eq!(Figure::by_name(f.name()), Some(f));
        }
        assert_eq!(Figure::by_name("ipi"), None);
    }

    #[test]
    fn the_command_line_sets_iterations_and_figures() {
        let a = Args::parse("console=x bench.iters=20 bench.only=device,hvc,timer").unwrap();
        assert_eq!(a.iters, 20);
        let wanted: std::vec::Vec<_> = Figure::ALL.into_iter().filter(|&f| a.wants(f)).collect();
        assert_eq!(wanted, [Figure::Hvc, Figure::Timer, Figure::Device]);
        let d = Args::parse("").unwrap();
        assert_eq!(d.iters, DEFAULT_ITERS);
        assert!(Figure::ALL.into_iter().all(|f| d.wants(f)));
        assert_eq!(Args::parse("bench.iters=0").unwrap().iters, 0);
        assert!(!d.insns);
        assert!(Args::parse("bench.iters=5 bench.insns").unwrap().insns);
    }

    #[test]
    fn a_malformed_word_of_ours_is_an_error() {
        assert!(Args::parse("bench.iters=many").is_err());
        assert!(Args::parse("bench.iters=10001").is_err());
        assert!(Args::parse("bench.only=hvc,nope").is_err());
    }
}
