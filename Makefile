# SPDX-License-Identifier: GPL-2.0
# dynasync: top-level build. The module follows the out-of-tree convention
# (make -C $(KDIR) M=$(CURDIR)); Kbuild in this directory describes it.
#
#   make          build the module (fails on any compiler/objtool/modpost warning)
#   make install  build it, install it to /lib/modules/RELEASE/updates and run
#                 depmod (INSTALL_MOD_PATH or DESTDIR: into that root instead)
#   make run      main job: build, boot the test VM, insmod, run the demo
#   make host-kit build/libdynasync-host.a, the host test kit a GoogleTest file
#                 of your own links (see the README's guide)
#   make check    all tests: host tests, then selftests, harness and fault
#                 scenarios in the VM
#   make faults   the fault-injection scenarios alone (scripts/faults/) in the VM
#   make fault SCENARIO=NAME   one of them (e.g. SCENARIO=storm)
#   make bench    both benchmarks below, then build/bench/REPORT.md
#   make bench-host  host benchmarks (Google Benchmark): build/bench/host.json,
#                 host.md (ratios, targets) and host-*.png (gnuplot)
#   make bench-vm the VM benchmark (`dynasync bench`: io_uring calls vs NOP vs
#                 ioctls): build/bench/vm.json, vm.md (ratios), vm-*.png
#   make check-debug  the VM tests on a debug kernel (KASAN, KFENCE, kmemleak,
#                 lockdep, UBSAN, fault injection) built and cached by
#                 scripts/debug-kernel.sh; ~4 min the first time
#
# Overridable: KDIR (kernel build tree), INSTALL_MOD_PATH / DESTDIR, VM_KERNEL (bzImage the VM boots),
# DS_CACHE (where deps.sh puts the kernel image), VM_TIMEOUT, VM_KVM=1.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := module

DS_CACHE ?= /var/cache/dynasync
export DS_CACHE
# Evaluated lazily (after the deps target ran): deps.sh records the release
# of Debian's linux-headers-amd64 in $(DS_CACHE)/krel.
KREL = $(or $(shell cat $(DS_CACHE)/krel 2>/dev/null),$(error no $(DS_CACHE)/krel: run scripts/deps.sh))
KDIR ?= /lib/modules/$(KREL)/build
VM_KERNEL ?= $(DS_CACHE)/vmlinuz
VM_TIMEOUT ?= 900
export VM_KERNEL VM_TIMEOUT VM_KVM

B := $(CURDIR)/build
KSFT := $(B)/ksft
KSRC_TAR := /usr/src/linux-source-6.1.tar.xz

CC := gcc
CXX := g++
WARN := -Wall -Wextra -Werror

.PHONY: deps module install selftests harness examples host-tests host-kit initramfs run check faults fault check-debug clean \
	bench bench-deps bench-host bench-vm bench-profile fuzz

deps:
	@bash scripts/deps.sh

# ---- kernel module ----------------------------------------------------
module: deps
	@mkdir -p $(B)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules 2>&1 | tee $(B)/module.log
	@bash scripts/check-build-log.sh $(B)/module.log

# ---- install: like any out-of-tree module ---------------------------------
# make install [KDIR=...] [INSTALL_MOD_PATH=DIR | DESTDIR=DIR]: dynasync.ko
# (built first, warning-free) into $(INSTALL_MOD_PATH)/lib/modules/RELEASE/updates,
# then depmod for RELEASE only (-b INSTALL_MOD_PATH when one is given).
# RELEASE is the tree's own UTS_RELEASE, the release its modules' vermagic
# names (Debian's 6.1 headers say 6.1.192 in include/config/kernel.release,
# which is not the directory name under /lib/modules).
# The kernel's modules_install signs with the tree's key when there is one;
# Debian's header trees ship none, so signing is left out there instead of
# printing sign-file's SSL errors (DKMS signs with its own MOK key).
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= updates
KDIR_REL = $(or $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null),$(error no UTS_RELEASE in $(KDIR)/include/generated/utsrelease.h))
DS_NO_SIGN = $(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KDIR_REL) $(DS_NO_SIGN) \
		INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KDIR_REL)

# ---- kselftest programs (C: the 6.1 harness is C only), static ----------
# One build description: selftests/Makefile on the kernel's lib.mk, here
# with lib.mk and the harness headers extracted from Debian's 6.1 source
# (the same file builds them inside a kernel tree: see the README).
# The kernel's runner too: the VM's mode kselftest runs the programs with
# run_kselftest.sh (scripts/mkinitramfs.sh lays them out for it).
KSFT_FILES := lib.mk kselftest_harness.h kselftest.h run_kselftest.sh kselftest/runner.sh
KSFT_PATHS := $(addprefix $(KSFT)/,$(KSFT_FILES))
$(KSFT_PATHS) &: | deps
	@mkdir -p $(KSFT)
	tar -xJf $(KSRC_TAR) -C $(KSFT) --strip-components=4 \
		$(addprefix linux-source-6.1/tools/testing/selftests/,$(KSFT_FILES))
	@touch $(KSFT_PATHS)

# -Werror here (lib.mk's USERCFLAGS), not in selftests/Makefile: a kernel
# tree's compiler may warn where this one does not.
selftests: $(KSFT_PATHS)
	@mkdir -p $(B)/selftests
	$(MAKE) -C selftests OUTPUT=$(B)/selftests KSFT_DIR=$(KSFT) USERCFLAGS=-Werror

# ---- the example module (examples/ramreader), built against the runtime
# the way a user's module is: its own Kbuild includes kmod/dynasync-rt.kbuild
# from DYNASYNC_RT. Warning-free like the module; its selftest is static C.
EXAMPLES := ramreader
EXAMPLE_TESTS := $(patsubst %,$(B)/examples/%_test,$(EXAMPLES))

examples: deps $(EXAMPLE_TESTS)
	@mkdir -p $(B)
	@for e in $(EXAMPLES); do \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/examples/$$e DYNASYNC_RT=$(CURDIR) modules \
			2>&1 | tee $(B)/example-$$e.log; \
		bash scripts/check-build-log.sh $(B)/example-$$e.log; \
	done

$(B)/examples/%_test: examples/%/*_test.c examples/%/*.h $(KSFT)/kselftest_harness.h
	@mkdir -p $(@D)
	$(CC) -Wall -Werror -O2 -g -static -I$(KSFT) -Iexamples/$* -o $@ examples/$*/$*_test.c

# ---- userspace harness (C++, liburing), static ----------------------------
HARNESS_SRCS := $(wildcard userspace/harness/*.cpp)
$(B)/dynasync: $(HARNESS_SRCS) $(wildcard userspace/harness/*.h) uapi/dynasync.h | deps
	@mkdir -p $(@D)
	$(CXX) $(WARN) -std=gnu++20 -O2 -g -static -I. -o $@ $(HARNESS_SRCS) -luring

harness: $(B)/dynasync

# ---- host unit tests: the runtime's own sources on the userspace platform --
RT_SRCS := $(filter-out kmod/rt/cxxabi.cpp,$(wildcard kmod/rt/*.cpp kmod/ops/*.cpp kmod/traits/*.cpp))
HOST_SRCS := $(wildcard userspace/host/*.cpp)
TEST_SRCS := $(wildcard userspace/tests/*.cpp)
# The harness's model is plain logic: its unit test runs with these.
TEST_SRCS += userspace/harness/model.cpp userspace/harness/names.cpp \
	userspace/harness/fault_spec.cpp \
	$(filter-out %/sweep_cmd.cpp,$(wildcard userspace/harness/sweep_*.cpp))
# ... and so are the fault window, storage fit and reports.
TEST_SRCS += userspace/harness/workload_fault.cpp userspace/harness/workload_storage.cpp \
	userspace/harness/report.cpp userspace/harness/json.cpp
# ... and the fuzzer's oracle and plan.
TEST_SRCS += userspace/harness/fuzz_oracle.cpp userspace/harness/fuzz_params.cpp \
	userspace/harness/parse_number.cpp \
	userspace/harness/text_file.cpp
# Same warning policy as the kernel build of these sources.
HOST_FLAGS := -Wno-unused-parameter -Wno-maybe-uninitialized -std=gnu++20 -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Ikmod -I. -Iuserspace/host
# No RTTI anywhere (as in the kernel): vtables of runtime classes carry no
# typeinfo, so tests must not ask for it either.
HOST_FLAGS += -fno-rtti
RT_ONLY_FLAGS := -fno-exceptions

HOST_FLAGS += -Iuserspace/testkit

# The host test kit (userspace/testkit): the runtime core and the
# userspace platform in one library, for a user's own GoogleTest file:
#   #include "dynasync/testkit.hpp", compiled with $(KIT_FLAGS)
#   $(KIT_INCLUDES), linked with build/libdynasync-host.a (see the guide).
# The guide's test is compiled exactly so: no warning relaxed.
KIT_SRCS := $(filter kmod/rt/%,$(RT_SRCS)) $(HOST_SRCS) userspace/testkit/testkit.cpp
KIT_FLAGS := -std=gnu++20 -fno-rtti -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
KIT_INCLUDES := -I$(CURDIR)/kmod -I$(CURDIR)/userspace/testkit
KIT_LIB := $(B)/libdynasync-host.a
KIT_USER_SRCS := userspace/tests/guide_test.cpp
TEST_SRCS := $(filter-out $(KIT_USER_SRCS),$(TEST_SRCS))

HOST_OBJ := $(B)/host
$(HOST_OBJ)/rt/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(WARN) $(HOST_FLAGS) $(RT_ONLY_FLAGS) -MMD -MP -c -o $@ $<
$(HOST_OBJ)/user/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(WARN) $(KIT_FLAGS) $(KIT_INCLUDES) -MMD -MP -c -o $@ $<
$(HOST_OBJ)/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(WARN) $(HOST_FLAGS) -MMD -MP -c -o $@ $<

KIT_OBJS := $(patsubst %.cpp,$(HOST_OBJ)/rt/%.o,$(KIT_SRCS))
$(KIT_LIB): $(KIT_OBJS)
	rm -f $@
	ar rcs $@ $^

# dynasync's own layers (ops, demo traits) and its tests, on the kit.
HOST_OBJS := $(patsubst %.cpp,$(HOST_OBJ)/rt/%.o,$(filter-out kmod/rt/%,$(RT_SRCS))) \
	$(patsubst %.cpp,$(HOST_OBJ)/%.o,$(TEST_SRCS)) \
	$(patsubst %.cpp,$(HOST_OBJ)/user/%.o,$(KIT_USER_SRCS))
-include $(HOST_OBJS:.o=.d) $(KIT_OBJS:.o=.d)

$(B)/host-tests: $(HOST_OBJS) $(KIT_LIB)
	$(CXX) $(KIT_FLAGS) -o $@ $(HOST_OBJS) $(KIT_LIB) -lgtest -lgtest_main -pthread

host-tests: deps $(B)/host-tests

host-kit: deps $(KIT_LIB)

# ---- host benchmarks (Google Benchmark): the same runtime sources, optimised,
# no sanitizers; results in build/bench/ (host.json, host.md, host-*.png) --
BENCH_SRCS := $(wildcard userspace/bench/*.cpp)
BENCH_FLAGS := -Wno-unused-parameter -Wno-maybe-uninitialized -std=gnu++20 -g -O2 -DNDEBUG \
	-Ikmod -I. -Iuserspace/host -fno-rtti -fno-exceptions
BENCH_OBJ := $(B)/bench-obj
BENCH_OBJS := $(patsubst %.cpp,$(BENCH_OBJ)/%.o,$(RT_SRCS) $(HOST_SRCS) $(BENCH_SRCS))
-include $(BENCH_OBJS:.o=.d)

$(BENCH_OBJ)/%.o: %.cpp | bench-deps
	@mkdir -p $(@D)
	$(CXX) $(WARN) $(BENCH_FLAGS) -MMD -MP -c -o $@ $<

$(B)/host-bench: $(BENCH_OBJS)
	$(CXX) $(BENCH_FLAGS) -o $@ $^ -lbenchmark -pthread

bench-deps:
	@bash scripts/bench/deps.sh

bench-host: deps $(B)/host-bench
	@bash scripts/bench/host.sh $(B)/host-bench $(B)/bench

# ---- the VM --------------------------------------------------------------
initramfs: module selftests harness examples
	@bash scripts/mkinitramfs.sh $(B)/initramfs.cpio.gz

run: initramfs
	@bash scripts/run.sh

check: deps
	@bash scripts/check.sh

faults: initramfs
	@bash scripts/faults-vm.sh

fault: initramfs
	@if [ -z "$(SCENARIO)" ]; then \
		echo "usage: make fault SCENARIO=NAME; NAME is one of:" \
			$$(cd scripts/faults && ls *.sh | sed 's/\.sh$$//'); exit 2; fi
	@VM_SCENARIO=$(SCENARIO) bash scripts/faults-vm.sh

bench-vm: initramfs
	@bash scripts/bench/vm.sh

# Both benchmarks, one after the other (never concurrently: the host
# benchmark would steal the emulated VM's CPU), and one report.
bench:
	$(MAKE) bench-host
	$(MAKE) bench-vm
	@bash scripts/bench/report.sh $(B)/bench

# The same under perf in the VM: build/bench/vm-profile.txt.
bench-profile: initramfs
	@bash scripts/bench/profile-vm.sh

# make fuzz SEED=.. ITER=..: a longer ABI-fuzzer campaign (scenario fuzz)
# in the stock VM; the seed and request count travel on the kernel command line.
fuzz: initramfs
	VM_APPEND="$${VM_APPEND:-} ds_fuzz_seed=$${SEED:-$$RANDOM} ds_fuzz_iters=$${ITER:-10000000} ds_scenario_timeout=$${FUZZ_TIMEOUT:-3600}" \
		VM_TIMEOUT=$${FUZZ_TIMEOUT:-3600} VM_SCENARIO=fuzz bash scripts/faults-vm.sh

# The debug kernel's tree (KDIR) and image (VM_KERNEL); the module, selftests
# and harness are rebuilt against it into the same build/ files.
DEBUG_KDIR = $(shell bash scripts/debug-kernel.sh --path)
check-debug: deps
	@bash scripts/debug-kernel.sh
	$(MAKE) initramfs KDIR=$(DEBUG_KDIR)
	VM_KERNEL=$(DEBUG_KDIR)/arch/x86/boot/bzImage VM_MEM=$${VM_MEM:-2048} \
		VM_TIMEOUT=$${VM_TIMEOUT_DEBUG:-3600} \
		bash scripts/vm.sh check $(B)/initramfs.cpio.gz $(B)/vm-debug

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1
	-for e in $(EXAMPLES); do $(MAKE) -C $(KDIR) M=$(CURDIR)/examples/$$e clean \
		DYNASYNC_RT=$(CURDIR) >/dev/null 2>&1; done
	rm -rf $(B)
