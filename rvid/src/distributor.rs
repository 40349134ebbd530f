// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The rVID of one VM: the input table.
//!
//! It owns, for each of the `U` inputs, its trigger (fixed at construction by
//! the hypervisor, which knows the device), its line (level inputs only) and
//! its route to a (vCPU, untrusted INTID), plus the reverse map from a
//! (vCPU, INTID) to the input routed there, so every operation is O(1).
//! It is plain data and never touches an rVIC: it says what the change means
//! for one ([`LineEffect`]) and the [`Vm`](crate::Vm) applies it.
//!
//! Decisions the ABI leaves open: an edge input has no line, each
//! `asserted == true` is one edge; a level input sets pending only when its
//! line rises and clears it when the line falls. Two inputs may not route to
//! the same (vCPU, INTID): MAP refuses it with ERROR_PARAMETER(2), so
//! RESAMPLE always knows which line it samples.

use alloc::{boxed::Box, vec};
use rvic::{Error, IntidSpace};

/// How an input signals: edge (each assertion is one interrupt: edge
/// lines, MSIs) or level (the interrupt stands while the line is asserted:
/// device lines, INTx).
pub use vocab::Trigger;

/// Where an input is delivered: an untrusted INTID on one vCPU's rVIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    /// The target vCPU number.
    pub vcpu: usize,
    /// An untrusted INTID.
    pub intid: u32,
}

/// What a line change asks of the target rVIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEffect {
    /// Nothing changes.
    Nothing,
    /// pending := 1 at the route.
    Raise(Route),
    /// pending := 0 at the route (a level line fell).
    Lower(Route),
    /// The input is unmapped: the assertion is dropped and counted.
    Dropped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Input {
    trigger: Trigger,
    line: bool,
    route: Option<Route>,
}

/// The input table of one VM.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rvid {
    space: IntidSpace,
    inputs: Box<[Input]>,
    /// `routed[vcpu * U + intid - T]` is 1 + the input routed there, or 0.
    routed: Box<[u16]>,
}

impl Rvid {
    /// `U` unmapped inputs for `vcpus` vCPUs; input `n` has trigger
    /// `triggers[n]`, or edge past the end of `triggers` (at most `U` long).
    pub fn new(space: IntidSpace, vcpus: usize, triggers: &[Trigger]) -> Self {
        let count = space.untrusted() as usize;
        assert!(triggers.len() <= count, "more triggers than inputs");
        let input = |n| Input {
            trigger: triggers.get(n).copied().unwrap_or(Trigger::Edge),
            line: false,
            route: None,
        };
        Rvid {
            space,
            inputs: (0..count).map(input).collect(),
            routed: vec![0; vcpus * count].into(),
        }
    }

    /// Input `input`'s route, if mapped.
    pub fn route(&self, input: usize) -> Option<Route> {
        self.inputs[input].route
    }

    /// MAP of a valid input to a valid route (the caller has checked the
    /// input, the vCPU and that the INTID is untrusted). Refuses a route
    /// another input holds. If a level input's line is asserted and the
    /// route changed, returns the new route, which must become pending: the
    /// source is held until a RESAMPLE, which only the new target can make.
    pub fn map(&mut self, input: usize, to: Route) -> Result<Option<Route>, Error> {
        let slot = self.slot(to);
        let owner = self.routed[slot] as usize;
        if owner != 0 && owner != input + 1 {
            return Err(Error::Parameter(2));
        }
        let old = self.unmap(input);
        self.inputs[input].route = Some(to);
        self.routed[slot] = input as u16 + 1;
        let i = self.inputs[input];
        Ok((i.trigger == Trigger::Level && i.line && old != Some(to)).then_some(to))
    }

    /// UNMAP: removes and returns `input`'s route.
    pub fn unmap(&mut self, input: usize) -> Option<Route> {
        let old = self.inputs[input].route.take()?;
        let slot = self.slot(old);
        self.routed[slot] = 0;
        Some(old)
    }

    /// `input`'s line is now `asserted` (see the module doc for the rules).
    pub fn set_line(&mut self, input: usize, asserted: bool) -> LineEffect {
        let i = &mut self.inputs[input];
        let level = i.trigger == Trigger::Level;
        if level {
            if i.line == asserted {
                return LineEffect::Nothing;
            }
            i.line = asserted;
        }
        match (i.route, asserted) {
            (Some(route), true) => LineEffect::Raise(route),
            (Some(route), false) if level => LineEffect::Lower(route),
            (None, true) => LineEffect::Dropped,
            _ => LineEffect::Nothing,
        }
    }

    /// The level input routed to `route` and its line, if there is one.
    pub fn level_source(&self, route: Route) -> Option<(usize, bool)> {
        let input = (self.routed[self.slot(route)] as usize).checked_sub(1)?;
        let i = self.inputs[input];
        (i.trigger == Trigger::Level).then_some((input, i.line))
    }

    fn slot(&self, route: Route) -> usize {
        assert!(self.space.is_untrusted(route.intid), "trusted route");
        let u = self.space.untrusted() as usize;
        route.vcpu * u + (route.intid - self.space.trusted()) as usize
    }
}
