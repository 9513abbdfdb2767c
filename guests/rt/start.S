/* SPDX-License-Identifier: MIT */
/*
 * Entry of every guest program on the kvm backend (protocol: rt_abi.h).  Each vCPU arrives here with RDI = its
 * index and RSI = the VMM's boot argument, picks its own stack from rt_stacks and calls
 * gst_rt_main(cpu_id, arg); a return ends the program with that status through rt_exit().
 */
#include "rt_abi.h"

	.section .text.start, "ax"
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	cmpq $SNPEMU_MAX_VCPUS, %rdi
	jae 2f
	leaq 1(%rdi), %rax
	imulq $RT_STACK_SIZE, %rax
	leaq rt_stacks(%rip), %rsp
	addq %rax, %rsp		/* top of this vCPU's stack, 16-byte aligned */
	xorl %ebp, %ebp		/* end of frame-pointer chains */
	call gst_rt_main	/* RDI, RSI passed through */
	movl %eax, %edi
	call rt_exit
1:	hlt			/* rt_exit does not return */
	jmp 1b
2:	movl $SNPEMU_STATUS_BAD_CPU, %eax
	movl $SNPEMU_PORT_EXIT, %edx
	outl %eax, %dx
	jmp 1b
	.size _start, . - _start

	.section .bss.stacks, "aw", @nobits
	.balign 4096
	.globl rt_stacks
rt_stacks:
	.skip RT_STACK_SIZE * SNPEMU_MAX_VCPUS
	.size rt_stacks, . - rt_stacks

	.section .note.GNU-stack, "", @progbits
