/* SPDX-License-Identifier: MIT */
/* Conformance rows for MSR exits, hypercalls, termination and the MSR protocol (spec §4, §7, §9, §11). */
#include <string.h>

#include "conformance.h"

static const char *c_term_nae(struct env *e)
{
	const uint64_t d[] = {GHCB_GPA, 1, 0x23, 0xDEAD};
	return c_term(e, 4, d);
}

static void prep_msr_policy(struct env *e)
{
	const struct hv_msr_rule rules[] = {
	    {0x10, 0x10, HV_MSR_CONST, 0x1122334455667788ull},
	    {0x20, 0x2F, HV_MSR_GP, 0},
	    {0x30, 0x30, HV_MSR_IGNORE, 0xABCDull},
	    {0x40, 0x40, HV_MSR_EXIT, 0},
	};
	hv_vm_set_msr_policy(e->vm, rules, 4, HV_MSR_EXIT);
}

/* Hypervisor CPUID leaves laid out as QEMU does with hv-* options: Hyper-V's at 0x40000000 ("Microsoft Hv", the
 * "Hv#1" interface signature at 0x40000001, whose EAX has bit 16 set), KVM's at 0x40000100 when `kvm` is set, with
 * the features leaf 0x40000101 advertising `kvm_features`. */
static void set_hyperv_cpuid(struct env *e, bool kvm, uint32_t kvm_features)
{
	const struct hv_cpuid_entry cpuid[] = {
	    {.function = 0x40000000, .eax = 0x4000000A, .ebx = 0x7263694D, .ecx = 0x666F736F, .edx = 0x76482074},
	    {.function = 0x40000001, .eax = 0x31237648 /* "Hv#1" */},
	    {.function = 0x40000100,
	     .eax = 0x40000101,
	     .ebx = kvm ? 0x4B4D564B : 0,
	     .ecx = kvm ? 0x564B4D56 : 0,
	     .edx = kvm ? 0x4D : 0},
	    {.function = 0x40000101, .eax = kvm_features},
	};
	hv_vm_set_cpuid(e->vm, cpuid, sizeof(cpuid) / sizeof(cpuid[0]));
}
static void prep_hyperv_kvm_pv(struct env *e)
{
	set_hyperv_cpuid(e, true, 1u << 16);
}
static void prep_hyperv_kvm_no_pv(struct env *e)
{
	set_hyperv_cpuid(e, true, 0);
}
static void prep_hyperv_only(struct env *e)
{
	set_hyperv_cpuid(e, false, 1u << 16);
}
/* KVM's features leaf at 0x40000001 with bit 16, but no signature at 0x40000000: not KVM's leaves. */
static void prep_no_kvm_signature(struct env *e)
{
	const struct hv_cpuid_entry cpuid[] = {{.function = 0x40000000, .eax = 0x40000001},
					       {.function = 0x40000001, .eax = 1u << 16}};
	hv_vm_set_cpuid(e->vm, cpuid, 2);
}

static void prep_msr_default_gp(struct env *e)
{
	hv_vm_set_msr_policy(e->vm, NULL, 0, HV_MSR_GP);
}

static int resp_rdmsr(struct env *e)
{
	e->run->msr.data = 0x8877665544332211ull;
	return hv_vcpu_vmgexit(e->vcpu);
}

static int resp_msr_error(struct env *e)
{
	e->run->msr.error = 1;
	return hv_vcpu_vmgexit(e->vcpu);
}

static int resp_hc(struct env *e)
{
	e->run->hypercall.ret = 0x5A;
	return hv_vcpu_vmgexit(e->vcpu);
}

static int resp_again(struct env *e)
{
	/* A terminated vCPU delivers the same exit again. */
	return hv_vcpu_vmgexit(e->vcpu) == 0 ? 1 : -1;
}

static const char *c1_rdmsr(struct env *e)
{
	const struct snpemu_run *r = e->run;
	return (r->msr.index == 0xC0000080 && r->msr.reason == SNPEMU_MSR_EXIT_REASON_UNKNOWN) ? NULL
											       : FAIL("msr exit");
}

static const char *c1_wrmsr(struct env *e)
{
	const struct snpemu_run *r = e->run;
	return (r->msr.index == 0x40 && r->msr.data == 0x0000000500000006ull &&
		r->msr.reason == SNPEMU_MSR_EXIT_REASON_FILTER)
		   ? NULL
		   : FAIL("index %#x data %#llx", r->msr.index, (unsigned long long)r->msr.data);
}

static const char *c_rdmsr_value(struct env *e)
{
	return c_rax_rdx(e, 0x44332211, 0x88776655);
}

static const char *c_const_value(struct env *e)
{
	return c_rax_rdx(e, 0x55667788, 0x11223344);
}

static const char *c_ignore_value(struct env *e)
{
	return c_rax_rdx(e, 0xABCD, 0);
}

static const char *c_sev_status_es(struct env *e)
{
	return c_rax_rdx(e, 3, 0);
}

static const char *c_sev_status_snp(struct env *e)
{
	return c_rax_rdx(e, 7, 0);
}

static const char *c_eperm(struct env *e)
{
	return c_rax(e, (uint64_t)-1);
}

static const char *c_enosys(struct env *e)
{
	return c_rax(e, (uint64_t)-1000);
}

static const char *c_einval(struct env *e)
{
	return c_rax(e, (uint64_t)-22);
}

static const char *c_hc_ret(struct env *e)
{
	return c_rax(e, 0x5A);
}

static const char *c1_hc(struct env *e)
{
	const struct snpemu_run *r = e->run;
	if (r->hypercall.nr != 12 || r->hypercall.args[0] != 0x200000 || r->hypercall.args[1] != 16 ||
	    r->hypercall.args[2] != (SNPEMU_MAP_GPA_RANGE_ENCRYPTED | SNPEMU_MAP_GPA_RANGE_PAGE_SZ_4K) ||
	    r->hypercall.ret != 0 || r->hypercall.flags != SNPEMU_EXIT_HYPERCALL_LONG_MODE)
		return FAIL("hypercall exit fields");
	return NULL;
}

static const char *c_term_msr0(struct env *e)
{
	const uint64_t d[] = {0x100, 0, 0};
	return c_term(e, 3, d);
}

static const char *c_term_msr(struct env *e)
{
	const uint64_t d[] = {0x00041100, 1, 4};
	return c_term(e, 3, d);
}

static const char *c_term_pref(struct env *e)
{
	const uint64_t d[] = {GHCB_MSR_PREF_GPA_REQ};
	return c_term(e, 1, d);
}

static const char *c_term_reg(struct env *e)
{
	const uint64_t d[] = {0x1012};
	return c_term(e, 1, d);
}

static const char *c_term_psc(struct env *e)
{
	const uint64_t d[] = {ghcb_msr_psc_req(0x80, 1)};
	return c_term(e, 1, d);
}

static const char *c_reg_gpa_then_nae(struct env *e)
{
	/* After REG_GPA the vCPU still answers NAEs at the same GHCB. */
	hv_vcpu_set_ghcb_msr(e->vcpu, GHCB_GPA);
	env_nae(e, SVM_VMGEXIT_HV_FEATURES, 0, 0);
	if (hv_vcpu_vmgexit(e->vcpu) != 1 || ghcb_get_sw_exit_info_2(env_ghcb(e)) != 3)
		return FAIL("NAE after REG_GPA");
	return NULL;
}

const struct row conf_rows_exits[] = {
    /* MSR NAE (spec §3/§4). */
    {"RDMSR default policy -> X86_RDMSR exit, RAX/RDX from VMM", ES, .code = SVM_EXIT_MSR, .in = V_RCX,
     .rcx = 0xC0000080, .exit = SNPEMU_EXIT_X86_RDMSR, .check1 = c1_rdmsr, .respond = resp_rdmsr,
     .evalid = V_I1 | V_I2 | V_RAX | V_RDX, .check = c_rdmsr_value},
    {"WRMSR rule EXIT -> X86_WRMSR exit with RDX:EAX", ES, .prep = prep_msr_policy, .code = SVM_EXIT_MSR, .info1 = 1,
     .in = V_RCX | V_RAX | V_RDX, .rcx = 0x40, .rax = 0xFFFFFFFF00000006ull, .rdx = 5, .exit = SNPEMU_EXIT_X86_WRMSR,
     .check1 = c1_wrmsr, .respond = resp_plain},
    {"RDMSR exit, VMM error -> #GP 0x8000030D", ES, .code = SVM_EXIT_MSR, .in = V_RCX, .rcx = 0x1234,
     .exit = SNPEMU_EXIT_X86_RDMSR, .respond = resp_msr_error, GP},
    {"WRMSR exit, VMM error -> #GP", SNP, .code = SVM_EXIT_MSR, .info1 = 1, .in = V_RCX | V_RAX | V_RDX, .rcx = 0x1234,
     .exit = SNPEMU_EXIT_X86_WRMSR, .respond = resp_msr_error, GP},
    {"RDMSR rule CONST answered by the engine", ES, .prep = prep_msr_policy, .code = SVM_EXIT_MSR, .in = V_RCX,
     .rcx = 0x10, .evalid = V_I1 | V_I2 | V_RAX | V_RDX, .check = c_const_value},
    {"WRMSR rule CONST -> #GP", ES, .prep = prep_msr_policy, .code = SVM_EXIT_MSR, .info1 = 1,
     .in = V_RCX | V_RAX | V_RDX, .rcx = 0x10, GP},
    {"RDMSR rule GP -> #GP", ES, .prep = prep_msr_policy, .code = SVM_EXIT_MSR, .in = V_RCX, .rcx = 0x2A, GP},
    {"WRMSR rule IGNORE accepted", ES, .prep = prep_msr_policy, .code = SVM_EXIT_MSR, .info1 = 1,
     .in = V_RCX | V_RAX | V_RDX, .rcx = 0x30},
    {"RDMSR rule IGNORE returns value", ES, .prep = prep_msr_policy, .code = SVM_EXIT_MSR, .in = V_RCX, .rcx = 0x30,
     .evalid = V_I1 | V_I2 | V_RAX | V_RDX, .check = c_ignore_value},
    {"RDMSR default GP policy", ES, .prep = prep_msr_default_gp, .code = SVM_EXIT_MSR, .in = V_RCX, .rcx = 0x99, GP},
    {"RDMSR SEV_STATUS on SEV-ES = 3", ES, .code = SVM_EXIT_MSR, .in = V_RCX, .rcx = 0xC0010131,
     .evalid = V_I1 | V_I2 | V_RAX | V_RDX, .check = c_sev_status_es},
    {"RDMSR SEV_STATUS on SNP = 7", SNP, .code = SVM_EXIT_MSR, .in = V_RCX, .rcx = 0xC0010131,
     .evalid = V_I1 | V_I2 | V_RAX | V_RDX, .check = c_sev_status_snp},
    {"MSR EXITINFO1 = 2 counts as write (needs RAX/RDX)", ES, .code = SVM_EXIT_MSR, .info1 = 2, .in = V_RCX,
     .rcx = 0x10, MALFORMED(GHCB_ERR_MISSING_INPUT)},
    /* Hypercalls (spec §9). */
    {"VMMCALL CPL 3 -> -KVM_EPERM", SNP, ENV_CPUID_PV | ENV_HC_ENABLE, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12, .cpl = 3, .rbx = 0x200000, .rcx = 16,
     .evalid = V_I1 | V_I2 | V_RAX, .check = c_eperm},
    {"VMMCALL CPL 3 unknown nr -> -KVM_EPERM first", SNP, .code = SVM_EXIT_VMMCALL, .in = V_RAX | V_CPL, .rax = 99,
     .cpl = 3, .evalid = V_I1 | V_I2 | V_RAX, .check = c_eperm},
    {"MAP_GPA_RANGE not enabled -> -KVM_ENOSYS", SNP, ENV_CPUID_PV, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12, .rbx = 0x200000, .rcx = 16, .evalid = V_I1 | V_I2 | V_RAX,
     .check = c_enosys},
    {"MAP_GPA_RANGE not in guest CPUID -> -KVM_ENOSYS", SNP, ENV_HC_ENABLE, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12, .rbx = 0x200000, .rcx = 16, .evalid = V_I1 | V_I2 | V_RAX,
     .check = c_enosys},
    {"MAP_GPA_RANGE unaligned gpa -> -KVM_EINVAL", SNP, ENV_CPUID_PV | ENV_HC_ENABLE, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12, .rbx = 0x200800, .rcx = 16, .evalid = V_I1 | V_I2 | V_RAX,
     .check = c_einval},
    {"MAP_GPA_RANGE npages 0 -> -KVM_EINVAL", SNP, ENV_CPUID_PV | ENV_HC_ENABLE, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12, .rbx = 0x200000, .rcx = 0, .evalid = V_I1 | V_I2 | V_RAX,
     .check = c_einval},
    {"MAP_GPA_RANGE gfn + npages wraps -> -KVM_EINVAL", SNP, ENV_CPUID_PV | ENV_HC_ENABLE, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12, .rbx = 0x200000, .rcx = ~0ull - 0x100,
     .evalid = V_I1 | V_I2 | V_RAX, .check = c_einval},
    {"MAP_GPA_RANGE -> HYPERCALL exit, ret to RAX", SNP, ENV_CPUID_PV | ENV_HC_ENABLE, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX | V_RDX, .rax = 12, .rbx = 0x200000, .rcx = 16,
     .rdx = SNPEMU_MAP_GPA_RANGE_ENCRYPTED, .exit = SNPEMU_EXIT_HYPERCALL, .check1 = c1_hc, .respond = resp_hc,
     .evalid = V_I1 | V_I2 | V_RAX, .check = c_hc_ret},
    {"MAP_GPA_RANGE on SEV-ES exits too", ES, ENV_CPUID_PV | ENV_HC_ENABLE, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX | V_RDX, .rax = 12, .rbx = 0x200000, .rcx = 16,
     .rdx = SNPEMU_MAP_GPA_RANGE_ENCRYPTED, .exit = SNPEMU_EXIT_HYPERCALL, .respond = resp_hc,
     .evalid = V_I1 | V_I2 | V_RAX, .check = c_hc_ret},
    /* The KVM leaves are found by signature (KVM kvm_get_hypervisor_cpuid, Linux kvm_cpuid_base). */
    {"MAP_GPA_RANGE: Hyper-V leaves first, KVM features at 0x40000101 -> exit", SNP, ENV_HC_ENABLE,
     .prep = prep_hyperv_kvm_pv, .code = SVM_EXIT_VMMCALL, .in = V_RAX | V_CPL | V_RBX | V_RCX | V_RDX, .rax = 12,
     .rbx = 0x200000, .rcx = 16, .rdx = SNPEMU_MAP_GPA_RANGE_ENCRYPTED, .exit = SNPEMU_EXIT_HYPERCALL, .check1 = c1_hc,
     .respond = resp_hc, .evalid = V_I1 | V_I2 | V_RAX, .check = c_hc_ret},
    {"MAP_GPA_RANGE: \"Hv#1\" at 0x40000001, KVM's 0x40000101 without it -> -KVM_ENOSYS", SNP, ENV_HC_ENABLE,
     .prep = prep_hyperv_kvm_no_pv, .code = SVM_EXIT_VMMCALL, .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12,
     .rbx = 0x200000, .rcx = 16, .evalid = V_I1 | V_I2 | V_RAX, .check = c_enosys},
    {"MAP_GPA_RANGE: Hyper-V leaves only (\"Hv#1\" has bit 16) -> -KVM_ENOSYS", SNP, ENV_HC_ENABLE,
     .prep = prep_hyperv_only, .code = SVM_EXIT_VMMCALL, .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12,
     .rbx = 0x200000, .rcx = 16, .evalid = V_I1 | V_I2 | V_RAX, .check = c_enosys},
    {"MAP_GPA_RANGE: bit 16 at 0x40000001 without the KVM signature -> -KVM_ENOSYS", SNP, ENV_HC_ENABLE,
     .prep = prep_no_kvm_signature, .code = SVM_EXIT_VMMCALL, .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12,
     .rbx = 0x200000, .rcx = 16, .evalid = V_I1 | V_I2 | V_RAX, .check = c_enosys},
    /* The gate off (HV_VM_FLAG_MAP_GPA_RANGE_UNGATED), as mainline KVM: the exit without the CPUID bit. */
    {"MAP_GPA_RANGE ungated, not in guest CPUID -> exit", SNP, ENV_HC_ENABLE | ENV_UNGATED, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX | V_RDX, .rax = 12, .rbx = 0x200000, .rcx = 16,
     .rdx = SNPEMU_MAP_GPA_RANGE_ENCRYPTED, .exit = SNPEMU_EXIT_HYPERCALL, .check1 = c1_hc, .respond = resp_hc,
     .evalid = V_I1 | V_I2 | V_RAX, .check = c_hc_ret},
    {"MAP_GPA_RANGE ungated still needs the exit enabled -> -KVM_ENOSYS", SNP, ENV_UNGATED, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL | V_RBX | V_RCX, .rax = 12, .rbx = 0x200000, .rcx = 16, .evalid = V_I1 | V_I2 | V_RAX,
     .check = c_enosys},
    {"unknown hypercall -> -KVM_ENOSYS", ES, ENV_CPUID_PV | ENV_HC_ENABLE, .code = SVM_EXIT_VMMCALL,
     .in = V_RAX | V_CPL, .rax = 1, .evalid = V_I1 | V_I2 | V_RAX, .check = c_enosys},
    /* Termination (spec §11, docs/architecture.md rule 4). */
    {"NAE TERM_REQUEST -> SEV_TERM {gpa, set, code, info2}", ES, .code = SVM_VMGEXIT_TERM_REQUEST,
     .info1 = SVM_VMGEXIT_TERM_REASON(1, 0x23), .info2 = 0xDEAD, .exit = SNPEMU_EXIT_SYSTEM_EVENT, .check1 = c_term_nae,
     .chk = CHK_NONE},
    {"terminated vCPU re-delivers SEV_TERM", SNP, .code = SVM_VMGEXIT_TERM_REQUEST,
     .info1 = SVM_VMGEXIT_TERM_REASON(1, 0x23), .info2 = 0xDEAD, .exit = SNPEMU_EXIT_SYSTEM_EVENT,
     .respond = resp_again, .chk = CHK_NONE, .check = c_term_nae},
    /* MSR protocol (spec §7). */
    {"MSR SEV_INFO v2 C-bit 51", ES, .msr = GHCB_MSR_SEV_INFO_REQ, .emsr = 0x0002000133000001ull},
    {"MSR SEV_INFO max version 1", SNP, .version = 1, .msr = GHCB_MSR_SEV_INFO_REQ, .emsr = 0x0001000133000001ull},
    {"MSR CPUID leaf 1 EAX", ES, .msr = 0x0000000100000004ull, .emsr = 0x00A10F1100000005ull},
    {"MSR CPUID leaf 1 EBX", ES, .msr = 0x0000000140000004ull, .emsr = 0x0001080040000005ull},
    {"MSR CPUID leaf 1 ECX", ES, .msr = 0x0000000180000004ull, .emsr = 0x76F8320B80000005ull},
    {"MSR CPUID leaf 1 EDX", SNP, .msr = 0x00000001C0000004ull, .emsr = 0x178BFBFFC0000005ull},
    {"MSR CPUID 0x8000001F EBX (C-bit)", SNP, .msr = 0x8000001F40000004ull, .emsr = 0x0000003340000005ull},
    {"MSR CPUID bits [29:12] kept", ES, .msr = 0x0000000123456004ull, .emsr = 0x00A10F1123456005ull},
    {"MSR CPUID 0xD uses sub-leaf 0", ES, .msr = 0x0000000D40000004ull, .emsr = 0x0000024040000005ull},
    {"MSR CPUID unknown leaf -> 0", ES, .msr = 0x7777777700000004ull, .emsr = 0x0000000000000005ull},
    {"MSR AP_RESET_HOLD -> exit, SIPI -> 0x1007", ES, .msr = GHCB_MSR_AP_RESET_HOLD_REQ,
     .exit = SNPEMU_EXIT_AP_RESET_HOLD, .respond = resp_plain, .emsr = 0x1007},
    {"MSR HV_FT -> 0x3081 (SEV-ES)", ES, .msr = GHCB_MSR_HV_FT_REQ, .emsr = 0x3081},
    {"MSR HV_FT -> 0x3081 (SNP)", SNP, .msr = GHCB_MSR_HV_FT_REQ, .emsr = 0x3081},
    {"MSR PREF_GPA on SNP -> NONE", SNP, .msr = GHCB_MSR_PREF_GPA_REQ, .emsr = 0xFFFFFFFFFFFFF011ull},
    {"MSR PREF_GPA on SEV-ES -> SEV_TERM", ES, .msr = GHCB_MSR_PREF_GPA_REQ, .exit = SNPEMU_EXIT_SYSTEM_EVENT,
     .check1 = c_term_pref, .chk = CHK_NONE},
    {"MSR REG_GPA on SNP -> echo", SNP, .msr = 0x1012, .emsr = 0x1013, .check = c_reg_gpa_then_nae},
    {"MSR REG_GPA on SEV-ES -> SEV_TERM", ES, .msr = 0x1012, .exit = SNPEMU_EXIT_SYSTEM_EVENT, .check1 = c_term_reg,
     .chk = CHK_NONE},
    {"MSR PSC on SNP, hypercall exits off -> PSC_RESP_ERROR", SNP, .msr = 0x0010000000080014ull,
     .emsr = 0x8000000000000015ull},
    {"MSR PSC on SEV-ES -> SEV_TERM", ES, .msr = 0x0010000000080014ull, .exit = SNPEMU_EXIT_SYSTEM_EVENT,
     .check1 = c_term_psc, .chk = CHK_NONE},
    {"MSR TERM set 0 code 0 (sev_smoke_test)", ES, .msr = 0x100, .exit = SNPEMU_EXIT_SYSTEM_EVENT,
     .check1 = c_term_msr0, .chk = CHK_NONE},
    {"MSR TERM set 1 code 4", SNP, .msr = 0x00041100, .exit = SNPEMU_EXIT_SYSTEM_EVENT, .check1 = c_term_msr,
     .chk = CHK_NONE},
    {"MSR VMPL_REQ unknown -> unchanged", SNP, .msr = 0x0000000100000016ull, .emsr = 0x0000000100000016ull},
    {"MSR info 0xFFF unknown -> unchanged", ES, .msr = 0xABCDEFFFull, .emsr = 0xABCDEFFFull},
    {"MSR SEV_INFO_RESP sent as request -> unchanged", ES, .msr = 0x001, .emsr = 0x001},
};
const size_t conf_rows_exits_n = sizeof(conf_rows_exits) / sizeof(conf_rows_exits[0]);
