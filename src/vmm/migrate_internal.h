/* SPDX-License-Identifier: MIT */
/*
 * Live migration inside the VMM (docs/migration.md, "The VMM stream"): the byte layouts of the VMM's own stream
 * sections and back-channel messages (migrate_state.c), the socket I/O (migrate_wire.c), the source
 * (migrate_src.c) and the destination (migrate_dst.c).  The stream framing is <snpemu/migrate.h>; the firmware's
 * records are fw.h's; the engine's state is hv.h's.
 */
#ifndef SNPEMU_VMM_MIGRATE_INTERNAL_H
#define SNPEMU_VMM_MIGRATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/migrate.h>

#include "vmm/vmm_internal.h"

/* ---- migrate_state.c: section payloads the VMM defines (parsers of received bytes: fuzz/vmm_migrate_state.c) */

#define VMM_MIG_STATE_VERSION 2u /* 2: the VCPU section carries x87/SSE state */

/* CONFIG: what the destination must build before it can receive anything (backend-independent). */
struct vmm_mig_config {
	uint32_t vm_type; /* HV_VM_TYPE_SNP (the only one that migrates) */
	uint32_t vcpus;	  /* 1..SNPEMU_MAX_VCPUS */
	uint32_t flags;	  /* VMM_MIG_CONFIG_* */
	uint32_t product; /* enum fw_product: the destination platform must be of the same line */
	uint64_t mem_size;
};
#define VMM_MIG_CONFIG_VC   (1u << 0) /* tcg #VC mode: guest code expects #VC for CPUID, port IO, MSRs */
#define VMM_MIG_CONFIG_SIZE 32u
/* 0, or -ENOSPC (encode) / -EPROTO with the reason in why (decode: version, length, a value out of range). */
int vmm_mig_config_encode(const struct vmm_mig_config *c, uint8_t *buf, size_t cap, size_t *len);
int vmm_mig_config_decode(const uint8_t *buf, size_t len, struct vmm_mig_config *c, char *why, size_t why_len);

/* VCPU: the backend-neutral vCPU state (backend.h) then the engine's vCPU state (hv.h), HV_VCPU_STATE_SIZE bytes. */
#define VMM_MIG_VCPU_REGS_SIZE 864u /* 440 bytes of registers, 424 of x87/SSE state */
#define VMM_MIG_VCPU_SIZE      (VMM_MIG_VCPU_REGS_SIZE + HV_VCPU_STATE_SIZE)
int vmm_mig_vcpu_encode(const struct vmm_vcpu_state *st, const uint8_t *engine, size_t engine_len, uint8_t *buf,
			size_t cap, size_t *len);
/* Checks the VMM part (version, known valid bits, AP state, id below nvcpus, a running vCPU's CPL-3 code segment,
 * 16-bit selectors and descriptor limits) and points *engine at the engine part, which hv_vcpu_state_import
 * checks.  0 or -EPROTO with why. */
int vmm_mig_vcpu_decode(const uint8_t *buf, size_t len, uint32_t nvcpus, struct vmm_vcpu_state *st,
			const uint8_t **engine, char *why, size_t why_len);

/* Back channel, destination to source: messages {u32 type, u32 length, payload}. */
enum vmm_mig_msg_type {
	VMM_MIG_MSG_OFFER = 1,	/* the destination firmware's offer (fw_migrate_offer) */
	VMM_MIG_MSG_RESULT = 2, /* i32 LE: 0 = the guest was received and verified (the ACK), else -errno */
};
#define VMM_MIG_MSG_HDR_SIZE 8u
/* The payload length of a message header of the expected type: 0, or -EPROTO (another type, a length out of the
 * type's bounds). */
int vmm_mig_msg_check(const uint8_t hdr[VMM_MIG_MSG_HDR_SIZE], uint32_t want_type, uint32_t *len);

/* ---- migrate_wire.c: the socket ---- */

#define VMM_MIG_TIMEOUT_MS 30000 /* how long either side waits for the peer's next bytes */

/* The source's stream output: sections are buffered and sent in large writes (MSG_NOSIGNAL: a peer that closed is
 * -EPIPE, never SIGPIPE).  A mig_sink_fn over it: vmm_mig_out_sink. */
struct vmm_mig_out {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	uint64_t bytes; /* sent on the socket so far */
	int error;	/* sticky -errno */
};
int vmm_mig_out_init(struct vmm_mig_out *o, int fd);
int vmm_mig_out_sink(void *opaque, const void *buf, size_t len);
int vmm_mig_out_flush(struct vmm_mig_out *o);
void vmm_mig_out_release(struct vmm_mig_out *o);

/* The destination's stream input over a mig_reader: the next section or the end. */
struct vmm_mig_in {
	int fd;
	struct mig_reader reader;
	uint8_t *buf;
	size_t start, len, cap; /* unparsed bytes are buf[start, len) */
	uint64_t bytes;		/* read from the socket */
	bool eof;
	int timeout_ms; /* the longest wait for the next bytes (VMM_MIG_TIMEOUT_MS; -1: no limit) */
};
int vmm_mig_in_init(struct vmm_mig_in *in, int fd);
/* MIG_SECTION (sec filled: a view valid until the next call) or MIG_DONE, or -errno with a one-line reason in why:
 * -EPROTO for a stream the reader refuses (truncation included), -ETIMEDOUT, or the socket's error. */
int vmm_mig_in_next(struct vmm_mig_in *in, struct mig_section *sec, char *why, size_t why_len);
void vmm_mig_in_release(struct vmm_mig_in *in);

int vmm_mig_send_msg(int fd, uint32_t type, const void *payload, uint32_t len);
/* Receive one message of `want_type` into buf[cap] (*len bytes).  -EPROTO (another type, bad length), -ECONNRESET
 * (the peer closed), -ETIMEDOUT; a RESULT in its place carries the destination's refusal: its -errno. */
int vmm_mig_recv_msg(int fd, uint32_t want_type, uint8_t *buf, size_t cap, size_t *len);

/* Source, between passes: 0 while the destination has said nothing, else why it gave up (its RESULT's -errno,
 * -ECONNRESET when it closed), without waiting. */
int vmm_mig_peer_gave_up(int fd);

/* ---- migrate_src.c / migrate_dst.c ---- */

/* Source, on the thread that runs the VM (vmm_run, instead of vmm_vcpus_start): announces the VM (CONFIG) and
 * waits for the destination's offer, starts the vCPUs, waits until the guest has run for cfg.migration->after_ns
 * (or stopped), then migrates.  On success the VM is stopped (res->migrated_out); on failure the guest runs on
 * here, res->migrate_error = the -errno, a message on vm->err; a guest that ends before its time to move is
 * not migrated (neither flag set).  Returns vmm_vcpus_start's result: 0 when the vCPUs run (then join them). */
int vmm_migrate_source(struct vmm_vm *vm);
/* Destination: receives the VM on cfg->migration->fd (vm zeroed by the caller), then starts its vCPUs.  0, or
 * -errno with a message on the error stream: nothing runs. */
int vmm_migrate_receive(struct vmm_vm *vm, const struct vmm_config *cfg, struct vmm_result *res);

#endif
