// SPDX-License-Identifier: Apache-2.0 OR MIT
//! `List<T, N>`: a vector with a fixed capacity and no heap.
//!
//! Discovery runs before the hypervisor has a heap, so every collection it
//! returns is one of these. Pushing past the capacity is an error the caller
//! turns into [`Error::TooMany`](crate::Error::TooMany); nothing is dropped
//! silently.

use core::fmt;
use core::ops::Deref;

/// Up to `N` values of `T`, stored inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct List<T: Copy + Default, const N: usize> {
    items: [T; N],
    len: usize,
}

/// [`List::push`] found the list full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

impl<T: Copy + Default, const N: usize> List<T, N> {
    /// The capacity `N`.
    pub const CAPACITY: usize = N;

    /// An empty list.
    pub fn new() -> Self {
        List {
            items: [T::default(); N],
            len: 0,
        }
    }

    /// Appends `value`, or returns [`Full`] if the list already holds `N`.
    pub fn push(&mut self, value: T) -> Result<(), Full> {
        let slot = self.items.get_mut(self.len).ok_or(Full)?;
        *slot = value;
        self.len += 1;
        Ok(())
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Keeps the first `len` values (no-op if there are not more).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// The values, in the order they were pushed.
    pub fn as_slice(&self) -> &[T] {
        &self.items[..self.len]
    }

    /// The values, mutable (for sorting in place).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.items[..self.len]
    }
}

impl<T: Copy + Default, const N: usize> Default for List<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default, const N: usize> Deref for List<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy + Default + fmt::Debug, const N: usize> fmt::Debug for List<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_until_full_then_refuse() {
        let mut l: List<u32, 2> = List::new();
        assert!(l.is_empty());
        assert_eq!(l.push(7), Ok(()));
        assert_eq!(l.push(8), Ok(()));
        assert_eq!(l.push(9), Err(Full));
        assert_eq!(l.as_slice(), &[7, 8]);
        l.truncate(5);
        assert_eq!(l.len(), 2);
        l.truncate(1);
        assert_eq!(l.as_slice(), &[7]);
        l.clear();
        assert_eq!(l.len(), 0);
        assert_eq!(List::<u32, 2>::CAPACITY, 2);
    }

    #[test]
    fn zero_capacity_is_always_full() {
        let mut l: List<u8, 0> = List::new();
        assert_eq!(l.push(1), Err(Full));
    }
}
