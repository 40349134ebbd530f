// SPDX-License-Identifier: Apache-2.0 OR MIT
//
// EL1 exception vectors. Every entry saves the interrupted context as a
// `Frame` (x0..x30, ELR_EL1, SPSR_EL1) on the current stack and calls
// `el1_exception(frame, kind)`; returning restores the (possibly changed)
// frame and ERETs.

.equ FRAME_SIZE, 272                // 31 GPRs + ELR + SPSR, 16-byte aligned

.macro ventry kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       exception_common
.endm

.section .text.vectors, "ax"
.balign 0x800
.global el1_vectors
el1_vectors:
    ventry 0    // current EL, SP_EL0: synchronous
    ventry 1    //                     IRQ
    ventry 2    //                     FIQ
    ventry 3    //                     SError
    ventry 4    // current EL, SP_EL1: synchronous
    ventry 5    //                     IRQ
    ventry 6    //                     FIQ
    ventry 7    //                     SError
    ventry 8    // lower EL, AArch64:  synchronous
    ventry 9    //                     IRQ
    ventry 10   //                     FIQ
    ventry 11   //                     SError
    ventry 12   // lower EL, AArch32:  synchronous
    ventry 13   //                     IRQ
    ventry 14   //                     FIQ
    ventry 15   //                     SError

exception_common:
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
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x30, x2, [sp, #240]
    str     x3, [sp, #256]
    mov     x1, x0
    mov     x0, sp
    bl      el1_exception
    ldr     x3, [sp, #256]
    ldp     x30, x2, [sp, #240]
    msr     elr_el1, x2
    msr     spsr_el1, x3
    ldp     x28, x29, [sp, #224]
    ldp     x26, x27, [sp, #208]
    ldp     x24, x25, [sp, #192]
    ldp     x22, x23, [sp, #176]
    ldp     x20, x21, [sp, #160]
    ldp     x18, x19, [sp, #144]
    ldp     x16, x17, [sp, #128]
    ldp     x14, x15, [sp, #112]
    ldp     x12, x13, [sp, #96]
    ldp     x10, x11, [sp, #80]
    ldp     x8, x9, [sp, #64]
    ldp     x6, x7, [sp, #48]
    ldp     x4, x5, [sp, #32]
    ldp     x2, x3, [sp, #16]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #FRAME_SIZE
    eret
