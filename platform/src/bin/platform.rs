// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Host tool: prints what the hypervisor would discover from a DTB file,
//! one `key: value` per line, or the error naming what is unsupported
//! (exit status 1; 2 for a bad command line or an unreadable file).
//!
//! Usage: `platform FILE.dtb [--dtb-addr ADDR] [--mem BASE,SIZE]`. With
//! `--dtb-addr` the blob is taken to sit at ADDR and is left out of the
//! usable ranges, as the hypervisor does with the address it got in x0.
//! A board's blob as its kernel package ships it has no RAM in `/memory`
//! (the boot loader fills it in): the report says so and checks the rest,
//! or `--mem` gives the RAM the boot loader would write.
//!
//! The tool needs `std`; for a bare-metal target (where the library is
//! also built) this file compiles to an empty `no_main` program.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[cfg(not(target_os = "none"))]
fn main() -> std::process::ExitCode {
    host::main()
}

#[cfg(not(target_os = "none"))]
mod host {
    use platform::{
        Conduit, ConsoleKind, EnableMethod, GicInfo, Irq, Kept, Platform, PsciVersion, Ram, Range,
        Sense,
    };
    use std::process::ExitCode;

    const USAGE: &str = "usage: platform FILE.dtb [--dtb-addr ADDR] [--mem BASE,SIZE] (scripts/fetch-dtbs puts sample DTBs in target/dtbs/)";

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let (mut file, mut addr, mut ram) = (None, None, Ram::Optional);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--dtb-addr" => match it.next().and_then(|v| parse_u64(v)) {
                    Some(v) => addr = Some(v),
                    None => return usage("--dtb-addr takes a number (0x hex or decimal)"),
                },
                "--mem" => match it.next().and_then(|v| parse_mem(v)) {
                    Some(r) => ram = Ram::Given(r),
                    None => {
                        return usage("--mem takes BASE,SIZE with SIZE > 0 (0x hex or decimal)")
                    }
                },
                f if file.is_none() && !f.starts_with("--") => file = Some(f.to_string()),
                other => return usage(&format!("unexpected argument '{other}'")),
            }
        }
        let Some(file) = file else {
            return usage("expected one DTB file");
        };
        let dtb = match std::fs::read(&file) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("platform: cannot read {file}: {e}; give the path of a .dtb file (run scripts/fetch-dtbs for samples in target/dtbs/)");
                return ExitCode::from(2);
            }
        };
        match platform::discover_with(&dtb, addr, ram) {
            Ok(p) => {
                print!("{}", report(&p, dtb.len()));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("platform: {file}: {e}");
                ExitCode::from(1)
            }
        }
    }

    /// `BASE,SIZE`, each 0x hex or decimal, SIZE non-zero.
    fn parse_mem(s: &str) -> Option<Range> {
        let (base, size) = s.split_once(',')?;
        let (base, size) = (parse_u64(base)?, parse_u64(size)?);
        (size != 0 && base.checked_add(size).is_some()).then(|| Range::new(base, size))
    }

    fn usage(why: &str) -> ExitCode {
        eprintln!("platform: {why}\n{USAGE}");
        ExitCode::from(2)
    }

    fn parse_u64(s: &str) -> Option<u64> {
        match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        }
    }

    fn range(r: &Range) -> String {
        format!("base {:#x} size {:#x}", r.base, r.size)
    }

    fn irq(i: &Irq) -> String {
        let trigger = match i.sense {
            Sense::EdgeRising => "edge-rising",
            Sense::EdgeFalling => "edge-falling",
            Sense::LevelHigh => "level-high",
            Sense::LevelLow => "level-low",
            Sense::Unspecified => "unspecified",
        };
        format!("{} {trigger}", i.intid)
    }

    fn opt<T>(v: &Option<T>, f: impl Fn(&T) -> String) -> String {
        v.as_ref().map_or_else(|| "none".to_string(), f)
    }

    /// The report, one `key: value` per line.
    pub fn report(p: &Platform<'_>, file_len: usize) -> String {
        let mut out = Vec::new();
        let mut line = |k: &str, v: String| out.push(format!("{k}: {v}"));
        line("model", p.model.to_string());
        line("dtb", opt(&p.dtb, range));
        line("dtb.file-size", format!("{file_len:#x}"));
        match &p.gic {
            GicInfo::V2 {
                gicd,
                gicc,
                gich,
                gicv,
            } => {
                line("gic", format!("v2 {}", p.gic_compatible));
                line("gic.gicd", range(gicd));
                line("gic.gicc", range(gicc));
                line("gic.gich", opt(gich, range));
                line("gic.gicv", opt(gicv, range));
            }
            GicInfo::V3 {
                gicd,
                redists,
                redistributor_stride,
                gicv,
            } => {
                line("gic", format!("v3 {}", p.gic_compatible));
                line("gic.gicd", range(gicd));
                for (i, r) in redists.iter().enumerate() {
                    line(&format!("gic.gicr{i}"), range(r));
                }
                line(
                    "gic.redistributor-stride",
                    opt(redistributor_stride, |s| format!("{s:#x}")),
                );
                line("gic.gicv", opt(gicv, range));
            }
        }
        line("gic.maintenance-irq", opt(&p.maintenance_irq, irq));
        line("cpus", p.cpus.len().to_string());
        for (i, c) in p.cpus.iter().enumerate() {
            let how = match c.enable {
                EnableMethod::Psci => "psci".to_string(),
                EnableMethod::SpinTable { release_addr } => {
                    format!("spin-table release-addr {release_addr:#x}")
                }
                EnableMethod::Absent => "none".to_string(),
            };
            line(
                &format!("cpu{i}"),
                format!("{} mpidr {:#x} {how}", c.node, c.mpidr),
            );
        }
        line(
            "psci",
            opt(&p.psci, |s| {
                let conduit = match s.conduit {
                    Conduit::Smc => "smc",
                    Conduit::Hvc => "hvc",
                };
                let version = match s.version {
                    PsciVersion::V0_1 => "0.1",
                    PsciVersion::V0_2 => "0.2",
                    PsciVersion::V1_0 => "1.0",
                };
                format!("{conduit} cpu_on {:#x} version {version}", s.cpu_on)
            }),
        );
        line(
            "console",
            opt(&p.console, |c| {
                let kind = match c.kind {
                    ConsoleKind::Pl011 => "pl011",
                    ConsoleKind::Ns16550 => "ns16550",
                    ConsoleKind::Bcm2835Aux => "bcm2835-aux",
                    ConsoleKind::Meson => "meson",
                };
                format!("{kind} {} {}", c.compatible, c.node)
            }),
        );
        if let Some(c) = &p.console {
            line("console.base", format!("{:#x}", c.base));
            line("console.size", format!("{:#x}", c.size));
            line("console.reg-shift", c.reg_shift.to_string());
            line("console.reg-io-width", c.reg_io_width.to_string());
            line("console.irq", opt(&c.irq, irq));
            line("console.options", c.options.to_string());
        }
        // Where there is PSCI the hypervisor powers off through it; the
        // watchdog is what it uses otherwise, and is never a guest's.
        line(
            "power-off",
            match (&p.psci, &p.pm_watchdog) {
                (Some(_), _) => "psci".to_string(),
                (None, Some(w)) => format!(
                    "pm-watchdog {} {} {} (the hypervisor's: never given)",
                    w.compatible,
                    w.node,
                    range(&w.regs)
                ),
                (None, None) => {
                    "none: a guest's SYSTEM_OFF/RESET stops every CPU, the board keeps running"
                        .to_string()
                }
            },
        );
        if p.memory.is_empty() {
            line(
                "memory",
                "none in the blob: the boot loader fills it in (give --mem BASE,SIZE to check a layout)"
                    .to_string(),
            );
        }
        for (key, list) in [
            ("memory", &p.memory[..]),
            ("reserved", &p.reserved[..]),
            ("usable", &p.usable[..]),
        ] {
            for (i, r) in list.iter().enumerate() {
                line(&format!("{key}{i}"), range(r));
            }
        }
        line("timer.secure-phys", irq(&p.timer.secure_phys));
        line("timer.phys", irq(&p.timer.phys));
        line("timer.virt", irq(&p.timer.virt));
        line("timer.hyp-phys", irq(&p.timer.hyp_phys));
        line("timer.hyp-virt", opt(&p.timer.hyp_virt, irq));
        line("devices", p.devices.len().to_string());
        for (i, d) in p.devices.iter().enumerate() {
            let regs: Vec<String> = d
                .regs
                .iter()
                .map(|r| format!("{:#x}+{:#x}", r.base, r.size))
                .collect();
            let irqs: Vec<String> = d.irqs.iter().map(|i| irq(&i)).collect();
            // Stage 2 maps whole pages: a guest given this device would
            // also reach the neighbour's registers, so it is not given.
            let shared = p
                .page_neighbour(i, |_| false)
                .map_or(String::new(), |n| format!(" (shares a page with {n})"));
            let shared = match p.kept(i) {
                Some(Kept::Console) => format!(" (the hypervisor's console: never given){shared}"),
                Some(Kept::PowerController) => {
                    format!(" (the hypervisor's power controller: never given){shared}")
                }
                None => shared,
            };
            line(
                &format!("device{i}"),
                format!(
                    "{} {} reg {} irq {}{shared}",
                    d.name,
                    d.compatible,
                    regs.join(","),
                    irqs.join(",")
                ),
            );
        }
        out.iter().map(|l| format!("{l}\n")).collect()
    }
}
