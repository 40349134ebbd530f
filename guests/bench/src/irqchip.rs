// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The interrupt controller as the measurements see it: one trait,
//! [`IrqChip`], with the operations a figure times, so that the same
//! figures run against rVIC (hypercalls, under rvhyp; here) or the
//! architectural GIC (system registers and MMIO, under KVM or on bare
//! QEMU; [`crate::gic`]). Which one a run uses comes from the device tree
//! ([`Backend::find`]).

use core::marker::PhantomData;

use selftest::abi::{
    ABI_0_4, RVIC_ACKNOWLEDGE, RVIC_ACKNOWLEDGE_UNMASKED, RVIC_CLEAR_MASKED, RVIC_ENABLE,
    RVIC_INFO, RVIC_RESAMPLE, RVIC_SIGNAL, RVIC_VERSION, RVID_MAP, SUCCESS,
};
use selftest::dt::LEVEL_HIGH;
use selftest::MAX_CPUS;

/// An acknowledged interrupt: its INTID and what completing it writes
/// back (a GICv2's IAR carries the SGI's source CPU, which its EOIR must
/// be given again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Irq {
    pub intid: u32,
    pub token: u32,
}

impl Irq {
    /// An interrupt whose completion writes back its INTID alone.
    pub fn plain(intid: u32) -> Irq {
        Irq {
            intid,
            token: intid,
        }
    }
}

/// The interrupt controller of the vCPU calling each method.
pub trait IrqChip: Sync {
    /// For the banner.
    fn name(&self) -> &'static str;
    /// Once, on vCPU 0, before any vCPU's [`IrqChip::cpu_init`]: the
    /// shared part (a GIC's distributor). rVIC: nothing.
    fn global_init(&self) -> Result<(), &'static str> {
        Ok(())
    }
    /// Make the calling vCPU's interface deliver interrupts. rVIC: ENABLE;
    /// GIC: the CPU interface's enables (ICC_IGRPEN1_EL1 / GICC_CTLR) and
    /// the priority mask.
    fn cpu_init(&self) -> Result<(), &'static str>;
    /// Let `intid` reach the calling vCPU. rVIC: CLEAR_MASKED; GIC: its
    /// enable bit (GICR_ISENABLER0 / GICD_ISENABLER).
    fn unmask(&self, intid: u32);
    /// Route the level device interrupt `line` to the calling vCPU and
    /// unmask it; returns the INTID its handler will acknowledge. `line`
    /// is the interrupt as the device tree gives it to this backend
    /// ([`Backend::device_line`]). rVIC: an rVID input, MAPped to INTID
    /// T + input (T from INFO), then CLEAR_MASKED; GIC: an SPI's INTID,
    /// made group 1 (GICv3), level, given the priority, targeted at this
    /// vCPU (GICD_IROUTER / GICD_ITARGETSR) and enabled.
    fn route_level(&self, line: u32) -> Result<u32, &'static str>;
    /// Send software interrupt `intid` to vCPU `cpu`. rVIC: SIGNAL; GIC:
    /// ICC_SGI1R_EL1 / GICD_SGIR.
    fn send_ipi(&self, cpu: usize, intid: u32);
    /// Send `intid` to every vCPU of `cpus`, as a guest's IPI to a set
    /// does. rVIC: one SIGNAL each (the ABI has no target list); GIC: one
    /// ICC_SGI1R_EL1 write per affinity cluster, one GICD_SGIR write.
    fn send_ipi_set(&self, cpus: &[usize], intid: u32) {
        for &c in cpus {
            self.send_ipi(c, intid);
        }
    }
    /// Take the interrupt being signalled: `None` if nothing is (spurious).
    /// rVIC: ACKNOWLEDGE (ABI 0.4: ACKNOWLEDGE_UNMASKED); GIC: ICC_IAR1_EL1
    /// / GICC_IAR.
    fn acknowledge(&self) -> Option<Irq>;
    /// Complete `irq` (end of interrupt). rVIC: CLEAR_MASKED (ABI 0.4:
    /// nothing, ACKNOWLEDGE_UNMASKED left it unmasked); GIC: ICC_EOIR1_EL1
    /// / GICC_EOIR.
    fn complete(&self, irq: Irq);
    /// The level source behind `intid`, acknowledged, has been quietened.
    /// rVIC: RESAMPLE (the hypervisor holds the line until then); GIC:
    /// nothing (the distributor samples the line itself).
    fn level_quiet(&self, intid: u32);
    /// An interrupt whose completion changes nothing, for the `eoi`
    /// figure. rVIC: an SGI the guest never signals; GIC: 1023 (spurious).
    fn idle_irq(&self) -> Irq;
    /// The EL1 virtual timer's INTID. rVIC: from the device tree; GIC:
    /// PPI 27.
    fn vtimer(&self) -> u32;
}

/// Which interrupt controller the device tree describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An `arm,rvic` node: rVIC/rVID by hypercalls.
    Rvic,
    /// An `arm,gic-v3` node: its GICD and redistributor regions.
    GicV3(GicV3Regions),
    /// A GICv2 node (`arm,cortex-a15-gic`, `arm,gic-400`): GICD, GICC.
    GicV2 { gicd: Region, gicc: Region },
}

/// A register frame: base and size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    pub base: u64,
    pub size: u64,
}

/// Most redistributor regions read (QEMU virt has one or two).
pub const MAX_REDIST_REGIONS: usize = 4;

/// A GICv3's frames from its `reg`: the distributor, then
/// `#redistributor-regions` (default 1) redistributor regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GicV3Regions {
    pub gicd: Region,
    redists: [Region; MAX_REDIST_REGIONS],
    nredists: usize,
}

impl GicV3Regions {
    /// The distributor and up to [`MAX_REDIST_REGIONS`] redistributor
    /// regions (further ones are left off).
    pub fn new(gicd: Region, redists: &[Region]) -> GicV3Regions {
        let n = redists.len().min(MAX_REDIST_REGIONS);
        let mut r = [Region::default(); MAX_REDIST_REGIONS];
        r[..n].copy_from_slice(&redists[..n]);
        GicV3Regions {
            gicd,
            redists: r,
            nredists: n,
        }
    }

    pub fn redists(&self) -> &[Region] {
        &self.redists[..self.nredists]
    }
}

fn regions<const N: usize>(node: fdt::node::FdtNode) -> Option<([Region; N], usize)> {
    let mut out = [Region::default(); N];
    let mut n = 0;
    for r in node.reg()?.take(N) {
        out[n] = Region {
            base: r.starting_address as u64,
            size: r.size? as u64,
        };
        n += 1;
    }
    Some((out, n))
}

impl Backend {
    /// rVIC if the tree has an `arm,rvic` node, else the GIC it has (an
    /// error if its `reg` is not what its binding says).
    pub fn find(fdt: &fdt::Fdt) -> Result<Backend, &'static str> {
        if fdt.find_compatible(&["arm,rvic"]).is_some() {
            return Ok(Backend::Rvic);
        }
        if let Some(node) = fdt.find_compatible(&["arm,gic-v3"]) {
            let want = node
                .property("#redistributor-regions")
                .and_then(|p| p.as_usize())
                .unwrap_or(1);
            if want == 0 || want > MAX_REDIST_REGIONS {
                return Err("the GICv3 node's #redistributor-regions is 0 or above 4");
            }
            let (r, n) = regions::<{ 1 + MAX_REDIST_REGIONS }>(node)
                .ok_or("the GICv3 node's reg is unreadable")?;
            if n < 1 + want {
                return Err("the GICv3 node's reg has fewer redistributor regions than it says");
            }
            return Ok(Backend::GicV3(GicV3Regions::new(r[0], &r[1..1 + want])));
        }
        if let Some(node) = fdt.find_compatible(&["arm,cortex-a15-gic", "arm,gic-400"]) {
            let (r, n) = regions::<2>(node).ok_or("the GICv2 node's reg is unreadable")?;
            if n < 2 {
                return Err("the GICv2 node's reg lacks the GICD or GICC frame");
            }
            return Ok(Backend::GicV2 {
                gicd: r[0],
                gicc: r[1],
            });
        }
        Err("the device tree has no interrupt controller this guest knows (arm,rvic, a GICv3 or a GICv2)")
    }

    /// A GIC's virtual timer INTID: the third entry of the
    /// `arm,armv8-timer` node's three-cell `interrupts`, a PPI (type 1)
    /// numbered from 16. `None` if the node or entry is missing or no PPI.
    pub fn gic_vtimer(fdt: &fdt::Fdt) -> Option<u32> {
        let timer = fdt.find_compatible(&["arm,armv8-timer"])?;
        let spec = timer.property("interrupts")?.value;
        let (kind, number) = (cell(spec, 6)?, cell(spec, 7)?);
        (kind == 1 && number < 16).then_some(16 + number)
    }
}

/// Big-endian cell `i` of a property.
fn cell(bytes: &[u8], i: usize) -> Option<u32> {
    let b = bytes.get(4 * i..4 * i + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// `node`'s first `reg` address.
fn base(node: &fdt::node::FdtNode) -> Option<u64> {
    Some(node.reg()?.next()?.starting_address as u64)
}

impl Backend {
    /// The level interrupt of the device at `base` (the console), as
    /// [`IrqChip::route_level`] takes it. rVIC: `rvid`, the input and
    /// flags the conformance guest's tree reading found
    /// (`selftest::dt`), if level high. GIC: the node whose first `reg`
    /// is at `base`, its first three-cell `interrupts` entry an SPI
    /// (type 0) that is level high (flags 4), as its INTID (32 + number).
    pub fn device_line(&self, fdt: &fdt::Fdt, base: u64, rvid: Option<(u32, u32)>) -> Option<u32> {
        if *self == Backend::Rvic {
            return rvid
                .filter(|&(_, flags)| flags == LEVEL_HIGH)
                .map(|(i, _)| i);
        }
        let node = fdt.all_nodes().find(|n| self::base(n) == Some(base))?;
        let spec = node.property("interrupts")?.value;
        let (kind, number, flags) = (cell(spec, 0)?, cell(spec, 1)?, cell(spec, 2)?);
        (kind == 0 && number < 988 && flags & 0xf == LEVEL_HIGH).then_some(32 + number)
    }
}

/// How the rVIC backend reaches the hypervisor: `HVC #0` in the guest, a
/// recording fake in the tests.
pub trait Conduit {
    /// A fast call: x0 = `fid`, x1..x3 = `args`; returns x0..x3.
    fn call(fid: u32, args: [u64; 3]) -> [u64; 4];
    /// The calling vCPU's MPIDR affinity fields, as rVIC names targets.
    fn me() -> u64;
}

/// rVIC: every operation one hypercall (docs/rvic-abi.md), but under ABI
/// 0.4 completing an interrupt is none.
pub struct Rvic<H> {
    mpidrs: [u64; MAX_CPUS],
    vtimer: u32,
    /// The hypervisor offers ABI 0.4: take interrupts with
    /// ACKNOWLEDGE_UNMASKED, complete them with no call.
    ack_unmasked: bool,
    _conduit: PhantomData<H>,
}

/// The SGI the rVIC backend never signals, whose CLEAR_MASKED the `eoi`
/// figure times.
pub const RVIC_IDLE_INTID: u32 = 14;

impl<H: Conduit> Rvic<H> {
    /// vCPU `i` has MPIDR `mpidrs[i]`; the virtual timer is `vtimer`;
    /// VERSION says which ABI the hypervisor offers.
    pub fn new(mpidrs: &[u64], vtimer: u32) -> Rvic<H> {
        let mut m = [0; MAX_CPUS];
        m[..mpidrs.len().min(MAX_CPUS)].copy_from_slice(&mpidrs[..mpidrs.len().min(MAX_CPUS)]);
        let version = H::call(RVIC_VERSION, [0; 3]);
        Rvic {
            mpidrs: m,
            vtimer,
            ack_unmasked: version[0] == SUCCESS && version[1] == ABI_0_4,
            _conduit: PhantomData,
        }
    }

    /// Whether interrupts are taken with ACKNOWLEDGE_UNMASKED (ABI 0.4).
    pub fn ack_unmasked(&self) -> bool {
        self.ack_unmasked
    }
}

impl<H: Conduit + Sync> IrqChip for Rvic<H> {
    fn name(&self) -> &'static str {
        "rVIC"
    }

    fn cpu_init(&self) -> Result<(), &'static str> {
        match H::call(RVIC_ENABLE, [0; 3])[0] {
            SUCCESS => Ok(()),
            _ => Err("rVIC ENABLE failed"),
        }
    }

    fn unmask(&self, intid: u32) {
        H::call(RVIC_CLEAR_MASKED, [H::me(), intid.into(), 0]);
    }

    fn route_level(&self, input: u32) -> Result<u32, &'static str> {
        let info = H::call(RVIC_INFO, [0; 3]);
        if info[0] != SUCCESS {
            return Err("rVIC INFO(0) failed");
        }
        let intid = info[1] as u32 + input;
        if H::call(RVID_MAP, [input.into(), H::me(), intid.into()])[0] != SUCCESS {
            return Err("rVID MAP of the device's input failed");
        }
        self.unmask(intid);
        Ok(intid)
    }

    fn send_ipi(&self, cpu: usize, intid: u32) {
        H::call(RVIC_SIGNAL, [self.mpidrs[cpu], intid.into(), 0]);
    }

    fn acknowledge(&self) -> Option<Irq> {
        let fid = if self.ack_unmasked {
            RVIC_ACKNOWLEDGE_UNMASKED
        } else {
            RVIC_ACKNOWLEDGE
        };
        let r = H::call(fid, [0; 3]);
        (r[0] == SUCCESS).then_some(Irq::plain(r[1] as u32))
    }

    fn complete(&self, irq: Irq) {
        if !self.ack_unmasked {
            H::call(RVIC_CLEAR_MASKED, [H::me(), irq.intid.into(), 0]);
        }
    }

    fn level_quiet(&self, intid: u32) {
        H::call(RVIC_RESAMPLE, [intid.into(), 0, 0]);
    }

    fn idle_irq(&self) -> Irq {
        Irq::plain(RVIC_IDLE_INTID)
    }

    fn vtimer(&self) -> u32 {
        self.vtimer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use selftest::abi::NO_INTERRUPTS;
    use std::cell::RefCell;
    use std::vec::Vec;

    std::thread_local! {
        static CALLS: RefCell<Vec<(u32, [u64; 3])>> = const { RefCell::new(Vec::new()) };
        /// What VERSION answers: 0.3 unless a test says otherwise.
        static VERSION: RefCell<u64> = const { RefCell::new(3) };
    }

    /// Records each call; ACKNOWLEDGE answers INTID 7 once, then nothing;
    /// INFO answers T = 32.
    struct Fake;
    impl Conduit for Fake {
        fn call(fid: u32, args: [u64; 3]) -> [u64; 4] {
            CALLS.with(|c| c.borrow_mut().push((fid, args)));
            let acks = CALLS.with(|c| {
                c.borrow()
                    .iter()
                    .filter(|c| c.0 == RVIC_ACKNOWLEDGE)
                    .count()
            });
            let unmasked = CALLS.with(|c| {
                c.borrow()
                    .iter()
                    .filter(|c| c.0 == RVIC_ACKNOWLEDGE_UNMASKED)
                    .count()
            });
            match (fid, acks, unmasked) {
                (RVIC_VERSION, _, _) => [SUCCESS, VERSION.with(|v| *v.borrow()), 0, 0],
                (RVIC_ACKNOWLEDGE, 1, _) | (RVIC_ACKNOWLEDGE_UNMASKED, _, 1) => [SUCCESS, 7, 0, 0],
                (RVIC_ACKNOWLEDGE | RVIC_ACKNOWLEDGE_UNMASKED, _, _) => [NO_INTERRUPTS, 0, 0, 0],
                (RVIC_INFO, _, _) => [SUCCESS, 32, 0, 0],
                _ => [SUCCESS, 0, 0, 0],
            }
        }
        fn me() -> u64 {
            0
        }
    }

    #[test]
    fn each_operation_is_the_one_rvic_call() {
        let chip = Rvic::<Fake>::new(&[0x0, 0x1, 0x100], 27);
        assert!(!chip.ack_unmasked());
        CALLS.with(|c| c.borrow_mut().clear());
        chip.cpu_init().unwrap();
        chip.send_ipi(2, 1);
        assert_eq!(chip.acknowledge(), Some(Irq::plain(7)));
        assert_eq!(chip.acknowledge(), None);
        chip.complete(Irq::plain(7));
        chip.level_quiet(27);
        chip.unmask(3);
        chip.send_ipi_set(&[1, 2], 4);
        assert_eq!(chip.route_level(1), Ok(33));
        let calls = CALLS.with(|c| c.borrow().clone());
        assert_eq!(
            calls,
            [
                (RVIC_ENABLE, [0, 0, 0]),
                (RVIC_SIGNAL, [0x100, 1, 0]),
                (RVIC_ACKNOWLEDGE, [0, 0, 0]),
                (RVIC_ACKNOWLEDGE, [0, 0, 0]),
                (RVIC_CLEAR_MASKED, [0, 7, 0]),
                (RVIC_RESAMPLE, [27, 0, 0]),
                (RVIC_CLEAR_MASKED, [0, 3, 0]),
                (RVIC_SIGNAL, [0x1, 4, 0]),
                (RVIC_SIGNAL, [0x100, 4, 0]),
                (RVIC_INFO, [0, 0, 0]),
                (RVID_MAP, [1, 0, 33]),
                (RVIC_CLEAR_MASKED, [0, 33, 0]),
            ]
        );
        assert_eq!(chip.vtimer(), 27);
        assert_eq!(chip.idle_irq(), Irq::plain(RVIC_IDLE_INTID));
    }

    /// Under ABI 0.4 an interrupt is taken with ACKNOWLEDGE_UNMASKED and
    /// completed with no call; unmasking is still CLEAR_MASKED.
    #[test]
    fn abi_0_4_completes_with_no_call() {
        VERSION.with(|v| *v.borrow_mut() = ABI_0_4);
        let chip = Rvic::<Fake>::new(&[0x0, 0x1], 27);
        assert!(chip.ack_unmasked());
        assert_eq!(chip.acknowledge(), Some(Irq::plain(7)));
        assert_eq!(chip.acknowledge(), None);
        chip.complete(Irq::plain(7));
        chip.unmask(3);
        let calls = CALLS.with(|c| c.borrow().clone());
        assert_eq!(
            calls,
            [
                (RVIC_VERSION, [0, 0, 0]),
                (RVIC_ACKNOWLEDGE_UNMASKED, [0, 0, 0]),
                (RVIC_ACKNOWLEDGE_UNMASKED, [0, 0, 0]),
                (RVIC_CLEAR_MASKED, [0, 3, 0]),
            ]
        );
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// QEMU's own trees (`-M virt,gic-version=N,dumpdtb=F`, 4 CPUs).
    #[test]
    fn qemu_virt_trees_give_their_gic() {
        let v3 = fixture("qemu-virt-gicv3.dtb");
        let fdt = fdt::Fdt::new(&v3).unwrap();
        let Ok(Backend::GicV3(r)) = Backend::find(&fdt) else {
            panic!("not a GICv3: {:?}", Backend::find(&fdt));
        };
        assert_eq!(
            r.gicd,
            Region {
                base: 0x0800_0000,
                size: 0x1_0000
            }
        );
        assert_eq!(
            r.redists(),
            &[Region {
                base: 0x080a_0000,
                size: 0xf6_0000
            }]
        );
        assert_eq!(Backend::gic_vtimer(&fdt), Some(27));
        // The PL011's `interrupts = <0 1 4>`: SPI 1, level high.
        let gic = Backend::find(&fdt).unwrap();
        assert_eq!(gic.device_line(&fdt, 0x0900_0000, None), Some(33));
        assert_eq!(gic.device_line(&fdt, 0x0900_1000, None), None, "no device");
        let v2 = fixture("qemu-virt-gicv2.dtb");
        let fdt = fdt::Fdt::new(&v2).unwrap();
        assert_eq!(
            Backend::find(&fdt),
            Ok(Backend::GicV2 {
                gicd: Region {
                    base: 0x0800_0000,
                    size: 0x1_0000
                },
                gicc: Region {
                    base: 0x0801_0000,
                    size: 0x1_0000
                },
            })
        );
        assert_eq!(Backend::gic_vtimer(&fdt), Some(27));
        let gic = Backend::find(&fdt).unwrap();
        assert_eq!(gic.device_line(&fdt, 0x0900_0000, None), Some(33));
    }

    #[test]
    fn the_rvic_device_line_is_its_level_rvid_input() {
        let fdt_blob = fixture("qemu-virt-gicv3.dtb");
        let fdt = fdt::Fdt::new(&fdt_blob).unwrap();
        let rvic = Backend::Rvic;
        assert_eq!(rvic.device_line(&fdt, 0, Some((2, LEVEL_HIGH))), Some(2));
        assert_eq!(rvic.device_line(&fdt, 0, Some((2, 1))), None, "edge");
        assert_eq!(rvic.device_line(&fdt, 0x0900_0000, None), None);
    }
}
