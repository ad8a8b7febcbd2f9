# Thin wrapper over CMake. The two set-up commands of the README are `make demo` and
# `make check`; both install what is missing first.
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure

.PHONY: all deps build check check-plain check-asan demo bench bench-smoke format clean fuzz

all: build

deps:
	@scripts/install-deps.sh

build:
	@if [ ! -f $(BUILD)/CMakeCache.txt ]; then cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWX_WERROR=ON >/dev/null; fi
	@cmake --build $(BUILD) -j $(JOBS)

# Everything: the normal build's tests, then the same tests under ASan+UBSan.
check: deps check-plain check-asan

check-plain: build
	cd $(BUILD) && ctest $(CTEST_ARGS) -j $(JOBS)

check-asan:
	@if [ ! -f $(BUILD_ASAN)/CMakeCache.txt ]; then cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DWX_SANITIZE=ON -DWX_WERROR=ON -DCMAKE_C_COMPILER=clang >/dev/null; fi
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS) -j $(JOBS)

demo: deps build
	@scripts/demo.sh

# The login benchmark against the Node reference (docs/performance.md); a few minutes. Its
# harness also runs, with tiny loads, in `make check` (ctest bench/smoke).
bench: deps build
	@BUILD=$(BUILD) WX_PG_FSYNC=on tests/pg/with-postgres.sh bench/login.sh
	@BUILD=$(BUILD) bench/auth_check.sh

bench-smoke: deps build
	@BUILD=$(BUILD) tests/pg/with-postgres.sh bench/login.sh --smoke

# Each fuzz driver of tests/fuzz for FUZZ_SECONDS (default 600), one at a time (scripts/fuzz.sh).
# make check only replays the corpora (ctest fuzz/*).
FUZZ_SECONDS ?= 600
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) scripts/fuzz.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz
