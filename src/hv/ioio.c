/* SPDX-License-Identifier: MIT */
/*
 * IOIO NAE (spec §6): IN/OUT through RAX, string forms through the scratch area, as KVM_EXIT_IO exits with the
 * data in the run structure's PIO page.  String transfers are split into exits of at most 4096/size elements
 * (kvm_sev_es_string_io).
 */
#include <limits.h>
#include <string.h>

#include <snpemu/abi/svm_exit.h>

#include "hv_internal.h"

static int io_exit(struct hv_vcpu *v, uint32_t count, hv_step_fn complete)
{
	const struct hv_io_state *io = &v->ev.io;
	struct snpemu_run *run = v->run;
	run->exit_reason = SNPEMU_EXIT_IO;
	run->io.direction = io->in ? SNPEMU_EXIT_IO_IN : SNPEMU_EXIT_IO_OUT;
	run->io.size = io->size;
	run->io.port = io->port;
	run->io.count = count;
	run->io.data_offset = SNPEMU_RUN_PIO_OFFSET;
	v->complete = complete;
	return 0;
}

static int string_next(struct hv_vcpu *v);

static int string_complete(struct hv_vcpu *v)
{
	struct hv_io_state *io = &v->ev.io;
	if (io->in)
		memcpy(v->scratch.buf + io->done * io->size, v->run->pio_data, (size_t)io->chunk * io->size);
	io->done += io->chunk;
	return string_next(v);
}

static int string_next(struct hv_vcpu *v)
{
	struct hv_io_state *io = &v->ev.io;
	if (io->done == io->count)
		return hv_nae_finish(v);
	uint64_t left = io->count - io->done;
	uint64_t max = SNPEMU_RUN_PIO_SIZE / io->size;
	io->chunk = (uint32_t)(left < max ? left : max);
	if (!io->in)
		memcpy(v->run->pio_data, v->scratch.buf + io->done * io->size, (size_t)io->chunk * io->size);
	return io_exit(v, io->chunk, string_complete);
}

static int single_complete(struct hv_vcpu *v)
{
	const struct hv_io_state *io = &v->ev.io;
	if (io->in) {
		/* complete_fast_pio_in: sizes below 4 keep the upper bytes of RAX, size 4 zero-extends. */
		uint64_t rax = io->size < 4 ? v->snap.rax : 0;
		uint64_t val = 0;
		for (unsigned int i = 0; i < io->size; i++)
			val |= (uint64_t)v->run->pio_data[i] << (8 * i);
		uint64_t mask = (1ull << (8 * io->size)) - 1;
		hv_resp_set(v, HV_F_RAX, (rax & ~mask) | val);
	}
	return hv_nae_finish(v);
}

int hv_nae_ioio(struct hv_vcpu *v)
{
	const struct hv_snapshot *s = &v->snap;
	unsigned int size = svm_ioio_size(s->info1);
	/* KVM passes the raw size field on; an operand size other than 1, 2 or 4 is not an I/O the VMM can act on,
	 * so the guest is told its input is invalid. */
	if (!size)
		return hv_nae_error(v, GHCB_ERR_INVALID_INPUT);
	struct hv_io_state *io = &v->ev.io;
	*io = (struct hv_io_state){.port = svm_ioio_port(s->info1),
				   .size = (uint8_t)size,
				   .in = (s->info1 & SVM_IOIO_TYPE_MASK) != 0,
				   .string = (s->info1 & SVM_IOIO_STR_MASK) != 0};
	if (io->string) {
		/* KVM fails KVM_RUN (-EINVAL) for count > INT_MAX; a guest mistake is answered instead (rule 1). */
		if (s->info2 > INT_MAX)
			return hv_nae_error(v, GHCB_ERR_INVALID_INPUT);
		io->count = s->info2;
		int r = hv_scratch_setup(v, io->count * size, io->in);
		if (r != HV_CONTINUE)
			return r;
		return string_next(v);
	}
	io->count = 1;
	if (!io->in)
		for (unsigned int i = 0; i < size; i++)
			v->run->pio_data[i] = (uint8_t)(s->rax >> (8 * i));
	return io_exit(v, 1, single_complete);
}
