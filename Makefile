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
HOST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Ivmm -MD -MP
ifeq ($(SAN),1)
HOST_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_LDFLAGS += -fsanitize=address,undefined
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

MAPVISOR := $(BUILD)/mapvisor
KERNEL := $(GBUILD)/kernel.elf

.PHONY: all run test bench clean deps unit
all: $(MAPVISOR) $(KERNEL) $(UNIT_BINS)

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
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $$(pkg-config --libs jansson)

$(GBUILD)/%.c.o: guest/%.c | $(DEPS_OK)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GBUILD)/%.S.o: guest/%.S | $(DEPS_OK)
	$(call say,AS,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(KERNEL): $(GUEST_OBJS) guest/kernel.ld
	$(call say,LD,$@)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

$(BUILD)/tests/%.o: tests/unit/%.c | $(DEPS_OK)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -Itests/unit $$(pkg-config --cflags check jansson) -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(VMM_LIB_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $$(pkg-config --libs check jansson)

DEMO_CMDLINE ?= selftest=all
run: $(MAPVISOR) $(KERNEL)
	$(MAPVISOR) run --kernel $(KERNEL) --mem 256M --cmdline '$(DEMO_CMDLINE)' --report -

test: all
	$(Q)BUILD=$(BUILD) sh tests/run.sh

bench: all
	$(Q)sh tools/deps.sh --bench
	$(Q)BUILD=$(BUILD) sh tests/bench/boot_bench.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
