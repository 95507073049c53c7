/*
 * meta.c - meta rules: boolean combinations of other rules ("A && (B || !C)").
 *
 * An expression is turned into reverse Polish notation once, at load time, with the
 * shunting-yard algorithm (no recursion, so hostile nesting cannot exhaust the stack), and
 * evaluated per message with a small stack. A meta may only name rules defined before it
 * (in the same file or an earlier one), which rules out cycles and lets a scan evaluate the
 * metas in definition order. At most WP_RULES_MAX_META_TOK tokens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

enum { OP_PAREN = -10 };

static int
prec(int op)
{
    return op == WP_META_NOT ? 3 : op == WP_META_AND ? 2 : op == WP_META_OR ? 1 : 0;
}

wp_status
wp_meta_compile(const wp_ruleset *rs, size_t self, char *err, size_t errlen)
{
    wp_rule *r = &rs->rules[self];
    const char *p = r->meta_src;
    int *out = calloc(WP_RULES_MAX_META_TOK, sizeof(int));
    int *ops = calloc(WP_RULES_MAX_META_TOK, sizeof(int));
    size_t n_out = 0, n_ops = 0, n_tok = 0;
    bool want_operand = true;
    wp_status st = WP_EPARSE;
    char why[200] = "";
    if (out == NULL || ops == NULL) {
        st = WP_ENOMEM;
        goto out;
    }
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        if (++n_tok > WP_RULES_MAX_META_TOK) {
            snprintf(why, sizeof why, "more than %u tokens", WP_RULES_MAX_META_TOK);
            goto out;
        }
        if (*p == '(' || *p == '!') {
            if (!want_operand) {
                snprintf(why, sizeof why, "missing && or || before '%c'", *p);
                goto out;
            }
            ops[n_ops++] = *p == '(' ? OP_PAREN : WP_META_NOT;
            p++;
        } else if (*p == ')') {
            if (want_operand) {
                snprintf(why, sizeof why, "')' where a rule name was expected");
                goto out;
            }
            while (n_ops > 0 && ops[n_ops - 1] != OP_PAREN)
                out[n_out++] = ops[--n_ops];
            if (n_ops == 0) {
                snprintf(why, sizeof why, "unbalanced ')'");
                goto out;
            }
            n_ops--;
            p++;
        } else if ((p[0] == '&' && p[1] == '&') || (p[0] == '|' && p[1] == '|')) {
            int op = p[0] == '&' ? WP_META_AND : WP_META_OR;
            if (want_operand) {
                snprintf(why, sizeof why, "'%.2s' where a rule name was expected", p);
                goto out;
            }
            while (n_ops > 0 && ops[n_ops - 1] != OP_PAREN && prec(ops[n_ops - 1]) >= prec(op))
                out[n_out++] = ops[--n_ops];
            ops[n_ops++] = op;
            want_operand = true;
            p += 2;
        } else {
            const char *s = p;
            while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                   (*p >= '0' && *p <= '9') || *p == '_')
                p++;
            size_t n = (size_t)(p - s);
            if (n == 0) {
                snprintf(why, sizeof why, "unexpected '%c' (rule names, &&, ||, !, parentheses)",
                         *p);
                goto out;
            }
            if (!want_operand) {
                snprintf(why, sizeof why, "missing && or || before '%.*s'", (int)n, s);
                goto out;
            }
            char name[WP_RULES_MAX_NAME + 1];
            if (n > WP_RULES_MAX_NAME) {
                snprintf(why, sizeof why, "name longer than %u bytes", WP_RULES_MAX_NAME);
                goto out;
            }
            memcpy(name, s, n);
            name[n] = '\0';
            long idx = wp_rules_find(rs, name);
            if (idx < 0 || (size_t)idx >= self) {
                snprintf(why, sizeof why, "'%s' is %s", name,
                         idx < 0 ? "not a rule" : "defined after this meta (define it first)");
                goto out;
            }
            out[n_out++] = (int)idx;
            want_operand = false;
        }
    }
    if (want_operand) {
        snprintf(why, sizeof why, "%s", n_tok == 0 ? "empty expression" : "ends with an operator");
        goto out;
    }
    while (n_ops > 0) {
        if (ops[n_ops - 1] == OP_PAREN) {
            snprintf(why, sizeof why, "unbalanced '('");
            goto out;
        }
        out[n_out++] = ops[--n_ops];
    }
    free(r->rpn);
    r->rpn = out;
    r->n_rpn = n_out;
    out = NULL;
    st = WP_OK;
out:
    if (st == WP_EPARSE)
        snprintf(err, errlen, "%s:%u: meta %s: %s", r->file, r->line, r->name, why);
    free(out);
    free(ops);
    return st;
}

bool
wp_meta_eval(const wp_rule *r, const unsigned char *fired)
{
    bool st[WP_RULES_MAX_META_TOK];
    size_t n = 0;
    for (size_t i = 0; i < r->n_rpn; i++) {
        int t = r->rpn[i];
        if (t >= 0)
            st[n++] = fired[t] != 0;
        else if (t == WP_META_NOT)
            st[n - 1] = !st[n - 1];
        else {
            bool b = st[--n];
            st[n - 1] = t == WP_META_AND ? (st[n - 1] && b) : (st[n - 1] || b);
        }
    }
    return n == 1 && st[0];
}

wp_status
wp_rules_resolve(wp_ruleset *rs, const char *const *disable, size_t n_disable, char *err,
                 size_t errlen)
{
    for (size_t i = 0; i < rs->n_rules; i++) {
        if (rs->rules[i].target != WP_RT_META)
            continue;
        wp_status st = wp_meta_compile(rs, i, err, errlen);
        if (st != WP_OK)
            return st;
    }
    for (size_t i = 0; i < n_disable; i++) {
        long k = wp_rules_find(rs, disable[i]);
        if (k < 0) {
            snprintf(err, errlen, "rules.disable: no content rule named '%s'", disable[i]);
            return WP_ENOTFOUND;
        }
        rs->rules[k].disabled = true;
    }
    return WP_OK;
}
