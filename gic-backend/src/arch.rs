// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The instructions the drivers need: barriers, and `mrs`/`msr` on the GICv3
//! system registers as the real [`SysRegs`](crate::SysRegs). All inline
//! assembly of the crate is here. Off aarch64 (host tests) the barriers are
//! compiler fences and there are no system registers.

#[cfg(target_arch = "aarch64")]
pub use cpu::CpuSysRegs;

#[cfg(target_arch = "aarch64")]
mod cpu {
    use crate::sysreg::{SysReg, SysRegs};
    use core::arch::asm;

    /// Reads the system register named by the string `$name`.
    macro_rules! mrs {
        ($name:expr) => {{
            let value: u64;
            // SAFETY: reading a GIC or identification system register at EL2
            // accesses no memory; its only side effect (ICC_IAR1_EL1
            // acknowledges) is the one the caller asked for.
            unsafe { asm!(concat!("mrs {}, ", $name), out(reg) value, options(nostack, preserves_flags)) };
            value
        }};
    }

    /// Writes `$value` to the system register named by the string `$name`.
    macro_rules! msr {
        ($name:expr, $value:expr) => {{
            let value: u64 = $value;
            // SAFETY: writing a GIC system register at EL2 changes interrupt
            // controller state only; it accesses no memory.
            unsafe { asm!(concat!("msr ", $name, ", {}"), in(reg) value, options(nostack, preserves_flags)) }
        }};
    }

    /// `match $n { 0 => ICH_LR0_EL2, .. }` for the listed indices: the
    /// register name is part of the instruction, so each LR needs its own.
    macro_rules! write_lr {
        ($n:expr, $value:expr; $($i:literal)*) => {
            match $n {
                $($i => msr!(concat!("ich_lr", stringify!($i), "_el2"), $value),)*
                n => panic!("ICH_LR{n}_EL2 does not exist"),
            }
        };
    }

    /// The calling CPU's own system registers.
    pub struct CpuSysRegs;

    impl SysRegs for CpuSysRegs {
        fn read(&self, reg: SysReg) -> u64 {
            match reg {
                SysReg::MpidrEl1 => mrs!("mpidr_el1"),
                SysReg::IccSreEl2 => mrs!("icc_sre_el2"),
                SysReg::IccSreEl1 => mrs!("icc_sre_el1"),
                SysReg::IccPmrEl1 => mrs!("icc_pmr_el1"),
                SysReg::IccBpr1El1 => mrs!("icc_bpr1_el1"),
                SysReg::IccCtlrEl1 => mrs!("icc_ctlr_el1"),
                SysReg::IccIgrpen1El1 => mrs!("icc_igrpen1_el1"),
                SysReg::IccIar1El1 => mrs!("icc_iar1_el1"),
                SysReg::IchHcrEl2 => mrs!("ich_hcr_el2"),
                SysReg::IchVtrEl2 => mrs!("ich_vtr_el2"),
                SysReg::IchVmcrEl2 => mrs!("ich_vmcr_el2"),
                SysReg::IccEoir1El1 | SysReg::IccDirEl1 | SysReg::IccSgi1rEl1 => {
                    panic!("{reg:?} is write-only")
                }
            }
        }

        fn write(&self, reg: SysReg, value: u64) {
            match reg {
                SysReg::IccSreEl2 => msr!("icc_sre_el2", value),
                SysReg::IccSreEl1 => msr!("icc_sre_el1", value),
                SysReg::IccPmrEl1 => msr!("icc_pmr_el1", value),
                SysReg::IccBpr1El1 => msr!("icc_bpr1_el1", value),
                SysReg::IccCtlrEl1 => msr!("icc_ctlr_el1", value),
                SysReg::IccIgrpen1El1 => msr!("icc_igrpen1_el1", value),
                SysReg::IccEoir1El1 => msr!("icc_eoir1_el1", value),
                SysReg::IccDirEl1 => msr!("icc_dir_el1", value),
                SysReg::IccSgi1rEl1 => msr!("icc_sgi1r_el1", value),
                SysReg::IchHcrEl2 => msr!("ich_hcr_el2", value),
                SysReg::IchVmcrEl2 => msr!("ich_vmcr_el2", value),
                SysReg::MpidrEl1 | SysReg::IccIar1El1 | SysReg::IchVtrEl2 => {
                    panic!("{reg:?} is read-only")
                }
            }
        }

        fn write_lr(&self, n: usize, value: u64) {
            write_lr!(n, value; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
        }

        fn isb(&self) {
            super::isb();
        }

        fn dsb_sy(&self) {
            super::dsb_sy();
        }

        fn dsb_ishst(&self) {
            super::dsb_ishst();
        }
    }
}

/// `$name()` runs barrier `$insn` on aarch64; elsewhere (host tests) it is
/// a compiler fence.
macro_rules! barrier {
    ($name:ident, $insn:literal) => {
        #[cfg_attr(not(target_arch = "aarch64"), allow(dead_code))]
        pub(crate) fn $name() {
            #[cfg(target_arch = "aarch64")]
            // SAFETY: a barrier instruction has no operands; it only orders
            // memory accesses and instruction fetch.
            unsafe {
                core::arch::asm!($insn, options(nostack, preserves_flags))
            };
            #[cfg(not(target_arch = "aarch64"))]
            core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
        }
    };
}

// Context synchronization: earlier system register writes take effect.
barrier!(isb, "isb");
// Completes every earlier memory access, system-wide.
barrier!(dsb_sy, "dsb sy");
// Completes earlier stores (inner shareable), so an SGI sent next finds them.
barrier!(dsb_ishst, "dsb ishst");
