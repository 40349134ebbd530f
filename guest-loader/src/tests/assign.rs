// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Device assignment: which host devices a guest gets, in what order, and
//! which physical line feeds each rVID input.

use crate::assign::{
    AssignError, Assignment, InputLine, Refused, RefusedLine, COMPATIBLE_MAX, NAME_MAX,
};
use std::io::Write;
use std::process::{Command, Stdio};
use std::string::ToString;
use std::vec::Vec;
use vocab::Trigger;

fn dtc(source: &str) -> Vec<u8> {
    let mut child = Command::new("dtc")
        .args(["-q", "-I", "dts", "-O", "dtb", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run dtc ({e}): install it with `apt-get install device-tree-compiler`")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "dtc failed");
    out.stdout
}

/// A host with the hypervisor's console (the first UART in the tree), a
/// second UART for the guest, two virtio-mmio transports (one edge, one
/// level), an RTC, and a device of a kind nobody asked for. The guest's
/// UART comes last in the tree on purpose.
const HOST: &str = r#"/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <1>;
	interrupt-parent = <&gic>;
	chosen { stdout-path = "/uart@9040000"; };
	uart@9040000 { compatible = "arm,pl011", "arm,primecell"; reg = <0x9040000 0x1000>; interrupts = <0 8 4>; };
	memory@40000000 { device_type = "memory"; reg = <0x40000000 0x10000000>; };
	cpus {
		#address-cells = <1>;
		#size-cells = <0>;
		cpu@0 { device_type = "cpu"; reg = <0>; enable-method = "psci"; };
	};
	timer { compatible = "arm,armv8-timer"; interrupts = <1 13 4>, <1 14 4>, <1 11 4>, <1 10 4>; };
	psci { compatible = "arm,psci-1.0"; method = "smc"; };
	gic: interrupt-controller@8000000 {
		compatible = "arm,cortex-a15-gic";
		interrupt-controller;
		#interrupt-cells = <3>;
		reg = <0x8000000 0x10000>, <0x8010000 0x10000>;
	};
	virtio@a000000 { compatible = "virtio,mmio"; reg = <0xa000000 0x200>; interrupts = <0 16 1>; };
	rtc@9010000 { compatible = "arm,pl031", "arm,primecell"; reg = <0x9010000 0x1000>; interrupts = <0 2 4>; };
	gpio@9030000 { compatible = "arm,pl061"; reg = <0x9030000 0x1000>; interrupts = <0 7 4>; };
	virtio@a000200 { compatible = "virtio,mmio"; reg = <0xa000200 0x200>; interrupts = <0 17 4>, <1 9 4>; };
	virtio@a000400 { compatible = "virtio,mmio"; reg = <0xa000400 0x200>; interrupts = <0 17 4>, <2 5 4>; };
	uart@9000000 { compatible = "arm,pl011", "arm,primecell"; reg = <0x9000000 0x1000>; interrupts = <0 1 4>; };
};
"#;

const KINDS: [&str; 2] = ["arm,pl031", "virtio,mmio"];

#[test]
fn the_guests_console_comes_first_then_the_assigned_kinds_in_tree_order() {
    let blob = dtc(HOST);
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 64).unwrap();
    assert!(a.has_console);
    let names: Vec<&str> = a.guest_devices().iter().map(|d| d.name).collect();
    assert_eq!(
        names,
        [
            "uart@9000000",
            "virtio@a000000",
            "rtc@9010000",
            "virtio@a000200",
            "virtio@a000400"
        ],
        "the PL061 was not asked for and the hypervisor's UART is never given"
    );
    let devices = a.guest_devices();
    let regs: Vec<(u64, u64)> = devices
        .iter()
        .flat_map(|d| d.regs.iter().copied())
        .collect();
    assert_eq!(
        regs,
        [
            (0x900_0000, 0x1000),
            (0xa00_0000, 0x200),
            (0x901_0000, 0x1000),
            (0xa00_0200, 0x200),
            (0xa00_0400, 0x200)
        ]
    );
    // Stage 2 maps each page once: the three transports share one.
    assert_eq!(a.pages(), [0x900_0000, 0x901_0000, 0xa00_0000]);
}

#[test]
fn each_spi_takes_the_next_input_and_keeps_its_trigger() {
    let blob = dtc(HOST);
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 64).unwrap();
    let line = |intid, trigger| InputLine { intid, trigger };
    // SPI n is INTID 32 + n; the PPI on the second transport is not a
    // device's to give and takes no input.
    assert_eq!(
        a.inputs,
        [
            line(33, Trigger::Level),
            line(48, Trigger::Edge),
            line(34, Trigger::Level),
            line(49, Trigger::Level)
        ]
    );
    let devices = a.guest_devices();
    let irqs: Vec<&[(u32, bool)]> = devices.iter().map(|d| d.irqs).collect();
    assert_eq!(
        irqs,
        [
            &[(0, false)][..],
            &[(1, true)],
            &[(2, false)],
            &[(3, false)],
            &[]
        ]
    );
    // The PPI, the SPI the third transport shares with the second, and its
    // extended SPI (GIC_ESPI, INTID 4096 + 5) are refused, each named.
    let refused = |device, intid, why| RefusedLine { device, intid, why };
    assert_eq!(
        a.refused,
        [
            refused("virtio@a000200", 25, Refused::NotAnSpi),
            refused("virtio@a000400", 49, Refused::Shared),
            refused("virtio@a000400", 4101, Refused::NotAnSpi)
        ]
    );
}

#[test]
fn inputs_stop_at_the_limit_and_the_devices_stay() {
    let blob = dtc(HOST);
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 2).unwrap();
    assert_eq!(a.inputs.len(), 2);
    assert_eq!(a.len(), 5);
    let devices = a.guest_devices();
    assert!(devices[2].irqs.is_empty() && devices[3].irqs.is_empty());
    let no_input: Vec<u32> = a
        .refused
        .iter()
        .filter(|r| r.why == Refused::NoInputLeft)
        .map(|r| r.intid)
        .collect();
    // 49 twice: with no input left, neither transport got it to share.
    assert_eq!(
        no_input,
        [34, 49, 49],
        "each line left without an input is named"
    );
}

#[test]
fn the_hypervisors_console_is_never_given() {
    // With only the hypervisor's UART, the guest has no console.
    let blob = dtc(&HOST.replace(
        "uart@9000000 { compatible = \"arm,pl011\"",
        "uart@9000000 { compatible = \"acme,other\"",
    ));
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 64).unwrap();
    assert!(!a.has_console);
    assert_eq!(a.len(), 4);
    assert_eq!(a.inputs[0].intid, 48);
    assert!(a.pages().iter().all(|&p| p != 0x904_0000));
    assert!(Assignment::choose(&p, &blob, &[], 64).unwrap().is_empty());
    // Nor is a device in its page.
    let blob = dtc(&HOST.replace(
        "\tuart@9000000 {",
        "\trtc@9040800 { compatible = \"arm,pl031\"; reg = <0x9040800 0x100>; interrupts = <0 9 4>; };\n\tuart@9000000 {",
    ));
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 64).unwrap();
    assert!(a.guest_devices().iter().all(|d| d.name != "rtc@9040800"));
    assert_eq!(a.shared_pages.len(), 1);
    assert_eq!(a.shared_pages[0].device, "rtc@9040800");
    assert_eq!(a.shared_pages[0].neighbour, "uart@9040000");
}

#[test]
fn without_a_hypervisor_console_the_first_uart_is_the_guests() {
    let blob = dtc(&HOST.replace("stdout-path = \"/uart@9040000\";", ""));
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 64).unwrap();
    assert!(a.has_console);
    assert_eq!(a.guest_devices()[0].name, "uart@9040000");
    assert_eq!(
        a.len(),
        5,
        "one UART is the console, the other of no kind asked for"
    );
}

/// `HOST` with the RTC's node name and `compatible` replaced.
fn host_with_rtc(name: &str, compatible: &str) -> Vec<u8> {
    dtc(&HOST.replace(
        r#"rtc@9010000 { compatible = "arm,pl031", "arm,primecell";"#,
        &std::format!(r#"{name} {{ compatible = "arm,pl031", "{compatible}";"#),
    ))
}

#[test]
fn names_up_to_name_max_bytes() {
    // "rtc@9010000" padded with unit-address digits to the length wanted.
    let name = |len: usize| std::format!("rtc@{}", "9".repeat(len - 4));
    let blob = host_with_rtc(&name(NAME_MAX), "arm,primecell");
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 64).unwrap();
    assert!(a.guest_devices().iter().any(|d| d.name == name(NAME_MAX)));

    let long = name(NAME_MAX + 1);
    let blob = host_with_rtc(&long, "arm,primecell");
    let p = platform::discover_at(&blob, None).unwrap();
    let e = Assignment::choose(&p, &blob, &KINDS, 64).unwrap_err();
    assert_eq!(
        e,
        AssignError::NameTooLong {
            name: &long,
            len: NAME_MAX + 1
        }
    );
    assert_eq!(
        e.to_string(),
        "host device tree: the node name of assigned device rtc@999999999999... is 65 bytes, more than the 64 a guest's tree takes: shorten it"
    );
}

#[test]
fn compatibles_up_to_compatible_max_bytes() {
    // "arm,pl031\0" is 10 bytes, the second string's NUL 1 more.
    let second = |total: usize| "x".repeat(total - 11);
    let blob = host_with_rtc("rtc@9010000", &second(COMPATIBLE_MAX));
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 64).unwrap();
    let rtc = a
        .guest_devices()
        .into_iter()
        .find(|d| d.name == "rtc@9010000");
    assert_eq!(rtc.unwrap().compatible.len(), COMPATIBLE_MAX);

    let blob = host_with_rtc("rtc@9010000", &second(COMPATIBLE_MAX + 1));
    let p = platform::discover_at(&blob, None).unwrap();
    let e = Assignment::choose(&p, &blob, &KINDS, 64).unwrap_err();
    assert_eq!(
        e,
        AssignError::CompatibleTooLong {
            device: "rtc@9010000",
            len: COMPATIBLE_MAX + 1
        }
    );
    assert_eq!(
        e.to_string(),
        "host device tree: rtc@9010000: compatible is 257 bytes, more than the 256 a guest's tree takes: shorten it"
    );
}

#[test]
fn a_device_sharing_a_page_with_one_not_given_is_refused_by_name() {
    use crate::assign::SharedPage;
    // A second RTC in the PL061's page, a transport in the GIC's.
    let extra = r#"	rtc@9030400 { compatible = "arm,pl031"; reg = <0x9030400 0x100>; interrupts = <0 9 4>; };
	virtio@8010800 { compatible = "virtio,mmio"; reg = <0x8010800 0x200>; interrupts = <0 20 1>; };
	uart@9000000 {"#;
    let blob = dtc(&HOST.replace("\tuart@9000000 {", extra));
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 64).unwrap();
    assert_eq!(
        a.shared_pages,
        [
            SharedPage {
                device: "rtc@9030400",
                neighbour: "gpio@9030000"
            },
            SharedPage {
                device: "virtio@8010800",
                neighbour: "the GIC"
            }
        ]
    );
    let names: Vec<&str> = a.guest_devices().iter().map(|d| d.name).collect();
    assert!(!names.contains(&"rtc@9030400") && !names.contains(&"virtio@8010800"));
    assert!(a.inputs.iter().all(|l| l.intid != 41 && l.intid != 52));
    // Transports that share pages only with each other are all given.
    assert_eq!(
        names.iter().filter(|n| n.starts_with("virtio@a0")).count(),
        3
    );
}

/// `choose_named` with `selectors` resolved in `blob`, as the hypervisor
/// resolves a bundle's device list.
fn named<'a>(
    blob: &'a [u8],
    p: &platform::Platform<'a>,
    selectors: &[&'a str],
    max: usize,
) -> Result<Assignment<'a>, AssignError<'a>> {
    use crate::assign::Named;
    let named: Vec<Named> = selectors
        .iter()
        .map(|&selector| Named {
            selector,
            node: platform::find_node(blob, selector),
        })
        .collect();
    Assignment::choose_named(p, blob, &named, max)
}

#[test]
fn a_device_list_gives_exactly_the_devices_it_names() {
    let source = HOST
        .replace(
            "\tchosen {",
            "\taliases { rtc = \"/rtc@9010000\"; gpio = \"/gpio@9030000\"; };\n\tchosen {",
        )
        .replace(
            "\tuart@9000000 {",
            "\tsoc { compatible = \"simple-bus\"; #address-cells = <1>; #size-cells = <1>; ranges;\n\t\tspi@9050000 { compatible = \"acme,spi\"; reg = <0x9050000 0x1000>; interrupts = <0 10 4>; };\n\t\toff@9060000 { compatible = \"acme,off\"; reg = <0x9060000 0x1000>; status = \"disabled\"; };\n\t};\n\tuart@9000000 {",
        );
    let blob = dtc(&source);
    let p = platform::discover_at(&blob, None).unwrap();
    // By alias, by path (nested too), in the list's order after the console.
    let a = named(&blob, &p, &["gpio", "/soc/spi@9050000", "rtc", "gpio"], 64).unwrap();
    let names: Vec<&str> = a.guest_devices().iter().map(|d| d.name).collect();
    assert_eq!(
        names,
        ["uart@9000000", "gpio@9030000", "spi@9050000", "rtc@9010000"]
    );
    assert!(a.has_console);
    let intids: Vec<u32> = a.inputs.iter().map(|l| l.intid).collect();
    assert_eq!(intids, [33, 39, 42, 34]);
    // An empty list: the console alone.
    let a = named(&blob, &p, &[], 64).unwrap();
    assert_eq!(a.len(), 1);

    let refusal = |selectors: &[&'static str], max| named(&blob, &p, selectors, max).unwrap_err();
    use crate::assign::NamedRefusal::*;
    let cases: [(&[&str], usize, crate::assign::NamedRefusal); 7] = [
        (&["/nope@1"], 64, NoSuchNode),
        (&["nosuchalias"], 64, NoSuchNode),
        (&["/soc/off@9060000"], 64, Disabled),
        (&["/cpus"], 64, NoRegisters),
        (&["/interrupt-controller@8000000"], 64, NotOnGic),
        (&["/uart@9040000"], 64, HypervisorConsole),
        (
            &["rtc", "gpio"],
            2,
            Interrupt {
                intid: 39,
                why: Refused::NoInputLeft,
            },
        ),
    ];
    for (selectors, max, why) in cases {
        let e = refusal(selectors, max);
        let AssignError::Named { why: got, .. } = e else {
            panic!("{selectors:?}: {e:?}");
        };
        assert_eq!(got, why, "{selectors:?}");
        let line = e.to_string();
        assert!(
            line.starts_with("guest bundle: device ") && !line.contains('\n'),
            "{line}"
        );
    }
    // A device sharing a page with one not given is refused by name.
    let blob = dtc(&source.replace(
        "\tuart@9000000 {",
        "\trtc@9030400 { compatible = \"arm,pl031\"; reg = <0x9030400 0x100>; interrupts = <0 9 4>; };\n\tuart@9000000 {",
    ));
    let p = platform::discover_at(&blob, None).unwrap();
    let e = named(&blob, &p, &["/rtc@9030400"], 64).unwrap_err();
    assert_eq!(
        e.to_string(),
        "guest bundle: device /rtc@9030400: a page of its registers holds gpio@9030000's, which the guest is not given: give both or neither"
    );
    // Given together, they share the page.
    let a = named(&blob, &p, &["/rtc@9030400", "gpio"], 64).unwrap();
    assert_eq!(a.len(), 3);
}

/// The power-management watchdog the hypervisor powers the board off
/// with is never given: named, it is refused in one line, whether it is
/// a device (an interrupt on the GIC) or not; by kind it is left out; and
/// a device in one of its pages is refused too.
#[test]
fn the_power_controller_is_never_given() {
    let wdt = |irq: &str| {
        HOST.replace(
            "\tuart@9000000 {",
            &std::format!("\twatchdog@9100000 {{ compatible = \"brcm,bcm2835-pm\"; reg = <0x9100000 0x114>;{irq} }};\n\tuart@9000000 {{"),
        )
    };
    let blob = dtc(&wdt(" interrupts = <0 20 4>;"));
    let p = platform::discover_at(&blob, None).unwrap();
    assert!(p.pm_watchdog.is_some());
    let e = named(&blob, &p, &["/watchdog@9100000"], 64).unwrap_err();
    assert_eq!(
        e.to_string(),
        "guest bundle: device /watchdog@9100000: it is the board's power-management watchdog, with which the hypervisor powers off and resets, and is never given"
    );
    let a = Assignment::choose(&p, &blob, &["brcm,bcm2835-pm"], 64).unwrap();
    assert!(a
        .guest_devices()
        .iter()
        .all(|d| d.name != "watchdog@9100000"));
    assert!(a.pages().iter().all(|&pg| pg != 0x910_0000));

    // Without an interrupt it is no device at all.
    let source = wdt("").replace(
        "\tuart@9000000 {",
        "\trtc@9100800 { compatible = \"acme,rtc\"; reg = <0x9100800 0x100>; interrupts = <0 21 4>; };\n\tuart@9000000 {",
    );
    let blob = dtc(&source);
    let p = platform::discover_at(&blob, None).unwrap();
    let e = named(&blob, &p, &["/watchdog@9100000"], 64).unwrap_err();
    assert!(
        matches!(
            e,
            AssignError::Named {
                why: crate::assign::NamedRefusal::NotOnGic,
                ..
            }
        ),
        "{e:?}"
    );
    let e = named(&blob, &p, &["/rtc@9100800"], 64).unwrap_err();
    assert_eq!(
        e.to_string(),
        "guest bundle: device /rtc@9100800: a page of its registers holds watchdog@9100000's, which the guest is not given: give both or neither"
    );
}

/// A device whose clock rate the tree does not give: left out of the
/// default set with the reason, refused in one line when a list names it.
#[test]
fn a_device_whose_clock_rate_is_unknown_is_not_given() {
    let blob = dtc(&HOST.replace(
        "rtc@9010000 { compatible = \"arm,pl031\", \"arm,primecell\";",
        "cm: cm { compatible = \"vendor,cm\"; #clock-cells = <1>; };\n\trtc@9010000 { compatible = \"arm,pl031\", \"arm,primecell\"; clocks = <&cm 2>; clock-names = \"rtcclk\";",
    ));
    let p = platform::discover_at(&blob, None).unwrap();
    let a = Assignment::choose(&p, &blob, &KINDS, 64).unwrap();
    assert!(a.guest_devices().iter().all(|d| d.name != "rtc@9010000"));
    assert_eq!(a.no_clock.len(), 1);
    assert_eq!(a.no_clock[0].0, "rtc@9010000");
    let e = named(&blob, &p, &["/rtc@9010000"], 64).unwrap_err();
    assert_eq!(
        e.to_string(),
        "guest bundle: device /rtc@9010000: the rate of its clock 0 (from cm, vendor,cm clock 2) is not in the host device tree, so the guest cannot be given a clock of that rate"
    );
}
