// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Physical address ranges and the two set operations discovery needs:
//! merging RAM ranges into a sorted set, and carving ranges out of it.
//!
//! Arithmetic is done in `u128`, so a range that runs to the very top of the
//! 64-bit space cannot wrap.

use crate::list::{Full, List};

/// `size` bytes of physical address space starting at `base`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Range {
    pub base: u64,
    pub size: u64,
}

impl Range {
    pub const fn new(base: u64, size: u64) -> Self {
        Range { base, size }
    }

    /// One past the last byte, saturating at `u64::MAX`.
    pub const fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }

    /// Whether `addr` lies inside the range.
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base && u128::from(addr) < end(self)
    }

    /// The 4 KiB pages the range touches, as a page-aligned range (its end
    /// rounded up, saturating below `u64::MAX`'s page): what a mapping by
    /// pages gives whoever is given the range.
    pub const fn pages(&self) -> Range {
        const PAGE: u64 = 4096;
        let start = self.base & !(PAGE - 1);
        let end = self.end().saturating_add(PAGE - 1) & !(PAGE - 1);
        Range::new(start, end - start)
    }

    /// Whether the two ranges share at least one byte.
    pub fn overlaps(&self, other: &Range) -> bool {
        u128::from(self.base) < end(other) && u128::from(other.base) < end(self)
    }
}

fn end(r: &Range) -> u128 {
    u128::from(r.base) + u128::from(r.size)
}

/// Sorts `set` by base, drops empty ranges and merges ranges that overlap or
/// touch, so the result is the same set of bytes as disjoint sorted ranges.
pub fn normalize<const N: usize>(set: &mut List<Range, N>) {
    let mut sorted: List<Range, N> = List::new();
    for r in set.iter().filter(|r| r.size != 0) {
        // Cannot fail: `sorted` never holds more than `set` does.
        let _ = sorted.push(*r);
    }
    sorted.as_mut_slice().sort_unstable_by_key(|r| r.base);
    set.clear();
    let mut current: Option<(u128, u128)> = None;
    for r in sorted.iter() {
        let (b, e) = (u128::from(r.base), end(r));
        current = match current {
            Some((cb, ce)) if b <= ce => Some((cb, ce.max(e))),
            Some(done) => {
                let _ = set.push(from_bounds(done));
                Some((b, e))
            }
            None => Some((b, e)),
        };
    }
    if let Some(done) = current {
        let _ = set.push(from_bounds(done));
    }
}

/// Removes every byte of `cut` from `set`. A range split in two needs one
/// more slot; if `set` has none, it is left unchanged and `Full` returned.
pub fn subtract<const N: usize>(set: &mut List<Range, N>, cut: Range) -> Result<(), Full> {
    if cut.size == 0 {
        return Ok(());
    }
    let (cb, ce) = (u128::from(cut.base), end(&cut));
    let mut out: List<Range, N> = List::new();
    for r in set.iter() {
        let (b, e) = (u128::from(r.base), end(r));
        if e <= cb || ce <= b {
            out.push(*r)?;
            continue;
        }
        if b < cb {
            out.push(from_bounds((b, cb)))?;
        }
        if ce < e {
            out.push(from_bounds((ce, e)))?;
        }
    }
    *set = out;
    Ok(())
}

/// Both bounds came from `Range`s, so they fit: `base` is a `u64` and
/// `end - base` is at most a `u64` size.
fn from_bounds((b, e): (u128, u128)) -> Range {
    let base = u64::try_from(b).unwrap_or(u64::MAX);
    let size = u64::try_from(e - b).unwrap_or(u64::MAX);
    Range::new(base, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set<const N: usize>(ranges: &[(u64, u64)]) -> List<Range, N> {
        let mut l = List::new();
        for &(b, s) in ranges {
            l.push(Range::new(b, s)).unwrap();
        }
        l
    }

    fn pairs(l: &[Range]) -> std::vec::Vec<(u64, u64)> {
        l.iter().map(|r| (r.base, r.size)).collect()
    }

    extern crate std;

    #[test]
    fn normalize_sorts_merges_and_drops_empty() {
        let mut s: List<Range, 8> = set(&[
            (0x5000, 0x1000),
            (0x0, 0x1000),
            (0x800, 0x1000), // overlaps the first
            (0x1800, 0x800), // touches the merged one
            (0x9000, 0),
        ]);
        normalize(&mut s);
        assert_eq!(pairs(&s), [(0x0, 0x2000), (0x5000, 0x1000)]);
    }

    #[test]
    fn subtract_middle_splits() {
        let mut s: List<Range, 4> = set(&[(0x1000, 0x3000)]);
        subtract(&mut s, Range::new(0x2000, 0x100)).unwrap();
        assert_eq!(pairs(&s), [(0x1000, 0x1000), (0x2100, 0x1f00)]);
    }

    #[test]
    fn subtract_spanning_several_ranges_and_edges() {
        let mut s: List<Range, 4> = set(&[(0x0, 0x1000), (0x2000, 0x1000), (0x4000, 0x1000)]);
        subtract(&mut s, Range::new(0x800, 0x4000)).unwrap();
        assert_eq!(pairs(&s), [(0x0, 0x800), (0x4800, 0x800)]);
        // Exactly the first range: gone, nothing else touched.
        subtract(&mut s, Range::new(0x0, 0x800)).unwrap();
        assert_eq!(pairs(&s), [(0x4800, 0x800)]);
        // Outside everything: no change.
        subtract(&mut s, Range::new(0x9000, 0x10)).unwrap();
        assert_eq!(pairs(&s), [(0x4800, 0x800)]);
    }

    #[test]
    fn subtract_when_full_leaves_set_unchanged() {
        let mut s: List<Range, 1> = set(&[(0x0, 0x3000)]);
        assert_eq!(subtract(&mut s, Range::new(0x1000, 0x1000)), Err(Full));
        assert_eq!(pairs(&s), [(0x0, 0x3000)]);
    }

    #[test]
    fn top_of_address_space_does_not_wrap() {
        let top = Range::new(u64::MAX - 0xfff, 0x1000);
        assert_eq!(top.end(), u64::MAX);
        assert!(top.contains(u64::MAX));
        let mut s: List<Range, 2> = set(&[(u64::MAX - 0xfff, 0x1000)]);
        subtract(&mut s, Range::new(u64::MAX - 0x7ff, u64::MAX)).unwrap();
        assert_eq!(pairs(&s), [(u64::MAX - 0xfff, 0x800)]);
        assert!(Range::new(0, 0x10).overlaps(&Range::new(0xf, 1)));
        assert!(!Range::new(0, 0x10).overlaps(&Range::new(0x10, 1)));
    }
}
