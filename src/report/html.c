/* html.c — the self-contained HTML report: one file, inline CSS and a small
 * script (zoom and axis ticks), no network.  The numbers come from the same
 * tables as the text summary; the plots are SVG written by svg.c. */
#include "report/report_int.h"
#include "report/html_int.h"

#include <string.h>

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2330;"
    "background:#f6f7f9}"
    "header{background:#1d2330;color:#fff;padding:14px 28px}header h1{margin:0;font-size:20px}"
    "header p{margin:2px 0 0;color:#b9c1d0;font-size:13px}"
    "nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #dde1e7;padding:6px 28px;"
    "z-index:2}nav a{margin-right:16px;color:#3256a8;text-decoration:none;font-size:13px}"
    "main{padding:8px 28px 40px}section{background:#fff;border:1px solid #dde1e7;border-radius:6px;"
    "margin:16px 0;padding:10px 18px;break-inside:avoid}h2{font-size:16px;margin:6px 0 10px}"
    "h3{font-size:14px;margin:14px 0 6px;color:#3a4254}"
    "table{border-collapse:collapse;font-size:12.5px;margin:4px 0 8px}"
    "th{text-align:left;background:#eef1f5;font-weight:600}th,td{padding:3px 10px;"
    "border-bottom:1px solid #e7eaef;white-space:nowrap}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}tr:hover td{background:#f3f6fb}"
    ".note{color:#5b6475;font-size:12px;margin:2px 0}.plot{overflow:hidden}"
    "svg{display:block;max-width:100%;font-size:11px}svg text{fill:#3a4254}"
    "svg rect.h:hover{stroke:#000;stroke-width:1px}.legend span{display:inline-block;"
    "margin-right:14px;font-size:12px}.legend i{display:inline-block;width:11px;height:11px;"
    "margin-right:4px;vertical-align:-1px;border-radius:2px}"
    ".hint{color:#8a93a3;font-size:11.5px}"
    "@media print{nav,.hint{display:none}body{background:#fff}section{border:none;"
    "page-break-inside:avoid}}";

/* Zoom (wheel, drag to pan, double-click to reset) for svg.zoom: the <g
 * class="zx"> of the plot is scaled on x; ticks are redrawn for the
 * visible range from data-t0/data-t1 (µs). */
static const char js[] =
    "(function(){'use strict';\n"
    "function fmt(us){var a=Math.abs(us);if(a>=1e6)return (us/1e6).toFixed(2)+' s';"
    "if(a>=1e3)return (us/1e3).toFixed(a>=1e4?1:2)+' ms';return us.toFixed(a>=10?0:1)+' \\u00b5s';}\n"
    "function ticks(svg,st){var ax=svg.querySelector('g.axis');if(!ax)return;"
    "var x0=+svg.dataset.x0,w=+svg.dataset.w,t0=+svg.dataset.t0,t1=+svg.dataset.t1,"
    "y=+svg.dataset.ay;var a=t0+(st.off)/(w*st.k)*(t1-t0),b=a+(t1-t0)/st.k;"
    "var step=Math.pow(10,Math.floor(Math.log10((b-a)/6||1)));"
    "[1,2,5,10].some(function(m){if((b-a)/(step*m)<=8){step*=m;return true;}return false;});"
    "var ns='http://www.w3.org/2000/svg';while(ax.firstChild)ax.removeChild(ax.firstChild);"
    "a-=t0;b-=t0;for(var t=Math.ceil(a/step)*step;t<=b;t+=step){var x=x0+(t-a)/(b-a)*w;"
    "var l=document.createElementNS(ns,'line');l.setAttribute('x1',x);l.setAttribute('x2',x);"
    "l.setAttribute('y1',0);l.setAttribute('y2',y);l.setAttribute('stroke','#e3e6ea');ax.appendChild(l);"
    "var tx=document.createElementNS(ns,'text');tx.setAttribute('x',x+2);tx.setAttribute('y',y+12);"
    "tx.textContent=fmt(t);ax.appendChild(tx);}}\n"
    "function zoom(svg){var g=svg.querySelector('g.zx');var st={k:1,off:0};"
    "var w=+svg.dataset.w,x0=+svg.dataset.x0;"
    "function apply(){st.k=Math.max(1,Math.min(st.k,5000));st.off=Math.max(0,"
    "Math.min(st.off,w*st.k-w));g.setAttribute('transform','translate('+(x0-st.off)+',0) scale('"
    "+st.k+',1)');ticks(svg,st);}\n"
    "svg.addEventListener('wheel',function(e){e.preventDefault();var r=svg.getBoundingClientRect();"
    "var px=(e.clientX-r.left)*(svg.viewBox.baseVal.width/r.width)-x0;var f=e.deltaY<0?1.25:0.8;"
    "var at=(px+st.off)/st.k;st.k*=f;st.off=at*st.k-px;apply();},{passive:false});\n"
    "var drag=null;svg.addEventListener('mousedown',function(e){drag={x:e.clientX,o:st.off};});"
    "window.addEventListener('mouseup',function(){drag=null;});"
    "svg.addEventListener('mousemove',function(e){if(!drag)return;var r=svg.getBoundingClientRect();"
    "st.off=drag.o-(e.clientX-drag.x)*(svg.viewBox.baseVal.width/r.width);apply();});"
    "svg.addEventListener('dblclick',function(){st.k=1;st.off=0;apply();});apply();}\n"
    "document.querySelectorAll('svg.zoom').forEach(zoom);\n"
    /* Tests (and curious readers) can see that the script ran to the end. */
    "document.documentElement.setAttribute('data-ntrace-ok','1');})();\n";

static void table_html(FILE *out, const rep_table *t, bool title)
{
    char buf[64];
    if (title) {
        fputs("<h3>", out);
        rep_html_escape(out, t->title);
        fputs("</h3>\n", out);
    }
    fputs("<table><tr>", out);
    for (int c = 0; c < t->ncols; c++) {
        fputs("<th>", out);
        rep_html_escape(out, t->cols[c]);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (size_t r = 0; r < t->nrows; r++) {
        fputs("<tr>", out);
        for (int c = 0; c < t->ncols; c++) {
            const rep_cell *x = rep_cell_at(t, r, c);
            fputs(x->t == REP_C_INT || x->t == REP_C_NUM ? "<td class=n>" : "<td>", out);
            rep_html_escape(out, rep_cell_str(x, buf, sizeof buf));
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
    if (t->note) {
        fputs("<p class=note>", out);
        for (const char *p = t->note; *p; p++) {
            if (*p == '\n') fputs("<br>", out);
            else {
                char s[2] = {*p, 0};
                rep_html_escape(out, s);
            }
        }
        fputs("</p>\n", out);
    }
}

static void section(FILE *out, const char *id, const char *title)
{
    fprintf(out, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
}

int rep_html(rep_db *db, const rep_opts *o, FILE *out, nt_err *e)
{
    rep_doc d;
    rep_doc_init(&d);
    if (rep_build_summary(db, &d, e)) {
        rep_doc_free(&d);
        return -1;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width\">\n<title>ntrace report: ", out);
    rep_html_escape(out, db->run.present ? db->run.command : db->path);
    fprintf(out, "</title>\n<style>%s</style></head><body>\n<header><h1>ntrace report</h1><p>", css);
    rep_html_escape(out, db->run.present ? db->run.command : db->path);
    fputs(" &middot; ", out);
    rep_html_escape(out, db->devs.n ? db->devs.v[0].name : "no device");
    fputs("</p></header>\n<nav><a href=\"#overview\">overview</a><a href=\"#kernels\">kernels</a>"
          "<a href=\"#timeline\">timeline</a><a href=\"#warps\">SM &times; warp</a>"
          "<a href=\"#probes\">probes</a><a href=\"#stalls\">stalls</a>"
          "<a href=\"#memory\">memory</a><a href=\"#divergence\">divergence</a></nav>\n<main>\n",
          out);

    section(out, "overview", "Overview");
    table_html(out, rep_doc_find(&d, "run"), false);
    table_html(out, rep_doc_find(&d, "devices"), true);
    fputs("</section>\n", out);

    section(out, "kernels", "Kernels by total time");
    table_html(out, rep_doc_find(&d, "kernels"), false);
    fputs("</section>\n", out);

    int rc = 0;
    section(out, "timeline", "Launch timeline");
    rc = rep_svg_launches(db, out, e);
    fputs("</section>\n", out);

    section(out, "warps", "SM &times; warp timeline");
    if (!rc) rc = rep_svg_warps(db, out, e);
    fputs("</section>\n", out);

    section(out, "probes", "Probe summaries");
    bool any = false;
    for (rep_table *t = d.first; t; t = t->next) {
        if (!strcmp(t->key, "block_sched") || !strcmp(t->key, "gmem_bytes") ||
            !strcmp(t->key, "warp_cycles") || !strcmp(t->key, "drops") ||
            !strcmp(t->key, "regions") ||
            !strncmp(t->key, "map:", 4)) {
            table_html(out, t, true);
            any = true;
        }
    }
    if (!any) fputs("<p class=note>no probe maps in this database</p>\n", out);
    fputs("</section>\n", out);

    section(out, "stalls", "Warp stall breakdown");
    if (!rc) rc = rep_svg_stalls(db, out, e);
    rep_table *st = rep_doc_find(&d, "stalls");
    if (st) table_html(out, st, true);
    fputs("</section>\n", out);

    section(out, "memory", "Memory accesses: address pages over time");
    if (!rc) rc = rep_svg_memheat(db, out, e);
    fputs("</section>\n", out);

    section(out, "divergence", "Branch divergence: active lanes per warp branch");
    if (!rc) rc = rep_svg_divergence(db, out, e);
    fputs("</section>\n", out);

    fprintf(out, "</main>\n<script>%s</script>\n</body></html>\n", js);
    rep_doc_free(&d);
    (void)o;
    if (!rc && ferror(out)) rc = nt_err_set(e, "writing the HTML report: write error");
    return rc;
}
