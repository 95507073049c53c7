/*
 * summary.c - the human-readable report printed on a terminal.
 *
 * Says in a few lines what the message is, what it carries, and what was found where,
 * heaviest findings first. Every string printed comes from the report, already sanitised
 * (no control characters reach the terminal).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define BOLD(c) ((c) ? "\033[1m" : "")
#define RED(c)  ((c) ? "\033[31m" : "")
#define YEL(c)  ((c) ? "\033[33m" : "")
#define DIM(c)  ((c) ? "\033[2m" : "")
#define RST(c)  ((c) ? "\033[0m" : "")

static int
by_weight(const void *a, const void *b)
{
    const wp_finding *x = *(const wp_finding *const *)a, *y = *(const wp_finding *const *)b;
    return y->weight - x->weight;
}

static void
human_size(char *buf, size_t n, uint64_t v)
{
    if (v < 1024)
        snprintf(buf, n, "%llu B", (unsigned long long)v);
    else if (v < 1024 * 1024)
        snprintf(buf, n, "%.1f KiB", (double)v / 1024);
    else
        snprintf(buf, n, "%.1f MiB", (double)v / (1024 * 1024));
}

void
summary_print(FILE *out, const wp_report *r, bool c)
{
    const wp_verdict *v = &r->verdict;
    const char *vc =
        v->cls == WP_VERDICT_CLEAN ? DIM(c) : (v->cls == WP_VERDICT_SPAM ? YEL(c) : RED(c));
    fprintf(out, "%s%s%s  %s%s%s, score %d, severity %d (%s), %s%s  %s(%zu findings)%s\n", BOLD(c),
            r->source ? r->source : "-", RST(c), vc, BOLD(c), wp_verdict_name(v->cls), v->score,
            v->severity, wp_severity_name(v->severity), wp_action_name(v->action), RST(c), DIM(c),
            r->n_findings, RST(c));
    /* the reasons come first: "why is this targeted?" is the question the reader has */
    for (size_t i = 0; i < v->n_reasons; i++)
        fprintf(out, "  %s%s%s\n", i + 1 < v->n_reasons ? "" : DIM(c), v->reasons[i],
                i + 1 < v->n_reasons ? "" : RST(c));
    if (r->from)
        fprintf(out, "  From:    %s\n", r->from);
    if (r->to)
        fprintf(out, "  To:      %s\n", r->to);
    if (r->subject)
        fprintf(out, "  Subject: %s\n", r->subject);
    if (r->date)
        fprintf(out, "  Date:    %s\n", r->date);
    const char *root = r->n_parts ? r->parts[0].content_type : NULL;
    fprintf(out, "  MIME:    %zu part(s)%s%s%s, %zu URL(s), %llu bytes of text\n", r->n_parts,
            root ? " (" : "", root ? root : "", root ? ")" : "", r->n_urls,
            (unsigned long long)r->text_bytes);

    size_t natt = 0;
    for (size_t i = 0; i < r->n_objects; i++)
        natt += r->objects[i].is_attachment;
    if (natt > 0) {
        fprintf(out, "  Attachments and members:\n");
        for (size_t i = 0; i < r->n_objects; i++) {
            const wp_object *o = &r->objects[i];
            if (!o->is_attachment)
                continue;
            char sz[32];
            human_size(sz, sizeof sz, o->size);
            /* members are indented under their container */
            fprintf(out, "    %*s%s%s\n", (int)(o->depth * 2), "", o->where,
                    o->encrypted ? "  [encrypted]" : (o->truncated ? "  [truncated]" : ""));
            fprintf(out, "    %*s  %s, %s%s%s\n", (int)(o->depth * 2), "",
                    o->true_type ? o->true_type : "?", sz, o->has_hashes ? ", sha256 " : "",
                    o->has_hashes ? o->hashes.sha256 : "");
        }
    }
    if (r->n_findings > 0) {
        const wp_finding **sorted = malloc(r->n_findings * sizeof(*sorted));
        if (sorted != NULL) {
            for (size_t i = 0; i < r->n_findings; i++)
                sorted[i] = &r->findings[i];
            qsort(sorted, r->n_findings, sizeof(*sorted), by_weight);
            fprintf(out, "  Findings:\n");
            for (size_t i = 0; i < r->n_findings; i++) {
                const wp_finding *f = sorted[i];
                const char *col = f->weight >= 5 ? RED(c) : (f->weight > 0 ? YEL(c) : DIM(c));
                fprintf(out, "    %s[%2d] %-24s%s %-9s %s\n         %s%s\n", col, f->weight,
                        f->code, RST(c), wp_category_name(f->category), f->where, f->evidence, "");
            }
            free(sorted);
        }
    }
    size_t shown = 0;
    for (size_t i = 0; i < r->n_urls && shown < 8; i++) {
        const wp_url *u = &r->urls[i];
        if (shown++ == 0)
            fprintf(out, "  URLs%s:\n", r->n_urls > 8 ? " (first 8)" : "");
        if (u->text != NULL)
            fprintf(out, "    %s  %s(%s, text \"%.60s\")%s\n", u->url, DIM(c), u->source, u->text,
                    RST(c));
        else
            fprintf(out, "    %s  %s(%s)%s\n", u->url, DIM(c), u->source, RST(c));
    }
    fputc('\n', out);
}
