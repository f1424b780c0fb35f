# Entry points: `make demo` (install what is missing, build, run the default job) and `make test`
# (install, create the reference's venv for the parity tests (cached; they report skipped where the
# package index cannot be reached), build both the CUDA-detecting and the CPU-only configuration, run
# the whole suite).
BUILD     ?= build
BUILD_CPU ?= build-cpu
JOBS      ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps parity-env configure build build-cpu test test-cpu test-gpu sanitize demo bench clean

all: build

deps:
	@scripts/setup.sh

parity-env:
	@scripts/setup_parity_env.sh >/dev/null || echo "parity venv unavailable: the parity_* tests will report skipped"

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

$(BUILD_CPU)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_CPU) -DCMAKE_BUILD_TYPE=Release -DYE_CUDA=OFF -DYE_BUILD_BENCH=OFF $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

build-cpu: deps $(BUILD_CPU)/CMakeCache.txt
	cmake --build $(BUILD_CPU) -j$(JOBS)

test-cpu: build-cpu
	ctest --test-dir $(BUILD_CPU) -L cpu --output-on-failure

test-gpu: build
	ctest --test-dir $(BUILD) -L gpu --output-on-failure

test: build build-cpu parity-env
	ctest --test-dir $(BUILD_CPU) --output-on-failure
	ctest --test-dir $(BUILD) --output-on-failure
	$(MAKE) sanitize

# ASan+UBSan clang build of the CPU tree (build-asan/), its CPU suite and a 25 s libFuzzer run of each
# fuzz/ target (scripts/sanitize_and_fuzz.sh; README "What we promise and which test shows it").
sanitize: deps
	JOBS=$(JOBS) scripts/sanitize_and_fuzz.sh

demo: build
	$(BUILD)/yolo demo

bench: build
	scripts/run_benchmarks.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_CPU)
