/*
 * html_int.h — private to src/report: the SVG plots of the HTML report
 * (svg.c, svg_data.c).  Each writes one plot, or a note saying why there is
 * none, into an open <section>.
 */
#ifndef NT_REPORT_HTML_INT_H
#define NT_REPORT_HTML_INT_H

#include "report/report_int.h"

int rep_svg_launches(rep_db *db, FILE *out, nt_err *e);
int rep_svg_warps(rep_db *db, FILE *out, nt_err *e);
int rep_svg_stalls(rep_db *db, FILE *out, nt_err *e);
int rep_svg_memheat(rep_db *db, FILE *out, nt_err *e);
int rep_svg_divergence(rep_db *db, FILE *out, nt_err *e);

/* Most launches drawn in the SM x warp section; most warps drawn one
 * rectangle each (beyond: SM occupancy bins). */
#define REP_HTML_MAX_LAUNCHES 6
#define REP_HTML_MAX_RECTS 6000

#endif
