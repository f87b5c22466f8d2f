CREATE TABLE `forges` (
	`host` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`base_url` text NOT NULL,
	`webhook_secret` text NOT NULL,
	`token` text,
	`allowed_cidrs` text,
	`auto_register` text,
	`reachable` integer DEFAULT true NOT NULL,
	`last_failure` text,
	`down_since` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `repos` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`url` text NOT NULL,
	`clone_url` text NOT NULL,
	`host` text NOT NULL,
	`pipelines` text NOT NULL,
	`error` text,
	`error_at` integer,
	`last_event_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repos_key_unique` ON `repos` (`key`);--> statement-breakpoint
CREATE INDEX `repos_host` ON `repos` (`host`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`pipeline` text NOT NULL,
	`repo_id` text,
	`repo_url` text NOT NULL,
	`status` text NOT NULL,
	`phase` text NOT NULL,
	`attempts` integer NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`next_attempt_at` integer,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobs_kind_status` ON `jobs` (`kind`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_repo` ON `jobs` (`repo_id`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_status` ON `jobs` (`status`,`id`);