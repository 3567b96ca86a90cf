/* qemu_kcount: a QEMU TCG plugin that counts what the guest kernel executes.
 *
 * On kvm-pvm every instruction the guest runs at CPL 0 is emulated by KVM
 * (docs/platform.md), so the number of kernel instructions a guest
 * operation executes is its emulated-instruction cost there. Where no
 * /dev/kvm is to be had, running the same kernel under QEMU TCG with this
 * plugin gives that number exactly, without KVM (tests/bench/fault_bench.sh).
 *
 * The kernel is told apart by address: it is linked in the top half of the
 * address space and user programs never run there. Counted, at exit:
 *   kernel_insns   instructions executed in the kernel (a rep string
 *                  instruction counts once per iteration, as KVM's
 *                  emulator pays it)
 *   kernel_rep     of those, rep string iterations (page zero and copy,
 *                  which the guest hands to the monitor on kvm-pvm)
 *   kernel_pio     port in/out instructions (each is a VM exit on KVM)
 *   kernel_iret    iretq executed: returns to user mode from a trap
 *   user_insns     instructions executed below the kernel
 * and, with syms=FILE (`nm -n` output of the kernel), the kernel
 * instructions of each function, most first.
 *
 * Arguments (-plugin PATH,ARG=VALUE,...): out=FILE (default: stderr),
 * syms=FILE, top=N (functions listed, default 40), detail=FUNCTION (with
 * syms: "insn ADDRESS COUNT" for each instruction of that function, to
 * read beside `objdump -d`).
 *
 * The QEMU plugin API is a C ABI of QEMU's (docs/devel/tcg-plugins in QEMU);
 * Debian ships no header for it, so the few calls used are declared here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    void (*cb)(qemu_plugin_id_t, void *), void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
						enum qemu_plugin_op op, void *ptr, uint64_t imm);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One vCPU (the project's guests have one): plain counters, no atomics. */
enum { C_KERNEL, C_REP, C_PIO, C_IRET, C_USER, C_NR };
static const char *const counter_name[C_NR] = {
	"kernel_insns", "kernel_rep", "kernel_pio", "kernel_iret", "user_insns",
};
static uint64_t counter[C_NR];

struct func {
	uint64_t addr;
	char *name;
	uint64_t insns;
};
static struct func *funcs;
static size_t nfuncs;
static size_t top = 40;
static FILE *out;
static const char *detail;   /* function whose instructions are listed */

/* The detailed function's instructions, by address (each translation of
 * an address adds to the same counter). */
struct insn_count {
	uint64_t addr;
	uint64_t n;
};
static struct insn_count *insns;
static size_t ninsns, insns_cap;

static uint64_t *insn_counter(uint64_t va)
{
	for (size_t i = 0; i < ninsns; i++)
		if (insns[i].addr == va)
			return &insns[i].n;
	if (ninsns == insns_cap) {
		size_t cap = insns_cap ? insns_cap * 2 : 256;
		struct insn_count *grown = realloc(insns, cap * sizeof(*insns));
		if (!grown)
			return NULL;
		insns = grown;
		insns_cap = cap;
	}
	insns[ninsns] = (struct insn_count){va, 0};
	return &insns[ninsns++].n;
}

static int is_kernel(uint64_t va)
{
	return va >> 63;
}

static struct func *func_of(uint64_t va)
{
	size_t lo = 0, hi = nfuncs;

	while (lo < hi) {   /* last function starting at or below va */
		size_t mid = lo + (hi - lo) / 2;
		if (funcs[mid].addr <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &funcs[lo - 1] : NULL;
}

/* x86 decoding just deep enough for the three classes counted: skip legacy
 * and REX prefixes, remember whether a rep prefix was among them. */
static void classify(const uint8_t *b, size_t n, int *rep, int *pio, int *iret)
{
	size_t i = 0;
	int has_rep = 0, rex_w = 0;

	*rep = *pio = *iret = 0;
	for (; i < n; i++) {
		uint8_t c = b[i];
		if (c == 0xf3 || c == 0xf2)
			has_rep = 1;
		else if (c == 0x66 || c == 0x67 || c == 0xf0 || c == 0x2e || c == 0x3e ||
			 c == 0x26 || c == 0x36 || c == 0x64 || c == 0x65)
			continue;
		else if ((c & 0xf0) == 0x40)
			rex_w = c & 8;
		else
			break;
	}
	if (i >= n)
		return;
	uint8_t op = b[i];
	int string_op = (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
			(op >= 0x6c && op <= 0x6f);
	*rep = has_rep && string_op;
	*pio = (op >= 0xe4 && op <= 0xe7) || (op >= 0xec && op <= 0xef) ||
	       (op >= 0x6c && op <= 0x6f);
	*iret = op == 0xcf && rex_w;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	for (size_t i = 0, n = qemu_plugin_tb_n_insns(tb); i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);
		int rep, pio, iret;

		if (!is_kernel(va)) {
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &counter[C_USER], 1);
			continue;
		}
		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							   &counter[C_KERNEL], 1);
		classify(qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn), &rep, &pio, &iret);
		if (rep)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &counter[C_REP], 1);
		if (pio)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &counter[C_PIO], 1);
		if (iret)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &counter[C_IRET], 1);
		struct func *f = func_of(va);
		if (f)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &f->insns, 1);
		uint64_t *c = f && detail && !strcmp(f->name, detail) ? insn_counter(va) : NULL;
		if (c)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, c,
								   1);
	}
}

static int by_insns_desc(const void *a, const void *b)
{
	const struct func *x = a, *y = b;
	return x->insns < y->insns ? 1 : x->insns > y->insns ? -1 : 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct insn_count *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void report(qemu_plugin_id_t id, void *userdata)
{
	(void)id;
	(void)userdata;
	for (int c = 0; c < C_NR; c++)
		fprintf(out, "%s %llu\n", counter_name[c], (unsigned long long)counter[c]);
	qsort(insns, ninsns, sizeof(*insns), by_addr);
	for (size_t i = 0; i < ninsns; i++)
		fprintf(out, "insn %llx %llu\n", (unsigned long long)insns[i].addr,
			(unsigned long long)insns[i].n);
	qsort(funcs, nfuncs, sizeof(*funcs), by_insns_desc);
	for (size_t i = 0; i < nfuncs && i < top && funcs[i].insns; i++)
		fprintf(out, "func %s %llu\n", funcs[i].name, (unsigned long long)funcs[i].insns);
	fflush(out);
}

/* `nm -n` lines: "ADDRESS TYPE NAME"; text symbols only, sorted by address. */
static int load_syms(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], type, name[400];
	unsigned long long addr;
	size_t cap = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %399s", &addr, &type, name) != 3 ||
		    (type != 't' && type != 'T'))
			continue;
		if (nfuncs == cap) {
			cap = cap ? cap * 2 : 1024;
			struct func *grown = realloc(funcs, cap * sizeof(*funcs));
			if (!grown)
				break;
			funcs = grown;
		}
		funcs[nfuncs].addr = addr;
		funcs[nfuncs].name = strdup(name);
		funcs[nfuncs].insns = 0;
		if (funcs[nfuncs].name)
			nfuncs++;
	}
	fclose(f);
	for (size_t i = 1; i < nfuncs; i++) {
		if (funcs[i].addr < funcs[i - 1].addr) {
			fprintf(stderr, "qemu_kcount: %s is not sorted by address (nm -n)\n", path);
			return -1;
		}
	}
	return 0;
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
	(void)info;
	out = stderr;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			out = fopen(argv[i] + 4, "w");
			if (!out) {
				perror(argv[i] + 4);
				return -1;
			}
		} else if (!strncmp(argv[i], "syms=", 5)) {
			if (load_syms(argv[i] + 5))
				return -1;
		} else if (!strncmp(argv[i], "top=", 4)) {
			top = strtoul(argv[i] + 4, NULL, 10);
		} else if (!strncmp(argv[i], "detail=", 7)) {
			detail = argv[i] + 7;
		} else {
			fprintf(stderr,
				"qemu_kcount: unknown argument '%s' (out=, syms=, top=, detail=)\n",
				argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, report, NULL);
	return 0;
}
