#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "vm.h"

/* Addresses are hex strings: JSON numbers lose precision past 2^53. */
static json_t *hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_string(b);
}

static json_t *mmap_flag_names(int flags)
{
	static const struct { int bit; const char *name; } names[] = {
		{ MAP_SHARED, "MAP_SHARED" },       { MAP_PRIVATE, "MAP_PRIVATE" },
		{ MAP_ANONYMOUS, "MAP_ANONYMOUS" }, { MAP_NORESERVE, "MAP_NORESERVE" },
		{ MAP_POPULATE, "MAP_POPULATE" },   { MAP_HUGETLB, "MAP_HUGETLB" },
	};
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			json_array_append_new(a, json_string(names[i].name));
	return a;
}

static json_t *backing_json(const struct guest_mem *gm, const struct gm_region *r)
{
	json_t *b = json_object();
	json_object_set_new(b, "kind", json_string(gm_kind_name(gm->kind)));
	json_object_set_new(b, "path", gm->path[0] ? json_string(gm->path) : json_null());
	json_object_set_new(b, "offset", json_integer((json_int_t)r->offset));
	json_object_set_new(b, "share", json_string(gm->cfg.shared ? "shared" : "private"));
	json_object_set_new(b, "flags", mmap_flag_names(gm->mmap_flags));
	json_object_set_new(b, "page_size", json_integer((json_int_t)gm->page_size));
	json_object_set_new(b, "prefault", json_boolean(gm->cfg.prefault));
	return b;
}

static json_t *regions_json(const struct guest_mem *gm)
{
	json_t *a = json_array();
	for (int i = 0; i < gm->nregions; i++) {
		const struct gm_region *r = &gm->region[i];
		json_t *o = json_object();
		uint64_t resident = 0;
		json_object_set_new(o, "name", json_string(r->name));
		json_object_set_new(o, "gpa_start", hex(r->gpa));
		json_object_set_new(o, "gpa_end", hex(r->gpa + r->size));
		json_object_set_new(o, "size", json_integer((json_int_t)r->size));
		json_object_set_new(o, "hva", hex((uint64_t)(uintptr_t)r->hva));
		json_object_set_new(o, "kvm_slot", json_integer(r->slot));
		json_object_set_new(o, "backing", backing_json(gm, r));
		json_object_set_new(o, "pages", json_integer((json_int_t)(r->size >> 12)));
		json_object_set_new(o, "resident_pages",
				    gm_resident_pages(gm, r, &resident) == 0
					    ? json_integer((json_int_t)resident)
					    : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *sample_json(const struct vm_sample *s)
{
	if (!s->taken)
		return json_null();
	return json_pack("{s:I, s:I, s:I}", "exits", (json_int_t)s->exits, "emulated_instructions",
			 (json_int_t)s->insn_emulation, "wall_us", (json_int_t)(s->wall_ns / 1000));
}

static json_t *stats_json(const struct kvm_stats *st)
{
	json_t *o = json_object();
	for (uint32_t i = 0; i < st->ndesc; i++)
		if (kvm_stats_is_scalar(st, i))
			json_object_set_new(o, kvm_stats_name(st, i),
					    json_integer((json_int_t)kvm_stats_value(st, i)));
	return o;
}

static json_t *disk_json(const struct virtio_blk *b)
{
	const struct virtio_blk_stats *s = &b->stats;
	const struct virtio_mmio_dev *t = &b->mmio;
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(b->name));
	json_object_set_new(o, "path", json_string(b->path));
	json_object_set_new(o, "read_only", json_boolean(b->ro));
	json_object_set_new(o, "size", json_integer((json_int_t)b->size));
	json_object_set_new(o, "capacity_sectors", json_integer((json_int_t)b->capacity));
	json_object_set_new(o, "mmio_base", hex(t->base));
	json_object_set_new(o, "irq", json_integer(t->irq));
	json_object_set_new(o, "status", json_integer(t->st.status));
	json_object_set_new(o, "driver_features", hex(t->st.driver_features));
	json_object_set_new(o, "notifies", json_integer((json_int_t)t->notifies));
	json_object_set_new(o, "requests",
			    json_pack("{s:I, s:I, s:I, s:I, s:I}", "in", (json_int_t)s->in, "out",
				      (json_int_t)s->out, "flush", (json_int_t)s->flush, "get_id",
				      (json_int_t)s->get_id, "other", (json_int_t)s->other));
	json_object_set_new(o, "bytes_read", json_integer((json_int_t)s->bytes_read));
	json_object_set_new(o, "bytes_written", json_integer((json_int_t)s->bytes_written));
	json_object_set_new(o, "fdatasyncs", json_integer((json_int_t)s->fdatasyncs));
	json_object_set_new(o, "errors",
			    json_pack("{s:I, s:I, s:I, s:I, s:I}", "ioerr", (json_int_t)s->ioerr,
				      "unsupp", (json_int_t)s->unsupp, "bad_chains",
				      (json_int_t)s->bad_chains, "needs_reset",
				      (json_int_t)t->needs_reset, "bad_register_accesses",
				      (json_int_t)t->bad_accesses));
	json_object_set_new(o, "last_error", t->error[0] ? json_string(t->error) : json_null());
	return o;
}

static const char *source_name(enum vm_exit_source s)
{
	static const char *const names[] = {
		[VM_EXIT_NONE] = "none",
		[VM_EXIT_GUEST] = "guest",
		[VM_EXIT_CRASH] = "crash",
		[VM_EXIT_MONITOR] = "monitor",
	};
	return names[s];
}

json_t *report_build(struct vm *vm)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	kvm_stats_refresh(&vm->vcpu_stats);
	kvm_stats_refresh(&vm->vm_stats);

	json_t *root = json_object();
	json_object_set_new(root, "format", json_integer(REPORT_FORMAT_VERSION));
	int64_t thp_bytes = gm_thp_bytes(&vm->mem);
	json_object_set_new(root, "memory",
			    json_pack("{s:I, s:o, s:{s:b, s:o}}", "size", (json_int_t)vm->mem.size,
				      "regions", regions_json(&vm->mem), "thp", "advised",
				      vm->mem.thp_advised, "huge_bytes",
				      thp_bytes < 0 ? json_null() : json_integer(thp_bytes)));
	json_object_set_new(root, "boot",
			    json_pack("{s:s, s:b, s:b}", "entry", boot_entry_name(vm->entry),
				      "hypercalls", vm->boot.hc, "cpl0_emulated",
				      vm->boot.cpl0_emulated));
	json_object_set_new(root, "exit",
			    json_pack("{s:s, s:i, s:s}", "source", source_name(vm->exit_source),
				      "status", vm->exit_status, "reason", vm->exit_reason));
	json_t *disks = json_array();
	for (int i = 0; i < vm->ndisks; i++)
		json_array_append_new(disks, disk_json(&vm->disk[i]));
	json_object_set_new(root, "disks", disks);
	json_t *kvm = json_object();
	json_object_set_new(kvm, "boot_done", sample_json(&vm->boot_done));
	json_object_set_new(kvm, "at_exit", sample_json(&vm->at_exit));
	json_object_set_new(kvm, "vcpu", stats_json(&vm->vcpu_stats));
	json_object_set_new(kvm, "vm", stats_json(&vm->vm_stats));
	json_object_set_new(root, "kvm", kvm);
	json_object_set_new(root, "guest", guest_stats_json(&vm->mem, &vm->guest_stats));
	uint64_t cpu_us = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
			  ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	uint64_t run_us = vm->kvm_run_cpu_ns / 1000;
	json_t *host = json_object();
	json_object_set_new(host, "setup_us", json_integer((json_int_t)(vm->setup_ns / 1000)));
	json_object_set_new(host, "cpu_us", json_integer((json_int_t)cpu_us));
	json_object_set_new(host, "kvm_run_cpu_us", json_integer((json_int_t)run_us));
	json_object_set_new(host, "vmm_cpu_us",
			    json_integer((json_int_t)(cpu_us > run_us ? cpu_us - run_us : 0)));
	json_object_set_new(host, "minor_faults", json_integer(ru.ru_minflt));
	json_object_set_new(host, "major_faults", json_integer(ru.ru_majflt));
	json_object_set_new(host, "hypercalls", json_integer((json_int_t)vm->hypercalls));
	json_object_set_new(host, "console_bytes", json_integer((json_int_t)vm->serial.bytes_out));
	json_object_set_new(root, "host", host);
	return root;
}

int report_write(struct vm *vm, const char *path)
{
	json_t *root = report_build(vm);
	if (!root) {
		errno = ENOMEM;
		return -1;
	}
	FILE *f = stdout;
	if (path[0] != '-' || path[1]) {
		f = fopen(path, "we");
		if (!f) {
			json_decref(root);
			return -1;
		}
	}
	int r = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (r == 0 && fputc('\n', f) == EOF)
		r = -1;
	if (f == stdout)
		r |= fflush(f);
	else
		r |= fclose(f);
	json_decref(root);
	return r ? -1 : 0;
}
