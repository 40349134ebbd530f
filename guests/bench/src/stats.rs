// SPDX-License-Identifier: Apache-2.0 OR MIT
//! A figure's samples (counter ticks, one per iteration) summarised in
//! nanoseconds of guest virtual time: mean, minimum, median.

/// Mean, min and median of one figure, in ns; the mean in tenths of a ns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub n: usize,
    pub mean_tenths: u64,
    pub min: u64,
    pub median: u64,
}

/// `ticks` of a counter running at `freq` Hz, in ns (rounded down).
pub fn ticks_to_ns(ticks: u64, freq: u64) -> u64 {
    (u128::from(ticks) * 1_000_000_000 / u128::from(freq.max(1))) as u64
}

/// Summarise `samples` (ticks; sorted in place). `None` if there are none.
/// The median of an even count is the lower middle sample.
pub fn summarise(samples: &mut [u64], freq: u64) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let n = samples.len();
    let total: u128 = samples.iter().map(|&s| u128::from(s)).sum();
    let mean_tenths = total * 10_000_000_000 / (n as u128 * u128::from(freq.max(1)));
    Some(Summary {
        n,
        mean_tenths: mean_tenths as u64,
        min: ticks_to_ns(samples[0], freq),
        median: ticks_to_ns(samples[(n - 1) / 2], freq),
    })
}

impl core::fmt::Display for Summary {
    /// `n=N mean_ns=M.m min_ns=A median_ns=B`, as scripts/bench reads it.
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        write!(
            f,
            "n={} mean_ns={}.{} min_ns={} median_ns={}",
            self.n,
            self.mean_tenths / 10,
            self.mean_tenths % 10,
            self.min,
            self.median
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn ticks_become_ns_at_the_counter_rate() {
        assert_eq!(ticks_to_ns(1, 62_500_000), 16);
        assert_eq!(ticks_to_ns(3, 1_000_000_000), 3);
        assert_eq!(ticks_to_ns(u64::MAX / 2, 1_000_000_000), u64::MAX / 2);
    }

    #[test]
    fn mean_min_and_median_of_the_samples() {
        let mut s = [5, 1, 3, 100];
        let sum = summarise(&mut s, 62_500_000).unwrap();
        // ticks of 16 ns: mean (5+1+3+100)/4 = 27.25 ticks = 436.0 ns.
        assert_eq!(sum.mean_tenths, 4360);
        assert_eq!(sum.min, 16);
        assert_eq!(sum.median, 48);
        assert_eq!(sum.n, 4);
        assert_eq!(sum.to_string(), "n=4 mean_ns=436.0 min_ns=16 median_ns=48");
        assert_eq!(summarise(&mut [], 1), None);
    }

    #[test]
    fn the_mean_keeps_a_tenth_of_a_ns() {
        let mut s = [1, 2];
        assert_eq!(summarise(&mut s, 1_000_000_000).unwrap().mean_tenths, 15);
    }
}
