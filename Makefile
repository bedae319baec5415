# The two fresh-machine commands of the README, plus a few shortcuts.
# Everything real happens in CMake; this file only picks build folders.

BUILD ?= build
CHECK_BUILD ?= build-check
JOBS ?= $(shell nproc)

.PHONY: all deps build check demo release clean

all: build

deps:
	@tools/install-deps.sh

# Release build used by the demo and the benchmarks.
build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# Every test, built in Debug with AddressSanitizer and UBSan.
check: deps
	cmake -S . -B $(CHECK_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DTK_SANITIZE=ON -DTK_BUILD_BENCH=OFF
	cmake --build $(CHECK_BUILD) -j $(JOBS)
	tools/run-tests.sh $(CHECK_BUILD)

demo: build
	tools/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(CHECK_BUILD)
