/* SPDX-License-Identifier: MIT */
/*
 * The guest runtime ABI: what a guest program and snpemu's VMM agree on besides the GHCB protocol - where the image
 * goes, how many vCPUs there may be, the ports the program talks to the VMM through, the PVALIDATE doorbell's
 * results, and the exit statuses a run ends with.  Dual-use and defined once: the VMM, the guest library's
 * platforms and the guest runtime (C and assembly) all include this file.  Freestanding; macros only, without C
 * suffixes, so that assembly (guests/rt/start.S, the kvm backend's stubs) can use them.  The boot page and the
 * guest-physical map are in <snpemu/abi/boot_info.h>.
 *
 * Ports (an OUT of the given size; the same on every backend):
 *   SNPEMU_PORT_VMGEXIT    doorbell: VMGEXIT on the vCPU's GHCB MSR / GHCB page (kvm backend; the byte is ignored).
 *                          Below 0x100 so that the doorbell is one `out %al, $port` that leaves every register free.
 *   SNPEMU_PORT_PVALIDATE  doorbell: PVALIDATE with the instruction's registers: RAX = guest virtual address,
 *                          RCX = SNPEMU_PVALIDATE_SIZE_*, RDX = validate (1) or rescind (0).  On return RAX = the
 *                          instruction's return code (SNPEMU_PVALIDATE_*) and RFLAGS.CF = 1 when the validated
 *                          state did not change (APM vol 3, PVALIDATE).
 *   SNPEMU_PORT_CONSOLE    1 byte: a console character (COM1 data register; COM1 + 5 reads "ready").
 *   SNPEMU_PORT_EXIT       4 bytes: the program ends with this status; the VMM stops the VM.
 *   SNPEMU_PORT_DEBUG      4 bytes: a free-form diagnostic value, printed by the VMM.
 *   SNPEMU_PORT_EXPORT     string OUT: bytes appended to the run's export buffer (vmm_result.export).
 *   SNPEMU_PORT_IDLE       4 bytes: the vCPU has nothing to do for this many microseconds (at most
 *                          SNPEMU_IDLE_MAX_US): the VMM lets its thread sleep, as HLT until a timer interrupt would on
 *                          a VM with one, and the host's cores go to others.  It may come back earlier: when the VM
 *                          stops or is being paused (a migration), so that neither waits for it.  A virtual TSC
 *                          (tcg) moves by the time asked.  The runtime's waits (the guest library's delay_us, e.g.
 *                          the guest-request BUSY back-off) go through this port (guests/rt/program_main.c).
 *   SNPEMU_PORT_EXCEPTION  the kvm backend's exception stubs report a guest exception here (src/vmm/kvm.h).
 *   SNPEMU_PORT_SERVICE_CTL, SNPEMU_PORT_SERVICE_DATA  the host service channel (below).
 *
 * The host service channel: how a long-running program serves requests that a host thread submits while the VM
 * runs (vmm.h, struct vmm_service; the first user is guests/tsmd.c, format in <snpemu/abi/tsm.h>).  Plain port IO,
 * so it is the same on every backend (through the GHCB's IOIO event, or trapped IN/OUT).  One request at a time:
 *   1. IN of 4 bytes from SNPEMU_PORT_SERVICE_CTL waits until the host submits a request and reads its length,
 *      1..SNPEMU_SERVICE_REQ_MAX bytes; 0 means the host closed the channel (the program should end).  The wait
 *      ends when the VM stops.  An IN while the previous request is unanswered abandons it (the host's call fails).
 *   2. INS of bytes (size 1) from SNPEMU_PORT_SERVICE_DATA reads the request's bytes in order (past its end: 0xFF).
 *   3. OUTS of bytes (size 1) to SNPEMU_PORT_SERVICE_DATA appends to the reply, at most SNPEMU_SERVICE_REPLY_MAX
 *      bytes (more makes the host's call fail with -EMSGSIZE).
 *   4. OUT of 4 bytes (value 0) to SNPEMU_PORT_SERVICE_CTL: the reply is complete and goes to the host's caller.
 * Accesses of another size or direction are ignored (IN reads all ones), as for any port with nothing behind it.
 */
#ifndef SNPEMU_ABI_RUNTIME_H
#define SNPEMU_ABI_RUNTIME_H

#define SNPEMU_IMAGE_GPA       0x100000 /* link address of every program image; the sim image page */
#define SNPEMU_NULL_GUARD_SIZE 0x1000	/* page 0 is never mapped (kvm, tcg): a null dereference faults */
#define SNPEMU_MAX_VCPUS       16	/* vCPUs of one VM: the runtime's stacks, the VMM's tables */

#define SNPEMU_PORT_VMGEXIT	 0xE0
#define SNPEMU_PORT_PVALIDATE	 0xE1
#define SNPEMU_PORT_CONSOLE	 0x3F8
#define SNPEMU_PORT_EXIT	 0x5E2
#define SNPEMU_PORT_DEBUG	 0x5E3
#define SNPEMU_PORT_EXPORT	 0x5E4
#define SNPEMU_PORT_SERVICE_CTL	 0x5E5
#define SNPEMU_PORT_SERVICE_DATA 0x5E6
#define SNPEMU_PORT_IDLE	 0x5E7
#define SNPEMU_PORT_EXCEPTION	 0x5EF

/* Sizes of one host-service request and reply (bytes). */
#define SNPEMU_SERVICE_REQ_MAX	 4096
#define SNPEMU_SERVICE_REPLY_MAX (128 * 1024)

/* PVALIDATE return codes in RAX and page sizes in RCX (APM vol 3, PVALIDATE). */
#define SNPEMU_PVALIDATE_SUCCESS	   0
#define SNPEMU_PVALIDATE_FAIL_INPUT	   1
#define SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH 6
#define SNPEMU_PVALIDATE_SIZE_4K	   0
#define SNPEMU_PVALIDATE_SIZE_2M	   1

/* The longest one OUT to SNPEMU_PORT_IDLE idles (longer requests are cut to it). */
#define SNPEMU_IDLE_MAX_US 1000000

/* Bytes of SNPEMU_PORT_EXPORT output the VMM keeps per run (the export buffer, vmm_result.exported). */
#define SNPEMU_EXPORT_MAX 8192

/*
 * Exit statuses of a run (vmm_result.status, the `snpemu run` exit code).  0..63 are the program's own (what it
 * returned or wrote to SNPEMU_PORT_EXIT; larger values are the program's too, e.g. SNPEMU_STATUS_BAD_CPU); the VMM's:
 *   64 + (set & 3) * 16 + (code & 15)   the guest requested termination with reason set/code
 *   123  the BSP halted (kvm, tcg)
 *   124  a SYSTEM_EVENT exit other than SEV termination
 *   125  an access the VMM does not serve: a malformed IO exit, MMIO outside RAM, an oversized port access
 *   126  a memory fault: a MEMORY_FAULT exit, or PVALIDATE of a hypervisor-owned page (an RMP violation)
 *   127  a host-side failure: engine error, unexpected exit, KVM failure, triple fault
 *   128 + vector   a guest exception the VMM does not handle (kvm, tcg)
 */
#define SNPEMU_STATUS_TERMINATED   64
#define SNPEMU_STATUS_HALTED	   123
#define SNPEMU_STATUS_SYSTEM_EVENT 124
#define SNPEMU_STATUS_UNSERVED	   125
#define SNPEMU_STATUS_MEMORY_FAULT 126
#define SNPEMU_STATUS_HOST_ERROR   127
#define SNPEMU_STATUS_EXCEPTION	   128
#define SNPEMU_STATUS_BAD_CPU	   0xEEEE0001 /* the runtime started on a vCPU index >= SNPEMU_MAX_VCPUS */
#define SNPEMU_STATUS_BAD_BOOT	   0xEEEE0003 /* the runtime found no valid boot page / argument block */

#endif
