// SPDX-License-Identifier: Apache-2.0 OR MIT
//! `GuestDesc::check`: each thing it refuses, and what it lets through.

use super::guest_dt::{qemu_desc, DEVICES};
use crate::desc::{DescError, GuestDevice, MAX_VCPUS};
use std::string::ToString;

#[test]
fn the_qemu_guest_passes() {
    assert_eq!(qemu_desc(&DEVICES).check(), Ok(()));
    let mut d = qemu_desc(&DEVICES);
    d.vcpus = MAX_VCPUS;
    d.console = None;
    assert_eq!(d.check(), Ok(()));
}

#[test]
fn vcpu_count() {
    for n in [0, MAX_VCPUS + 1] {
        let mut d = qemu_desc(&DEVICES);
        d.vcpus = n;
        assert_eq!(d.check(), Err(DescError::Vcpus(n)));
    }
    assert_eq!(
        DescError::Vcpus(0).to_string(),
        "guest has 0 vCPUs: need 1 to 256"
    );
}

#[test]
fn console_index() {
    let mut d = qemu_desc(&DEVICES);
    d.console = Some(4);
    let e = d.check().unwrap_err();
    assert_eq!(
        e,
        DescError::NoSuchConsole {
            index: 4,
            devices: 4
        }
    );
    assert_eq!(
        e.to_string(),
        "guest console is device 4 but the guest has 4 devices"
    );
}

#[test]
fn timer_intids_must_be_trusted() {
    let mut d = qemu_desc(&DEVICES);
    d.rvic_t = 30;
    assert_eq!(
        d.check(),
        Err(DescError::TimerNotTrusted { intid: 30, t: 30 })
    );
    d.rvic_t = 31;
    assert_eq!(d.check(), Ok(()));
}

#[test]
fn rvid_inputs_in_range_and_unshared() {
    let mut d = qemu_desc(&DEVICES);
    d.rvic_u = 5;
    let e = d.check().unwrap_err();
    assert_eq!(
        e,
        DescError::InputOutOfRange {
            device: "virtio_mmio@a000600",
            input: 5,
            u: 5
        }
    );
    assert_eq!(
        e.to_string(),
        "virtio_mmio@a000600: rVID input 5 is out of range (U = 5)"
    );
    let shared = [
        DEVICES[0],
        GuestDevice {
            irqs: &[(2, true), (0, false)],
            clocks: &[],
            props: &[],
            ..DEVICES[2]
        },
    ];
    assert_eq!(
        qemu_desc(&shared).check(),
        Err(DescError::InputShared {
            device: "virtio_mmio@a000400",
            input: 0
        })
    );
    // Within one device too.
    let twice = [GuestDevice {
        irqs: &[(7, true), (7, true)],
        clocks: &[],
        props: &[],
        ..DEVICES[2]
    }];
    let mut d = qemu_desc(&twice);
    d.console = None;
    assert!(matches!(
        d.check(),
        Err(DescError::InputShared { input: 7, .. })
    ));
}

#[test]
fn compatible_must_be_a_string_list() {
    for bad in [&b""[..], b"arm,pl011"] {
        let devs = [GuestDevice {
            compatible: bad,
            ..DEVICES[0]
        }];
        assert_eq!(
            qemu_desc(&devs).check(),
            Err(DescError::BadCompatible {
                device: "pl011@9000000"
            })
        );
    }
}

#[test]
fn initrd_must_lie_in_ram() {
    // RAM is 0x40000000..0x60000000.
    for (initrd, ok) in [
        ((0x5fff_f000, 0x1000), true),
        ((0x4000_0000, 0), true),
        ((0x5fff_f000, 0x1001), false),
        ((0x3fff_f000, 0x10), false),
        ((u64::MAX, 2), false),
    ] {
        let mut d = qemu_desc(&DEVICES);
        d.initrd = Some(initrd);
        let want = if ok {
            Ok(())
        } else {
            Err(DescError::InitrdOutsideRam {
                base: initrd.0,
                size: initrd.1,
            })
        };
        assert_eq!(d.check(), want, "{initrd:x?}");
    }
    assert_eq!(
        DescError::InitrdOutsideRam {
            base: 0x10,
            size: 0x20
        }
        .to_string(),
        "guest initrd (0x20 bytes at 0x10) does not lie inside guest RAM"
    );
}
