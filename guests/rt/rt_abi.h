/* SPDX-License-Identifier: MIT */
/*
 * The guest runtime's side of the contract with the kvm (and tcg) backend: guest memory map, entry registers,
 * stacks.  The numbers both sides use (image address, ports, PVALIDATE codes, statuses, vCPU maximum) are defined
 * once in <snpemu/abi/runtime.h>; this file adds only what the runtime alone needs.  Freestanding, macros only.
 *
 * Memory map (guest physical = guest virtual, identity-mapped by the VMM's page tables):
 *   [0, 4 KiB)                 not present: a null dereference faults (#PF, vector 14)
 *   [4 KiB, SNPEMU_IMAGE_GPA)     the VMM's system area: page tables, GDT, IDT, exception stubs, TSS and exception
 *                              stacks (read-only to the guest except the exception stacks)
 *   [SNPEMU_IMAGE_GPA, RAM end)   the guest image at its link address, then free RAM
 *   [RAM end, ...)             not present: any access faults (#PF)
 *
 * Entry (every vCPU the VMM starts at the ELF entry point): 64-bit long mode, CPL 0, interrupts off, paging on,
 * SSE enabled (CR4.OSFXSR, OSXMMEXCPT), RDI = vCPU index, RSI = a 64-bit boot argument chosen by the VMM; RSP is
 * not set: the runtime's _start picks the vCPU's stack.
 *
 * Doorbells (an OUT of any size to the port; the VMM reads the registers, the data byte is ignored).  Their ports
 * are below 0x100 so that the doorbell is one `out %al, $port` instruction that leaves every register free: some
 * hosts emulate each ring-0 guest instruction at microseconds apiece (bench/kvm_io), and the doorbell then costs
 * exactly what a bare IO exit does.
 *   SNPEMU_PORT_VMGEXIT    VMGEXIT: the VMM runs the GHCB protocol on the vCPU's GHCB MSR / GHCB page.  No registers.
 *   SNPEMU_PORT_PVALIDATE  PVALIDATE, with the instruction's registers: RAX = guest virtual address, RCX = page size
 *                      (0 = 4 KiB, 1 = 2 MiB), RDX = validate (1) or invalidate (0).  On return RAX = PVALIDATE
 *                      return code and RFLAGS.CF = 1 when the validated state did not change (APM vol 3, PVALIDATE).
 * Reports (plain IO exits, interpreted by the VMM, not by the backend):
 *   SNPEMU_PORT_CONSOLE    OUT 1 byte: a console character (COM1 data register).
 *   SNPEMU_PORT_EXIT       OUT 4 bytes: the program ends with this status; the VMM stops the VM.
 *   SNPEMU_PORT_DEBUG      OUT 4 bytes: a free-form diagnostic value (tests use it to tell the host an address).
 * Exceptions: the VMM's IDT sends every exception vector 0..31 to a stub on a per-vCPU IST stack that pushes RDX,
 * RSI, RDI, R8..R12 (vmm_kvm_exception_regs() reads them back), then does an OUT to SNPEMU_PORT_EXCEPTION with
 * RSI = vector, RDI = error code (0 if the vector has none), R8 = faulting RIP, R9 = CS, R10 = RFLAGS, R11 = RSP at
 * the fault, R12 = CR2, then halts forever.
 *
 * CPL 3: RAM from SNPEMU_IMAGE_GPA is user-accessible and the GDT has user code/data segments
 * (vmm_kvm_user_sregs()).  The VMM's kvm backend starts the guest programs there, because hosts whose KVM emulates
 * ring-0 guest code (PVM) run CPL-3 code natively; their privileged instructions (OUT/IN, RDMSR/WRMSR, HLT, CLI)
 * then raise #GP and the VMM emulates them (src/vmm/kvm_backend.c), so the same code runs at either level.  The
 * TSS I/O permission bitmap opens SNPEMU_PORT_VMGEXIT, SNPEMU_PORT_PVALIDATE, SNPEMU_PORT_CONSOLE and the four bytes of
 * SNPEMU_PORT_EXIT and SNPEMU_PORT_DEBUG (0x5E2..0x5E6) to CPL 3: IN/OUT there exit directly to the VMM, with the same
 * registers and results as at CPL 0; every other port raises #GP.
 *
 * The numbers carry no C suffix so that assembly (guests/rt/start.S, the VMM's stubs) can use them too.
 *
 * The GHCB MSR and the SEV status MSR are real MSRs the VMM intercepts: RDMSR/WRMSR of them exit to the VMM.
 */
#ifndef SNPEMU_GUESTS_RT_ABI_H
#define SNPEMU_GUESTS_RT_ABI_H

#include <snpemu/abi/runtime.h>

/* The runtime's stacks (guests/rt/start.S): vCPU indices >= SNPEMU_MAX_VCPUS end at once with
 * SNPEMU_STATUS_BAD_CPU. */
#define RT_STACK_SIZE 0x8000

#endif
