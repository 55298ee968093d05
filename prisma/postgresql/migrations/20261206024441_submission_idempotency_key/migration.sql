-- AlterTable
ALTER TABLE "submissions" ADD COLUMN     "idempotency_key" TEXT,
ADD COLUMN     "round_internal_errors" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE UNIQUE INDEX "submissions_user_id_idempotency_key_key" ON "submissions"("user_id", "idempotency_key");

