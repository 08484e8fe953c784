/*
 * fuzz_replay.h - main() for a fuzz target built without libFuzzer
 * (FUZZ_REPLAY): every file named, or of a folder named, goes once through
 * LLVMFuzzerTestOneInput; with no argument, scenarios/ and tests/corpus/.
 * make test runs it, so every input the fuzzer ever found stays fixed.
 */
#ifndef IOSIM_FUZZ_REPLAY_H
#define IOSIM_FUZZ_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

int main(int argc, char **argv)
{
    int files = 0;
    char *defaults[] = {argv[0], "scenarios", "tests/corpus"};
    if (argc < 2) {
        argc = 3;
        argv = defaults;
    }
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (!d) {
            if (replay_file(argv[i]) == 0)
                files++;
            continue;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (replay_file(path) == 0)
                files++;
        }
        closedir(d);
    }
    printf("%s: %d inputs replayed without a crash\n", argv[0], files);
    return files > 0 ? 0 : 1;
}

#endif
