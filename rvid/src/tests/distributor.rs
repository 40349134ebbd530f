// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The input table on its own: line rules and the reverse map.

use crate::{LineEffect, Route, Rvid, Trigger};
use rvic::{Error, IntidSpace};

fn rvid() -> Rvid {
    let space = IntidSpace::new(32, 32).unwrap();
    Rvid::new(space, 2, &[Trigger::Edge, Trigger::Level])
}

const A: Route = Route { vcpu: 1, intid: 40 };
const B: Route = Route { vcpu: 0, intid: 63 };

#[test]
fn edge_input_fires_on_each_assertion() {
    let mut r = rvid();
    assert_eq!(r.set_line(0, true), LineEffect::Dropped);
    assert_eq!(r.set_line(0, false), LineEffect::Nothing);
    assert_eq!(r.map(0, A), Ok(None));
    assert_eq!(r.set_line(0, true), LineEffect::Raise(A));
    assert_eq!(r.set_line(0, true), LineEffect::Raise(A));
    assert_eq!(r.set_line(0, false), LineEffect::Nothing);
    assert_eq!(
        r.level_source(A),
        None,
        "edge inputs have no line to resample"
    );
}

#[test]
fn level_input_follows_its_line() {
    let mut r = rvid();
    assert_eq!(r.set_line(1, false), LineEffect::Nothing);
    assert_eq!(r.set_line(1, true), LineEffect::Dropped);
    assert_eq!(r.set_line(1, true), LineEffect::Nothing);
    assert_eq!(
        r.map(1, A),
        Ok(Some(A)),
        "asserted line: pending on the new route"
    );
    assert_eq!(r.map(1, A), Ok(None), "same route: nothing new");
    assert_eq!(r.level_source(A), Some((1, true)));
    assert_eq!(r.set_line(1, false), LineEffect::Lower(A));
    assert_eq!(r.level_source(A), Some((1, false)));
    assert_eq!(r.set_line(1, true), LineEffect::Raise(A));
    assert_eq!(r.map(1, B), Ok(Some(B)));
    assert_eq!(
        (r.level_source(A), r.level_source(B)),
        (None, Some((1, true)))
    );
}

#[test]
fn routes_are_exclusive_and_unmap_frees_them() {
    let mut r = rvid();
    assert_eq!(r.map(0, A), Ok(None));
    assert_eq!(r.map(1, A), Err(Error::Parameter(2)));
    assert_eq!(r.route(1), None);
    assert_eq!(r.map(0, B), Ok(None));
    assert_eq!(r.map(1, A), Ok(None), "moving input 0 freed A");
    assert_eq!(r.unmap(1), Some(A));
    assert_eq!(r.unmap(1), None);
    assert_eq!(r.map(0, A), Ok(None));
    assert_eq!(
        r.map(31, B),
        Ok(None),
        "the last input, on the slot input 0 left"
    );
}

#[test]
#[should_panic(expected = "trusted route")]
fn a_trusted_route_is_a_caller_bug() {
    rvid().map(0, Route { vcpu: 0, intid: 31 }).ok();
}
