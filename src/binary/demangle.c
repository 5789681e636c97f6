/* demangle.c — C++ names for display, through the __cxa_demangle of the
 * libstdc++ already in the process.
 *
 * Nothing is linked: the symbol is looked up with dlsym at run time
 * (RTLD_DEFAULT first: CUDA apps are C++ and carry libstdc++; else
 * libstdc++.so.6 is opened once).  So ntrace's shared objects never take a
 * static libstdc++ into an app, and a missing libstdc++ only means mangled
 * names are shown as they are. */
#include "binary/binary.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

static cxa_demangle_fn demangler;
static pthread_once_t demangle_once = PTHREAD_ONCE_INIT;

static void demangle_init(void)
{
    demangler = (cxa_demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
    if (demangler) return;
    /* Kept open for the life of the process: demangler points into it. */
    void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
    if (h) demangler = (cxa_demangle_fn)dlsym(h, "__cxa_demangle");
}

char *bin_demangle(const char *name)
{
    if (strncmp(name, "_Z", 2) != 0) return nt_xstrdup(name);
    pthread_once(&demangle_once, demangle_init);
    if (!demangler) return nt_xstrdup(name);
    int status = 0;
    char *d = demangler(name, NULL, NULL, &status);
    if (status != 0 || !d) {
        free(d);
        return nt_xstrdup(name);
    }
    return d;   /* malloc'd by __cxa_demangle: the caller's free() releases it */
}
