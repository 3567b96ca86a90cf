# Mapvisor: one non-recursive Makefile. Outputs go to build/ (build/san with SAN=1).
# Targets: all (default), run, test, bench, image, clean. V=1 shows commands.

V ?= 0
Q := $(if $(filter 1,$(V)),,@)
say = $(if $(filter 1,$(V)),,@printf '  %-7s %s\n' $(1) $(2);)

SAN ?= 0
BUILD := build$(if $(filter 1,$(SAN)),/san,)
GBUILD := build/guest

CC := gcc
PKG_LIBS := jansson check
HOST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Ivmm -MD -MP -pthread
HOST_LDFLAGS := -pthread
# mapvisor itself links statically: the dynamic loader's work is a tenth of a
# whole boot-and-exit (docs/benchmarks.md). Sanitizers need the dynamic runtime.
MAPVISOR_LDFLAGS := -static
ifeq ($(SAN),1)
HOST_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_LDFLAGS += -fsanitize=address,undefined
MAPVISOR_LDFLAGS :=
endif

# The guest kernel: freestanding, no SSE, no red zone (interrupts use the stack),
# frame pointers kept for backtraces, linked in the top 2 GiB.
GUEST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-nostdlib -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-80387 \
	-fno-stack-protector -fno-omit-frame-pointer -fno-pic -fno-pie \
	-mcmodel=kernel -fno-asynchronous-unwind-tables -Iinclude -Iguest -MD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	-Wl,-z,noexecstack -Wl,-T,guest/kernel.ld

DEPS_OK := build/.deps-ok

VMM_SRCS := $(sort $(wildcard vmm/*.c))
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/%.o)
VMM_LIB_OBJS := $(filter-out $(BUILD)/vmm/main.o,$(VMM_OBJS))

GUEST_SRCS := $(sort $(shell find guest -name '*.c' -o -name '*.S'))
GUEST_OBJS := $(patsubst guest/%,$(GBUILD)/%.o,$(GUEST_SRCS))

UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# Guest pure logic built for the host: tests/unit_guest/test_guest_*.c link the
# guest files under test (host-compiled into $(BUILD)/host-guest/) and fake the
# machine hooks (mm/mm_hooks.h) over a host buffer. Each test names its objects below.
GUEST_UNIT_SRCS := $(sort $(wildcard tests/unit_guest/test_guest_*.c))
GUEST_UNIT_BINS := $(GUEST_UNIT_SRCS:tests/unit_guest/%.c=$(BUILD)/tests/%)
HG := $(BUILD)/host-guest

MAPVISOR := $(BUILD)/mapvisor
KERNEL := $(GBUILD)/kernel.elf
# A QEMU TCG plugin counting the guest kernel's instructions: kvm-pvm's
# emulated-instruction cost, measured where there is no /dev/kvm.
KCOUNT := build/tools/qemu_kcount.so

.PHONY: all run test bench clean deps unit image FORCE
# Keep intermediate objects: no surprise rebuilds, and no `rm` after the test summary.
.SECONDARY:
all: $(MAPVISOR) $(KERNEL) $(UNIT_BINS) $(GUEST_UNIT_BINS) $(KCOUNT)

deps: $(DEPS_OK)
$(DEPS_OK): tools/deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)sh tools/deps.sh
	$(Q)touch $@

$(BUILD)/vmm/%.o: vmm/%.c | $(DEPS_OK)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) $$(pkg-config --cflags jansson) -c $< -o $@

$(MAPVISOR): $(VMM_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) $(MAPVISOR_LDFLAGS) -o $@ $^ $$(pkg-config --libs jansson)

$(GBUILD)/%.c.o: guest/%.c | $(DEPS_OK)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GBUILD)/%.S.o: guest/%.S | $(DEPS_OK)
	$(call say,AS,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

# kernel.elf is what monitors load: its debug sections move to kernel.debug
# (gdb finds them through the debug link), because reading them cost the
# monitor more than the rest of its set-up (docs/benchmarks.md).
$(GBUILD)/kernel.full.elf: $(GUEST_OBJS) guest/kernel.ld
	$(call say,LD,$@)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

$(KERNEL): $(GBUILD)/kernel.full.elf
	$(call say,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $(GBUILD)/kernel.debug
	$(Q)objcopy --strip-debug --add-gnu-debuglink=$(GBUILD)/kernel.debug $< $@

# Guest user programs: static musl binaries that also run natively on Linux.
# Until the disk exists they are embedded in the kernel image with .incbin
# (guest/kernel/embedded.S), which therefore depends on them.
BUILD_USER := build/user
USER_SRCS := $(sort $(wildcard user/*.c))
USER_BINS := $(USER_SRCS:user/%.c=$(BUILD_USER)/%)
USER_CFLAGS := -static -O2 -Wall -Wextra -Werror

$(BUILD_USER)/%: user/%.c | $(DEPS_OK)
	$(call say,MUSLCC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)musl-gcc $(USER_CFLAGS) -o $@ $<

$(GBUILD)/kernel/embedded.S.o: $(USER_BINS)
$(USER_BINS): user/observe.h user/mm_common.h

# The guest's root file system: /bin/<every user program>, /tmp, /dev,
# images/files/ (images/mkrootfs.sh). EXTRA=DIR copies your own files over
# the top; with EXTRA the image is rebuilt every time, and once more the
# first time without it (mkrootfs.sh leaves IMAGE.extra while it holds them).
IMAGE := build/images/rootfs.ext2
IMAGE_FILES := $(shell find images/files -type f 2>/dev/null)
image: $(IMAGE)
$(IMAGE): images/mkrootfs.sh $(USER_BINS) $(IMAGE_FILES) \
	  $(if $(EXTRA)$(wildcard $(IMAGE).extra),FORCE) | $(DEPS_OK)
	$(call say,MKE2FS,$@)
	$(Q)sh images/mkrootfs.sh $@ build/images/staging $(EXTRA) -- $(USER_BINS)
FORCE:

$(BUILD)/tests/%.o: tests/unit/%.c | $(DEPS_OK)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -Itests/unit $$(pkg-config --cflags check jansson) -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(VMM_LIB_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $$(pkg-config --libs check jansson)

# guest/lib/ defines memcpy, snprintf...: on the host it is renamed to guest_*
# so it cannot interpose on libc (Check, ASan) in the test process.
$(HG)/%.o: guest/%.c | $(DEPS_OK)
	$(call say,HOSTCC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -DMV_HOSTED -Iguest $(if $(filter lib/%,$*),-include tests/unit_guest/guest_lib_names.h) -c $< -o $@

$(BUILD)/tests/unit_guest/%.o: tests/unit_guest/%.c | $(DEPS_OK)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -DMV_HOSTED -Iguest -Itests/unit -Itests/unit_guest $$(pkg-config --cflags check) -c $< -o $@

$(GUEST_UNIT_BINS): $(BUILD)/tests/%: $(BUILD)/tests/unit_guest/%.o
	$(call say,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $$(pkg-config --libs check)

FAKE_MACHINE := $(BUILD)/tests/unit_guest/fake_machine.o
$(BUILD)/tests/test_guest_page: $(HG)/mm/page.o $(FAKE_MACHINE)
$(BUILD)/tests/test_guest_pgtable: $(HG)/mm/page.o $(HG)/mm/pgtable.o $(FAKE_MACHINE)
$(BUILD)/tests/test_guest_lib: $(HG)/lib/string.o $(HG)/lib/vsnprintf.o
$(BUILD)/tests/test_guest_vma: $(HG)/mm/vma.o
$(BUILD)/tests/test_guest_shm: $(HG)/mm/page.o $(HG)/mm/shm.o $(FAKE_MACHINE)
# ext2 over an image file (fake_disk.c implements fs/fs_hooks.h).
FAKE_DISK := $(BUILD)/tests/unit_guest/fake_disk.o
EXT2_HG_OBJS := $(HG)/fs/ext2.o
EXT2_HG_OBJS += $(HG)/fs/ext2_alloc.o
EXT2_HG_OBJS += $(HG)/fs/ext2_cache.o
EXT2_HG_OBJS += $(HG)/fs/ext2_bmap.o
EXT2_HG_OBJS += $(HG)/fs/ext2_dir.o
EXT2_HG_OBJS += $(HG)/fs/ext2_file.o
EXT2_HG_OBJS += $(HG)/fs/ext2_namei.o
$(BUILD)/tests/test_guest_ext2: $(EXT2_HG_OBJS) $(FAKE_DISK)
HOST_FILES := $(BUILD)/tests/unit_guest/host_files.o
$(BUILD)/tests/test_guest_pcache: $(HG)/kernel/pcache.o $(HG)/kernel/pcache_unit.o $(EXT2_HG_OBJS) $(FAKE_DISK) $(HOST_FILES)
# The fault path over the whole of mm/ and the page cache; fake_kernel.c
# stands in for proc.c, file.c, vfs.c and arch/x86.
FAULT_HG_OBJS := $(HG)/kernel/fault.o $(HG)/kernel/mm.o $(HG)/kernel/pcache.o $(HG)/kernel/pcache_unit.o
FAULT_HG_OBJS += $(HG)/kernel/uaccess.o
FAULT_HG_OBJS += $(HG)/mm/vma.o $(HG)/mm/pgtable.o $(HG)/mm/page.o $(HG)/mm/shm.o
FAULT_HG_OBJS += $(HG)/mm/pageref.o
$(BUILD)/tests/test_guest_fault: $(FAULT_HG_OBJS) $(EXT2_HG_OBJS) $(FAKE_DISK) $(FAKE_MACHINE)
$(BUILD)/tests/test_guest_fault: $(BUILD)/tests/unit_guest/fake_kernel.o $(HOST_FILES)

$(KCOUNT): tools/qemu_kcount.c | $(DEPS_OK)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -shared -fPIC \
		-fvisibility=hidden -o $@ $<

# mapvisor needs /dev/kvm; without it the same kernel boots under QEMU's
# TCG, so the demo still runs (QEMU's status (v << 1) | 1 is decoded).
DEMO_CMDLINE ?= selftest=all
run: $(MAPVISOR) $(KERNEL)
	$(Q)if [ -w /dev/kvm ]; then \
		$(MAPVISOR) run --kernel $(KERNEL) --mem 256M --cmdline '$(DEMO_CMDLINE)' --report -; \
	else \
		echo "make run: no writable /dev/kvm here, so mapvisor cannot run;" \
			"booting the demo under QEMU TCG instead"; \
		qemu-system-x86_64 -M microvm -accel tcg -cpu max -nodefaults -no-user-config \
			-nographic -serial stdio -m 256M -device isa-debug-exit,iobase=0xf4,iosize=4 \
			-kernel $(KERNEL) -append '$(DEMO_CMDLINE)' </dev/null; \
		st=$$?; exit $$(( st & 1 ? (st >> 1) & 127 : 125 )); \
	fi

# The suite runs twice over the host code: plain and with ASan+UBSan.
test: all image
	$(Q)$(MAKE) --no-print-directory SAN=1 all
	$(Q)BUILD=$(BUILD) SAN_BUILD=build/san sh tests/run.sh

bench: all
	$(Q)BUILD=$(BUILD) sh tests/bench/boot_bench.sh
	$(Q)BUILD=$(BUILD) sh tests/bench/user_bench.sh
	$(Q)BUILD=$(BUILD) sh tests/bench/fault_bench.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
