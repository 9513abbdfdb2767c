/* SPDX-License-Identifier: MIT */
/* Completions and checks shared by the conformance rows. */
#include <string.h>

#include "conformance.h"

char conf_why[256];
unsigned int conf_exits;

int resp_plain(struct env *e)
{
	return hv_vcpu_vmgexit(e->vcpu);
}

int resp_io_loop(struct env *e)
{
	int r = 0;
	uint32_t base = 0;
	conf_exits = 1;
	for (;;) {
		if (e->run->io.direction == SNPEMU_EXIT_IO_IN)
			for (uint32_t i = 0; i < e->run->io.count * e->run->io.size; i++)
				e->run->pio_data[i] = (uint8_t)(base + i);
		base += e->run->io.count * e->run->io.size;
		r = hv_vcpu_vmgexit(e->vcpu);
		if (r != 0 || e->run->exit_reason != SNPEMU_EXIT_IO)
			return r;
		conf_exits++;
	}
}

int resp_mmio_loop(struct env *e)
{
	int r = 0;
	conf_exits = 1;
	for (;;) {
		if (!e->run->mmio.is_write)
			for (uint32_t i = 0; i < e->run->mmio.len; i++)
				e->run->mmio.data[i] = (uint8_t)(e->run->mmio.phys_addr + i);
		r = hv_vcpu_vmgexit(e->vcpu);
		if (r != 0 || e->run->exit_reason != SNPEMU_EXIT_MMIO)
			return r;
		conf_exits++;
	}
}

const char *expect_io(struct env *e, uint8_t dir, uint8_t size, uint16_t port, uint32_t count)
{
	const struct snpemu_run *r = e->run;
	if (r->io.direction != dir || r->io.size != size || r->io.port != port || r->io.count != count ||
	    r->io.data_offset != SNPEMU_RUN_PIO_OFFSET)
		return FAIL("io dir %u size %u port %#x count %u off %llu", r->io.direction, r->io.size, r->io.port,
			    r->io.count, (unsigned long long)r->io.data_offset);
	return NULL;
}

const char *c_two_exits(struct env *e)
{
	return conf_exits == 2 ? NULL : FAIL("%u exits", conf_exits);
}

const char *c_rax_rdx(struct env *e, uint64_t rax, uint64_t rdx)
{
	struct ghcb *g = env_ghcb(e);
	if (ghcb_get_rax(g) != rax || ghcb_get_rdx(g) != rdx)
		return FAIL("rax %#llx rdx %#llx", (unsigned long long)ghcb_get_rax(g),
			    (unsigned long long)ghcb_get_rdx(g));
	return NULL;
}

const char *c_rax(struct env *e, uint64_t v)
{
	uint64_t rax = ghcb_get_rax(env_ghcb(e));
	return rax == v ? NULL : FAIL("rax %#llx want %#llx", (unsigned long long)rax, (unsigned long long)v);
}

const char *c_term(struct env *e, uint32_t ndata, const uint64_t *d)
{
	const struct snpemu_run *r = e->run;
	if (r->exit_reason != SNPEMU_EXIT_SYSTEM_EVENT || r->system_event.type != SNPEMU_SYSTEM_EVENT_SEV_TERM ||
	    r->system_event.ndata != ndata)
		return FAIL("exit %u type %u ndata %u", r->exit_reason, r->system_event.type, r->system_event.ndata);
	for (uint32_t i = 0; i < ndata; i++)
		if (r->system_event.data[i] != d[i])
			return FAIL("data[%u] = %#llx", i, (unsigned long long)r->system_event.data[i]);
	return NULL;
}

const char *c_memfault(struct env *e, uint64_t flags, uint64_t gpa, uint64_t size)
{
	const struct snpemu_run *r = e->run;
	if (r->memory_fault.flags != flags || r->memory_fault.gpa != gpa || r->memory_fault.size != size)
		return FAIL("fault flags %#llx gpa %#llx size %#llx", (unsigned long long)r->memory_fault.flags,
			    (unsigned long long)r->memory_fault.gpa, (unsigned long long)r->memory_fault.size);
	return NULL;
}
