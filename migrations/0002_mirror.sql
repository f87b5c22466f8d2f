CREATE TABLE `mirror_objects` (
	`key` text NOT NULL,
	`etag` text NOT NULL,
	`status` text NOT NULL,
	`commit` text,
	`mirror_id` text,
	`error` text,
	`at` integer NOT NULL,
	PRIMARY KEY(`key`, `etag`)
);
--> statement-breakpoint
CREATE TABLE `mirror_runs` (
	`role` text PRIMARY KEY NOT NULL,
	`runs` integer NOT NULL,
	`failures` integer NOT NULL,
	`last_status` text NOT NULL,
	`last_started_at` integer NOT NULL,
	`last_duration_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `mirrors` (
	`id` text PRIMARY KEY NOT NULL,
	`source_url` text NOT NULL,
	`source_clone_url` text NOT NULL,
	`source_branch` text NOT NULL,
	`destination_url` text NOT NULL,
	`destination_clone_url` text NOT NULL,
	`destination_host` text NOT NULL,
	`group` text NOT NULL,
	`project` text NOT NULL,
	`destination_branch` text NOT NULL,
	`created_at` integer NOT NULL,
	`produced_commit` text,
	`produced_key` text,
	`produced_at` integer,
	`produce_error` text,
	`produce_error_at` integer,
	`applied_commit` text,
	`applied_at` integer,
	`applied_commit_time` integer,
	`apply_error` text,
	`apply_error_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mirrors_destination` ON `mirrors` (`group`,`project`,`destination_branch`);--> statement-breakpoint
CREATE INDEX `mirrors_source` ON `mirrors` (`source_url`,`source_branch`);