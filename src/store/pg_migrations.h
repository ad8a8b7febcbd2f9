/* The PostgreSQL schema as numbered migrations, applied in order at open (store_migrate.c).
 * Internal to the PostgreSQL driver. */
#ifndef WX_STORE_PG_MIGRATIONS_H
#define WX_STORE_PG_MIGRATIONS_H

#include "db.h"

/* In order, ending with a {0} entry. */
extern const db_migration_t pg_migrations[];

#endif
