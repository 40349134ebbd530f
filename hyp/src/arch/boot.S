// SPDX-License-Identifier: Apache-2.0 OR MIT
//
// Entry points of the EL2 image: the arm64 Image header, the boot CPU's path
// into Rust (self-relocation, BSS, stack) and the secondary CPUs' path
// (MMU on from the parameters the boot CPU published, stack by MPIDR).
// Everything here runs with the MMU off, so it touches only the image.

.macro adr_l reg, sym
    adrp \reg, \sym
    add  \reg, \reg, :lo12:\sym
.endm

.section .text.head, "ax"
.global _start
_start:
    // arm64 Image header (Documentation/arch/arm64/booting.rst).
    b       primary_entry           // code0
    .long   0                       // code1
    .quad   0                       // text_offset
    .quad   __image_size            // image_size, BSS included
    .quad   0xa                     // flags: little endian, 4K pages, anywhere
    .quad   0                       // res2
    .quad   0                       // res3
    .quad   0                       // res4
    .ascii  "ARM\x64"               // magic
    .long   0                       // res5 (no PE/COFF header)

primary_entry:
    msr     daifset, #0xf
    mov     x19, x0                 // device tree, physical
    mrs     x1, CurrentEL
    cmp     x1, #(2 << 2)
    b.ne    .Lnot_el2

    // Apply R_AARCH64_RELATIVE relocations: *(base + off) = base + addend.
    adr_l   x20, _start             // load address = link offset
    adr_l   x2, __rela_start
    adr_l   x3, __rela_end
1:  cmp     x2, x3
    b.hs    2f
    ldp     x4, x5, [x2], #16       // r_offset, r_info
    ldr     x6, [x2], #8            // r_addend
    cbz     w5, 1b                  // R_AARCH64_NONE: padding
    cmp     w5, #1027               // R_AARCH64_RELATIVE
    b.ne    .Lbad_reloc
    add     x6, x6, x20
    str     x6, [x4, x20]
    b       1b

2:  // Zero BSS.
    adr_l   x2, __bss_start
    adr_l   x3, __bss_end
3:  cmp     x2, x3
    b.hs    4f
    stp     xzr, xzr, [x2], #16
    b       3b

4:  // Drop whatever the loader may have left in the caches for the image:
    // from here on it is written with the MMU off and read with it on.
    adr_l   x0, __image_start
    adr_l   x1, __image_end
    bl      dcache_inval_range

    adr_l   x1, BOOT_STACK
    add     x1, x1, #{BOOT_STACK_SIZE}
    mov     sp, x1
    msr     tpidr_el2, xzr          // logical CPU 0
    mov     x29, xzr
    mov     x30, xzr
    mov     x0, x19
    mov     x1, x20
    bl      primary_main
    b       park

.Lbad_reloc:
.Lnot_el2:
    // Nothing can be printed yet: no console is known.
    b       park

// Secondary CPUs: PSCI CPU_ON and spin-table release land here at EL2 with
// the MMU off. The boot CPU published the MMU settings and one
// (MPIDR, stack, index) slot per CPU in SECONDARY_BOOT, cleaned to the point
// of coherency.
.global secondary_entry
secondary_entry:
    msr     daifset, #0xf
    adr_l   x9, SECONDARY_BOOT
    ldr     x1, [x9, #0]
    msr     mair_el2, x1
    ldr     x1, [x9, #8]
    msr     tcr_el2, x1
    ldr     x1, [x9, #16]
    msr     ttbr0_el2, x1
    isb
    tlbi    alle2
    dsb     nsh
    isb
    ldr     x1, [x9, #24]
    msr     sctlr_el2, x1
    isb

    mrs     x2, mpidr_el1
    mov     x3, #{AFFINITY_LO}          // vocab::MPIDR_AFFINITY_MASK
    movk    x3, #{AFFINITY_HI}, lsl #32
    and     x2, x2, x3
    ldr     x4, [x9, #32]           // number of slots
    add     x5, x9, #40             // first slot
5:  cbz     x4, park
    ldp     x6, x7, [x5]            // mpidr, stack top
    ldr     x8, [x5, #16]           // logical index
    add     x5, x5, #24
    sub     x4, x4, #1
    cmp     x6, x2
    b.ne    5b
    cbz     x7, park                // a slot with no stack was not started
    mov     sp, x7
    msr     tpidr_el2, x8
    mov     x29, xzr
    mov     x30, xzr
    mov     x0, x8
    bl      secondary_main
    b       park

.global park
park:
    msr     daifset, #0xf
6:  wfe
    b       6b

// dcache_inval_range(start, end): invalidate data cache lines by VA to PoC.
.global dcache_inval_range
dcache_inval_range:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4         // DminLine: log2(words)
    mov     x2, #4
    lsl     x2, x2, x3              // line size in bytes
    sub     x3, x2, #1
    bic     x0, x0, x3
7:  cmp     x0, x1
    b.hs    8f
    dc      ivac, x0
    add     x0, x0, x2
    b       7b
8:  dsb     sy
    ret
