# SPDX-License-Identifier: GPL-2.0
#
# memvirt: out-of-tree KVM memory-virtualization modules for Linux 6.12.
#
#   make [KDIR=...]    build the modules (kbuild, see Kbuild)
#   make install       modules_install + depmod
#   make check         style + userspace tests + stock and debug VM tiers
#   make demo          boot the stock VM and run each module's demo
#   make bench         benchmarks, as ratios against same-run baselines
#   make vm            interactive shell in the VM (TIER=stock|debug)
#   make style         checkpatch + sparse (C=2)

STOCK_RELEASE := $(shell ls -d /lib/modules/6.12.*-amd64 2>/dev/null | sort -V | tail -n 1 | xargs -r basename)
ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
KDIR ?= /lib/modules/$(shell uname -r)/build
else
KDIR ?= /lib/modules/$(STOCK_RELEASE)/build
endif

TESTING := tools/testing

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C selftests clean
	rm -rf build

# Debian's headers ask for signed modules but ship no key; without a key,
# install unsigned rather than have sign-file fail noisily.
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install \
		$(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=)
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) \
		$$($(MAKE) -s -C $(KDIR) kernelrelease)

deps:
	$(TESTING)/deps.sh

style: deps
	$(TESTING)/style.sh build/style

check:
	$(TESTING)/check.sh

demo: deps
	$(TESTING)/demo.sh

bench: deps
	$(TESTING)/bench.sh

vm: deps
	$(TESTING)/vm/shell.sh $(or $(TIER),stock)

.PHONY: all modules clean install deps style check demo bench vm
