# The two front-door commands (README): `make demo` and `make test`. Both install what is missing.
BUILD ?= build
BUILD_TYPE ?= Release
SINKSCOPE_ASSETS ?= $(abspath ../shared)
export SINKSCOPE_ASSETS

.PHONY: setup build test demo clean fuzz

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: CMakeLists.txt | setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j 2
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

# Fuzzing (fuzz/, docs/reliability.md): clang + libFuzzer + ASan/UBSan over every parser, each
# harness for FUZZ_SECONDS; fails on any crash. `make test` runs it as a short smoke.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
FUZZ_SMOKE_SECONDS ?= 8

fuzz:
	@bash scripts/setup.sh --fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh $(FUZZ_BUILD)

demo: build
	bash scripts/demo.sh $(BUILD)/sinkscope

clean:
	rm -rf $(BUILD)
