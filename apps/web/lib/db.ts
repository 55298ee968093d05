import { type Database, getDatabase } from "@tfm/db";

/** The portal process's one database client (TFM_DATABASE_URL; an absolute SQLite path when bundled). */
export function db(): Promise<Database> {
  return getDatabase();
}
