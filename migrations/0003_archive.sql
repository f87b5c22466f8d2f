CREATE TABLE `archive_contents` (
	`sha1_git` text PRIMARY KEY NOT NULL,
	`sha1` text NOT NULL,
	`sha256` text NOT NULL,
	`blake2s256` text NOT NULL,
	`length` integer NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `archive_contents_sha1` ON `archive_contents` (`sha1`);--> statement-breakpoint
CREATE INDEX `archive_contents_sha256` ON `archive_contents` (`sha256`);--> statement-breakpoint
CREATE INDEX `archive_contents_blake2s256` ON `archive_contents` (`blake2s256`);--> statement-breakpoint
CREATE TABLE `archive_directories` (
	`id` text PRIMARY KEY NOT NULL,
	`raw` blob,
	`entries` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `archive_origins` (
	`id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `archive_origins_url_unique` ON `archive_origins` (`url`);--> statement-breakpoint
CREATE TABLE `archive_releases` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`target` text NOT NULL,
	`target_type` text NOT NULL,
	`author_fullname` text,
	`author_name` text,
	`author_email` text,
	`date_seconds` integer,
	`date_microseconds` integer,
	`date_offset` text,
	`message` text,
	`synthetic` integer NOT NULL,
	`raw_manifest` blob,
	`manifest_in_r2` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `archive_revisions` (
	`id` text PRIMARY KEY NOT NULL,
	`directory` text NOT NULL,
	`parents` text NOT NULL,
	`author_fullname` text NOT NULL,
	`author_name` text,
	`author_email` text,
	`date_seconds` integer NOT NULL,
	`date_microseconds` integer NOT NULL,
	`date_offset` text NOT NULL,
	`committer_fullname` text NOT NULL,
	`committer_name` text,
	`committer_email` text,
	`committer_date_seconds` integer NOT NULL,
	`committer_date_microseconds` integer NOT NULL,
	`committer_date_offset` text NOT NULL,
	`message` text,
	`type` text NOT NULL,
	`synthetic` integer NOT NULL,
	`extra_headers` text NOT NULL,
	`raw_manifest` blob,
	`manifest_in_r2` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `archive_schedule` (
	`origin_id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`interval_offset` integer NOT NULL,
	`next_visit_at` integer NOT NULL,
	`failures` integer NOT NULL,
	`disabled` integer NOT NULL,
	`running_job_id` text,
	`last_visit_at` integer,
	`last_seen_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `archive_schedule_due` ON `archive_schedule` (`disabled`,`next_visit_at`);--> statement-breakpoint
CREATE TABLE `archive_snapshot_branches` (
	`snapshot_id` text NOT NULL,
	`name` text NOT NULL,
	`target` text,
	`target_type` text,
	PRIMARY KEY(`snapshot_id`, `name`)
);
--> statement-breakpoint
CREATE TABLE `archive_snapshots` (
	`id` text PRIMARY KEY NOT NULL,
	`branch_count` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `archive_visits` (
	`origin_id` text NOT NULL,
	`visit` integer NOT NULL,
	`type` text NOT NULL,
	`date` integer NOT NULL,
	`status` text NOT NULL,
	`status_date` integer NOT NULL,
	`snapshot` text,
	`job_id` text,
	`error` text,
	PRIMARY KEY(`origin_id`, `visit`)
);
--> statement-breakpoint
CREATE INDEX `archive_visits_job` ON `archive_visits` (`origin_id`,`job_id`);