# The two front-door commands (README): `make demo` and `make test`. Both install what is missing.
BUILD ?= build
BUILD_TYPE ?= Release
SINKSCOPE_ASSETS ?= $(abspath ../shared)
export SINKSCOPE_ASSETS

.PHONY: setup build test demo clean

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: CMakeLists.txt | setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j 2

demo: build
	bash scripts/demo.sh $(BUILD)/sinkscope

clean:
	rm -rf $(BUILD)
