DROP INDEX `tagbuild_jobs_status`;--> statement-breakpoint
ALTER TABLE `tagbuild_jobs` DROP COLUMN `status`;--> statement-breakpoint
ALTER TABLE `tagbuild_jobs` DROP COLUMN `finished_at`;