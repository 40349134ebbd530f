// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The INTID space of a VM: `T` trusted INTIDs `0..T`, then `U` untrusted
//! `T..T+U`, checked once against the ABI limits.

/// The ABI's bound on `T + U`.
pub const MAX_INTIDS: u32 = 2048;

/// A validated (`T`, `U`) pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IntidSpace {
    trusted: u32,
    untrusted: u32,
}

/// Why a (`T`, `U`) pair breaks the ABI limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceError {
    /// `T < 32` or `U < 32`.
    TooFew,
    /// `T` or `U` is not a multiple of 32.
    NotMultipleOf32,
    /// `T + U > 2048`.
    TooMany,
}

impl IntidSpace {
    /// Checks `T, U >= 32`, both multiples of 32, `T + U <= 2048`.
    pub const fn new(trusted: u32, untrusted: u32) -> Result<Self, SpaceError> {
        if trusted < 32 || untrusted < 32 {
            Err(SpaceError::TooFew)
        } else if !trusted.is_multiple_of(32) || !untrusted.is_multiple_of(32) {
            Err(SpaceError::NotMultipleOf32)
        } else if trusted > MAX_INTIDS || untrusted > MAX_INTIDS - trusted {
            Err(SpaceError::TooMany)
        } else {
            Ok(IntidSpace { trusted, untrusted })
        }
    }

    /// `T`.
    #[inline]
    pub const fn trusted(self) -> u32 {
        self.trusted
    }

    /// `U`, which is also the number of rVID inputs.
    #[inline]
    pub const fn untrusted(self) -> u32 {
        self.untrusted
    }

    /// `T + U`.
    #[inline]
    pub const fn total(self) -> u32 {
        self.trusted + self.untrusted
    }

    /// A guest register value as an INTID of this space, if it is one.
    #[inline]
    pub fn intid(self, value: u64) -> Option<u32> {
        (value < u64::from(self.total())).then_some(value as u32)
    }

    /// Whether `intid` is trusted (`< T`).
    #[inline]
    pub const fn is_trusted(self, intid: u32) -> bool {
        intid < self.trusted
    }

    /// Whether `intid` is untrusted (`T..T+U`).
    #[inline]
    pub const fn is_untrusted(self, intid: u32) -> bool {
        intid >= self.trusted && intid < self.total()
    }
}
