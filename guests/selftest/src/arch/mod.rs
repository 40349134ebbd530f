// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The hardware layer of the EL1 guest: every line of assembly and every
//! `unsafe` of the image is here (and in the exception frame handling).
//! Owns the stacks, the page tables and the registers the checks touch:
//! hypercalls, the virtual timer, the counter, MMIO, PSTATE.I, ESR/FAR.

use core::sync::atomic::{AtomicBool, Ordering::SeqCst};

use selftest::abi::Call;
use selftest::pagetable::{Tables, MAIR};
use selftest::MAX_CPUS;

pub const STACK_SIZE: usize = 32 * 1024;

/// TCR_EL1 without IPS (boot.S adds it from ID_AA64MMFR0_EL1): T0SZ = 25
/// (39-bit VA), TTBR0 walks inner/outer write-back and inner shareable,
/// 4 KiB granule, TTBR1 walks disabled (EPD1).
const TCR: u64 = 25 | (0b01 << 8) | (0b01 << 10) | (0b11 << 12) | (1 << 23);
/// SCTLR_EL1: M, C, SA, I and the bits that are RES1 up to Armv8.0
/// (11, 20, 22, 23, 28, 29). Alignment checking (A) stays off.
const SCTLR: u64 = 1
    | (1 << 2)
    | (1 << 3)
    | (1 << 12)
    | (1 << 11)
    | (1 << 20)
    | (1 << 22)
    | (1 << 23)
    | (1 << 28)
    | (1 << 29);

#[repr(C, align(16))]
pub struct Stack([u8; STACK_SIZE]);

/// One stack per vCPU; boot.S points SP at the end of the vCPU's own.
#[no_mangle]
static mut STACKS: [Stack; MAX_CPUS] = [const { Stack([0; STACK_SIZE]) }; MAX_CPUS];

/// The identity map, built by vCPU 0 before any other vCPU runs; read only
/// by the MMUs afterwards. boot.S takes its address (the level-1 table is
/// its first field).
#[no_mangle]
static mut SELFTEST_TABLES: Tables = Tables::new();
static TABLES_BUILT: AtomicBool = AtomicBool::new(false);

core::arch::global_asm!(
    include_str!("boot.S"),
    STACK_SIZE = const STACK_SIZE,
    MAX_CPUS = const MAX_CPUS,
    MAIR = const MAIR,
    TCR = const TCR,
    SCTLR = const SCTLR,
);
core::arch::global_asm!(include_str!("vectors.S"));

extern "C" {
    fn secondary_entry();
    fn mmu_on(ttbr0: u64);
}

/// Build the identity map with `build` and turn on vCPU 0's MMU. Only the
/// first call does anything.
pub fn enable_mmu(
    build: impl FnOnce(&mut Tables) -> Result<(), &'static str>,
) -> Result<(), &'static str> {
    if TABLES_BUILT.swap(true, SeqCst) {
        return Ok(());
    }
    // SAFETY: this runs once (TABLES_BUILT), on vCPU 0, before any other
    // vCPU is started and before any MMU uses the tables: nothing else
    // reads or writes them.
    let tables = unsafe { &mut *core::ptr::addr_of_mut!(SELFTEST_TABLES) };
    build(tables)?;
    // SAFETY: the tables map this image (code, data, stacks) 1:1 as normal
    // memory, so execution continues at the same addresses. They were
    // written with the MMU off, straight to memory, over lines boot.S
    // invalidated.
    unsafe { mmu_on(core::ptr::addr_of!(SELFTEST_TABLES) as u64) };
    Ok(())
}

/// Where PSCI CPU_ON starts a vCPU (context id = its index).
pub fn secondary_entry_addr() -> u64 {
    secondary_entry as *const () as u64
}

macro_rules! smccc {
    ($insn:literal, $fid:expr, $args:expr) => {{
        let args: [u64; 3] = $args;
        let (mut x0, mut x1, mut x2, mut x3) = ($fid as u64, args[0], args[1], args[2]);
        // SAFETY: an SMCCC call; the callee may change x0-x17 (declared),
        // preserves x18-x30 and SP, and touches no memory of ours.
        unsafe {
            core::arch::asm!(
                $insn,
                inout("x0") x0, inout("x1") x1, inout("x2") x2, inout("x3") x3,
                out("x4") _, out("x5") _, out("x6") _, out("x7") _, out("x8") _,
                out("x9") _, out("x10") _, out("x11") _, out("x12") _, out("x13") _,
                out("x14") _, out("x15") _, out("x16") _, out("x17") _,
            )
        };
        Call { fid: $fid, args, ret: [x0, x1, x2, x3] }
    }};
}

/// A fast call by `HVC #0`: x0 = `fid`, x1..x3 = `args`.
pub fn hvc(fid: u32, args: [u64; 3]) -> Call {
    smccc!("hvc #0", fid, args)
}

/// The same call by `SMC #0`.
pub fn smc(fid: u32, args: [u64; 3]) -> Call {
    smccc!("smc #0", fid, args)
}

/// The encodings of `HVC #0` and `SMC #0`.
pub const HVC0: u32 = 0xd400_0002;
pub const SMC0: u32 = 0xd400_0003;

macro_rules! sysreg_read {
    ($name:ident, $reg:literal) => {
        #[inline]
        pub fn $name() -> u64 {
            let v: u64;
            // SAFETY: reading this system register has no side effects.
            unsafe { core::arch::asm!(concat!("mrs {}, ", $reg), out(reg) v) };
            v
        }
    };
}

// After sysreg_read!, which it uses.
pub mod hostile;

sysreg_read!(mpidr_raw, "mpidr_el1");
sysreg_read!(counter, "cntvct_el0");
sysreg_read!(counter_freq, "cntfrq_el0");
sysreg_read!(esr, "esr_el1");
sysreg_read!(far, "far_el1");
sysreg_read!(tpidr, "tpidr_el1");
sysreg_read!(sctlr, "sctlr_el1");
sysreg_read!(id_aa64mmfr1, "id_aa64mmfr1_el1");
sysreg_read!(vbar, "vbar_el1");
sysreg_read!(cntkctl, "cntkctl_el1");
sysreg_read!(isr, "isr_el1");
sysreg_read!(mdscr, "mdscr_el1");
sysreg_read!(contextidr, "contextidr_el1");

/// SCTLR_EL1.SPAN (bit 23): 0 = an exception to EL1 sets PSTATE.PAN.
pub const SCTLR_SPAN: u64 = 1 << 23;
/// SCTLR_EL1.DSSBS (bit 44): PSTATE.SSBS on an exception to EL1.
pub const SCTLR_DSSBS: u64 = 1 << 44;

sysreg_read!(id_aa64pfr0, "id_aa64pfr0_el1");
sysreg_read!(id_aa64pfr1, "id_aa64pfr1_el1");

/// A PSTATE field with a system register of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pstate {
    /// Privileged Access Never (FEAT_PAN).
    Pan,
    /// Speculative Store Bypass Safe (FEAT_SSBS).
    Ssbs,
    /// Data Independent Timing (FEAT_DIT).
    Dit,
}

impl Pstate {
    pub const ALL: [Pstate; 3] = [Pstate::Pan, Pstate::Ssbs, Pstate::Dit];

    pub fn name(self) -> &'static str {
        ["PAN", "SSBS", "DIT"][self as usize]
    }

    /// The field's bit in its register (and in SPSR).
    fn bit(self) -> u64 {
        match self {
            Pstate::Pan => 1 << 22,
            Pstate::Ssbs => 1 << 12,
            Pstate::Dit => 1 << 24,
        }
    }

    /// Whether the CPU has the field: ID_AA64MMFR1_EL1.PAN,
    /// ID_AA64PFR1_EL1.SSBS, ID_AA64PFR0_EL1.DIT.
    pub fn implemented(self) -> bool {
        let (id, shift) = match self {
            Pstate::Pan => (id_aa64mmfr1(), 20),
            Pstate::Ssbs => (id_aa64pfr1(), 4),
            Pstate::Dit => (id_aa64pfr0(), 48),
        };
        (id >> shift) & 0xf != 0
    }

    /// The field now. Only if [`Self::implemented`].
    pub fn get(self) -> bool {
        let v: u64;
        // SAFETY: reading a PSTATE field has no side effects.
        unsafe {
            match self {
                Pstate::Pan => core::arch::asm!("mrs {}, s3_0_c4_c2_3", out(reg) v),
                Pstate::Ssbs => core::arch::asm!("mrs {}, s3_3_c4_c2_6", out(reg) v),
                Pstate::Dit => core::arch::asm!("mrs {}, s3_3_c4_c2_5", out(reg) v),
            }
        };
        v & self.bit() != 0
    }

    /// Set the field. Only if [`Self::implemented`].
    pub fn set(self, on: bool) {
        let v = if on { self.bit() } else { 0 };
        // SAFETY: PAN only restricts EL1 access to EL0-accessible pages, and
        // this image maps none (AP[1] = 0 everywhere); SSBS and DIT only
        // change speculation and timing.
        unsafe {
            match self {
                Pstate::Pan => core::arch::asm!("msr s3_0_c4_c2_3, {}", "isb", in(reg) v),
                Pstate::Ssbs => core::arch::asm!("msr s3_3_c4_c2_6, {}", "isb", in(reg) v),
                Pstate::Dit => core::arch::asm!("msr s3_3_c4_c2_5, {}", "isb", in(reg) v),
            }
        };
    }
}

/// The implemented [`Pstate`] fields now, as a bit set (SPSR layout).
pub fn pstate_fields() -> u64 {
    Pstate::ALL
        .into_iter()
        .filter(|f| f.implemented() && f.get())
        .map(Pstate::bit)
        .fold(0, |a, b| a | b)
}

/// Whether `fields` (from [`pstate_fields`]) has `f` set.
pub fn has_field(fields: u64, f: Pstate) -> bool {
    fields & f.bit() != 0
}

/// Write SCTLR_EL1. Callers change only SPAN and DSSBS, which affect
/// nothing but how exceptions to EL1 set PSTATE.PAN and PSTATE.SSBS.
pub fn set_sctlr(v: u64) {
    // SAFETY: callers pass the current value with only SPAN or DSSBS
    // changed.
    unsafe { core::arch::asm!("msr sctlr_el1, {}", "isb", in(reg) v) };
}

/// Give MDSCR_EL1 (TDCC: EL0 DCC access trapped, and EL0 never runs) and
/// CONTEXTIDR_EL1 (an identifier, unused) values other than their reset
/// ones, for the CPU_ON reset check.
pub fn mark_el1_state(tag: u64) {
    // SAFETY: neither value changes how this image runs (see above).
    unsafe {
        core::arch::asm!(
            "msr mdscr_el1, {m}",
            "msr contextidr_el1, {c}",
            "isb",
            m = in(reg) 1u64 << 12,
            c = in(reg) tag,
        )
    };
}

/// This vCPU's MPIDR affinity fields, as rVIC targets name it.
pub fn mpidr() -> u64 {
    mpidr_raw() & 0xff_00ff_ffff
}

/// This vCPU's index (0 = the boot vCPU), kept in TPIDR_EL1 by boot.S.
pub fn cpu_index() -> usize {
    tpidr() as usize
}

/// CNTV_CTL_EL0: bit 0 ENABLE, bit 1 IMASK.
pub fn vtimer_ctl(v: u64) {
    // SAFETY: the EL1 virtual timer belongs to this guest.
    unsafe { core::arch::asm!("msr cntv_ctl_el0, {}", "isb", in(reg) v) }
}

/// CNTV_CVAL_EL0: the virtual timer's deadline in counter ticks.
pub fn vtimer_cval(v: u64) {
    // SAFETY: as vtimer_ctl.
    unsafe { core::arch::asm!("msr cntv_cval_el0, {}", "isb", in(reg) v) }
}

/// Turn on the counter's event stream (an event about every 2^12 ticks),
/// so WFE-based waits wake up to look at their deadline.
pub fn event_stream_on() {
    // SAFETY: CNTKCTL_EL1 EVNTEN (bit 2) and EVNTI (bits 7:4) only generate
    // events; EL0 access bits stay as they are (EL0 never runs).
    unsafe {
        core::arch::asm!(
            "mrs {t}, cntkctl_el1",
            "bic {t}, {t}, #0xf0",
            "orr {t}, {t}, #(12 << 4)",
            "orr {t}, {t}, #(1 << 2)",
            "msr cntkctl_el1, {t}",
            "isb",
            t = out(reg) _,
        )
    }
}

/// Let IRQs in (PSTATE.I = 0).
pub fn irqs_on() {
    // SAFETY: only this vCPU's PSTATE.I changes.
    unsafe { core::arch::asm!("msr daifclr, #2") }
}

/// Keep IRQs out (PSTATE.I = 1).
pub fn irqs_off() {
    // SAFETY: only this vCPU's PSTATE.I changes.
    unsafe { core::arch::asm!("msr daifset, #2") }
}

#[inline]
pub fn wfe() {
    // SAFETY: WFE has no memory effects.
    unsafe { core::arch::asm!("wfe") }
}

/// WFIT (FEAT_WFxT) with `deadline` on the virtual count: wait for an
/// interrupt or the deadline (`.inst`, so the assembler needs no wfxt).
#[inline]
pub fn wfit(deadline: u64) {
    // SAFETY: WFIT has no memory effects.
    unsafe { core::arch::asm!(".inst 0xd5031020 | 3", in("x3") deadline) }
}

#[inline]
pub fn sev() {
    // SAFETY: a barrier and SEV; no memory effects of their own.
    unsafe { core::arch::asm!("dsb ish", "sev") }
}

/// Read a 32-bit device register.
pub fn read32(addr: u64) -> u32 {
    // SAFETY: callers pass registers of devices the device tree assigned
    // to this guest; those pages are mapped as device memory.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

/// Write a 32-bit device register.
pub fn write32(addr: u64, v: u32) {
    // SAFETY: as read32.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

/// One `LDR` from `addr`, which is expected to abort: the caller has armed
/// the exception handler to skip it (the result is then meaningless).
pub fn probe_load(addr: u64) -> u64 {
    let v: u64;
    // SAFETY: a single load from a page mapped as device memory; if it
    // aborts, the armed handler steps over it and nothing else is touched.
    unsafe { core::arch::asm!("ldr {v}, [{a}]", v = out(reg) v, a = in(reg) addr) };
    v
}

/// One `STR` of zero to `addr`, which is expected to abort (as
/// [`probe_load`]).
pub fn probe_store(addr: u64) {
    // SAFETY: a single store to a page mapped as device memory at an IPA
    // the VM does not own; if it aborts, the armed handler steps over it.
    unsafe { core::arch::asm!("str xzr, [{a}]", a = in(reg) addr) };
}

/// The instruction at `pc` (an address in this image).
pub fn instruction_at(pc: u64) -> u32 {
    // SAFETY: callers pass ELR of an exception taken in this image, whose
    // code is mapped readable.
    unsafe { core::ptr::read_volatile(pc as *const u32) }
}

/// Stop this vCPU for good.
pub fn park() -> ! {
    loop {
        irqs_off();
        wfe();
    }
}
