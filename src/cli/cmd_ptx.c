/* cmd_ptx.c — ntrace ptx check|print|slice|index FILE [--kernel NAME]:
 * the PTX front end from the command line. */
#include "cli/cli.h"
#include "ptx/ptx.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ntrace ptx check FILE      parse the whole module (first syntax error), then\n"
            "                                  report unknown opcodes and undeclared names\n"
            "       ntrace ptx print FILE      parse and print the module back as PTX\n"
            "       ntrace ptx slice FILE --kernel NAME\n"
            "                                  print a standalone module with kernel NAME and\n"
            "                                  exactly what it reaches\n"
            "       ntrace ptx index FILE      list the module's items (fast scan)\n");
}

static int write_out(const nt_sb *sb)
{
    size_t n = sb->len;
    if (n && fwrite(sb->s, 1, n, stdout) != n) return cli_fail(CLI_FAIL, "ptx", "writing output failed");
    return fflush(stdout) ? cli_fail(CLI_FAIL, "ptx", "writing output failed") : CLI_OK;
}

static int do_index(const nt_file *f, const char *path)
{
    ptx_index ix;
    nt_err e = {0};
    if (ptx_index_build(&ix, f->data, f->size, path, &e) < 0)
        return cli_fail(CLI_FAIL, "ptx", "%s", e.msg);
    static const char *const kinds[] = {"", "dir", "var", "func", "alias"};
    for (size_t i = 0; i < ix.n; i++) {
        const ptx_ix_item *it = &ix.items[i];
        printf("%-5s %-6s %8zu %8zu  line %-7u %.*s\n", kinds[it->kind],
               it->kind == PTX_IX_FUNC ? (it->is_entry ? "entry" : "func") : "",
               it->begin, it->end - it->begin, it->line, (int)it->name.n, it->name.s);
    }
    ptx_index_free(&ix);
    return CLI_OK;
}

/* check: one line per error on stderr, the first CHECK_SHOW of them */
#define CHECK_SHOW 20
static void check_report(void *ctx, const char *msg)
{
    size_t *shown = ctx;
    if (*shown >= CHECK_SHOW) return;
    fprintf(stderr, "ntrace ptx: %s\n", msg);
    ++*shown;
}

int cmd_ptx(int argc, char **argv)
{
    const char *verb = NULL, *path = NULL, *kernel = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return CLI_OK; }
        if (!strcmp(argv[i], "--kernel") || !strcmp(argv[i], "-k")) {
            if (++i >= argc) return cli_fail(CLI_USAGE, "ptx", "--kernel needs a name");
            kernel = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_fail(CLI_USAGE, "ptx", "unknown option '%s'", argv[i]);
        } else if (!verb) {
            verb = argv[i];
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_fail(CLI_USAGE, "ptx", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!verb || !path) { usage(stderr); return CLI_USAGE; }
    bool is_check = !strcmp(verb, "check"), is_print = !strcmp(verb, "print"),
         is_slice = !strcmp(verb, "slice"), is_index = !strcmp(verb, "index");
    if (!is_check && !is_print && !is_slice && !is_index)
        return cli_fail(CLI_USAGE, "ptx", "unknown action '%s' (check, print, slice, index)", verb);
    if (is_slice && !kernel) return cli_fail(CLI_USAGE, "ptx", "slice needs --kernel NAME");
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, path, &e) < 0) return cli_fail(CLI_FAIL, "ptx", "%s", e.msg);
    int rc = CLI_OK;
    nt_sb sb = {0};
    size_t nerr, shown = 0;
    if (is_index) {
        rc = do_index(&f, path);
    } else if (is_slice) {
        ptx_index ix;
        if (ptx_index_build(&ix, f.data, f.size, path, &e) < 0) {
            rc = cli_fail(CLI_FAIL, "ptx", "%s", e.msg);
        } else {
            ptx_module *m = ptx_slice(&ix, kernel, &e);
            if (!m) rc = cli_fail(CLI_FAIL, "ptx", "%s", e.msg);
            else { ptx_print(m, &sb); rc = write_out(&sb); }
            ptx_module_free(m);
            ptx_index_free(&ix);
        }
    } else {
        ptx_module *m = ptx_parse(f.data, f.size, path, 0, &e);
        if (!m) {
            rc = cli_fail(CLI_FAIL, "ptx", "%s", e.msg);
        } else if (is_print) {
            ptx_print(m, &sb);
            rc = write_out(&sb);
        } else if (!m->ver_major && !m->ver_minor) {
            /* Empty, or a NUL first (the parser stops at a NUL): a PTX
             * module must begin with .version. */
            rc = cli_fail(CLI_FAIL, "ptx", "%s:1:1: not a PTX module: no .version directive",
                          path);
        } else if ((nerr = ptx_check(m, check_report, &shown)) > 0) {
            if (nerr > shown)
                fprintf(stderr, "ntrace ptx: %s: %zu errors (%zu shown)\n", path, nerr, shown);
            rc = CLI_FAIL;
        } else {
            size_t nf = 0, ne = 0, nv = 0;
            ptx_block_foreach(&m->items, s) {
                if (s->kind == PTX_ST_FUNC) { nf++; ne += ((ptx_funcitem *)s)->fn->is_entry; }
                if (s->kind == PTX_ST_VAR) nv++;
            }
            printf("%s: ok: PTX %d.%d, target %.*s, %zu functions (%zu entries), %zu variables\n",
                   path, m->ver_major, m->ver_minor, (int)m->target.n, m->target.s, nf, ne, nv);
        }
        ptx_module_free(m);
    }
    nt_sb_free(&sb);
    nt_file_close(&f);
    return rc;
}
