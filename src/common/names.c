/* SPDX-License-Identifier: MIT */
/* Name tables for the ABI's numbers. */
#include <stddef.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/run.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/names.h>

struct name64 {
	uint64_t value;
	const char *name;
};

#define N(prefix, x)          \
	{                     \
		prefix##x, #x \
	}
static const struct name64 exit_code_names[] = {
    N(SVM_EXIT_, READ_DR7),
    N(SVM_EXIT_, WRITE_DR7),
    N(SVM_EXIT_, RDTSC),
    N(SVM_EXIT_, RDPMC),
    N(SVM_EXIT_, CPUID),
    N(SVM_EXIT_, INVD),
    N(SVM_EXIT_, IOIO),
    N(SVM_EXIT_, MSR),
    N(SVM_EXIT_, VMMCALL),
    N(SVM_EXIT_, RDTSCP),
    N(SVM_EXIT_, WBINVD),
    N(SVM_EXIT_, MONITOR),
    N(SVM_EXIT_, MWAIT),
    N(SVM_EXIT_, XSETBV),
    N(SVM_EXIT_, NPF),
    N(SVM_EXIT_, VMGEXIT),
    N(SVM_VMGEXIT_, MMIO_READ),
    N(SVM_VMGEXIT_, MMIO_WRITE),
    N(SVM_VMGEXIT_, NMI_COMPLETE),
    N(SVM_VMGEXIT_, AP_HLT_LOOP),
    N(SVM_VMGEXIT_, AP_JUMP_TABLE),
    N(SVM_VMGEXIT_, PSC),
    N(SVM_VMGEXIT_, GUEST_REQUEST),
    N(SVM_VMGEXIT_, EXT_GUEST_REQUEST),
    N(SVM_VMGEXIT_, AP_CREATION),
    N(SVM_VMGEXIT_, SNP_RUN_VMPL),
    N(SVM_VMGEXIT_, SAVIC),
    N(SVM_VMGEXIT_, HV_FEATURES),
    N(SVM_VMGEXIT_, TERM_REQUEST),
    N(SVM_VMGEXIT_, UNSUPPORTED_EVENT),
};

static const struct name64 ghcb_err_names[] = {
    N(GHCB_ERR_, NOT_REGISTERED), N(GHCB_ERR_, INVALID_USAGE), N(GHCB_ERR_, INVALID_SCRATCH_AREA),
    N(GHCB_ERR_, MISSING_INPUT),  N(GHCB_ERR_, INVALID_INPUT), N(GHCB_ERR_, INVALID_EVENT),
};

static const struct name64 fw_status_names[] = {
    N(SEV_RET_, SUCCESS),
    N(SEV_RET_, INVALID_PLATFORM_STATE),
    N(SEV_RET_, INVALID_GUEST_STATE),
    N(SEV_RET_, INVALID_CONFIG),
    N(SEV_RET_, INVALID_LEN),
    N(SEV_RET_, ALREADY_OWNED),
    N(SEV_RET_, INVALID_CERTIFICATE),
    N(SEV_RET_, POLICY_FAILURE),
    N(SEV_RET_, INACTIVE),
    N(SEV_RET_, INVALID_ADDRESS),
    N(SEV_RET_, BAD_SIGNATURE),
    N(SEV_RET_, BAD_MEASUREMENT),
    N(SEV_RET_, ASID_OWNED),
    N(SEV_RET_, INVALID_ASID),
    N(SEV_RET_, WBINVD_REQUIRED),
    N(SEV_RET_, DFFLUSH_REQUIRED),
    N(SEV_RET_, INVALID_GUEST),
    N(SEV_RET_, INVALID_COMMAND),
    N(SEV_RET_, ACTIVE),
    N(SEV_RET_, HWSEV_RET_PLATFORM),
    N(SEV_RET_, HWSEV_RET_UNSAFE),
    N(SEV_RET_, UNSUPPORTED),
    N(SEV_RET_, INVALID_PARAM),
    N(SEV_RET_, RESOURCE_LIMIT),
    N(SEV_RET_, SECURE_DATA_INVALID),
    N(SEV_RET_, INVALID_PAGE_SIZE),
    N(SEV_RET_, INVALID_PAGE_STATE),
    N(SEV_RET_, INVALID_MDATA_ENTRY),
    N(SEV_RET_, INVALID_PAGE_OWNER),
    N(SEV_RET_, AEAD_OFLOW),
    N(SEV_RET_, EXIT_RING_BUFFER),
    N(SEV_RET_, RMP_INIT_REQUIRED),
    N(SEV_RET_, BAD_SVN),
    N(SEV_RET_, BAD_VERSION),
    N(SEV_RET_, SHUTDOWN_REQUIRED),
    N(SEV_RET_, UPDATE_FAILED),
    N(SEV_RET_, RESTORE_REQUIRED),
    N(SEV_RET_, RMP_INITIALIZATION_FAILED),
    N(SEV_RET_, INVALID_KEY),
    N(SEV_RET_, SHUTDOWN_INCOMPLETE),
    N(SEV_RET_, NO_FW_CALL),
};

static const struct name64 exit_reason_names[] = {
    N(SNPEMU_EXIT_, UNKNOWN),	    N(SNPEMU_EXIT_, IO),	   N(SNPEMU_EXIT_, HYPERCALL),
    N(SNPEMU_EXIT_, MMIO),	    N(SNPEMU_EXIT_, SHUTDOWN),	   N(SNPEMU_EXIT_, INTERNAL_ERROR),
    N(SNPEMU_EXIT_, SYSTEM_EVENT),  N(SNPEMU_EXIT_, X86_RDMSR),	   N(SNPEMU_EXIT_, X86_WRMSR),
    N(SNPEMU_EXIT_, AP_RESET_HOLD), N(SNPEMU_EXIT_, MEMORY_FAULT), N(SNPEMU_EXIT_, SNP_REQ_CERTS),
};

static const struct name64 msr_info_names[] = {
    N(GHCB_MSR_, SEV_INFO_RESP), N(GHCB_MSR_, SEV_INFO_REQ),	  N(GHCB_MSR_, CPUID_REQ),
    N(GHCB_MSR_, CPUID_RESP),	 N(GHCB_MSR_, AP_RESET_HOLD_REQ), N(GHCB_MSR_, AP_RESET_HOLD_RESP),
    N(GHCB_MSR_, PREF_GPA_REQ),	 N(GHCB_MSR_, PREF_GPA_RESP),	  N(GHCB_MSR_, REG_GPA_REQ),
    N(GHCB_MSR_, REG_GPA_RESP),	 N(GHCB_MSR_, PSC_REQ),		  N(GHCB_MSR_, PSC_RESP),
    N(GHCB_MSR_, VMPL_REQ),	 N(GHCB_MSR_, VMPL_RESP),	  N(GHCB_MSR_, HV_FT_REQ),
    N(GHCB_MSR_, HV_FT_RESP),	 N(GHCB_MSR_, TERM_REQ),
};
#undef N

static const char *lookup(const struct name64 *t, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

#define LOOKUP(table, v) lookup(table, sizeof(table) / sizeof(table[0]), (v))

const char *snpemu_exit_code_name(uint64_t sw_exit_code)
{
	return LOOKUP(exit_code_names, sw_exit_code);
}

const char *snpemu_ghcb_err_name(uint64_t reason)
{
	return LOOKUP(ghcb_err_names, reason);
}

const char *snpemu_fw_status_name(uint32_t status)
{
	return LOOKUP(fw_status_names, status);
}

const char *snpemu_exit_reason_name(uint32_t exit_reason)
{
	return LOOKUP(exit_reason_names, exit_reason);
}

const char *snpemu_msr_info_name(uint32_t info)
{
	return LOOKUP(msr_info_names, info);
}
