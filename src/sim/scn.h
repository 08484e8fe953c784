/*
 * scn.h - the scenario language: text in, struct prog out.
 *
 * scn_parse() reads a whole .scn file (UTF-8) and compiles it.  On failure
 * it returns NULL and writes one message to err, in the form
 *     FILE:LINE:COL: error: what was found, and what was expected
 * (columns count characters, not bytes, from 1).  An unknown operation or
 * keyword suggests the nearest known one ("did you mean 'accept'?").
 * The grammar is in docs/scenario-language.md.
 */
#ifndef IOSIM_SCN_H
#define IOSIM_SCN_H

#include <stddef.h>
#include "prog.h"

/* Parse text (len bytes, need not be NUL-terminated) named path. */
struct prog *scn_parse(const char *path, const char *text, size_t len,
                       char *err, size_t errlen);
/* Read the file and parse it; I/O errors are reported as "FILE: error: ..." */
struct prog *scn_load(const char *path, char *err, size_t errlen);
/*
 * The same, with every `server` declaration using model (iosim --model)
 * instead of its own; model NULL changes nothing.  An unknown model, or a
 * file without a server, is an error.
 */
struct prog *scn_parse_model(const char *path, const char *text, size_t len,
                             const char *model, char *err, size_t errlen);
struct prog *scn_load_model(const char *path, const char *model, char *err,
                            size_t errlen);

#endif
