CREATE TABLE `tagbuild_claims` (
	`object_id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`claimed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tagbuild_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text,
	`repo_url` text NOT NULL,
	`clone_url` text NOT NULL,
	`host` text NOT NULL,
	`tag_name` text NOT NULL,
	`pushed_id` text,
	`object_id` text,
	`status` text NOT NULL,
	`reason` text,
	`duplicate_of` text,
	`distro` text NOT NULL,
	`source` text,
	`version` text,
	`upstream_tag` text,
	`upstream` text,
	`commit_id` text,
	`tagger` text,
	`tagger_at` integer,
	`builder` text,
	`messages` text NOT NULL,
	`retry_earliest` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`building_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `tagbuild_jobs_object` ON `tagbuild_jobs` (`object_id`);--> statement-breakpoint
CREATE INDEX `tagbuild_jobs_repo` ON `tagbuild_jobs` (`repo_url`,`id`);--> statement-breakpoint
CREATE INDEX `tagbuild_jobs_status` ON `tagbuild_jobs` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `tagbuild_jobs_created` ON `tagbuild_jobs` (`created_at`);