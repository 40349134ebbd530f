// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The GICv3 system registers the driver uses, behind a trait: the real
//! `mrs`/`msr` implementation is `arch::CpuSysRegs` (aarch64 only); host
//! tests use a recording fake. Barriers are here too, so tests can check
//! where they fall relative to the register writes.

/// A system register `GicV3` reads or writes (list registers aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysReg {
    /// Read only: identifies the calling CPU.
    MpidrEl1,
    IccSreEl2,
    IccSreEl1,
    IccPmrEl1,
    IccBpr1El1,
    IccCtlrEl1,
    IccIgrpen1El1,
    /// Read only (acknowledges).
    IccIar1El1,
    /// Write only.
    IccEoir1El1,
    /// Write only.
    IccDirEl1,
    /// Write only.
    IccSgi1rEl1,
    IchHcrEl2,
    /// Read only.
    IchVtrEl2,
    IchVmcrEl2,
}

/// Access to the calling CPU's system registers. Reading a write-only
/// register or writing a read-only one is a bug and may panic.
pub trait SysRegs: Sync {
    fn read(&self, reg: SysReg) -> u64;
    fn write(&self, reg: SysReg, value: u64);
    /// `ICH_LR<n>_EL2`, `n < 16`.
    fn write_lr(&self, n: usize, value: u64);
    /// Instruction synchronization barrier: system register writes take effect.
    fn isb(&self);
    /// Full-system data synchronization barrier.
    fn dsb_sy(&self);
    /// Inner-shareable store barrier: earlier stores are visible before an SGI.
    fn dsb_ishst(&self);
}
