/* SPDX-License-Identifier: MIT */
/* The engine's conformance table: row type, field masks and the helpers rows share (conformance.c runs them). */
#ifndef SNPEMU_TESTS_HV_CONFORMANCE_H
#define SNPEMU_TESTS_HV_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/svm_exit.h>

#include "env.h"

enum {
	V_CPL = 1u << 0,
	V_XSS = 1u << 1,
	V_RAX = 1u << 2,
	V_RBX = 1u << 3,
	V_RCX = 1u << 4,
	V_RDX = 1u << 5,
	V_RSI = 1u << 6,
	V_CODE = 1u << 7,
	V_I1 = 1u << 8,
	V_I2 = 1u << 9,
	V_SCR = 1u << 10,
	V_XCR0 = 1u << 11,
	V_NFIELDS = 12,
};
#define BASE (V_CODE | V_I1 | V_I2)

#define ES  HV_VM_TYPE_SEV_ES
#define SNP HV_VM_TYPE_SNP

enum { CHK_DEFAULT = 0, CHK_NONE = 1 };

struct row {
	const char *name;
	uint32_t type;
	unsigned int opts;
	uint16_t version;
	uint64_t msr; /* MSR-protocol request; 0 = NAE row */
	uint64_t code, info1, info2;
	uint32_t in;   /* valid fields besides BASE */
	uint32_t drop; /* fields of BASE|in marked invalid */
	uint64_t rax, rbx, rcx, rdx, rsi, xcr0, xss, scratch;
	uint8_t cpl;
	uint32_t usage;
	void (*prep)(struct env *e);
	uint32_t exit; /* expected exit of the first call; 0 = resume */
	const char *(*check1)(struct env *e);
	int (*respond)(struct env *e);
	uint8_t chk;
	uint64_t e1, e2;
	uint32_t evalid; /* exact response valid set; 0 = V_I1|V_I2 */
	uint64_t emsr;
	const char *(*check)(struct env *e);
};

/* Failure text of the last check. */
extern char conf_why[256];
#define FAIL(...) (snprintf(conf_why, sizeof(conf_why), __VA_ARGS__), conf_why)

/* SW_EXITINFO1 of IOIO (APM vol 2 Figure 15-2) as constant expressions: port, size, A64, REP, STR, IN. */
#define IO_INFO(port, size, in, str) ((uint64_t)(port) << 16 | (uint64_t)(size) << 4 | 1u << 9 | (str)*0xCu | (in))
#define IO_OUT(port, size)	     IO_INFO(port, size, 0u, 0u)
#define IO_IN(port, size)	     IO_INFO(port, size, 1u, 0u)
#define IO_OUTS(port, size)	     IO_INFO(port, size, 0u, 1u)
#define IO_INS(port, size)	     IO_INFO(port, size, 1u, 1u)
#define MALFORMED(reason)	     .e1 = GHCB_HV_RESP_MALFORMED_INPUT, .e2 = (reason)
#define GP			     .e1 = GHCB_HV_RESP_ISSUE_EXCEPTION, .e2 = GHCB_EXCEPTION_GP
#define REGS4			     .evalid = V_I1 | V_I2 | V_RAX | V_RBX | V_RCX | V_RDX
#define MMIO_W(len, scr) \
	.code = SVM_VMGEXIT_MMIO_WRITE, .info1 = 0xFED00000, .info2 = (len), .in = V_SCR, .scratch = (scr)

/* Shared VMM completions and checks (conformance_util.c). */
extern unsigned int conf_exits; /* exits seen by the last loop completion */
int resp_plain(struct env *e);
int resp_io_loop(struct env *e);
int resp_mmio_loop(struct env *e);
const char *expect_io(struct env *e, uint8_t dir, uint8_t size, uint16_t port, uint32_t count);
const char *c_two_exits(struct env *e);
const char *c_rax_rdx(struct env *e, uint64_t rax, uint64_t rdx);
const char *c_rax(struct env *e, uint64_t v);
const char *c_term(struct env *e, uint32_t ndata, const uint64_t *d);
const char *c_memfault(struct env *e, uint64_t flags, uint64_t gpa, uint64_t size);

/* The rows, by theme. */
extern const struct row conf_rows_nae[];
extern const size_t conf_rows_nae_n;
extern const struct row conf_rows_exits[];
extern const size_t conf_rows_exits_n;

#endif
