// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The VM-level controller: one rVIC per vCPU, one rVID, the MPIDR → vCPU
//! table, the counters, and the decoder of every rVIC/rVID hypercall.
//!
//! # Locking
//!
//! Each rVIC is behind its own spin lock and the rVID table behind one more.
//! The only way two locks are ever held together is **rVID table, then one
//! rVIC**: no path holds two rVIC locks at once, and none takes the table
//! while holding an rVIC. One fixed order with at most one lock per level
//! leaves no cycle, hence no deadlock.
//!
//! * Calls on a target (SET_MASKED, CLEAR_MASKED, IS_PENDING, SIGNAL,
//!   CLEAR_PENDING) lock the target's rVIC only: a SIGNAL from vCPU a to b
//!   never touches a's. ENABLE, DISABLE, ACKNOWLEDGE (and, in 0.4,
//!   ACKNOWLEDGE_UNMASKED), RESAMPLE of a trusted INTID and
//!   [`Vm::set_trusted_level`] lock that one vCPU's rVIC.
//! * MAP, [`Vm::set_input_line`] and RESAMPLE of an untrusted INTID lock the
//!   table, then, still holding it, at most the route's target rVIC. That
//!   orders line changes against MAP: an assertion lands wholly on the old
//!   route or wholly on the new one, as the ABI's retargeting sequence
//!   needs. MAP also steers the physical line ([`Physical::routed`]) while
//!   it holds the table, so two MAPs of one input reach the hardware in the
//!   order they took effect. UNMAP locks the table only.
//!
//! No update is lost: every read-modify-write of an rVIC runs whole under its
//! lock (ACKNOWLEDGE picks, masks and clears in one hold), and each vCPU's
//! `notify` flag is rewritten under that same lock after every change, so it
//! always equals the predicate of the latest state. The caller that changes
//! the flag puts the vCPU in its kick set; a vCPU entering the guest either
//! reads the new flag or receives the kick. Holds are O(1), a few dozen
//! instructions: bit operations on one word, no loop over INTIDs or inputs.
//! Counters are relaxed atomics, updated outside the locks.
//!
//! # Where the ABI is silent
//!
//! * The function ID is W0 (SMCCC); any other ID, SMC32 ones included, gets
//!   NOT_SUPPORTED, as does ACKNOWLEDGE_UNMASKED when the VM offers 0.3.
//!   Argument registers a call does not use are ignored.
//! * Arguments are checked in order: a bad target and a bad INTID together
//!   give INVALID_CPU(0). A target must equal a vCPU's affinity value; a
//!   value with bits outside [`AFFINITY_MASK`] names no vCPU.
//! * Sources (inputs, trusted lines) set pending on a disabled instance too;
//!   only a guest's SIGNAL is refused with DISABLED.
//! * RESAMPLE of an untrusted INTID needs a level input routed to it on the
//!   caller, else ERROR_PARAMETER(0). Trigger rules and exclusive routes:
//!   see [`Rvid`].

use crate::counters::{bump, bump_own, Cells};
use crate::{Counters, LineEffect, Route, Rvid, Trigger, VcpuSet};
use alloc::boxed::Box;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use rvic::NOT_SUPPORTED;
use rvic::{Abi, Call, Error, IntidSpace, NotLevel, Rvic, SpaceError, AFFINITY_MASK};
use spin::Mutex;

/// What a VM's interrupt controller is built from.
#[derive(Clone, Copy, Debug)]
pub struct VmConfig<'a> {
    /// The MPIDR affinity value of each vCPU; the index is the vCPU number.
    pub mpidrs: &'a [u64],
    /// `T`, the number of trusted INTIDs.
    pub trusted: u32,
    /// `U`, the number of untrusted INTIDs and of rVID inputs.
    pub untrusted: u32,
    /// The trigger of inputs `0..inputs.len()`; the other inputs are edge.
    pub inputs: &'a [Trigger],
    /// Trusted INTIDs driven by a level source on every vCPU (the timers).
    pub level_trusted: &'a [u32],
    /// The ABI version offered: VERSION's answer, and which calls exist.
    pub abi: Abi,
}

/// Why [`Vm::new`] refused a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `T` and `U` break the ABI limits.
    Space(SpaceError),
    /// No vCPU, or more than [`VcpuSet::CAPACITY`].
    VcpuCount(usize),
    /// This vCPU's MPIDR has bits outside [`AFFINITY_MASK`] or repeats.
    Mpidr(usize),
    /// More input triggers than `U`.
    InputCount(usize),
    /// A level INTID that is not trusted.
    LevelIntid(u32),
}

/// The source of a level INTID that RESAMPLE sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// A trusted INTID's source on one vCPU (the virtual timer).
    Trusted { vcpu: usize, intid: u32 },
    /// An rVID input.
    Input(usize),
}

/// What RESAMPLE tells the hypervisor about the physical source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Resampled {
    pub source: Source,
    /// `true`: still asserted and pending again; keep the source held.
    /// `false`: the source may fire again (deactivate it, re-arm the timer).
    pub asserted: bool,
}

/// The outcome of one hypercall.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HvcResult {
    /// x0..x3 for the guest; unused ones are zero.
    pub regs: [u64; 4],
    /// vCPUs whose notification changed (the caller too, if its own did).
    pub kick: VcpuSet,
    /// Set by a successful RESAMPLE of an INTID that has a level source.
    pub resampled: Option<Resampled>,
}

/// What the hypervisor does at the hardware for [`Vm::call`], called under
/// the lock of the state concerned (so it must not call back into the VM).
pub trait Physical {
    /// RESAMPLE of a level INTID: the current state of its `source`, or
    /// `None` to keep the state last reported through
    /// [`Vm::set_input_line`] or [`Vm::set_trusted_level`]. Runs at most once
    /// per call.
    fn sample(&mut self, source: Source) -> Option<bool>;
    /// A MAP succeeded: rVID input `input` is now delivered to `vcpu`.
    fn routed(&mut self, input: usize, vcpu: usize);
}

/// No hardware behind the controller: nothing is sampled, routes go
/// nowhere.
pub struct NoHardware;

impl Physical for NoHardware {
    fn sample(&mut self, _: Source) -> Option<bool> {
        None
    }

    fn routed(&mut self, _: usize, _: usize) {}
}

/// The interrupt controller of one VM. `Sync`: see the module doc.
pub struct Vm {
    space: IntidSpace,
    abi: Abi,
    mpidrs: Box<[u64]>,
    vcpus: Box<[Vcpu]>,
    rvid: Mutex<Rvid>,
    dropped: AtomicU64,
}

struct Vcpu {
    rvic: Mutex<Rvic>,
    /// The notification predicate of `rvic`, rewritten under its lock.
    notify: AtomicBool,
    counters: Cells,
}

impl Vm {
    /// Validates `cfg` and allocates everything the VM will ever use.
    pub fn new(cfg: VmConfig) -> Result<Vm, ConfigError> {
        let space = IntidSpace::new(cfg.trusted, cfg.untrusted).map_err(ConfigError::Space)?;
        let count = cfg.mpidrs.len();
        if count == 0 || count > VcpuSet::CAPACITY {
            return Err(ConfigError::VcpuCount(count));
        }
        for (vcpu, &mpidr) in cfg.mpidrs.iter().enumerate() {
            if mpidr & !AFFINITY_MASK != 0 || cfg.mpidrs[..vcpu].contains(&mpidr) {
                return Err(ConfigError::Mpidr(vcpu));
            }
        }
        if cfg.inputs.len() > space.untrusted() as usize {
            return Err(ConfigError::InputCount(cfg.inputs.len()));
        }
        let mut rvic = Rvic::new(space);
        for &intid in cfg.level_trusted {
            rvic.declare_level(intid)
                .map_err(|_| ConfigError::LevelIntid(intid))?;
        }
        let vcpu = |_| Vcpu {
            rvic: Mutex::new(rvic.clone()),
            notify: AtomicBool::new(false),
            counters: Cells::default(),
        };
        Ok(Vm {
            space,
            abi: cfg.abi,
            mpidrs: cfg.mpidrs.into(),
            vcpus: (0..count).map(vcpu).collect(),
            rvid: Mutex::new(Rvid::new(space, count, cfg.inputs)),
            dropped: AtomicU64::new(0),
        })
    }

    /// `T` and `U`.
    pub fn space(&self) -> IntidSpace {
        self.space
    }

    /// The number of vCPUs.
    pub fn vcpus(&self) -> usize {
        self.vcpus.len()
    }

    /// The vCPU with MPIDR affinity value `mpidr` (no bits outside
    /// [`AFFINITY_MASK`]), if any.
    #[inline]
    pub fn vcpu_of(&self, mpidr: u64) -> Option<usize> {
        self.mpidrs.iter().position(|&m| m == mpidr)
    }

    /// The notification predicate of `vcpu`: read on every guest entry, no
    /// lock. Panics, like every method taking a vCPU, if `vcpu` is not one.
    #[inline]
    pub fn notification(&self, vcpu: usize) -> bool {
        self.vcpus[vcpu].notify.load(Ordering::Acquire)
    }

    /// `vcpu`'s counters.
    pub fn counters(&self, vcpu: usize) -> Counters {
        self.vcpus[vcpu]
            .counters
            .snapshot(self.dropped.load(Ordering::Relaxed))
    }

    /// Runs `f` on `vcpu`'s rVIC under its lock (state dumps, tests).
    pub fn inspect<R>(&self, vcpu: usize, f: impl FnOnce(&Rvic) -> R) -> R {
        f(&self.vcpus[vcpu].rvic.lock())
    }

    /// Input `input`'s route (e.g. to steer the physical line to the CPU
    /// running the target vCPU). Panics if `input >= U`.
    pub fn route(&self, input: usize) -> Option<Route> {
        self.rvid.lock().route(input)
    }

    /// One guest hypercall from vCPU `caller` (`x0` = `fid`), decoded here,
    /// with no hardware behind the controller ([`NoHardware`]): for tests
    /// and models. The hypervisor decodes the function ID itself and calls
    /// [`Vm::call`].
    pub fn hypercall(&self, caller: usize, fid: u64, x1: u64, x2: u64, x3: u64) -> HvcResult {
        match Call::from_fid(fid) {
            Some(call) => self.call(caller, call, [x1, x2, x3], &mut NoHardware),
            None => self.unsupported(caller),
        }
    }

    /// rVIC/rVID call `call` from vCPU `caller` with arguments x1..x3: the
    /// whole job of the trap handler for these calls. What only the
    /// hypervisor can do at the hardware, `hw` does, under the lock of the
    /// state it concerns: RESAMPLE asks it for the level source's current
    /// state (physical level lines give no event when they fall), and a
    /// successful MAP tells it where the input now goes, so that the
    /// physical line is steered before another MAP of the same input can
    /// run. Each call takes the locks it needs once. A call the VM's ABI
    /// version does not offer is answered as an unknown function ID.
    pub fn call(
        &self,
        caller: usize,
        call: Call,
        args: [u64; 3],
        hw: &mut impl Physical,
    ) -> HvcResult {
        if !self.abi.offers(call) {
            return self.unsupported(caller);
        }
        self.vcpus[caller].counters.call(Some(call));
        let mut out = HvcResult::default();
        match self.dispatch(caller, call, args, &mut out, hw) {
            Ok(value) => out.regs[1] = value,
            Err(error) => out.regs[0] = error.status(),
        }
        out
    }

    /// NOT_SUPPORTED, counted as such.
    fn unsupported(&self, caller: usize) -> HvcResult {
        self.vcpus[caller].counters.call(None);
        HvcResult {
            regs: [NOT_SUPPORTED, 0, 0, 0],
            ..HvcResult::default()
        }
    }

    /// A trusted level source of `vcpu` changed (see [`Rvic::set_line`]).
    pub fn set_trusted_level(
        &self,
        vcpu: usize,
        intid: u32,
        asserted: bool,
    ) -> Result<VcpuSet, NotLevel> {
        let mut kick = VcpuSet::EMPTY;
        if self.with(vcpu, &mut kick, |r| r.set_line(intid, asserted))? {
            bump(&self.vcpus[vcpu].counters.merged);
        }
        Ok(kick)
    }

    /// rVID input `input`'s line changed: an edge input takes each `true` as
    /// one interrupt, a level input follows the line. Panics if `input >= U`.
    pub fn set_input_line(&self, input: usize, asserted: bool) -> VcpuSet {
        let mut kick = VcpuSet::EMPTY;
        let mut rvid = self.rvid.lock();
        match rvid.set_line(input, asserted) {
            LineEffect::Raise(to) => {
                if self.with(to.vcpu, &mut kick, |r| r.set_pending(to.intid, true)) {
                    bump(&self.vcpus[to.vcpu].counters.merged);
                }
            }
            LineEffect::Lower(to) => {
                self.with(to.vcpu, &mut kick, |r| r.set_pending(to.intid, false));
            }
            LineEffect::Dropped => bump(&self.dropped),
            LineEffect::Nothing => {}
        }
        drop(rvid);
        kick
    }

    fn dispatch(
        &self,
        caller: usize,
        call: Call,
        x: [u64; 3],
        out: &mut HvcResult,
        hw: &mut impl Physical,
    ) -> Result<u64, Error> {
        let kick = &mut out.kick;
        match call {
            Call::RvicVersion | Call::RvidVersion => Ok(self.abi.version()),
            Call::Info => match x[0] {
                0 => Ok(self.space.trusted().into()),
                1 => Ok(self.space.untrusted().into()),
                _ => Err(Error::Parameter(0)),
            },
            Call::Enable | Call::Disable => {
                self.with(caller, kick, |r| r.set_enabled(call == Call::Enable));
                Ok(0)
            }
            Call::SetMasked | Call::ClearMasked => {
                let (vcpu, intid) = self.target(x)?;
                self.with(vcpu, kick, |r| r.set_masked(intid, call == Call::SetMasked));
                Ok(0)
            }
            Call::IsPending => {
                let (vcpu, intid) = self.target(x)?;
                Ok(self.inspect(vcpu, |r| r.is_pending(intid)).into())
            }
            Call::Signal => {
                let (vcpu, intid) = self.target(x)?;
                if self.with(vcpu, kick, |r| r.signal(intid))? {
                    bump(&self.vcpus[vcpu].counters.merged);
                }
                Ok(0)
            }
            Call::ClearPending => {
                let (vcpu, intid) = self.target(x)?;
                self.with(vcpu, kick, |r| r.set_pending(intid, false));
                Ok(0)
            }
            Call::Acknowledge | Call::AcknowledgeUnmasked => {
                // A closure, not a function pointer: it inlines.
                let intid = self.with(caller, kick, |r| {
                    if call == Call::Acknowledge {
                        r.acknowledge()
                    } else {
                        r.acknowledge_unmasked()
                    }
                })?;
                bump_own(&self.vcpus[caller].counters.acks);
                Ok(intid.into())
            }
            Call::Resample => self.resample(caller, x[0], out, hw),
            Call::Map => self.map(x, kick, hw),
            Call::Unmap => {
                let input = self.input(x[0])?;
                self.rvid.lock().unmap(input);
                Ok(0)
            }
        }
    }

    /// RESAMPLE (caller only) of a trusted INTID, or of an untrusted one
    /// routed to the caller from a level input.
    fn resample(
        &self,
        caller: usize,
        x: u64,
        out: &mut HvcResult,
        hw: &mut impl Physical,
    ) -> Result<u64, Error> {
        let intid = self.space.intid(x).ok_or(Error::Parameter(0))?;
        let (source, asserted) = if self.space.is_trusted(intid) {
            let source = Source::Trusted {
                vcpu: caller,
                intid,
            };
            let resampled = self.with(caller, &mut out.kick, |r| {
                if r.is_level(intid) {
                    if let Some(line) = hw.sample(source) {
                        let _ = r.set_line(intid, line);
                    }
                }
                r.resample(intid)
            });
            match resampled {
                Some(asserted) => (source, asserted),
                None => return Ok(0),
            }
        } else {
            let mut rvid = self.rvid.lock();
            let route = Route {
                vcpu: caller,
                intid,
            };
            let (input, line) = rvid.level_source(route).ok_or(Error::Parameter(0))?;
            let asserted = hw.sample(Source::Input(input)).unwrap_or(line);
            if asserted != line {
                // The route is `route`: the line's effect is applied below.
                rvid.set_line(input, asserted);
            }
            if asserted || asserted != line {
                self.with(caller, &mut out.kick, |r| r.set_pending(intid, asserted));
            }
            drop(rvid);
            (Source::Input(input), asserted)
        };
        out.resampled = Some(Resampled { source, asserted });
        Ok(0)
    }

    /// MAP(input, target, intid), checked in argument order.
    fn map(&self, x: [u64; 3], kick: &mut VcpuSet, hw: &mut impl Physical) -> Result<u64, Error> {
        let input = self.input(x[0])?;
        let vcpu = self.vcpu_of(x[1]).ok_or(Error::InvalidCpu(1))?;
        let intid = self
            .space
            .intid(x[2])
            .filter(|&i| self.space.is_untrusted(i));
        let to = Route {
            vcpu,
            intid: intid.ok_or(Error::Parameter(2))?,
        };
        let mut rvid = self.rvid.lock();
        if let Some(to) = rvid.map(input, to)? {
            self.with(to.vcpu, kick, |r| r.set_pending(to.intid, true));
        }
        hw.routed(input, vcpu);
        drop(rvid);
        Ok(0)
    }

    /// An rVID input number in x1: ERROR_PARAMETER(0) unless `< U`.
    fn input(&self, x: u64) -> Result<usize, Error> {
        let valid = x < u64::from(self.space.untrusted());
        valid.then_some(x as usize).ok_or(Error::Parameter(0))
    }

    /// The (target, intid) pair of an rVIC call, checked in argument order:
    /// INVALID_CPU(0), then ERROR_PARAMETER(1).
    #[inline]
    fn target(&self, x: [u64; 3]) -> Result<(usize, u32), Error> {
        let vcpu = self.vcpu_of(x[0]).ok_or(Error::InvalidCpu(0))?;
        let intid = self.space.intid(x[1]).ok_or(Error::Parameter(1))?;
        Ok((vcpu, intid))
    }

    /// Runs `f` on `vcpu`'s rVIC under its lock, then republishes the
    /// vCPU's notification flag and adds the vCPU to `kick` if it changed.
    #[inline]
    fn with<R>(&self, vcpu: usize, kick: &mut VcpuSet, f: impl FnOnce(&mut Rvic) -> R) -> R {
        let slot = &self.vcpus[vcpu];
        let mut rvic = slot.rvic.lock();
        let result = f(&mut rvic);
        let now = rvic.notification();
        if slot.notify.swap(now, Ordering::AcqRel) != now {
            kick.insert(vcpu);
        }
        result
    }
}

/// `Vm::fork` for the exhaustive exploration: a child module, to see the
/// private fields.
#[cfg(test)]
#[path = "tests/fork.rs"]
mod fork;
