/* SPDX-License-Identifier: MIT */
/* Per-event statistics: per-vCPU atomic counters, summed with the retired totals on read (hv.h). */
#include <time.h>

#include "hv_internal.h"

uint64_t hv_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned int slot_count(void)
{
	return hv_nae_row_count + hv_msr_proto_row_count + 1;
}

unsigned int hv_stat_slot_other(void)
{
	return hv_nae_row_count + hv_msr_proto_row_count;
}

size_t hv_vm_get_stats(struct hv_vm *vm, struct hv_exit_stat *out, size_t cap)
{
	unsigned int n = slot_count();
	if (!vm)
		return 0;
	if (!out)
		cap = 0;
	pthread_mutex_lock(&vm->vcpus_lock);
	for (unsigned int i = 0; i < n && i < cap; i++) {
		struct hv_exit_stat *s = &out[i];
		if (i < hv_nae_row_count) {
			s->kind = HV_STAT_NAE;
			s->code = hv_nae_rows[i].code;
			s->name = hv_nae_rows[i].name;
		} else if (i < hv_nae_row_count + hv_msr_proto_row_count) {
			s->kind = HV_STAT_MSR_PROTOCOL;
			s->code = hv_msr_proto_rows[i - hv_nae_row_count].info;
			s->name = hv_msr_proto_rows[i - hv_nae_row_count].name;
		} else {
			s->kind = HV_STAT_OTHER;
			s->code = 0;
			s->name = "OTHER";
		}
		s->count = vm->retired_count[i];
		s->total_ns = vm->retired_ns[i];
		for (struct hv_vcpu *v = vm->vcpus; v; v = v->next) {
			s->count += atomic_load_explicit(&v->stats[i].count, memory_order_relaxed);
			s->total_ns += atomic_load_explicit(&v->stats[i].total_ns, memory_order_relaxed);
		}
	}
	pthread_mutex_unlock(&vm->vcpus_lock);
	return n;
}
