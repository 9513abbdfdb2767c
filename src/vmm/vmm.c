/* SPDX-License-Identifier: MIT */
/* vmm_run: configuration, launch, backend choice, the run, the summary. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/names.h>

#include "vmm/migrate_internal.h"

void vmm_config_default(struct vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = VMM_BACKEND_AUTO;
	cfg->vm_type = HV_VM_TYPE_SNP;
	cfg->vcpus = 1;
	cfg->mem_size = 64ull << 20;
	cfg->product = FW_PRODUCT_GENOA;
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

/* The argument block: the strings back to back, each NUL-terminated.  -E2BIG when they do not fit. */
static int write_args(struct vmm_vm *vm, struct snpemu_boot_info *b)
{
	if (vm->cfg.nargs > SNPEMU_BOOT_ARGS_MAX)
		return -E2BIG;
	for (uint32_t i = 0; i < vm->cfg.nargs; i++) {
		const char *a = vm->cfg.args[i] ? vm->cfg.args[i] : "";
		size_t n = strlen(a) + 1;
		if (n > SNPEMU_BOOT_ARGS_SIZE - b->args_len)
			return -E2BIG;
		memcpy(b->args + b->args_len, a, n);
		b->args_len += (uint32_t)n;
	}
	b->argc = vm->cfg.nargs;
	return 0;
}

static int write_boot_info(struct vmm_vm *vm)
{
	struct snpemu_boot_info *b = vmm_guest_ptr(vm, SNPEMU_BOOT_INFO_GPA, 4096, VMM_ACCESS_LAUNCH, NULL);
	memset(b, 0, 4096);
	b->magic = SNPEMU_BOOT_MAGIC;
	b->version = SNPEMU_BOOT_VERSION;
	b->flags = (vm->snp ? SNPEMU_BOOT_SNP : 0) | (vm->cfg.vc ? SNPEMU_BOOT_VC : 0);
	b->vcpus = vm->nvcpus;
	b->mem_size = vm->mem_size;
	b->sev_features = vm->snp ? 0x1 : 0;
	b->free_gpa = SNPEMU_FREE_GPA;
	b->free_size = vm->mem_size - SNPEMU_FREE_GPA;
	b->export_max = SNPEMU_EXPORT_MAX;
	strncpy((char *)b->program, vm->program->name, sizeof(b->program) - 1);
	if (write_args(vm, b)) {
		fprintf(vm->err, "snpemu: the program's arguments do not fit the boot page (%u at most, %u bytes)\n",
			SNPEMU_BOOT_ARGS_MAX, SNPEMU_BOOT_ARGS_SIZE);
		return -EINVAL;
	}
	return 0;
}

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

int vmm_vm_prepare(struct vmm_vm *vm, const struct vmm_config *cfg, struct vmm_result *res)
{
	memset(res, 0, sizeof(*res));
	int rc = vmm_vm_init(vm, cfg, res);
	if (rc)
		return rc;
	rc = vmm_backend_choose(cfg->backend, cfg->quiet ? NULL : vm->msg, vm->err, &vm->backend);
	if (rc)
		return rc;
	if (vm->backend->runs_elf ? !vm->program->elf : !vm->program->sim_run) {
		if (vm->backend->runs_elf)
			fprintf(vm->err, "snpemu: guest program '%s' has no ELF image\n", vm->program->name);
		else
			fprintf(vm->err, "snpemu: guest program '%s' runs only on the kvm backend\n",
				vm->program->name);
		return -ENODEV;
	}
	if (cfg->vc && vm->backend->kind != VMM_BACKEND_TCG) {
		fprintf(vm->err, "snpemu: --vc needs the tcg backend (it raises #VC in guest code), not %s\n",
			vm->backend->name);
		return -EINVAL;
	}
	res->backend = vm->backend->kind;
	if ((rc = write_boot_info(vm)))
		return rc;
	/* The backend puts the program's image in guest RAM; the launch measures it there. */
	uint64_t image_len = 0;
	if ((rc = vm->backend->create(vm, &image_len)) || (vm->snp && (rc = vmm_launch(vm, image_len))))
		return rc;
	if (!cfg->quiet) {
		fprintf(vm->msg, "snpemu: %s guest '%s', %u vCPU(s), %llu MiB, backend %s\n",
			vm->snp ? "SEV-SNP" : "SEV-ES", vm->program->name, vm->nvcpus,
			(unsigned long long)(vm->mem_size >> 20), vm->backend->name);
		if (vm->snp) {
			fprintf(vm->msg, "launch measurement: ");
			print_hex(vm->msg, res->measurement, 48);
			fprintf(vm->msg, "\n");
		}
		fflush(vm->msg);
	}
	if (cfg->mem_prealloc)
		vmm_mem_prealloc(vm);
	vm->t0_ns = vmm_now_ns();
	return 0;
}

void vmm_vm_release(struct vmm_vm *vm)
{
	if (vm->backend)
		vm->backend->destroy(vm);
	vmm_vm_fini(vm);
}

/* What the run produced, once every vCPU thread has been joined. */
static void collect(struct vmm_vm *vm, struct vmm_result *res)
{
	pthread_mutex_lock(&vm->lock); /* the lock orders the stop record's fields */
	res->status = vm->stop.status;
	res->terminated = vm->stop.terminated;
	res->term_set = vm->stop.term_set;
	res->term_code = vm->stop.term_code;
	res->memory_fault = vm->stop.memory_fault;
	pthread_mutex_unlock(&vm->lock);
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		res->vmgexits += vm->vcpus[i].vmgexits;
	res->exits_to_vmm = atomic_load(&vm->exits_to_vmm);
	res->ghcb_msr_writes = atomic_load(&vm->ghcb_msr_writes);
	if (vm->hv)
		res->busy_answers = hv_vm_guest_req_refused(vm->hv);
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
	memcpy(res->exported, vm->exported, vm->exported_len);
	res->exported_len = vm->exported_len;
}

int vmm_run(const struct vmm_config *cfg, struct vmm_result *res)
{
	struct vmm_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	const struct vmm_migration *mig = cfg->migration;
	bool incoming = mig && mig->incoming;
	int rc = mig && mig->fd < 0 ? -EINVAL : 0;
	if (rc)
		fprintf(cfg->err ? cfg->err : stderr, "snpemu: migration without a connected stream\n");
	else if (incoming)
		rc = vmm_migrate_receive(vm, cfg, res); /* the vCPUs run once the guest has arrived */
	else if (!(rc = vmm_vm_prepare(vm, cfg, res)))
		rc = mig ? vmm_migrate_source(vm) : vmm_vcpus_start(vm); /* the source starts the vCPUs itself */
	if (!rc)
		vmm_vcpus_join(vm);
	if (!rc) {
		uint64_t elapsed = vmm_now_ns() - vm->t0_ns;
		collect(vm, res);
		if (cfg->stats)
			vmm_stats_print(vm);
		if (cfg->trace_file && (res->trace_error = vmm_trace_write(vm, cfg->trace_file)))
			fprintf(vm->err, "snpemu: could not write the trace to %s\n", cfg->trace_file);
		if (!cfg->quiet && res->migrated_out)
			fprintf(vm->msg, "snpemu: guest migrated out after %.3f s\n", (double)elapsed / 1e9);
		else if (!cfg->quiet)
			fprintf(vm->msg,
				"snpemu: guest exited with status %d after %llu VMGEXITs, %llu exits to the VMM, "
				"%.3f s\n",
				res->status, (unsigned long long)res->vmgexits, (unsigned long long)res->exits_to_vmm,
				(double)elapsed / 1e9);
	}
	vmm_vm_release(vm);
	free(vm);
	vmm_service_end(cfg->service);
	return rc;
}
