// SPDX-License-Identifier: Apache-2.0 OR MIT
//
// EL2 exception vectors, and the way into the guest.
//
// guest_enter(ctx) pushes the hypervisor's callee-saved registers and `ctx`
// on the EL2 stack, loads the guest's x0..x30, ELR_EL2 and SPSR_EL2 from
// `ctx` and ERETs. Any exception from the guest (lower EL) ends that run: its
// vector saves the guest's registers back into `ctx`, pops what guest_enter
// pushed and returns from guest_enter with the vector's number (8..15). The
// hypervisor then handles the exit in ordinary Rust, with nothing of it on
// the stack, and enters again. Nothing here calls into Rust for the guest.
//
// Each lower-EL vector starts with an ESB: on a CPU with FEAT_RAS an
// SError still pending from the guest's accesses is deferred into DISR_EL1
// (EL2 runs with SErrors masked), where the exit's decoding finds it and
// gives the guest a virtual SError (hyp/src/serror.rs).
//
// Then the Spectre-v2/BHB mitigation this CPU needs before EL2's first
// indirect branch (hyp/src/spectre.rs decides): there are four tables, the
// same but for it, and each CPU points VBAR_EL2 at its own (arch::spectre):
// el2_vectors (nothing), el2_vectors_loop (the branch history loop,
// EXIT_ARG[cpu] times), el2_vectors_clrbhb (CLRBHB), el2_vectors_smc (the
// firmware's SMCCC_ARCH_WORKAROUND_1 or _3, EXIT_ARG[cpu] naming which).
//
// EL2 runs with interrupts masked, so an exception taken at EL2 itself is a
// hypervisor bug: its vector saves a frame and calls el2_fault (Rust), which
// reports it and stops this CPU. The hypervisor never uses FP/SIMD
// (softfloat target), so guest FP state needs no saving here.

.equ CTX_ELR, 248                   // after x0..x30
.equ CTX_SPSR, 256
.equ HOST_SAVE, 112                 // x19..x30, ctx, padding: 16-byte multiple
.equ HOST_CTX, 96
.equ FRAME_SIZE, 272                // el2_fault's frame: x0..x30, ELR, SPSR

// \dst = this CPU's EXIT_ARG word (the loop count, or the workaround's
// function ID), by TPIDR_EL2 = the CPU's logical index.
.macro exit_arg dst, tmp
    mrs     \dst, tpidr_el2
    adrp    \tmp, EXIT_ARG
    add     \tmp, \tmp, :lo12:EXIT_ARG
    ldr     \dst, [\tmp, \dst, lsl #3]
.endm

// A lower-EL vector: the ESB, the table's Spectre mitigation, then the
// common exit with x1 = the vector number. Nothing before the mitigation
// branches indirectly.
.macro from_guest kind, mitigation
    .balign 0x80
    hint    #16                     // ESB (FEAT_RAS; a NOP without it)
    stp     x0, x1, [sp, #-16]!
    .ifc \mitigation, loop
    exit_arg x0, x1
1:  b       . + 4                   // overwrite the branch history:
    subs    x0, x0, #1              // EXIT_ARG taken branches
    b.ne    1b
    dsb     nsh
    isb
    .endif
    .ifc \mitigation, clrbhb
    hint    #22                     // CLRBHB
    isb
    .endif
    .ifc \mitigation, smc
    stp     x2, x3, [sp, #-16]!     // SMCCC 1.1: the call may change x0..x3
    exit_arg x0, x1                 // w0 = ARCH_WORKAROUND_1 or _3
    smc     #0
    ldp     x2, x3, [sp], #16
    .endif
    mov     x1, #\kind
    b       guest_exit
.endm

.macro at_el2 kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       el2_fault_entry
.endm

// One table: the current-EL vectors are the same in each, the lower-EL
// ones apply `mitigation` (none, loop, clrbhb or smc).
.macro vector_table name, mitigation
.balign 0x800
.global \name
\name:
    at_el2 0        // current EL, SP_EL0: synchronous
    at_el2 1        //                     IRQ
    at_el2 2        //                     FIQ
    at_el2 3        //                     SError
    at_el2 4        // current EL, SP_EL2: synchronous
    at_el2 5        //                     IRQ
    at_el2 6        //                     FIQ
    at_el2 7        //                     SError
    from_guest 8, \mitigation      // lower EL, AArch64:  synchronous
    from_guest 9, \mitigation      //                     IRQ
    from_guest 10, \mitigation     //                     FIQ
    from_guest 11, \mitigation     //                     SError
    from_guest 12, \mitigation     // lower EL, AArch32:  synchronous
    from_guest 13, \mitigation     //                     IRQ
    from_guest 14, \mitigation     //                     FIQ
    from_guest 15, \mitigation     //                     SError
.endm

.section .text.vectors, "ax"
vector_table el2_vectors, none
vector_table el2_vectors_loop, loop
vector_table el2_vectors_clrbhb, clrbhb
vector_table el2_vectors_smc, smc

// x1 = vector number; [sp] = the guest's x0, x1; above it guest_enter's save.
guest_exit:
    ldr     x0, [sp, #16 + HOST_CTX]
    stp     x2, x3, [x0, #16]
    stp     x4, x5, [x0, #32]
    stp     x6, x7, [x0, #48]
    stp     x8, x9, [x0, #64]
    stp     x10, x11, [x0, #80]
    stp     x12, x13, [x0, #96]
    stp     x14, x15, [x0, #112]
    stp     x16, x17, [x0, #128]
    stp     x18, x19, [x0, #144]
    stp     x20, x21, [x0, #160]
    stp     x22, x23, [x0, #176]
    stp     x24, x25, [x0, #192]
    stp     x26, x27, [x0, #208]
    stp     x28, x29, [x0, #224]
    str     x30, [x0, #240]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #0]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [x0, #CTX_ELR]
    mov     x0, x1
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    add     sp, sp, #HOST_SAVE
    ret

// u64 guest_enter(Context *ctx): run the guest until it exits; returns the
// vector number of the exit.
.global guest_enter
guest_enter:
    sub     sp, sp, #HOST_SAVE
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    str     x0, [sp, #HOST_CTX]
    ldp     x2, x3, [x0, #CTX_ELR]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldp     x2, x3, [x0, #16]
    ldp     x4, x5, [x0, #32]
    ldp     x6, x7, [x0, #48]
    ldp     x8, x9, [x0, #64]
    ldp     x10, x11, [x0, #80]
    ldp     x12, x13, [x0, #96]
    ldp     x14, x15, [x0, #112]
    ldp     x16, x17, [x0, #128]
    ldp     x18, x19, [x0, #144]
    ldp     x20, x21, [x0, #160]
    ldp     x22, x23, [x0, #176]
    ldp     x24, x25, [x0, #192]
    ldp     x26, x27, [x0, #208]
    ldp     x28, x29, [x0, #224]
    ldr     x30, [x0, #240]
    ldp     x0, x1, [x0, #0]
    eret
    dsb     nsh                     // never reached: no speculation past ERET
    isb

el2_fault_entry:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x30, x2, [sp, #240]
    str     x3, [sp, #256]
    mov     x0, sp
    bl      el2_fault
    b       park
