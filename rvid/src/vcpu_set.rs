// SPDX-License-Identifier: Apache-2.0 OR MIT
//! A set of vCPU numbers as one 64-bit word: the vCPUs to kick after a call.

/// vCPUs `0..64`, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VcpuSet(u64);

impl VcpuSet {
    /// The most vCPUs a VM may have.
    pub const CAPACITY: usize = 64;
    /// No vCPU.
    pub const EMPTY: VcpuSet = VcpuSet(0);

    /// Adds `vcpu` (`< CAPACITY`).
    #[inline]
    pub fn insert(&mut self, vcpu: usize) {
        self.0 |= 1 << vcpu;
    }

    /// The set without `vcpu` (`< CAPACITY`).
    #[inline]
    pub fn without(self, vcpu: usize) -> VcpuSet {
        VcpuSet(self.0 & !(1 << vcpu))
    }

    /// Whether `vcpu` is in the set.
    #[inline]
    pub fn contains(self, vcpu: usize) -> bool {
        vcpu < Self::CAPACITY && self.0 >> vcpu & 1 != 0
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Bit `v` set for vCPU `v`.
    pub fn bits(self) -> u64 {
        self.0
    }

    /// The vCPUs in the set, in increasing order.
    /// One step per member, not per possible vCPU: the kick path runs this
    /// on every rVIC call, mostly on an empty set.
    #[inline]
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut bits = self.0;
        core::iter::from_fn(move || {
            let vcpu = bits.trailing_zeros() as usize;
            bits &= bits.wrapping_sub(1);
            (vcpu < Self::CAPACITY).then_some(vcpu)
        })
    }
}
