/*
 * keys.c - the action table of keys.h turned into lookups.
 */
#include "ui/keys.h"

#include <stdio.h>

#include "ui/cell.h"

#define X(a, h, ...) static const int keys_##a[] = { __VA_ARGS__, 0 };
UI_ACTIONS(X)
#undef X

static const struct {
    const char *name, *help;
    const int *keys;
} actions[A__COUNT] = {
    [A_NONE] = { "none", "", NULL },
#define X(a, h, ...) [A_##a] = { #a, h, keys_##a },
    UI_ACTIONS(X)
#undef X
};

int ui_key_action(int key)
{
    if (key == 0)
        return A_NONE;
    /* terminals send either for Backspace and Enter */
    if (key == 127 || key == 8)
        key = UK_BACKSPACE;
    if (key == '\r')
        key = '\n';
    for (int a = 1; a < A__COUNT; a++)
        for (const int *k = actions[a].keys; *k; k++)
            if (*k == key)
                return a;
    return A_NONE;
}

const char *ui_action_help(int a)
{
    return a > 0 && a < A__COUNT ? actions[a].help : "";
}

const char *ui_action_name(int a)
{
    return a >= 0 && a < A__COUNT ? actions[a].name : "?";
}

const int *ui_action_keys(int a)
{
    static const int none[] = { 0 };
    return a > 0 && a < A__COUNT ? actions[a].keys : none;
}

const char *ui_key_name(int key, char *buf, int len)
{
    static const char *const special[] = {
        [UK_UP - UK_BASE] = "Up", [UK_DOWN - UK_BASE] = "Down",
        [UK_LEFT - UK_BASE] = "Left", [UK_RIGHT - UK_BASE] = "Right",
        [UK_HOME - UK_BASE] = "Home", [UK_END - UK_BASE] = "End",
        [UK_PGUP - UK_BASE] = "PgUp", [UK_PGDN - UK_BASE] = "PgDn",
        [UK_BACKSPACE - UK_BASE] = "Backspace", [UK_BTAB - UK_BASE] = "Shift-Tab",
        [UK_DELETE - UK_BASE] = "Delete", [UK_INSERT - UK_BASE] = "Insert",
        [UK_RESIZE - UK_BASE] = "Resize", [UK_MOUSE - UK_BASE] = "Click",
    };
    if (key >= UK_F1 && key <= UK_F12)
        snprintf(buf, (size_t)len, "F%d", key - UK_F1 + 1);
    else if (key > UK_BASE && key - UK_BASE < (int)(sizeof special / sizeof *special) &&
        special[key - UK_BASE])
        snprintf(buf, (size_t)len, "%s", special[key - UK_BASE]);
    else if (key == ' ')
        snprintf(buf, (size_t)len, "Space");
    else if (key == UK_TAB)
        snprintf(buf, (size_t)len, "Tab");
    else if (key == UK_ENTER)
        snprintf(buf, (size_t)len, "Enter");
    else if (key == UK_ESC)
        snprintf(buf, (size_t)len, "Esc");
    else if (key > 0 && key < 32)
        snprintf(buf, (size_t)len, "Ctrl-%c", key + '@');
    else if (key > 0 && key < UK_BASE) {
        char u[5] = { 0 };
        u[ui_utf8_enc((uint32_t)key, u)] = 0;
        snprintf(buf, (size_t)len, "%s", u);
    } else
        snprintf(buf, (size_t)len, "?");
    return buf;
}
