// SPDX-License-Identifier: Apache-2.0 OR MIT
//! List-register encodings: [`ListReg`] to and from the GICv2 `GICH_LRn`
//! word and the GICv3 `ICH_LR<n>_EL2` doubleword. Pure functions.

use crate::{ListReg, LrState};

const V2_VINTID_MAX: u32 = 0x3ff;
const V2_PINTID_MAX: u32 = 0x3ff;
const V3_PINTID_MAX: u32 = 0x1fff;

fn state_bits(state: LrState) -> u8 {
    match state {
        LrState::Invalid => 0,
        LrState::Pending => 1,
        LrState::Active => 2,
        LrState::PendingActive => 3,
    }
}

fn state_from(bits: u64) -> LrState {
    match bits & 3 {
        0 => LrState::Invalid,
        1 => LrState::Pending,
        2 => LrState::Active,
        _ => LrState::PendingActive,
    }
}

/// `GICH_LRn`: VirtualID[9:0], PhysicalID[19:10], Priority[27:23] (the top
/// five bits of `priority`), State[29:28], Grp1[30], HW[31].
/// Panics if the virtual or physical INTID does not fit in 10 bits.
pub fn encode_v2(lr: &ListReg) -> u32 {
    assert!(
        lr.vintid <= V2_VINTID_MAX,
        "GICv2 vINTID {} too large",
        lr.vintid
    );
    let hw = match lr.hw {
        Some(pintid) => {
            assert!(pintid <= V2_PINTID_MAX, "GICv2 pINTID {pintid} too large");
            1 << 31 | pintid << 10
        }
        None => 0,
    };
    hw | u32::from(lr.group1) << 30
        | u32::from(state_bits(lr.state)) << 28
        | u32::from(lr.priority >> 3) << 23
        | lr.vintid
}

/// Inverse of [`encode_v2`]; without HW, bits 19:10 (EOI, CPUID) are dropped.
pub fn decode_v2(raw: u32) -> ListReg {
    ListReg {
        vintid: raw & V2_VINTID_MAX,
        state: state_from(u64::from(raw >> 28)),
        group1: raw & 1 << 30 != 0,
        priority: ((raw >> 23) & 0x1f) as u8 * 8,
        hw: (raw & 1 << 31 != 0).then_some((raw >> 10) & V2_PINTID_MAX),
    }
}

/// `ICH_LR<n>_EL2`: vINTID[31:0], pINTID[44:32], Priority[55:48],
/// Group[60], HW[61], State[63:62]. Panics if the physical INTID does not
/// fit in 13 bits.
pub fn encode_v3(lr: &ListReg) -> u64 {
    let hw = match lr.hw {
        Some(pintid) => {
            assert!(pintid <= V3_PINTID_MAX, "GICv3 pINTID {pintid} too large");
            1 << 61 | u64::from(pintid) << 32
        }
        None => 0,
    };
    u64::from(state_bits(lr.state)) << 62
        | hw
        | u64::from(lr.group1) << 60
        | u64::from(lr.priority) << 48
        | u64::from(lr.vintid)
}

/// Inverse of [`encode_v3`]; without HW, bits 44:32 (EOI) are dropped.
pub fn decode_v3(raw: u64) -> ListReg {
    ListReg {
        vintid: raw as u32,
        state: state_from(raw >> 62),
        group1: raw & 1 << 60 != 0,
        priority: (raw >> 48) as u8,
        hw: (raw & 1 << 61 != 0).then_some((raw >> 32) as u32 & V3_PINTID_MAX),
    }
}

#[cfg(test)]
#[path = "lr_tests.rs"]
mod tests;
