/* SPDX-License-Identifier: MIT */
/* vmm_run: configuration, launch, backend choice, the run, the summary. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/names.h>

#include "../guests/program.h"
#include "vmm/kvm.h"
#include "vmm/vmm_internal.h"

void vmm_config_default(struct vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = VMM_BACKEND_AUTO;
	cfg->vm_type = HV_VM_TYPE_SNP;
	cfg->vcpus = 1;
	cfg->mem_size = 64ull << 20;
	cfg->product = FW_PRODUCT_GENOA;
}

const char *vmm_backend_name(enum vmm_backend b)
{
	return b == VMM_BACKEND_SIM ? "sim" : b == VMM_BACKEND_KVM ? "kvm" : "auto";
}

int vmm_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	unsigned shift = 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' && shift)
		end++;
	if (*end || (shift && v > (~0ull >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static void write_boot_info(struct vmm_vm *vm)
{
	struct snpemu_boot_info *b = (struct snpemu_boot_info *)(void *)(vm->mem + SNPEMU_BOOT_INFO_GPA);
	memset(b, 0, 4096);
	b->magic = SNPEMU_BOOT_MAGIC;
	b->version = SNPEMU_BOOT_VERSION;
	b->flags = (vm->snp ? SNPEMU_BOOT_SNP : 0) | (vm->cfg.ext_report ? SNPEMU_BOOT_EXT_REPORT : 0);
	b->vcpus = vm->nvcpus;
	b->mem_size = vm->mem_size;
	b->sev_features = vm->snp ? 0x1 : 0;
	b->free_gpa = SNPEMU_FREE_GPA;
	b->free_size = vm->mem_size - SNPEMU_FREE_GPA;
	memcpy(b->report_data, vm->cfg.report_data, 64);
	b->vmpl = vm->cfg.vmpl;
	b->storm_requests = vm->cfg.storm_requests ? vm->cfg.storm_requests : 20;
	strncpy((char *)b->program, vm->program->name, sizeof(b->program) - 1);
}

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

int vmm_run(const struct vmm_config *cfg, struct vmm_result *res)
{
	struct vmm_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	memset(res, 0, sizeof(*res));
	int rc = vmm_vm_init(vm, cfg, res);
	if (rc)
		goto out;
	/* Backend choice: kvm where /dev/kvm runs a probe guest to its first exit (auto), else sim. */
	enum vmm_backend backend = cfg->backend;
	if (backend != VMM_BACKEND_SIM) {
		char reason[VMM_KVM_REASON_LEN];
		int probe = vmm_kvm_probe(reason, sizeof(reason));
		/* auto also wants the guest library's AES-GCM to run: SSE in ring-0 guest code. */
		if (!probe && backend == VMM_BACKEND_AUTO)
			probe = vmm_kvm_probe_sse(reason, sizeof(reason));
		if (probe && backend == VMM_BACKEND_KVM) {
			fprintf(vm->err, "snpemu: the kvm backend cannot run here: %s\n", reason);
			rc = -ENODEV;
			goto out;
		}
		if (backend == VMM_BACKEND_AUTO && !cfg->quiet)
			fprintf(vm->msg, "snpemu: backend auto: %s (%s)\n", probe ? "sim" : "kvm",
				probe ? reason : "/dev/kvm runs guests");
		backend = probe ? VMM_BACKEND_SIM : VMM_BACKEND_KVM;
	}
	if (backend == VMM_BACKEND_SIM && vm->program->kvm_only) {
		fprintf(vm->err, "snpemu: guest program '%s' runs only on the kvm backend\n", vm->program->name);
		rc = -ENODEV;
		goto out;
	}
	res->backend = backend;
	write_boot_info(vm);
	uint64_t image_len = 0;
	if (backend == VMM_BACKEND_KVM && (rc = vmm_kvm_prepare(vm, &image_len)))
		goto out;
	if (vm->snp) {
		if (backend == VMM_BACKEND_KVM) {
			/* kvm: the ELF is in guest RAM at its link address; the launch measures its pages there. */
			rc = vmm_launch(vm, NULL, image_len);
		} else {
			/* sim: the image is one page naming the program (its code lives in the VMM process). */
			uint8_t image[4096] = {0};
			snprintf((char *)image, sizeof(image), "snpemu sim guest image: %s\n", vm->program->name);
			rc = vmm_launch(vm, image, sizeof(image));
		}
		if (rc)
			goto out;
	}
	if (!cfg->quiet) {
		fprintf(vm->msg, "snpemu: %s guest '%s', %u vCPU(s), %llu MiB, backend %s\n",
			vm->snp ? "SEV-SNP" : "SEV-ES", vm->program->name, vm->nvcpus,
			(unsigned long long)(vm->mem_size >> 20), vmm_backend_name(res->backend));
		if (vm->snp) {
			fprintf(vm->msg, "launch measurement: ");
			print_hex(vm->msg, res->measurement, 48);
			fprintf(vm->msg, "\n");
		}
		fflush(vm->msg);
	}
	vm->t0_ns = vmm_now_ns();
	rc = backend == VMM_BACKEND_KVM ? vmm_kvm_backend_run(vm) : vmm_sim_run(vm);
	if (rc)
		goto out;
	uint64_t elapsed = vmm_now_ns() - vm->t0_ns;
	res->status = vm->status;
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		res->vmgexits += vm->vcpus[i].vmgexits;
	res->exits_to_vmm = atomic_load(&vm->exits_to_vmm);
	res->ghcb_msr_writes = atomic_load(&vm->ghcb_msr_writes);
	if (vm->fw_guest) {
		struct fw_guest_stats st;
		fw_guest_stats(vm->fw_guest, &st);
		res->fw_requests = st.processed;
		struct fw_rmp *rmp = fw_guest_rmp(vm->fw_guest);
		res->pages_private = fw_rmp_count(rmp, FW_PAGE_PRIVATE);
		res->pages_validated = fw_rmp_count(rmp, FW_PAGE_VALIDATED);
		res->pages_shared = vm->mem_size / 4096 - res->pages_private - res->pages_validated -
				    fw_rmp_count(rmp, FW_PAGE_VMSA) - fw_rmp_count(rmp, FW_PAGE_FIRMWARE);
	}
	if (vm->export_len >= 0x4A0) {
		memcpy(res->report, vm->export_buf, 0x4A0);
		res->have_report = true;
	}
	if (cfg->stats)
		vmm_stats_print(vm);
	if (cfg->trace_file && (res->trace_error = vmm_trace_write(vm, cfg->trace_file)))
		fprintf(vm->err, "snpemu: could not write the trace to %s\n", cfg->trace_file);
	if (!cfg->quiet)
		fprintf(vm->msg,
			"snpemu: guest exited with status %d after %llu VMGEXITs, %llu exits to the VMM, %.3f s\n",
			res->status, (unsigned long long)res->vmgexits, (unsigned long long)res->exits_to_vmm,
			(double)elapsed / 1e9);
out:
	vmm_kvm_backend_fini(vm);
	vmm_vm_fini(vm);
	free(vm);
	return rc;
}
