// SPDX-License-Identifier: Apache-2.0 OR MIT
//
// Entry points of the EL1 guest image: the arm64 Image header, vCPU 0's
// path into Rust (self-relocation, BSS, stack, vectors) and the other vCPUs'
// path (PSCI CPU_ON with the vCPU index as context id). The identity map is
// turned on by `mmu_on`, which both paths share.

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
    mov     x19, x0                 // device tree (IPA)
    mrs     x1, CurrentEL
    cmp     x1, #(1 << 2)
    b.ne    park                    // not at EL1: nothing here can work

    // Apply R_AARCH64_RELATIVE relocations: *(base + off) = base + addend.
    adr_l   x20, _start
    adr_l   x2, __rela_start
    adr_l   x3, __rela_end
1:  cmp     x2, x3
    b.hs    2f
    ldp     x4, x5, [x2], #16       // r_offset, r_info
    ldr     x6, [x2], #8            // r_addend
    cbz     w5, 1b                  // R_AARCH64_NONE
    cmp     w5, #1027               // R_AARCH64_RELATIVE
    b.ne    park
    add     x6, x6, x20
    str     x6, [x4, x20]
    b       1b

2:  adr_l   x2, __bss_start
    adr_l   x3, __bss_end
3:  cmp     x2, x3
    b.hs    4f
    stp     xzr, xzr, [x2], #16
    b       3b

4:  // Written with the MMU off, read with it on: drop stale cache lines.
    adr_l   x0, __image_start
    adr_l   x1, __image_end
    bl      dcache_inval_range

    adr_l   x1, STACKS
    add     x1, x1, #{STACK_SIZE}
    mov     sp, x1
    adr_l   x1, el1_vectors
    msr     vbar_el1, x1
    msr     tpidr_el1, xzr          // vCPU index 0
    isb
    mov     x29, xzr
    mov     x30, xzr
    mov     x0, x19
    bl      primary_main
    b       park

// PSCI CPU_ON lands here with the MMU off and x0 = context id = the vCPU
// index. Until the MMU is on, nothing is read from memory but constants in
// the image's text (a data line this vCPU dirtied in an earlier life could
// still be cached), and nothing is written.
.global secondary_entry
secondary_entry:
    msr     daifset, #0xf
    cmp     x0, #{MAX_CPUS}
    b.hs    park
    mov     x19, x0
    mrs     x20, vbar_el1           // the EL1 state CPU_ON gave us, for
    mrs     x21, cntkctl_el1        // the reset check (checks/entry.rs)
    mrs     x22, mdscr_el1
    mrs     x23, contextidr_el1
    adr_l   x1, el1_vectors
    msr     vbar_el1, x1
    msr     tpidr_el1, x19
    adr_l   x0, SELFTEST_TABLES
    bl      mmu_on
    adr_l   x1, STACKS
    add     x2, x19, #1
    mov     x3, #{STACK_SIZE}
    madd    x1, x2, x3, x1
    mov     sp, x1
    mov     x29, xzr
    mov     x30, xzr
    mov     x0, x19
    mov     x1, x20
    mov     x2, x21
    mov     x3, x22
    mov     x4, x23
    bl      secondary_main
    b       park

// mmu_on(ttbr0): turn on this vCPU's EL1 stage-1 translation with the
// identity map at ttbr0. Uses no stack.
.global mmu_on
mmu_on:
    ldr     x1, ={MAIR}
    msr     mair_el1, x1
    mrs     x2, id_aa64mmfr0_el1
    and     x2, x2, #0xf            // PARange
    mov     x3, #5
    cmp     x2, x3
    csel    x2, x2, x3, ls          // at most 48 bits (IPS 5)
    ldr     x1, ={TCR}
    orr     x1, x1, x2, lsl #32     // IPS
    msr     tcr_el1, x1
    msr     ttbr0_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x1, ={SCTLR}
    msr     sctlr_el1, x1
    isb
    ic      iallu
    dsb     nsh
    isb
    ret

.global park
park:
    msr     daifset, #0xf
5:  wfe
    b       5b

// dcache_inval_range(start, end): invalidate data cache lines to PoC.
dcache_inval_range:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4         // DminLine: log2(words)
    mov     x2, #4
    lsl     x2, x2, x3
    sub     x3, x2, #1
    bic     x0, x0, x3
6:  cmp     x0, x1
    b.hs    7f
    dc      ivac, x0
    add     x0, x0, x2
    b       6b
7:  dsb     sy
    ret
