-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_submissions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "exercise_id" TEXT NOT NULL,
    "exercise_version_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "seed" BIGINT NOT NULL,
    "scope" TEXT NOT NULL DEFAULT 'all',
    "lang" TEXT NOT NULL DEFAULT 'ja',
    "status" TEXT NOT NULL DEFAULT 'queued',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "pending_trigger" TEXT NOT NULL DEFAULT 'submit',
    "regrade_pending" BOOLEAN NOT NULL DEFAULT false,
    "received_at" DATETIME NOT NULL,
    "queued_at" DATETIME NOT NULL,
    "available_at" DATETIME NOT NULL,
    "started_at" DATETIME,
    "finished_at" DATETIME,
    "grading_attempts" INTEGER NOT NULL DEFAULT 0,
    "round_attempts" INTEGER NOT NULL DEFAULT 0,
    "round_internal_errors" INTEGER NOT NULL DEFAULT 0,
    "round_host_stalls" INTEGER NOT NULL DEFAULT 0,
    "idempotency_key" TEXT,
    "lease_owner" TEXT,
    "lease_expires_at" DATETIME,
    "last_error" TEXT,
    "verdict" TEXT,
    "score" REAL,
    "counts_as_attempt" BOOLEAN,
    "current_grading_id" TEXT,
    CONSTRAINT "submissions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "submissions_exercise_id_fkey" FOREIGN KEY ("exercise_id") REFERENCES "exercises" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "submissions_exercise_version_id_fkey" FOREIGN KEY ("exercise_version_id") REFERENCES "exercise_versions" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "submissions_current_grading_id_fkey" FOREIGN KEY ("current_grading_id") REFERENCES "gradings" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_submissions" ("available_at", "counts_as_attempt", "current_grading_id", "exercise_id", "exercise_version_id", "finished_at", "grading_attempts", "id", "idempotency_key", "lang", "last_error", "lease_expires_at", "lease_owner", "pending_trigger", "priority", "queued_at", "received_at", "regrade_pending", "round_attempts", "round_internal_errors", "scope", "score", "seed", "source", "started_at", "status", "user_id", "verdict") SELECT "available_at", "counts_as_attempt", "current_grading_id", "exercise_id", "exercise_version_id", "finished_at", "grading_attempts", "id", "idempotency_key", "lang", "last_error", "lease_expires_at", "lease_owner", "pending_trigger", "priority", "queued_at", "received_at", "regrade_pending", "round_attempts", "round_internal_errors", "scope", "score", "seed", "source", "started_at", "status", "user_id", "verdict" FROM "submissions";
DROP TABLE "submissions";
ALTER TABLE "new_submissions" RENAME TO "submissions";
CREATE UNIQUE INDEX "submissions_current_grading_id_key" ON "submissions"("current_grading_id");
CREATE INDEX "submissions_status_available_at_idx" ON "submissions"("status", "available_at");
CREATE INDEX "submissions_status_lease_expires_at_idx" ON "submissions"("status", "lease_expires_at");
CREATE INDEX "submissions_user_id_exercise_id_received_at_status_verdict_counts_as_attempt_score_idx" ON "submissions"("user_id", "exercise_id", "received_at", "status", "verdict", "counts_as_attempt", "score");
CREATE INDEX "submissions_user_id_received_at_idx" ON "submissions"("user_id", "received_at");
CREATE INDEX "submissions_current_grading_id_user_id_idx" ON "submissions"("current_grading_id", "user_id");
CREATE INDEX "submissions_exercise_id_status_idx" ON "submissions"("exercise_id", "status");
CREATE UNIQUE INDEX "submissions_user_id_idempotency_key_key" ON "submissions"("user_id", "idempotency_key");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

