-- AlterTable
ALTER TABLE "submissions" ADD COLUMN     "round_host_stalls" INTEGER NOT NULL DEFAULT 0;

