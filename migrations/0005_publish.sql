CREATE TABLE `publish_builds` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text,
	`owner` text NOT NULL,
	`repo` text NOT NULL,
	`ref` text NOT NULL,
	`commit_id` text,
	`identifier` text,
	`resource_type` text,
	`title` text,
	`language` text,
	`direction` text,
	`manifest_source` text,
	`manifest` text,
	`files_converted` integer,
	`files_reused` integer,
	`warnings` integer,
	`errors` integer,
	`site_path` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `publish_builds_repo` ON `publish_builds` (`owner`,`repo`,`id`);--> statement-breakpoint
CREATE INDEX `publish_builds_repo_id` ON `publish_builds` (`repo_id`,`id`);