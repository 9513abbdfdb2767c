/* SPDX-License-Identifier: MIT */
/*
 * The shortest honest picture of embedding the snpemu engine (<snpemu/hv.h>): one SEV-ES VM with 64 KiB of guest
 * memory and one vCPU.  This program plays both sides: as the guest it writes a GHCB and executes "VMGEXIT"
 * (hv_vcpu_vmgexit); as the VMM it serves what the engine hands back.
 *   1. CPUID NAE: the engine answers from the VM's CPUID table, no exit to the VMM.
 *   2. IOIO OUT: the engine exits to the VMM (exit_reason IO, as KVM_EXIT_IO); the VMM handles it and completes it
 *      by calling hv_vcpu_vmgexit again, as KVM_RUN does.
 *   3. IOIO IN: the same, the VMM's data reaching the guest's RAX.
 * Build: make (uses pkg-config snpemu).  Run: ./vmm-minimal
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/run.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/hv.h>

#define MEM_SIZE (64u * 1024u)
#define GHCB_GPA 0x1000u

static int fail(const char *what, int rc)
{
	fprintf(stderr, "vmm-minimal: %s failed (%d)\n", what, rc);
	return 1;
}

/* The guest side: fill the GHCB for one NAE event, point the GHCB MSR at it, VMGEXIT. */
static int guest_vmgexit(struct hv_vcpu *v, struct ghcb *g, uint64_t code, uint64_t info1, uint64_t rax,
			 uint64_t rcx)
{
	memset(g, 0, sizeof(*g));
	ghcb_set_protocol_version(g, 2);
	ghcb_set_sw_exit_code(g, code);
	ghcb_set_sw_exit_info_1(g, info1);
	ghcb_set_sw_exit_info_2(g, 0);
	ghcb_set_rax(g, rax);
	if (code == SVM_EXIT_CPUID)
		ghcb_set_rcx(g, rcx);
	hv_vcpu_set_ghcb_msr(v, GHCB_GPA);
	return hv_vcpu_vmgexit(v);
}

int main(void)
{
	struct hv_vm *vm;
	struct hv_vcpu *v;
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SEV_ES, .cbit = 51};
	uint8_t *mem = aligned_alloc(4096, MEM_SIZE);
	int rc;
	if (!mem)
		return fail("aligned_alloc", -1);
	memset(mem, 0, MEM_SIZE);
	if ((rc = hv_vm_create(&cfg, &vm)) || (rc = hv_vm_add_memslot(vm, 0, 0, MEM_SIZE, mem)))
		return fail("VM creation", rc);
	/* CPUID leaf 0: "AuthenticAMD" in EBX, EDX, ECX. */
	const struct hv_cpuid_entry cpuid[] = {
	    {.function = 0, .eax = 0x10, .ebx = 0x68747541, .ecx = 0x444D4163, .edx = 0x69746E65},
	    {.function = 0x8000001F, .eax = 0xA, .ebx = 51},
	};
	if ((rc = hv_vm_set_cpuid(vm, cpuid, 2)) || (rc = hv_vcpu_create(vm, 0, &v)))
		return fail("vCPU creation", rc);
	struct snpemu_run *run = hv_vcpu_run(v);
	struct ghcb *g = (struct ghcb *)(mem + GHCB_GPA);

	/* 1. CPUID NAE: answered by the engine (returns 1: resume the guest). */
	rc = guest_vmgexit(v, g, SVM_EXIT_CPUID, 0, 0, 0);
	if (rc != 1 || ghcb_get_sw_exit_info_1(g) != 0 || !ghcb_rbx_is_valid(g))
		return fail("CPUID NAE", rc);
	uint32_t vendor[3] = {(uint32_t)ghcb_get_rbx(g), (uint32_t)ghcb_get_rdx(g), (uint32_t)ghcb_get_rcx(g)};
	printf("CPUID 0: max leaf 0x%llx, vendor %.12s\n", (unsigned long long)ghcb_get_rax(g), (const char *)vendor);

	/* 2. OUT 0x3F8, 'A': an IO exit (returns 0), then the completion (returns 1). */
	rc = guest_vmgexit(v, g, SVM_EXIT_IOIO, svm_ioio_info1(0x3F8, 1, 0, 0, 0), 'A', 0);
	if (rc != 0 || run->exit_reason != SNPEMU_EXIT_IO || run->io.direction != SNPEMU_EXIT_IO_OUT)
		return fail("IO OUT exit", rc);
	const uint8_t *data = (const uint8_t *)run + run->io.data_offset;
	printf("IO exit: OUT port 0x%x size %u count %u data '%c'\n", run->io.port, run->io.size, run->io.count,
	       data[0]);
	rc = hv_vcpu_vmgexit(v); /* the VMM handled it: complete and resume */
	if (rc != 1 || ghcb_get_sw_exit_info_1(g) != 0)
		return fail("IO OUT completion", rc);
	printf("IO OUT completed: SW_EXITINFO1 0\n");

	/* 3. IN from 0x60: the VMM writes the data before completing; the guest reads it in RAX. */
	rc = guest_vmgexit(v, g, SVM_EXIT_IOIO, svm_ioio_info1(0x60, 1, 1, 0, 0), 0, 0);
	if (rc != 0 || run->exit_reason != SNPEMU_EXIT_IO || run->io.direction != SNPEMU_EXIT_IO_IN)
		return fail("IO IN exit", rc);
	((uint8_t *)run + run->io.data_offset)[0] = 0x5A;
	rc = hv_vcpu_vmgexit(v);
	if (rc != 1 || !ghcb_rax_is_valid(g))
		return fail("IO IN completion", rc);
	printf("IO IN port 0x%x completed: guest RAX 0x%llx\n", run->io.port, (unsigned long long)ghcb_get_rax(g));

	hv_vcpu_destroy(v);
	hv_vm_destroy(vm);
	free(mem);
	printf("vmm-minimal: ok\n");
	return 0;
}
