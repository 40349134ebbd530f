// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The rows of the ABI's tables, one check per call: VERSION and INFO, the
//! disabled and empty answers of SIGNAL and ACKNOWLEDGE, every error of the
//! (target, intid) calls, RESAMPLE, MAP and UNMAP, and function IDs that do
//! not exist. Each compares x0..x3 exactly. Runs first, on vCPU 0, whose
//! instance must still be in its initial (disabled) state.

use selftest::abi::*;

use super::{check, Ctx, SPARE};
use crate::arch;

/// Call `fid(args)` and check x0..x3 = (x0, x1, 0, 0).
fn row(fid: u32, args: [u64; 3], x0: u64, x1: u64) {
    let c = arch::hvc(fid, args);
    check(
        format_args!("{c} answers {}, x1 = {x1:#x}", Status(x0)),
        c.expect(x0, x1),
    );
}

pub fn run(ctx: &Ctx) {
    let (me, t, u, n, bad) = (ctx.me(), ctx.t, ctx.u, ctx.intids(), ctx.bad_target());
    let ep = |arg| err(ERROR_PARAMETER, arg);

    // Every instance starts disabled: nothing is signalled or acknowledged.
    row(RVIC_ACKNOWLEDGE, [0; 3], DISABLED, 0);
    row(RVIC_SIGNAL, [me, 1, 0], DISABLED, 0);
    row(RVIC_IS_PENDING, [me, 1, 0], SUCCESS, 0);
    row(RVIC_ENABLE, [0; 3], SUCCESS, 0);
    row(RVIC_ACKNOWLEDGE, [0; 3], NO_INTERRUPTS, 0);

    row(RVIC_VERSION, [0; 3], SUCCESS, ctx.version);
    row(RVID_VERSION, [0; 3], SUCCESS, ctx.version);
    row(RVIC_INFO, [0, 0, 0], SUCCESS, EXPECTED_T);
    row(RVIC_INFO, [1, 0, 0], SUCCESS, EXPECTED_U);
    row(RVIC_INFO, [2, 0, 0], ep(0), 0);
    row(RVIC_INFO, [u64::MAX, 0, 0], ep(0), 0);

    for fid in [
        RVIC_SET_MASKED,
        RVIC_CLEAR_MASKED,
        RVIC_IS_PENDING,
        RVIC_SIGNAL,
        RVIC_CLEAR_PENDING,
    ] {
        row(fid, [bad, 0, 0], err(INVALID_CPU, 0), 0);
        row(fid, [me, n, 0], ep(1), 0);
        row(fid, [me, u64::MAX, 0], ep(1), 0);
    }

    // The valid forms, on the last (untrusted, unrouted) INTID.
    let last = n - 1;
    row(RVIC_SET_MASKED, [me, last, 0], SUCCESS, 0);
    row(RVIC_IS_PENDING, [me, last, 0], SUCCESS, 0);
    row(RVIC_SIGNAL, [me, last, 0], SUCCESS, 0);
    row(RVIC_IS_PENDING, [me, last, 0], SUCCESS, 1);
    row(RVIC_ACKNOWLEDGE, [0; 3], NO_INTERRUPTS, 0); // pending but masked
    row(RVIC_CLEAR_PENDING, [me, last, 0], SUCCESS, 0);
    row(RVIC_IS_PENDING, [me, last, 0], SUCCESS, 0);

    row(RVIC_RESAMPLE, [n, 0, 0], ep(0), 0);
    row(RVIC_RESAMPLE, [last, 0, 0], ep(0), 0); // untrusted, no level route
    row(RVIC_RESAMPLE, [SPARE, 0, 0], SUCCESS, 0); // trusted, no source

    row(RVID_MAP, [0, me, 5], ep(2), 0); // a trusted INTID
    row(RVID_MAP, [0, me, n], ep(2), 0);
    row(RVID_MAP, [u, me, t], ep(0), 0); // one past the last input
    row(RVID_MAP, [0, bad, t], err(INVALID_CPU, 1), 0);
    row(RVID_MAP, [u - 1, me, last], SUCCESS, 0);
    row(RVID_UNMAP, [u - 1, 0, 0], SUCCESS, 0);
    row(RVID_UNMAP, [u, 0, 0], ep(0), 0);

    // IDs nobody implements: the next after each range (0.3 ends at
    // RESAMPLE, 0.4 at ACKNOWLEDGE_UNMASKED), the rest of the range's
    // block, and the SMC32 and yielding forms of rVIC VERSION.
    let after = if ctx.v0_4() {
        RVIC_ACKNOWLEDGE_UNMASKED + 1
    } else {
        RVIC_ACKNOWLEDGE_UNMASKED
    };
    for fid in [after, RVID_UNMAP + 1, 0xC500_0000, 0xC500_0300] {
        row(fid, [1, 2, 3], NOT_SUPPORTED, 0);
    }
    for fid in [RVIC_VERSION & !(1 << 30), RVIC_VERSION & !(1 << 31)] {
        let c = arch::hvc(fid, [0; 3]);
        check(
            format_args!("{c} answers NOT_SUPPORTED in w0"),
            c.expect_w0(PSCI_NOT_SUPPORTED),
        );
    }
}
