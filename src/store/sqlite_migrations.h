/* The SQLite schema as numbered migrations, applied in order at open by sqlite.c.
 * Internal to the SQLite backend: nothing outside src/store/ includes this. */
#ifndef WX_STORE_SQLITE_MIGRATIONS_H
#define WX_STORE_SQLITE_MIGRATIONS_H

#include <stddef.h>

typedef struct {
    int version;      /* 1, 2, 3 ... strictly increasing, never reused */
    const char *name; /* short label recorded in schema_migrations */
    const char *sql;  /* one or more statements, run inside one transaction */
} sqlite_migration_t;

extern const sqlite_migration_t sqlite_migrations[];
extern const size_t sqlite_migrations_count;

#endif
