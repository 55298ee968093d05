/**
 * Typed errors of the data layer. Every public operation of @tfm/db throws only these (plus zod's
 * validation errors for malformed input), each with a message a caller can show or log as it is.
 */

export type DbErrorCode =
  | "config"
  | "unavailable"
  | "conflict"
  | "not_found"
  | "constraint"
  | "lease_lost"
  | "forbidden"
  | "migration"
  | "internal";

export abstract class DbError extends Error {
  abstract readonly code: DbErrorCode;
  /** Whether trying the same operation again later can succeed (the database was down, busy). */
  readonly retryable: boolean = false;
}

/** The environment names no usable database. */
export class DbConfigError extends DbError {
  override name = "DbConfigError";
  readonly code = "config";
}

/** The database cannot be reached or did not answer in time; nothing of this operation was written. */
export class DatabaseUnavailableError extends DbError {
  override name = "DatabaseUnavailableError";
  readonly code = "unavailable";
  override readonly retryable = true;
}

/** A unique value is taken (an email, an invite code). */
export class ConflictError extends DbError {
  override name = "ConflictError";
  readonly code = "conflict";
  constructor(
    message: string,
    readonly fields: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A referenced row (user, class, exercise, submission) does not exist. */
export class NotFoundError extends DbError {
  override name = "NotFoundError";
  readonly code = "not_found";
}

/** Another constraint of the schema was violated (a foreign key, a NOT NULL). */
export class ConstraintError extends DbError {
  override name = "ConstraintError";
  readonly code = "constraint";
}

/** A grading result arrived from a worker that no longer holds the submission's lease: it is not written. */
export class LeaseLostError extends DbError {
  override name = "LeaseLostError";
  readonly code = "lease_lost";
}

/** The acting user's role does not allow the operation (a student reviewing, a student owning a class). */
export class ForbiddenError extends DbError {
  override name = "ForbiddenError";
  readonly code = "forbidden";
}

/** A migration could not be applied, or an applied one was changed afterwards. */
export class MigrationError extends DbError {
  override name = "MigrationError";
  readonly code = "migration";
}

/** The database answered with something the data layer does not understand. */
export class DbInternalError extends DbError {
  override name = "DbInternalError";
  readonly code = "internal";
}

// Node's socket errors and PostgreSQL's SQLSTATEs for a server that went away, is starting, refused the
// login (28000, 28P01: what Prisma's adapter calls AuthenticationFailed) or has no connection left.
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "EPIPE", "57P01", "57P03", "53300", "28000", "28P01"]);
/** PostgreSQL's SQLSTATEs as the driver reports them (raw statements, Database.pgRun), beside Prisma's codes for the same. */
const PG_UNIQUE = "23505";
const PG_FOREIGN_KEY = "23503";
const PG_NOT_NULL = "23502";
const PG_NO_DATABASE = "3D000";
const CONNECTION_PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const CONNECTION_ADAPTER_KINDS = new Set(["DatabaseDoesNotExist", "DatabaseAccessDenied", "AuthenticationFailed", "SocketTimeout", "TooManyConnections", "ConnectionClosed", "TransactionAlreadyClosed"]);

interface ErrorFacts {
  prismaCode: string | undefined;
  adapterKind: string | undefined;
  driverCode: string | undefined;
  target: string[];
  message: string;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}

function stringField(o: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === "string" ? v : undefined;
}

/** Reads what Prisma, its driver adapters and the drivers put on an error, wherever they put it. */
function factsOf(e: unknown): ErrorFacts {
  const top = record(e);
  const meta = record(top?.meta);
  const driverAdapterError = record(meta?.driverAdapterError) ?? record(top?.cause);
  const adapterCause = record(driverAdapterError?.cause);
  const target: string[] = [];
  const rawTarget = meta?.target ?? record(adapterCause?.constraint)?.fields;
  if (Array.isArray(rawTarget)) for (const t of rawTarget) if (typeof t === "string") target.push(t);
  if (typeof rawTarget === "string") target.push(rawTarget);
  const modelFields = record(record(meta?.driverAdapterError)?.cause)?.constraint;
  const fields = record(modelFields)?.fields;
  if (Array.isArray(fields)) for (const t of fields) if (typeof t === "string" && !target.includes(t)) target.push(t);
  // The driver's own error (pg's DatabaseError): the columns are in its detail ("Key (a, b)=(...) ...") or `column`.
  const detailKey = /^Key \(([^)]*)\)=/.exec(stringField(top, "detail") ?? "")?.[1];
  if (detailKey !== undefined) for (const t of detailKey.split(",")) if (t.trim() !== "" && !target.includes(t.trim())) target.push(t.trim());
  const column = stringField(top, "column");
  if (column !== undefined && !target.includes(column)) target.push(column);
  return {
    prismaCode: stringField(top, "code")?.startsWith("P") ? stringField(top, "code") : undefined,
    adapterKind: stringField(adapterCause, "kind") ?? stringField(record(top?.cause), "kind"),
    driverCode:
      stringField(adapterCause, "originalCode") ??
      (stringField(top, "code")?.startsWith("P") ? undefined : stringField(top, "code")) ??
      stringField(record(top?.cause), "code"),
    target,
    message: e instanceof Error ? e.message : String(e),
  };
}

/** Whether an error means the database could not be reached (rather than that it refused the statement). */
export function isConnectionFailure(e: unknown): boolean {
  if (e instanceof DatabaseUnavailableError) return true;
  const f = factsOf(e);
  if (f.prismaCode !== undefined && CONNECTION_PRISMA_CODES.has(f.prismaCode)) return true;
  if (f.adapterKind !== undefined && CONNECTION_ADAPTER_KINDS.has(f.adapterKind)) return true;
  if (f.driverCode !== undefined && CONNECTION_CODES.has(f.driverCode)) return true;
  if (f.driverCode === "SQLITE_BUSY" || f.driverCode === "SQLITE_CANTOPEN") return true;
  const name = e instanceof Error ? e.name : "";
  if (name === "PrismaClientInitializationError") return true;
  return /ECONNREFUSED|Connection terminated|connection timeout|timeout exceeded when trying to connect|database is locked|Can't reach database server|Unable to start a transaction in the given time/i.test(f.message);
}

/**
 * Turns whatever Prisma or a driver threw into one of the errors above. `what` names the operation
 * ("storing a submission") and `where` the database (credentials removed), for the message.
 */
export function translateError(e: unknown, what: string, where: string): DbError {
  if (e instanceof DbError) return e;
  const f = factsOf(e);
  if (f.adapterKind === "DatabaseDoesNotExist" || f.prismaCode === "P1003" || f.driverCode === PG_NO_DATABASE) {
    return withCause(new DbConfigError(`${what}: the database does not exist (${where}); \`npm run db:migrate\` creates and migrates it`), e);
  }
  if (isConnectionFailure(e)) {
    return withCause(new DatabaseUnavailableError(`database unavailable while ${what} (${where}): ${firstLine(f.message)}; nothing of this operation was written`), e);
  }
  if (f.prismaCode === "P2002" || f.adapterKind === "UniqueConstraintViolation" || f.driverCode === PG_UNIQUE) {
    const fields = f.target.length > 0 ? f.target.join(", ") : "a unique field";
    return withCause(new ConflictError(`${what}: ${fields} is already taken`, f.target), e);
  }
  if (f.prismaCode === "P2003" || f.adapterKind === "ForeignKeyConstraintViolation" || f.driverCode === PG_FOREIGN_KEY) {
    return withCause(new ConstraintError(`${what}: a referenced row does not exist (foreign key${f.target.length > 0 ? ` ${f.target.join(", ")}` : ""})`), e);
  }
  if (f.prismaCode === "P2025") return withCause(new NotFoundError(`${what}: the row does not exist`), e);
  if (f.prismaCode === "P2011" || f.adapterKind === "NullConstraintViolation" || f.driverCode === PG_NOT_NULL) {
    return withCause(new ConstraintError(`${what}: a required value is missing (${f.target.join(", ") || "NOT NULL"})`), e);
  }
  if (f.adapterKind === "TableDoesNotExist" || /no such table|relation .* does not exist/i.test(f.message)) {
    return withCause(new MigrationError(`${what}: the database has no tables yet (${where}); run \`npm run db:migrate\``), e);
  }
  return withCause(new DbInternalError(`${what} failed (${where}): ${firstLine(f.message)}`), e);
}

function firstLine(message: string): string {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines[lines.length - 1] ?? message;
}

function withCause<E extends Error>(error: E, cause: unknown): E {
  Object.defineProperty(error, "cause", { value: cause, enumerable: false });
  return error;
}
