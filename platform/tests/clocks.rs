// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Device clock rates: from fixed, fixed-factor and assigned clocks in the
//! tree, from the firmware table for the Raspberry Pi 4's clock manager,
//! and refused where neither says.

mod common;

use common::{board, dtc};
use platform::clocks::{Source, FIRMWARE_RATES};
use platform::{device_clocks, find_node, ClockError};

fn offset(dtb: &[u8], path: &str) -> usize {
    find_node(dtb, path)
        .unwrap_or_else(|| panic!("no {path}"))
        .offset
}

const TREE: &str = r#"/dts-v1/;
/ {
    osc: osc { compatible = "fixed-clock"; #clock-cells = <0>; clock-frequency = <54000000>; };
    half: half { compatible = "fixed-factor-clock"; #clock-cells = <0>; clocks = <&osc>;
        clock-mult = <1>; clock-div = <2>; };
    cm: cm { compatible = "vendor,clock-manager"; #clock-cells = <1>; };
    a { clocks = <&half>, <&osc>; clock-names = "ref", "bus"; };
    b { clocks = <&cm 7>; assigned-clocks = <&cm 7>; assigned-clock-rates = <10000000>; };
    c { clocks = <&osc>, <&cm 3>; clock-names = "ref", "apb_pclk"; };
    d { clocks = <&osc>, <&cm 3>; };
    e { clocks = <&cm>; };
    f { };
};
"#;

#[test]
fn rates_come_from_fixed_factor_and_assigned_clocks() {
    let dtb = dtc(TREE);
    let a = device_clocks(&dtb, offset(&dtb, "/a"), &[]).unwrap();
    let got: Vec<_> = a.iter().map(|c| (c.name, c.hz, c.source)).collect();
    assert_eq!(
        got,
        [
            (Some("ref"), 27_000_000, Source::Tree),
            (Some("bus"), 54_000_000, Source::Tree)
        ]
    );
    let b = device_clocks(&dtb, offset(&dtb, "/b"), &[]).unwrap();
    assert_eq!((b[0].name, b[0].hz), (None, 10_000_000));
    assert!(device_clocks(&dtb, offset(&dtb, "/f"), &[])
        .unwrap()
        .is_empty());
}

#[test]
fn an_unrated_name_is_not_looked_up_and_an_unknown_rate_is_refused() {
    let dtb = dtc(TREE);
    let c = device_clocks(&dtb, offset(&dtb, "/c"), &["apb_pclk"]).unwrap();
    assert_eq!((c[0].hz, c[1].hz), (54_000_000, 0));
    let e = device_clocks(&dtb, offset(&dtb, "/d"), &["apb_pclk"]).unwrap_err();
    assert_eq!(
        e,
        ClockError::UnknownRate {
            index: 1,
            provider: "cm",
            compatible: "vendor,clock-manager",
            cell: Some(3)
        }
    );
    assert_eq!(
        e.to_string(),
        "the rate of its clock 1 (from cm, vendor,clock-manager clock 3) is not in the host device tree, so the guest cannot be given a clock of that rate"
    );
    // One specifier cell missing: the list does not parse.
    let e = device_clocks(&dtb, offset(&dtb, "/e"), &[]).unwrap_err();
    assert_eq!(e, ClockError::Malformed);
}

/// Debian's Raspberry Pi 4 B blob: the PL011's reference clock and the SD
/// hosts' come from the CPRMAN, which the firmware sets up; the PWM's is
/// the tree's own assigned rate; the I2C's (the VPU clock) is known
/// nowhere.
#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn raspberry_pi_4_clocks() {
    let dtb = board("bcm2711-rpi-4-b.dtb");
    let uart = device_clocks(&dtb, offset(&dtb, "/soc/serial@7e201000"), &["apb_pclk"]).unwrap();
    assert_eq!(uart.len(), 2);
    assert_eq!((uart[0].name, uart[0].hz), (Some("uartclk"), 48_000_000));
    assert_eq!(uart[0].source, Source::Firmware(FIRMWARE_RATES[0].why));
    assert_eq!((uart[1].name, uart[1].hz), (Some("apb_pclk"), 0));
    for mmc in ["/soc/mmc@7e300000", "/emmc2bus/mmc@7e340000"] {
        let c = device_clocks(&dtb, offset(&dtb, mmc), &[]).unwrap();
        assert_eq!(c[0].hz, 100_000_000, "{mmc}");
        assert!(matches!(c[0].source, Source::Firmware(w) if w.starts_with("assumed")));
    }
    let pwm = device_clocks(&dtb, offset(&dtb, "/soc/pwm@7e20c000"), &[]).unwrap();
    assert_eq!((pwm[0].hz, pwm[0].source), (10_000_000, Source::Tree));
    let e = device_clocks(&dtb, offset(&dtb, "/soc/i2c@7e205000"), &[]).unwrap_err();
    assert!(
        matches!(
            e,
            ClockError::UnknownRate {
                provider: "cprman@7e101000",
                cell: Some(20),
                ..
            }
        ),
        "{e:?}"
    );
    // The GPIO block has no clock.
    assert!(device_clocks(&dtb, offset(&dtb, "/soc/gpio@7e200000"), &[])
        .unwrap()
        .is_empty());
}
