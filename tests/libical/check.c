#include <stdio.h>
#include <stdlib.h>
#include <libical/ical.h>

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(buf); return NULL; }
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int report(icalcomponent *c, const char *path) {
    int errors = 0;
    for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
         p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)) {
        printf("%s: %s: %s\n", path, icalcomponent_kind_to_string(icalcomponent_isa(c)),
               icalproperty_get_xlicerror(p));
        errors++;
    }
    for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
         s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
        errors += report(s, path);
    return errors;
}

int main(int argc, char **argv) {
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        char *text = slurp(argv[i]);
        if (!text) { printf("%s: cannot read\n", argv[i]); failed = 1; continue; }
        icalcomponent *c = icalparser_parse_string(text);
        free(text);
        if (!c) { printf("%s: not parsed\n", argv[i]); failed = 1; continue; }
        icalrestriction_check(c);
        if (report(c, argv[i])) failed = 1;
        icalcomponent_free(c);
    }
    return failed;
}
