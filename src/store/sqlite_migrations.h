/* The SQLite schema as numbered migrations, applied in order at open (store_migrate.c).
 * Internal to the SQLite driver: nothing outside src/store/ includes this. */
#ifndef WX_STORE_SQLITE_MIGRATIONS_H
#define WX_STORE_SQLITE_MIGRATIONS_H

#include "db.h"

/* In order, ending with a {0} entry. */
extern const db_migration_t sqlite_migrations[];

#endif
