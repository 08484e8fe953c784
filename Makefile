# iosim - watch concurrency and I/O models at work.
# Targets: all (./iosim), test, bench, fuzz, install, uninstall, clean.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/iosim
MANDIR  ?= $(PREFIX)/share/man/man1
VERSION := 0.1.0

CC      ?= cc
# Link-time optimisation lets the engine's small cross-file calls
# (sim_emit -> world_apply, the agenda, fd lookups) be inlined into
# ./iosim and bench: 5-9% of a simulation's time.  The objects are fat,
# so the tests link their plain code (-fno-lto) without paying for it.
LTO     ?= -flto=auto -ffat-lto-objects
OPT     ?= -O2 -g $(LTO)
B       ?= build
SAN     ?=
CFLAGS  := -std=c11 -Wall -Wextra -Werror -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
           -DIOSIM_VERSION='"$(VERSION)"' -DIOSIM_DATADIR='"$(DATADIR)"' \
           -Isrc $(filter-out -D_XOPEN_SOURCE% -D_DEFAULT_SOURCE,$(shell pkg-config --cflags ncursesw 2>/dev/null)) $(OPT) $(SAN) $(EXTRA_CFLAGS)
LDLIBS  := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw) -lm
CMOCKA  := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

LIBSRC  := $(sort $(wildcard src/tl/*.c src/sim/*.c src/real/*.c src/ui/*.c))
LIBOBJ  := $(LIBSRC:%.c=$(B)/%.o)
TESTSRC := $(sort $(wildcard tests/test_*.c))
TESTBIN := $(TESTSRC:tests/%.c=$(B)/tests/%) $(B)/tests/fuzz_replay \
           $(B)/tests/fuzz_ui_replay

all: iosim

iosim: $(B)/iosim
	rm -f $@; cp $(B)/iosim $@

$(B)/iosim: $(B)/src/main.o $(B)/libiosim.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libiosim.a: $(LIBOBJ)
	rm -f $@; ar rcs $@ $^

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/%: tests/%.c $(B)/libiosim.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fno-lto -MMD -MP -o $@ $< $(B)/libiosim.a $(CMOCKA) $(LDLIBS)

$(B)/tests/fuzz_replay: tests/fuzz_scn.c tests/fuzz_replay.h $(B)/libiosim.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fno-lto -DFUZZ_REPLAY -o $@ $< $(B)/libiosim.a $(LDLIBS)

$(B)/tests/fuzz_ui_replay: tests/fuzz_ui.c tests/fuzz_replay.h $(B)/libiosim.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fno-lto -DFUZZ_REPLAY -o $@ $< $(B)/libiosim.a $(LDLIBS)

$(B)/bench: bench/bench.c $(B)/libiosim.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libiosim.a $(LDLIBS)

# Units and end-to-end tests, then the same units under ASan and UBSan.
test:
	@tests/deps.sh
	$(MAKE) check
	$(MAKE) check B=build/asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all'

check: iosim-bin $(TESTBIN)
	@B=$(B) tests/run.sh $(TESTBIN)

iosim-bin: $(B)/iosim

$(B)/bench_real: bench/bench_real.c $(B)/libiosim.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fno-lto -o $@ $< $(B)/libiosim.a $(LDLIBS)

bench: $(B)/bench $(B)/bench_real
	-@tests/deps.sh
	$(B)/bench; a=$$?; $(B)/bench_real; b=$$?; [ $$a -eq 0 ] && [ $$b -eq 0 ]

# libFuzzer, FUZZ_SECONDS each: the scenario parser and the engine
# (fuzz_scn.c), then the viewer's frames and keys at random sizes and
# positions over the scenarios it finds (fuzz_ui.c).  UBSan is fatal, so
# undefined behaviour is saved as a crash.  The dictionary is
# tests/fuzz.dict plus every operation and cost name from their tables.
# New inputs go to build/fuzz-corpus and build/fuzz-ui-corpus; a crash is
# written to build/ and belongs in tests/corpus/ once fixed (make test
# replays that folder through both targets).
FUZZ_SECONDS ?= 120
FUZZ_CFLAGS := -std=c11 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -Isrc -g -O1 \
	$(filter-out -D_XOPEN_SOURCE% -D_DEFAULT_SOURCE,$(shell pkg-config --cflags ncursesw 2>/dev/null)) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_RUN := -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	-rss_limit_mb=2048 -dict=build/fuzz.dict -artifact_prefix=build/
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang (libFuzzer): apt-get install -y clang"; exit 1; }
	@mkdir -p build/fuzz-corpus build/fuzz-ui-corpus
	cp scenarios/*.scn tests/corpus/* build/fuzz-corpus/
	{ cat tests/fuzz.dict; \
	  sed -n 's/^ *X([A-Z_0-9]*, *\("[a-z_0-9-]*"\).*/\1/p' src/sim/prog.h; \
	  sed -n 's/^ *X([a-z_0-9]*, *\("[a-z_0-9]*"\).*/\1/p' src/sim/cost.h; \
	} >build/fuzz.dict
	clang $(FUZZ_CFLAGS) -o build/fuzz tests/fuzz_scn.c \
		$(filter-out src/ui/%,$(LIBSRC))
	clang $(FUZZ_CFLAGS) -o build/fuzz-ui tests/fuzz_ui.c $(LIBSRC) $(LDLIBS)
	build/fuzz $(FUZZ_RUN) build/fuzz-corpus
	build/fuzz-ui $(FUZZ_RUN) build/fuzz-ui-corpus build/fuzz-corpus

install: $(B)/iosim
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/scenarios/py $(DESTDIR)$(MANDIR)
	install -m 755 $(B)/iosim $(DESTDIR)$(BINDIR)/iosim
	install -m 644 scenarios/*.scn $(DESTDIR)$(DATADIR)/scenarios/
	install -m 644 scenarios/py/*.py $(DESTDIR)$(DATADIR)/scenarios/py/
	install -m 644 docs/iosim.1 $(DESTDIR)$(MANDIR)/iosim.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/iosim $(DESTDIR)$(MANDIR)/iosim.1
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build iosim

.PHONY: all test check iosim-bin bench fuzz install uninstall clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)
