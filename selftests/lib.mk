# SPDX-License-Identifier: GPL-2.0
# Included by selftests/<module>/Makefile after setting TEST_GEN_PROGS.
# selftests/Makefile passes TOP, KSFT_DIR and OUTPUT; the defaults let
# "make -C selftests/<module>" build on its own.

SELFTESTS_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
TOP ?= $(abspath $(SELFTESTS_DIR)/..)
KSFT_DIR ?= $(shell $(TOP)/tools/testing/ksft-headers.sh)
OUTPUT ?= $(TOP)/build/selftests/$(notdir $(CURDIR))

# Helpers shared by every module's tests (memvirt_ksft.h).
MEMVIRT_KSFT_INC := $(SELFTESTS_DIR)/include
MEMVIRT_KSFT_HDRS := $(wildcard $(MEMVIRT_KSFT_INC)/*.h)

CFLAGS += -O2 -g -Wall -Werror -pthread \
	  -I$(KSFT_DIR) -I$(MEMVIRT_KSFT_INC) -I$(TOP)/include/uapi
LDLIBS += -pthread

all: $(addprefix $(OUTPUT)/,$(TEST_GEN_PROGS))

print-progs:
	@echo $(TEST_GEN_PROGS)

# Runs what is built; it never builds (the VM's tree is read-only).
run_tests:
	@OUTPUT=$(OUTPUT) $(SELFTESTS_DIR)/run_tests.sh $(CURDIR) $(TEST_GEN_PROGS)

$(OUTPUT)/%: %.c $(wildcard *.h) $(MEMVIRT_KSFT_HDRS) \
	     $(wildcard $(TOP)/include/uapi/linux/*.h)
	@mkdir -p $(OUTPUT)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

.PHONY: all run_tests print-progs
