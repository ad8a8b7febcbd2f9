# Thin wrapper over CMake. The two set-up commands of the README are `make demo` and
# `make check`; both install what is missing first.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure

.PHONY: all deps build check check-plain check-asan check-tsan check-tsan-load tsan-build lint demo bench bench-smoke format clean fuzz screenshots

all: build

deps:
	@scripts/install-deps.sh

build:
	@if [ ! -f $(BUILD)/CMakeCache.txt ]; then cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWX_WERROR=ON >/dev/null; fi
	@cmake --build $(BUILD) -j $(JOBS)

# Everything: the lint checks, the normal build's tests, the same tests under ASan+UBSan, then
# the tests that run threads under ThreadSanitizer (about 2 min of tests on 2 cores).
check: deps lint check-plain check-asan check-tsan

# No banned function, and every C file formatted as .clang-format says (scripts/lint.sh).
lint:
	@scripts/lint.sh

check-plain: build
	cd $(BUILD) && ctest $(CTEST_ARGS) -j $(JOBS)

check-asan:
	@if [ ! -f $(BUILD_ASAN)/CMakeCache.txt ]; then cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DWX_SANITIZE=ON -DWX_WERROR=ON -DCMAKE_C_COMPILER=clang >/dev/null; fi
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS) -j $(JOBS)

# ThreadSanitizer (clang): only what the tests labelled "threads" need is built (tests/CMakeLists.txt
# says which and why); any data race fails the test (wxauthd exits 66). One test at a time: TSan
# slows everything 5-15x (about 2 min in all on 2 cores).
TSAN_TARGETS = wxauthd wxauth wxauth-verify-example unit_store_test_writer unit_store_test_store \
	unit_lib_test_wxauth unit_handle_test_token_cache unit_util_test_log integ_test_libwxauth \
	integ_test_login integ_test_tokens integ_test_desktop unit_handle_test_desktop_ticket
TSAN_ENV = TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1
tsan-build:
	@if [ ! -f $(BUILD_TSAN)/CMakeCache.txt ]; then cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=Debug -DWX_TSAN=ON -DWX_WERROR=ON -DCMAKE_C_COMPILER=clang >/dev/null; fi
	@cmake --build $(BUILD_TSAN) -j $(JOBS) --target $(TSAN_TARGETS) $(TSAN_EXTRA)

check-tsan: tsan-build
	cd $(BUILD_TSAN) && $(TSAN_ENV) ctest $(CTEST_ARGS) -L '^threads$$'

# The load tests under TSan (labelled threads-load): not in make check, because their time budgets
# are sized for uninstrumented code (tests/CMakeLists.txt); run it on an idle machine.
check-tsan-load:
	@$(MAKE) --no-print-directory tsan-build TSAN_EXTRA="integ_test_concurrency integ_test_shutdown"
	cd $(BUILD_TSAN) && $(TSAN_ENV) ctest $(CTEST_ARGS) -L '^threads-load$$'

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

# The screenshots of every user page (phone, zh-CN) and console page (desktop) into
# docs/screenshots/ (make check writes them to $(BUILD)/test-out/screenshots/).
screenshots: deps build
	cd $(BUILD) && WX_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots ctest $(CTEST_ARGS) -R '^browser/screenshots$$'

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) build-fuzz
