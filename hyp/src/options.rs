// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The hypervisor's options, from the host's `/chosen/bootargs` (QEMU
//! `-append`; the guest's command line is in the bundle). Unknown words are
//! left for others; a known option with a bad value is refused with a line
//! saying what it takes.

use rvid::rvic::Abi;

/// Least and most guest RAM, in MiB: the most is the 39-bit (512 GiB)
/// address space stage 2 maps (`arch/stage2.rs`), so `mem_mib << 20`
/// cannot overflow either.
pub const GUEST_MEM_MIN_MIB: u64 = 16;
pub const GUEST_MEM_MAX_MIB: u64 = 512 << 10;

/// How the vCPU's virtual IRQ line is raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// HCR_EL2.VI.
    Vi,
    /// A pending list register on the GIC's virtual CPU interface.
    Lr,
}

/// How a guest's SYSTEM_OFF or SYSTEM_RESET ends the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerOff {
    /// The board's own way: PSCI SYSTEM_OFF/RESET through the firmware,
    /// where there is one, else the BCM2711 power-management watchdog,
    /// where discovery found one.
    Firmware,
    /// Stop every CPU, as on a board with neither, even where there is
    /// one.
    Park,
}

/// What `rvhyp.*` options choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub delivery: Delivery,
    /// Trap the guest's WFI (HCR_EL2.TWI), so an idle vCPU waits in the
    /// hypervisor.
    pub trap_wfi: bool,
    /// Guest RAM, in MiB.
    pub mem_mib: u64,
    pub power_off: PowerOff,
    /// The rVIC/rVID ABI version the guest is offered: 0.3, the 2020
    /// behaviour, unless `rvhyp.abi=0.4` adds ACKNOWLEDGE_UNMASKED.
    pub abi: Abi,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            delivery: Delivery::Vi,
            trap_wfi: true,
            mem_mib: 512,
            power_off: PowerOff::Firmware,
            abi: Abi::V0_3,
        }
    }
}

impl Options {
    /// Reads every `rvhyp.KEY=VALUE` word of `bootargs`.
    pub fn parse(bootargs: &str) -> Result<Options, &'static str> {
        let mut o = Options::default();
        for arg in bootargs.split_ascii_whitespace() {
            let Some((k, v)) = arg.split_once('=') else {
                continue;
            };
            match (k, v) {
                ("rvhyp.delivery", "vi") => o.delivery = Delivery::Vi,
                ("rvhyp.delivery", "lr") => o.delivery = Delivery::Lr,
                ("rvhyp.delivery", _) => return Err("rvhyp.delivery takes vi or lr"),
                ("rvhyp.wfi", "trap") => o.trap_wfi = true,
                ("rvhyp.wfi", "native") => o.trap_wfi = false,
                ("rvhyp.wfi", _) => return Err("rvhyp.wfi takes trap or native"),
                ("rvhyp.power_off", "firmware") => o.power_off = PowerOff::Firmware,
                ("rvhyp.power_off", "park") => o.power_off = PowerOff::Park,
                ("rvhyp.power_off", _) => return Err("rvhyp.power_off takes firmware or park"),
                ("rvhyp.abi", "0.3") => o.abi = Abi::V0_3,
                ("rvhyp.abi", "0.4") => o.abi = Abi::V0_4,
                ("rvhyp.abi", _) => return Err("rvhyp.abi takes 0.3 or 0.4"),
                ("rvhyp.guest_mem", v) => {
                    o.mem_mib = v.parse().map_err(|_| "rvhyp.guest_mem takes MiB")?;
                    if !(GUEST_MEM_MIN_MIB..=GUEST_MEM_MAX_MIB).contains(&o.mem_mib)
                        || o.mem_mib % 2 != 0
                    {
                        return Err(
                            "rvhyp.guest_mem must be an even number of MiB, from 16 to 524288 (512 GiB)",
                        );
                    }
                }
                _ => {}
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_options() {
        assert_eq!(Options::parse(""), Ok(Options::default()));
        assert_eq!(
            Options::parse("console=ttyAMA0 rvhyp rvhyp.x=1 =3"),
            Ok(Options::default())
        );
    }

    #[test]
    fn every_option_and_the_last_word_wins() {
        let o = Options::parse(
            "rvhyp.delivery=lr rvhyp.wfi=native rvhyp.guest_mem=64 rvhyp.power_off=park rvhyp.abi=0.4",
        )
        .unwrap();
        assert_eq!(
            o,
            Options {
                delivery: Delivery::Lr,
                trap_wfi: false,
                mem_mib: 64,
                power_off: PowerOff::Park,
                abi: Abi::V0_4,
            }
        );
        assert_eq!(Options::default().abi, Abi::V0_3);
        let o = Options::parse("rvhyp.abi=0.4 rvhyp.abi=0.3").unwrap();
        assert_eq!(o.abi, Abi::V0_3);
        let o = Options::parse("rvhyp.power_off=park rvhyp.power_off=firmware").unwrap();
        assert_eq!(o.power_off, PowerOff::Firmware);
        let o = Options::parse("rvhyp.delivery=lr rvhyp.delivery=vi").unwrap();
        assert_eq!(o.delivery, Delivery::Vi);
    }

    #[test]
    fn bad_values_say_what_the_option_takes() {
        assert_eq!(
            Options::parse("rvhyp.delivery=gic"),
            Err("rvhyp.delivery takes vi or lr")
        );
        assert_eq!(
            Options::parse("rvhyp.wfi=yes"),
            Err("rvhyp.wfi takes trap or native")
        );
        assert_eq!(
            Options::parse("rvhyp.power_off=now"),
            Err("rvhyp.power_off takes firmware or park")
        );
        for bad in ["4", "0.5", "v0.4", ""] {
            assert_eq!(
                Options::parse(&format!("rvhyp.abi={bad}")),
                Err("rvhyp.abi takes 0.3 or 0.4"),
                "{bad}"
            );
        }
        assert_eq!(
            Options::parse("rvhyp.guest_mem=lots"),
            Err("rvhyp.guest_mem takes MiB")
        );
        for bad in ["8", "14", "17", "0", "99999999999999999999999"] {
            assert!(
                Options::parse(&format!("rvhyp.guest_mem={bad}")).is_err(),
                "{bad}"
            );
        }
        assert_eq!(Options::parse("rvhyp.guest_mem=16").unwrap().mem_mib, 16);
    }

    #[test]
    fn guest_mem_at_most_the_stage_2_space() {
        let max = format!("rvhyp.guest_mem={GUEST_MEM_MAX_MIB}");
        assert_eq!(Options::parse(&max).unwrap().mem_mib << 20, 1 << 39);
        // 2^44 + 16 MiB would wrap to 16 MiB when shifted into bytes.
        for over in [GUEST_MEM_MAX_MIB + 2, (1 << 44) + 16] {
            assert_eq!(
                Options::parse(&format!("rvhyp.guest_mem={over}")),
                Err("rvhyp.guest_mem must be an even number of MiB, from 16 to 524288 (512 GiB)"),
                "{over}"
            );
        }
    }
}
