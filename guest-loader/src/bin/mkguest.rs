// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Host tool: writes a guest bundle (the file the boot loader loads as the
//! hypervisor's initrd, see `docs/guest.md`).
//!
//! Usage: `mkguest --kernel FILE [--initrd FILE] [--append ARGS]
//! [--device PATH-or-ALIAS]... -o OUT`. Each `--device` names a host device
//! (a device-tree node path or alias) the guest is given besides its
//! console; `--device none` gives none. Without `--device` the hypervisor
//! gives its default set (on QEMU virt: the RTC and the virtio-mmio
//! transports).
//! The kernel must be an arm64 `Image` (a Linux `arch/arm64/boot/Image` or
//! one of this project's bare-metal guests). Silent on success; errors are
//! one line on stderr: exit status 2 for a bad command line, 1 for
//! anything else (a bundle the hypervisor would refuse, e.g. bootargs
//! longer than [`guest_loader::bundle::BOOTARGS_MAX`], included).
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
    use guest_loader::{Bundle, ImageHeader};
    use std::process::ExitCode;

    const USAGE: &str = "usage: mkguest --kernel FILE [--initrd FILE] [--append ARGS] [--device PATH-or-ALIAS|none]... -o OUT";

    /// The command line, checked.
    struct Args {
        kernel: String,
        initrd: Option<String>,
        append: String,
        /// `None`: the hypervisor's default set.
        devices: Option<Vec<String>>,
        out: String,
    }

    /// What went wrong, and the exit status that says so.
    struct Failure {
        msg: String,
        status: u8,
    }

    fn usage(msg: String) -> Failure {
        Failure {
            msg: format!("{msg} ({USAGE})"),
            status: 2,
        }
    }

    fn failed(msg: String) -> Failure {
        Failure { msg, status: 1 }
    }

    fn parse(argv: &[String]) -> Result<Args, Failure> {
        let (mut kernel, mut initrd, mut append, mut out) = (None, None, None, None);
        let mut devices: Option<Vec<String>> = None;
        let mut it = argv.iter();
        while let Some(flag) = it.next() {
            if flag == "--device" {
                let value = it
                    .next()
                    .ok_or_else(|| usage("--device needs a node path or alias, or none".into()))?;
                let list = devices.get_or_insert_with(Vec::new);
                match value.as_str() {
                    "none" => {}
                    v if v.is_empty() || v.contains(|c: char| c.is_whitespace() || c == '\0') => {
                        return Err(usage(format!(
                            "--device '{v}' is not a device-tree node path or alias"
                        )))
                    }
                    v => list.push(v.to_string()),
                }
                continue;
            }
            let slot = match flag.as_str() {
                "--kernel" => &mut kernel,
                "--initrd" => &mut initrd,
                "--append" => &mut append,
                "-o" | "--output" => &mut out,
                other => return Err(usage(format!("unknown argument '{other}'"))),
            };
            let value = it
                .next()
                .ok_or_else(|| usage(format!("{flag} needs a value")))?;
            if slot.replace(value.clone()).is_some() {
                return Err(usage(format!("{flag} given twice")));
            }
        }
        Ok(Args {
            kernel: kernel.ok_or_else(|| usage("no --kernel".into()))?,
            initrd,
            append: append.unwrap_or_default(),
            devices,
            out: out.ok_or_else(|| usage("no -o OUT".into()))?,
        })
    }

    fn read(what: &str, path: &str) -> Result<Vec<u8>, Failure> {
        std::fs::read(path).map_err(|e| failed(format!("cannot read {what} {path}: {e}")))
    }

    fn run(argv: &[String]) -> Result<(), Failure> {
        let args = parse(argv)?;
        let kernel = read("kernel", &args.kernel)?;
        ImageHeader::parse(&kernel).map_err(|e| failed(format!("{}: {e}", args.kernel)))?;
        let initrd = match &args.initrd {
            Some(path) => Some(read("initrd", path)?),
            None => None,
        };
        let devices: Option<Vec<&str>> = args
            .devices
            .as_ref()
            .map(|d| d.iter().map(String::as_str).collect());
        let bundle =
            Bundle::write_with(&kernel, initrd.as_deref(), &args.append, devices.as_deref());
        // The hypervisor's own checks, so a bundle it would refuse is
        // refused here, with the same line.
        Bundle::parse(&bundle).map_err(|e| failed(e.to_string()))?;
        std::fs::write(&args.out, bundle)
            .map_err(|e| failed(format!("cannot write {}: {e}", args.out)))
    }

    pub fn main() -> ExitCode {
        let argv: Result<Vec<String>, _> = std::env::args_os()
            .skip(1)
            .map(|a| a.into_string())
            .collect();
        let Ok(argv) = argv else {
            eprintln!("mkguest: arguments must be UTF-8 ({USAGE})");
            return ExitCode::from(2);
        };
        if matches!(argv.as_slice(), [h] if h == "-h" || h == "--help") {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        match run(&argv) {
            Ok(()) => ExitCode::SUCCESS,
            Err(f) => {
                eprintln!("mkguest: {}", f.msg);
                ExitCode::from(f.status)
            }
        }
    }
}
