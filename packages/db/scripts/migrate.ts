import { DbError, describeConfig, loadDbConfig, migrate } from "../src/index.ts";

/** `npm run db:migrate`: brings the database of TFM_DATABASE_URL (or DATABASE_URL; default file:./data/tfm.db) to the newest migration. */
try {
  const config = loadDbConfig();
  const report = await migrate(config);
  const where = describeConfig(config);
  if (report.applied.length === 0) console.log(`${where}: up to date (${report.alreadyApplied.length} migration(s))`);
  else console.log(`${where}: applied ${report.applied.join(", ")}`);
} catch (e) {
  console.error(e instanceof DbError ? `${e.name}: ${e.message}` : e);
  process.exit(1);
}
