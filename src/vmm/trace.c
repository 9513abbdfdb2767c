/* SPDX-License-Identifier: MIT */
/* --stats (per-exit-code counts and mean latency, like kvm_stat) and --trace (Chrome trace-event JSON: one track
 * per vCPU, one slice per VMGEXIT named by its exit code; opens in Perfetto).  Trace times come from the backend's
 * virtual clock where it has one (tcg: the virtual TSC, so that two deterministic runs write the same bytes), else
 * from the host's monotonic clock; otherData.clock says which. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>

#include <snpemu/names.h>

#include "vmm/vmm_internal.h"

void vmm_stats_print(struct vmm_vm *vm)
{
	struct hv_exit_stat st[128];
	size_t n = hv_vm_get_stats(vm->hv, st, 128);
	if (n > 128)
		n = 128;
	fprintf(vm->msg, "%-28s %10s %12s\n", "event", "count", "mean ns");
	for (size_t i = 0; i < n; i++) {
		if (!st[i].count)
			continue;
		const char *kind = st[i].kind == HV_STAT_MSR_PROTOCOL ? "msr:"
				   : st[i].kind == HV_STAT_NAE	      ? ""
								      : "other:";
		char name[64];
		snprintf(name, sizeof(name), "%s%s", kind, st[i].name ? st[i].name : "?");
		fprintf(vm->msg, "%-28s %10llu %12.0f\n", name, (unsigned long long)st[i].count,
			(double)st[i].total_ns / (double)st[i].count);
	}
	fprintf(vm->msg, "%-28s %10llu\n", "exits to the VMM", (unsigned long long)atomic_load(&vm->exits_to_vmm));
	fprintf(vm->msg, "%-28s %10llu\n", "GHCB MSR writes", (unsigned long long)atomic_load(&vm->ghcb_msr_writes));
}

static const char *event_name(uint64_t code, char *buf, size_t len)
{
	if (code >> 63) {
		const char *n = snpemu_msr_info_name((uint32_t)(code & 0xFFF));
		snprintf(buf, len, "MSR %s", n ? n : "UNKNOWN");
	} else {
		const char *n = snpemu_exit_code_name(code);
		if (n)
			snprintf(buf, len, "%s", n);
		else
			snprintf(buf, len, "0x%llx", (unsigned long long)code);
	}
	return buf;
}

bool vmm_trace_virtual(const struct vmm_vm *vm)
{
	return vm->backend && vm->backend->trace_clock_ns && !vm->cfg.trace_host_clock;
}

int vmm_trace_write(struct vmm_vm *vm, const char *path)
{
	json_object *root = json_object_new_object(), *events = json_object_new_array(),
		    *other = json_object_new_object();
	if (!root || !events || !other) {
		json_object_put(root);
		json_object_put(events);
		json_object_put(other);
		return -ENOMEM;
	}
	json_object_object_add(root, "traceEvents", events);
	json_object_object_add(root, "displayTimeUnit", json_object_new_string("ns"));
	json_object_object_add(other, "clock", json_object_new_string(vmm_trace_virtual(vm) ? "virtual" : "host"));
	json_object_object_add(root, "otherData", other);
	for (uint32_t c = 0; c < vm->nvcpus; c++) {
		json_object *meta = json_object_new_object();
		json_object *args = json_object_new_object();
		char tname[32];
		snprintf(tname, sizeof(tname), "vCPU %u", c);
		json_object_object_add(args, "name", json_object_new_string(tname));
		json_object_object_add(meta, "name", json_object_new_string("thread_name"));
		json_object_object_add(meta, "ph", json_object_new_string("M"));
		json_object_object_add(meta, "pid", json_object_new_int(1));
		json_object_object_add(meta, "tid", json_object_new_int((int)c));
		json_object_object_add(meta, "args", args);
		json_object_array_add(events, meta);
		const struct vmm_vcpu *v = &vm->vcpus[c];
		for (uint32_t i = 0; i < v->ntrace; i++) {
			char name[64];
			json_object *e = json_object_new_object();
			json_object_object_add(e, "name",
					       json_object_new_string(event_name(v->trace[i].code, name, 64)));
			json_object_object_add(e, "ph", json_object_new_string("X"));
			json_object_object_add(e, "ts", json_object_new_double((double)v->trace[i].start_ns / 1000.0));
			json_object_object_add(e, "dur", json_object_new_double((double)v->trace[i].dur_ns / 1000.0));
			json_object_object_add(e, "pid", json_object_new_int(1));
			json_object_object_add(e, "tid", json_object_new_int((int)c));
			json_object_array_add(events, e);
		}
	}
	/* json-c reports failure without errno for short writes (a full disk): -EIO then. */
	errno = 0;
	int rc = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PLAIN) ? (errno ? -errno : -EIO) : 0;
	json_object_put(root);
	return rc;
}
