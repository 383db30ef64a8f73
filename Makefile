# Wardline: `make run` builds and serves the demo; `make test` builds and runs every suite.
BUILD_DIR ?= build
JOBS ?= 2
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
export CCACHE_DIR ?= $(HOME)/.cache/ccache

.PHONY: all setup configure build run test clean check-layers

all: build

setup:
	@bash scripts/setup.sh

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: setup $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@bash scripts/web.sh build

run: build
	$(BUILD_DIR)/src/cli/wardline serve --demo --static-dir web/dist

test: build
	@bash scripts/test.sh $(BUILD_DIR)

check-layers:
	@bash tools/check_layers

clean:
	rm -rf $(BUILD_DIR)
