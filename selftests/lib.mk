# SPDX-License-Identifier: GPL-2.0
# Included by selftests/<module>/Makefile after setting TEST_GEN_PROGS.

CFLAGS += -O2 -g -Wall -Werror -pthread \
	  -I$(KSFT_DIR) -I$(TOP)/include/uapi
LDLIBS += -pthread

all: $(addprefix $(OUTPUT)/,$(TEST_GEN_PROGS))

$(OUTPUT)/%: %.c $(wildcard *.h) $(wildcard $(TOP)/include/uapi/linux/*.h)
	@mkdir -p $(OUTPUT)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

.PHONY: all
