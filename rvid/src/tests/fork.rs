// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Copying and hashing a `Vm`, for the exhaustive exploration only. Declared
//! in `vm.rs` as its child so it can read the private fields.

use super::{Cells, Vcpu, Vm};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use spin::Mutex;

impl Vm {
    /// A copy of the interrupt state, for the exhaustive exploration; the
    /// counters of the copy start at zero.
    pub(crate) fn fork(&self) -> Vm {
        let vcpu = |v: &Vcpu| Vcpu {
            rvic: Mutex::new(v.rvic.lock().clone()),
            notify: AtomicBool::new(v.notify.load(Ordering::Relaxed)),
            counters: Cells::default(),
        };
        Vm {
            space: self.space,
            abi: self.abi,
            mpidrs: self.mpidrs.clone(),
            vcpus: self.vcpus.iter().map(vcpu).collect(),
            rvid: Mutex::new(self.rvid.lock().clone()),
            dropped: AtomicU64::new(0),
        }
    }

    /// Hashes the rVICs and the rVID (not the counters).
    pub(crate) fn hash_state(&self, hasher: &mut impl core::hash::Hasher) {
        use core::hash::Hash;
        for vcpu in self.vcpus.iter() {
            vcpu.rvic.lock().hash(hasher);
        }
        self.rvid.lock().hash(hasher);
    }
}
