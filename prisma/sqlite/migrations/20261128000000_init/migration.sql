-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'student',
    "password_hash" TEXT,
    "locale" TEXT NOT NULL DEFAULT 'ja',
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "classes" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "invite_code" TEXT NOT NULL,
    "owner_id" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "archived_at" DATETIME,
    CONSTRAINT "classes_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "enrolments" (
    "class_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "joined_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("class_id", "user_id"),
    CONSTRAINT "enrolments_class_id_fkey" FOREIGN KEY ("class_id") REFERENCES "classes" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "enrolments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "exercises" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sort_order" INTEGER NOT NULL,
    "area" TEXT NOT NULL,
    "title_ja" TEXT NOT NULL,
    "title_en" TEXT NOT NULL,
    "current_version_id" TEXT,
    "updated_at" DATETIME NOT NULL,
    CONSTRAINT "exercises_current_version_id_fkey" FOREIGN KEY ("current_version_id") REFERENCES "exercise_versions" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "exercise_versions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "exercise_id" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "meta" JSONB NOT NULL,
    "first_seen_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "exercise_versions_exercise_id_fkey" FOREIGN KEY ("exercise_id") REFERENCES "exercises" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "quizzes" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "title_ja" TEXT NOT NULL,
    "title_en" TEXT NOT NULL,
    "current_version_id" TEXT,
    "updated_at" DATETIME NOT NULL,
    CONSTRAINT "quizzes_current_version_id_fkey" FOREIGN KEY ("current_version_id") REFERENCES "quiz_versions" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "quiz_versions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "quiz_id" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "question_count" INTEGER NOT NULL,
    "first_seen_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "quiz_versions_quiz_id_fkey" FOREIGN KEY ("quiz_id") REFERENCES "quizzes" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "submissions" (
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

-- CreateTable
CREATE TABLE "gradings" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "submission_id" TEXT NOT NULL,
    "exercise_version_id" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "worker_id" TEXT NOT NULL,
    "seed" BIGINT NOT NULL,
    "verdict" TEXT NOT NULL,
    "score" REAL NOT NULL,
    "passed_tests" INTEGER NOT NULL,
    "total_tests" INTEGER NOT NULL,
    "counts_as_attempt" BOOLEAN NOT NULL,
    "summary_ja" TEXT NOT NULL,
    "summary_en" TEXT NOT NULL,
    "backend" TEXT NOT NULL,
    "grader_version" TEXT NOT NULL,
    "total_ms" REAL NOT NULL,
    "result" JSONB NOT NULL,
    "started_at" DATETIME NOT NULL,
    "finished_at" DATETIME NOT NULL,
    CONSTRAINT "gradings_submission_id_fkey" FOREIGN KEY ("submission_id") REFERENCES "submissions" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "gradings_exercise_version_id_fkey" FOREIGN KEY ("exercise_version_id") REFERENCES "exercise_versions" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "grading_tests" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "grading_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "test_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "name_ja" TEXT NOT NULL,
    "name_en" TEXT NOT NULL,
    "message_ja" TEXT NOT NULL,
    "message_en" TEXT NOT NULL,
    "pitfall_id" TEXT,
    "max_abs_error" REAL,
    "max_rel_error" REAL,
    "mismatch_count" INTEGER,
    "duration_ms" REAL NOT NULL,
    CONSTRAINT "grading_tests_grading_id_fkey" FOREIGN KEY ("grading_id") REFERENCES "gradings" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "quiz_attempts" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "quiz_id" TEXT NOT NULL,
    "quiz_version_id" TEXT NOT NULL,
    "seed" BIGINT NOT NULL,
    "answers" JSONB NOT NULL,
    "verdict" TEXT NOT NULL,
    "score" REAL NOT NULL,
    "correct" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "result" JSONB,
    "submitted_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "quiz_attempts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "quiz_attempts_quiz_id_fkey" FOREIGN KEY ("quiz_id") REFERENCES "quizzes" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "quiz_attempts_quiz_version_id_fkey" FOREIGN KEY ("quiz_version_id") REFERENCES "quiz_versions" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "free_text_answers" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "problem_id" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "lang" TEXT NOT NULL,
    "submitted_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "free_text_answers_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "free_text_reviews" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "answer_id" TEXT NOT NULL,
    "reviewer_id" TEXT NOT NULL,
    "points" INTEGER NOT NULL,
    "max_points" INTEGER NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "criteria" JSONB NOT NULL,
    "comment" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "free_text_reviews_answer_id_fkey" FOREIGN KEY ("answer_id") REFERENCES "free_text_answers" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "free_text_reviews_reviewer_id_fkey" FOREIGN KEY ("reviewer_id") REFERENCES "users" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "self_assessments" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "item_id" TEXT NOT NULL,
    "checked" BOOLEAN NOT NULL,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "self_assessments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "checklist_progress" (
    "user_id" TEXT NOT NULL,
    "item_id" TEXT NOT NULL,
    "done" BOOLEAN NOT NULL,
    "done_at" DATETIME,
    "evidence" JSONB,
    "updated_at" DATETIME NOT NULL,

    PRIMARY KEY ("user_id", "item_id"),
    CONSTRAINT "checklist_progress_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "learner_progress" (
    "user_id" TEXT NOT NULL PRIMARY KEY,
    "done_count" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "level" TEXT NOT NULL,
    "computed_at" DATETIME NOT NULL,
    CONSTRAINT "learner_progress_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "classes_invite_code_key" ON "classes"("invite_code");

-- CreateIndex
CREATE INDEX "classes_owner_id_idx" ON "classes"("owner_id");

-- CreateIndex
CREATE INDEX "enrolments_user_id_idx" ON "enrolments"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "exercises_current_version_id_key" ON "exercises"("current_version_id");

-- CreateIndex
CREATE UNIQUE INDEX "exercise_versions_exercise_id_hash_key" ON "exercise_versions"("exercise_id", "hash");

-- CreateIndex
CREATE UNIQUE INDEX "quizzes_current_version_id_key" ON "quizzes"("current_version_id");

-- CreateIndex
CREATE UNIQUE INDEX "quiz_versions_quiz_id_hash_key" ON "quiz_versions"("quiz_id", "hash");

-- CreateIndex
CREATE UNIQUE INDEX "submissions_current_grading_id_key" ON "submissions"("current_grading_id");

-- CreateIndex
CREATE INDEX "submissions_status_available_at_idx" ON "submissions"("status", "available_at");

-- CreateIndex
CREATE INDEX "submissions_status_lease_expires_at_idx" ON "submissions"("status", "lease_expires_at");

-- CreateIndex
CREATE INDEX "submissions_user_id_exercise_id_received_at_status_verdict_counts_as_attempt_score_idx" ON "submissions"("user_id", "exercise_id", "received_at", "status", "verdict", "counts_as_attempt", "score");

-- CreateIndex
CREATE INDEX "submissions_user_id_received_at_idx" ON "submissions"("user_id", "received_at");

-- CreateIndex
CREATE INDEX "submissions_current_grading_id_user_id_idx" ON "submissions"("current_grading_id", "user_id");

-- CreateIndex
CREATE INDEX "submissions_exercise_id_status_idx" ON "submissions"("exercise_id", "status");

-- CreateIndex
CREATE INDEX "gradings_submission_id_finished_at_idx" ON "gradings"("submission_id", "finished_at");

-- CreateIndex
CREATE INDEX "gradings_exercise_version_id_idx" ON "gradings"("exercise_version_id");

-- CreateIndex
CREATE UNIQUE INDEX "gradings_submission_id_attempt_key" ON "gradings"("submission_id", "attempt");

-- CreateIndex
CREATE INDEX "grading_tests_pitfall_id_status_grading_id_idx" ON "grading_tests"("pitfall_id", "status", "grading_id");

-- CreateIndex
CREATE UNIQUE INDEX "grading_tests_grading_id_position_key" ON "grading_tests"("grading_id", "position");

-- CreateIndex
CREATE INDEX "quiz_attempts_user_id_quiz_id_idx" ON "quiz_attempts"("user_id", "quiz_id");

-- CreateIndex
CREATE INDEX "free_text_answers_user_id_problem_id_idx" ON "free_text_answers"("user_id", "problem_id");

-- CreateIndex
CREATE INDEX "free_text_answers_problem_id_submitted_at_idx" ON "free_text_answers"("problem_id", "submitted_at");

-- CreateIndex
CREATE INDEX "free_text_reviews_answer_id_idx" ON "free_text_reviews"("answer_id");

-- CreateIndex
CREATE INDEX "self_assessments_user_id_item_id_at_idx" ON "self_assessments"("user_id", "item_id", "at");

