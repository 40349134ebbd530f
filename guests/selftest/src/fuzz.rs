// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The random-call burst: an xorshift64 generator and the calls it makes,
//! half rVIC/rVID calls with a mix of valid and wild arguments, a few
//! harmless PSCI/SMCCC queries, the rest random function IDs. Never a call
//! that stops or moves a vCPU or the system (CPU_OFF, CPU_ON, CPU_SUSPEND,
//! SYSTEM_OFF/RESET/SUSPEND or any other PSCI function with effects).

use crate::abi::*;

/// xorshift64 (Marsaglia): deterministic for a given non-zero seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// PSCI functions without effects on any vCPU: VERSION, AFFINITY_INFO,
/// MIGRATE_INFO_TYPE, MIGRATE_INFO_UP_CPU, FEATURES (by function number).
const PSCI_HARMLESS: [u32; 5] = [0x0, 0x4, 0x6, 0x7, 0xA];

/// May a burst issue `fid`? Everything in the PSCI range (SMC32 and SMC64
/// forms) except the query functions is refused.
pub fn allowed(fid: u32) -> bool {
    let psci = fid & !0x4000_0000 & !0x1f == 0x8400_0000;
    !psci || PSCI_HARMLESS.contains(&(fid & 0x1f))
}

/// What the calls are made about: the VM's vCPUs and the rVIC sizes.
pub struct Scope<'a> {
    pub mpidrs: &'a [u64],
    pub t: u64,
    pub u: u64,
}

impl Scope<'_> {
    /// An argument: often a meaningful value, sometimes its edge, sometimes
    /// anything at all.
    fn arg(&self, rng: &mut Rng) -> u64 {
        let n = self.t + self.u;
        match rng.below(8) {
            0 | 1 => self.mpidrs[rng.below(self.mpidrs.len() as u64) as usize],
            2 | 3 => rng.below(n),
            4 => rng.below(self.u),
            5 => [n, self.u, n - 1, self.u - 1, u64::MAX, 1 << 63][rng.below(6) as usize],
            _ => rng.next_u64(),
        }
    }

    /// The next call: function ID and x1..x3.
    pub fn call(&self, rng: &mut Rng) -> (u32, [u64; 3]) {
        let fid = match rng.below(10) {
            0..=3 => RVIC + rng.below(12) as u32, // one past RESAMPLE too
            4 => RVID + rng.below(4) as u32,      // one past UNMAP too
            5 => 0x8400_0000 | (rng.below(2) as u32) << 30 | PSCI_HARMLESS[rng.below(5) as usize],
            6 => SMCCC_VERSION + rng.below(2) as u32,
            _ => loop {
                let f = rng.next_u64() as u32;
                if allowed(f) {
                    break f;
                }
            },
        };
        (fid, [self.arg(rng), self.arg(rng), self.arg(rng)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_never_stuck() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        let xs: std::vec::Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        assert!(xs.iter().all(|&x| x == b.next_u64() && x != 0));
        assert_ne!(
            Rng::new(0).next_u64(),
            0,
            "a zero seed must not stick at zero"
        );
    }

    #[test]
    fn dangerous_psci_functions_are_refused() {
        for fid in [
            PSCI_CPU_OFF,
            PSCI_CPU_ON,
            0x8400_0003,
            0xC400_0001, // CPU_SUSPEND
            PSCI_SYSTEM_OFF,
            0x8400_0009, // SYSTEM_RESET
            0xC400_000E, // SYSTEM_SUSPEND
            0xC400_0012, // SYSTEM_RESET2
            0x8400_001F,
        ] {
            assert!(!allowed(fid), "{fid:#x}");
        }
        for fid in [
            PSCI_VERSION,
            PSCI_AFFINITY_INFO,
            PSCI_FEATURES,
            RVIC,
            0x8400_0020,
        ] {
            assert!(allowed(fid), "{fid:#x}");
        }
    }

    #[test]
    fn bursts_mix_every_kind_of_call_and_stay_allowed() {
        let mpidrs = [0, 1, 2, 3];
        let s = Scope {
            mpidrs: &mpidrs,
            t: 32,
            u: 64,
        };
        let mut rng = Rng::new(7);
        let (mut rvic, mut rvid, mut unknown, mut edge, mut last_rvic) = (0, 0, 0, 0, false);
        for _ in 0..2000 {
            let (fid, args) = s.call(&mut rng);
            assert!(allowed(fid), "{fid:#x}");
            match fid {
                RVIC_VERSION..=RVIC_RESAMPLE => rvic += 1,
                RVID_VERSION..=RVID_UNMAP => rvid += 1,
                _ if fid == RVIC_RESAMPLE + 1 => last_rvic = true,
                _ => unknown += 1,
            }
            edge += args.iter().filter(|&&a| a == 96 || a == 64).count();
        }
        assert!(rvic > 500 && rvid > 100 && unknown > 400 && edge > 50);
        assert!(last_rvic, "the ID one past the rVIC range is tried");
    }
}
