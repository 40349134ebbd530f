// SPDX-License-Identifier: Apache-2.0 OR MIT
use super::*;

const STATES: [LrState; 4] = [
    LrState::Invalid,
    LrState::Pending,
    LrState::Active,
    LrState::PendingActive,
];

fn lr(vintid: u32, state: LrState, group1: bool, priority: u8, hw: Option<u32>) -> ListReg {
    ListReg {
        vintid,
        state,
        group1,
        priority,
        hw,
    }
}

#[test]
fn v2_exact_words() {
    // Pending, group 1, HW-linked 27 -> 27 at priority 0xa0, assembled by hand:
    // HW 0x8000_0000 | Grp1 0x4000_0000 | pending 0x1000_0000
    // | priority 0xa0 >> 3 = 0x14 << 23 = 0x0a00_0000 | 27 << 10 = 0x6c00 | 27.
    assert_eq!(
        encode_v2(&lr(27, LrState::Pending, true, 0xa0, Some(27))),
        0xda00_6c1b
    );
    // Active, group 0, software, vINTID 1023, priority 0xf8 (0x1f << 23).
    assert_eq!(
        encode_v2(&lr(1023, LrState::Active, false, 0xf8, None)),
        0x2f80_03ff
    );
    assert_eq!(encode_v2(&ListReg::EMPTY), 0x4a00_0000);
}

#[test]
fn v3_exact_doublewords() {
    // State 01 << 62 | HW << 61 | Group << 60 = 0x7 << 60; priority 0xa0 << 48;
    // pINTID 27 << 32; vINTID 27.
    assert_eq!(
        encode_v3(&lr(27, LrState::Pending, true, 0xa0, Some(27))),
        0x70a0_001b_0000_001b
    );
    assert_eq!(
        encode_v3(&lr(0xffff_ffff, LrState::PendingActive, false, 0x08, None)),
        0xc008_0000_ffff_ffff
    );
    assert_eq!(
        encode_v3(&lr(8191, LrState::Active, true, 0, Some(8191))),
        0xb000_1fff_0000_1fff
    );
}

#[test]
fn v2_round_trips_every_state_hw_and_priority() {
    for state in STATES {
        for hw in [None, Some(16), Some(27), Some(1019), Some(1023)] {
            for group1 in [false, true] {
                for priority in (0..=0xffu8).step_by(8) {
                    for vintid in [0, 1, 27, 512, 1023] {
                        let l = lr(vintid, state, group1, priority, hw);
                        assert_eq!(decode_v2(encode_v2(&l)), l);
                    }
                }
            }
        }
    }
}

#[test]
fn v2_keeps_top_five_priority_bits() {
    for priority in 0..=0xffu8 {
        let l = lr(5, LrState::Pending, true, priority, None);
        assert_eq!(decode_v2(encode_v2(&l)).priority, priority & 0xf8);
        assert_eq!(encode_v2(&l) >> 23 & 0x1f, u32::from(priority) >> 3);
    }
}

#[test]
fn v3_round_trips_every_state_hw_and_priority() {
    for state in STATES {
        for hw in [None, Some(16), Some(1019), Some(4096), Some(8191)] {
            for group1 in [false, true] {
                for priority in 0..=0xffu8 {
                    for vintid in [0, 1, 1023, 8192, 0xff_ffff, u32::MAX] {
                        let l = lr(vintid, state, group1, priority, hw);
                        assert_eq!(decode_v3(encode_v3(&l)), l);
                    }
                }
            }
        }
    }
}

#[test]
fn decode_ignores_physical_field_without_hw() {
    // v2: EOI (bit 19) and CPUID (bits 12:10) of a software interrupt.
    let l = decode_v2(0x1000_0000 | 1 << 19 | 3 << 10 | 5);
    assert_eq!(l, lr(5, LrState::Pending, false, 0, None));
    // v3: EOI (bit 41).
    let l = decode_v3(0x4000_0000_0000_0000 | 1 << 41 | 5);
    assert_eq!(l, lr(5, LrState::Pending, false, 0, None));
}

#[test]
#[should_panic(expected = "vINTID 1024")]
fn v2_rejects_vintid_over_10_bits() {
    encode_v2(&lr(1024, LrState::Pending, true, 0, None));
}

#[test]
#[should_panic(expected = "pINTID 1024")]
fn v2_rejects_pintid_over_10_bits() {
    encode_v2(&lr(40, LrState::Pending, true, 0, Some(1024)));
}

#[test]
#[should_panic(expected = "pINTID 8192")]
fn v3_rejects_pintid_over_13_bits() {
    encode_v3(&lr(40, LrState::Pending, true, 0, Some(8192)));
}
